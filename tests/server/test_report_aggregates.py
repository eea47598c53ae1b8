# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports' aggregates (sync.server.reports.aggregates) equal the reference computation
(app.domain.report_summary.summarize) over the raw ledger, on both backends, for random ledgers counted in
random instalments: sales, partial and full returns (some pushed before their sale by another terminal),
redemptions, expiry, check-ins, bonuses and cashback, late entries landing in days already counted."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from app.domain.ledger import EntryKind
from app.domain.programme import RuleSet, TierRule
from app.domain.report_summary import ReportEntry, ReportMember, summarize
from sync.server import rules as rule_sets
from sync.server.db import Database
from sync.server.models import (
    ENTRY,
    MEMBER,
    REPORT_DAY,
    REPORT_MEMBER_DAY,
    REPORT_STAFF_DAY,
    REPORT_WATERMARK,
)
from sync.server.reports import aggregates
from sync.server.sequence import Publisher
from tests.server.club import BRANCH_1, BRANCH_2, T0, enroll, new_id

DAY_US = 86_400_000_000
CLUB = RuleSet(version=0, tiers=(TierRule("bronze", "b", "b", 0),))  # the tables' calendar: +03:30
TODAY = CLUB.local_date(T0)
CODES = {BRANCH_1: "THR", BRANCH_2: "ISF"}
HASH = "0" * 64


def add_members(db: Database, count: int) -> list[ReportMember]:
    """Members joined on different days, at both branches, in bronze and silver."""
    rows = []
    for i in range(count):
        rows.append(
            {"id": new_id(), "name": f"M{i}", "phone": f"+98912{i:07d}",
             "tier_code": ("bronze", "silver")[i % 2], "branch_id": (BRANCH_1, BRANCH_2)[i % 3 == 0],
             "joined_at_us": T0 + (i - 3) * DAY_US, "updated_at_us": T0, "consent_marketing": False}
        )  # fmt: skip
    db.write(lambda conn: conn.execute(insert(MEMBER), rows))
    return [ReportMember(r["id"], r["joined_at_us"], CODES[r["branch_id"]], r["tier_code"]) for r in rows]


# a ledger: what happens, in the order terminals write it; the server's order is shuffled separately
KIND = st.sampled_from(
    [EntryKind.EARN] * 4
    + [EntryKind.REDEEM, EntryKind.EXPIRE, EntryKind.CHECK_IN, EntryKind.BONUS, EntryKind.CASHBACK_CREDIT]
    + [EntryKind.REWARD, EntryKind.MEMBERSHIP_PURCHASE, EntryKind.ADJUST, EntryKind.OVERRIDE]
)
ACT = st.tuples(
    KIND,
    st.integers(0, 5),  # member
    st.integers(-6, 6),  # day
    st.integers(0, 86_399),  # second of the day
    st.integers(1, 50),  # amount (×100,000 rials; points)
    st.lists(st.tuples(st.integers(0, 10), st.integers(1, 100)), max_size=2),  # returns: days later, percent
    st.booleans(),  # branch
)


def ledger(acts: list[Any], members: list[ReportMember], devices: dict[str, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for kind, who, day, second, amount, returns, second_branch in acts:
        branch = (BRANCH_1, BRANCH_2)[second_branch]
        at = T0 + day * DAY_US + second * 1_000_000
        base = {"member_id": members[who].id, "branch_id": branch, "device_id": devices[branch],
                "staff_id": None, "cash_delta": 0, "sale_amount": 0, "discount_rials": 0,
                "reverses": None}  # fmt: skip
        if kind is EntryKind.EARN:
            sale = base | {"id": new_id(), "kind": "earn", "created_at_us": at, "points_delta": amount,
                           "sale_amount": amount * 100_000}  # fmt: skip
            rows.append(sale)
            left = sale["sale_amount"]
            for later, percent in returns:
                part = min(left, max(1, sale["sale_amount"] * percent // 100))
                if part <= 0:
                    break
                left -= part
                rows.append(base | {"id": new_id(), "kind": "reversal", "created_at_us": at + later * DAY_US,
                                    "points_delta": -(amount * percent // 100), "sale_amount": -part,
                                    "reverses": sale["id"]})  # fmt: skip
        else:
            sign = (
                -1
                if kind
                in (EntryKind.REDEEM, EntryKind.EXPIRE, EntryKind.REWARD, EntryKind.MEMBERSHIP_PURCHASE)
                else 1
            )
            if kind is EntryKind.EXPIRE and returns:  # the server giving back expired points (+): not issued
                sign = 1
            points = (
                0
                if kind in (EntryKind.CHECK_IN, EntryKind.OVERRIDE, EntryKind.CASHBACK_CREDIT)
                else sign * amount
            )
            cash = amount * 1_000 if kind is EntryKind.CASHBACK_CREDIT else 0
            rows.append(base | {"id": new_id(), "kind": kind.value, "created_at_us": at,
                                "points_delta": points, "cash_delta": cash})  # fmt: skip
    return rows


def write(db: Database, rows: list[dict[str, Any]], first_seq: int) -> None:
    """Insert entries as the server would have numbered them (server_seq in the list's order)."""
    numbered = [
        r | {"server_seq": first_seq + i, "device_seq": first_seq + i, "prev_hash": HASH, "hash": HASH,
             "received_at_us": T0}
        for i, r in enumerate(rows)
    ]  # fmt: skip
    db.write(lambda conn: conn.execute(insert(ENTRY), numbered))


def reference(
    rows: list[dict[str, Any]], members: list[ReportMember], first: date, last: date, **filters: Any
):
    entries = [
        ReportEntry(r["id"], r["created_at_us"], CODES[r["branch_id"]], r["member_id"], EntryKind(r["kind"]),
                    r["points_delta"], r["cash_delta"], r["sale_amount"], r["reverses"])
        for r in rows
    ]  # fmt: skip
    return summarize(
        entries,
        members,
        CLUB.day_start_us(first),
        CLUB.day_start_us(last + timedelta(days=1)),
        1_000,
        **filters,
    )


def counted(db: Database, first: date, last: date, branch: str | None = None, tier: str | None = None):
    branch_id = {v: k for k, v in CODES.items()}.get(branch) if branch else None
    with db.read() as conn:
        return aggregates.summary(
            conn,
            first,
            last,
            CLUB.day_start_us(last + timedelta(days=1)),
            1_000,
            branch_id=branch_id,
            tier=tier,
        )


def empty(db: Database) -> None:
    def work(conn: Any) -> None:
        for table in (ENTRY, REPORT_WATERMARK, *aggregates.TABLES):
            conn.execute(delete(table))

    db.write(work)


def test_the_aggregates_equal_the_reference_for_random_ledgers(club_db: Database):
    members = add_members(club_db, 6)
    devices = {BRANCH_1: enroll(club_db, "THR").device_id, BRANCH_2: enroll(club_db, "ISF").device_id}

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        acts=st.lists(ACT, min_size=1, max_size=14),
        order=st.randoms(use_true_random=False),
        instalments=st.lists(st.integers(1, 6), min_size=1, max_size=5),
        batch=st.integers(1, 7),
        first=st.integers(-7, 3),
        length=st.integers(0, 40),
        branch=st.sampled_from([None, "THR", "ISF"]),
        tier=st.sampled_from([None, "bronze", "silver"]),
    )
    def check(acts, order, instalments, batch, first, length, branch, tier) -> None:  # noqa: PLR0917
        empty(club_db)
        rows = ledger(acts, members, devices)
        order.shuffle(
            rows
        )  # the server's order: a return may arrive before its sale, a day after it was counted
        seq = 1
        cuts = itertools.accumulate(instalments)
        for start, end in itertools.pairwise([0, *[c for c in cuts if c < len(rows)], len(rows)]):
            write(club_db, rows[start:end], seq)
            seq += end - start
            aggregates.catch_up(club_db, T0, batch=batch)
        start_day = TODAY + timedelta(days=first)
        last_day = start_day + timedelta(days=length)
        expected = reference(rows, members, start_day, last_day, branch=branch, tier=tier)
        assert counted(club_db, start_day, last_day, branch, tier) == expected

    check()


def test_a_return_counted_before_its_sale_and_one_after_it_give_the_same_purchase(club_db: Database):
    """Worked example: a 1,000,000-rial sale, returned 400,000 by the other branch's terminal (pushed before
    the sale) and 600,000 later: after the first it is a purchase of 600,000; after both, no purchase."""
    members = add_members(club_db, 1)
    devices = {BRANCH_1: enroll(club_db, "THR").device_id, BRANCH_2: enroll(club_db, "ISF").device_id}
    sale = {"id": new_id(), "kind": "earn", "member_id": members[0].id, "branch_id": BRANCH_1,
            "device_id": devices[BRANCH_1], "staff_id": None, "created_at_us": T0, "points_delta": 10,
            "cash_delta": 0, "sale_amount": 1_000_000, "discount_rials": 0, "reverses": None}  # fmt: skip
    first_return = sale | {"id": new_id(), "kind": "reversal", "branch_id": BRANCH_2,
                           "device_id": devices[BRANCH_2], "points_delta": -4, "sale_amount": -400_000,
                           "reverses": sale["id"]}  # fmt: skip
    second_return = first_return | {"id": new_id(), "points_delta": -6, "sale_amount": -600_000}
    write(club_db, [first_return], 1)
    assert aggregates.catch_up(club_db, T0) == 1
    write(club_db, [sale], 2)
    aggregates.catch_up(club_db, T0)
    one = counted(club_db, TODAY, TODAY)
    assert (one.members_active, one.net_sales_rials, one.points_outstanding) == (1, 600_000, 6)
    write(club_db, [second_return], 3)
    aggregates.catch_up(club_db, T0)
    both = counted(club_db, TODAY, TODAY)
    assert (both.members_active, both.net_sales_rials, both.points_outstanding) == (0, 0, 0)
    with club_db.read() as conn:
        earn = conn.execute(select(REPORT_DAY).where(REPORT_DAY.c.kind == "earn")).one()
        returns = conn.execute(
            select(REPORT_STAFF_DAY.c.returns).where(REPORT_STAFF_DAY.c.kind == "reversal")
        )
        as_of = aggregates.as_of(conn)
    assert (earn.purchases, earn.net_sales_rials, earn.sale_amount) == (0, 0, 1_000_000)
    assert returns.scalar_one() == 2  # both at the other branch's terminal
    assert (as_of.server_seq, as_of.behind, as_of.counted_at_us) == (3, 0, T0)


def test_late_entries_land_in_their_own_day_and_nothing_counts_twice(club_db: Database):
    members = add_members(club_db, 2)
    device = enroll(club_db, "THR").device_id
    base = {"member_id": members[0].id, "branch_id": BRANCH_1, "device_id": device, "staff_id": None,
            "cash_delta": 0, "discount_rials": 0, "reverses": None, "kind": "earn"}  # fmt: skip
    today = base | {"id": new_id(), "created_at_us": T0, "points_delta": 5, "sale_amount": 500_000}
    write(club_db, [today], 1)
    aggregates.catch_up(club_db, T0)
    week_ago = base | {
        "id": new_id(),
        "created_at_us": T0 - 7 * DAY_US,
        "points_delta": 3,
        "sale_amount": 300_000,
    }
    write(club_db, [week_ago], 2)  # an offline terminal's sale of a week ago, pushed today
    with club_db.read() as conn:
        assert aggregates.as_of(conn).behind == 1
    assert aggregates.catch_up(club_db, T0) == 1
    assert aggregates.catch_up(club_db, T0) == 0  # counted once
    assert counted(club_db, TODAY - timedelta(days=7), TODAY - timedelta(days=7)).net_sales_rials == 300_000
    assert counted(club_db, TODAY, TODAY).net_sales_rials == 500_000
    assert counted(club_db, TODAY, TODAY).points_outstanding == 8


def test_a_new_calendar_counts_everything_again_in_its_days(club_db: Database):
    """A rule set that moves the club's UTC offset moves every day: the aggregates start again."""
    members = add_members(club_db, 1)
    device = enroll(club_db, "THR").device_id
    # 23:00 local (+03:30) on TODAY is 19:30 UTC: the same moment is TODAY in Tehran and tomorrow at +05:00
    at = CLUB.day_start_us(TODAY) + 23 * 3_600_000_000
    entry = {"id": new_id(), "kind": "earn", "member_id": members[0].id, "branch_id": BRANCH_1,
             "device_id": device, "staff_id": None, "created_at_us": at, "points_delta": 1, "cash_delta": 0,
             "sale_amount": 100_000, "discount_rials": 0, "reverses": None}  # fmt: skip
    write(club_db, [entry], 1)
    aggregates.catch_up(club_db, T0)
    with club_db.read() as conn:
        assert conn.execute(select(REPORT_MEMBER_DAY.c.day)).scalar_one() == TODAY.toordinal()

    def move(conn: Any) -> None:
        pub = Publisher(T0)
        rule_sets.save(conn, pub, replace(rule_sets.current(conn), utc_offset_minutes=300), "test")
        pub.flush(conn)

    club_db.write(move)
    aggregates.catch_up(club_db, T0)
    with club_db.read() as conn:
        assert conn.execute(select(REPORT_MEMBER_DAY.c.day)).scalar_one() == TODAY.toordinal() + 1
        assert conn.execute(select(REPORT_WATERMARK.c.utc_offset_minutes)).scalar_one() == 300


def test_servers_catching_up_together_count_each_entry_once(club_db: Database):
    members = add_members(club_db, 4)
    devices = {BRANCH_1: enroll(club_db, "THR").device_id, BRANCH_2: enroll(club_db, "ISF").device_id}
    acts = [
        (EntryKind.EARN, i % 4, i % 5 - 2, i * 97 % 86_400, i % 30 + 1, [(1, 30)], i % 2 == 0)
        for i in range(120)
    ]
    rows = ledger(acts, members, devices)
    write(club_db, rows, 1)
    threads = [
        threading.Thread(target=aggregates.catch_up, args=(club_db, T0), kwargs={"batch": 17})
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first, last = TODAY - timedelta(days=3), TODAY + timedelta(days=12)
    assert counted(club_db, first, last) == reference(rows, members, first, last)


@pytest.mark.parametrize("offset", [210, -300, 0, 345])
def test_day_of_is_the_rule_sets_local_date(offset: int):
    rules = RuleSet(version=0, tiers=CLUB.tiers, utc_offset_minutes=offset)
    for at in (T0, T0 + 1, rules.day_start_us(TODAY), rules.day_start_us(TODAY) - 1, -DAY_US - 1):
        assert aggregates.day_of(rules, at) == rules.local_date(at).toordinal()


def test_months_are_the_jalali_calendars():
    """1405/09/01 is 2026-11-22; Esfand 1404 ends on 2026-03-20 and Farvardin 1405 begins the next day."""
    azar = aggregates.month_of(date(2026, 12, 6))
    assert azar == 1405 * 12 + 8
    assert aggregates.month_first(azar) == date(2026, 11, 22)
    assert aggregates.month_of(date(2026, 11, 21)) == azar - 1
    assert aggregates.month_of(date(2026, 3, 20)) == 1404 * 12 + 11
    assert aggregates.month_of(date(2026, 3, 21).toordinal()) == 1405 * 12
    assert aggregates.month_label(azar, "fa") == "آذر ۱۴۰۵"
    assert aggregates.month_label(azar, "en") == "Azar 1405"


def test_a_slow_summary_is_kept_while_fresh_and_refreshed_in_the_background(club_db: Database, monkeypatch):
    """sync.server.reports.summary_cache: a summary that took long to compute answers a page again while
    fresh, saying how far it counts; the command line's (fresh_s=0) and the background's are exact."""
    from sync.server.reports import summary_cache

    monkeypatch.setattr(summary_cache, "SLOW_US", 0)  # every computation counts as slow here
    members = add_members(club_db, 2)
    device = enroll(club_db, "THR").device_id
    sale = {"id": new_id(), "kind": "earn", "member_id": members[0].id, "branch_id": BRANCH_1,
            "device_id": device, "staff_id": None, "created_at_us": T0, "points_delta": 5, "cash_delta": 0,
            "sale_amount": 500_000, "discount_rials": 0, "reverses": None}  # fmt: skip
    write(club_db, [sale], 1)
    aggregates.catch_up(club_db, T0)
    first, last = aggregates.this_month(TODAY)
    kept, as_of = summary_cache.counted(club_db, T0, first, last, 1_000)
    assert (kept.net_sales_rials, as_of.server_seq, as_of.behind) == (500_000, 1, 0)
    write(club_db, [sale | {"id": new_id(), "member_id": members[1].id}], 2)
    aggregates.catch_up(club_db, T0 + 1)
    again, as_of = summary_cache.counted(club_db, T0 + 60_000_000, first, last, 1_000)
    assert again == kept and (as_of.server_seq, as_of.behind) == (1, 1)  # kept, and says it is behind
    exact, as_of = summary_cache.counted(club_db, T0 + 60_000_000, first, last, 1_000, fresh_s=0)
    assert (exact.net_sales_rials, exact.members_active, as_of.server_seq) == (1_000_000, 2, 2)
    # stale and asked for: the background computes it again, and this month's for each branch
    write(club_db, [sale | {"id": new_id(), "created_at_us": T0 + 1}], 3)
    aggregates.catch_up(club_db, T0 + 2)
    later = T0 + (60 + summary_cache.FRESH_S + 1) * 1_000_000
    assert summary_cache.refresh(club_db, later) == 3  # the whole club's again, and THR's and ISF's
    fresh, as_of = summary_cache.counted(club_db, later, first, last, 1_000)
    assert (fresh.net_sales_rials, as_of.server_seq) == (1_500_000, 3)
    assert counted(club_db, first, last) == fresh
