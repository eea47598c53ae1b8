# SPDX-License-Identifier: GPL-3.0-or-later
"""Command-line arguments as text, for both commands (`bashgah`, `bashgah-server`): the check each
`main` makes before it parses anything, and argparse types for numbers with bounds.

Python decodes argv with surrogateescape: bytes that are not UTF-8 (a Latin-1 `\\xff`, a surrogate
encoded CESU-8 style, `\\xed\\xa0\\x80`) become lone surrogates, text that raises UnicodeEncodeError
wherever it is encoded (SQLite, JSON, the database server), long after the command began its work. So an
argument that is not valid text (a lone surrogate; a NUL, which no real command line holds but a caller
of `main(argv)` may pass), or that is longer than any value the commands take (`MAX_ARGUMENT_CHARS`: paths
and URLs included), is refused before anything else, as one line in the user's language, exit 2. File
names too must be valid UTF-8: both ends store and print them.

Numbers: Python's int() refuses more than 4,300 digits with a ValueError, a float can be inf or nan, and
a huge count or version overflows SQLite's integers. `whole(lo, hi)` and `seconds(lo, hi)` make argparse
refuse those at parse time with its usual usage line and reason.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable, Sequence

from app.domain.errors import ClubError

MAX_ARGUMENT_CHARS = 4_096  # Linux's PATH_MAX; names, reasons and codes are far shorter
_SHOWN_CHARS = 40
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SECRET = re.compile(r"pin|code|token|password", re.IGNORECASE)  # option or variable names


def argument_refusal(argv: Sequence[str], env: Sequence[str] = ()) -> ClubError | None:
    """The refusal of the first argument, or environment variable of `env` (they stand in for arguments:
    `BASHGAH_PIN`, the data dir, the database URL), that is not valid text or is too long; else None."""
    given = [(argument, _shown(argv, i)) for i, argument in enumerate(argv)]
    given += [
        (os.environ[name], f"{name}={_value(name, os.environ[name])}") for name in env if name in os.environ
    ]
    for value, shown in given:
        if not _is_text(value):
            return ClubError("argument_not_text", argument=shown)
        if len(value) > MAX_ARGUMENT_CHARS:
            return ClubError("argument_too_long", argument=shown, length=len(value), limit=MAX_ARGUMENT_CHARS)
    return None


def language_in(argv: Sequence[str]) -> str | None:
    """What `--lang` says in argv (`--lang fa`, `--lang=fa`), before argparse has read it; else None."""
    for i, argument in enumerate(argv):
        if argument == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if argument.startswith("--lang="):
            return argument.removeprefix("--lang=")
    return None


def _is_text(argument: str) -> bool:
    if "\x00" in argument:
        return False
    try:
        argument.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: bytes that were not UTF-8
        return False
    return True


def _shown(argv: Sequence[str], i: int) -> str:
    """The argument as the user can read it in one line, with its option before it."""
    argument = argv[i]
    if i and argv[i - 1].startswith("--") and not argument.startswith("-"):
        return f"{argv[i - 1]} {_value(argv[i - 1], argument)}"
    if argument.startswith("--") and "=" in argument:
        option, value = argument.split("=", 1)
        return f"{option}={_value(option, value)}"
    return _value("", argument)


def _value(name: str, value: str) -> str:
    """A value as one readable line: bad bytes as `\\xff`, control characters escaped, cut short; a PIN
    or an enrolment code is not shown at all."""
    if _SECRET.search(name):
        return "…"
    try:
        raw = value.encode("utf-8", "surrogateescape")  # the bytes as typed
    except UnicodeEncodeError:  # a surrogate that was never a byte (main called with it)
        raw = value.encode("utf-8", "backslashreplace")
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", raw.decode("utf-8", "backslashreplace"))
    return text[:_SHOWN_CHARS] + "…" if len(text) > _SHOWN_CHARS else text


def whole(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse type: a whole number from lo to hi."""

    def parse(text: str) -> int:
        digits = text.strip()
        if not re.fullmatch(r"[+-]?\d{1,20}", digits) or not lo <= int(digits) <= hi:
            raise argparse.ArgumentTypeError(
                f"a whole number from {lo} to {hi:,} is expected, not {text[:40]!r}"
            )
        return int(digits)

    return parse


def seconds(lo: float, hi: float) -> Callable[[str], float]:
    """An argparse type: a number of seconds from lo to hi (never inf or nan)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and lo <= value <= hi):
            raise argparse.ArgumentTypeError(f"seconds from {lo:g} to {hi:g} are expected, not {text[:40]!r}")
        return value

    return parse
