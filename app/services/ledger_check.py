# SPDX-License-Identifier: GPL-3.0-or-later
"""`ledger verify` and `ledger rebuild`: the ledger is the truth; everything else is derived from it."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection

from app.domain.balance import MemberBalance
from app.domain.ledger import ChainBreak, ChainLink, LedgerEntry, find_chain_break
from app.store import ledger
from app.store.database import Database


@dataclass(frozen=True, slots=True)
class ProjectionMismatch:
    member_id: str
    stored: MemberBalance
    rebuilt: MemberBalance


@dataclass(slots=True)
class VerifyReport:
    entries: int = 0
    devices: int = 0
    chain_break: ChainBreak | None = None
    mismatches: list[ProjectionMismatch] = field(default_factory=list)
    day_mismatches: list[str] = field(default_factory=list)  # members whose day buckets differ

    @property
    def ok(self) -> bool:
        return self.chain_break is None and not self.mismatches and not self.day_mismatches


def _rebuild(conn: Connection, report: VerifyReport) -> dict[str, MemberBalance]:
    """Walk every device's chain once: check it, and fold balances from it on the way."""
    heads = ledger.device_heads(conn)
    devices = sorted(
        set(ledger.devices_with_entries(conn))
        | set(ledger.devices_with_set_aside(conn))
        | {d for d, h in heads.items() if h[0]}
    )
    balances: dict[str, MemberBalance] = {}
    uncounted = ledger.uncounted_ids(conn)  # own entries the server set aside: counted nowhere

    def counted(device_id: str) -> Iterator[ChainLink]:
        # another device's set-aside entries are only slots in its chain: followed, never counted
        links = heapq.merge(
            ledger.iter_device(conn, device_id),
            ledger.set_aside_slots(conn, device_id),
            key=lambda link: link.device_seq,
        )
        for link in links:
            if isinstance(link, LedgerEntry):
                report.entries += 1
                if link.id not in uncounted:
                    balances[link.member_id] = balances.get(link.member_id, MemberBalance()).apply(link)
            yield link

    for device_id in devices:
        report.devices += 1
        found = find_chain_break(device_id, counted(device_id), heads.get(device_id))
        if found is not None and report.chain_break is None:
            report.chain_break = found
    return balances


def verify_ledger(db: Database) -> VerifyReport:
    """Check each device's hash chain and that the stored balances and day buckets equal a rebuild from
    the ledger."""
    report = VerifyReport()
    with db.read() as conn:
        rebuilt = _rebuild(conn, report)
        stored = ledger.all_balances(conn)
        report.day_mismatches = ledger.member_days_differ(conn)
    for member_id in sorted(set(rebuilt) | set(stored)):
        want = rebuilt.get(member_id, MemberBalance())
        have = stored.get(member_id, MemberBalance())
        if want != have:
            report.mismatches.append(ProjectionMismatch(member_id, have, want))
    return report


def rebuild_projections(db: Database) -> VerifyReport:
    """Recompute every balance and day bucket from the ledger and store them; refuses while a chain is
    broken."""
    with db.write() as conn:
        report = VerifyReport()
        rebuilt = _rebuild(conn, report)
        if report.chain_break is None:
            ledger.replace_balances(conn, rebuilt)
            ledger.rebuild_member_days(conn)
        return report
