# SPDX-License-Identifier: GPL-3.0-or-later
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.domain.errors import ClubError
from app.domain.money import Rounding
from app.domain.returns import SaleRecord, settle_return
from app.domain.rules import EarningRule


def apply(sale: SaleRecord, settlement) -> SaleRecord:
    return SaleRecord(
        sale.sale_rials,
        sale.discount_rials,
        sale.earned_points,
        sale.redeemed_points,
        sale.returned_rials + settlement.returned_rials,
        sale.clawed_back_points + settlement.claw_back_points,
        sale.given_back_points + settlement.give_back_points,
    )


def test_half_returned_half_taken_back():
    rule = EarningRule()
    sale = SaleRecord(2_000_000, 0, 20, 0)
    settlement = settle_return(sale, 1_000_000, rule.points_for)
    assert (settlement.claw_back_points, settlement.give_back_points) == (10, 0)


def test_spent_points_come_back_in_proportion():
    rule = EarningRule()
    # 2,000,000 sale, 10 points spent for 10,000 off, 19 earned on 1,990,000 paid
    sale = SaleRecord(2_000_000, 10_000, 19, 10)
    first = settle_return(sale, 500_000, rule.points_for)
    assert (first.claw_back_points, first.give_back_points) == (5, 2)
    rest = settle_return(apply(sale, first), 1_500_000, rule.points_for)
    assert first.claw_back_points + rest.claw_back_points == 19
    assert first.give_back_points + rest.give_back_points == 10


def test_many_small_returns_cannot_farm_rounding():
    # returning 1 rial at a time must not leave the member more points than one big return
    rule = EarningRule()
    sale = SaleRecord(1_990_000, 0, 19, 0)
    for _ in range(1_000):
        sale = apply(sale, settle_return(sale, 1, rule.points_for))
    assert sale.earned_points - sale.clawed_back_points <= rule.points_for(1_989_000)


def test_returning_below_the_minimum_sale_takes_everything_back():
    rule = EarningRule(points_per_unit=2, min_sale_rials=5_000_000)
    sale = SaleRecord(5_000_000, 0, 100, 0)
    settlement = settle_return(sale, 100_000, rule.points_for)
    assert settlement.claw_back_points == 100


def test_cannot_return_more_than_was_sold():
    with pytest.raises(ClubError) as refused:
        settle_return(SaleRecord(1_000, 0, 0, 0, returned_rials=600), 401, EarningRule().points_for)
    assert refused.value.code == "return_exceeds_sale"
    with pytest.raises(ClubError):
        settle_return(SaleRecord(1_000, 0, 0, 0), 0, EarningRule().points_for)


rules = st.builds(
    EarningRule,
    points_per_unit=st.integers(0, 5),
    rials_per_unit=st.integers(1_000, 1_000_000),
    min_sale_rials=st.integers(0, 3_000_000),
    max_points_per_sale=st.none() | st.integers(0, 500),
    rounding=st.sampled_from(Rounding),
)


@given(
    rule=rules,
    multiplier=st.sampled_from([100, 125, 150]),
    sale_rials=st.integers(1, 50_000_000),
    redeem_share=st.integers(0, 50),
    cuts=st.lists(st.integers(1, 10_000), min_size=1, max_size=8),
)
def test_no_sequence_of_returns_leaves_free_points(rule, multiplier, sale_rials, redeem_share, cuts):
    discount = sale_rials * redeem_share // 100
    redeemed = discount // 1_000
    discount = redeemed * 1_000
    earned = rule.points_for(sale_rials - discount, multiplier)
    sale = SaleRecord(sale_rials, discount, earned, redeemed)
    reprice = lambda paid: rule.points_for(paid, multiplier)  # noqa: E731
    for cut in cuts:
        amount = max(1, sale.returnable_rials * cut // 10_000)
        assume(sale.returnable_rials > 0)
        settlement = settle_return(sale, amount, reprice)
        assert settlement.claw_back_points >= 0 and settlement.give_back_points >= 0
        sale = apply(sale, settlement)
        kept = sale.sale_rials - sale.returned_rials
        kept_paid = (sale.sale_rials - sale.discount_rials) * kept // sale.sale_rials
        # what the member still holds from this sale is never more than the kept part would earn
        assert sale.earned_points - sale.clawed_back_points <= reprice(kept_paid)
        # and the spent points come back no faster than the goods do
        assert sale.given_back_points * sale.sale_rials <= sale.redeemed_points * sale.returned_rials
    if sale.returnable_rials:
        sale = apply(sale, settle_return(sale, sale.returnable_rials, reprice))
    assert sale.clawed_back_points == sale.earned_points
    assert sale.given_back_points == sale.redeemed_points
