# SPDX-License-Identifier: GPL-3.0-or-later
"""The fraud signals' statistics with worked numbers, and the robust z-score's properties."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.companions import Companion
from app.domain.fraud_signals import (
    DEFINITIONS,
    MAD_SCALE,
    MEAN_AD_SCALE,
    Moment,
    RewardUnit,
    SoonAfter,
    SplitRuns,
    beyond_stock,
    flagged,
    mad,
    median,
    per_100,
    robust_z,
    robust_zs,
    spread,
)
from app.domain.ids import derived_id, uuid7

MIN = 60_000_000


def an_id(n: int) -> str:
    return str(uuid7(1_750_000_000_000 + n, n.to_bytes(10, "big")))


def test_median_and_mad_worked() -> None:
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == Fraction(5, 2)
    # rates 2, 3, 3, 4, 20: median 3, deviations 1, 0, 0, 1, 17 → MAD 1
    assert mad([2, 3, 3, 4, 20]) == 1
    z = robust_z(20, [2, 3, 3, 4, 20])
    assert z == Fraction(17) / MAD_SCALE  # 11.47: flagged
    assert flagged(z) and not flagged(robust_z(4, [2, 3, 3, 4, 20]))  # 1 / 1.4826 = 0.67
    with pytest.raises(ValueError):
        median([])


def test_fewer_than_three_peers_have_no_z() -> None:
    assert robust_z(5, [5, 100]) is None
    assert robust_zs([1, None, 7]) == [None, None, None]  # two values with a rate: no z for anyone
    assert not flagged(None)


def test_mad_zero_falls_back_to_the_mean_absolute_deviation() -> None:
    # most staff never override: 0, 0, 0, 0, 10 → median 0, MAD 0; mean absolute deviation 2
    group = [0, 0, 0, 0, 10]
    assert mad(group) == 0
    found = spread(group)
    assert found is not None and found.scale == MEAN_AD_SCALE * 2
    assert robust_z(10, group) == Fraction(10) / (MEAN_AD_SCALE * 2)  # 3.99: flagged
    assert flagged(robust_z(10, group)) and robust_z(0, group) == 0
    # every value the same: every z is 0
    assert robust_zs([7, 7, 7]) == [0, 0, 0]


def test_per_100() -> None:
    assert per_100(3, 40) == Fraction(15, 2)
    assert per_100(3, 0) is None


values = st.lists(st.fractions(min_value=-1000, max_value=1000, max_denominator=50), min_size=3, max_size=12)


SCALES = st.fractions(min_value=Fraction(1, 10), max_value=20)


@given(values, st.fractions(min_value=-50, max_value=50), SCALES)
def test_z_does_not_change_when_every_value_is_shifted_and_scaled(
    group: list[Fraction], shift: Fraction, scale: Fraction
) -> None:
    moved = [v * scale + shift for v in group]
    assert robust_zs(moved) == robust_zs(group)


@given(values)
def test_z_is_zero_at_the_median_and_its_sign_follows_the_value(group: list[Fraction]) -> None:
    middle = median(group)
    for v, z in zip(group, robust_zs(group), strict=True):
        assert z is not None
        assert (z > 0) == (v > middle) and (z < 0) == (v < middle)


def moment(n: int, at_min: float, kind: str, *, member: str = "m", device: str = "d", **kw: object) -> Moment:
    return Moment(kw.pop("id", an_id(n)), int(at_min * MIN), member, device, "b", str(kw.pop("staff", "s")),
                  kind, int(kw.pop("points", 0)))  # type: ignore[call-overload]  # fmt: skip


def test_soon_after_worked() -> None:
    sale = moment(1, 0, "earn")
    sale2 = moment(2, 3, "earn")
    own_id = str(derived_id(sale2.id, Companion.REDEEM))
    own_redeem = Moment(own_id, sale2.at_us, "m", "d", "b", "s", "redeem")
    late = moment(3, 25, "redeem")  # 22 minutes after the last earn: not soon
    other_device = moment(4, 4, "redeem", device="other")
    soon = SoonAfter(from_us=0)
    for e in [sale, sale2, own_redeem, other_device, late]:
        soon.feed(e)
    # sale2's own redeem is 3 minutes after sale 1: soon after *another* earn
    assert [(f.redeem.id, f.earn.id) for f in soon.examples[("b", "d", "s")]] == [(own_redeem.id, sale.id)]
    assert soon.soon == {("b", "d", "s"): 1}
    assert soon.redemptions[("b", "d", "s")] == 2 and soon.redemptions[("b", "other", "s")] == 1

    # the redeem of the only sale in sight is never "soon after" its own earn
    alone = SoonAfter(from_us=0)
    for e in [sale2, own_redeem]:
        alone.feed(e)
    assert not alone.soon
    # before the period: counted neither as a redemption nor as a signal
    early = SoonAfter(from_us=10 * MIN)
    for e in [sale, moment(5, 2, "redeem")]:
        early.feed(e)
    assert not early.soon and not early.redemptions


def test_soon_after_keeps_a_few_examples_and_counts_them_all() -> None:
    soon = SoonAfter(from_us=0, keep=2)
    soon.feed(moment(1, 0, "earn"))
    for n in range(5):
        soon.feed(moment(10 + n, 1, "redeem"))
    assert soon.soon[("b", "d", "s")] == 5 and len(soon.examples[("b", "d", "s")]) == 2


def test_soon_after_forgets_old_earns() -> None:
    soon = SoonAfter(from_us=0)
    soon.feed(moment(1, 0, "earn"))
    soon.forget(11 * MIN)
    soon.feed(moment(2, 11, "redeem"))
    assert not soon.soon


def test_a_split_sale_across_a_tier_threshold() -> None:
    a = moment(1, 0, "earn", points=300)
    b = moment(2, 10, "earn", points=250)
    upgrade = Moment(str(derived_id(b.id, Companion.TIER)), b.at_us, "m", "d", "b", "s", "tier_change")
    c = moment(3, 20, "earn", points=100)
    runs = SplitRuns()
    runs.feed(upgrade, "silver")  # the companion may sort before its sale (same moment)
    for e in [a, b, c]:
        runs.feed(e)
    found = runs.finish()
    assert [(f.upgrade_id, f.tier, [s.id for s in f.sales], f.points) for f in found] == [
        (upgrade.id, "silver", [a.id, b.id], 550)
    ]


def test_a_crossing_by_one_sale_or_after_a_gap_is_no_split() -> None:
    a = moment(1, 0, "earn", points=300)
    b = moment(2, 31, "earn", points=250)  # 31 minutes later: a run of its own
    upgrade_b = Moment(str(derived_id(b.id, Companion.TIER)), b.at_us, "m", "d", "b", "s", "tier_change")
    c = moment(3, 100, "earn", points=600)
    upgrade_c = Moment(str(derived_id(c.id, Companion.TIER)), c.at_us, "m", "d", "b", "s", "tier_change")
    runs = SplitRuns()
    for e in [a, b, upgrade_b, c, upgrade_c]:
        runs.feed(e, "silver")
    runs.forget(200 * MIN)
    assert runs.finish() == []


def test_beyond_stock() -> None:
    units = [RewardUnit("e3", "d2", 30), RewardUnit("e1", "d1", 10), RewardUnit("e2", "d1", 20)]
    contested, beyond = beyond_stock(units, 2)
    assert [u.entry_id for u in contested] == ["e2", "e3"] and [u.entry_id for u in beyond] == ["e3"]
    assert beyond_stock(units, 3) == ([], [])
    contested, beyond = beyond_stock(units, 0)  # none was given: every unit is beyond it
    assert [u.entry_id for u in contested] == [u.entry_id for u in beyond] == ["e1", "e2", "e3"]


def test_docs_reports_md_prints_every_fraud_definition() -> None:
    page = (Path(__file__).parents[3] / "docs" / "reports.md").read_text(encoding="utf-8")
    for key, (english, persian) in DEFINITIONS.items():
        assert f"`{key}`" in page and english in page and persian in page, key


STREAM = st.lists(
    st.tuples(st.integers(0, 60), st.sampled_from(["earn", "redeem"]), st.integers(0, 1), st.integers(0, 1),
              st.booleans()),
    max_size=40,
)  # fmt: skip


@given(STREAM, st.integers(0, 30), st.sets(st.integers(0, 39)))
def test_soon_after_streamed_equals_a_direct_count(
    picks: list[tuple[int, str, int, int, bool]], from_min: int, forget_at: set[int]
) -> None:
    """Fed in time order, with old earns forgotten at random moments, the detector counts what a direct
    look at every earn before each redemption counts."""
    entries: list[Moment] = []
    for n, (minute, kind, who, till, own) in enumerate(sorted(picks, key=lambda p: p[0])):
        earlier = [
            e for e in entries if e.kind == "earn" and e.member_id == f"m{who}" and e.device_id == f"d{till}"
        ]
        own_id = (
            str(derived_id(earlier[-1].id, Companion.REDEEM))
            if own and kind == "redeem" and earlier
            else None
        )
        entries.append(
            moment(n, minute, kind, member=f"m{who}", device=f"d{till}", **({"id": own_id} if own_id else {}))
        )
    soon = SoonAfter(from_us=from_min * MIN)
    for i, e in enumerate(entries):
        if i in forget_at:
            soon.forget(e.at_us)
        soon.feed(e)
    expected: dict[tuple[str, str, str], int] = {}
    for i, e in enumerate(entries):
        if e.kind != "redeem" or e.at_us < from_min * MIN:
            continue
        hits = [
            x for x in entries[:i]
            if x.kind == "earn" and (x.member_id, x.device_id) == (e.member_id, e.device_id)
            and e.at_us - 10 * MIN <= x.at_us and str(derived_id(x.id, Companion.REDEEM)) != e.id
        ]  # fmt: skip
        if hits:
            expected[("b", e.device_id, "s")] = expected.get(("b", e.device_id, "s"), 0) + 1
    assert dict(soon.soon) == expected


def test_a_long_run_keeps_its_crossing_while_old_entries_are_forgotten() -> None:
    sales = [moment(n, 20 * n, "earn", points=100) for n in range(10)]  # every 20 minutes, 3 hours
    upgrade = Moment(
        str(derived_id(sales[1].id, Companion.TIER)), sales[1].at_us, "m", "d", "b", "s", "tier_change"
    )
    runs = SplitRuns()
    for sale in sales:
        runs.forget(sale.at_us)
        runs.feed(sale)
        if sale is sales[1]:
            runs.feed(upgrade, "silver")
    found = runs.finish()
    assert [(f.upgrade_id, len(f.sales), f.points) for f in found] == [(upgrade.id, 2, 200)]
