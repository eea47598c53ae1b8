# SPDX-License-Identifier: GPL-3.0-or-later
"""The camera's head-and-shoulders crop (app/services/photos.py): the guide's square is what is kept."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from app.services.enroll import MAX_PHOTO_BYTES
from app.services.photos import PORTRAIT_FILL, PORTRAIT_SIDE, portrait_box, portrait_jpeg


@settings(max_examples=100)
@given(st.integers(1, 4000), st.integers(1, 4000))
def test_the_guide_is_a_centred_square_inside_the_frame(width: int, height: int) -> None:
    left, top, right, bottom = portrait_box(width, height)
    assert right - left == bottom - top >= 1  # square
    assert left >= 0 and top >= 0 and right <= width and bottom <= height  # inside
    assert abs(left - (width - right)) <= 1 and abs(top - (height - bottom)) <= 1  # centred
    assert right - left == max(1, round(min(width, height) * PORTRAIT_FILL))


def _frame(width: int, height: int, padding: int = 0) -> tuple[bytes, int]:
    """Red outside the guide, green inside; rows padded as a QImage pads them."""
    image = Image.new("RGB", (width, height), (220, 20, 20))
    left, top, right, bottom = portrait_box(width, height)
    image.paste((20, 200, 20), (left, top, right, bottom))
    rows = image.tobytes()
    stride = 3 * width + padding
    padded = b"".join(rows[y * 3 * width : (y + 1) * 3 * width] + b"\0" * padding for y in range(height))
    return padded, stride


@pytest.mark.parametrize(("size", "padding"), [((1280, 720), 0), ((641, 479), 1), ((320, 240), 0)])
def test_the_photo_is_the_guides_square_and_never_blown_up(size: tuple[int, int], padding: int) -> None:
    rgb, stride = _frame(*size, padding)
    jpeg = portrait_jpeg(rgb, *size, stride)
    assert jpeg[:3] == b"\xff\xd8\xff" and len(jpeg) <= MAX_PHOTO_BYTES
    with Image.open(io.BytesIO(jpeg)) as image:
        side = portrait_box(*size)[2] - portrait_box(*size)[0]
        assert image.size == (min(side, PORTRAIT_SIDE),) * 2
        for corner in ((1, 1), (image.width - 2, image.height - 2)):
            red, green, _blue = image.convert("RGB").getpixel(corner)
            assert green > 150 and red < 90  # inside the guide, not the red around it


def test_a_frame_whose_bytes_do_not_match_its_size_is_refused() -> None:
    with pytest.raises(ValueError):
        portrait_jpeg(b"\0" * 100, 640, 480)
    with pytest.raises(ValueError):
        portrait_jpeg(b"\0" * (640 * 480 * 3), 640, 480, stride=100)
