# SPDX-License-Identifier: GPL-3.0-or-later
"""app.argv: which arguments are refused before a command parses them, how the refusal shows them, and
the bounded number types. (The commands themselves are run with real argv bytes in
tests/integration/test_cli_argv.py and tests/server/test_cli_argv.py.)"""

from __future__ import annotations

import argparse
import os

import pytest

from app.argv import MAX_ARGUMENT_CHARS, argument_refusal, language_in, seconds, whole
from app.messages import message


def _shown(argv: list[str]) -> str:
    refused = argument_refusal(argv)
    assert refused is not None
    return str(refused.params["argument"])


def test_valid_text_of_any_script_passes() -> None:
    assert argument_refusal(["member", "add", "--name", "مریم‌ احمدی 😀", "--phone", "۰۹۱۲۱۲۳۴۵۶۷"]) is None
    assert argument_refusal(["x" * MAX_ARGUMENT_CHARS]) is None


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"bad\xffname", "--name bad\\xffname"),  # Latin-1 or any byte that is not UTF-8
        (b"\xed\xa0\x80", "--name \\xed\\xa0\\x80"),  # a surrogate encoded CESU-8 / WTF-8 style
        (b"\xc0\xaf", "--name \\xc0\\xaf"),  # an overlong encoding of "/"
    ],
)
def test_bytes_that_are_not_utf8_are_refused_and_shown_as_typed(raw: bytes, shown: str) -> None:
    argv = ["member", "add", "--name", os.fsdecode(raw)]  # as Python decodes a real argv
    refused = argument_refusal(argv)
    assert refused is not None and refused.code == "argument_not_text"
    assert _shown(argv) == shown


def test_nul_a_surrogate_never_a_byte_and_control_characters_are_one_line() -> None:
    assert _shown(["--reason", "a\x00b"]) == "--reason a\\x00b"
    assert _shown(["--reason", "a\ud800\nb"]) == "--reason a\\ud800\\x0ab"


def test_secrets_are_never_shown() -> None:
    assert _shown(["--pin", "12\udcff4"]) == "--pin …"
    assert _shown(["--code=AB\udcffC"]) == "--code=…"
    assert _shown(["/tmp/codes\udcff.yaml"]) == "/tmp/codes\\xff.yaml"  # a positional is not a secret


def test_an_argument_too_long_is_refused_with_its_length() -> None:
    refused = argument_refusal(["--name", "x" * 5_000])
    assert refused is not None and refused.code == "argument_too_long"
    assert message(refused, "en") == (
        "“--name " + "x" * 40 + "…” is 5,000 characters long; at most 4,096 are accepted. Nothing was done."
    )
    assert "۵٬۰۰۰" in message(refused, "fa")


def test_environment_variables_that_stand_for_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASHGAH_PIN", "99\udcff")
    monkeypatch.setenv("BASHGAH_DATA_DIR", "/tmp/\udcff")
    assert argument_refusal([], env=()) is None
    assert _env_shown(["BASHGAH_PIN"]) == "BASHGAH_PIN=…"
    assert _env_shown(["BASHGAH_DATA_DIR"]) == "BASHGAH_DATA_DIR=/tmp/\\xff"


def _env_shown(names: list[str]) -> str:
    refused = argument_refusal([], env=names)
    assert refused is not None
    return str(refused.params["argument"])


def test_the_language_is_read_before_the_parser() -> None:
    assert language_in(["--lang", "fa", "member"]) == "fa"
    assert language_in(["member", "--lang=en"]) == "en"
    assert language_in(["member", "--lang"]) is None


def test_whole_numbers_within_bounds() -> None:
    limit = whole(0, 10_000)
    assert limit("25") == 25 and limit("۲۵") == 25 and limit(" 7 ") == 7
    for text in ("-1", "10001", "9" * 30, "9" * 5_000, "1.5", "", "0x10"):
        with pytest.raises(argparse.ArgumentTypeError):
            limit(text)


def test_seconds_are_finite_and_within_bounds() -> None:
    wait = seconds(0, 86_400)
    assert wait("2.5") == 2.5 and wait("0") == 0
    for text in ("inf", "nan", "-1", "1e300", "9" * 400, "soon"):
        with pytest.raises(argparse.ArgumentTypeError):
            wait(text)
