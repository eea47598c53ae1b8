# SPDX-License-Identifier: GPL-3.0-or-later
"""The rule-set body codec (sync.rules): every valid rule set survives the trip through JSON unchanged,
the body mirrors the domain field for field, and every refusal names its place."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import ClubError
from app.domain.money import Rounding
from app.domain.programme import (
    WEEKDAYS,
    Bonuses,
    BranchRules,
    Campaign,
    CashbackRule,
    MembershipPlan,
    OfflineGrantPolicy,
    Qualification,
    QualifyingBasis,
    Reward,
    RewardKind,
    RuleSet,
    TierRule,
)
from app.domain.rules import EarningRule, RedemptionPolicy
from sync import rules as codec

# ---- a strategy of valid rule sets (the server's tests use it too) ----------------------------------

CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
codes = st.text(CODE_ALPHABET, min_size=1, max_size=12).filter(lambda c: c.replace("_", "").replace("-", ""))
names = st.text(max_size=20)  # Persian, emoji, anything
small = st.integers(0, 10_000)


def unique_codes(min_size: int = 0, max_size: int = 4) -> st.SearchStrategy[list[str]]:
    return st.lists(codes, min_size=min_size, max_size=max_size, unique=True)


earning_rules = st.builds(
    EarningRule,
    points_per_unit=st.integers(0, 100),
    rials_per_unit=st.integers(1, 10**7),
    min_sale_rials=st.integers(0, 10**7),
    max_points_per_sale=st.none() | st.integers(0, 10**6),
    rounding=st.sampled_from(Rounding),
)
redemption_policies = st.builds(
    RedemptionPolicy, rials_per_point=st.integers(1, 10**5), max_share_percent=st.integers(0, 100)
)


@st.composite
def tier_lists(draw: st.DrawFn) -> tuple[TierRule, ...]:
    tier_codes = draw(unique_codes(1, 4))
    ranks = sorted(
        draw(st.lists(st.integers(0, 50), min_size=len(tier_codes), max_size=len(tier_codes), unique=True))
    )
    steps = draw(st.lists(st.integers(1, 10**6), min_size=len(tier_codes), max_size=len(tier_codes)))
    tiers, threshold = [], 0
    for i, code in enumerate(tier_codes):
        if i:
            threshold += steps[i]
        tiers.append(
            TierRule(
                code=code,
                name_fa=draw(names),
                name_en=draw(names),
                rank=ranks[i],
                threshold=threshold,
                multiplier_percent=draw(st.integers(0, 1_000)),
                discount_percent=draw(st.integers(0, 100)),
                free_services=tuple(draw(st.lists(names, max_size=2))),
                cashback_bp=draw(st.none() | st.integers(0, 10_000)),
            )
        )
    return tuple(tiers)


@st.composite
def campaigns(draw: st.DrawFn, tiers: list[str], categories: list[str]) -> Campaign:
    starts = draw(st.dates(date(2020, 1, 1), date(2035, 1, 1)))
    return Campaign(
        code=draw(codes),
        name_fa=draw(names),
        name_en=draw(names),
        starts=starts,
        ends=starts + timedelta(days=draw(st.integers(0, 60))),
        branches=tuple(draw(unique_codes(max_size=2))),
        tiers=tuple(draw(st.lists(st.sampled_from(tiers), max_size=2, unique=True))),
        categories=tuple(
            draw(st.lists(st.sampled_from(categories), max_size=2, unique=True)) if categories else ()
        ),
        weekdays=tuple(draw(st.lists(st.sampled_from(WEEKDAYS), max_size=3, unique=True))),
        multiplier_percent=draw(st.integers(100, 1_000)),
        bonus_points=draw(st.integers(0, 1_000)),
    )


def _unique_by_code(items: list) -> tuple:
    seen: dict[str, object] = {}
    for item in items:
        seen.setdefault(item.code, item)
    return tuple(seen.values())


@st.composite
def rule_sets(draw: st.DrawFn, version: st.SearchStrategy[int] | None = None) -> RuleSet:
    tiers = draw(tier_lists())
    tier_codes = [t.code for t in tiers]
    categories = draw(unique_codes(max_size=4))
    branch_codes = draw(unique_codes(max_size=3))
    window = draw(st.integers(1, 800))
    return RuleSet(
        version=draw(version if version is not None else st.integers(0, 2**31)),
        tiers=tiers,
        earning=draw(earning_rules),
        redemption=draw(redemption_policies),
        branches=tuple(
            (code, BranchRules(draw(earning_rules), draw(redemption_policies))) for code in branch_codes
        ),
        qualification=Qualification(
            basis=draw(st.sampled_from(QualifyingBasis)), window_days=window, grace_days=draw(small)
        ),
        cashback=CashbackRule(
            percent_bp=draw(st.integers(0, 10_000)),
            max_per_sale_rials=draw(st.none() | st.integers(0, 10**9)),
            from_next_day=draw(st.booleans()),
            max_share_percent=draw(st.integers(0, 100)),
        ),
        campaigns=_unique_by_code(draw(st.lists(campaigns(tier_codes, categories), max_size=3))),
        bonuses=Bonuses(
            **{name: draw(small) for name in Bonuses.__slots__}
            | {"birthday_window_days": draw(st.integers(0, 182))}
        ),
        expiry_days=draw(st.none() | st.integers(1, 2_000)),
        memberships=_unique_by_code(
            draw(
                st.lists(
                    st.builds(
                        MembershipPlan,
                        code=codes,
                        name_fa=names,
                        name_en=names,
                        price_rials=st.integers(1, 10**10),
                        duration_days=st.integers(1, 1_000),
                        tier_code=st.none() | st.sampled_from(tier_codes),
                        benefits=st.lists(names, max_size=2).map(tuple),
                        points_step=st.integers(1, 1_000),
                        percent_per_step=st.integers(0, 100),
                        max_discount_percent=st.integers(0, 100),
                    ),
                    max_size=2,
                )
            )
        ),
        rewards=_unique_by_code(
            draw(
                st.lists(
                    st.builds(
                        Reward,
                        code=codes,
                        name_fa=names,
                        name_en=names,
                        points=st.integers(1, 10**6),
                        kind=st.sampled_from(RewardKind),
                        stock=st.dictionaries(codes, st.integers(0, 1_000), max_size=3).map(
                            lambda d: tuple(d.items())
                        ),
                    ),
                    max_size=2,
                )
            )
        ),
        offline_grant=OfflineGrantPolicy(
            share_percent=draw(st.integers(0, 100)),
            max_points=draw(st.integers(0, 10**6)),
            hours=draw(st.integers(1, 720)),
        ),
        categories=tuple(categories),
        utc_offset_minutes=draw(st.integers(-840, 840)),
    )


# ---- the round trip --------------------------------------------------------------------------------


@given(rule_sets())
def test_every_valid_rule_set_survives_json(rules: RuleSet) -> None:
    body = codec.to_body(rules)
    wire = json.loads(json.dumps(body, ensure_ascii=False))
    assert wire == body  # JSON-able as it is: no tuples, dates or enums left
    assert codec.from_body(wire) == rules


SIMPLE = RuleSet(
    version=1,
    tiers=(TierRule("bronze", "برنز", "Bronze", 0), TierRule("gold", "طلایی", "Gold", 1, threshold=1_000)),
    branches=(("B1", BranchRules(EarningRule(2), RedemptionPolicy())),),
    campaigns=(Campaign("nowruz", "نوروز", "Nowruz", date(2026, 3, 20), date(2026, 4, 2)),),
    rewards=(Reward("mug", "ماگ", "Mug", 100, stock=(("B1", 3),)),),
)


def test_the_body_writes_json_shapes() -> None:
    body = codec.to_body(SIMPLE)
    assert body["version"] == 1
    assert body["branches"] == {
        "B1": {
            "earning": {
                "points_per_unit": 2,
                "rials_per_unit": 100_000,
                "min_sale_rials": 0,
                "max_points_per_sale": None,
                "rounding": "floor",
            },
            "redemption": {"rials_per_point": 1_000, "max_share_percent": 50},
        }
    }
    assert body["campaigns"][0]["starts"] == "2026-03-20"
    assert body["rewards"][0]["stock"] == {"B1": 3}
    assert body["qualification"]["basis"] == "points"


def test_a_minimal_body_takes_the_domain_defaults() -> None:
    body = {"version": 0, "tiers": [{"code": "t", "name_fa": "ت", "name_en": "T", "rank": 0}]}
    assert codec.from_body(body) == RuleSet(version=0, tiers=(TierRule("t", "ت", "T", 0),))


def _defaults(cls: type) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
        else:
            out[f.name] = dataclasses.MISSING
    return out


@pytest.mark.parametrize(
    ("model", "cls"),
    [
        (codec.RuleSetBody, RuleSet),
        (codec.TierBody, TierRule),
        (codec.EarningBody, EarningRule),
        (codec.RedemptionBody, RedemptionPolicy),
        (codec.BranchBody, BranchRules),
        (codec.QualificationBody, Qualification),
        (codec.CashbackBody, CashbackRule),
        (codec.CampaignBody, Campaign),
        (codec.BonusesBody, Bonuses),
        (codec.MembershipBody, MembershipPlan),
        (codec.RewardBody, Reward),
        (codec.OfflineGrantBody, OfflineGrantPolicy),
    ],
)
def test_the_body_mirrors_the_domain(model: type, cls: type) -> None:
    """Same fields, same order, same defaults: a field added to the domain fails here until the codec
    has it."""
    domain = _defaults(cls)
    assert list(model.model_fields) == list(domain)
    for name, info in model.model_fields.items():
        if domain[name] is dataclasses.MISSING:
            assert info.is_required(), name
            continue
        default = info.get_default(call_default_factory=True)
        if isinstance(default, codec.BaseModel):
            mirrored = codec.from_body(
                {"version": 0, "tiers": [{"code": "t", "name_fa": "", "name_en": "", "rank": 0}], name: {}}
            )
            assert getattr(mirrored, name) == domain[name], name
        elif isinstance(default, list | dict):
            assert tuple(default) == tuple(domain[name]), name
        else:
            assert default == domain[name], name


# ---- refusals --------------------------------------------------------------------------------------


def _refusal(body: object) -> dict[str, object]:
    with pytest.raises(ClubError) as caught:
        codec.from_body(body)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_rules"
    return caught.value.params


def _with(**changes: object) -> dict[str, object]:
    return codec.to_body(SIMPLE) | changes


@pytest.mark.parametrize(
    ("body", "path", "reason"),
    [
        (_with(version=1.0), "version", "int_type"),
        (_with(version="1"), "version", "int_type"),
        (_with(expiry_days=True), "expiry_days", "int_type"),
        (_with(colour="red"), "colour", "extra_forbidden"),
        ({"version": 1}, "tiers", "missing"),
        ([], "", "model_type"),
        (_with(tiers=[]), "tiers", "empty"),
        (
            _with(
                tiers=[
                    *codec.to_body(SIMPLE)["tiers"][:1],
                    {**codec.to_body(SIMPLE)["tiers"][1], "threshold": 0},
                ]
            ),
            "tiers.1.threshold",
            "not_above_previous_tier",
        ),
        (
            _with(tiers=[{**codec.to_body(SIMPLE)["tiers"][0], "rank": 2.5}]),
            "tiers.0.rank",
            "int_type",
        ),
        (_with(tiers=[{**codec.to_body(SIMPLE)["tiers"][0], "code": 7}]), "tiers.0.code", "string_type"),
        (
            _with(branches={"B1": {"earning": {"rials_per_unit": 0}}}),
            "branches.B1.earning.rials_per_unit",
            "greater_than_equal",
        ),
        (_with(branches={"B1": {"earning": {"rounding": "up"}}}), "branches.B1.earning.rounding", "enum"),
        (
            _with(campaigns=[{**codec.to_body(SIMPLE)["campaigns"][0], "starts": "2026-02-30"}]),
            "campaigns.0.starts",
            "date_type",
        ),
        (
            _with(campaigns=[{**codec.to_body(SIMPLE)["campaigns"][0], "starts": 20260320}]),
            "campaigns.0.starts",
            "date_type",
        ),
        (
            _with(campaigns=[{**codec.to_body(SIMPLE)["campaigns"][0], "ends": "2026-03-01"}]),
            "campaigns.0.ends",
            "before_start",
        ),
        (
            _with(rewards=[{**codec.to_body(SIMPLE)["rewards"][0], "stock": {"B1": -1}}]),
            "rewards.0.stock",
            "negative",
        ),
        (_with(offline_grant={"hours": 0}), "offline_grant", "out_of_range"),
    ],
)
def test_refusals_name_their_place(body: object, path: str, reason: str) -> None:
    params = _refusal(body)
    assert (params["path"], params["reason"]) == (path, reason)


def test_a_datetime_is_not_a_date() -> None:
    campaign = codec.to_body(SIMPLE)["campaigns"][0] | {"starts": datetime(2026, 3, 20)}
    assert _refusal(_with(campaigns=[campaign]))["path"] == "campaigns.0.starts"


def test_a_date_object_is_taken_as_yaml_reads_it() -> None:
    campaign = codec.to_body(SIMPLE)["campaigns"][0] | {"starts": date(2026, 3, 20)}
    assert codec.from_body(_with(campaigns=[campaign])) == SIMPLE
