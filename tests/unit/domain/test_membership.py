# SPDX-License-Identifier: GPL-3.0-or-later
"""Paid membership cards: points buy the price down in whole steps; each purchase buys a term."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import ClubError
from app.domain.ledger import EntryKind
from app.domain.membership import PlanPrice, Term, current, max_points, price, terms
from app.domain.programme import MembershipPlan
from tests.unit.domain.programme_strategies import DAY, SILVER_CARD, club_rules, entry

T0 = 1_800_000_000 * 1_000_000
E = EntryKind
GOLD_CARD = MembershipPlan("gold_card", "کارت طلایی", "Gold card", 250_000_000, 30, tier_code="gold")
RULES = club_rules(memberships=(SILVER_CARD, GOLD_CARD))


def rules_for(version: int | None):
    return RULES


def buy(plan: str, day: float, *, id: str | None = None, version: int | None = 1):
    return entry(E.MEMBERSHIP_PURCHASE, at=T0 + int(day * DAY), ref=plan, id=id, rules_version=version)


# ---- the price ---------------------------------------------------------------------------------------


def test_three_hundred_points_take_thirty_percent_off_the_silver_card():
    # the seed: a silver card of 10,000,000 Toman; each 100 points take 10 % off
    quote = price(SILVER_CARD, 300, 300)
    assert quote == PlanPrice("silver_card", 100_000_000, 300, 30_000_000)
    assert quote.pay_rials == 70_000_000


def test_only_whole_steps_of_points_count():
    assert max_points(SILVER_CARD, 350) == 300
    assert price(SILVER_CARD, 300, 350).pay_rials == 70_000_000
    with pytest.raises(ClubError) as caught:
        price(SILVER_CARD, 350, 350)
    assert caught.value.code == "points_not_whole_steps" and caught.value.params == {"step": 100}
    assert max_points(SILVER_CARD, 99) == 0


def test_the_discount_stops_at_the_plans_cap():
    # 50 % at most: 500 points, whatever the member holds
    assert max_points(SILVER_CARD, 900) == 500
    assert price(SILVER_CARD, 500, 900).pay_rials == 50_000_000
    with pytest.raises(ClubError) as caught:
        price(SILVER_CARD, 600, 900)
    assert caught.value.code == "redeem_over_cap" and caught.value.params == {
        "requested": 600,
        "allowed": 500,
    }
    lower = replace(SILVER_CARD, max_discount_percent=25)
    assert max_points(lower, 900) == 200  # 25 % is two whole steps of 10 %


def test_points_the_member_does_not_hold_are_refused():
    with pytest.raises(ClubError) as caught:
        price(SILVER_CARD, 400, 350)
    assert caught.value.code == "insufficient_points"
    assert caught.value.params == {"requested": 400, "balance": 350}


@pytest.mark.parametrize("points", [-100, 1.5, True])
def test_points_must_be_a_whole_non_negative_number(points):
    with pytest.raises(ClubError) as caught:
        price(SILVER_CARD, points, 1_000)
    assert caught.value.code == "invalid_points"


def test_no_points_pay_the_full_price():
    assert price(SILVER_CARD, 0, 0).pay_rials == 100_000_000
    assert price(SILVER_CARD, 0, 10_000).discount_rials == 0


def test_a_member_in_deficit_may_still_pay_the_full_price():
    """Was a bug in membership.price: with no points spent, `points > balance_points` is still checked, so a
    member whose balance is below zero (after an override) cannot buy a card at its full price:
    price(plan, 0, -5) raises insufficient_points(requested=0, balance=-5). Fix: check the balance only
    when points are spent (`if points and points > balance_points`)."""
    assert price(SILVER_CARD, 0, -5).pay_rials == 100_000_000


def test_a_plan_points_cannot_buy_down():
    fixed = replace(SILVER_CARD, percent_per_step=0)
    assert max_points(fixed, 10_000) == 0
    assert price(fixed, 0, 10_000).pay_rials == 100_000_000
    with pytest.raises(ClubError):
        price(fixed, 100, 10_000)


def test_a_rounded_discount_never_favours_the_member():
    odd = replace(SILVER_CARD, price_rials=999, percent_per_step=10)
    assert price(odd, 100, 100).discount_rials == 99  # 10 % of 999 floored
    assert price(odd, 100, 100).pay_rials == 900


# ---- terms -------------------------------------------------------------------------------------------


def test_a_purchase_buys_a_term_from_now():
    (term,) = terms([buy("silver_card", 0)], rules_for)
    assert term == Term("silver_card", T0, T0 + 365 * DAY, "silver")
    assert term.running(T0) and term.running(T0 + 365 * DAY - 1)
    assert not term.running(T0 - 1) and not term.running(T0 + 365 * DAY)


def test_buying_the_same_plan_again_renews_from_the_end_of_the_running_term():
    bought = terms([buy("silver_card", 300), buy("silver_card", 0)], rules_for)
    assert [(t.starts_us, t.ends_us) for t in bought] == [
        (T0, T0 + 365 * DAY),
        (T0 + 365 * DAY, T0 + 730 * DAY),
    ]
    # the member sees one card running to the end of the renewal
    assert current(bought, T0 + 10 * DAY) == Term("silver_card", T0, T0 + 730 * DAY, "silver")
    assert current(bought, T0 + 400 * DAY) == Term("silver_card", T0 + 365 * DAY, T0 + 730 * DAY, "silver")
    assert current(bought, T0 + 730 * DAY) is None


def test_a_chain_of_renewals_shows_its_last_end():
    bought = terms([buy("silver_card", 0), buy("silver_card", 1), buy("silver_card", 2)], rules_for)
    assert [t.starts_us for t in bought] == [T0, T0 + 365 * DAY, T0 + 730 * DAY]
    assert current(bought, T0 + 3 * DAY).ends_us == T0 + 1_095 * DAY


def test_buying_after_the_term_ended_starts_a_new_one():
    bought = terms([buy("silver_card", 0), buy("silver_card", 365)], rules_for)
    assert bought[1] == Term("silver_card", T0 + 365 * DAY, T0 + 730 * DAY, "silver")
    bought = terms([buy("silver_card", 0), buy("silver_card", 500)], rules_for)
    assert bought[1].starts_us == T0 + 500 * DAY
    assert current(bought, T0 + 400 * DAY) is None


def test_another_plan_starts_now_and_replaces_the_running_one():
    bought = terms([buy("silver_card", 0), buy("gold_card", 100)], rules_for)
    assert bought[1] == Term("gold_card", T0 + 100 * DAY, T0 + 130 * DAY, "gold")
    assert current(bought, T0 + 110 * DAY).plan_code == "gold_card"
    # and a silver card bought while gold runs is not a renewal of the earlier silver one
    again = terms([buy("silver_card", 0), buy("gold_card", 100), buy("silver_card", 110)], rules_for)
    assert again[2].starts_us == T0 + 110 * DAY


def test_a_reversed_purchase_buys_nothing():
    first = buy("silver_card", 0)
    renewal = buy("silver_card", 10)
    undone = entry(E.REVERSAL, at=T0 + 11 * DAY, reverses=renewal.id)
    assert terms([first, renewal, undone], rules_for) == [Term("silver_card", T0, T0 + 365 * DAY, "silver")]
    # reversing the first: the renewal stands on its own, from its own purchase
    undone_first = entry(E.REVERSAL, at=T0 + 11 * DAY, reverses=first.id)
    assert terms([first, renewal, undone_first], rules_for)[0].starts_us == T0 + 10 * DAY


def test_a_plan_the_rule_set_does_not_know_buys_nothing():
    assert terms([buy("bronze_card", 0), entry(E.EARN, at=T0, points=5)], rules_for) == []


def test_each_purchase_keeps_the_duration_of_the_rule_set_that_priced_it():
    shorter = club_rules(version=2, memberships=(replace(SILVER_CARD, duration_days=30),))
    versions = {1: RULES, 2: shorter}
    bought = terms(
        [buy("silver_card", 0, version=1), buy("silver_card", 400, version=2)], versions.__getitem__
    )
    assert [t.ends_us - t.starts_us for t in bought] == [365 * DAY, 30 * DAY]


def test_purchases_at_one_instant_are_ordered_by_id():
    bought = terms([buy("gold_card", 0, id="b"), buy("silver_card", 0, id="a")], rules_for)
    assert [t.plan_code for t in bought] == ["silver_card", "gold_card"]
    assert current(bought, T0).plan_code == "gold_card"


def test_no_term_before_the_first_purchase():
    assert current([], T0) is None
    assert current(terms([buy("silver_card", 10)], rules_for), T0) is None


# ---- properties --------------------------------------------------------------------------------------

plans = st.builds(
    MembershipPlan,
    code=st.just("p"),
    name_fa=st.just("p"),
    name_en=st.just("p"),
    price_rials=st.integers(1, 10**12),
    duration_days=st.integers(1, 730),
    points_step=st.integers(1, 10_000),
    percent_per_step=st.integers(0, 100),
    max_discount_percent=st.integers(0, 100),
)
balances = st.integers(-1_000, 10**7)


@settings(max_examples=200)
@given(plans, balances)
def test_the_most_points_are_whole_steps_within_the_balance_and_the_cap(plan, balance):
    points = max_points(plan, balance)
    assert points >= 0 and points % plan.points_step == 0
    assert points <= max(0, balance)
    quote = price(plan, points, max(0, balance))
    assert quote.points_used == points
    assert 0 <= quote.discount_rials <= plan.price_rials * plan.max_discount_percent // 100
    assert 0 <= quote.pay_rials <= plan.price_rials
    # one more step would break a limit
    more = points + plan.points_step
    with pytest.raises(ClubError):
        price(plan, more, max(0, balance))


@settings(max_examples=200)
@given(plans, balances, st.integers(0, 10**7))
def test_a_quote_is_never_negative_and_more_points_never_cost_more(plan, balance, points):
    try:
        quote = price(plan, points, balance)
    except ClubError as refused:
        assert refused.code in {"points_not_whole_steps", "insufficient_points", "redeem_over_cap"}
        return
    assert quote.pay_rials >= 0
    assert quote.points_used % plan.points_step == 0 and quote.points_used <= max(0, balance)
    if points >= plan.points_step:
        fewer = price(plan, points - plan.points_step, balance)
        assert fewer.pay_rials >= quote.pay_rials


purchases = st.lists(
    st.tuples(st.sampled_from(["silver_card", "gold_card"]), st.integers(0, 1_000)), max_size=8
)


@settings(max_examples=100)
@given(purchases, st.integers(0, 2_000))
def test_each_purchase_buys_one_term_and_the_current_one_is_running(bought, day):
    history = [buy(plan, d, id=f"p{i:02d}") for i, (plan, d) in enumerate(bought)]
    all_terms = terms(history, rules_for)
    assert len(all_terms) == len(history)
    for term in all_terms:
        assert term.ends_us - term.starts_us == RULES.plan(term.plan_code).duration_days * DAY
    now = T0 + day * DAY
    held = current(all_terms, now)
    if held is not None:
        assert held.starts_us <= now < held.ends_us
        assert held.tier_code == RULES.plan(held.plan_code).tier_code
    else:
        assert not any(t.running(now) for t in all_terms)
