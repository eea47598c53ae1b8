# SPDX-License-Identifier: GPL-3.0-or-later
"""What a sale earns under a rule set: the branch's earning, the tier's multiplier, the campaigns of the
moment and the cashback the wallet gets. The terminal prices a sale with this; the server quotes with it.

Campaigns: the best multiplier among those that apply (they do not stack, so a club's cost of a campaign
week stays what its admin expects) multiplies what the branch and tier give, the per-sale cap included;
every applicable fixed bonus is added. A member a campaign holds out (programme.in_holdout) is priced as
if it did not run: neither its multiplier nor its bonus, and it is not among the sale's campaigns.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.errors import ClubError
from app.domain.money import require_rials
from app.domain.programme import WEEKDAYS, Campaign, RuleSet, in_holdout


@dataclass(frozen=True, slots=True)
class SaleContext:
    """A sale as the rules see it."""

    branch_code: str
    tier_code: str
    amount_rials: int  # what the sale was priced at
    discount_rials: int  # what points and the wallet paid; points are earned on the rest
    at_us: int
    category: str | None = None
    member_id: str | None = None  # the member buying: a campaign's holdout leaves some out (None: nobody)


@dataclass(frozen=True, slots=True)
class Pricing:
    rules_version: int
    points: int  # earned by the sale, campaigns included
    base_points: int  # what the branch and tier alone give
    campaigns: tuple[str, ...]  # the codes that applied
    cashback_rials: int  # credited to the wallet


def applicable_campaigns(rules: RuleSet, sale: SaleContext) -> list[Campaign]:
    day = rules.local_date(sale.at_us)
    weekday = WEEKDAYS[day.weekday()]
    return [
        c
        for c in rules.campaigns
        if c.starts <= day <= c.ends
        and (not c.branches or sale.branch_code in c.branches)
        and (not c.tiers or sale.tier_code in c.tiers)
        and (not c.categories or sale.category in c.categories)
        and (not c.weekdays or weekday in c.weekdays)
        and not (sale.member_id is not None and in_holdout(c.code, sale.member_id, c.holdout_percent))
    ]


def price_sale(rules: RuleSet, sale: SaleContext) -> Pricing:
    require_rials(sale.amount_rials, "amount")
    require_rials(sale.discount_rials, "discount")
    if sale.discount_rials > sale.amount_rials:
        raise ClubError("discount_over_amount", discount=sale.discount_rials, amount=sale.amount_rials)
    if sale.category is not None and sale.category not in rules.categories:
        raise ClubError("unknown_category", category=sale.category)
    tier = rules.tier(sale.tier_code)
    earning = rules.branch_rules(sale.branch_code).earning
    paid = sale.amount_rials - sale.discount_rials
    base = earning.points_for(paid, tier.multiplier_percent)
    campaigns = applicable_campaigns(rules, sale)
    boost = max((c.multiplier_percent for c in campaigns), default=100)
    # the campaign multiplies what the sale earns, the branch's per-sale cap included: "double points"
    # means twice what the member would have had (floored, like every rule's default)
    points = base * boost // 100
    if paid >= earning.min_sale_rials and paid > 0:
        points += sum(c.bonus_points for c in campaigns)
    return Pricing(
        rules_version=rules.version,
        points=points,
        base_points=base,
        campaigns=tuple(c.code for c in campaigns),
        cashback_rials=cashback_for(rules, sale.tier_code, paid),
    )


def cashback_for(rules: RuleSet, tier_code: str, paid_rials: int) -> int:
    """The wallet credit on a payment: a floor of the tier's (or the club's) rate, within the cap."""
    credit = paid_rials * rules.cashback_bp(tier_code) // 10_000
    cap = rules.cashback.max_per_sale_rials
    return credit if cap is None else min(credit, cap)


def max_wallet_spend(rules: RuleSet, amount_rials: int, available_rials: int) -> int:
    """The most of a sale the wallet may pay: its share cap, and what is spendable now."""
    return max(0, min(available_rials, amount_rials * rules.cashback.max_share_percent // 100))
