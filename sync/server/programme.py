# SPDX-License-Identifier: GPL-3.0-or-later
"""The entries the server itself writes: points that expire, and tiers lost at review.

`run_daily(db, now_us)` is the club's daily chore (`bashgah-server programme run`, and `serve` runs it
once a day: sync.server.cli); `run(conn, now_us)` does the same in one transaction. Under the current
rule set it writes, per member:
- an `expire` entry for the points whose time has come (app.domain.expiry.due, FIFO; reason "expired");
- an `expire` entry of positive points giving back what an earlier run expired beyond the lots earned
  before its cutoff (app.domain.expiry.over_expired; reason "expiry_given_back"): a spend made offline
  before that run and pushed after it had already used those points;
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

A national club's run (`run_daily`, which the command and `serve` use) goes through the members in id
order, BATCH of them per transaction, and records how far it got (`programme_run`, one row per club day)
in each batch's own transaction: a server killed at any moment resumes after the last batch committed,
with the moment the run decided at, so no member is skipped and none is done twice. Two servers running
it at once take turns on the day's row (locked first in every batch) and share its batches. Each entry's
id is derived from (member, club day, kind, and "given back" for a give-back), and an id already in the
ledger is not written again: one expiry, one give-back and one review per member per club day, whatever
runs.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
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
from sync.server.clock import Clock, SystemClock
from sync.server.db import Database, dialect_insert, one_of
from sync.server.messages import causes
from sync.server.models import BALANCE, BRANCH, DEVICE, ENTRY, MEMBER, PROGRAMME_RUN
from sync.server.sequence import Publisher

SERVER_DEVICE_ID = "00000000-0000-7000-8000-000000000000"
SERVER_DEVICE_CODE = "SERVER"
SERVER_DEVICE_NUMBER = -1  # outside the card series (000–999) until it issues a card (sync.server.card_key)
EXPIRED = "expired"
GIVEN_BACK = expiry.GIVEN_BACK
REVIEW = "review"
_CHUNK = 500  # members whose entries are read at once
BATCH = 1_000  # members per transaction of the daily run (run_daily)
AFTER_MIDNIGHT_S = 300  # the daily run starts this long after the club's local midnight
RETRY_S = 3600  # after a failed run (a database away), the next try
log = logging.getLogger("bashgah.server.programme")
_ENTRY_FIELDS = tuple(f for f in LedgerEntry.__dataclass_fields__ if f != "kind")


@dataclass(slots=True)
class Summary:
    rules_version: int
    expired_members: int = 0
    expired_points: int = 0  # net of what was given back
    given_back_members: int = 0
    given_back_points: int = 0
    tier_changes: list[tuple[str, str, str]] = field(default_factory=list)  # (member, from, to)
    entries: list[str] = field(default_factory=list)  # ids written
    day: str = ""  # the club day of a daily run (run_daily)
    batches: int = 0  # its batches that this call did
    members: int = 0  # and the members they looked at
    # an unfinished run of the day was resumed (a server killed in it, or another at it now): it keeps the
    # rule set and the moment it was begun with, whatever this call asked for
    resumed_as_of_us: int | None = None

    def merge(self, other: Summary) -> None:
        self.expired_members += other.expired_members
        self.expired_points += other.expired_points
        self.given_back_members += other.given_back_members
        self.given_back_points += other.given_back_points
        self.tier_changes += other.tier_changes
        self.entries += other.entries
        self.batches += other.batches
        self.members += other.members

    def as_dict(self) -> dict[str, Any]:
        return {
            "rules_version": self.rules_version,
            "expired_members": self.expired_members,
            "expired_points": self.expired_points,
            "given_back_members": self.given_back_members,
            "given_back_points": self.given_back_points,
            "tier_changes": [{"member_id": m, "from": a, "to": b} for m, a, b in self.tier_changes],
            "entries": len(self.entries),
            "day": self.day,
            "batches": self.batches,
            "members": self.members,
            "resumed": self.resumed_as_of_us is not None,
            "resumed_as_of_us": self.resumed_as_of_us,
        }


def run(conn: Connection, now_us: int) -> Summary:
    """Write what is due now for every member; one transaction (the caller's), published just before it
    commits. For a small club and the tests; the daily run is `run_daily`."""
    if rule_sets.latest_version(conn) == 0:
        return Summary(rules_version=0)
    rules = rule_sets.current(conn)
    summary = Summary(rules_version=rules.version)
    candidates = sorted(_expiry_candidates(conn, rules, now_us) | _review_candidates(conn, rules, now_us))
    _write_due(conn, rules, candidates, now_us, summary)
    return summary


def _write_due(
    conn: Connection, rules: RuleSet, candidates: list[str], now_us: int, summary: Summary
) -> None:
    """Decide and write the candidates' entries, in the caller's transaction."""
    if not candidates:
        return
    pub = Publisher(now_us)
    head = lock_server_device(conn, pub, now_us)  # first: two runs take turns
    if head is None:  # no branch yet, so no members either
        return
    day = rules.local_date(now_us)
    days_of = rule_sets.expiry_days_of(conn)
    decided: list[tuple[EntryDraft, str]] = []
    for start in range(0, len(candidates), _CHUNK):
        chunk = candidates[start : start + _CHUNK]
        _lock_balances(conn, chunk)
        rows = {r.id: r for r in conn.execute(select(MEMBER).where(one_of(conn, MEMBER.c.id, chunk)))}
        history = _entries_of(conn, chunk)
        for member_id in chunk:
            row = rows.get(member_id)
            if row is not None:
                decided += _decide(rules, row, history.get(member_id, []), now_us, day, days_of=days_of)
    written = _not_written(conn, [d for d, _ in decided])
    for draft, held in decided:
        if draft.id in written:
            _count(summary, draft, held)
    drafts = [d for d, _ in decided if d.id in written]
    summary.entries += [e.id for e in _store(conn, pub, drafts, head, now_us)]
    pub.flush(conn)


# ---- the daily run, in batches that resume ------------------------------------------------------------


def run_daily(
    db: Database,
    now_us: int,
    *,
    batch: int = BATCH,
    again: bool = True,
    on_batch: Callable[[Summary], None] | None = None,
    clock: Clock | None = None,
) -> Summary:
    """The daily run of the club day `now_us` falls in, BATCH members per transaction.

    An unfinished run of that day (a server killed, another server at it now) is resumed, at the moment
    it decided at; a finished one is run again from the first member when `again` (the command line: the
    ledger then holds its entries, so only what came due since is written), else left as it is (`serve`'s
    chore, which a second server also runs). `clock` times the run's row (started, heartbeat, finished):
    `now_us` may be another moment (`programme run --now`). Returns what this call wrote."""
    wall = clock or SystemClock()
    begun = db.write(lambda conn: _begin(conn, now_us, wall.now_us(), again=again))
    if begun is None:
        return Summary(rules_version=0)
    day, version, resumed_as_of_us = begun
    total = Summary(rules_version=version, resumed_as_of_us=resumed_as_of_us)
    total.day = day
    while True:
        done = db.write(lambda conn: _run_batch(conn, day, batch, wall.now_us()))
        if done is None:
            return total
        total.merge(done)
        if on_batch is not None:
            on_batch(done)


def _begin(
    conn: Connection, now_us: int, wall_us: int, *, again: bool
) -> tuple[str, int, int | None] | None:
    """The day's run row, made or started again; (day, rules version, the moment of a resumed run or None)
    to run, None for nothing to do."""
    if rule_sets.latest_version(conn) == 0:
        return None
    rules = rule_sets.current(conn)
    day = rules.local_date(now_us).isoformat()
    fresh = {
        "now_us": now_us,
        "rules_version": rules.version,
        "after_member": "",
        "batches": 0,
        "members": 0,
        "entries": 0,
        "started_at_us": wall_us,
        "heartbeat_at_us": wall_us,
        "finished_at_us": None,
    }
    conn.execute(
        dialect_insert(conn, PROGRAMME_RUN).values(day=day, passes=1, **fresh).on_conflict_do_nothing()
    )
    row = conn.execute(select(PROGRAMME_RUN).where(PROGRAMME_RUN.c.day == day).with_for_update()).one()
    if row.finished_at_us is None:  # new, or resumed where it stopped
        # ours if it holds what we wrote (a driver's rowcount after ON CONFLICT DO NOTHING is not to be
        # trusted: SQLite's can be the previous statement's)
        made = (row.now_us, row.started_at_us) == (now_us, wall_us)
        return day, int(row.rules_version), None if made else int(row.now_us)
    if not again:
        return None
    conn.execute(
        update(PROGRAMME_RUN)
        .where(PROGRAMME_RUN.c.day == day)
        .values(passes=PROGRAMME_RUN.c.passes + 1, **fresh)
    )
    return day, rules.version, None


def _run_batch(conn: Connection, day: str, size: int, wall_us: int) -> Summary | None:
    """The next batch of the day's run, its progress recorded in the same transaction; None when the run
    is over (then marked finished)."""
    run_row = conn.execute(
        select(PROGRAMME_RUN).where(PROGRAMME_RUN.c.day == day).with_for_update()  # first: runs take turns
    ).one()
    if run_row.finished_at_us is not None:
        return None
    after = str(run_row.after_member)
    now_us = int(run_row.now_us)
    ids = list(
        conn.execute(
            select(MEMBER.c.id).where(MEMBER.c.id > after).order_by(MEMBER.c.id).limit(size)
        ).scalars()
    )
    if not ids:
        conn.execute(
            update(PROGRAMME_RUN)
            .where(PROGRAMME_RUN.c.day == day)
            .values(finished_at_us=wall_us, heartbeat_at_us=wall_us)
        )
        return None
    upper = ids[-1]
    rules = rule_sets.get(conn, int(run_row.rules_version))
    summary = Summary(rules_version=rules.version)
    candidates = sorted(
        _expiry_candidates(conn, rules, now_us, (after, upper))
        | _review_candidates(conn, rules, now_us, (after, upper))
    )
    _write_due(conn, rules, candidates, now_us, summary)
    # the batch's reminders and greetings, in its transaction: a resumed run queues none twice
    causes.from_daily_batch(conn, rules, ids, now_us)
    summary.batches, summary.members = 1, len(ids)
    conn.execute(
        update(PROGRAMME_RUN)
        .where(PROGRAMME_RUN.c.day == day)
        .values(
            after_member=upper,
            batches=PROGRAMME_RUN.c.batches + 1,
            members=PROGRAMME_RUN.c.members + len(ids),
            entries=PROGRAMME_RUN.c.entries + len(summary.entries),
            heartbeat_at_us=wall_us,
        )
    )
    return summary


def _decide(
    rules: RuleSet,
    member: Any,
    entries: list[LedgerEntry],
    now_us: int,
    day: date,
    *,
    days_of: expiry.DaysOf,
) -> list[tuple[EntryDraft, str]]:
    """The member's entries due now, each with the tier held before it."""
    drafts: list[tuple[EntryDraft, str]] = []
    due = expiry.due(entries, rules.expiry_days, now_us, days_of=days_of)
    over = expiry.over_expired(entries, rules.expiry_days, days_of=days_of)
    # the member's tier_code is where they joined until a tier_change entry moves it (members.put_member)
    held = tiering.standing(member.tier_code, entries, member.joined_at_us)
    if due > 0:
        expire = _draft(rules, member, EntryKind.EXPIRE, now_us, day, points_delta=-due, reason=EXPIRED)
        drafts.append((expire, held.code))
    if over > 0:
        back = _draft(rules, member, EntryKind.EXPIRE, now_us, day, points_delta=over, reason=GIVEN_BACK)
        drafts.append((back, held.code))
    lower = tiering.review_member(rules, held, entries, now_us)
    if lower is not None and lower.code != held.code:
        change = _draft(
            rules, member, EntryKind.TIER_CHANGE, now_us, day, invoice_ref=lower.code, reason=REVIEW
        )
        drafts.append((change, held.code))
    return drafts


def _count(summary: Summary, draft: EntryDraft, held: str) -> None:
    if draft.kind is EntryKind.EXPIRE and draft.points_delta > 0:  # a give-back: expired_points is net
        summary.given_back_members += 1
        summary.given_back_points += draft.points_delta
        summary.expired_points -= draft.points_delta
    elif draft.kind is EntryKind.EXPIRE:
        summary.expired_members += 1
        summary.expired_points -= draft.points_delta
    else:
        summary.tier_changes.append((draft.member_id, held, str(draft.invoice_ref)))


def _draft(rules: RuleSet, member: Any, kind: EntryKind, now_us: int, day: date, **fields: Any) -> EntryDraft:
    part = "given_back" if fields.get("reason") == GIVEN_BACK else ""
    return EntryDraft(
        id=entry_id(member.id, day, kind, rules, part),
        created_at_us=now_us,
        branch_id=member.branch_id,
        member_id=member.id,
        kind=kind,
        rules_version=rules.version,
        **fields,
    )


def entry_id(member_id: str, day: date, kind: EntryKind, rules: RuleSet, part: str = "") -> str:
    """The id of the run's entry of this kind (and part: "given_back" for a give-back) for this member on
    this club day: the same whatever run makes it, so the ledger's primary key holds each once (uuid7: the
    day's start, then a hash). The ids without a part are those runs always made."""
    kind_part = kind.value if not part else f"{kind.value}|{part}"
    digest = hashlib.sha256(f"programme|{day.isoformat()}|{kind_part}|{member_id}".encode()).digest()
    return str(uuid7(rules.day_start_us(day) // 1000, digest))


def _not_written(conn: Connection, drafts: list[EntryDraft]) -> set[str]:
    """The ids of the drafts that the ledger does not hold yet."""
    if not drafts:
        return set()
    ids = [d.id for d in drafts]
    there = set(conn.execute(select(ENTRY.c.id).where(one_of(conn, ENTRY.c.id, ids))).scalars())
    return {i for i in ids if i not in there}


# ---- who may have something due ----------------------------------------------------------------------


def _expiry_candidates(
    conn: Connection, rules: RuleSet, now_us: int, within: tuple[str, str] | None = None
) -> set[str]:
    """Members holding points who earned some before the cutoff (only they can have points due), and those
    who may be owed a give-back (_owed); those with ids in (after, upto] when `within` is given (a batch
    of the daily run)."""
    if rules.expiry_days is None:
        return set()
    cutoff = now_us - rules.expiry_days * US_PER_DAY
    if within is None:
        earned = select(ENTRY.c.member_id).where(ENTRY.c.points_delta > 0, ENTRY.c.created_at_us <= cutoff)
        query = select(BALANCE.c.member_id).where(BALANCE.c.points > 0, BALANCE.c.member_id.in_(earned))
        return set(conn.execute(query).scalars()) | _owed(conn, within)
    # a batch's few members: probed one by one on the ledger's member index, not a scan of the ledger
    earned_early = (
        select(ENTRY.c.id)
        .where(
            ENTRY.c.member_id == BALANCE.c.member_id,
            ENTRY.c.points_delta > 0,
            ENTRY.c.created_at_us <= cutoff,
        )
        .exists()
    )
    query = select(BALANCE.c.member_id).where(
        BALANCE.c.member_id > within[0], BALANCE.c.member_id <= within[1], BALANCE.c.points > 0, earned_early
    )
    return set(conn.execute(query).scalars()) | _owed(conn, within)


def _owed(conn: Connection, within: tuple[str, str] | None) -> set[str]:
    """Members who may be owed a give-back: an entry taking points, made before one of their expiries but
    stored after it (a later server sequence: pushed late), and no give-back stored since it. Over-expiry
    comes only that way; the members are few, found on the ledger's (member, device, kind) index from
    their expire entries, and drop out once given back."""
    expire = ENTRY.alias("expire")
    late = ENTRY.alias("late")
    back = ENTRY.alias("back")
    given_back_since = (
        select(back.c.id)
        .where(
            back.c.member_id == late.c.member_id,
            back.c.device_id == SERVER_DEVICE_ID,
            back.c.kind == EntryKind.EXPIRE.value,
            back.c.points_delta > 0,
            back.c.server_seq > late.c.server_seq,
        )
        .exists()
    )
    query = (
        select(expire.c.member_id)
        .distinct()
        .join(late, late.c.member_id == expire.c.member_id)
        .where(
            *(() if within is None else (expire.c.member_id > within[0], expire.c.member_id <= within[1])),
            expire.c.device_id == SERVER_DEVICE_ID,
            expire.c.kind == EntryKind.EXPIRE.value,
            expire.c.points_delta < 0,
            late.c.points_delta < 0,
            late.c.kind != EntryKind.EXPIRE.value,
            late.c.created_at_us < expire.c.created_at_us,
            late.c.server_seq > expire.c.server_seq,
            ~given_back_since,
        )
    )
    return set(conn.execute(query).scalars())


def _review_candidates(
    conn: Connection, rules: RuleSet, now_us: int, within: tuple[str, str] | None = None
) -> set[str]:
    """Members above the entry tier (or in a tier the club dropped) whose period and grace are over."""
    q = rules.qualification
    since_before = now_us - (q.window_days + q.grace_days) * US_PER_DAY
    query = select(MEMBER.c.id).where(
        *(() if within is None else (MEMBER.c.id > within[0], MEMBER.c.id <= within[1])),
        or_(
            MEMBER.c.tier_code.not_in([t.code for t in rules.tiers]),  # reviewed at once (tiering.review)
            and_(MEMBER.c.tier_code != rules.entry_tier().code, MEMBER.c.tier_since_us <= since_before),
        ),
    )
    return set(conn.execute(query).scalars())


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
    None while the club has no branch. Whatever else the caller locks comes after this row (a batch of the
    daily run takes only its day's `programme_run` row before it), so two of the server's own writers
    never wait on each other in a circle."""
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
    """`run_daily` once at start, then a few minutes after every local midnight of the club (the current
    rule set's calendar), in a daemon thread of the serving process (`bashgah-server serve`). Several
    servers on one database may each run it: they share the day's batches (its row is locked in each), and
    one that comes to a finished day leaves it."""

    name = "programme-daily"
    retry_s = RETRY_S

    def __init__(self, db: Database, clock: Clock | None = None, *, batch: int = BATCH) -> None:
        super().__init__(db, clock)
        self.runs = 0
        self.batch = batch

    def run_once(self) -> Summary:
        # the day's run, resumed if a server stopped in it; a day another server finished is left alone
        summary = run_daily(self.db, self.clock.now_us(), batch=self.batch, again=False, clock=self.clock)
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
