# SPDX-License-Identifier: GPL-3.0-or-later
"""The day buckets' arithmetic (app.domain.member_days): a window summed from buckets and its edge equals
tiering.qualifying and the pending cashback folded from the entries, at any moment, in any time zone."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import member_days
from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.member_days import NO_HIGH, DayTotals, Inside, Moment, day_of, fold_days, part_of
from app.domain.programme import CashbackRule, Qualification, RuleSet
from app.domain.tiering import Qualifying, qualifying
from tests.unit.domain.programme_strategies import DAY, HOUR, club_rules, entry

T0 = 1_800_000_000 * 1_000_000  # January 2027
E = EntryKind


def _rules(window_days: int = 2, from_next_day: bool = True, offset: int = 210) -> RuleSet:
    return club_rules(
        qualification=Qualification(window_days=window_days),
        cashback=CashbackRule(percent_bp=100, from_next_day=from_next_day),
        utc_offset_minutes=offset,
    )


def _read(rules: RuleSet, entries: list[LedgerEntry], member: str, now: int) -> tuple[Qualifying | None, int]:
    """What the store's reading gives (app.store.ledger.member_days_at), done over a list."""
    moment = Moment.at(rules, now)
    buckets = {d: t for (m, d), t in fold_days(entries).items() if m == member}
    after = [t for d, t in buckets.items() if d > moment.edge_day]
    inside = Inside(
        sum(t.points for t in after),
        sum(t.spend_rials for t in after),
        max((t.high_us for t in after), default=NO_HIGH),
        sum(t.cashback_rials for d, t in buckets.items() if d > moment.cashback_day),
    )
    edge = buckets.get(moment.edge_day, DayTotals())
    cashback_edge = buckets.get(moment.cashback_day, DayTotals())
    parts = credits = None
    mine = [e for e in entries if e.member_id == member]
    if member_days.edge_needs_entries(moment, edge):
        near = [e for e in mine if moment.since_us < e.created_at_us < moment.edge_end_us]
        ids = {e.id for e in near}
        partners = {e.id: e for e in entries if e.reverses in ids} | {
            e.id: e for e in entries if any(n.reverses == e.id for n in near)
        }
        parts = member_days.edge_parts(moment, near, partners)
    if member_days.cashback_needs_entries(moment, cashback_edge):
        credits = [e for e in mine if moment.pending_from_us <= e.created_at_us < moment.cashback_end_us]
    total = member_days.qualifying(moment, inside, edge, parts)
    return total, member_days.pending_cashback(rules, moment, inside, cashback_edge, credits)


def _folded(rules: RuleSet, entries: list[LedgerEntry], member: str, now: int) -> tuple[Qualifying, int]:
    """The reference: what a sale folded from the member's entries before the buckets."""
    mine = [e for e in entries if e.member_id == member]
    pending = 0
    if rules.cashback.from_next_day:
        today = rules.day_start_us(rules.local_date(now))
        pending = sum(e.cash_delta for e in mine if e.kind is E.CASHBACK_CREDIT and e.created_at_us >= today)
    return qualifying(mine, rules, now), pending


@st.composite
def histories(draw: st.DrawFn) -> list[LedgerEntry]:
    out: list[LedgerEntry] = []
    for n in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from((E.EARN, E.EARN, E.CASHBACK_CREDIT, E.REVERSAL, E.EXPIRE, E.BONUS)))
        at = T0 + draw(st.integers(-4 * DAY, 2 * DAY))
        member = draw(st.sampled_from(("m1", "m2")))
        amount = draw(st.integers(-20, 300))
        undone = None
        if kind is E.REVERSAL and out:
            target = draw(st.sampled_from(out))
            undone, member = target.id, draw(st.sampled_from((target.member_id, target.member_id, "m2")))
        out.append(
            entry(kind, id=f"x{n}", at=at, member=member, points=amount, sale=amount * 1_000, cash=amount,
                  reverses=undone)
        )  # fmt: skip
    return out


@settings(max_examples=300)
@given(
    entries=histories(),
    later=st.integers(-3 * DAY, 3 * DAY),
    window_days=st.integers(1, 3),
    from_next_day=st.booleans(),
    offset=st.sampled_from((210, 0, -300, 345, -720, 840)),
)
def test_buckets_and_their_edges_sum_to_the_fold(entries, later, window_days, from_next_day, offset):
    rules = _rules(window_days, from_next_day, offset)
    now = T0 + later
    for member in ("m1", "m2"):
        total, pending = _read(rules, entries, member, now)
        want_total, want_pending = _folded(rules, entries, member, now)
        assert pending == want_pending
        ahead = any(
            e.created_at_us > now for e in entries if e.member_id == member and e.kind in (E.EARN, E.REVERSAL)
        )
        assert total == want_total or (total is None and ahead)


@given(entries=histories())
def test_the_buckets_are_the_same_whatever_order_the_entries_came_in(entries):
    assert fold_days(entries) == fold_days(list(reversed(entries)))


def test_a_return_counts_in_its_sales_bucket_until_both_are_in_the_window():
    sale = entry(E.EARN, id="s", at=T0, points=100, sale=100_000)
    back = entry(E.REVERSAL, id="r", at=T0 + 3 * DAY, points=-30, sale=-30_000, reverses="s")
    part = part_of(back, sale)
    assert (part.low_us, part.high_us, part.day) == (T0, T0 + 3 * DAY, day_of(T0))
    assert part_of(back, None) is None  # the sale is not here yet
    assert part_of(back, replace(sale, member_id="m2")) is None  # another member's sale moves no tier
    assert part_of(back, replace(sale, kind=E.REDEEM)) is None  # only the reversal of a sale
    rules = _rules(window_days=5)
    assert _read(rules, [sale, back], "m1", T0 + 3 * DAY)[0] == Qualifying(70, 70_000)
    assert _read(rules, [sale, back], "m1", T0 + 3 * DAY - 1)[0] is None  # the return is ahead of now
    assert _read(rules, [sale, back], "m1", T0 + 5 * DAY)[0] == Qualifying(0, 0)  # the sale left the window


def test_an_edge_day_is_read_entry_by_entry_only_when_part_of_it_is_outside():
    rules = _rules(window_days=1)
    morning = entry(E.EARN, at=T0 + 2 * HOUR, points=10, sale=1_000)
    evening = entry(E.EARN, at=T0 + 20 * HOUR, points=5, sale=500)
    moment = Moment.at(rules, T0 + DAY + 10 * HOUR)  # the window starts between the two
    edge = fold_days([morning, evening])[("m1", moment.edge_day)]
    assert member_days.edge_needs_entries(moment, edge)
    assert not member_days.edge_needs_entries(Moment.at(rules, T0 + DAY + HOUR), edge)
    with pytest.raises(ValueError, match="parts"):
        member_days.qualifying(moment, Inside(), edge)
    assert _read(rules, [morning, evening], "m1", moment.now_us)[0] == Qualifying(5, 500)
