# SPDX-License-Identifier: GPL-3.0-or-later
"""Tiers that move: up at the sale that crosses a threshold, down only after the window and its grace."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.ledger import EntryKind
from app.domain.pricing import SaleContext, price_sale
from app.domain.programme import Qualification, QualifyingBasis
from app.domain.tiering import (
    Qualifying,
    TierStanding,
    effective_tier,
    keep_by_us,
    next_tier,
    qualifying,
    reached,
    review,
    standing,
    to_next,
    upgrade,
)
from tests.unit.domain.programme_strategies import (
    BRONZE,
    DAY,
    GOLD,
    SILVER,
    club_rules,
    entry,
    point_histories,
    rule_sets,
)

T0 = 1_800_000_000 * 1_000_000  # January 2027
E = EntryKind
SPEND_RULES = club_rules(
    qualification=Qualification(basis=QualifyingBasis.SPEND),
    tiers=(BRONZE, replace(SILVER, threshold=50_000_000), replace(GOLD, threshold=200_000_000)),
)


def earn(day: float, points: int, sale: int = 0, **kw: object):
    return entry(E.EARN, at=T0 + int(day * DAY), points=points, sale=sale, **kw)  # type: ignore[arg-type]


# ---- the qualifying total ----------------------------------------------------------------------------


def test_sales_within_the_window_count_net_of_returns():
    rules = club_rules()
    sale = earn(10, 200, 20_000_000)
    history = [
        earn(-400, 5_000, 500_000_000),  # more than a year ago
        earn(0, 300, 30_000_000),
        sale,
        entry(E.REVERSAL, at=T0 + 11 * DAY, points=-50, sale=-5_000_000, reverses=sale.id),
        entry(E.REDEEM, at=T0 + 12 * DAY, points=-100, discount=100_000),  # spending does not lower it
        entry(E.BONUS, at=T0 + 12 * DAY, points=1_000, ref="signup"),  # nor does a bonus raise it
        entry(E.ADJUST, at=T0 + 12 * DAY, points=777),
        entry(E.TIER_CHANGE, at=T0 + 12 * DAY, ref="silver"),
    ]
    total = qualifying(history, rules, T0 + 20 * DAY)
    assert total == Qualifying(points=450, spend_rials=45_000_000)
    assert total.total(QualifyingBasis.POINTS) == 450
    assert total.total(QualifyingBasis.SPEND) == 45_000_000


def test_the_window_is_open_at_its_start_and_closed_at_now():
    rules = club_rules(qualification=Qualification(window_days=30))
    now = T0 + 30 * DAY
    history = [earn(0, 1), earn(0.0001, 10), earn(30, 100), entry(E.EARN, at=now + 1, points=1_000)]
    # the sale exactly 30 days ago is out, the one just after it in, now in, the future out
    assert qualifying(history, rules, now).points == 110


def test_a_total_is_never_negative():
    rules = club_rules()
    old = earn(-100, 500, 50_000_000)
    returned = entry(E.REVERSAL, at=T0, points=-500, sale=-50_000_000, reverses=old.id)
    assert qualifying([old, returned], rules, T0 + DAY) == Qualifying(0, 0)


def test_which_entries_count():
    rules = club_rules()
    sale = earn(0, 10, 1_000)
    counted = [sale, entry(E.REVERSAL, at=T0, points=-5, sale=-500, reverses=sale.id)]
    others = [entry(E.REVERSAL, at=T0, points=5)]  # a redemption given back
    others += [
        entry(kind, at=T0, points=100, sale=1_000)
        for kind in (
            E.REDEEM,
            E.BONUS,
            E.ADJUST,
            E.EXPIRE,
            E.REWARD,
            E.CASHBACK_CREDIT,
            E.MEMBERSHIP_PURCHASE,
        )
    ]
    assert qualifying(counted + others, rules, T0 + DAY) == Qualifying(5, 500)


def test_reversing_a_membership_purchase_does_not_count_as_a_return():
    """Only the reversals of sales count: a membership purchase never counted, nor does its undoing."""
    rules = club_rules()
    card = entry(
        E.MEMBERSHIP_PURCHASE, at=T0, points=-300, sale=70_000_000, discount=30_000_000, ref="silver_card"
    )
    undone = entry(E.REVERSAL, at=T0 + DAY, points=300, sale=-70_000_000, reverses=card.id)
    history = [earn(0, 400, 40_000_000), card, undone]
    assert qualifying(history, rules, T0 + 2 * DAY) == Qualifying(points=400, spend_rials=40_000_000)


def test_the_spend_total_is_what_sales_were_priced_at():
    """Spend basis: the sales' amounts, whatever paid them (points spent on a sale do not make it a
    smaller purchase for the tier)."""
    sale = earn(0, 60, 10_000_000, ref="T-1")
    redeem = entry(E.REDEEM, at=T0, points=-4_000, discount=4_000_000, ref="T-1")
    assert qualifying([sale, redeem], SPEND_RULES, T0 + DAY).spend_rials == 10_000_000


# ---- up --------------------------------------------------------------------------------------------


def test_a_sale_that_crosses_the_silver_threshold_lifts_the_member():
    rules = club_rules()
    history = [earn(1, 500), earn(100, 450)]
    now = T0 + 200 * DAY
    assert qualifying(history, rules, now).points == 950
    assert upgrade(rules, "bronze", qualifying(history, rules, now)) is None
    # a 6,000,000-rial sale earns a bronze member 60 points: 1,010 crosses silver's 1,000
    sale = SaleContext("b1", "bronze", 6_000_000, 0, now, None)
    points = price_sale(rules, sale).points
    assert points == 60
    history.append(entry(E.EARN, at=now, points=points, sale=6_000_000))
    total = qualifying(history, rules, now)
    assert upgrade(rules, "bronze", total) is SILVER
    assert to_next(rules, "silver", total) == 5_000 - 1_010


def test_a_big_sale_may_skip_a_tier_and_no_sale_lowers_one():
    rules = club_rules()
    assert upgrade(rules, "bronze", Qualifying(points=5_000)) is GOLD
    assert upgrade(rules, "silver", Qualifying(points=1_200)) is None
    assert upgrade(rules, "gold", Qualifying(points=0)) is None
    assert upgrade(rules, "silver", Qualifying(points=999_999)) is GOLD


def test_a_tier_the_club_no_longer_has_is_replaced_at_the_next_sale():
    rules = club_rules()
    assert upgrade(rules, "diamond", Qualifying(points=0)) is BRONZE
    assert upgrade(rules, "diamond", Qualifying(points=1_000)) is SILVER


def test_on_the_spend_basis_rials_count_and_points_do_not():
    assert upgrade(SPEND_RULES, "bronze", Qualifying(points=10_000, spend_rials=49_999_999)) is None
    assert upgrade(SPEND_RULES, "bronze", Qualifying(points=0, spend_rials=50_000_000)).code == "silver"
    assert to_next(SPEND_RULES, "bronze", Qualifying(spend_rials=20_000_000)) == 30_000_000


def test_reached_is_the_highest_tier_the_total_meets():
    rules = club_rules()
    assert [reached(rules, n).code for n in (0, 999, 1_000, 4_999, 5_000, 10**9)] == [
        "bronze",
        "bronze",
        "silver",
        "silver",
        "gold",
        "gold",
    ]


def test_the_next_tier_and_what_it_still_needs():
    rules = club_rules()
    assert next_tier(rules, "bronze") is SILVER
    assert next_tier(rules, "silver") is GOLD
    assert next_tier(rules, "gold") is None
    assert next_tier(rules, "diamond") is BRONZE
    assert to_next(rules, "gold", Qualifying(points=1)) is None
    assert to_next(rules, "bronze", Qualifying(points=2_000)) == 0


# ---- standing ----------------------------------------------------------------------------------------


def test_the_tier_is_the_latest_tier_change_else_the_tier_joined_in():
    assert standing("bronze", []) == TierStanding("bronze", 0)
    assert standing("bronze", [earn(0, 100)]) == TierStanding("bronze", 0)
    up = entry(E.TIER_CHANGE, at=T0, ref="silver", id="a")
    further = entry(E.TIER_CHANGE, at=T0 + DAY, ref="gold", id="b")
    assert standing("bronze", [further, up]) == TierStanding("gold", T0 + DAY)
    # two changes at one instant: the larger id is the later
    tie = entry(E.TIER_CHANGE, at=T0 + DAY, ref="silver", id="c")
    assert standing("bronze", [tie, further, up]) == TierStanding("silver", T0 + DAY)
    assert standing("bronze", [up, further, tie]) == TierStanding("silver", T0 + DAY)


# ---- down --------------------------------------------------------------------------------------------


def test_a_tier_is_lost_only_after_the_window_and_the_grace():
    rules = club_rules()  # 365 days, 30 days' grace
    history = [earn(0, 1_000), entry(E.TIER_CHANGE, at=T0, ref="silver")]
    held = standing("bronze", history)
    assert held == TierStanding("silver", T0)
    for day in (1, 364, 365, 366, 394):
        now = T0 + day * DAY
        assert review(rules, held, qualifying(history, rules, now), now) is None, day
    assert review(rules, held, Qualifying(), T0 + 395 * DAY - 1) is None
    now = T0 + 395 * DAY
    assert qualifying(history, rules, now).points == 0
    assert review(rules, held, qualifying(history, rules, now), now) is BRONZE
    assert keep_by_us(rules, held) == now


def test_a_member_still_qualifying_keeps_the_tier_and_one_who_slipped_falls_to_what_they_reach():
    rules = club_rules()
    held = TierStanding("gold", T0)
    after = T0 + 400 * DAY
    assert review(rules, held, Qualifying(points=5_000), after) is None
    assert review(rules, held, Qualifying(points=4_999), after) is SILVER
    assert review(rules, held, Qualifying(points=10), after) is BRONZE
    assert review(rules, TierStanding("bronze", T0), Qualifying(), after) is None


def test_grace_and_window_come_from_the_rules():
    rules = club_rules(qualification=Qualification(window_days=90, grace_days=0))
    held = TierStanding("silver", T0)
    assert review(rules, held, Qualifying(), T0 + 90 * DAY - 1) is None
    assert review(rules, held, Qualifying(), T0 + 90 * DAY) is BRONZE


def test_a_tier_the_club_dropped_falls_to_the_entry_tier_at_once():
    assert review(club_rules(), TierStanding("diamond", T0), Qualifying(points=10**6), T0) is BRONZE


# ---- with a paid membership --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("held", "plan_tier", "expected"),
    [
        ("bronze", "silver", "silver"),
        ("gold", "silver", "gold"),
        ("silver", "silver", "silver"),
        ("bronze", None, "bronze"),
        ("diamond", None, "bronze"),
        ("diamond", "gold", "gold"),
        ("silver", "diamond", "silver"),
    ],
)
def test_the_better_of_the_earned_and_the_paid_tier_prices_a_sale(held, plan_tier, expected):
    assert effective_tier(club_rules(), held, plan_tier).code == expected


# ---- properties --------------------------------------------------------------------------------------

SOME = settings(max_examples=40, deadline=None)
totals = st.builds(Qualifying, st.integers(0, 10**9), st.integers(0, 10**12))


@SOME
@given(rule_sets(max_campaigns=0), st.data(), totals)
def test_an_upgrade_only_ever_raises_the_rank(rules, data, total):
    current = data.draw(st.sampled_from(rules.tiers))
    lifted = upgrade(rules, current.code, total)
    if lifted is not None:
        assert lifted.rank > current.rank
        assert total.total(rules.qualification.basis) >= lifted.threshold
    else:
        assert reached(rules, total.total(rules.qualification.basis)).rank <= current.rank


@SOME
@given(rule_sets(max_campaigns=0), st.data(), totals, st.integers(0, 2_000))
def test_a_review_only_ever_lowers_and_never_within_window_and_grace(rules, data, total, days):
    current = data.draw(st.sampled_from(rules.tiers))
    held = TierStanding(current.code, T0)
    now = T0 + days * DAY + data.draw(st.integers(0, DAY - 1))
    fallen = review(rules, held, total, now)
    if now < keep_by_us(rules, held):
        assert fallen is None
    if fallen is not None:
        assert fallen.rank < current.rank
        assert fallen is reached(rules, total.total(rules.qualification.basis))
    # a review never undoes what an upgrade would give at once
    if upgrade(rules, current.code, total) is not None:
        assert fallen is None


@settings(max_examples=50, deadline=None)
@given(point_histories(), st.integers(0, 500))
def test_a_qualifying_total_is_never_negative_and_ignores_later_entries(history, day):
    rules = club_rules()
    now = T0 + day * DAY
    shifted = [replace(e, created_at_us=T0 + e.created_at_us) for e in history]
    total = qualifying(shifted, rules, now)
    assert total.points >= 0 and total.spend_rials >= 0
    assert qualifying([e for e in shifted if e.created_at_us <= now], rules, now) == total
