# SPDX-License-Identifier: GPL-3.0-or-later
"""The sale's bare-driver transaction (`Database.write_driver`): same durability, same all-or-nothing."""

from __future__ import annotations

import sqlite3

import pytest

from app.domain.errors import ClubError
from app.store.database import Database


@pytest.fixture
def db(terminal):
    return terminal.db


def _settings(conn: sqlite3.Connection) -> tuple[object, ...]:
    return tuple(
        conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("journal_mode", "synchronous", "foreign_keys")
    )


def _settings_count(db: Database) -> int:
    with db.write_driver() as conn:
        return conn.execute("SELECT count(*) FROM setting").fetchone()[0]


def test_durability_settings(db):
    with db.write_driver() as conn:
        assert _settings(conn) == ("wal", 2, 1)  # WAL, synchronous=FULL, foreign keys on
        assert conn.in_transaction


def test_commits_when_the_block_ends(db):
    before = _settings_count(db)
    with db.write_driver() as conn:
        conn.execute("INSERT INTO setting (key, value) VALUES ('hot', 'path')")
    assert _settings_count(db) == before + 1
    with db.read() as conn:
        assert conn.connection.driver_connection.execute(
            "SELECT value FROM setting WHERE key = 'hot'"
        ).fetchone() == ("path",)


def test_rolls_back_when_the_block_raises_and_reuses_the_connection(db):
    before = _settings_count(db)
    with pytest.raises(RuntimeError), db.write_driver() as conn:
        first = conn
        conn.execute("INSERT INTO setting (key, value) VALUES ('half', 'done')")
        raise RuntimeError("boom")
    assert not first.in_transaction
    with db.write_driver() as conn:
        assert conn is first  # back in the pool, out of any transaction
        assert conn.execute("SELECT count(*) FROM setting").fetchone()[0] == before


def test_a_failed_commit_rolls_back(db):
    before = _settings_count(db)
    with pytest.raises(sqlite3.IntegrityError), db.write_driver() as conn:
        conn.execute("PRAGMA defer_foreign_keys = ON")  # the violation surfaces at COMMIT
        conn.execute(
            "INSERT INTO card_revocation (id, card_number, status, reason, at_us)"
            " VALUES ('r1', 'no such card', 'revoked', 'test', 0)"
        )
    assert _settings_count(db) == before


def test_a_held_lock_is_database_busy(terminal):
    db = Database(terminal.db.path, busy_timeout_ms=50)
    other = sqlite3.connect(terminal.db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(ClubError) as refused, db.write_driver():
            pass
        assert refused.value.code == "database_busy"
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert _settings_count(db) >= 0  # the connection that met the lock is still usable
    db.close()


def test_close_closes_the_idle_connections(terminal):
    db = Database(terminal.db.path)
    with db.write_driver() as conn:
        pass
    db.close()
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("SELECT 1")
