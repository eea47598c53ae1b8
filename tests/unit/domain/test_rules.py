# SPDX-License-Identifier: GPL-3.0-or-later
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import ClubError
from app.domain.money import MAX_RIALS, Rounding
from app.domain.rules import EarningRule, RedemptionPolicy

rials = st.integers(min_value=0, max_value=MAX_RIALS)
multipliers = st.integers(min_value=0, max_value=500)
rules = st.builds(
    EarningRule,
    points_per_unit=st.integers(0, 20),
    rials_per_unit=st.integers(1, 10_000_000),
    min_sale_rials=st.integers(0, 10_000_000),
    max_points_per_sale=st.none() | st.integers(0, 100_000),
    rounding=st.sampled_from(Rounding),
)


def test_one_point_per_ten_thousand_toman_floored():
    rule = EarningRule(points_per_unit=1, rials_per_unit=100_000)
    assert rule.points_for(1_500_000) == 15
    assert rule.points_for(1_599_999) == 15  # floor: a partial unit earns nothing
    assert rule.points_for(99_999) == 0


def test_rounding_is_stated_and_applied_once():
    assert EarningRule(rounding=Rounding.CEIL).points_for(1_500_001) == 16
    assert EarningRule(rounding=Rounding.HALF_UP).points_for(1_550_000) == 16
    assert EarningRule(rounding=Rounding.HALF_UP).points_for(1_549_999) == 15
    # a 1.25 multiplier on 15.9 units is 19.875 points: rounded once, not floor(15) * 1.25
    assert EarningRule().points_for(1_590_000, 125) == 19


def test_minimum_sale_and_cap():
    rule = EarningRule(points_per_unit=2, min_sale_rials=5_000_000, max_points_per_sale=200)
    assert rule.points_for(4_999_999) == 0
    assert rule.points_for(5_000_000) == 100
    assert rule.points_for(50_000_000) == 200


def test_gold_multiplier():
    assert EarningRule().points_for(10_000_000, 150) == 150


@given(rules, rials, multipliers)
def test_points_are_whole_non_negative_and_capped(rule, paid, multiplier):
    points = rule.points_for(paid, multiplier)
    assert isinstance(points, int) and points >= 0
    if rule.max_points_per_sale is not None:
        assert points <= rule.max_points_per_sale
    if paid < rule.min_sale_rials:
        assert points == 0


@given(rules, rials, rials, multipliers)
def test_paying_more_never_earns_less(rule, a, b, multiplier):
    low, high = sorted((a, b))
    if low >= rule.min_sale_rials:
        assert rule.points_for(low, multiplier) <= rule.points_for(high, multiplier)


@given(rules, rials, multipliers)
def test_floor_never_exceeds_the_exact_value(rule, paid, multiplier):
    if rule.rounding is Rounding.FLOOR:
        exact_numerator = paid * rule.points_per_unit * multiplier
        assert rule.points_for(paid, multiplier) * rule.rials_per_unit * 100 <= exact_numerator


@pytest.mark.parametrize("bad", [-1, 1.5, "100", True, MAX_RIALS + 1])
def test_amounts_must_be_whole_rials(bad):
    with pytest.raises(ClubError) as refused:
        EarningRule().points_for(bad)
    assert refused.value.code == "invalid_amount"


def test_invalid_rules_are_refused():
    with pytest.raises(ClubError):
        EarningRule(rials_per_unit=0)
    with pytest.raises(ClubError):
        RedemptionPolicy(max_share_percent=101)


def test_redemption_cap_is_a_share_of_the_sale():
    policy = RedemptionPolicy(rials_per_point=1_000, max_share_percent=50)
    assert policy.max_points(1_000_000, 10_000) == 500
    assert policy.max_points(1_000_000, 120) == 120
    assert policy.check(500, 1_000_000, 10_000) == 500_000
    with pytest.raises(ClubError) as over:
        policy.check(501, 1_000_000, 10_000)
    assert over.value.code == "redeem_over_cap" and over.value.params["allowed"] == 500
    with pytest.raises(ClubError) as short:
        policy.check(200, 1_000_000, 120)
    assert short.value.code == "insufficient_points"


@given(st.integers(1, 10_000), st.integers(0, 100), rials, st.integers(0, 10**7))
def test_a_discount_never_exceeds_its_cap_or_the_balance(rate, share, sale, balance):
    policy = RedemptionPolicy(rials_per_point=rate, max_share_percent=share)
    points = policy.max_points(sale, balance)
    assert 0 <= points <= balance
    assert policy.discount_for(points) <= sale * share // 100
