# SPDX-License-Identifier: GPL-3.0-or-later
"""The rule set: lookups, the club's local calendar, and every refusal naming its place in the file."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import ClubError
from app.domain.programme import (
    WEEKDAYS,
    Bonuses,
    BranchRules,
    Campaign,
    CashbackRule,
    MembershipPlan,
    OfflineGrantPolicy,
    Qualification,
    Reward,
    TierRule,
)
from app.domain.rules import EarningRule, RedemptionPolicy
from tests.unit.domain.programme_strategies import (
    BRONZE,
    DAY,
    GOLD,
    HOUR,
    SILVER,
    SILVER_CARD,
    club_rules,
    local_us,
    rule_sets,
)

THURSDAY = date(2027, 3, 4)
WEDNESDAY = THURSDAY - timedelta(days=1)
TEA = Reward("tea", "چای", "Tea", points=50, stock=(("b1", 3), ("b2", 1)))


def campaign(**changes: object) -> Campaign:
    base = Campaign("thu2x", "پنجشنبه", "Thursday", starts=date(2027, 1, 1), ends=date(2027, 12, 31))
    return replace(base, **changes)  # type: ignore[arg-type]


def refused(**changes: object) -> ClubError:
    with pytest.raises(ClubError) as caught:
        club_rules(**changes)
    assert caught.value.code == "invalid_rules"
    return caught.value


# ---- lookups -----------------------------------------------------------------------------------------


def test_the_seed_club_is_a_valid_rule_set():
    rules = club_rules()
    assert rules.entry_tier() is BRONZE
    assert rules.tier("silver") is SILVER
    assert rules.plan("silver_card") is SILVER_CARD
    assert rules.plan("silver_card").price_rials == 100_000_000  # 10,000,000 Toman


@pytest.mark.parametrize(
    ("lookup", "code", "param"),
    [
        ("tier", "unknown_tier", "tier"),
        ("plan", "unknown_plan", "plan"),
        ("reward", "unknown_reward", "reward"),
    ],
)
def test_unknown_codes_are_refused_by_name(lookup, code, param):
    with pytest.raises(ClubError) as caught:
        getattr(club_rules(), lookup)("platinum")
    assert caught.value.code == code and caught.value.params == {param: "platinum"}


def test_a_reward_is_found_and_knows_its_stock_per_branch():
    rules = club_rules(rewards=(TEA,))
    assert rules.reward("tea") is TEA
    assert (TEA.stock_at("b1"), TEA.stock_at("b2"), TEA.stock_at("b3")) == (3, 1, None)


def test_a_branch_has_its_own_rules_or_the_clubs():
    generous = BranchRules(EarningRule(points_per_unit=2), RedemptionPolicy(max_share_percent=100))
    rules = club_rules(branches=(("b2", generous),))
    assert rules.branch_rules("b2") is generous
    assert rules.branch_rules("b1") == BranchRules(rules.earning, rules.redemption)


def test_cashback_rate_is_the_tiers_or_else_the_clubs():
    rules = club_rules()
    assert rules.cashback_bp("bronze") == 500
    assert rules.cashback_bp("gold") == 1_000
    assert club_rules(tiers=(BRONZE, replace(SILVER, cashback_bp=0))).cashback_bp("silver") == 0
    with pytest.raises(ClubError):
        rules.cashback_bp("platinum")


# ---- the club's calendar -----------------------------------------------------------------------------


def test_tehran_days_begin_at_half_past_eight_utc_the_evening_before():
    rules = club_rules()
    start = rules.day_start_us(THURSDAY)
    assert start == local_us(WEDNESDAY, 20, 30, offset_minutes=0)
    assert rules.local_date(start) == THURSDAY
    assert rules.local_date(start - 1) == WEDNESDAY
    # 22:00 UTC on Wednesday is already 01:30 on Thursday in Tehran
    late = local_us(WEDNESDAY, 22, offset_minutes=0)
    assert rules.local_date(late) == THURSDAY
    assert WEEKDAYS[rules.local_date(late).weekday()] == "thu"
    assert (rules.local(late).hour, rules.local(late).minute) == (1, 30)


def test_a_club_west_of_utc_is_still_on_the_day_before():
    rules = club_rules(utc_offset_minutes=-300)
    assert rules.local_date(local_us(THURSDAY, 2, offset_minutes=0)) == WEDNESDAY
    assert rules.day_start_us(THURSDAY) == local_us(THURSDAY, 5, offset_minutes=0)


@settings(max_examples=200)
@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)), st.integers(-14 * 60, 14 * 60))
def test_a_local_day_runs_from_its_start_to_the_next_days(day, offset):
    rules = club_rules(utc_offset_minutes=offset)
    start = rules.day_start_us(day)
    assert rules.day_start_us(day + timedelta(days=1)) - start == DAY
    assert rules.local_date(start) == day
    assert rules.local_date(start + DAY - 1) == day
    assert rules.local_date(start - 1) == day - timedelta(days=1)
    assert rules.local(start + 13 * HOUR).hour == 13


@settings(max_examples=40)
@given(rule_sets())
def test_the_strategy_draws_only_valid_rule_sets(rules):
    # RuleSet checks itself in __post_init__: drawing is constructing; and rebuilding it holds too
    assert rules.entry_tier().threshold == 0
    assert replace(rules) == rules


# ---- refusals ----------------------------------------------------------------------------------------

FIRST = "campaigns.0"


@pytest.mark.parametrize(
    ("changes", "path", "reason"),
    [
        ({"version": -1}, "version", "negative"),
        ({"tiers": ()}, "tiers", "empty"),
        ({"tiers": (BRONZE, replace(SILVER, code="bronze")), "memberships": ()}, "tiers.1", "duplicate_code"),
        ({"tiers": (BRONZE, replace(SILVER, code="sil ver")), "memberships": ()}, "tiers.1", "bad_code"),
        ({"tiers": (BRONZE, replace(SILVER, code="")), "memberships": ()}, "tiers.1", "bad_code"),
        ({"tiers": (BRONZE, replace(SILVER, code="s" * 33)), "memberships": ()}, "tiers.1", "bad_code"),
        ({"tiers": (BRONZE, replace(SILVER, rank=0))}, "tiers", "ranks_not_increasing"),
        ({"tiers": (BRONZE, GOLD, SILVER)}, "tiers", "ranks_not_increasing"),
        # ranks rise but thresholds do not: silver above gold
        (
            {"tiers": (BRONZE, replace(SILVER, threshold=6_000), GOLD)},
            "tiers.2.threshold",
            "not_above_previous_tier",
        ),
        (
            {"tiers": (BRONZE, replace(SILVER, threshold=5_000), GOLD)},
            "tiers.2.threshold",
            "not_above_previous_tier",
        ),
        ({"tiers": (BRONZE, replace(SILVER, threshold=0))}, "tiers.1.threshold", "not_above_previous_tier"),
        (
            {"tiers": (replace(BRONZE, threshold=10), SILVER)},
            "tiers.0.threshold",
            "entry_tier_threshold_not_zero",
        ),
        (
            {"tiers": (BRONZE, replace(SILVER, multiplier_percent=1_001))},
            "tiers.1",
            "threshold_or_multiplier",
        ),
        ({"tiers": (BRONZE, replace(SILVER, multiplier_percent=-1))}, "tiers.1", "threshold_or_multiplier"),
        (
            {"tiers": (BRONZE, replace(SILVER, discount_percent=101))},
            "tiers.1.discount_percent",
            "out_of_range",
        ),
        ({"tiers": (BRONZE, replace(SILVER, cashback_bp=10_001))}, "tiers.1.cashback_bp", "out_of_range"),
        ({"qualification": Qualification(window_days=0)}, "qualification", "window_or_grace"),
        ({"qualification": Qualification(grace_days=-1)}, "qualification", "window_or_grace"),
        ({"cashback": CashbackRule(percent_bp=10_001)}, "cashback.percent_bp", "out_of_range"),
        ({"cashback": CashbackRule(percent_bp=-1)}, "cashback.percent_bp", "out_of_range"),
        ({"cashback": CashbackRule(max_per_sale_rials=-1)}, "cashback.max_per_sale_rials", "negative"),
        ({"cashback": CashbackRule(max_share_percent=101)}, "cashback.max_share_percent", "out_of_range"),
        ({"expiry_days": 0}, "expiry_days", "below_one"),
        ({"utc_offset_minutes": 14 * 60 + 1}, "utc_offset_minutes", "out_of_range"),
        ({"utc_offset_minutes": -14 * 60 - 1}, "utc_offset_minutes", "out_of_range"),
        ({"categories": ("food", "food")}, "categories.1", "duplicate_code"),
        ({"campaigns": (campaign(ends=date(2026, 12, 31)),)}, f"{FIRST}.ends", "before_start"),
        ({"campaigns": (campaign(), campaign())}, "campaigns.1", "duplicate_code"),
        ({"campaigns": (campaign(multiplier_percent=99),)}, FIRST, "multiplier_or_bonus"),
        ({"campaigns": (campaign(multiplier_percent=1_001),)}, FIRST, "multiplier_or_bonus"),
        ({"campaigns": (campaign(bonus_points=-1),)}, FIRST, "multiplier_or_bonus"),
        ({"campaigns": (campaign(tiers=("platinum",)),)}, f"{FIRST}.tiers", "unknown"),
        ({"campaigns": (campaign(categories=("toys",)),)}, f"{FIRST}.categories", "unknown"),
        ({"campaigns": (campaign(weekdays=("thursday",)),)}, f"{FIRST}.weekdays", "unknown"),
        ({"campaigns": (campaign(weekdays=("Thu",)),)}, f"{FIRST}.weekdays", "unknown"),
        ({"bonuses": Bonuses(signup_points=-1)}, "bonuses.signup_points", "negative"),
        ({"bonuses": Bonuses(ambassador_max_per_month=-1)}, "bonuses.ambassador_max_per_month", "negative"),
        ({"bonuses": Bonuses(birthday_window_days=183)}, "bonuses.birthday_window_days", "out_of_range"),
        (
            {"memberships": (replace(SILVER_CARD, tier_code="platinum"),)},
            "memberships.0.tier_code",
            "unknown",
        ),
        ({"memberships": (replace(SILVER_CARD, price_rials=0),)}, "memberships.0", "price_or_duration"),
        ({"memberships": (replace(SILVER_CARD, duration_days=0),)}, "memberships.0", "price_or_duration"),
        ({"memberships": (replace(SILVER_CARD, points_step=0),)}, "memberships.0", "points_discount"),
        ({"memberships": (replace(SILVER_CARD, percent_per_step=-1),)}, "memberships.0", "points_discount"),
        (
            {"memberships": (replace(SILVER_CARD, max_discount_percent=101),)},
            "memberships.0",
            "points_discount",
        ),
        ({"memberships": (SILVER_CARD, SILVER_CARD)}, "memberships.1", "duplicate_code"),
        ({"rewards": (replace(TEA, points=0),)}, "rewards.0.points", "below_one"),
        ({"rewards": (replace(TEA, stock=(("b1", -1),)),)}, "rewards.0.stock", "negative"),
        ({"rewards": (TEA, TEA)}, "rewards.1", "duplicate_code"),
        ({"offline_grant": OfflineGrantPolicy(share_percent=101)}, "offline_grant", "out_of_range"),
        ({"offline_grant": OfflineGrantPolicy(max_points=-1)}, "offline_grant", "out_of_range"),
        ({"offline_grant": OfflineGrantPolicy(hours=0)}, "offline_grant", "out_of_range"),
        ({"offline_grant": OfflineGrantPolicy(hours=24 * 30 + 1)}, "offline_grant", "out_of_range"),
    ],
)
def test_an_invalid_rule_set_is_refused_where_it_is_wrong(changes, path, reason):
    error = refused(**changes)
    assert (error.params["path"], error.params["reason"]) == (path, reason)


def test_a_refusal_names_the_offending_value():
    assert refused(campaigns=(campaign(weekdays=("thu", "thursday")),)).params["value"] == "thursday"
    assert refused(memberships=(replace(SILVER_CARD, tier_code="platinum"),)).params["value"] == "platinum"


def test_a_duplicate_or_malformed_code_is_a_refusal_not_a_crash():
    """Was a bug in programme._unique: `invalid(path, "bad_code", code=code)` passes `code` twice to ClubError
    (its own first parameter is `code`), so every duplicate or malformed code in a rule set raises
    TypeError instead of ClubError("invalid_rules"). Name the parameter `value`, as `_campaign` does."""
    error = refused(tiers=(BRONZE, replace(SILVER, code="bronze")), memberships=())
    assert (error.params["path"], error.params["reason"]) == ("tiers.1", "duplicate_code")
    assert "bronze" in error.params.values()
    error = refused(categories=("food", "bad code"))
    assert (error.params["path"], error.params["reason"]) == ("categories.1", "bad_code")
    assert "bad code" in error.params.values()


def test_the_tiers_are_checked_before_what_refers_to_them():
    # a plan naming a tier is judged against the tiers, which are judged first
    error = refused(tiers=(), memberships=(replace(SILVER_CARD, tier_code="platinum"),))
    assert error.params["path"] == "tiers"


@pytest.mark.parametrize(
    "changes",
    [
        {"version": 0},
        {"tiers": (BRONZE,), "memberships": ()},
        {"tiers": (BRONZE, replace(SILVER, code="nogreh-1_a")), "memberships": ()},
        {"tiers": (BRONZE, replace(SILVER, code="نقره")), "memberships": ()},
        {"tiers": (BRONZE, replace(SILVER, rank=7, multiplier_percent=1_000, discount_percent=100))},
        {"qualification": Qualification(window_days=1, grace_days=0)},
        {"cashback": CashbackRule(percent_bp=10_000, max_per_sale_rials=0, max_share_percent=0)},
        {"expiry_days": 1},
        {"utc_offset_minutes": 14 * 60},
        {"utc_offset_minutes": -14 * 60},
        {"campaigns": (campaign(ends=date(2027, 1, 1), weekdays=WEEKDAYS, multiplier_percent=1_000),)},
        {"campaigns": (campaign(tiers=("gold",), categories=("drink",), branches=("b2",)),)},
        {"bonuses": Bonuses(birthday_window_days=182, referral_max_per_year=0, survey_max_per_day=0)},
        {"memberships": (replace(SILVER_CARD, tier_code=None, percent_per_step=0, max_discount_percent=0),)},
        {"rewards": (replace(TEA, stock=(("b1", 0),)), replace(TEA, code="cake", stock=()))},
        {"offline_grant": OfflineGrantPolicy(share_percent=0, max_points=0, hours=24 * 30)},
    ],
)
def test_the_limits_themselves_are_accepted(changes):
    assert club_rules(**changes).version >= 0


def test_every_bonus_field_is_checked_for_a_negative_value():
    for name in Bonuses.__slots__:
        error = refused(bonuses=replace(Bonuses(), **{name: -1}))
        assert error.params["path"] == f"bonuses.{name}"


def test_two_entries_of_one_branch_in_a_rewards_stock_are_refused():
    """Was a bug in programme._offers: a reward's stock may name one branch twice and `stock_at` keeps
    the last figure (b1 given 5, then 3 → 3). Every other list of codes in the file is checked for
    duplicates; this one should be too."""
    error = refused(rewards=(replace(TEA, stock=(("b1", 5), ("b1", 3))),))
    assert (error.params["path"], error.params["reason"]) == ("rewards.0.stock.1", "duplicate_code")


def test_two_rule_sets_for_one_branch_are_refused():
    """Was a bug in programme._offers: `branches` may name one branch twice; `branch_rules` silently keeps the
    last, so the earning a branch gets depends on the order of the file."""
    one = BranchRules(EarningRule(), RedemptionPolicy())
    two = BranchRules(EarningRule(points_per_unit=3), RedemptionPolicy())
    error = refused(branches=(("b2", one), ("b2", two)))
    assert (error.params["path"], error.params["reason"]) == ("branches.1", "duplicate_code")


def test_a_rule_set_is_immutable():
    rules = club_rules()
    with pytest.raises(AttributeError):
        rules.version = 2  # type: ignore[misc]
    assert isinstance(hash(TierRule("x", "x", "x", 0)), int)
    assert MembershipPlan("p", "p", "p", 1, 1).points_step == 100
