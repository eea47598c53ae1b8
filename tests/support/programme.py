# SPDX-License-Identifier: GPL-3.0-or-later
"""A programme for the test club (tests/support/club.py): its tiers and branches, with every part of a
rule set switched on in round numbers, and a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from app.domain.money import Rounding
from app.domain.programme import (
    Bonuses,
    BranchRules,
    Campaign,
    CashbackRule,
    MembershipPlan,
    Qualification,
    Reward,
    RewardKind,
    RuleSet,
    TierRule,
)
from app.domain.rules import EarningRule, RedemptionPolicy
from app.services.terminal import Terminal
from app.store import programme
from sync.rules import to_body

DAY_US = 86_400 * 1_000_000
# Thursday 3 December 2026, 12:00 in Tehran (08:30 UTC)
THURSDAY_NOON_US = int(datetime(2026, 12, 3, 8, 30, tzinfo=UTC).timestamp()) * 1_000_000


@dataclass
class MovableClock:
    at_us: int = THURSDAY_NOON_US

    def now_us(self) -> int:
        return self.at_us

    def advance(self, days: float = 0, us: int = 0) -> None:
        self.at_us += int(days * DAY_US) + us


def club_today() -> date:
    """Today in the test club's time zone (Tehran), which is tomorrow in UTC from 20:30 UTC: a campaign or a
    birthday "today" must be the club's day, or a test fails in that hour."""
    return club_rules().local_date(int(datetime.now(UTC).timestamp() * 1_000_000))


def club_rules(version: int = 1, **changes: object) -> RuleSet:
    """The test club's tiers and branches (B1: a point per 10,000 Toman; B2: double from 500,000 Toman)
    with 5 % cashback, Thursday double points at B2, bonuses, a year's expiry, two plans and rewards."""
    today = date(2026, 12, 3)
    rules = RuleSet(
        version=version,
        tiers=(
            TierRule("bronze", "برنزی", "Bronze", 0, 0, 100),
            TierRule("silver", "نقره‌ای", "Silver", 1, 1_000, 125, discount_percent=5),
            TierRule("gold", "طلایی", "Gold", 2, 5_000, 150, discount_percent=10, free_services=("valet",)),
        ),
        branches=(
            ("B1", BranchRules(EarningRule(), RedemptionPolicy())),
            (
                "B2",
                BranchRules(
                    EarningRule(2, 100_000, 5_000_000, 200, Rounding.FLOOR), RedemptionPolicy(1_000, 30)
                ),
            ),
        ),
        qualification=Qualification(window_days=365, grace_days=30),
        cashback=CashbackRule(percent_bp=500, from_next_day=True, max_share_percent=50),
        categories=("cosmetics", "food"),
        campaigns=(
            Campaign(
                "thursday",
                "پنجشنبه دوبرابر",
                "Double points on Thursdays at branch 2",
                starts=today - timedelta(days=60),
                ends=today + timedelta(days=60),
                branches=("B2",),
                weekdays=("thu",),
                multiplier_percent=200,
            ),
        ),
        bonuses=Bonuses(
            signup_points=50,
            birthday_points=200,
            birthday_window_days=7,
            referral_referrer_points=100,
            referral_referred_points=50,
            referral_max_per_year=2,
            survey_points=10,
            ambassador_max_points=500,
            ambassador_max_per_month=800,
        ),
        expiry_days=365,
        memberships=(
            # the seed's cards: silver 10,000,000 Toman, gold 20,000,000; each 100 points take 10 % off
            MembershipPlan("silver_card", "کارت نقره‌ای", "Silver card", 100_000_000, 365, "silver"),
            MembershipPlan("gold_card", "کارت طلایی", "Gold card", 200_000_000, 365, "gold"),
        ),
        rewards=(
            Reward("mug", "ماگ", "Mug", 300, RewardKind.GIFT, (("B1", 2), ("B2", 5))),
            Reward("valet", "پارک خودرو", "Valet", 100, RewardKind.SERVICE, (("B2", 3),)),
        ),
    )
    return replace(rules, **changes) if changes else rules  # type: ignore[arg-type]


def publish(terminal: Terminal, rules: RuleSet) -> RuleSet:
    """Keep the rule set at the terminal as if the server had published it."""
    with terminal.db.write() as conn:
        programme.put(conn, rules, to_body(rules), terminal.clock.now_us())
    return rules
