# SPDX-License-Identifier: GPL-3.0-or-later
"""Search folding: every way people write one Persian name, or one number, folds to one string."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.search_text import digits_only, fold, query_words, reversed_digits, search_key

ZWNJ, ZWJ, TATWEEL, RLM = "\u200c", "\u200d", "\u0640", "\u200f"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("علي", "علی"),  # Arabic yeh
        ("مصطفى", "مصطفی"),  # alef maksura
        ("كريمي", "کریمی"),  # Arabic kaf
        ("فاطمة", "فاطمه"),  # teh marbuta
        ("خانهٔ", "خانه"),  # heh with hamza above (two code points)
        ("خانۀ", "خانه"),  # heh with yeh above (one)
        ("آرش", "ارش"),  # alef with madda: folded (the module says why)
        ("أحمد", "احمد"),
        ("إلهام", "الهام"),
        ("مسئول", "مسیول"),  # yeh with hamza
        ("مؤمن", "مومن"),  # waw with hamza
        ("علاء", "علا"),  # standalone hamza dropped
        ("مُحَمَّد", "محمد"),  # harakat
        ("محـــمد", "محمد"),  # tatweel
        (f"علی{ZWNJ}اکبر", "علیاکبر"),  # ZWNJ
        (f"ر{ZWJ}ضا{RLM}", "رضا"),  # ZWJ, a direction mark
        ("ﻣﺤﻤﺪ", "محمد"),  # presentation forms (NFKC)
        ("ﻻله", "لاله"),  # the lam-alef ligature
        ("SARA  Ahmadi", "sara ahmadi"),  # case, runs of spaces
        ("Zoë", "zoe"),  # Latin accents go too
        ("Straße", "strasse"),  # casefold, not lower
        ("\u00a0رضا\u2003 رضایی\t", "رضا رضایی"),  # no-break and em spaces, tabs: one space, trimmed
        ("۰۹۱۲ ۳۴۵ ۶۷۸۹", "0912 345 6789"),  # Persian digits
        ("٠٩١٢٣٤٥٦٧٨٩", "09123456789"),  # Arabic-Indic digits
        ("０９１２", "0912"),  # full-width digits (NFKC)
        ("sa\x00ra\x1b", "sara"),  # control characters
        ("sara\nahmadi", "sara ahmadi"),  # … but not white space
    ],
)
def test_each_spelling_folds_to_one_form(typed, stored):
    assert fold(typed) == stored
    assert fold(stored) == stored


def test_a_name_written_apart_or_together_has_one_key():
    keys = {search_key(name) for name in ("عبدالله", "عبد الله", f"عبد{ZWNJ}الله", "عبد  الله", "عبدالله ")}
    assert keys == {"عبدالله"}


def test_a_query_is_its_folded_words():
    assert query_words("  محمّد  رضايي ") == ["محمد", "رضایی"]
    assert query_words(f"{ZWNJ} ") == []


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("۰۹۱۲ ۳۴۵ ۶۷۸۹", "09123456789"),
        ("+98 (912) 345-6789", "989123456789"),
        ("9826-0010-0000-0018", "9826001000000018"),
        ("٤٥٦٧", "4567"),
        ("0912.345", "0912345"),
    ],
)
def test_numbers_as_typed_give_their_digits(typed, digits):
    assert digits_only(typed) == digits


@pytest.mark.parametrize("typed", ["", "  ", "+-", "0912a", "علی 0912", "12_34", "12%", "١٢\u0966"])
def test_anything_but_a_number_has_no_digits(typed):
    assert digits_only(typed) is None


# Persian letters with their Arabic twins, harakat, ZWNJ and tatweel: the alphabet names are written in
_PERSIAN = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیآ"
_ARABIC_FOR_PERSIAN = {"ی": "ي", "ک": "ك", "ه": "ة"}
_NOISE = ["\u064e", "\u064f", "\u0650", "\u0651", "\u0652", ZWNJ, TATWEEL]


@given(st.text())
def test_folding_is_idempotent(text):
    once = fold(text)
    assert fold(once) == once
    assert search_key(search_key(text)) == search_key(text)


@given(st.lists(st.text(alphabet=_PERSIAN + " ", min_size=1), min_size=1, max_size=4), st.randoms())
def test_arabic_and_persian_spellings_fold_equal(words, rng):
    persian = " ".join(words)
    arabic = "".join(
        _ARABIC_FOR_PERSIAN.get(ch, ch) if rng.random() < 0.5 else ch for ch in persian
    )  # some letters as an Arabic keyboard types them
    noisy = "".join(ch + (rng.choice(_NOISE) if ch.strip() and rng.random() < 0.3 else "") for ch in arabic)
    assert fold(noisy) == fold(persian)
    assert search_key(noisy) == search_key(persian)


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_digits_in_any_script_fold_to_ascii(digits):
    persian = digits.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    arabic = digits.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert fold(persian) == fold(arabic) == digits
    assert digits_only(persian) == digits_only(arabic) == digits


def test_a_phone_is_kept_backwards_for_its_last_digits():
    assert reversed_digits("+989123456789") == "987654321989"
    assert reversed_digits("+98 ۹۱۲ ۳۴۵ ۶۷۸۹") == "987654321989"
    assert reversed_digits("+989123456789").startswith(reversed_digits("6789"))
