# SPDX-License-Identifier: GPL-3.0-or-later
"""The server sequence: one counter row, taken as the last step before commit.

A transaction that publishes anything collects what it publishes in a `Publisher` (changes for the
`change` log, ledger entries it inserted) and calls `flush` just before it commits. `flush` takes
`UPDATE sync_counter SET value = value + n RETURNING value`: the row lock is held until commit, so a
second publisher waits there until the first has committed, and numbers become visible in number order.
A pull cursor therefore never skips a row that commits later with a smaller number (a PostgreSQL
SEQUENCE would allow exactly that under concurrent writers). On SQLite the one writer gives the same.

A push takes the numbers a step earlier (`number`), once everything it will publish is decided, and
inserts its entries with their numbers already in them: one write of each row instead of an insert and an
update. The lock is then held for that insert and the commit, as long as the update held it before.

Numbers are dense: a transaction that rolls back gives its numbers back with the counter row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from sync.server.models import CHANGE, COUNTER, ENTRY

COUNTER_ID = 1


@dataclass(slots=True)
class _Change:
    kind: str
    member_id: str | None
    body: dict[str, Any]


@dataclass(slots=True)
class Publisher:
    """What one transaction publishes, in the order terminals must apply it."""

    at_us: int
    _order: list[_Change | str] = field(default_factory=list)  # a change, or an inserted entry's id
    _seqs: list[int] = field(default_factory=list)  # the numbers `number` gave, by ticket
    _written: set[int] = field(default_factory=set)  # entry tickets whose rows went in with their number

    def change(self, kind: str, body: dict[str, Any], member_id: str | None = None) -> int:
        """Queue a change (its wire model's JSON without `seq`); returns a ticket for `flush`'s result."""
        self._order.append(_Change(kind, member_id, body))
        return len(self._order) - 1

    def entry(self, entry_id: str) -> int:
        """Queue an entry this transaction inserted (or will insert with its number: `written`); it gets its
        server_seq at `number` or `flush`."""
        self._order.append(entry_id)
        return len(self._order) - 1

    def __len__(self) -> int:
        return len(self._order)

    def number(self, conn: Connection) -> list[int]:
        """Number every ticket queued so far and not numbered yet; the sequence number of each ticket.

        Takes the counter row, which stays locked to commit: from here on the transaction should only
        write what it has decided (see `flush`). A caller that inserts rows with these numbers says so with
        `written`, so that `flush` does not write them again."""
        count = len(self._order) - len(self._seqs)
        if count > 0:
            last = conn.execute(
                update(COUNTER)
                .where(COUNTER.c.id == COUNTER_ID)
                .values(value=COUNTER.c.value + count)
                .returning(COUNTER.c.value)
            ).scalar_one()
            self._seqs.extend(range(last - count + 1, last + 1))
        return list(self._seqs)

    def written(self, tickets: Iterable[int]) -> None:
        """These entry tickets' rows were inserted with their numbers."""
        self._written.update(tickets)

    def mark(self) -> tuple[int, int]:
        """Where the queue stands, for `rewind` after a rollback to a savepoint taken here."""
        return len(self._order), len(self._seqs)

    def rewind(self, mark: tuple[int, int]) -> None:
        """Forget what was queued and numbered since `mark`: the savepoint rolled back the counter with it."""
        queued, numbered = mark
        del self._order[queued:]
        del self._seqs[numbered:]
        self._written = {t for t in self._written if t < queued}

    def flush(self, conn: Connection) -> list[int]:
        """Number everything queued and write the numbers; the last statements before commit.

        Returns the sequence number of each ticket, by ticket.
        """
        if not self._order:
            return []
        seqs = self.number(conn)
        changes = [
            {
                "seq": seq,
                "kind": item.kind,
                "member_id": item.member_id,
                "body": json.dumps(item.body, ensure_ascii=False, separators=(",", ":")),
                "at_us": self.at_us,
            }
            for seq, item in zip(seqs, self._order, strict=True)
            if isinstance(item, _Change)
        ]
        entries = [
            {"entry_id": item, "seq": seq}
            for ticket, (seq, item) in enumerate(zip(seqs, self._order, strict=True))
            if isinstance(item, str) and ticket not in self._written
        ]
        if changes:
            conn.execute(insert(CHANGE), changes)
        if entries:
            _number_entries(conn, entries)
        self._order.clear()
        self._seqs.clear()
        self._written.clear()
        return seqs


_NUMBER_PG = (
    "UPDATE ledger_entry SET server_seq = numbered.seq"
    " FROM unnest(%s::text[], %s::bigint[]) AS numbered(id, seq) WHERE ledger_entry.id = numbered.id"
)


def _number_entries(conn: Connection, entries: list[dict[str, Any]]) -> None:
    """Write each entry's server_seq. On PostgreSQL one statement over two arrays: a thousand pipelined
    UPDATEs of a push's batch cost a fifth of its time."""
    if conn.dialect.name == "postgresql":
        ids = [e["entry_id"] for e in entries]
        seqs = [e["seq"] for e in entries]
        conn.exec_driver_sql(_NUMBER_PG, (ids, seqs))
        return
    conn.execute(
        update(ENTRY).where(ENTRY.c.id == bindparam("entry_id")).values(server_seq=bindparam("seq")), entries
    )


def current(conn: Connection) -> int:
    """The highest number handed out (and committed, as far as conn's snapshot sees)."""
    row = conn.execute(COUNTER.select().where(COUNTER.c.id == COUNTER_ID)).one()
    return int(row.value)
