# SPDX-License-Identifier: GPL-3.0-or-later
"""The campaign-effect report on both backends, with worked numbers: a campaign holding out half its
eligible members, sales pushed as terminals price them (the server re-prices and keeps them all), the
aggregates counted by `catch_up`, then each group's numbers, the lift, the test and the drills."""

from __future__ import annotations

import math
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import select

from app.domain.errors import ClubError
from app.domain.pricing import SaleContext, price_sale
from app.domain.programme import Campaign, RuleSet, TierRule, in_holdout
from sync.server.club import programme
from sync.server.club.access import CONSOLE, Actor
from sync.server.club.act import Call
from sync.server.db import Database
from sync.server.models import AUDIT
from sync.server.reports import campaigns, export
from sync.server.reports.aggregates import catch_up
from sync.server.reports.catalogue import by_code
from sync.server.reports.table import Cell, Filters
from tests.server.club import BRANCH_2, T0, Terminal, enroll, member, member_item, push

DAY_US = 86_400_000_000
TIERS = (TierRule("bronze", "برنزی", "Bronze", 0), TierRule("silver", "نقره‌ای", "Silver", 1, 500, 125))
LOCAL = RuleSet(version=0, tiers=TIERS)  # the club's calendar (Tehran)
TODAY = LOCAL.local_date(T0)
STARTS, ENDS = TODAY - timedelta(days=5), TODAY - timedelta(days=3)
DOUBLE = Campaign(
    "double", "امتیاز دوبرابر", "Double points", STARTS, ENDS, branches=("THR",), multiplier_percent=200,
    bonus_points=5, holdout_percent=50,
)  # fmt: skip


def at(day, hour: int = 12) -> int:
    return LOCAL.day_start_us(day) + hour * 3_600_000_000


def _split_members(n: int) -> tuple[list, list]:
    """n members the campaign treats and n it holds out (ids are random: drawn until both are full)."""
    treated, held = [], []
    while len(treated) < n or len(held) < n:
        m = member(joined_at_us=T0 - 30 * DAY_US)
        side = held if in_holdout("double", m.id, 50) else treated
        if len(side) < n:
            side.append(m)
    return treated, held


@pytest.fixture
def club(client, club_db: Database, terminal: Terminal):
    """Version 1 with the campaign; three treated and three held-out members at THR, one at ISF and one
    who joined after the campaign (neither eligible); their sales, pushed and counted."""
    rules = programme.publish(
        Call(club_db, T0 - 30 * DAY_US, CONSOLE), RuleSet(version=0, tiers=TIERS, campaigns=(DOUBLE,))
    )
    treated, held = _split_members(3)
    elsewhere = member(BRANCH_2, joined_at_us=T0 - 30 * DAY_US)
    late = member(joined_at_us=at(ENDS + timedelta(days=1), 1))
    push(client, terminal, [], [member_item(m) for m in (*treated, *held, late)])
    push(client, enroll(club_db, "ISF"), [], [member_item(elsewhere)])  # a member's home: where enrolled

    def sale(m, amount: int, when: int):
        points = price_sale(rules, SaleContext("THR", "bronze", amount, 0, when, member_id=m.id)).points
        return terminal.sale(m.id, amount, points=points, rules_version=rules.version, created_at_us=when)

    t1, t2, _t3 = treated
    h1, _h2, _h3 = held
    entries = [
        *sale(t1, 1_000_000, at(STARTS)),  # 10 points, doubled, +5: 25
        *sale(t1, 500_000, at(ENDS, 20)),  # 5 × 2 + 5 = 15
        *sale(t2, 2_000_000, at(STARTS + timedelta(days=1))),  # 20 × 2 + 5 = 45
        *sale(h1, 1_000_000, at(STARTS)),  # held out: 10, no campaign
        *sale(t1, 3_000_000, at(ENDS + timedelta(days=1))),  # after the campaign: not counted
        *sale(elsewhere, 1_000_000, at(STARTS)),  # not eligible (home branch ISF)
    ]
    # enough further entries that the server sees each sale's companions settled and prices it exactly
    for _ in range(8):
        entries += sale(t1, 100_000, at(ENDS + timedelta(days=2)))
    answer = push(client, terminal, entries)
    assert [r["outcome"] for r in answer["entries"]] == ["accepted"] * len(entries), answer
    assert catch_up(club_db, T0) > 0
    return rules, treated, held


def cells(row) -> list:
    return [c.value if isinstance(c, Cell) else c for c in row]


def test_the_groups_numbers_lift_and_test(club, club_db: Database):
    _rules, treated, held = club
    heard: list[int] = []
    report = by_code("campaigns")
    assert report is not None and report.slow and "campaign" in report.filters
    result = campaigns.build(Call(club_db, T0, CONSOLE), Filters(TODAY, TODAY), progress=heard.append)
    assert heard[-1] == 100
    groups, relative, test = result.tables
    assert [cells(r) for r in groups.rows] == [
        # members, bought, share, purchases per member, net sales per member, points per member
        ["در کمپین / Treated", 3, 2, Fraction(2, 3), Fraction(1), 3_500_000 // 3, Fraction(85, 3)],
        ["گروه شاهد / Held out", 3, 1, Fraction(1, 3), Fraction(1, 3), 1_000_000 // 3, Fraction(10, 3)],
        ["اثر (در کمپین − شاهد) / Lift (treated − held out)", None, None, Fraction(1, 3), Fraction(2, 3),
         2_500_000 // 3, Fraction(75, 3)],
    ]  # fmt: skip
    assert [r[1] for r in relative.rows] == [Fraction(1), Fraction(2), Fraction(5, 2), Fraction(15, 2)]
    # pooled share 1/2: z = (2/3 − 1/3) ÷ √(1/4 × 2/3)
    z, p = test.rows[0]
    assert z == pytest.approx((1 / 3) / math.sqrt(1 / 6))
    assert p == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert "3 members treated and 3 held out" in groups.note_en and "may be chance" in groups.note_en
    assert "تصادفی" in groups.note_fa
    for column in (*groups.columns, *relative.columns, *test.columns):
        assert column.definition is None or column.definition in result.definitions
    assert result.as_of is not None and result.as_of.behind == 0
    # drills: the members of each group, and those of it who bought
    members, bought = groups.rows[0][1], groups.rows[0][2]
    assert sorted(members.drill.member_ids) == sorted(m.id for m in treated)
    assert sorted(bought.drill.member_ids) == sorted(m.id for m in treated[:2])
    assert sorted(groups.rows[1][1].drill.member_ids) == sorted(m.id for m in held)
    assert groups.rows[1][2].drill.member_ids == (held[0].id,)
    assert (members.drill.first, members.drill.last) == (STARTS, ENDS)


def test_a_large_group_drills_to_a_named_set(club, club_db: Database, monkeypatch):
    _rules, treated, held = club
    monkeypatch.setattr(campaigns, "MAX_LISTED", 2)
    call = Call(club_db, T0, CONSOLE)
    filters = Filters(TODAY, TODAY, campaign="double")
    groups = campaigns.build(call, filters).tables[0]
    assert groups.rows[0][1].drill.named == "campaign_treated:double"
    assert groups.rows[0][2].drill.member_ids  # two bought: still listed
    assert groups.rows[1][1].drill.named == "campaign_holdout:double"
    names = ("campaign_treated", "campaign_holdout")
    listed = {name: campaigns.members_of(call, f"{name}:double", filters) for name in names}
    assert listed == {
        "campaign_treated": sorted(m.id for m in treated),
        "campaign_holdout": sorted(m.id for m in held),
    }
    assert campaigns.members_of(call, "campaign_treated_bought:double", filters) == sorted(
        m.id for m in treated[:2]
    )
    assert campaigns.members_of(call, "campaign_holdout_bought:double", filters) == [held[0].id]
    assert campaigns.members_of(call, "active", filters) is None


def test_filters_and_refusals(club, club_db: Database):
    call = Call(club_db, T0, CONSOLE)
    # the ISF member's home branch is not the campaign's: a branch filter on ISF leaves nobody
    isf = campaigns.build(call, Filters(TODAY, TODAY, branch="ISF")).tables[0]
    assert [cells(r)[1] for r in isf.rows[:2]] == [0, 0]
    silver = campaigns.build(call, Filters(TODAY, TODAY, tier="silver")).tables[0]
    assert [cells(r)[1] for r in silver.rows[:2]] == [0, 0]
    with pytest.raises(ClubError) as refused:
        campaigns.build(call, Filters(TODAY, TODAY, campaign="nowruz"))
    assert refused.value.code == "unknown_campaign"


def test_without_a_campaign_the_report_says_so(club_db: Database):
    result = campaigns.build(Call(club_db, T0, CONSOLE), Filters(TODAY, TODAY))
    assert result.tables[0].rows == [] and "no campaign" in result.tables[0].note_en


def test_the_z_test_by_hand():
    # 60 of 100 against 45 of 100: pooled 0.525, z = 0.15 / √(0.525 × 0.475 × 0.02) ≈ 2.124
    test = campaigns.z_test(60, 100, 45, 100)
    assert test.z == pytest.approx(2.1239, abs=1e-4)
    assert test.p_value == pytest.approx(0.0337, abs=1e-4)
    assert campaigns.z_test(0, 10, 0, 10) == campaigns.Test(None, None)
    assert campaigns.z_test(1, 10, 1, 0) == campaigns.Test(None, None)


def test_docs_reports_md_prints_every_definition():
    page = (Path(__file__).parents[2] / "docs" / "reports.md").read_text(encoding="utf-8")
    for key, (english, persian) in campaigns.DEFINITIONS.items():
        assert f"`{key}`" in page and english in page and persian in page, key


def test_reading_is_audited(club, club_db: Database):
    # READ is club-wide, a branch manager's too (sync.server.club.access): the reads are audited
    isf_manager = Actor("u-1", "Isfahan", "branch-manager", branch_ids=frozenset({BRANCH_2}))
    call = Call(club_db, T0, isf_manager)
    campaigns.build(call, Filters(TODAY, TODAY, branch="ISF"))
    campaigns.members_of(call, "campaign_treated:double", Filters(TODAY, TODAY))
    with club_db.read() as conn:
        rows = conn.execute(select(AUDIT).where(AUDIT.c.actor.like("user:Isfahan%")).order_by(AUDIT.c.id))
        assert [(r.action, r.target) for r in rows] == [
            ("report.campaigns", None),
            ("report.campaigns.members", "campaign_treated:double"),
        ]


def test_the_result_survives_the_job_store_and_every_export(club, club_db: Database):
    report = by_code("campaigns")
    assert report is not None
    filters = Filters(TODAY, TODAY, campaign="double")
    result = campaigns.build(Call(club_db, T0, CONSOLE), filters)
    assert export.result_from_json(export.result_to_json(result)) == result
    for kind in ("csv", "xlsx", "pdf"):
        for lang in ("fa", "en"):
            assert export.render(kind, result, report, filters, lang)
    text = export.render("csv", result, report, filters, "en").decode("utf-8-sig")
    assert "Share who bought" in text and "Relative lift" in text
