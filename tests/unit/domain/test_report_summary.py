# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports' summary by its definitions, on a small hand-made ledger whose every number is worked out
below: a full return, a partial one, returns made after the period, expiry, a member who joined after."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

from app.domain.ledger import EntryKind
from app.domain.programme import RuleSet, TierRule
from app.domain.report_summary import DEFINITIONS, SUMMARY_KEYS, ReportEntry, ReportMember, summarize

START, END = 1_000, 2_000  # the period: [START, END)
POINT = 1_000  # rials a point is worth

MEMBERS = [
    ReportMember("A", 0, "THR", "bronze"),
    ReportMember("B", 0, "ISF", "silver"),
    ReportMember("C", 2_500, "THR", "bronze"),  # joined after the period
    ReportMember("D", 500, "THR", "bronze"),
    ReportMember("E", 0, "THR", "bronze"),
]


def e(  # noqa: PLR0917 (a row of the table below)
    id_: str, at: int, branch: str, member: str, kind: EntryKind, points: int = 0, **fields: int | str
) -> ReportEntry:
    return ReportEntry(id_, at, branch, member, kind, points, **fields)  # type: ignore[arg-type]


EARN, REV = EntryKind.EARN, EntryKind.REVERSAL
LEDGER = [
    e("old", 500, "THR", "A", EARN, 5, sale_amount=50_000),  # before the period: outstanding only
    e("bonus_b", 900, "ISF", "B", EntryKind.BONUS, 100),
    e("adj_b", START, "ISF", "B", EntryKind.ADJUST, 3),  # on the first instant: inside
    e("s1", 1_100, "THR", "A", EARN, 10, sale_amount=100_000, cash_delta=500),
    e("s4", 1_100, "ISF", "B", EARN, 40, sale_amount=400_000),
    e("chk_d", 1_150, "THR", "D", EntryKind.CHECK_IN),
    e("s2", 1_200, "THR", "A", EARN, 20, sale_amount=200_000),
    e("bonus_a", 1_250, "THR", "A", EntryKind.BONUS, 7),
    e("r2", 1_300, "THR", "A", REV, -5, sale_amount=-50_000, reverses="s2"),  # partial return
    e("s3", 1_400, "THR", "A", EARN, 30, sale_amount=300_000),
    e("r3", 1_500, "THR", "A", REV, -30, sale_amount=-300_000, reverses="s3"),  # full return
    e("credit_e", 1_550, "THR", "E", EntryKind.CASHBACK_CREDIT, cash_delta=300),  # not engaging
    e("s5", 1_600, "ISF", "B", EARN, 15, sale_amount=150_000),
    e("redeem_a", 1_700, "THR", "A", EntryKind.REDEEM, -8),
    e("reward_b", 1_800, "ISF", "B", EntryKind.REWARD, -12),
    e("exp_a", 1_900, "THR", "A", EntryKind.EXPIRE, -2),
    e("spend_a", 1_950, "THR", "A", EntryKind.CASHBACK_SPEND, cash_delta=-200),
    e("late_a", END, "THR", "A", EARN, 9, sale_amount=90_000),  # on the period's end: outside
    e("r4", 3_000, "ISF", "B", REV, -40, sale_amount=-400_000, reverses="s4"),  # full, after the period
    e("r5", 3_100, "ISF", "B", REV, -3, sale_amount=-30_000, reverses="s5"),  # partial, after
    e("s_c", 2_600, "THR", "C", EARN, 4, sale_amount=40_000),
]


def test_whole_club_every_key() -> None:
    s = summarize(LEDGER, MEMBERS, START, END, POINT)
    assert s.members_total == 4  # A, B, D, E; C joined after the period
    # purchases: s1, s2 (partly returned) of A; s5 of B (partly returned later); s3 and s4 returned in full
    assert s.members_active == 2
    assert s.engagement_rate == Fraction(3, 4)  # A, B, D (a check-in); E had only a cashback credit
    assert s.repeat_customer_rate == Fraction(1, 2)  # A
    assert s.purchase_frequency == Fraction(3, 2)
    assert s.net_sales_rials == 100_000 + (200_000 - 50_000) + (150_000 - 30_000)
    assert s.average_basket_rials == 370_000 // 3 == 123_333  # rounded down
    assert s.points_issued == 3 + 10 + 40 + 20 + 7 + 30 + 15  # reversals are not issued points
    assert s.points_redeemed == 8 + 12
    assert s.points_expired == 2
    assert s.points_outstanding == 5 + 100 + 3 + 10 + 40 + 20 + 7 - 5 + 30 - 30 + 15 - 8 - 12 - 2 == 173
    assert s.liability_rials == 173 * POINT
    assert s.wallet_outstanding_rials == 500 + 300 - 200


def test_expired_points_given_back_are_expired_net_not_issued() -> None:
    """The server's give-back (an expire entry of positive points, app.domain.expiry): the expiry it undoes
    counts net, and it issues nothing, so issued − redeemed − expired is still what the balances moved."""
    given_back = [*LEDGER, e("back_a", 1_960, "THR", "A", EntryKind.EXPIRE, 2)]
    before, after = (
        summarize(LEDGER, MEMBERS, START, END, POINT),
        summarize(given_back, MEMBERS, START, END, POINT),
    )
    assert after.points_expired == before.points_expired - 2 == 0
    assert after.points_issued == before.points_issued
    assert after.points_outstanding == before.points_outstanding + 2


def test_one_branch() -> None:
    s = summarize(LEDGER, MEMBERS, START, END, 700, branch="THR")
    assert s.members_total == 3  # A, D, E: at home in THR and joined in time
    assert s.members_active == 1
    assert s.engagement_rate == Fraction(2, 3)  # A and D
    assert s.repeat_customer_rate == 1
    assert s.purchase_frequency == 2
    assert s.net_sales_rials == 250_000
    assert s.average_basket_rials == 125_000
    assert s.points_issued == 10 + 20 + 7 + 30
    assert s.points_redeemed == 8
    assert s.points_expired == 2
    assert s.points_outstanding == 5 + 10 + 20 + 7 - 5 + 30 - 30 - 8 - 2 == 27
    assert s.liability_rials == 27 * 700
    assert s.wallet_outstanding_rials == 600


def test_one_tier() -> None:
    s = summarize(LEDGER, MEMBERS, START, END, POINT, tier="silver")
    assert (s.members_total, s.members_active) == (1, 1)
    assert s.engagement_rate == 1
    assert s.repeat_customer_rate == 0
    assert s.purchase_frequency == 1
    assert (s.net_sales_rials, s.average_basket_rials) == (120_000, 120_000)
    assert (s.points_issued, s.points_redeemed, s.points_expired) == (3 + 40 + 15, 12, 0)
    assert s.points_outstanding == 100 + 3 + 40 + 15 - 12 == 146
    assert s.wallet_outstanding_rials == 0


def test_a_return_after_the_period_counts() -> None:
    """Until s4's return (after the period) the sale was a purchase; once returned in full it is not."""
    before = summarize([x for x in LEDGER if x.id != "r4"], MEMBERS, START, END, POINT)
    after = summarize(LEDGER, MEMBERS, START, END, POINT)
    assert before.net_sales_rials - after.net_sales_rials == 400_000
    assert before.purchase_frequency == Fraction(4, 2)


def test_nothing_happened() -> None:
    s = summarize([], MEMBERS, START, END, POINT)
    assert s.members_total == 4
    assert (s.members_active, s.engagement_rate, s.repeat_customer_rate, s.purchase_frequency) == (0, 0, 0, 0)
    assert (s.net_sales_rials, s.average_basket_rials) == (0, 0)
    assert (s.points_outstanding, s.liability_rials) == (0, 0)


def test_the_json_keys_are_the_issues_and_each_has_a_definition() -> None:
    keys = ["members_total", "members_active", "engagement_rate", "repeat_customer_rate",
            "purchase_frequency", "net_sales_rials", "average_basket_rials", "points_issued",
            "points_redeemed", "points_expired", "points_outstanding", "liability_rials",
            "wallet_outstanding_rials"]  # fmt: skip
    out = summarize(LEDGER, MEMBERS, START, END, POINT).as_json()
    assert list(out) == keys == list(SUMMARY_KEYS)
    assert out["engagement_rate"] == 0.75 and isinstance(out["net_sales_rials"], int)
    for key in keys:
        english, persian = DEFINITIONS[key]
        assert english and persian


def test_the_worked_example_of_docs_reports_md() -> None:
    club = RuleSet(version=0, tiers=(TierRule("bronze", "b", "b", 0),))  # Tehran's calendar

    def noon(month: int, day: int) -> int:
        return club.day_start_us(date(2026, month, day)) + 12 * 3_600_000_000

    members = [
        ReportMember("sara", noon(11, 1), "THR", "bronze"),
        ReportMember("reza", noon(11, 2), "THR", "bronze"),
        ReportMember("nima", noon(12, 10), "THR", "bronze"),
    ]
    ledger = [
        e("bonus", noon(11, 20), "THR", "reza", EntryKind.BONUS, 100),
        e("sale1", noon(12, 2), "THR", "sara", EARN, 10, sale_amount=1_000_000),
        e("credit", noon(12, 2) + 1, "THR", "sara", EntryKind.CASHBACK_CREDIT, cash_delta=5_000),
        e("sale2", noon(12, 3), "THR", "sara", EARN, 20, sale_amount=2_000_000),
        e("ret2", noon(12, 4), "THR", "sara", REV, -5, sale_amount=-500_000, reverses="sale2"),
        e("sale3", noon(12, 5), "THR", "reza", EARN, 30, sale_amount=3_000_000),
        e("redeem", noon(12, 6), "THR", "reza", EntryKind.REDEEM, -8),
        e("expire", noon(12, 7), "THR", "sara", EntryKind.EXPIRE, -2),
        e("ret3", noon(12, 9), "THR", "reza", REV, -30, sale_amount=-3_000_000, reverses="sale3"),
    ]
    start, end = club.day_start_us(date(2026, 12, 1)), club.day_start_us(date(2026, 12, 8))
    assert summarize(ledger, members, start, end, 1_000).as_json() == {
        "members_total": 2,
        "members_active": 1,
        "engagement_rate": 1.0,
        "repeat_customer_rate": 1.0,
        "purchase_frequency": 2.0,
        "net_sales_rials": 2_500_000,
        "average_basket_rials": 1_250_000,
        "points_issued": 60,
        "points_redeemed": 8,
        "points_expired": 2,
        "points_outstanding": 145,
        "liability_rials": 145_000,
        "wallet_outstanding_rials": 5_000,
    }


def test_docs_reports_md_prints_every_definition() -> None:
    page = (Path(__file__).parents[3] / "docs" / "reports.md").read_text(encoding="utf-8")
    for key, (english, persian) in DEFINITIONS.items():
        assert f"`{key}`" in page and english in page and persian in page, key
