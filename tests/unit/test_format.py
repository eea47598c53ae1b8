# SPDX-License-Identifier: GPL-3.0-or-later
"""The screen's number and list helpers (app.format): what is isolated, in which digits, with which marks.

A number inside an LRI … PDI stays whole and left to right in a Persian sentence; a name inside an
FSI … PDI keeps its own direction and cannot pull the number after it into its run; lists are separated by
commas and semicolons of the language, never by a middle dot (read as the Persian zero)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.format import (
    FSI,
    LRI,
    PDI,
    card_number_text,
    clause_separator,
    isolated,
    list_separator,
    listed,
    multiplier_text,
    name_isolated,
    number,
    percent_text,
    points_text,
    toman_text,
)

DOTS = "\u00b7\u2022\u22c5\u2219"
LATIN_DIGIT = re.compile("[0-9]")
PERSIAN_DIGIT = re.compile("[۰-۹]")


def inside_isolate(text: str) -> str:
    """The text between the first isolate and its PDI; fails when the text is not exactly one isolate
    followed by plain words."""
    assert text[0] in (LRI, FSI) and PDI in text, text
    return text[1 : text.index(PDI)]


@pytest.mark.parametrize(
    ("percent", "fa", "en"),
    [(125, "×۱٫۲۵", "×1.25"), (150, "×۱٫۵", "×1.5"), (200, "×۲", "×2"), (105, "×۱٫۰۵", "×1.05")],
)
def test_a_multiplier_is_one_left_to_right_run_in_the_languages_digits(percent, fa, en):
    assert multiplier_text(percent, "fa") == f"{LRI}{fa}{PDI}"
    assert multiplier_text(percent, "en") == f"{LRI}{en}{PDI}"


def test_a_percentage_has_the_persian_percent_sign_in_persian():
    assert percent_text(5, "fa") == "۵٪"
    assert percent_text("2.5", "fa") == "۲٫۵٪"  # the Persian decimal separator too
    assert percent_text(5, "en") == "5%"
    assert "%" not in percent_text(50, "fa")


def test_list_and_clause_separators_are_the_languages_and_never_a_dot():
    assert list_separator("fa") == "، " and clause_separator("fa") == "؛ "
    assert list_separator("en") == ", " and clause_separator("en") == "; "
    for lang in ("fa", "en"):
        assert not any(dot in list_separator(lang) + clause_separator(lang) for dot in DOTS)
    assert listed(["بسته‌بندی هدیه", "ارسال رایگان"], "fa") == "بسته‌بندی هدیه، ارسال رایگان"
    assert listed(["Gift wrap", "Free delivery"], "en") == "Gift wrap, Free delivery"


def test_names_keep_their_direction_and_numbers_stay_left_to_right():
    assert name_isolated("John Smith") == f"{FSI}John Smith{PDI}"
    assert isolated("T1-000004") == f"{LRI}T1-000004{PDI}"
    assert card_number_text("9826000000000029") == f"{LRI}9826 0000 0000 0029{PDI}"


@settings(max_examples=100)
@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_amounts_and_points_are_isolated_in_the_languages_digits_only(value):
    for text, unit_fa, unit_en in (
        (lambda lang: toman_text(value, lang), "تومان", "Toman"),
        (lambda lang: points_text(value, lang), "امتیاز", "points"),
    ):
        persian, english = text("fa"), text("en")
        assert persian.endswith(f"{PDI} {unit_fa}") and english.endswith(f"{PDI} {unit_en}")
        assert not LATIN_DIGIT.search(persian) and PERSIAN_DIGIT.search(inside_isolate(persian))
        assert not PERSIAN_DIGIT.search(english) and LATIN_DIGIT.search(inside_isolate(english))
        assert "," not in persian and "٬" not in english  # each language's grouping mark


def test_grouping_marks_differ_from_the_list_comma():
    """The thousands separator (٬) and the Persian comma (،) are different letters: a list of amounts
    stays readable."""
    assert "٬" in number(1_250_000, "fa") and "،" not in number(1_250_000, "fa")
