# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo club's programme (rule set version 1), in the seed material's own numbers where it has any:
bronze / silver / gold tiers, 2 % cashback spendable from the next day, double points on Thursdays at the
second branch, silver and gold membership cards of 10,000,000 and 20,000,000 Toman that points buy down
10 % per 100 points, signup / birthday / referral / survey bonuses, points that expire after a year, and
a small rewards catalogue. The demo terminal installs it as if the server had published it; the demo
server publishes the same one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.domain.money import RIALS_PER_TOMAN
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
from app.store import programme
from app.store.database import Database
from sync.rules import to_body

TOMAN = RIALS_PER_TOMAN
TIERS = (
    TierRule("bronze", "برنزی", "Bronze", 0, 0, 100),
    TierRule(
        "silver",
        "نقره‌ای",
        "Silver",
        1,
        500,
        125,
        discount_percent=5,
        free_services=("بسته‌بندی هدیه / Gift wrap",),
    ),
    TierRule(
        "gold",
        "طلایی",
        "Gold",
        2,
        2_000,
        150,
        discount_percent=10,
        free_services=("بسته‌بندی هدیه / Gift wrap", "ارسال رایگان / Free delivery"),
        cashback_bp=300,
    ),
)


def demo_rules(branch_codes: tuple[str, str], today: date, version: int = 1) -> RuleSet:
    """The demo programme for the club's two branches (the second one runs the Thursday campaign)."""
    first, second = branch_codes
    return RuleSet(
        version=version,
        tiers=TIERS,
        earning=EarningRule(1, 10_000 * TOMAN),
        redemption=RedemptionPolicy(100 * TOMAN, 50),
        branches=(
            (first, BranchRules(EarningRule(1, 10_000 * TOMAN), RedemptionPolicy(100 * TOMAN, 50))),
            (
                second,
                BranchRules(
                    EarningRule(2, 10_000 * TOMAN, 200_000 * TOMAN, 150), RedemptionPolicy(100 * TOMAN, 25)
                ),
            ),
        ),
        qualification=Qualification(window_days=365, grace_days=30),
        cashback=CashbackRule(percent_bp=200, from_next_day=True, max_share_percent=50),
        categories=("clothing", "cosmetics", "food"),
        campaigns=(
            Campaign(
                "thursday2x",
                "امتیاز دوبرابر پنجشنبه‌ها",
                "Double points on Thursdays",
                starts=today - timedelta(days=30),
                ends=today + timedelta(days=335),
                branches=(second,),
                weekdays=("thu",),
                multiplier_percent=200,
            ),
            Campaign(
                "cosmetics50",
                "۵۰ امتیاز هدیه لوازم آرایشی",
                "50 bonus points on cosmetics",
                starts=today - timedelta(days=7),
                ends=today + timedelta(days=23),
                categories=("cosmetics",),
                bonus_points=50,
            ),
        ),
        bonuses=Bonuses(
            signup_points=50,
            birthday_points=200,
            birthday_window_days=7,
            referral_referrer_points=100,
            referral_referred_points=50,
            survey_points=10,
        ),
        expiry_days=365,
        memberships=(
            MembershipPlan("silver_card", "کارت نقره‌ای", "Silver card", 10_000_000 * TOMAN, 365, "silver"),
            MembershipPlan("gold_card", "کارت طلایی", "Gold card", 20_000_000 * TOMAN, 365, "gold"),
        ),
        rewards=(
            Reward("mug", "ماگ باشگاه", "Club mug", 300, RewardKind.GIFT, ((first, 20), (second, 10))),
            Reward("delivery", "ارسال رایگان", "Free delivery", 150, RewardKind.SERVICE, ((first, 100),)),
            Reward("cinema", "بلیت سینما", "Cinema ticket", 500, RewardKind.GIFT, ((first, 5), (second, 5))),
        ),
    )


def install_demo_programme(db: Database, branch_codes: tuple[str, str], now_us: int) -> RuleSet:
    """Keep the demo programme as the terminal keeps what the server publishes."""
    today = datetime.fromtimestamp(now_us // 1_000_000, UTC).date()
    rules = demo_rules(branch_codes, today)
    with db.write() as conn:
        programme.put(conn, rules, to_body(rules), now_us)
    return rules
