# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah-server` given hostile text: the installed console script with real argv (and environment)
bytes. Bytes that are not UTF-8 were a UnicodeEncodeError traceback and exit 1 once they reached the
database; now one line, exit 2, before the database is opened."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from sync.server.db import Database
from sync.server.models import ADMIN_TOKEN, AUDIT, CHANGE, ENROLLMENT_CODE, EVENT
from tests.support.console import one_line_refusal, run_script

pytestmark = pytest.mark.timeout(120)


def server(url: str, *args: bytes, env: dict[bytes, bytes] | None = None) -> subprocess.CompletedProcess:
    return run_script("bashgah-server", *([b"--db", url.encode()] if url else []), *args, env=env)


def rows(db: Database) -> tuple[Any, ...]:
    with db.read() as conn:
        return tuple(
            conn.execute(table.select()).fetchall()
            for table in (ADMIN_TOKEN, ENROLLMENT_CODE, EVENT, CHANGE, AUDIT)
        )


def refused_in_one_line(db: Database, *args: bytes, env: dict[bytes, bytes] | None = None) -> str:
    url = db.url.render_as_string(hide_password=False)
    before = rows(db)
    line = one_line_refusal(server(url, *args, env=env), "bashgah-server")
    assert rows(db) == before
    return line


def test_bytes_that_are_not_utf8_are_refused_before_the_database(club_db: Database):
    line = refused_in_one_line(club_db, b"admin", b"create", b"--name", b"bad\xffname", b"--role", b"admin")
    assert "--name bad\\xffname" in line and "not valid text" in line
    line = refused_in_one_line(club_db, b"enrollment-code", b"--branch", b"T\xed\xa0\x80")
    assert "--branch T\\xed\\xa0\\x80" in line
    refused_in_one_line(club_db, b"admin", b"revoke", b"\xff")
    refused_in_one_line(
        club_db, b"event", b"create", b"--name", b"\xc0\xaf", b"--starts", b"2026-12-01T18:00",
        b"--ends", b"2026-12-01T23:00",
    )  # fmt: skip


def test_the_refusal_is_in_the_users_language(club_db: Database):
    line = refused_in_one_line(
        club_db, b"admin", b"create", b"--name", b"\xff", b"--role", b"admin", env={b"BASHGAH_LANG": b"fa"}
    )
    assert "متن معتبری نیست" in line


def test_a_database_url_in_the_environment_is_checked_too(tmp_path):
    result = server("", b"admin", b"list", env={b"BASHGAH_SERVER_DB": b"sqlite:////tmp/\xff.sqlite3"})
    err = result.stderr.decode("utf-8")
    assert result.returncode == 2 and len(err.strip().splitlines()) == 1, err
    assert "BASHGAH_SERVER_DB=sqlite:////tmp/\\xff.sqlite3" in err


@pytest.mark.parametrize(
    "args",
    [
        [b"rules", b"show", b"--version", b"9" * 30],  # beyond SQLite's integers: an OverflowError
        [b"rules", b"export", b"--version", b"9" * 30],
        [
            b"event",
            b"create",
            b"--name",
            b"x",
            b"--starts",
            b"0001-01-01T00:00",
            b"--ends",
            b"0001-01-01T01:00",
        ],
        [b"admin", b"create", b"--name", b"x" * 5_000, b"--role", b"admin"],
    ],
    ids=["show-version", "export-version", "year-1", "5000-characters"],
)
def test_values_out_of_range_are_refusals_not_tracebacks(club_db: Database, args: list[bytes]):
    before = rows(club_db)
    result = server(club_db.url.render_as_string(hide_password=False), *args)
    err = result.stderr.decode("utf-8")
    assert result.returncode == 2 and "Traceback" not in err, err
    assert rows(club_db) == before
