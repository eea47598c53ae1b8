# SPDX-License-Identifier: GPL-3.0-or-later
"""Counting a set-aside entry after all: the ledger's side of the club's review (sync.server.club.review
lists the queue, checks who may decide, and records refusals).

A set-aside entry counts nowhere. A person looks at it (with the alert raised when it was set aside) and
either confirms the refusal, or `accept`s it after all: the entry then goes into the ledger as its terminal
sealed it, with the next server sequence, the member's balance and tier follow in the same transaction, and
it is published as an entry, so every terminal swaps its slot for it and the terminal that made it counts it
again (app.store.replica). The decision is audited with who made it and why.

Not acceptable: a bonus another terminal's grant of the same key stands for (`bonus_already_granted`: it
would count twice), an entry whose hash does not hold (not what the terminal sealed), and one naming a
member or branch the server does not hold.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select

from sync.protocol import WireEntry
from sync.server import balances, members
from sync.server.errors import ApiError
from sync.server.models import BRANCH, ENTRY, MEMBER, REJECTED
from sync.server.sequence import Publisher

NOT_ACCEPTABLE = (
    "bonus_already_granted",
    "hash_mismatch",
    "unknown_member",
    "unknown_branch",
    "unknown_tier",
)


def accept(conn: Connection, pub: Publisher, row: Row[Any]) -> WireEntry:
    """Count a set-aside entry (its `rejected_entry` row, still waiting) after all; see the module's
    docstring for what cannot be. 409 `already_resolved` when another decision took it first."""
    entry = WireEntry.model_validate(json.loads(row.body))
    if row.reason in NOT_ACCEPTABLE or not _names_what_is_held(conn, entry):
        raise ApiError(
            409, "not_acceptable", f"an entry set aside as {row.reason} cannot be counted", reason=row.reason
        )
    taken = conn.execute(delete(REJECTED).where(REJECTED.c.id == row.id, REJECTED.c.decision.is_(None)))
    if taken.rowcount != 1:  # a concurrent decision committed first
        raise ApiError(409, "already_resolved", "this entry has been decided already")
    conn.execute(insert(ENTRY).values(**entry.model_dump(), received_at_us=row.received_at_us))
    pub.entry(entry.id)
    ledger_entry = entry.to_entry()
    balances.apply(conn, pub, [ledger_entry])
    members.apply_tier_changes(conn, pub, [ledger_entry])
    return entry


def _names_what_is_held(conn: Connection, entry: WireEntry) -> bool:
    member = conn.execute(select(MEMBER.c.id).where(MEMBER.c.id == entry.member_id)).first()
    branch = conn.execute(select(BRANCH.c.id).where(BRANCH.c.id == entry.branch_id)).first()
    return member is not None and branch is not None
