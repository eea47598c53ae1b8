# SPDX-License-Identifier: GPL-3.0-or-later
"""Phone numbers, stored in E.164 form (+989121234567) so one member has one spelling."""

from __future__ import annotations

import re

from app.domain.digits import to_latin_digits
from app.domain.errors import ClubError

_SEPARATORS = re.compile(r"[\s\-().\u200c\u200e\u200f]")
_IRAN_MOBILE = re.compile(r"^9\d{9}$")


def normalize_phone(raw: str) -> str:
    """Return the E.164 form of an Iranian mobile (09…, +989…, 00989…, 9…) or any +CC number.

    Raises ClubError("invalid_phone") for anything else.
    """
    text = _SEPARATORS.sub("", to_latin_digits(raw or ""))
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+98"):
        national = text[3:].removeprefix("0")
    elif text.startswith("+"):
        if re.fullmatch(r"\+[1-9]\d{7,14}", text):
            return text
        raise ClubError("invalid_phone", phone=raw)
    elif text.startswith("0"):
        national = text[1:]
    else:
        national = text
    if _IRAN_MOBILE.match(national):
        return "+98" + national
    raise ClubError("invalid_phone", phone=raw)


def looks_like_phone(raw: str) -> bool:
    """True when raw normalises to a phone number."""
    try:
        normalize_phone(raw)
    except ClubError:
        return False
    return True
