# SPDX-License-Identifier: GPL-3.0-or-later
"""Every refusal the code can raise has a message in both languages, with the same placeholders."""

import ast
import string
from pathlib import Path

import pytest

from app.domain.errors import ClubError
from app.messages import MESSAGES, language, message

APP = Path(__file__).resolve().parents[2] / "app"


def raised_codes() -> set[str]:
    codes = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ClubError"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                codes.add(node.args[0].value)
    return codes


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_raised_code_has_a_message():
    missing = raised_codes() - set(MESSAGES)
    assert not missing, f"codes without a message: {sorted(missing)}"


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_both_languages_use_the_same_placeholders(code):
    english, persian = MESSAGES[code]
    assert fields(english) == fields(persian)
    assert english.strip() and persian.strip()


def test_numbers_are_grouped_and_persian_digits_in_persian():
    error = ClubError("insufficient_points", requested=1500, balance=1200)
    assert message(error, "en") == "The member has 1,200 points; 1,500 cannot be spent."
    assert "۱٬۲۰۰" in message(error, "fa")


def test_language_follows_the_locale(monkeypatch):
    monkeypatch.delenv("BASHGAH_LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "fa_IR.UTF-8")
    assert language() == "fa"
    assert language("en") == "en"
    monkeypatch.setenv("BASHGAH_LANG", "en")
    assert language() == "en"
