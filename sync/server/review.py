# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's review of the entries the server set aside (sync.server.push, sync.server.vetting).

A set-aside entry counts nowhere. A person looks at it (`listing`, with the alert raised when it was set
aside) and either leaves it so, or `accept`s it after all: the entry then goes into the ledger as its
terminal sealed it, with the next server sequence, the member's balance and tier follow in the same
transaction, and it is published as an entry, so every terminal swaps its slot for it and the terminal
that made it counts it again (app.store.replica). The decision is audited with who made it and why.

Not acceptable: a bonus another terminal's grant of the same key stands for (`bonus_already_granted`: it
would count twice), an entry whose hash does not hold (not what the terminal sealed), and one naming a
member or branch the server does not hold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select

from sync.protocol import WireEntry
from sync.server import balances, members
from sync.server.errors import ApiError
from sync.server.models import BRANCH, DEVICE, ENTRY, MEMBER, REJECTED
from sync.server.sequence import Publisher

NOT_ACCEPTABLE = (
    "bonus_already_granted",
    "hash_mismatch",
    "unknown_member",
    "unknown_branch",
    "unknown_tier",
)


@dataclass(frozen=True, slots=True)
class SetAside:
    entry: WireEntry
    reason: str
    received_at_us: int
    device_code: str


def listing(conn: Connection, *, reason: str | None = None, limit: int = 100) -> list[SetAside]:
    """Set-aside entries, newest first (those settled by another grant of a bonus too: they say why)."""
    query = (
        select(REJECTED, DEVICE.c.code)
        .join(DEVICE, DEVICE.c.id == REJECTED.c.device_id)
        .order_by(REJECTED.c.received_at_us.desc(), REJECTED.c.device_id, REJECTED.c.device_seq.desc())
        .limit(limit)
    )
    if reason:
        query = query.where(REJECTED.c.reason == reason)
    return [
        SetAside(WireEntry.model_validate(json.loads(r.body)), r.reason, r.received_at_us, r.code)
        for r in conn.execute(query)
    ]


def accept(conn: Connection, pub: Publisher, entry_id: str) -> SetAside:
    """Count a set-aside entry after all (see the module's docstring for what cannot be)."""
    row = conn.execute(
        select(REJECTED, DEVICE.c.code)
        .join(DEVICE, DEVICE.c.id == REJECTED.c.device_id)
        .where(REJECTED.c.id == entry_id)
    ).first()
    if row is None:
        raise ApiError(404, "unknown_set_aside", "no entry with this id is set aside")
    entry = WireEntry.model_validate(json.loads(row.body))
    if row.reason in NOT_ACCEPTABLE or not _names_what_is_held(conn, entry):
        raise ApiError(
            409, "not_acceptable", f"an entry set aside as {row.reason} cannot be counted", reason=row.reason
        )
    conn.execute(delete(REJECTED).where(REJECTED.c.id == entry_id))
    conn.execute(insert(ENTRY).values(**entry.model_dump(), received_at_us=row.received_at_us))
    pub.entry(entry.id)
    ledger_entry = entry.to_entry()
    balances.apply(conn, pub, [ledger_entry])
    members.apply_tier_changes(conn, pub, [ledger_entry])
    return SetAside(entry, row.reason, row.received_at_us, row.code)


def _names_what_is_held(conn: Connection, entry: WireEntry) -> bool:
    member = conn.execute(select(MEMBER.c.id).where(MEMBER.c.id == entry.member_id)).first()
    branch = conn.execute(select(BRANCH.c.id).where(BRANCH.c.id == entry.branch_id)).first()
    return member is not None and branch is not None
