# SPDX-License-Identifier: GPL-3.0-or-later
"""A campaign's holdout: a stated share of members left out at random, decided alike everywhere, offline;
pricing leaves a held-out member as if the campaign did not run."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import ClubError
from app.domain.pricing import SaleContext, applicable_campaigns, price_sale
from app.domain.programme import Campaign, in_holdout
from sync.rules import from_body, to_body
from tests.unit.domain.programme_strategies import club_rules, local_us

DOUBLE = Campaign(
    "double",
    "امتیاز دوبرابر",
    "Double points",
    starts=date(2027, 3, 1),
    ends=date(2027, 3, 31),
    multiplier_percent=200,
    bonus_points=7,
    holdout_percent=50,
)
AT = local_us(date(2027, 3, 10), 12)

codes = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=32)
member_ids = st.uuids().map(str)


def test_the_decision_is_a_fixed_hash_of_campaign_and_member():
    # written out so that any change to the rule (which would move members between groups mid-campaign,
    # and make terminals of two versions price alike sales apart) fails here
    assert in_holdout("double", "m-1", 50) is False  # sha256("double:m-1")[:8] % 10000 = 9797
    assert in_holdout("double", "m-3", 50) is True  # ... = 2339
    assert in_holdout("double", "m-3", 23) is False  # 2339 is not below 2300
    assert in_holdout("double", "m-3", 24) is True
    assert in_holdout("double", "m-2", 4) is True  # 304


@given(codes, member_ids, st.integers(0, 50))
def test_the_same_inputs_give_the_same_answer(code: str, member: str, percent: int):
    assert in_holdout(code, member, percent) == in_holdout(code, member, percent)
    assert in_holdout(code, member, 0) is False
    # a larger holdout contains the smaller: raising the share only moves members out
    if in_holdout(code, member, percent):
        assert all(in_holdout(code, member, p) for p in range(percent, 51))


@settings(max_examples=20, deadline=None)
@given(codes, st.integers(1, 50), st.integers(0, 2**32))
def test_the_share_held_out_is_close_to_the_percent(code: str, percent: int, seed: int):
    rnd = random.Random(seed)  # many member ids per example: drawn from a seed hypothesis chooses
    n = 20_000
    ids = (str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(n))
    held = sum(in_holdout(code, member, percent) for member in ids)
    # the share of n independent draws: 5 standard deviations either side (fails about once in 3 million)
    p = percent / 100
    tolerance = 5 * (p * (1 - p) / n) ** 0.5
    assert abs(held / n - p) <= tolerance


def test_a_held_out_member_earns_as_if_the_campaign_did_not_run():
    rules = club_rules(campaigns=(DOUBLE,))
    held, treated = "m-2", "m-1"
    assert in_holdout(DOUBLE.code, held, 50) and not in_holdout(DOUBLE.code, treated, 50)
    sale = SaleContext("b1", "bronze", 1_500_000, 0, AT)
    mine = price_sale(rules, replace(sale, member_id=treated))
    assert (mine.points, mine.base_points, mine.campaigns) == (15 * 2 + 7, 15, ("double",))
    out = price_sale(rules, replace(sale, member_id=held))
    assert (out.points, out.base_points, out.campaigns) == (15, 15, ())
    # a price with no member (a quote by tier) has nobody to hold out
    assert price_sale(rules, sale).campaigns == ("double",)
    assert applicable_campaigns(rules, replace(sale, member_id=held)) == []


def test_another_campaign_still_applies_to_a_member_held_out_of_one():
    other = replace(DOUBLE, code="bonus", multiplier_percent=150, bonus_points=3, holdout_percent=0)
    rules = club_rules(campaigns=(DOUBLE, other))
    out = price_sale(rules, SaleContext("b1", "bronze", 1_500_000, 0, AT, member_id="m-2"))
    assert (out.points, out.campaigns) == (15 * 150 // 100 + 3, ("bonus",))


@pytest.mark.parametrize("percent", [-1, 51, 100])
def test_a_holdout_outside_0_to_50_is_refused(percent: int):
    with pytest.raises(ClubError) as refused:
        club_rules(campaigns=(replace(DOUBLE, holdout_percent=percent),))
    assert refused.value.code == "invalid_rules"
    assert refused.value.params["path"] == "campaigns.0.holdout_percent"
    assert refused.value.params["reason"] == "out_of_range"


def test_the_body_carries_the_holdout_and_an_old_body_reads_as_none():
    rules = club_rules(campaigns=(DOUBLE, replace(DOUBLE, code="plain", holdout_percent=0)))
    body = to_body(rules)
    assert body["campaigns"][0]["holdout_percent"] == 50
    # written only when set: a body without holdouts is what terminals before them read
    assert "holdout_percent" not in body["campaigns"][1]
    assert from_body(body) == rules
    del body["campaigns"][0]["holdout_percent"]
    assert from_body(body).campaigns[0].holdout_percent == 0
