# SPDX-License-Identifier: GPL-3.0-or-later
"""`Database.write` on a real PostgreSQL: a unit of work that lost a race on a unique index is run again
and takes the path its re-read shows, instead of failing the request."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, exc, text

from sync.server.db import Database
from tests.support.postgres import PostgresCluster


@pytest.fixture
def pg(postgres: PostgresCluster) -> Iterator[Database]:
    url = postgres.create_database()
    db = Database(url)
    table = "CREATE TABLE answer (key TEXT PRIMARY KEY, body TEXT NOT NULL)"
    db.write(lambda conn: conn.execute(text(table)))
    try:
        yield db
    finally:
        db.dispose()
        postgres.drop_database(url)


def test_a_copy_that_lost_the_race_is_run_again_and_finds_the_stored_answer(pg):
    """Both copies look before either inserts (a barrier makes sure of it); the loser's insert breaks
    the primary key once the winner commits, and its re-run finds the winner's row."""
    both_looked = threading.Barrier(2)
    runs: list[str] = []
    answers: list[str] = []

    def remember(conn: Connection) -> str:
        stored = conn.execute(text("SELECT body FROM answer WHERE key = 'k'")).scalar_one_or_none()
        first_run = len(runs) < 2
        runs.append("found" if stored else "missed")
        if stored is not None:
            return str(stored)
        if first_run:
            both_looked.wait(30)
        body = f"made by {threading.get_ident()}"
        conn.execute(text("INSERT INTO answer VALUES ('k', :body)"), {"body": body})
        return body

    threads = [threading.Thread(target=lambda: answers.append(pg.write(remember))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(runs) == ["found", "missed", "missed"]
    assert len(answers) == 2 and answers[0] == answers[1]


def test_a_real_conflict_is_still_refused_after_its_re_runs(pg):
    attempts: list[int] = []

    def clash(conn: Connection) -> None:
        attempts.append(1)
        conn.execute(text("INSERT INTO answer VALUES ('same', 'x'), ('same', 'y')"))

    with pytest.raises(exc.IntegrityError):
        pg.write(clash)
    assert len(attempts) == 3  # the first run and UNIQUE_RETRIES re-runs, then the refusal stands
