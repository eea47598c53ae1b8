# SPDX-License-Identifier: GPL-3.0-or-later
"""What was typed on the Persian keyboard layout, read back as the Latin keys that were pressed.

A branch manager typing an enrolment code (K7QM-2XPD-9TAR) with the Persian layout active gets ضص… for
QW…: every key of the code's alphabet types one Persian letter without Shift, the same on the standard
layout (ISIRI 9147) and Windows' legacy Persian, and digits arrive as Persian digits. Codes ignore case,
so the unshifted letters are enough. Letters of keys off the letter rows (ج چ ک گ و on [ ] ; ' ,) and
what Shift types differ between layouts and are never part of a code: they are left as they are, for the
caller to refuse in words.
"""

from __future__ import annotations

from app.domain.digits import to_latin_digits

# Latin key → the letter the Persian layout types on it (unshifted); the rows as on the keyboard.
LATIN_TO_PERSIAN = {
    **dict(zip("qwertyuiop", "ضصثقفغعهخح", strict=True)),
    **dict(zip("asdfghjkl", "شسیبلاتنم", strict=True)),
    **dict(zip("zxcvbnm", "ظطزرذدپ", strict=True)),
}
# Arabic yeh (ي), which older Persian layouts and Arabic keyboards type on D, is the same key.
_EXTRA = {"ي": "d"}
_TO_LATIN = str.maketrans({persian: latin for latin, persian in LATIN_TO_PERSIAN.items()} | _EXTRA)


def latin_keys(text: str) -> str:
    """`text` with each Persian letter of the letter keys replaced by its key's Latin letter (lower case)
    and Persian or Arabic-Indic digits by ASCII digits; anything else is left as it is."""
    return to_latin_digits(text).translate(_TO_LATIN)


def has_persian_letters(text: str) -> bool:
    """True when `text` holds Arabic-script letters (digits aside): what `latin_keys` left unmapped."""
    return any("\u0600" <= c <= "\u06ff" and not "\u06f0" <= c <= "\u06f9" for c in text)
