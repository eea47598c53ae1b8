# SPDX-License-Identifier: GPL-3.0-or-later
"""The rewards catalogue: a branch's stock is what it was given less what its entries took, net of
reversals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import ClubError
from app.domain.ledger import EntryKind
from app.domain.programme import Reward, RewardKind
from app.domain.rewards import check, reward_ref, stock_left, taken
from tests.unit.domain.programme_strategies import club_rules, entry

E = EntryKind
MUG = Reward("mug", "لیوان", "Mug", points=500, stock=(("b1", 3), ("b2", 1)))
MASSAGE = Reward("massage", "ماساژ", "Massage", points=2_000, kind=RewardKind.SERVICE, stock=(("b2", 0),))


def redeemed(code: str = "mug", branch: str = "b1", **kw: object):
    return entry(E.REWARD, points=-500, ref=reward_ref(code), branch=branch, **kw)  # type: ignore[arg-type]


def undo(target, branch: str = "b1"):
    return entry(
        E.REVERSAL, points=-target.points_delta, ref=target.invoice_ref, reverses=target.id, branch=branch
    )


def test_a_rewards_ref_names_its_code():
    assert reward_ref("mug") == "reward:mug"


def test_a_reward_in_a_rule_set():
    rules = club_rules(rewards=(MUG, MASSAGE))
    assert rules.reward("massage").kind is RewardKind.SERVICE
    assert rules.reward("mug").stock_at("b2") == 1


def test_each_branch_counts_its_own_units():
    entries = [
        redeemed(),
        redeemed(),
        redeemed(branch="b2"),
        redeemed("tea"),
        entry(E.EARN, ref="reward:mug"),
    ]
    assert taken(entries, "mug", "b1") == 2
    assert taken(entries, "mug", "b2") == 1
    assert taken(entries, "mug", "b3") == 0
    assert stock_left(MUG, "b1", 2) == 1
    assert stock_left(MUG, "b2", 1) == 0
    assert stock_left(MUG, "b3", 0) is None  # not offered there


def test_a_reversal_gives_the_unit_back_to_the_branch_it_came_from():
    first, second = redeemed(), redeemed()
    # reversed by a terminal of another branch: still b1's unit
    entries = [first, second, undo(first, branch="b2")]
    assert taken(entries, "mug", "b1") == 1
    assert taken(entries, "mug", "b2") == 0
    assert stock_left(MUG, "b1", taken(entries, "mug", "b1")) == 2


def test_two_reversals_of_one_redemption_give_back_one_unit():
    given_out = redeemed()
    assert taken([given_out, undo(given_out), undo(given_out)], "mug", "b1") == 0


def test_reversals_of_other_entries_give_nothing_back():
    sale = entry(E.EARN, points=10, ref="T-1")
    other = redeemed("tea")
    entries = [redeemed(), undo(sale), undo(other), entry(E.REVERSAL, reverses="nowhere")]
    assert taken(entries, "mug", "b1") == 1


def test_more_taken_than_given_leaves_none():
    # offline terminals of one branch may both give the last unit
    assert stock_left(MUG, "b2", 2) == 0


def test_a_redemption_is_checked_for_the_branch_the_stock_and_the_points():
    check(MUG, "b1", 2, 500)  # the last unit, exactly the price
    refusals = [
        ((MUG, "b3", 0, 10_000), "reward_not_here", {"reward": "mug"}),
        ((MUG, "b1", 3, 10_000), "reward_out_of_stock", {"reward": "mug"}),
        ((MASSAGE, "b2", 0, 10_000), "reward_out_of_stock", {"reward": "massage"}),
        ((MUG, "b1", 0, 499), "insufficient_points", {"requested": 500, "balance": 499}),
    ]
    for args, code, params in refusals:
        with pytest.raises(ClubError) as caught:
            check(*args)
        assert (caught.value.code, caught.value.params) == (code, params)


def test_a_unit_given_back_can_be_given_again():
    last = redeemed(branch="b2")
    with pytest.raises(ClubError):
        check(MUG, "b2", taken([last], "mug", "b2"), 10_000)
    check(MUG, "b2", taken([last, undo(last)], "mug", "b2"), 10_000)


# ---- properties --------------------------------------------------------------------------------------

actions = st.lists(
    st.tuples(st.sampled_from(["give", "undo"]), st.sampled_from(["b1", "b2"]), st.integers(0, 20))
)


@settings(max_examples=100)
@given(actions)
def test_stock_is_never_negative_and_reversals_only_return_what_was_given(steps):
    entries = []
    gifts = []
    for action, branch, pick in steps:
        if action == "give" or not gifts:
            gift = redeemed(branch=branch)
            gifts.append(gift)
            entries.append(gift)
        else:
            entries.append(undo(gifts[pick % len(gifts)], branch=branch))
    for branch in ("b1", "b2"):
        mine = [g for g in gifts if g.branch_id == branch]
        units = taken(entries, "mug", branch)
        assert 0 <= units <= len(mine)
        undone = {e.reverses for e in entries if e.kind is E.REVERSAL}
        assert units == sum(1 for g in mine if g.id not in undone)
        left = stock_left(MUG, branch, units)
        assert left is not None and 0 <= left <= MUG.stock_at(branch)
