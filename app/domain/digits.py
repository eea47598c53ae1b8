# SPDX-License-Identifier: GPL-3.0-or-later
"""Persian and Arabic-Indic digits as people type them, and back."""

from __future__ import annotations

_PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
_ARABIC = "٠١٢٣٤٥٦٧٨٩"
_TO_LATIN = str.maketrans(_PERSIAN + _ARABIC, "0123456789" * 2)
_TO_PERSIAN = str.maketrans("0123456789", _PERSIAN)


def to_latin_digits(text: str) -> str:
    """Replace Persian and Arabic-Indic digits with ASCII digits."""
    return text.translate(_TO_LATIN)


def to_persian_digits(text: str) -> str:
    """Replace ASCII digits with Persian digits."""
    return text.translate(_TO_PERSIAN)
