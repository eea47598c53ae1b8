# SPDX-License-Identifier: GPL-3.0-or-later
"""Making a member's photo small enough for where it must go (a card holds at most 4 KB)."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from app.domain.errors import ClubError

_QUALITIES = (80, 65, 50, 35)
_SIDES = (240, 200, 160, 128, 96, 72)


def fit_photo(jpeg: bytes, limit: int) -> bytes:
    """The photo itself if it fits in `limit` bytes, else the largest re-encoding of it that does."""
    if len(jpeg) <= limit:
        return jpeg
    try:
        with Image.open(io.BytesIO(jpeg)) as opened:
            image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ClubError("card_photo_invalid") from error
    for side in _SIDES:
        small = image.copy()
        small.thumbnail((side, side))
        for quality in _QUALITIES:
            out = io.BytesIO()
            small.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= limit:
                return out.getvalue()
    raise ClubError("card_photo_too_large", size=len(jpeg), limit=limit)
