# SPDX-License-Identifier: GPL-3.0-or-later
"""How many parts an SMS is billed as, so the cost shown is the cost paid.

A text in the GSM 03.38 alphabet goes 160 characters in one part, 153 a part when split (the rest carries
the joining header); its extension characters (€, [, ], {, }, …) take two. Anything else — Persian — goes
as UCS-2: 70 characters in one part, 67 a part when split, a character outside the Basic Multilingual
Plane (an emoji) taking two."""

from __future__ import annotations

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")


def is_gsm7(text: str) -> bool:
    return all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text)


def units(text: str) -> int:
    """The text's length in its encoding's units (septets, or UCS-2 code units)."""
    if is_gsm7(text):
        return sum(2 if c in _GSM_EXTENDED else 1 for c in text)
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


def sms_parts(text: str) -> int:
    """Parts billed for `text`; 0 for an empty text."""
    n = units(text)
    single, split = (160, 153) if is_gsm7(text) else (70, 67)
    if n == 0:
        return 0
    return 1 if n <= single else -(-n // split)
