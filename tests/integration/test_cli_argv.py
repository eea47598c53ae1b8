# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah` given hostile text: the installed console script, run with real argv bytes (and environment
bytes) on a seeded data dir. Bytes that are not UTF-8 were a UnicodeEncodeError traceback and exit 1 (the
code the README keeps for a broken ledger) once the text reached SQLite; now one line in the user's
language, exit 2, before anything is read or written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.store.database import DB_FILENAME
from tests.support.club import CASHIER, MANAGER, MANAGER_PIN, make_club
from tests.support.console import one_line_refusal, run_script

pytestmark = pytest.mark.timeout(120)

PHONE = "09121112233"


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, str]:
    """A data dir with a member and a sale; the sale's entry id (something a manager could reverse)."""
    directory = tmp_path / "data"
    terminal = make_club(directory)
    member = enroll_member(terminal, EnrollRequest(name="مریم احمدی", phone=PHONE)).member
    sale = record_sale(terminal, SaleRequest(member_id=member.id, amount_rials=2_000_000, staff=CASHIER))
    terminal.db.close()
    return directory, sale.sale_id


def state(data_dir: Path) -> tuple[list[tuple], list[tuple]]:
    with sqlite3.connect(data_dir / DB_FILENAME) as conn:
        members = conn.execute("SELECT * FROM member ORDER BY id").fetchall()
        entries = conn.execute("SELECT id FROM ledger_entry ORDER BY id").fetchall()
    return members, entries


def bashgah(
    data_dir: Path, *args: bytes, env: dict[bytes, bytes] | None = None
) -> subprocess.CompletedProcess:
    return run_script("bashgah", b"--data-dir", os.fsencode(data_dir), *args, env=env)


def refused_in_one_line(data_dir: Path, *args: bytes, env: dict[bytes, bytes] | None = None) -> str:
    """The command is refused in one line, with the member and ledger tables as they were; the line."""
    before = state(data_dir)
    line = one_line_refusal(bashgah(data_dir, *args, env=env), "bashgah")
    assert state(data_dir) == before
    return line


def test_a_name_with_bytes_that_are_not_utf8_is_refused(seeded):
    data_dir, _ = seeded
    line = refused_in_one_line(
        data_dir, b"member", b"add", b"--name", b"bad\xffname", b"--phone", b"09120000001"
    )
    assert "--name bad\\xffname" in line and "not valid text" in line


def test_an_encoded_surrogate_in_a_reason_is_refused(seeded):
    """CESU-8 / WTF-8 writes a UTF-16 surrogate as \\xed\\xa0\\x80: not UTF-8 either."""
    data_dir, entry = seeded
    line = refused_in_one_line(
        data_dir,
        b"reverse", entry.encode(), b"--reason", b"\xed\xa0\x80",
        b"--staff", MANAGER.name.encode(), b"--pin", MANAGER_PIN.encode(),
    )  # fmt: skip
    assert "--reason \\xed\\xa0\\x80" in line


def test_the_refusal_is_in_the_users_language(seeded):
    data_dir, _ = seeded
    line = refused_in_one_line(
        data_dir, b"--lang", b"fa", b"member", b"add", b"--name", b"\xff", b"--phone", b"09120000001"
    )
    assert "متن معتبری نیست" in line
    by_environment = refused_in_one_line(
        data_dir,
        b"member",
        b"add",
        b"--name",
        b"\xff",
        b"--phone",
        b"09120000001",
        env={b"BASHGAH_LANG": b"fa"},
    )
    assert by_environment == line


def test_a_pin_from_the_environment_is_checked_too_and_never_shown(seeded):
    data_dir, entry = seeded
    line = refused_in_one_line(
        data_dir,
        b"reverse", entry.encode(), b"--reason", b"wrong sale", b"--staff", MANAGER.name.encode(),
        env={b"BASHGAH_PIN": b"99\xff9"},
    )  # fmt: skip
    assert "BASHGAH_PIN=…" in line and "99" not in line
    line = refused_in_one_line(data_dir, b"sale", PHONE.encode(), b"--amount", b"1000", b"--pin", b"\xff9999")
    assert "--pin …" in line and "9999" not in line


def test_an_argument_longer_than_any_value_is_refused(seeded):
    data_dir, _ = seeded
    line = refused_in_one_line(
        data_dir, b"member", b"add", b"--name", b"x" * 5_000, b"--phone", b"09120000001"
    )
    assert "5,000 characters" in line and "4,096" in line


@pytest.mark.parametrize(
    "args",
    [
        [b"rules", b"show", b"--version", b"abc"],  # int() inside the command: a ValueError
        [b"member", b"show", PHONE.encode(), b"--limit", b"9" * 30],  # beyond SQLite's integers
        [b"card", b"read", b"--reader", b"demo", b"--timeout", b"inf"],  # an OverflowError in the wait
        [b"card", b"read", b"--reader", b"demo", b"--timeout", b"nan"],
        [b"sale", PHONE.encode(), b"--amount", b"9" * 5_000],  # int() refuses more than 4,300 digits
        [
            b"event",
            b"create",
            b"--name",
            b"x",
            b"--starts",
            b"0001-01-01T00:00",
            b"--ends",
            b"0001-01-01T01:00",
            b"--staff",
            MANAGER.name.encode(),
            b"--pin",
            MANAGER_PIN.encode(),
        ],  # a local time before year 1 in UTC
    ],
    ids=["version-abc", "limit-30-digits", "timeout-inf", "timeout-nan", "amount-5000-digits", "year-1"],
)
def test_numbers_and_times_out_of_range_are_refusals_not_tracebacks(seeded, args):
    data_dir, _ = seeded
    before = state(data_dir)
    result = bashgah(data_dir, *args)
    err = result.stderr.decode("utf-8")
    assert result.returncode == 2 and "Traceback" not in err, err
    assert state(data_dir) == before


def test_a_photo_file_is_read_no_further_than_its_limit(seeded):
    """--photo /dev/zero read the file whole: memory until the process was killed."""
    data_dir, _ = seeded
    line = refused_in_one_line(
        data_dir, b"member", b"add", b"--name", b"Sara", b"--phone", b"09120000001", b"--photo", b"/dev/zero"
    )
    assert "JPEG of at most 512 KB" in line
