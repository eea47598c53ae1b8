# SPDX-License-Identifier: GPL-3.0-or-later
"""What a sale earns under a rule set: branch, tier, campaigns of the local day, cashback on what was paid."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import ClubError
from app.domain.money import MAX_RIALS
from app.domain.pricing import SaleContext, applicable_campaigns, cashback_for, max_wallet_spend, price_sale
from app.domain.programme import BranchRules, Campaign, CashbackRule
from app.domain.rules import EarningRule, RedemptionPolicy
from tests.unit.domain.programme_strategies import club_rules, local_us, rule_sets_with_sales

THURSDAY = date(2027, 3, 4)
WEDNESDAY = THURSDAY - timedelta(days=1)
THURSDAYS_AT_B2 = Campaign(
    "thu_b2",
    "امتیاز دوبرابر پنجشنبه",
    "Double points on Thursdays",
    starts=date(2027, 1, 1),
    ends=date(2027, 12, 31),
    branches=("b2",),
    weekdays=("thu",),
    multiplier_percent=200,
)


def sale(
    amount: int = 1_500_000,
    *,
    discount: int = 0,
    branch: str = "b1",
    tier: str = "bronze",
    at: int | None = None,
    category: str | None = None,
) -> SaleContext:
    at_us = local_us(date(2027, 3, 1), 12) if at is None else at
    return SaleContext(branch, tier, amount, discount, at_us, category)


# ---- earning -----------------------------------------------------------------------------------------


def test_one_point_per_ten_thousand_toman_on_what_was_paid():
    rules = club_rules()
    pricing = price_sale(rules, sale(1_500_000))
    assert (pricing.points, pricing.base_points, pricing.campaigns) == (15, 15, ())
    assert pricing.rules_version == 1
    # points pay part: points are earned on the rest
    assert price_sale(rules, sale(1_500_000, discount=600_000)).points == 9
    assert price_sale(rules, sale(1_500_000, discount=1_500_000)).points == 0


def test_the_tiers_multiplier_applies():
    rules = club_rules()
    assert price_sale(rules, sale(10_000_000, tier="silver")).points == 125
    assert price_sale(rules, sale(10_000_000, tier="gold")).points == 150


def test_a_branch_with_its_own_earning_rule():
    rules = club_rules(branches=(("b2", BranchRules(EarningRule(points_per_unit=3), RedemptionPolicy())),))
    assert price_sale(rules, sale(1_000_000, branch="b2")).points == 30
    assert price_sale(rules, sale(1_000_000, branch="b1")).points == 10


# ---- the seed's campaign: double points on Thursdays at branch 2 ----------------------------------------


def test_a_thursday_sale_at_branch_two_earns_twice():
    rules = club_rules(campaigns=(THURSDAYS_AT_B2,))
    thursday_noon = local_us(THURSDAY, 12)
    doubled = price_sale(rules, sale(1_500_000, branch="b2", at=thursday_noon))
    assert (doubled.points, doubled.base_points, doubled.campaigns) == (30, 15, ("thu_b2",))


@pytest.mark.parametrize(
    ("branch", "day"),
    [("b2", WEDNESDAY), ("b1", THURSDAY), ("b3", THURSDAY), ("b2", THURSDAY + timedelta(days=1))],
)
def test_another_day_or_branch_earns_once(branch, day):
    rules = club_rules(campaigns=(THURSDAYS_AT_B2,))
    pricing = price_sale(rules, sale(1_500_000, branch=branch, at=local_us(day, 12)))
    assert (pricing.points, pricing.campaigns) == (15, ())


def test_thursday_is_the_clubs_local_thursday():
    rules = club_rules(campaigns=(THURSDAYS_AT_B2,))
    # 22:00 UTC on Wednesday is 01:30 on Thursday in Tehran (+03:30)
    late_wednesday_utc = local_us(WEDNESDAY, 22, offset_minutes=0)
    assert price_sale(rules, sale(1_500_000, branch="b2", at=late_wednesday_utc)).points == 30
    # 20:29 UTC is still 23:59 on Wednesday locally; 20:30 is local midnight
    assert price_sale(rules, sale(1_500_000, branch="b2", at=local_us(WEDNESDAY, 23, 59))).points == 15
    assert price_sale(rules, sale(1_500_000, branch="b2", at=rules.day_start_us(THURSDAY))).points == 30
    assert price_sale(rules, sale(1_500_000, branch="b2", at=rules.day_start_us(THURSDAY) - 1)).points == 15
    # and 21:00 UTC on Thursday is already Friday
    assert (
        price_sale(rules, sale(1_500_000, branch="b2", at=local_us(THURSDAY, 21, offset_minutes=0))).points
        == 15
    )


def test_a_campaign_runs_from_its_first_to_its_last_local_day():
    short = replace(THURSDAYS_AT_B2, starts=THURSDAY, ends=THURSDAY, weekdays=())
    rules = club_rules(campaigns=(short,))
    on = [rules.day_start_us(THURSDAY), rules.day_start_us(THURSDAY + timedelta(days=1)) - 1]
    off = [rules.day_start_us(THURSDAY) - 1, rules.day_start_us(THURSDAY + timedelta(days=1))]
    assert all(price_sale(rules, sale(branch="b2", at=at)).points == 30 for at in on)
    assert all(price_sale(rules, sale(branch="b2", at=at)).points == 15 for at in off)


def test_a_campaign_may_name_tiers_and_categories():
    gold_drinks = replace(
        THURSDAYS_AT_B2, code="gold_drinks", branches=(), weekdays=(), tiers=("gold",), categories=("drink",)
    )
    rules = club_rules(campaigns=(gold_drinks,))
    at = local_us(THURSDAY, 12)
    assert applicable_campaigns(rules, sale(tier="gold", category="drink", at=at)) == [gold_drinks]
    assert applicable_campaigns(rules, sale(tier="silver", category="drink", at=at)) == []
    assert applicable_campaigns(rules, sale(tier="gold", category="food", at=at)) == []
    assert applicable_campaigns(rules, sale(tier="gold", category=None, at=at)) == []


def test_the_best_multiplier_applies_and_every_fixed_bonus_is_added():
    at = local_us(THURSDAY, 12)
    triple = replace(THURSDAYS_AT_B2, code="triple", branches=(), weekdays=(), multiplier_percent=300)
    bonus_a = replace(
        THURSDAYS_AT_B2, code="bonus_a", branches=(), weekdays=(), multiplier_percent=100, bonus_points=7
    )
    bonus_b = replace(
        THURSDAYS_AT_B2, code="bonus_b", branches=(), weekdays=(), multiplier_percent=100, bonus_points=5
    )
    rules = club_rules(campaigns=(THURSDAYS_AT_B2, triple, bonus_a, bonus_b))
    pricing = price_sale(rules, sale(1_000_000, branch="b2", at=at))
    # 10 base points × 3 (not × 2 × 3), plus 7 and 5
    assert pricing.points == 30 + 12
    assert pricing.base_points == 10
    assert pricing.campaigns == ("thu_b2", "triple", "bonus_a", "bonus_b")


def test_no_fixed_bonus_on_a_sale_too_small_to_earn():
    at = local_us(THURSDAY, 12)
    gift = replace(
        THURSDAYS_AT_B2, code="gift", branches=(), weekdays=(), multiplier_percent=100, bonus_points=50
    )
    rules = club_rules(campaigns=(gift,), earning=EarningRule(min_sale_rials=1_000_000))
    assert price_sale(rules, sale(999_999, at=at)).points == 0
    assert price_sale(rules, sale(1_000_000, at=at)).points == 60
    assert price_sale(club_rules(campaigns=(gift,)), sale(0, at=at)).points == 0
    assert price_sale(club_rules(campaigns=(gift,)), sale(500_000, discount=500_000, at=at)).points == 0


def test_a_campaign_on_top_of_a_tier_loses_no_points_to_a_floored_multiplier():
    """Silver (125 %) in a 150 % campaign earns 187.5 % of the base rate: 1,875 points on 100,000,000
    rials paid. (At 1807725 the combined multiplier was floored first, `tier.multiplier_percent * boost
    // 100` = 187, and the sale earned 1,870.)"""
    boost = replace(THURSDAYS_AT_B2, code="x150", branches=(), weekdays=(), multiplier_percent=150)
    rules = club_rules(campaigns=(boost,))
    pricing = price_sale(rules, sale(100_000_000, tier="silver", at=local_us(THURSDAY, 12)))
    assert pricing.base_points == 1_250
    assert pricing.points == 1_875


# ---- refusals ----------------------------------------------------------------------------------------


def test_a_discount_above_the_amount_is_refused():
    with pytest.raises(ClubError) as caught:
        price_sale(club_rules(), sale(1_000, discount=1_001))
    assert caught.value.code == "discount_over_amount"
    assert caught.value.params == {"discount": 1_001, "amount": 1_000}


@pytest.mark.parametrize(
    ("attempt", "code"),
    [
        (sale(-1), "invalid_amount"),
        (sale(MAX_RIALS + 1), "invalid_amount"),
        (sale(1_000, discount=-1), "invalid_amount"),
        (sale(category="toys"), "unknown_category"),
        (sale(tier="platinum"), "unknown_tier"),
    ],
)
def test_an_impossible_sale_is_refused(attempt, code):
    with pytest.raises(ClubError) as caught:
        price_sale(club_rules(), attempt)
    assert caught.value.code == code


# ---- cashback and the wallet -------------------------------------------------------------------------


def test_five_percent_cashback_is_credited_on_the_paid_part():
    rules = club_rules()
    assert price_sale(rules, sale(2_000_000)).cashback_rials == 100_000
    # 500,000 of 2,000,000 paid by points and the wallet: 5 % of the 1,500,000 paid
    assert price_sale(rules, sale(2_000_000, discount=500_000)).cashback_rials == 75_000
    assert price_sale(rules, sale(2_000_000, discount=2_000_000)).cashback_rials == 0
    # gold's own rate
    assert price_sale(rules, sale(2_000_000, tier="gold")).cashback_rials == 200_000


def test_cashback_is_floored_and_capped_per_sale():
    rules = club_rules(cashback=CashbackRule(percent_bp=500, max_per_sale_rials=50_000))
    assert cashback_for(rules, "bronze", 19) == 0
    assert cashback_for(rules, "bronze", 39_999) == 1_999
    assert cashback_for(rules, "bronze", 1_000_000) == 50_000
    assert cashback_for(rules, "gold", 1_000_000) == 50_000
    assert cashback_for(club_rules(cashback=CashbackRule()), "bronze", 1_000_000) == 0


def test_the_wallet_pays_at_most_its_share_and_what_it_holds():
    rules = club_rules(cashback=CashbackRule(percent_bp=500, max_share_percent=30))
    assert max_wallet_spend(rules, 1_000_000, 500_000) == 300_000
    assert max_wallet_spend(rules, 1_000_000, 120_000) == 120_000
    assert max_wallet_spend(rules, 1_000_000, 0) == 0
    assert max_wallet_spend(rules, 1_000_000, -5_000) == 0
    assert max_wallet_spend(club_rules(cashback=CashbackRule(max_share_percent=0)), 1_000_000, 10**6) == 0


# ---- properties --------------------------------------------------------------------------------------

SOME = settings(max_examples=30, deadline=None)


@SOME
@given(rule_sets_with_sales())
def test_a_price_is_never_negative_and_campaigns_never_lower_it(drawn):
    rules, context = drawn
    pricing = price_sale(rules, context)
    assert pricing.points >= pricing.base_points >= 0
    assert pricing.cashback_rials >= 0
    assert pricing.rules_version == rules.version
    plain = price_sale(replace(rules, campaigns=()), context)
    assert pricing.points >= plain.points
    assert pricing.base_points == plain.base_points
    assert set(pricing.campaigns) == {c.code for c in applicable_campaigns(rules, context)}


@SOME
@given(rule_sets_with_sales(max_rials=10**11), st.integers(0, 10**11))
def test_paying_more_never_earns_less(drawn, more):
    rules, context = drawn
    richer = replace(context, amount_rials=context.amount_rials + more)
    low, high = price_sale(rules, context), price_sale(rules, richer)
    assert low.points <= high.points
    assert low.base_points <= high.base_points
    assert low.cashback_rials <= high.cashback_rials


@SOME
@given(rule_sets_with_sales())
def test_cashback_never_exceeds_the_cap_or_the_paid_amount(drawn):
    rules, context = drawn
    paid = context.amount_rials - context.discount_rials
    credit = price_sale(rules, context).cashback_rials
    assert 0 <= credit <= paid
    if rules.cashback.max_per_sale_rials is not None:
        assert credit <= rules.cashback.max_per_sale_rials


@SOME
@given(rule_sets_with_sales(), st.integers(0, MAX_RIALS))
def test_the_wallet_never_pays_beyond_its_share_or_balance(drawn, available):
    rules, context = drawn
    spend = max_wallet_spend(rules, context.amount_rials, available)
    assert 0 <= spend <= min(available, context.amount_rials)
    assert spend * 100 <= context.amount_rials * rules.cashback.max_share_percent
