# SPDX-License-Identifier: GPL-3.0-or-later
"""A new terminal's first fill: the member table's search indexes are built once, at the end.

A new terminal pulls the whole club (a million members) into an empty file. Keeping the indexes on a
member's name and phone up to date row by row cost about a third of writing the members; building them
once over the full table costs a fraction of that. So the first page of a pull into a store that holds
no member and has applied nothing drops them (`begin`), and the page that ends the pull builds them again
(`finish`), each in its page's transaction: the mark that the fill is under way (`sync_provisioning`, a
local setting no pull overwrites) commits with the drop, and is cleared with the rebuild. A fill cut short
anywhere (the process killed, the power cut) leaves the mark and the pages before it, and the next pull
goes on from its cursor the same way: nothing is lost, and the indexes come back when it ends. Opening
the file meanwhile works: a lookup by name or phone is slower until then, never wrong.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.schema import CreateIndex

from app.store import sync_state
from app.store.database import driver
from app.store.schema import MemberRow

PROVISIONING = "sync_provisioning"  # "1" while a first fill runs with the member indexes dropped
_INDEXES = tuple(sorted(MemberRow.__table__.indexes, key=lambda index: str(index.name)))


def under_way(conn: Connection) -> bool:
    return sync_state.get(conn, PROVISIONING) is not None


def begin(conn: Connection) -> bool:
    """Whether this page is part of a first fill (starting one if the store is empty): the caller then
    calls `finish` with the page that ends the pull."""
    if under_way(conn):
        return True
    raw = driver(conn)
    if sync_state.get_int(conn, sync_state.CURSOR) or raw.execute("SELECT 1 FROM member LIMIT 1").fetchone():
        return False
    for index in _INDEXES:
        raw.execute(f'DROP INDEX IF EXISTS "{index.name}"')
    sync_state.put(conn, PROVISIONING, 1)
    return True


def finish(conn: Connection) -> None:
    """The member table is whole: build its indexes (as the schema declares them) and clear the mark."""
    for index in _INDEXES:
        conn.execute(CreateIndex(index, if_not_exists=True))
    sync_state.put(conn, PROVISIONING, None)
