# SPDX-License-Identifier: GPL-3.0-or-later
"""The entries the server itself writes: points that expire, and tiers lost at review.

`run(conn, now_us)` is the club's daily chore (`bashgah-server programme run`, and `serve` runs it once
a day: sync.server.cli). Under the current rule set it writes, per member:
- an `expire` entry for the points whose time has come (app.domain.expiry.due, FIFO; reason "expired");
- a `tier_change` entry when a review moves the member down (app.domain.tiering.review_member; invoice_ref the
  new tier, reason "review"), which moves the member's tier in the member table too.
Both name the rule set's version. They are sealed in the server's own device chain (device code SERVER,
made on first use and published like any device, so terminals' device foreign key holds), stored like
pushed entries: server sequence numbers, balances, and terminals pull them as entry changes. Each entry's
branch is the member's enrolment branch.

Nothing runs before the club saved a rule set (version 0, the old tables' programme, never had expiry or
moving tiers: turning them on is the admin's decision). Running twice at the same time writes nothing the
second time: what is due is computed from the ledger, which then holds the first run's entries; the
server device's row is locked first, so two runs (two servers on one PostgreSQL) take turns, and each
member's balance row is locked before their entries are read again, so a push for the member cannot land
between the decision and the entry.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from app.domain import expiry, tiering
from app.domain.ids import uuid7
from app.domain.ledger import GENESIS_HASH, EntryDraft, EntryKind, LedgerEntry, seal_all
from app.domain.programme import US_PER_DAY, RuleSet
from sync.protocol import WireEntry
from sync.server import balances, club, members
from sync.server import rules as rule_sets
from sync.server.chore import Chore
from sync.server.clock import Clock
from sync.server.db import Database, dialect_insert, one_of
from sync.server.models import BALANCE, BRANCH, DEVICE, ENTRY, MEMBER
from sync.server.sequence import Publisher

SERVER_DEVICE_ID = "00000000-0000-7000-8000-000000000000"
SERVER_DEVICE_CODE = "SERVER"
SERVER_DEVICE_NUMBER = -1  # outside the card series (000–999) until it issues a card (sync.server.card_key)
EXPIRED = "expired"
REVIEW = "review"
_CHUNK = 500  # members whose entries are read at once
AFTER_MIDNIGHT_S = 300  # the daily run starts this long after the club's local midnight
RETRY_S = 3600  # after a failed run (a database away), the next try
log = logging.getLogger("bashgah.server.programme")
_ENTRY_FIELDS = tuple(f for f in LedgerEntry.__dataclass_fields__ if f != "kind")


@dataclass(slots=True)
class Summary:
    rules_version: int
    expired_members: int = 0
    expired_points: int = 0
    tier_changes: list[tuple[str, str, str]] = field(default_factory=list)  # (member, from, to)
    entries: list[str] = field(default_factory=list)  # ids written

    def as_dict(self) -> dict[str, Any]:
        return {
            "rules_version": self.rules_version,
            "expired_members": self.expired_members,
            "expired_points": self.expired_points,
            "tier_changes": [{"member_id": m, "from": a, "to": b} for m, a, b in self.tier_changes],
            "entries": len(self.entries),
        }


def run(conn: Connection, now_us: int) -> Summary:
    """Write what is due now; one transaction (the caller's), published just before it commits."""
    if rule_sets.latest_version(conn) == 0:
        return Summary(rules_version=0)
    rules = rule_sets.current(conn)
    summary = Summary(rules_version=rules.version)
    candidates = sorted(_expiry_candidates(conn, rules, now_us) | _review_candidates(conn, rules, now_us))
    if not candidates:
        return summary
    pub = Publisher(now_us)
    head = lock_server_device(conn, pub, now_us)  # first: two runs take turns
    if head is None:  # no branch yet, so no members either
        return summary
    drafts: list[EntryDraft] = []
    for chunk in _chunks(candidates, _CHUNK):
        _lock_balances(conn, chunk)
        rows = {r.id: r for r in conn.execute(select(MEMBER).where(one_of(conn, MEMBER.c.id, chunk)))}
        history = _entries_of(conn, chunk)
        for member_id in chunk:
            row = rows.get(member_id)
            if row is not None:
                drafts += _decide(rules, row, history.get(member_id, []), now_us, summary)
    summary.entries = [e.id for e in _store(conn, pub, drafts, head, now_us)]
    pub.flush(conn)
    return summary


def _decide(
    rules: RuleSet, member: Any, entries: list[LedgerEntry], now_us: int, summary: Summary
) -> list[EntryDraft]:
    drafts: list[EntryDraft] = []
    due = expiry.due(entries, rules.expiry_days, now_us)
    if due > 0:
        drafts.append(_draft(rules, member, EntryKind.EXPIRE, now_us, points_delta=-due, reason=EXPIRED))
        summary.expired_members += 1
        summary.expired_points += due
    # the member's tier_code is where they joined until a tier_change entry moves it (members.put_member)
    held = tiering.standing(member.tier_code, entries, member.joined_at_us)
    lower = tiering.review_member(rules, held, entries, now_us)
    if lower is not None and lower.code != held.code:
        drafts.append(
            _draft(rules, member, EntryKind.TIER_CHANGE, now_us, invoice_ref=lower.code, reason=REVIEW)
        )
        summary.tier_changes.append((member.id, held.code, lower.code))
    return drafts


def _draft(rules: RuleSet, member: Any, kind: EntryKind, now_us: int, **fields: Any) -> EntryDraft:
    return EntryDraft(
        id=str(uuid7(now_us // 1000, os.urandom(10))),
        created_at_us=now_us,
        branch_id=member.branch_id,
        member_id=member.id,
        kind=kind,
        rules_version=rules.version,
        **fields,
    )


# ---- who may have something due ----------------------------------------------------------------------


def _expiry_candidates(conn: Connection, rules: RuleSet, now_us: int) -> set[str]:
    """Members holding points who earned some before the cutoff (only they can have points due)."""
    if rules.expiry_days is None:
        return set()
    cutoff = now_us - rules.expiry_days * US_PER_DAY
    earned_early = select(ENTRY.c.member_id).where(ENTRY.c.points_delta > 0, ENTRY.c.created_at_us <= cutoff)
    query = select(BALANCE.c.member_id).where(BALANCE.c.points > 0, BALANCE.c.member_id.in_(earned_early))
    return set(conn.execute(query).scalars())


def _review_candidates(conn: Connection, rules: RuleSet, now_us: int) -> set[str]:
    """Members above the entry tier (or in a tier the club dropped) whose period and grace are over."""
    q = rules.qualification
    since_before = now_us - (q.window_days + q.grace_days) * US_PER_DAY
    query = select(MEMBER.c.id).where(
        or_(
            MEMBER.c.tier_code.not_in([t.code for t in rules.tiers]),  # reviewed at once (tiering.review)
            and_(MEMBER.c.tier_code != rules.entry_tier().code, MEMBER.c.tier_since_us <= since_before),
        )
    )
    return set(conn.execute(query).scalars())


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _lock_balances(conn: Connection, member_ids: list[str]) -> None:
    """Take the members' balance rows (id order, as pushes and grants do) before reading their entries."""
    for member_id in member_ids:
        conn.execute(
            update(BALANCE)
            .where(BALANCE.c.member_id == member_id)
            .values(lock_version=BALANCE.c.lock_version + 1)
        )


def _entries_of(conn: Connection, member_ids: Iterable[str]) -> dict[str, list[LedgerEntry]]:
    query = select(ENTRY).where(one_of(conn, ENTRY.c.member_id, list(member_ids)))
    found: dict[str, list[LedgerEntry]] = {}
    for row in conn.execute(query):
        entry = LedgerEntry(**{f: getattr(row, f) for f in _ENTRY_FIELDS}, kind=EntryKind(row.kind))
        found.setdefault(entry.member_id, []).append(entry)
    return found


# ---- the server's own device ----------------------------------------------------------------------------


def lock_server_device(conn: Connection, pub: Publisher, now_us: int) -> tuple[int, str] | None:
    """The server device's chain head, its row locked; the device is made (and published) on first use.
    None while the club has no branch. Whatever else the caller locks comes after this row (the daily run
    takes it first), so two of the server's own writers never wait on each other in a circle."""
    head = conn.execute(
        update(DEVICE)
        .where(DEVICE.c.id == SERVER_DEVICE_ID)
        .values(last_seen_us=now_us)
        .returning(DEVICE.c.last_seq, DEVICE.c.head_hash)
    ).first()
    if head is not None:
        return int(head.last_seq), str(head.head_hash)
    branch_id = conn.execute(select(BRANCH.c.id).order_by(BRANCH.c.code).limit(1)).scalar()
    if branch_id is None:
        return None
    made = conn.execute(
        dialect_insert(conn, DEVICE)
        .values(
            id=SERVER_DEVICE_ID,
            code=SERVER_DEVICE_CODE,
            name="club server",
            branch_id=branch_id,
            number=SERVER_DEVICE_NUMBER,
            card_prefix="",
            enrolled_at_us=now_us,
            last_seen_us=now_us,
            last_seq=0,
            head_hash=GENESIS_HASH,
            contiguous_seq=0,
        )
        .on_conflict_do_nothing()
        .returning(DEVICE.c.id)
    ).first()
    if made is not None:
        club.publish_device(pub, SERVER_DEVICE_ID, SERVER_DEVICE_CODE, branch_id)
    return lock_server_device(conn, pub, now_us) if made is None else (0, GENESIS_HASH)


def write_entries(
    conn: Connection, pub: Publisher, drafts: list[EntryDraft], now_us: int
) -> list[LedgerEntry]:
    """Seal drafts in the server's chain and store them (the caller flushes the publisher): for an entry the
    server makes on an admin's behalf."""
    head = lock_server_device(conn, pub, now_us)
    if head is None:
        raise RuntimeError("the club has no branch yet")
    return _store(conn, pub, drafts, head, now_us)


def _store(
    conn: Connection, pub: Publisher, drafts: list[EntryDraft], head: tuple[int, str], now_us: int
) -> list[LedgerEntry]:
    """As a push stores accepted entries: the rows, their server sequence, balances, tiers; the head."""
    sealed = seal_all(drafts, SERVER_DEVICE_ID, *head)
    if not sealed:
        return sealed
    conn.execute(ENTRY.insert(), [WireEntry.of(e).model_dump() | {"received_at_us": now_us} for e in sealed])
    for entry in sealed:
        pub.entry(entry.id)
    balances.apply(conn, pub, sealed)
    members.apply_tier_changes(conn, pub, sealed)
    tail = sealed[-1]
    conn.execute(
        update(DEVICE)
        .where(DEVICE.c.id == SERVER_DEVICE_ID)
        .values(last_seq=tail.device_seq, head_hash=tail.hash, contiguous_seq=tail.device_seq)
    )
    return sealed


# ---- once a day --------------------------------------------------------------------------------------


class Daily(Chore):
    """`run` once at start, then a few minutes after every local midnight of the club (the current rule
    set's calendar), in a daemon thread of the serving process (`bashgah-server serve`). Several servers
    on one database may each run it: the runs take turns on the server device's row, and the later finds
    nothing left to do."""

    name = "programme-daily"
    retry_s = RETRY_S

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        super().__init__(db, clock)
        self.runs = 0

    def run_once(self) -> Summary:
        summary = self.db.write(lambda conn: run(conn, self.clock.now_us()))
        self.runs += 1
        if summary.entries:
            log.info("programme run: %s", summary.as_dict())
        return summary

    def seconds_to_next_run(self) -> float:
        with self.db.read() as conn:
            rules = rule_sets.current(conn)
        now = self.clock.now_us()
        tomorrow = rules.local_date(now) + timedelta(days=1)
        at = rules.day_start_us(tomorrow) + AFTER_MIDNIGHT_S * 1_000_000
        return max(1.0, (at - now) / 1_000_000)

    def round(self) -> float:
        self.run_once()
        return self.seconds_to_next_run()
