# SPDX-License-Identifier: GPL-3.0-or-later
"""An enrolment code typed with the Persian keyboard layout is read back as the keys that were pressed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.digits import to_persian_digits
from app.domain.errors import ClubError
from app.domain.keyboard_layout import LATIN_TO_PERSIAN, has_persian_letters, latin_keys
from app.services.first_run import clean_code, typed_code
from sync.protocol import ENROLMENT_CODE_ALPHABET, ENROLMENT_CODE_LENGTH
from sync.server.enrolment import code_hash

# The standard Persian layout's letter rows (ISIRI 9147; Windows' Persian the same on these keys), written
# out here rather than derived from the module under test.
ROWS = {
    "qwertyuiop": "ضصثقفغعهخح",
    "asdfghjkl": "شسیبلاتنم",
    "zxcvbnm": "ظطزرذدپ",
}


def on_persian_layout(text: str) -> str:
    """What the Persian layout types for the keys of `text` (letters without Shift, digits as Persian)."""
    keys = {
        latin: persian for row, letters in ROWS.items() for latin, persian in zip(row, letters, strict=True)
    }
    return to_persian_digits("".join(keys.get(c.lower(), c) for c in text))


codes = st.lists(st.text(ENROLMENT_CODE_ALPHABET, min_size=4, max_size=4), min_size=3, max_size=3).map(
    "-".join
)


def test_every_letter_key_is_mapped_and_back():
    assert len(LATIN_TO_PERSIAN) == 26 and len(set(LATIN_TO_PERSIAN.values())) == 26
    for row, letters in ROWS.items():
        assert latin_keys(letters) == row
        assert "".join(LATIN_TO_PERSIAN[c] for c in row) == letters
    assert latin_keys("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩") == "0123456789" * 2
    assert latin_keys("ي") == "d"  # Arabic yeh, as older layouts type on D


@given(codes)
def test_every_code_typed_on_the_persian_layout_reads_back_as_itself(code):
    typed = on_persian_layout(code)
    assert not any(c.isascii() and c.isalnum() for c in typed)  # nothing Latin left: all of it was mapped
    assert typed_code(typed) == code
    assert clean_code(typed) == code
    assert code_hash(typed_code(typed)) == code_hash(code)  # the server finds the same code
    assert not has_persian_letters(typed_code(typed))


@given(codes, st.booleans())
def test_english_codes_are_left_as_they_are_in_either_case(code, lower):
    typed = code.lower() if lower else code
    assert latin_keys(typed) == typed and typed_code(typed) == code


def test_the_alphabet_is_letters_and_digits_only():
    # every character of a code is a letter key or a digit key: the layout map covers the whole alphabet
    assert all(c.lower() in LATIN_TO_PERSIAN or c.isdigit() for c in ENROLMENT_CODE_ALPHABET)
    assert ENROLMENT_CODE_LENGTH == 12


def test_letters_off_the_letter_rows_stay_persian_for_the_caller_to_refuse():
    # ج چ ک گ و are on [ ] ; ' , — never part of a code; Shift's letters differ by layout
    typed = typed_code("ضصجک-ثق")
    assert typed == "QWجک-ER" and has_persian_letters(typed)
    with pytest.raises(ClubError):
        clean_code("ضص")  # too short, Persian or not
