# SPDX-License-Identifier: GPL-3.0-or-later
"""What the command line prints: JSON or text in the user's language, and the argument parsing helpers."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.domain.balance import MemberBalance
from app.domain.digits import to_latin_digits
from app.domain.errors import ClubError
from app.domain.ledger import LedgerEntry
from app.messages import language, shown_number, word

if TYPE_CHECKING:
    from app.domain.staff import Staff
    from app.services.terminal import Terminal

EXIT_REFUSED = 2  # bad input or a rule said no
EXIT_STORAGE = 3  # the data file is busy, damaged or missing
EXIT_LEDGER_BROKEN = 1
STORAGE_CODES = {"database_busy", "database_corrupt", "database_unavailable"}


def default_data_dir() -> Path:
    env = os.environ.get("BASHGAH_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("bashgah", appauthor=False))


def iso_utc(us: int) -> str:
    return (
        datetime.fromtimestamp(us // 1_000_000, tz=UTC)
        .replace(microsecond=us % 1_000_000)
        .strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    )


def local_time(us: int) -> str:
    """Stored times are UTC; people read local time."""
    return datetime.fromtimestamp(us // 1_000_000, tz=UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def balance_json(balance: MemberBalance) -> dict[str, Any]:
    data = asdict(balance)
    data["last_activity"] = iso_utc(balance.last_activity_us) if balance.last_activity_us else None
    del data["last_activity_us"]
    return data


def entry_json(entry: LedgerEntry, unsynced: bool | None = None) -> dict[str, Any]:
    data = {
        "id": entry.id,
        "kind": entry.kind.value,
        "created_at": iso_utc(entry.created_at_us),
        "points_delta": entry.points_delta,
        "cash_delta": entry.cash_delta,
        "sale_amount": entry.sale_amount,
        "discount_rials": entry.discount_rials,
        "invoice": entry.invoice_ref,
        "reason": entry.reason,
        "reverses": entry.reverses,
        "branch_id": entry.branch_id,
        "device_id": entry.device_id,
        "device_seq": entry.device_seq,
    }
    if unsynced is not None:
        data["unsynced"] = unsynced
    return data


class Output:
    """Prints a result as JSON or as text in the user's language."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.json = bool(getattr(args, "json", False))
        self.lang = language(getattr(args, "lang", None))

    def t(self, english: str, persian: str, **params: Any) -> str:
        shown = {
            k: shown_number(v, self.lang) if isinstance(v, int) and not isinstance(v, bool) else v
            for k, v in params.items()
        }
        return (persian if self.lang == "fa" else english).format(**shown)

    def word(self, code: str) -> str:
        """A stored code (an entry kind, a role, a reader or card state) as a word of the user's language."""
        return word(code, self.lang)

    def when(self, us: int) -> str:
        """A stored UTC time as local time: Jalali with Persian digits in Persian (app.format)."""
        from app.format import datetime_text

        return datetime_text(us, self.lang) if self.lang == "fa" else local_time(us)

    def day(self, us: int) -> str:
        """The local date of a stored UTC time, Jalali in Persian."""
        from app.format import date_text, local_datetime

        return date_text(local_datetime(us).date(), self.lang)

    def signed(self, value: int) -> str:
        """+15 / -15, grouped, in the user's digits."""
        return ("+" if value > 0 else "-" if value < 0 else "") + shown_number(abs(value), self.lang)

    def refuse(self, code: str, text: str, exit_code: int) -> int:
        """A refusal: one line on stderr, or with --json one error object on stdout (where a script reads
        the result: it gets an object either way, and the exit code says which)."""
        if self.json:
            return self.refusal_json(code, text, exit_code)
        print(f"bashgah: {text}", file=sys.stderr)
        return exit_code

    @staticmethod
    def refusal_json(code: str, text: str, exit_code: int) -> int:
        print(json.dumps({"error": {"code": code, "message": text, "exit": exit_code}}, ensure_ascii=False))
        return exit_code

    def emit(self, data: dict[str, Any], lines: Sequence[str]) -> None:
        if self.json:
            print(json.dumps(data, ensure_ascii=False, sort_keys=True))
        else:
            print("\n".join(lines))


def parse_whole(text: str | None, code: str, field: str) -> int | None:
    """A whole number as people type it: grouping commas and Persian digits allowed, nothing else; at
    most 18 digits (beyond any amount, and int() refuses thousands with a ValueError)."""
    if text is None:
        return None
    cleaned = re.sub(r"[,_\s٬]", "", to_latin_digits(text))
    if not re.fullmatch(r"-?\d{1,18}", cleaned):
        raise ClubError(code, field=field, value=text)
    return int(cleaned)


def read_at_most(path: str, limit: int) -> bytes:
    """A file given on the command line, read no further than one byte past `limit`: the caller refuses
    what is longer, and a huge file (or /dev/zero) costs no more than that."""
    with open(path, "rb") as file:
        return file.read(limit + 1)


def parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(to_latin_digits(text).strip())
    except ValueError:
        raise ClubError("invalid_birth_date", birth_date=text) from None


def terminal_from_args(args: argparse.Namespace) -> Terminal:
    """The terminal of --data-dir; with no database there, refused without making one (a mistyped data
    dir must not leave an empty database behind, nor a folder)."""
    from app.services.terminal import open_terminal
    from app.store.database import DB_FILENAME

    if not (Path(args.data_dir) / DB_FILENAME).is_file():
        raise ClubError("club_not_set_up", data_dir=str(args.data_dir))
    return open_terminal(args.data_dir)


# who a command needs when --staff is missing: its role check comes after the PIN, in the use case
STAFF_NEEDED = {"manager": "staff_required", "host": "staff_required_host", "any": "staff_required_any"}


def staff_from_args(args: argparse.Namespace, required: bool = False, who: str = "manager") -> Staff | None:
    from app.services.staff_auth import authenticate

    key = getattr(args, "staff", None)
    if not key:
        if required:
            raise ClubError(STAFF_NEEDED[who])
        return None
    pin = getattr(args, "pin", None) or os.environ.get("BASHGAH_PIN", "")
    return authenticate(terminal_from_args(args), key, pin)
