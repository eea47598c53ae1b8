# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared builders for the programme's tests: a club rule set in the seed's numbers, ledger entries made
by keyword, local times in the club's calendar, and hypothesis strategies for valid rule sets, sales and
point histories.

    from tests.unit.domain.programme_strategies import rule_sets, sales, rule_sets_with_sales

`rule_sets()` draws only rule sets that `RuleSet` accepts (it never relies on a refusal to filter);
`sales(rules)` draws sales valid under one rule set (a tier and a category it has, a discount no larger
than the amount); `rule_sets_with_sales()` draws both; `point_histories()` draws a member's entries that
move points; `entry(...)` builds one ledger entry by keyword.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import replace
from datetime import date, datetime, timedelta

from hypothesis import strategies as st

from app.domain.ledger import GENESIS_HASH, EntryKind, LedgerEntry
from app.domain.money import MAX_RIALS, Rounding
from app.domain.pricing import SaleContext
from app.domain.programme import (
    US_PER_DAY,
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

DAY = US_PER_DAY
HOUR = 3_600 * 1_000_000
TEHRAN = 210  # minutes east of UTC
RIALS_PER_TOMAN = 10

# ---- the seed's club ---------------------------------------------------------------------------------

BRONZE = TierRule("bronze", "برنزی", "Bronze", 0)
SILVER = TierRule("silver", "نقره‌ای", "Silver", 1, threshold=1_000, multiplier_percent=125)
GOLD = TierRule("gold", "طلایی", "Gold", 2, threshold=5_000, multiplier_percent=150, cashback_bp=1_000)
SILVER_CARD = MembershipPlan(
    "silver_card",
    "کارت نقره‌ای",
    "Silver card",
    price_rials=10_000_000 * RIALS_PER_TOMAN,  # 10,000,000 Toman
    duration_days=365,
    tier_code="silver",
)


def club_rules(**changes: object) -> RuleSet:
    """The seed's programme: bronze / silver (1,000 points) / gold (5,000), one point per 10,000 Toman,
    5 % cashback, a silver card of 10,000,000 Toman; keyword arguments replace any field."""
    base = {
        "version": 1,
        "tiers": (BRONZE, SILVER, GOLD),
        "cashback": CashbackRule(percent_bp=500),
        "memberships": (SILVER_CARD,),
        "categories": ("food", "drink"),
        "utc_offset_minutes": TEHRAN,
    }
    return RuleSet(**(base | changes))  # type: ignore[arg-type]


def local_us(day: date, hour: int = 0, minute: int = 0, offset_minutes: int = TEHRAN) -> int:
    """The UTC microsecond of a local wall-clock time in a club `offset_minutes` east of UTC."""
    wall = datetime(day.year, day.month, day.day, hour, minute) - timedelta(minutes=offset_minutes)
    return int((wall - datetime(1970, 1, 1)).total_seconds()) * 1_000_000


# ---- ledger entries ----------------------------------------------------------------------------------

_ids = itertools.count()


def entry(
    kind: EntryKind = EntryKind.EARN,
    *,
    at: int = 0,
    points: int = 0,
    cash: int = 0,
    sale: int = 0,
    discount: int = 0,
    ref: str | None = None,
    reverses: str | None = None,
    id: str | None = None,
    member: str = "m1",
    branch: str = "b1",
    rules_version: int | None = None,
) -> LedgerEntry:
    """A ledger entry by keyword; the chain fields are placeholders (these tests never check a chain)."""
    return LedgerEntry(
        id=id if id is not None else f"e{next(_ids):06d}",
        device_id="d1",
        device_seq=1,
        created_at_us=at,
        branch_id=branch,
        member_id=member,
        kind=kind,
        staff_id=None,
        points_delta=points,
        cash_delta=cash,
        sale_amount=sale,
        discount_rials=discount,
        invoice_ref=ref,
        reason=None,
        reverses=reverses,
        prev_hash=GENESIS_HASH,
        hash="",
        rules_version=rules_version,
    )


# ---- hypothesis strategies ---------------------------------------------------------------------------

TIER_CODES = ("bronze", "silver", "gold", "platinum")
BRANCH_CODES = ("b1", "b2", "b3")
CATEGORY_CODES = ("food", "drink", "gift")
FIRST_DAY = date(2026, 1, 1)
LAST_DAY = date(2028, 12, 31)

earning_rules = st.builds(
    EarningRule,
    points_per_unit=st.integers(0, 10),
    rials_per_unit=st.integers(1_000, 10_000_000),
    min_sale_rials=st.integers(0, 5_000_000),
    max_points_per_sale=st.none() | st.integers(0, 100_000),
    rounding=st.sampled_from(Rounding),
)
redemption_policies = st.builds(
    RedemptionPolicy, rials_per_point=st.integers(1, 10_000), max_share_percent=st.integers(0, 100)
)


# strategies are built once and reused: building one inside a draw costs more than drawing from it
@functools.cache
def _subset(values: tuple[str, ...]) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(values), unique=True).map(tuple) if values else st.just(())


@functools.cache
def _one_of(values: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(values)


_multipliers = st.integers(0, 1_000)
_percents = st.integers(0, 100)
_basis_points = st.none() | st.integers(0, 10_000)
_rank_steps = st.integers(1, 3)
_tier_counts = {n: st.integers(1, n) for n in range(1, len(TIER_CODES) + 1)}
_threshold_steps = st.integers(1, 10_000_000)


@st.composite
def tier_ladders(draw: st.DrawFn, max_tiers: int = 4) -> tuple[TierRule, ...]:
    """1 to `max_tiers` tiers: rising ranks (gaps allowed) and strictly rising thresholds from 0."""
    n = draw(_tier_counts[max_tiers])
    ranks = list(itertools.accumulate([0] + [draw(_rank_steps) for _ in range(n - 1)]))
    thresholds = list(itertools.accumulate([0] + [draw(_threshold_steps) for _ in range(n - 1)]))
    return tuple(
        TierRule(
            code,
            f"{code}-fa",
            code.title(),
            rank,
            threshold=threshold,
            multiplier_percent=draw(_multipliers),
            discount_percent=draw(_percents),
            cashback_bp=draw(_basis_points),
        )
        for code, rank, threshold in zip(TIER_CODES, ranks, thresholds, strict=False)
    )


_days = st.dates(FIRST_DAY, LAST_DAY)
_lengths = st.integers(0, 400)
_campaign_multipliers = st.integers(100, 1_000)
_bonus_points = st.integers(0, 500)


@st.composite
def campaigns(draw: st.DrawFn, tiers: tuple[str, ...], categories: tuple[str, ...]) -> Campaign:
    starts = draw(_days)
    ends = starts + timedelta(days=draw(_lengths))
    return Campaign(
        code="c",  # made unique by rule_sets()
        name_fa="کمپین",
        name_en="Campaign",
        starts=starts,
        ends=ends,
        branches=draw(_subset(BRANCH_CODES)),
        tiers=draw(_subset(tiers)),
        categories=draw(_subset(categories)),
        weekdays=draw(_subset(WEEKDAYS)),
        multiplier_percent=draw(_campaign_multipliers),
        bonus_points=draw(_bonus_points),
        holdout_percent=draw(st.sampled_from((0, 0, 10, 50))),
    )


bonuses = st.builds(
    Bonuses,
    signup_points=st.integers(0, 1_000),
    birthday_points=st.integers(0, 1_000),
    birthday_window_days=st.integers(0, 182),
    referral_referrer_points=st.integers(0, 1_000),
    referral_referred_points=st.integers(0, 1_000),
    referral_max_per_year=st.integers(0, 20),
    survey_points=st.integers(0, 100),
    survey_max_per_day=st.integers(0, 5),
    ambassador_max_points=st.integers(0, 5_000),
    ambassador_max_per_month=st.integers(0, 20_000),
)


_prices = st.integers(1, 10**10)
_durations = st.integers(1, 730)
_steps = st.integers(1, 1_000)


@st.composite
def plans(draw: st.DrawFn, tiers: tuple[str, ...]) -> MembershipPlan:
    return MembershipPlan(
        code="p",  # made unique by rule_sets()
        name_fa="کارت",
        name_en="Card",
        price_rials=draw(_prices),
        duration_days=draw(_durations),
        tier_code=draw(st.none() | _one_of(tiers)),
        points_step=draw(_steps),
        percent_per_step=draw(_percents),
        max_discount_percent=draw(_percents),
    )


_reward_points = st.integers(1, 10_000)
_reward_kinds = st.sampled_from(RewardKind)
_units = st.integers(0, 50)


@st.composite
def rewards(draw: st.DrawFn) -> Reward:
    branches = draw(_subset(BRANCH_CODES))
    return Reward(
        code="r",  # made unique by rule_sets()
        name_fa="هدیه",
        name_en="Gift",
        points=draw(_reward_points),
        kind=draw(_reward_kinds),
        stock=tuple((b, draw(_units)) for b in branches),
    )


_versions = st.integers(0, 10_000)
_bases = st.sampled_from(QualifyingBasis)
_windows = st.integers(1, 730)
_graces = st.integers(0, 120)
_cashback_rates = st.integers(0, 10_000)
_cashback_caps = st.none() | st.integers(0, 100_000_000)
_expiries = st.none() | st.integers(1, 730)
_grant_points = st.integers(0, 10_000)
_grant_hours = st.integers(1, 720)
_offsets = st.integers(-14 * 60, 14 * 60)


@st.composite
def rule_sets(draw: st.DrawFn, max_tiers: int = 4, max_campaigns: int = 3) -> RuleSet:
    """A valid rule set: every part drawn within the bounds `RuleSet` checks."""
    tiers = draw(tier_ladders(max_tiers))
    tier_codes = tuple(t.code for t in tiers)
    categories = draw(_subset(CATEGORY_CODES))
    branch_codes = draw(_subset(BRANCH_CODES))
    drawn_campaigns = draw(st.lists(campaigns(tier_codes, categories), max_size=max_campaigns))
    drawn_plans = draw(st.lists(plans(tier_codes), max_size=2))
    drawn_rewards = draw(st.lists(rewards(), max_size=3))
    return RuleSet(
        version=draw(_versions),
        tiers=tiers,
        earning=draw(earning_rules),
        redemption=draw(redemption_policies),
        branches=tuple(
            (code, BranchRules(draw(earning_rules), draw(redemption_policies))) for code in branch_codes
        ),
        qualification=Qualification(
            basis=draw(_bases),
            window_days=draw(_windows),
            grace_days=draw(_graces),
        ),
        cashback=CashbackRule(
            percent_bp=draw(_cashback_rates),
            max_per_sale_rials=draw(_cashback_caps),
            from_next_day=draw(st.booleans()),
            max_share_percent=draw(_percents),
        ),
        campaigns=tuple(replace(c, code=f"c{i}") for i, c in enumerate(drawn_campaigns)),
        bonuses=draw(bonuses),
        expiry_days=draw(_expiries),
        memberships=tuple(replace(p, code=f"p{i}") for i, p in enumerate(drawn_plans)),
        rewards=tuple(replace(r, code=f"r{i}") for i, r in enumerate(drawn_rewards)),
        offline_grant=OfflineGrantPolicy(
            share_percent=draw(_percents),
            max_points=draw(_grant_points),
            hours=draw(_grant_hours),
        ),
        categories=categories,
        utc_offset_minutes=draw(_offsets),
    )


def instants(first: date = FIRST_DAY, last: date = LAST_DAY) -> st.SearchStrategy[int]:
    """UTC microseconds within [first, last] (UTC days), at any microsecond."""
    return st.integers(local_us(first, offset_minutes=0), local_us(last, offset_minutes=0) + DAY - 1)


_instants = instants()
_SEED = club_rules()
_branches = st.sampled_from(BRANCH_CODES)
_shares = st.integers(0, 1_000)


@st.composite
def sales(draw: st.DrawFn, rules: RuleSet | None = None, max_rials: int = MAX_RIALS) -> SaleContext:
    """A sale valid under `rules` (default: the seed's `club_rules()`): one of its tiers, a category it
    has (or none), a discount no larger than the amount, at any moment of 2026–2028."""
    rules = rules if rules is not None else _SEED
    amount = draw(st.integers(0, max_rials))
    category = st.none() | _one_of(rules.categories) if rules.categories else st.none()
    return SaleContext(
        branch_code=draw(_branches),
        tier_code=draw(_one_of(tuple(t.code for t in rules.tiers))),
        amount_rials=amount,
        discount_rials=amount * draw(_shares) // 1_000,
        at_us=draw(_instants),
        category=draw(category),
    )


@st.composite
def rule_sets_with_sales(draw: st.DrawFn, max_rials: int = MAX_RIALS) -> tuple[RuleSet, SaleContext]:
    rules = draw(rule_sets())
    return rules, draw(sales(rules, max_rials))


POINT_KINDS = (
    EntryKind.EARN,
    EntryKind.REDEEM,
    EntryKind.BONUS,
    EntryKind.ADJUST,
    EntryKind.EXPIRE,
    EntryKind.REWARD,
    EntryKind.REVERSAL,
    EntryKind.CHECK_IN,
)
_point_kinds = st.sampled_from(POINT_KINDS)
_magnitudes = st.integers(1, 1_000)
_signs = st.sampled_from([-1, 1])
_hours = st.sampled_from([0, HOUR, 12 * HOUR])
_GAINS = {EntryKind.EARN, EntryKind.BONUS}
_LOSSES = {EntryKind.REDEEM, EntryKind.EXPIRE, EntryKind.REWARD}


@st.composite
def point_histories(
    draw: st.DrawFn, max_size: int = 30, days: int = 400, member: str = "m1"
) -> list[LedgerEntry]:
    """A member's entries that move points: earnings and bonuses add, spending, rewards and expiry take,
    adjustments and reversals go either way; times may repeat (ties are broken by id). Balances may go
    below zero (an override) — filter on the balance where a property needs it."""
    size = draw(st.integers(0, max_size))
    moments = st.integers(0, days)
    out: list[LedgerEntry] = []
    for i in range(size):
        kind = draw(_point_kinds)
        magnitude = draw(_magnitudes)
        if kind in _GAINS:
            points = magnitude
        elif kind in _LOSSES:
            points = -magnitude
        elif kind is EntryKind.CHECK_IN:
            points = 0
        else:
            points = draw(_signs) * magnitude
        at = draw(moments) * DAY + draw(_hours)
        sale = magnitude * 10_000 if kind is EntryKind.EARN else 0
        out.append(entry(kind, at=at, points=points, sale=sale, id=f"h{i:04d}", member=member))
    return out
