# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports beyond the summary (sync.server.reports.insights) on both backends: small ledgers pushed
through the real push path, counted by the aggregates (`catch_up`), and each report's worked numbers."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from app.domain import expiry
from app.domain.companions import Companion
from app.domain.errors import ClubError
from app.domain.ids import derived_id
from app.domain.ledger import EntryKind
from app.domain.programme import MembershipPlan, Qualification, Reward, RuleSet, TierRule
from app.domain.returns import RETURN_REASON
from sync.protocol import WireEntry
from sync.server import programme
from sync.server import rules as rule_sets
from sync.server.club.access import CONSOLE, Permission
from sync.server.club.act import Call
from sync.server.db import Database
from sync.server.models import AUDIT, MEMBER
from sync.server.reports import catalogue, export, insights, jobs
from sync.server.reports.aggregates import catch_up, month_first, month_of
from sync.server.reports.insights_common import ratio
from sync.server.reports.insights_points import replay
from sync.server.reports.table import Cell, Filters, Result
from sync.server.sequence import Publisher
from tests.server.club import BRANCH_2, T0, Terminal, add_staff, enroll, member, member_item, push

DAY_US = 86_400_000_000
CLUB = RuleSet(version=0, tiers=(TierRule("bronze", "b", "b", 0),))  # the club's calendar: +03:30
TODAY = CLUB.local_date(T0)  # 2025-06-15


def at(day: date, hour: int = 12) -> int:
    """Noon (or `hour`) of a local day, UTC microseconds."""
    return CLUB.day_start_us(day) + hour * 3_600_000_000


def build(db: Database, code: str, first: date, last: date, **filters: Any) -> Result:
    catch_up(db, T0)
    report = catalogue.by_code(code)
    assert report is not None
    result = report.build(Call(db, T0, CONSOLE), Filters(first, last, **filters))
    assert result.as_of is not None and result.as_of.behind == 0
    for table in result.tables:  # every column's definition is the report's
        assert all(c.definition is None or c.definition in report.definitions for c in table.columns)
    return result


def rows(result: Result, code: str) -> list[tuple[Any, ...]]:
    """A table's rows, its cells' values unwrapped."""
    table = next(t for t in result.tables if t.code == code)
    return [tuple(v.value if isinstance(v, Cell) else v for v in row) for row in table.rows]


def cell(result: Result, code: str, row: int, key: str) -> Cell:
    table = next(t for t in result.tables if t.code == code)
    value = table.rows[row][[c.key for c in table.columns].index(key)]
    return value if isinstance(value, Cell) else Cell(value)


def sale(terminal: Terminal, m: str, amount: int, day: date, **fields: Any) -> WireEntry:
    return terminal.entry(m, EntryKind.EARN, amount // 100_000, sale_amount=amount, created_at_us=at(day),
                          **fields)  # fmt: skip


def give_back(terminal: Terminal, m: str, of: WireEntry, amount: int, day: date) -> WireEntry:
    return terminal.entry(m, EntryKind.REVERSAL, 0, sale_amount=-amount, reverses=of.id, reason=RETURN_REASON,
                          created_at_us=at(day))  # fmt: skip


def test_the_catalogue_lists_every_insight_with_definitions_in_both_languages():
    codes = [r.code for r in insights.REPORTS]
    assert codes == ["retention", "lapsed", "lifetime_value", "points", "points_expiry", "branch_liability",
                     "tiers", "rewards_memberships", "event_attendance"]  # fmt: skip
    for report in insights.REPORTS:
        assert report.title_fa and report.title_en and report.permission is Permission.READ
        assert all(en and fa and en != fa for en, fa in report.definitions.values())
    slow = {r.code for r in insights.REPORTS if r.slow}
    assert slow == {"lapsed", "lifetime_value", "points_expiry", "branch_liability"}


def test_docs_reports_md_prints_every_insight_definition():
    page = (Path(__file__).parents[2] / "docs" / "reports.md").read_text(encoding="utf-8")
    for report in insights.REPORTS:
        assert f"(`{report.code}`" in page
        for key, (english, persian) in report.definitions.items():
            assert f"| `{key}` | {english} | {persian} |" in page, (report.code, key)


def test_retention_and_lifetime_value_by_joining_month(client, club_db):
    thr, isf = enroll(club_db), enroll(club_db, "ISF")
    # the club's months are Jalali: Esfand 1403 is 2025-02-19 to 03-20, Farvardin 1404 03-21 to 04-20,
    # Ordibehesht 04-21 to 05-21, Khordad 05-22 to 06-21 (today, 06-15, is in Khordad)
    march, april = date(2025, 3, 10), date(2025, 4, 10)
    m1, m2, m3 = (member(joined_at_us=at(march)) for _ in range(3))
    m4 = member(BRANCH_2, joined_at_us=at(april))
    m5 = member(joined_at_us=at(date(2025, 5, 2)))  # May: outside the cohorts asked for
    push(client, thr, [], [member_item(m) for m in (m1, m2, m3, m5)])
    push(client, isf, [], [member_item(m4)])
    a = sale(thr, m1.id, 1_000_000, date(2025, 3, 11))
    b = sale(thr, m1.id, 500_000, date(2025, 5, 1))
    c = sale(thr, m2.id, 2_000_000, date(2025, 4, 3))
    c_back = give_back(thr, m2.id, c, 500_000, date(2025, 4, 9))  # partial: still a purchase
    d = sale(thr, m3.id, 300_000, date(2025, 4, 5))
    d_back = give_back(thr, m3.id, d, 300_000, date(2025, 6, 1))  # in full, later: no purchase at all
    e = sale(thr, m5.id, 700_000, date(2025, 5, 3))
    push(client, thr, [a, b, c, c_back, d, d_back, e])
    f = sale(isf, m4.id, 900_000, date(2025, 4, 11))
    g = sale(isf, m4.id, 100_000, date(2025, 5, 30))
    push(client, isf, [f, g])
    club_db.write(
        lambda conn: conn.execute(update(MEMBER).where(MEMBER.c.id == m2.id).values(tier_code="silver"))
    )

    # the period touches Esfand and Farvardin: both whole months are the cohorts; now is Khordad
    result = build(club_db, "retention", date(2025, 3, 15), date(2025, 4, 2))
    third = Fraction(1, 3)
    esfand, farvardin = date(2025, 2, 19), date(2025, 3, 21)
    assert rows(result, "retention") == [
        (esfand, 3, third, third, third, Fraction(0)),  # m1 in Esfand and Ordibehesht, m2 in Farvardin
        (farvardin, 1, Fraction(1), Fraction(0), Fraction(1), None),  # Tir is still to come
    ]
    assert cell(result, "retention", 0, "members").drill.named == "cohort"
    assert result.tables[0].chart.kind == "heatmap"
    assert rows(build(club_db, "retention", march, march, branch="ISF"), "retention") == [
        (esfand, 0, None, None, None, None)  # a cohort of nobody has no share to show
    ]
    assert rows(build(club_db, "retention", march, march, tier="silver"), "retention") == [
        (esfand, 1, Fraction(0), Fraction(1), Fraction(0), Fraction(0))
    ]

    ltv = build(club_db, "lifetime_value", march, april)
    # members, purchases, net sales, purchases per member, net sales per member (rounded down)
    assert rows(ltv, "ltv_cohort") == [
        (esfand, 3, 3, 3_000_000, Fraction(1), 1_000_000),
        (farvardin, 1, 2, 1_000_000, Fraction(2), 1_000_000),
    ]
    assert rows(ltv, "ltv_branch") == [
        ("ISF", 1, 2, 1_000_000, Fraction(2), 1_000_000),
        ("THR", 3, 3, 3_000_000, Fraction(1), 1_000_000),
    ]
    assert rows(ltv, "ltv_tier") == [
        ("bronze", 3, 4, 2_500_000, Fraction(4, 3), 833_333),
        ("silver", 1, 1, 1_500_000, Fraction(1), 1_500_000),
    ]
    assert "pymc-marketing" in ltv.tables[0].note_en


def test_lapsed_members_by_recency_and_churn(client, club_db, terminal):
    end = date(2025, 6, 10)
    first = end - timedelta(days=9)  # ten days; the previous period is the ten before
    joined = at(date(2024, 1, 1))
    ms = {name: member(joined_at_us=joined) for name in "abcdegh"}
    late = member(joined_at_us=at(end + timedelta(days=1)))  # joined after the period: not counted
    push(client, terminal, [], [member_item(m) for m in (*ms.values(), late)])
    ids = {name: m.id for name, m in ms.items()}
    h_sale = sale(terminal, ids["h"], 400_000, end - timedelta(days=5))
    entries = [
        h_sale,
        sale(terminal, ids["a"], 100_000, end - timedelta(days=10)),  # active before, not now: churned
        sale(terminal, ids["b"], 100_000, end - timedelta(days=45)),
        sale(terminal, ids["c"], 100_000, end - timedelta(days=100)),
        sale(terminal, ids["d"], 100_000, end - timedelta(days=400)),
        sale(terminal, ids["g"], 100_000, end - timedelta(days=15)),  # before and now: retained
        sale(terminal, ids["g"], 100_000, end - timedelta(days=2)),
        give_back(terminal, ids["h"], h_sale, 400_000, end + timedelta(days=3)),  # returned in full later
        sale(terminal, late.id, 100_000, end + timedelta(days=1)),
    ]
    push(client, terminal, entries)
    result = build(club_db, "lapsed", first, end)
    bands = {r[0]: r[3] for r in rows(result, "recency")}
    assert bands == {"0-30": 2, "31-60": 1, "61-90": 0, "91-180": 1, "181-365": 0, "over_365": 1, "never": 2}
    assert rows(result, "recency")[0][4] == Fraction(2, 7)
    assert rows(result, "churn") == [
        (first - timedelta(days=10), first - timedelta(days=1), 2, 1, 1, 1, Fraction(1, 2))
    ]
    assert cell(result, "churn", 0, "churned").drill.member_ids == (ids["a"],)
    # twenty days on: a's last purchase is 30 days back (still the first band), b's 65; the late member
    # has joined and bought; h's sale, returned in full, was never a purchase
    later = {r[0]: r[3] for r in rows(build(club_db, "lapsed", end, end + timedelta(days=20)), "recency")}
    assert later == {"0-30": 3, "31-60": 0, "61-90": 1, "91-180": 1, "181-365": 0, "over_365": 1, "never": 2}


def _save_rules(club_db: Database, **changes: Any) -> int:
    """A rule set like version 0 with `changes`, in force since long before every period below."""

    def publish(conn: Any) -> int:
        pub = Publisher(T0 - 400 * DAY_US)
        saved = rule_sets.save(conn, pub, replace(rule_sets.legacy(conn), **changes), "test")
        pub.flush(conn)
        return saved.version

    return club_db.write(publish)


def _run_programme(club_db: Database, now_us: int) -> None:
    club_db.write(lambda conn: programme.run(conn, now_us))


def test_points_over_time_redemption_breakage_and_expiry(client, club_db, terminal):
    end = date(2025, 6, 10)

    def ago(days: int, hour: int = 12) -> int:
        return at(end - timedelta(days=days), hour)

    isf = enroll(club_db, "ISF")
    x, z = member(joined_at_us=at(date(2024, 1, 1))), member(joined_at_us=at(date(2024, 1, 1)))
    y = member(BRANCH_2, joined_at_us=at(date(2024, 1, 1)))
    push(client, terminal, [], [member_item(x), member_item(z)])
    push(client, isf, [], [member_item(y)])
    push(client, terminal, [
        *terminal.sale(x.id, 10_000_000, created_at_us=ago(100)),  # 100 points
        *terminal.sale(z.id, 2_000_000, created_at_us=ago(91)),  # 20
        *terminal.sale(x.id, 5_000_000, created_at_us=ago(80)),  # 50
        *terminal.sale(x.id, 3_000_000, created_at_us=ago(20)),  # 30
        *terminal.sale(x.id, 240_000, redeem=120, created_at_us=ago(10)),  # 1 point; 120 spent
    ])  # fmt: skip
    push(client, isf, [*isf.sale(y.id, 2_000_000, created_at_us=ago(95)),  # 40
                       *isf.sale(y.id, 500_000, created_at_us=ago(3))])  # 10  # fmt: skip
    _save_rules(club_db, expiry_days=90)
    _run_programme(club_db, ago(2))  # y's 40 of day -95 expire; z's 20 of day -91 are not yet due

    result = build(club_db, "points", end - timedelta(days=20), end)
    assert rows(result, "points_totals") == [(41, 120, 40, Fraction(120, 41), Fraction(40, 41))]
    daily = {r[0]: r[1:] for r in rows(result, "points_over_time")}
    assert len(daily) == 21 and daily[end - timedelta(days=10)] == (1, 120, 0)
    assert daily[end - timedelta(days=20)] == (30, 0, 0) and daily[end - timedelta(days=2)] == (0, 0, 40)
    assert set(cell(result, "points_over_time", 10, "redeemed").drill.kinds) == {
        "redeem",
        "reward",
        "membership_purchase",
    }
    monthly = build(club_db, "points", end - timedelta(days=100), end)
    # by the club's (Jalali) months: Esfand from 02-19, Farvardin 03-21, Ordibehesht 04-21, Khordad 05-22
    assert rows(monthly, "points_over_time") == [
        (date(2025, 2, 19), 160, 0, 0), (date(2025, 3, 21), 50, 0, 0), (date(2025, 4, 21), 30, 0, 0),
        (date(2025, 5, 22), 11, 120, 40),
    ]  # fmt: skip
    # at ISF: y's sale, and the expiry (written at the member's enrolment branch)
    isf_only = build(club_db, "points", end - timedelta(days=20), end, branch="ISF")
    assert rows(isf_only, "points_totals") == [(10, 0, 40, Fraction(0), Fraction(4))]
    silver = build(club_db, "points", end - timedelta(days=20), end, tier="silver")
    assert rows(silver, "points_totals") == [(0, 0, 0, Fraction(0), Fraction(0))]

    # x holds 61, the newest earnings first: 1 of day -10 (expires day +80), 30 of day -20 (day +70), 30
    # of day -80 (day +10); y holds its 10 of day -3 (day +87); z's 20 of day -91 are past their 90 days
    # (the daily run has not taken them): due now
    expiry = build(club_db, "points_expiry", end - timedelta(days=20), end)
    assert rows(expiry, "expiring") == [(91, 20, 30, 30, 71, 0)]
    # expiring on 06-20 (Khordad), 08-19 (Mordad, from 07-23), 08-29 and 09-05 (Shahrivar, from 08-23)
    assert rows(expiry, "expiring_by_month") == [
        (date(2025, 5, 22), 30),
        (date(2025, 7, 23), 30),
        (date(2025, 8, 23), 11),
    ]
    assert rows(build(club_db, "points_expiry", end, end, branch="ISF"), "expiring") == [(10, 0, 0, 0, 10, 0)]


def test_points_that_never_expire(client, club_db, terminal):
    m = member(joined_at_us=at(date(2024, 1, 1)))
    push(client, terminal, [], [member_item(m)])
    push(client, terminal, [sale(terminal, m.id, 1_000_000, date(2025, 6, 1))])
    result = build(club_db, "points_expiry", date(2025, 6, 1), date(2025, 6, 10))
    assert rows(result, "expiring") == [(10, 0, 0, 0, 0, 0)]
    assert "never expire" in result.tables[0].note_en


def test_what_branches_owe_each_other(client, club_db):
    thr, isf = enroll(club_db), enroll(club_db, "ISF")
    m = member(joined_at_us=at(date(2024, 1, 1)))
    push(client, thr, [], [member_item(m)])
    push(client, thr, [
        *thr.sale(m.id, 10_000_000, created_at_us=at(date(2025, 3, 5))),  # 100 points at THR
        *thr.sale(m.id, 60_000, redeem=30, created_at_us=at(date(2025, 4, 2))),  # 30 spent at THR
    ])  # fmt: skip
    push(client, isf, [
        *isf.sale(m.id, 2_500_000, created_at_us=at(date(2025, 4, 8))),  # 50 at ISF
        # 90 spent at ISF in May (the sale earns 6): the 70 left of THR's March lot, then 20 of ISF's
        *isf.sale(m.id, 400_000, redeem=90, created_at_us=at(date(2025, 5, 6))),
    ])  # fmt: skip
    progress: list[int] = []
    report = catalogue.by_code("branch_liability")
    assert report is not None and report.slow
    catch_up(club_db, T0)
    result = report.build(Call(club_db, T0, CONSOLE), Filters(date(2025, 4, 1), date(2025, 5, 31)),
                          progress=progress.append)  # type: ignore[call-arg]  # fmt: skip
    assert progress[-1] == 100
    # rows: earned at; columns: spent at ISF, spent at THR, in all
    assert rows(result, "earned_spent") == [("ISF", 20, 0, 20), ("THR", 70, 30, 100)]
    # ISF holds 36 of its own lots; THR owes ISF 70 points at ISF's 1,000 rials a point
    assert rows(result, "branch_liability") == [
        ("ISF", 36, 36_000, 0, 70_000, 70_000),
        ("THR", 0, 0, 70_000, 0, -70_000),
    ]
    # the background jobs build it (progress written between the report's reads) and keep the same result
    catch_up(club_db, T0 + 1)
    call = Call(club_db, T0, CONSOLE)
    queued = [jobs.queue(call, code, Filters(date(2025, 4, 1), date(2025, 5, 31)), "fa")
              for code in ("branch_liability", "points_expiry", "lapsed", "lifetime_value")]  # fmt: skip
    assert jobs.run_pending(club_db, T0) == len(queued)
    done = [jobs.job(call, job_id) for job_id in queued]
    assert [(j.status, j.progress) for j in done] == [("done", 100)] * len(queued), [j.message for j in done]
    assert rows(done[0].result, "earned_spent") == rows(result, "earned_spent")  # type: ignore[arg-type]
    # every insight report exports in both languages (the CSV read back has the matrix's numbers)
    for code in [r.code for r in insights.REPORTS]:
        report, filters = catalogue.by_code(code), Filters(date(2025, 4, 1), date(2025, 5, 31))
        built = jobs.build(report, call, filters)  # type: ignore[arg-type]
        for kind in ("csv", "xlsx", "pdf"):
            for lang in ("fa", "en"):
                assert export.render(kind, built, report, filters, lang)  # type: ignore[arg-type]
        if code == "branch_liability":
            text = export.to_csv(built, report, filters, "en").decode("utf-8-sig")  # type: ignore[arg-type]
            assert "THR,70,30,100" in text.replace('"', "")
    # May alone, for ISF: THR's March lot is what ISF's spending used first
    may = build(club_db, "branch_liability", date(2025, 5, 1), date(2025, 5, 31), branch="ISF")
    assert rows(may, "earned_spent") == [("ISF", 20, 0, 20), ("THR", 70, 0, 70)]
    assert rows(may, "branch_liability") == [("ISF", 36, 36_000, 0, 70_000, 70_000)]


def test_replay_is_first_in_first_out_across_months():
    @dataclass
    class Row:
        month: int
        branch_id: str
        points_issued: int
        points_redeemed: int
        points_expired: int
        points_delta: int

    matrix: dict[tuple[str, str], int] = defaultdict(int)
    left = replay([Row(1, "A", 10, 0, 0, 10), Row(2, "B", 5, 0, 4, 1), Row(3, "B", 0, 20, 0, -20)], 3, matrix)
    # the expiry of month 2 takes 4 of A's lot; month 3 spends A's 6, B's 5, and 9 no earning covers
    assert dict(matrix) == {("A", "B"): 6, ("B", "B"): 5, ("", "B"): 9}
    assert dict(left) == {}


def test_tiers_where_members_stand_and_how_they_moved(client, club_db, terminal):
    day = date(2025, 6, 1)
    a, b, c = (member(joined_at_us=at(date(2024, 1, 1))) for _ in range(3))
    d = member(BRANCH_2, joined_at_us=at(date(2024, 1, 1)))
    push(client, terminal, [], [member_item(m) for m in (a, b, c)])
    push(client, enroll(club_db, "ISF"), [], [member_item(d)])
    # a ten-day window: the review moves b (silver for 40 days, no points since) back down, in the period
    version = _save_rules(club_db, qualification=Qualification(window_days=10, grace_days=0))
    up = {"upgrade_to": "silver", "rules_version": version}
    push(client, terminal, [
        *terminal.sale(b.id, 50_000_000, created_at_us=at(day - timedelta(days=40)), **up),
        *terminal.sale(a.id, 50_000_000, created_at_us=at(day), **up),
        *terminal.sale(c.id, 50_000_000, created_at_us=at(day + timedelta(days=20)), **up),
    ])  # fmt: skip
    _run_programme(club_db, at(day, 13))
    result = build(club_db, "tiers", day, day + timedelta(days=6))
    # the current tiers: a and c are silver (c moved after the period: the tier is today's)
    distribution = {r[0]: (r[3], r[4], r[5], r[6]) for r in rows(result, "tier_distribution")}
    assert distribution == {"bronze": (2, Fraction(1, 2), 1, 1), "silver": (2, Fraction(1, 2), 0, 2)}
    # b's move down came from silver: its previous tier_change (before the period)
    assert rows(result, "tier_moves") == [
        ("bronze", "silver", "up", "بالا", 1),
        ("silver", "bronze", "down", "پایین", 1),
    ]
    assert len(cell(result, "tier_moves", 0, "moves").drill.entry_ids) == 1
    assert [(r[0], r[2]) for r in rows(result, "tier_moves_by_reason")] == [
        ("upgrade", 1),
        ("review", 1),
        ("other", 0),
    ]
    assert rows(build(club_db, "tiers", day, day, tier="silver"), "tier_moves") == [
        ("bronze", "silver", "up", "بالا", 1)
    ]
    assert rows(build(club_db, "tiers", day, day, branch="ISF"), "tier_distribution")[0][3:] == (
        1,
        Fraction(1),
        1,
    )


def test_rewards_and_membership_cards_sold(client, club_db, terminal):
    day = date(2025, 6, 1)
    version = _save_rules(
        club_db,
        rewards=(Reward("mug", "لیوان", "Mug", 100, stock=(("THR", 10),)),
                 Reward("tote", "کیف", "Tote", 250, stock=(("THR", 10),))),
        memberships=(MembershipPlan("gold", "طلایی", "Gold", 10_000_000, 365),),
    )  # fmt: skip
    m = member(joined_at_us=at(date(2024, 1, 1)))
    push(client, terminal, [], [member_item(m)])
    push(client, terminal, terminal.sale(m.id, 90_000_000, created_at_us=at(day), rules_version=version))

    def bought(kind: EntryKind, points: int, when: int, ref: str, **fields: Any) -> list[WireEntry]:
        """The entry and its redeem companion, which spends the points (sync.server.vetting.pricing)."""
        common = {"created_at_us": when, "rules_version": version}
        primary = terminal.entry(m.id, kind, 0, invoice_ref=ref, **common, **fields)
        companion = str(derived_id(primary.id, Companion.REDEEM))
        redeem = terminal.entry(m.id, EntryKind.REDEEM, -points, id=companion,
                                discount_rials=fields.get("discount_rials", 0), **common)  # fmt: skip
        return [primary, redeem]

    clerk = add_staff(club_db)
    mug = bought(EntryKind.REWARD, 100, at(day, 13), "reward:mug")
    answer = push(client, terminal, [
        *mug,
        *bought(EntryKind.REWARD, 100, at(day, 14), "reward:mug"),
        *bought(EntryKind.REWARD, 250, at(day, 15), "reward:tote"),
        *bought(EntryKind.MEMBERSHIP_PURCHASE, 300, at(day, 16), "gold", sale_amount=7_000_000,
                discount_rials=3_000_000),
        *bought(EntryKind.REWARD, 100, at(day + timedelta(days=8)), "reward:mug"),  # after the period
        terminal.entry(m.id, EntryKind.REVERSAL, 0, reverses=mug[0].id, reason="given back", staff_id=clerk,
                       created_at_us=at(day + timedelta(days=30))),
        terminal.entry(m.id, EntryKind.REVERSAL, 100, reverses=mug[1].id, reason="given back", staff_id=clerk,
                       created_at_us=at(day + timedelta(days=30))),
    ])  # fmt: skip
    assert {e["outcome"] for e in answer["entries"]} == {"accepted"}, [
        e["reason"] for e in answer["entries"]
    ][-4:]
    result = build(club_db, "rewards_memberships", day, day + timedelta(days=6))
    # code, names, sold, undone, kept, points, rials
    assert rows(result, "rewards_sold") == [
        ("mug", "لیوان", "Mug", 2, 1, 1, 100, 0),
        ("tote", "کیف", "Tote", 1, 0, 1, 250, 0),
    ]
    assert rows(result, "memberships_sold") == [("gold", "طلایی", "Gold", 1, 0, 1, 300, 7_000_000)]
    assert cell(result, "rewards_sold", 0, "sold").drill.kinds == ("reward",)
    assert rows(build(club_db, "rewards_memberships", day, day, branch="ISF"), "rewards_sold") == []


def test_event_attendance(client, club_db):
    from sync.protocol import WireEvent, WireInvitation
    from sync.server import events as store

    thr = enroll(club_db)
    ms = [member(joined_at_us=at(date(2024, 1, 1))) for _ in range(4)]
    push(client, thr, [], [member_item(m) for m in ms])
    starts = at(date(2025, 6, 5), 18)
    gala = WireEvent(id="00000000-0000-7000-8000-0000000e0001", name="Gala", starts_at_us=starts,
                     ends_at_us=starts + 4 * 3_600_000_000, plus_ones=2)  # fmt: skip

    def setup(conn: Any) -> None:
        pub = Publisher(T0)
        store.put_event(conn, pub, gala)
        for i, m in enumerate(ms[:3]):
            invitation = WireInvitation(id=f"00000000-0000-7000-8000-0000000f000{i}", event_id=gala.id,
                                        member_id=m.id)  # fmt: skip
            store.put_invitation(conn, pub, invitation)
        pub.flush(conn)

    club_db.write(setup)
    e = thr.entry
    admitted = e(ms[0].id, EntryKind.CHECK_IN, 0, invoice_ref=gala.id, created_at_us=starts)
    undone = e(ms[1].id, EntryKind.CHECK_IN, 0, invoice_ref=gala.id, created_at_us=starts + 1)
    answer = push(client, thr, [
        admitted,
        undone,
        e(ms[0].id, EntryKind.GUEST_CHECK_IN, 0, invoice_ref=gala.id, created_at_us=starts + 2),
        e(ms[1].id, EntryKind.REVERSAL, 0, reverses=undone.id, invoice_ref=gala.id, created_at_us=starts + 3,
          staff_id=add_staff(club_db), reason="wrong member"),
        e(ms[3].id, EntryKind.CHECK_IN, 0, invoice_ref=gala.id, created_at_us=starts + 4),  # not on the list
    ])  # fmt: skip
    assert {e["outcome"] for e in answer["entries"]} == {"accepted"}, [
        e["reason"] for e in answer["entries"]
    ][-4:]
    result = build(club_db, "event_attendance", date(2025, 6, 1), date(2025, 6, 7))
    # event, day, state, branch, invited, admitted, no-shows, plus-ones, people, admitted twice, show rate
    assert rows(result, "event_attendance") == [
        ("Gala", date(2025, 6, 5), "", "", 3, 2, 2, 1, 3, 0, Fraction(1, 3))
    ]
    assert set(cell(result, "event_attendance", 0, "admitted").drill.member_ids) == {ms[0].id, ms[3].id}
    assert (
        rows(build(club_db, "event_attendance", date(2025, 6, 6), date(2025, 6, 7)), "event_attendance") == []
    )


def test_reading_is_audited_and_a_branch_must_exist(club_db):
    catch_up(club_db, T0)
    report = catalogue.by_code("points")
    assert report is not None
    report.build(Call(club_db, T0, CONSOLE), Filters(TODAY, TODAY, branch="THR"))
    with club_db.read() as conn:
        actions = list(conn.execute(select(AUDIT.c.action, AUDIT.c.target)))
    assert ("report.points", "THR") in [tuple(a) for a in actions]
    with pytest.raises(ClubError, match="unknown_branch"):
        report.build(Call(club_db, T0, CONSOLE), Filters(TODAY, TODAY, branch="NOPE"))
    with pytest.raises(ClubError, match="unknown_tier"):
        report.build(Call(club_db, T0, CONSOLE), Filters(TODAY, TODAY, tier="gold"))
    with pytest.raises(ClubError, match="period_ends_before_it_starts"):
        report.build(Call(club_db, T0, CONSOLE), Filters(TODAY, TODAY - timedelta(days=1)))


def test_outstanding_points_by_expiry_equal_the_ledgers_own_lots(client, club_db, terminal):
    """For random ledgers of sales and spending (pushed, counted), each member's points by expiry day are
    what app.domain.expiry.lots (first-in-first-out over the raw entries) leaves of their earnings."""
    end = date(2025, 6, 10)
    days = 60
    _save_rules(club_db, expiry_days=days)
    written: dict[str, list[WireEntry]] = {}
    seen: set[str] = set()

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 100), st.integers(1, 30), st.booleans()),
                    min_size=1, max_size=8))  # fmt: skip
    def check(moves: list[tuple[int, int, int, bool]]) -> None:
        pair = [member(joined_at_us=at(date(2024, 1, 1))) for _ in range(2)]
        push(client, terminal, [], [member_item(m) for m in pair])
        balance = [0, 0]
        entries: list[WireEntry] = []
        for who, ago, points, spend in sorted(moves, key=lambda move: -move[1]):
            when = at(end - timedelta(days=ago), 9) + len(entries)
            if spend and balance[who] >= points:  # half the sale paid in points; it earns points / 100
                made = terminal.sale(pair[who].id, 2_000 * points, redeem=points, created_at_us=when)
            else:
                made = terminal.sale(pair[who].id, 100_000 * points, created_at_us=when)
            entries += made
            balance[who] += sum(e.points_delta for e in made)
        answer = push(client, terminal, entries)
        assert {e["outcome"] for e in answer["entries"]} == {"accepted"}
        for m in pair:
            written[m.id] = [e for e in entries if e.member_id == m.id]
        expected_due = 0
        expected: dict[int, int] = defaultdict(int)
        for lots_of in written.values():
            for lot in expiry.lots(lots_of):  # type: ignore[arg-type]
                expires = CLUB.local_date(lot.earned_at_us).toordinal() + days
                if expires <= end.toordinal():
                    expected_due += lot.points
                else:
                    expected[expires] += lot.points
        result = build(club_db, "points_expiry", end, end, tier="bronze")
        [(outstanding, due, *within, later)] = rows(result, "expiring")
        assert outstanding == sum(sum(e.points_delta for e in es) for es in written.values())
        assert due == expected_due
        assert later == sum(p for d, p in expected.items() if d - end.toordinal() > 90)
        seen.update({"spent"} if any(e.kind is EntryKind.REDEEM for e in entries) else set())
        seen.update({"due"} if due else set())
        seen.update({"expiring"} if within[-1] else set())
        assert within == [
            sum(p for d, p in expected.items() if d - end.toordinal() <= n) for n in (30, 60, 90)
        ]
        by_month: dict[date, int] = defaultdict(int)
        for d, p in expected.items():
            by_month[month_first(month_of(d))] += p
        assert rows(result, "expiring_by_month") == sorted((m, p) for m, p in by_month.items() if p)
        written.clear()
        # the next example's members are new: the old ones leave the bronze tier the report is asked for
        club_db.write(lambda conn: conn.execute(update(MEMBER).where(MEMBER.c.id.in_([m.id for m in pair]))
                                                .values(tier_code="silver")))  # fmt: skip

    check()
    assert seen == {"spent", "due", "expiring"}  # the property was not vacuous


def test_lapsed_and_churn_equal_a_direct_count_over_the_ledger(client, club_db, terminal):
    """For random ledgers (sales before and after the period, some returned in part or in full, some after
    the period), the recency bands and churn equal a direct count of the members' purchases."""
    end = date(2025, 6, 10)
    bands = ((30, "0-30"), (60, "31-60"), (90, "61-90"), (180, "91-180"), (365, "181-365"))
    seen: set[str] = set()

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        sales=st.lists(
            st.tuples(
                st.integers(0, 3),
                st.integers(-5, 80) | st.integers(-5, 500),
                st.sampled_from([0, 0, 30, 100]),
            ),
            max_size=10,
        ),
        length=st.integers(1, 40),
    )
    # one churned, one retained, one over a year, one never bought
    @example(sales=[(0, 15, 0), (1, 15, 0), (1, 2, 30), (2, 400, 0), (3, 3, 100)], length=10)
    def check(sales: list[tuple[int, int, int]], length: int) -> None:
        group = [member(joined_at_us=at(date(2023, 1, 1))) for _ in range(4)]
        push(client, terminal, [], [member_item(m) for m in group])
        entries: list[WireEntry] = []
        bought: dict[str, list[int]] = defaultdict(list)  # member: the days of their purchases
        for who, ago, percent_back in sorted(sales, key=lambda s: -s[1]):
            day = end - timedelta(days=ago)
            made = sale(terminal, group[who].id, 1_000_000, day)
            entries.append(made)
            if percent_back:
                entries.append(give_back(terminal, group[who].id, made, 10_000 * percent_back, end))
            if percent_back < 100:
                bought[group[who].id].append(day.toordinal())
        answer = push(client, terminal, entries)
        assert {e["outcome"] for e in answer["entries"]} <= {"accepted"}
        first = end - timedelta(days=length - 1)
        result = build(club_db, "lapsed", first, end, tier="bronze")

        def band(m: str) -> str:
            days = [d for d in bought[m] if d <= end.toordinal()]
            if not days:
                return "never"
            since = end.toordinal() - max(days)
            return next((code for upto, code in bands if since <= upto), "over_365")

        expected = Counter(band(m.id) for m in group)
        assert {r[0]: r[3] for r in rows(result, "recency") if r[3]} == dict(expected)
        before = {m.id for m in group if any(first.toordinal() - length <= d < first.toordinal()
                                                 for d in bought[m.id])}  # fmt: skip
        now = {m.id for m in group if any(first.toordinal() <= d <= end.toordinal() for d in bought[m.id])}
        [churn] = rows(result, "churn")
        assert churn[2:] == (len(before), len(now), len(before & now), len(before - now),
                             ratio(len(before - now), len(before)))  # fmt: skip
        seen.update(expected)
        seen.update({"churned"} if before - now else set())
        club_db.write(lambda conn: conn.execute(update(MEMBER).where(MEMBER.c.id.in_([m.id for m in group]))
                                                .values(tier_code="silver")))  # fmt: skip

    check()
    assert {"0-30", "never", "over_365", "churned"} <= seen
