# SPDX-License-Identifier: GPL-3.0-or-later
"""The server sequence under concurrent writers: a reader's cursor never skips a row.

Numbers become visible in number order only if they are handed out under one lock held until commit
(sync.server.sequence). First a schedule that shows it step by step, then a stress run: several threads
push entries and publish changes at once, each on its own connection, while a reader pulls in a tight
loop from its cursor and must end up having seen every number exactly once, in order. Last, on
PostgreSQL, the same schedule with a SEQUENCE shows the skip this design exists to prevent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import text

from sync.protocol import PushRequest
from sync.server import members, pull, push
from sync.server.sequence import Publisher, current
from tests.server.club import T0, enroll, member, new_id

WRITERS = 6
PUSHES_PER_WRITER = 25
# SQLite serialises writers on its file lock whatever our lock does, and each round there waits out the
# others' commits (the whole run took 200+ s of the suite's 30 min): fewer rounds show the same.
SQLITE_PUSHES_PER_WRITER = 6


def _rounds(db) -> int:
    return SQLITE_PUSHES_PER_WRITER if db.engine.dialect.name == "sqlite" else PUSHES_PER_WRITER
WAIT_S = 30


def _publish_member(conn, m) -> None:
    pub = Publisher(T0)
    members.put_member(conn, pub, m)
    pub.flush(conn)


def _seqs(db, since: int) -> list[int]:
    with db.read() as conn:
        return [c["seq"] for c in pull.page(conn, since, 1000, T0)["changes"]]


def test_a_second_writer_waits_for_the_first_to_commit_before_it_gets_a_number(club_db):
    with club_db.read() as conn:
        start = current(conn)
    numbered, resume, second_done = threading.Event(), threading.Event(), threading.Event()

    def slow(conn) -> None:
        _publish_member(conn, member())  # numbered: the counter row is now locked to commit
        numbered.set()
        assert resume.wait(WAIT_S)

    def fast() -> None:
        club_db.write(lambda conn: _publish_member(conn, member()))
        second_done.set()

    first = threading.Thread(target=lambda: club_db.write(slow))
    first.start()
    assert numbered.wait(WAIT_S)
    second = threading.Thread(target=fast)
    second.start()
    assert not second_done.wait(0.5)  # it waits on the counter (PostgreSQL) or the file lock (SQLite)
    assert _seqs(club_db, start) == []  # nothing is visible: no later number overtook an earlier one
    resume.set()
    first.join(WAIT_S)
    second.join(WAIT_S)
    assert second_done.is_set()
    assert _seqs(club_db, start) == [start + 1, start + 2]


def test_a_pulling_cursor_never_skips_a_row_under_concurrent_writers(club_db):
    terminals = [enroll(club_db) for _ in range(WRITERS)]
    rounds = _rounds(club_db)
    own = [member() for _ in terminals]  # a member each: pushes contend only for the counter
    for m in own:
        club_db.write(lambda conn, m=m: _publish_member(conn, m))
    with club_db.read() as conn:
        start = current(conn)
    errors: list[BaseException] = []
    done = threading.Event()
    seen: list[int] = []

    def writer(index: int) -> None:
        terminal, m = terminals[index], own[index]
        try:
            for n in range(rounds):
                request = PushRequest(
                    device_id=terminal.device_id, entries=[terminal.entry(m.id), terminal.entry(m.id)]
                )
                club_db.write(lambda conn, r=request, at=T0 + n: push.push(conn, terminal.device_id, r, at))
                club_db.write(
                    lambda conn: _publish_member(conn, member())
                )  # another kind, its own transaction
        except BaseException as error:  # reported by the test thread
            errors.append(error)

    def reader() -> None:
        cursor = start
        try:
            while True:
                finished = done.is_set()  # read before pulling: one last full pass after the writers end
                with club_db.read() as conn:
                    page = pull.page(conn, cursor, 7, T0)
                seen.extend(c["seq"] for c in page["changes"])
                cursor = page["next_cursor"]
                if finished and not page["more"]:
                    return
        except BaseException as error:
            errors.append(error)

    _writers_then_reader(writer, WRITERS, reader, done)
    assert not errors, errors
    with club_db.read() as conn:
        end = current(conn)
    assert end - start == WRITERS * rounds * 3  # two entries and a member change per round
    assert seen == list(range(start + 1, end + 1))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_with_a_postgresql_sequence_the_same_schedule_skips_a_row(db):
    """Why the counter row: a SEQUENCE hands n to one transaction and n+1 to another, in any commit order."""
    with db.engine.begin() as conn:
        conn.execute(text("CREATE SEQUENCE demo_seq; CREATE TABLE demo_log (seq bigint primary key)"))
    numbered, resume = threading.Event(), threading.Event()

    def slow() -> None:
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO demo_log VALUES (nextval('demo_seq'))"))  # takes 1
            numbered.set()
            assert resume.wait(WAIT_S)

    first = threading.Thread(target=slow)
    first.start()
    assert numbered.wait(WAIT_S)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO demo_log VALUES (nextval('demo_seq'))"))  # takes 2, commits first
    with db.engine.connect() as conn:
        cursor = conn.execute(text("SELECT max(seq) FROM demo_log")).scalar_one()  # a reader sees 2
    resume.set()
    first.join(WAIT_S)
    with db.engine.connect() as conn:
        later = conn.execute(text("SELECT seq FROM demo_log WHERE seq > :c"), {"c": cursor}).scalars().all()
    assert cursor == 2 and later == []  # 1 committed behind the cursor: that reader never sees it


BATCH = 20


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_pushes_numbered_before_their_insert_stay_gap_free_under_concurrency(club_db, monkeypatch):
    """A push takes its numbers before its one insert (sync.server.push `_store`), and gives them back
    through a savepoint when the insert keeps a row out after all. Writers push batches at once, some of
    them blind to what is stored so that their inserts do keep rows out; a reader pulls all the while. It
    must see every number exactly once, in order, and each accepted entry under the number its push
    answered."""
    terminals = [enroll(club_db) for _ in range(4)]
    own = [member() for _ in terminals]
    for m in own:
        club_db.write(lambda conn, m=m: _publish_member(conn, m))
    blind = {terminals[0].device_id, terminals[1].device_id}  # their pushes do not see what they sent before
    load_known = push._load_known

    def known(conn, device_id, entries, **kwargs):
        found = load_known(conn, device_id, entries, **kwargs)
        return type(found)({}, {}, {}, {}) if device_id in blind else found

    monkeypatch.setattr(push, "_load_known", known)
    with club_db.read() as conn:
        start = current(conn)
    errors: list[BaseException] = []
    answered: dict[str, int] = {}  # entry id → the number its push answered
    kept_out: list[str] = []  # re-sent entries a blind writer's push kept out (the first by a rollback)
    done = threading.Event()
    seen: list[tuple[int, str | None]] = []

    def writer(index: int) -> None:
        terminal, m = terminals[index], own[index]
        try:
            sent: list = []
            for n in range(8):
                # the last two sent again: duplicates, or for a blind writer a row its insert keeps out and
                # one already set aside
                batch = sent[-2:] + [terminal.entry(m.id) for _ in range(BATCH)]
                batch.append(terminal.entry(new_id()))  # a member nobody knows: set aside and published
                request = PushRequest(device_id=terminal.device_id, entries=batch)
                answer = club_db.write(
                    lambda conn, r=request, at=T0 + n: push.push(conn, terminal.device_id, r, at)
                )
                for result in answer.entries:
                    if result.outcome == "accepted":
                        answered[result.id] = result.server_seq
                    elif result.outcome == "conflict":
                        kept_out.append(result.id)
                sent = batch
        except BaseException as error:  # reported by the test thread
            errors.append(error)

    def reader() -> None:
        cursor = start
        try:
            while True:
                finished = done.is_set()
                with club_db.read() as conn:
                    page = pull.page(conn, cursor, 13, T0)
                changes = page["changes"]
                seen.extend((c["seq"], c["entry"]["id"] if c["kind"] == "entry" else None) for c in changes)
                cursor = page["next_cursor"]
                if finished and not page["more"]:
                    return
        except BaseException as error:
            errors.append(error)

    _writers_then_reader(writer, len(terminals), reader, done)
    assert not errors, errors
    with club_db.read() as conn:
        end = current(conn)
    assert [seq for seq, _ in seen] == list(range(start + 1, end + 1))
    assert len(answered) == len(terminals) * 8 * BATCH  # every new entry accepted, once
    assert len(kept_out) == len(blind) * 7 * 2  # each blind re-send went through the savepoint
    assert {entry_id: seq for seq, entry_id in seen if entry_id} == answered


def _writers_then_reader(
    writer: Callable[[int], None], writers: int, reader: Callable[[], None], done: threading.Event
) -> None:
    """Run the writers against a reader already pulling; `done` tells the reader the writers have ended.

    No deadline of our own: on a busy machine six SQLite writers took longer than the 120 s once, and a count
    was then taken before they ended. A writer that hangs meets pytest-timeout instead."""
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    pulling = threading.Thread(target=reader)
    pulling.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    pulling.join()
