# SPDX-License-Identifier: GPL-3.0-or-later
"""What pricing a sale needs of a member's history, kept per member and day so that a sale reads a few rows
instead of the member's entries (the store keeps it in the entries' own transaction: app.store.ledger).

Two of a sale's sums change with time alone, without any write: the tier's qualifying total over the
rolling window (now − window, now] (app.domain.tiering.qualifying), and the cashback credited since the
club's local day began, which only tomorrow can spend (app.services.programme.pending_cashback). Neither is
kept as one running number: each is kept in *day buckets* (per member and UTC day), and a moment's total
is the buckets wholly inside its window, plus the one bucket its edge cuts, which is read entry by entry
only when some of it lies outside (the few entries of one day).

A qualifying *part*: an earn entry counts at its own time; a reversal of an earn (a return, an undo) counts
only when both it and its sale fall in the window, so it is kept in the bucket of the earlier of the two
(`low_us`), with the later (`high_us`): a part counts in (since, now] when since < low_us and high_us ≤ now.
A bucket keeps the least low and the greatest high of its parts, so that a window can tell whether a
bucket counts whole. An entry dated ahead of now (another device's clock) leaves a high beyond now: the
sale then folds the entries as before (rare; the answer stays exact).

Entries are never removed, so a bucket only ever adds: sums, least and greatest merge in any order, and a
reversal that arrives before its sale (another device's, pulled out of order) is paired when the sale
arrives. Own entries the club server set aside stay in the buckets: the fold a sale made before these
buckets read them too (only the balance leaves them out: app.store.ledger.uncount).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.programme import US_PER_DAY, RuleSet
from app.domain.tiering import Qualifying

# "no part" and "no credit": beyond any time, so that an empty bucket counts whole in every window
NO_LOW = 2**62
NO_HIGH = -(2**62)


def day_of(at_us: int) -> int:
    """The UTC day (days since 1970-01-01) a moment falls in."""
    return at_us // US_PER_DAY


def day_start_us(day: int) -> int:
    return day * US_PER_DAY


@dataclass(frozen=True, slots=True)
class Part:
    """One contribution to a member's qualifying total."""

    member_id: str
    low_us: int
    high_us: int
    points: int
    spend_rials: int
    key: str  # the entry it comes from (a reversal's own id): one part per entry

    @property
    def day(self) -> int:
        return day_of(self.low_us)

    def counts(self, since_us: int, now_us: int) -> bool:
        return since_us < self.low_us and self.high_us <= now_us


def part_of(entry: LedgerEntry, target: LedgerEntry | None = None) -> Part | None:
    """The part an entry adds: an earn its own; a reversal, with the entry it reverses (`target`), when
    that is an earn of the same member; anything else none."""
    if entry.kind is EntryKind.EARN:
        t = entry.created_at_us
        return Part(entry.member_id, t, t, entry.points_delta, entry.sale_amount, entry.id)
    if (
        entry.kind is EntryKind.REVERSAL
        and target is not None
        and target.id == entry.reverses
        and target.kind is EntryKind.EARN
        and target.member_id == entry.member_id
    ):
        low = min(entry.created_at_us, target.created_at_us)
        high = max(entry.created_at_us, target.created_at_us)
        return Part(entry.member_id, low, high, entry.points_delta, entry.sale_amount, entry.id)
    return None


@dataclass(frozen=True, slots=True)
class DayTotals:
    """One member's bucket for one UTC day: the qualifying parts whose low falls in it, and the cashback
    credited in it."""

    points: int = 0
    spend_rials: int = 0
    low_us: int = NO_LOW
    high_us: int = NO_HIGH
    cashback_rials: int = 0
    cashback_low_us: int = NO_LOW

    def with_part(self, part: Part) -> DayTotals:
        return DayTotals(
            self.points + part.points,
            self.spend_rials + part.spend_rials,
            min(self.low_us, part.low_us),
            max(self.high_us, part.high_us),
            self.cashback_rials,
            self.cashback_low_us,
        )

    def with_credit(self, entry: LedgerEntry) -> DayTotals:
        return DayTotals(
            self.points,
            self.spend_rials,
            self.low_us,
            self.high_us,
            self.cashback_rials + entry.cash_delta,
            min(self.cashback_low_us, entry.created_at_us),
        )

    def merged(self, other: DayTotals) -> DayTotals:
        return DayTotals(
            self.points + other.points,
            self.spend_rials + other.spend_rials,
            min(self.low_us, other.low_us),
            max(self.high_us, other.high_us),
            self.cashback_rials + other.cashback_rials,
            min(self.cashback_low_us, other.cashback_low_us),
        )


DayKey = tuple[str, int]  # (member id, UTC day)


def is_credit(entry: LedgerEntry) -> bool:
    return entry.kind is EntryKind.CASHBACK_CREDIT


def day_changes(parts: Iterable[Part], credits: Iterable[LedgerEntry]) -> dict[DayKey, DayTotals]:
    """What new parts and cashback credits add to their buckets (the store adds each to its row)."""
    changes: dict[DayKey, DayTotals] = {}
    for part in parts:
        key = (part.member_id, part.day)
        changes[key] = changes.get(key, DayTotals()).with_part(part)
    for entry in credits:
        key = (entry.member_id, day_of(entry.created_at_us))
        changes[key] = changes.get(key, DayTotals()).with_credit(entry)
    return changes


def fold_days(entries: Iterable[LedgerEntry]) -> dict[DayKey, DayTotals]:
    """Every bucket, from nothing but the entries (the reference the kept buckets must equal)."""
    entries = list(entries)
    by_id = {e.id: e for e in entries}
    parts = [
        p for e in entries if (p := part_of(e, by_id.get(e.reverses) if e.reverses else None)) is not None
    ]
    return day_changes(parts, (e for e in entries if is_credit(e)))


# ---- a sale's reading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Moment:
    """The windows a sale at `now_us` sums: the qualifying window (since, now] and the cashback credited
    from the local day's start, and the buckets their edges cut."""

    now_us: int
    since_us: int  # the qualifying window's start, not in it
    pending_from_us: int  # the local day's start, in it

    @staticmethod
    def at(rules: RuleSet, now_us: int) -> Moment:
        since = now_us - rules.qualification.window_days * US_PER_DAY
        return Moment(now_us, since, rules.day_start_us(rules.local_date(now_us)))

    @property
    def edge_day(self) -> int:
        """The bucket the qualifying window's start cuts: the buckets after it count whole."""
        return day_of(self.since_us)

    @property
    def cashback_day(self) -> int:
        """The bucket the local day's start cuts: the buckets after it count whole."""
        return day_of(self.pending_from_us)

    @property
    def edge_end_us(self) -> int:
        return day_start_us(self.edge_day + 1)

    @property
    def cashback_end_us(self) -> int:
        return day_start_us(self.cashback_day + 1)


@dataclass(frozen=True, slots=True)
class Inside:
    """The buckets after a moment's edges, summed (the store sums them: a few rows, one statement)."""

    points: int = 0
    spend_rials: int = 0
    high_us: int = NO_HIGH  # the greatest high of the qualifying parts after the edge day
    cashback_rials: int = 0  # after the cashback day


def edge_needs_entries(moment: Moment, edge: DayTotals) -> bool:
    """Whether the edge bucket holds parts from before the window (then its entries are read)."""
    return edge.low_us <= moment.since_us


def cashback_needs_entries(moment: Moment, edge: DayTotals) -> bool:
    """Whether the cashback day's bucket holds credits from before the local day began."""
    return edge.cashback_low_us < moment.pending_from_us


def edge_parts(
    moment: Moment, entries: Iterable[LedgerEntry], partners: Mapping[str, LedgerEntry]
) -> list[Part]:
    """The parts of the edge bucket that fall in the window, from the member's entries of that day after
    the window's start and their partners (the reversals of those sales, the sales those reversals undo;
    by id): each pair once, whichever side it was found from."""
    found: dict[str, Part] = {}
    for entry in entries:
        if entry.kind is EntryKind.EARN:
            candidates = [(entry, None)] + [(r, entry) for r in partners.values() if r.reverses == entry.id]
        else:
            candidates = [(entry, partners.get(entry.reverses) if entry.reverses else None)]
        for source, target in candidates:
            part = part_of(source, target)
            if part is None or part.day != moment.edge_day:
                continue
            if part.counts(moment.since_us, moment.now_us):
                found[part.key] = part
    return list(found.values())


def qualifying(
    moment: Moment, inside: Inside, edge: DayTotals, parts: Iterable[Part] | None = None
) -> Qualifying | None:
    """The window's total as tiering.qualifying folds it; `parts` the edge bucket's counting parts when
    it does not count whole (edge_needs_entries). None when a part lies ahead of now: the caller folds
    the entries instead."""
    if inside.high_us > moment.now_us:
        return None
    points, spend = inside.points, inside.spend_rials
    if parts is None:
        if edge_needs_entries(moment, edge):
            raise ValueError("the edge bucket's parts are needed")
        if edge.high_us > moment.now_us:
            return None
        points, spend = points + edge.points, spend + edge.spend_rials
    else:
        for part in parts:
            points, spend = points + part.points, spend + part.spend_rials
    return Qualifying(max(0, points), max(0, spend))


def pending_cashback(
    rules: RuleSet,
    moment: Moment,
    inside: Inside,
    edge: DayTotals,
    credits: Iterable[LedgerEntry] | None = None,
) -> int:
    """Cashback credited since the local day began (none when the club lets it be spent at once);
    `credits` the cashback day's credits when its bucket does not count whole (cashback_needs_entries)."""
    if not rules.cashback.from_next_day:
        return 0
    if credits is None:
        if cashback_needs_entries(moment, edge):
            raise ValueError("the cashback day's credits are needed")
        return inside.cashback_rials + edge.cashback_rials
    return inside.cashback_rials + sum(
        e.cash_delta
        for e in credits
        if is_credit(e) and moment.pending_from_us <= e.created_at_us < moment.cashback_end_us
    )
