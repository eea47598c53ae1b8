# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's programme as data: one versioned rule set that prices every entry, everywhere.

An admin edits it on the server (sync.rules reads and writes the YAML / JSON file, sync.server.rules
keeps every version); terminals receive every version by pull and each ledger entry names the version
that priced it (`rules_version`), so a terminal and the server given the same entry and the same version
compute the same numbers. This module holds only the data and its invariants; the arithmetic is in
pricing, tiering, expiry, membership, bonus and rewards.

Local time: weekdays, dates of campaigns and birthdays are the club's local calendar, a fixed offset
from UTC (Iran has kept +03:30 all year since 2022); a fixed offset keeps this module free of tz data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum

from app.domain.errors import ClubError
from app.domain.rules import EarningRule, RedemptionPolicy

US_PER_DAY = 86_400 * 1_000_000
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order

# Sizes no real club reaches (the seed's club has 3 tiers, 2 branches, a few campaigns and plans). Every
# version is published to every terminal and kept there for ever, so a rule set of a hundred thousand
# entries would cost each of them for good: it is refused whole, as any other invalid rule set.
MAX_TIERS = 50
MAX_BRANCHES = 500  # branch scenarios; also a campaign's branches and a reward's stock entries
MAX_CAMPAIGNS = 500
MAX_MEMBERSHIPS = 50
MAX_REWARDS = 500
MAX_CATEGORIES = 500
MAX_ITEMS = 50  # a tier's free services, a plan's benefits
MAX_TEXT = 120  # a name, a free service, a benefit: as long as the tier table's names
MAX_CODE = 32  # a code (tier, campaign, plan, reward, category, branch)


def invalid(path: str, reason: str, **params: object) -> ClubError:
    """A refused rule set: where (a dotted path into the file) and why."""
    return ClubError("invalid_rules", path=path, reason=reason, **params)


class QualifyingBasis(StrEnum):
    POINTS = "points"  # points earned on sales within the window
    SPEND = "spend"  # rials paid within the window


@dataclass(frozen=True, slots=True)
class TierRule:
    code: str
    name_fa: str
    name_en: str
    rank: int  # 0 is the entry tier
    threshold: int = 0  # points or rials within the window, by the qualification's basis
    multiplier_percent: int = 100
    discount_percent: int = 0  # shown to the cashier: the till applies it
    free_services: tuple[str, ...] = ()
    cashback_bp: int | None = None  # basis points of the paid amount; None: the club's default


@dataclass(frozen=True, slots=True)
class Qualification:
    """Tiers are earned within a rolling window; a tier is kept at least one window after it was reached
    and then lost only after the grace period has also passed with the member still below it."""

    basis: QualifyingBasis = QualifyingBasis.POINTS
    window_days: int = 365
    grace_days: int = 30


@dataclass(frozen=True, slots=True)
class CashbackRule:
    percent_bp: int = 0  # of the paid amount, in basis points (500 = 5 %)
    max_per_sale_rials: int | None = None
    from_next_day: bool = False  # credited today, spendable from the next local day
    max_share_percent: int = 100  # of a sale the wallet may pay


@dataclass(frozen=True, slots=True)
class BranchRules:
    earning: EarningRule
    redemption: RedemptionPolicy


@dataclass(frozen=True, slots=True)
class Campaign:
    """A time-boxed offer: the best multiplier among those that apply, plus every fixed bonus."""

    code: str
    name_fa: str
    name_en: str
    starts: date  # local dates, both inclusive
    ends: date
    branches: tuple[str, ...] = ()  # branch codes; empty: every branch
    tiers: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    weekdays: tuple[str, ...] = ()  # WEEKDAYS
    multiplier_percent: int = 100
    bonus_points: int = 0
    # members left out at random to measure the campaign's effect (in_holdout): they earn as if it did
    # not run, and its report compares them with the rest
    holdout_percent: int = 0


MAX_HOLDOUT_PERCENT = 50  # beyond half, the campaign is mostly not running: a holdout is a minority


def in_holdout(campaign_code: str, member_id: str, percent: int) -> bool:
    """Whether the campaign leaves the member out. The same answer on every terminal and on the server,
    offline and for ever (a hash of the two codes, nothing random at run time): a member is held out of a
    campaign for its whole run, and a sale priced by a terminal is priced alike by the server."""
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"{campaign_code}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < percent * 100


@dataclass(frozen=True, slots=True)
class Bonuses:
    signup_points: int = 0
    birthday_points: int = 0
    birthday_window_days: int = 7  # either side of the birthday
    referral_referrer_points: int = 0
    referral_referred_points: int = 0
    referral_max_per_year: int = 10  # per referrer
    survey_points: int = 0
    survey_max_per_day: int = 1  # per member
    ambassador_max_points: int = 1_000  # per grant
    ambassador_max_per_month: int = 5_000  # per member, 30 days


@dataclass(frozen=True, slots=True)
class MembershipPlan:
    """A paid membership card: a price, a term, the tier it holds the member in, and how points buy it
    down (the seed: each 100 points take 10 % off)."""

    code: str
    name_fa: str
    name_en: str
    price_rials: int
    duration_days: int
    tier_code: str | None = None
    benefits: tuple[str, ...] = ()
    points_step: int = 100
    percent_per_step: int = 10
    max_discount_percent: int = 50


class RewardKind(StrEnum):
    GIFT = "gift"
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class Reward:
    code: str
    name_fa: str
    name_en: str
    points: int
    kind: RewardKind = RewardKind.GIFT
    stock: tuple[tuple[str, int], ...] = ()  # (branch code, units given to it so far)

    def stock_at(self, branch_code: str) -> int | None:
        """Units given to the branch; None: not offered there."""
        return dict(self.stock).get(branch_code)


@dataclass(frozen=True, slots=True)
class OfflineGrantPolicy:
    share_percent: int = 30  # of the member's balance a terminal may spend offline
    max_points: int = 5_000
    hours: int = 72


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: int
    tiers: tuple[TierRule, ...]
    earning: EarningRule = field(default_factory=EarningRule)
    redemption: RedemptionPolicy = field(default_factory=RedemptionPolicy)
    branches: tuple[tuple[str, BranchRules], ...] = ()  # by branch code; others use the defaults
    qualification: Qualification = field(default_factory=Qualification)
    cashback: CashbackRule = field(default_factory=CashbackRule)
    campaigns: tuple[Campaign, ...] = ()
    bonuses: Bonuses = field(default_factory=Bonuses)
    expiry_days: int | None = None  # points expire this long after they were earned; None: never
    memberships: tuple[MembershipPlan, ...] = ()
    rewards: tuple[Reward, ...] = ()
    offline_grant: OfflineGrantPolicy = field(default_factory=OfflineGrantPolicy)
    categories: tuple[str, ...] = ()  # product categories a sale may name
    utc_offset_minutes: int = 210  # the club's local time (Tehran)

    def __post_init__(self) -> None:
        _check(self)

    # ---- lookups ---------------------------------------------------------------------------------

    def tier(self, code: str) -> TierRule:
        for tier in self.tiers:
            if tier.code == code:
                return tier
        raise ClubError("unknown_tier", tier=code)

    def entry_tier(self) -> TierRule:
        return self.tiers[0]

    def branch_rules(self, branch_code: str) -> BranchRules:
        return dict(self.branches).get(branch_code) or BranchRules(self.earning, self.redemption)

    def plan(self, code: str) -> MembershipPlan:
        for plan in self.memberships:
            if plan.code == code:
                return plan
        raise ClubError("unknown_plan", plan=code)

    def reward(self, code: str) -> Reward:
        for reward in self.rewards:
            if reward.code == code:
                return reward
        raise ClubError("unknown_reward", reward=code)

    def cashback_bp(self, tier_code: str) -> int:
        tier = self.tier(tier_code)
        return self.cashback.percent_bp if tier.cashback_bp is None else tier.cashback_bp

    # ---- the club's calendar ---------------------------------------------------------------------

    def local(self, at_us: int) -> datetime:
        zone = timezone(timedelta(minutes=self.utc_offset_minutes))
        return datetime.fromtimestamp(at_us / 1_000_000, tz=zone)

    def local_date(self, at_us: int) -> date:
        return self.local(at_us).date()

    def day_start_us(self, day: date) -> int:
        """The UTC microsecond at which the local day begins."""
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return int(midnight.timestamp()) * 1_000_000 - self.utc_offset_minutes * 60_000_000


def version_zero(
    tiers: Iterable[tuple[str, str, str, int, int, int]], branches: Iterable[tuple[str, BranchRules]]
) -> RuleSet:
    """The programme of a club that never published a rule set: its tier table (code, names, rank,
    threshold, multiplier; by rank) and its branches' scenarios. Built alike on terminal and server."""
    rules: list[TierRule] = []
    for code, name_fa, name_en, rank, table_threshold, multiplier in tiers:
        # a rule set's thresholds start at 0 and rise; old tables were not held to that
        least = rules[-1].threshold + 1 if rules else 0
        threshold = max(table_threshold, least) if rules else 0
        rules.append(TierRule(code, name_fa, name_en, rank, threshold, multiplier))
    entry = (TierRule("member", "عضو", "Member", 0),)
    return RuleSet(version=0, tiers=tuple(rules) or entry, branches=tuple(branches))


def _check(rules: RuleSet) -> None:
    """Invariants a file cannot express by types alone; each refusal names its place in the file."""
    _sizes(rules)
    if rules.version < 0:
        raise invalid("version", "negative")
    if not rules.tiers:
        raise invalid("tiers", "empty")
    _unique("tiers", [t.code for t in rules.tiers])
    ranks = [t.rank for t in rules.tiers]
    if ranks != sorted(set(ranks)):
        raise invalid("tiers", "ranks_not_increasing")
    for i, tier in enumerate(rules.tiers):
        _tier(f"tiers.{i}", tier, first=i == 0)
        if i and tier.threshold <= rules.tiers[i - 1].threshold:
            raise invalid(f"tiers.{i}.threshold", "not_above_previous_tier")
    _offers(rules)


def _offers(rules: RuleSet) -> None:
    codes = {t.code for t in rules.tiers}
    q = rules.qualification
    if q.window_days < 1 or q.grace_days < 0:
        raise invalid("qualification", "window_or_grace")
    _cashback(rules.cashback)
    if rules.expiry_days is not None and rules.expiry_days < 1:
        raise invalid("expiry_days", "below_one")
    if not -14 * 60 <= rules.utc_offset_minutes <= 14 * 60:
        raise invalid("utc_offset_minutes", "out_of_range")
    _unique("categories", list(rules.categories))
    _unique("campaigns", [c.code for c in rules.campaigns])
    for i, campaign in enumerate(rules.campaigns):
        _campaign(f"campaigns.{i}", campaign, codes, set(rules.categories))
    _bonuses(rules.bonuses)
    _unique("memberships", [p.code for p in rules.memberships])
    for i, plan in enumerate(rules.memberships):
        _plan(f"memberships.{i}", plan, codes)
    _unique("branches", [code for code, _ in rules.branches])
    _unique("rewards", [r.code for r in rules.rewards])
    for i, reward in enumerate(rules.rewards):
        _unique(f"rewards.{i}.stock", [branch for branch, _ in reward.stock])
        if reward.points < 1:
            raise invalid(f"rewards.{i}.points", "below_one")
        if any(units < 0 for _, units in reward.stock):
            raise invalid(f"rewards.{i}.stock", "negative")
    g = rules.offline_grant
    if not 0 <= g.share_percent <= 100 or g.max_points < 0 or not 1 <= g.hours <= 24 * 30:
        raise invalid("offline_grant", "out_of_range")


def _sizes(rules: RuleSet) -> None:
    """The caps above, checked before anything walks the lists. The reasons are pydantic's (`too_long`
    for a list, `string_too_long` for a text), so the body's own caps (sync.rules) read the same."""
    for path, values, limit in (
        ("tiers", rules.tiers, MAX_TIERS),
        ("branches", rules.branches, MAX_BRANCHES),
        ("campaigns", rules.campaigns, MAX_CAMPAIGNS),
        ("memberships", rules.memberships, MAX_MEMBERSHIPS),
        ("rewards", rules.rewards, MAX_REWARDS),
        ("categories", rules.categories, MAX_CATEGORIES),
    ):
        _at_most(path, values, limit)
    for i, tier in enumerate(rules.tiers):
        _named(f"tiers.{i}", tier.name_fa, tier.name_en)
        _texts(f"tiers.{i}.free_services", tier.free_services, MAX_ITEMS, MAX_TEXT)
    for i, campaign in enumerate(rules.campaigns):
        here = f"campaigns.{i}"
        _named(here, campaign.name_fa, campaign.name_en)
        _texts(f"{here}.branches", campaign.branches, MAX_BRANCHES, MAX_CODE)
        _texts(f"{here}.tiers", campaign.tiers, MAX_TIERS, MAX_CODE)
        _texts(f"{here}.categories", campaign.categories, MAX_CATEGORIES, MAX_CODE)
        _texts(f"{here}.weekdays", campaign.weekdays, len(WEEKDAYS), MAX_CODE)
    for i, plan in enumerate(rules.memberships):
        _named(f"memberships.{i}", plan.name_fa, plan.name_en)
        _texts(f"memberships.{i}.benefits", plan.benefits, MAX_ITEMS, MAX_TEXT)
    for i, reward in enumerate(rules.rewards):
        _named(f"rewards.{i}", reward.name_fa, reward.name_en)
        _at_most(f"rewards.{i}.stock", reward.stock, MAX_BRANCHES)


def _at_most(path: str, values: tuple[object, ...], limit: int) -> None:
    if len(values) > limit:
        raise invalid(path, "too_long", limit=limit, message=f"at most {limit} entries, not {len(values)}")


def _texts(path: str, values: tuple[str, ...], limit: int, longest: int) -> None:
    _at_most(path, values, limit)
    for i, value in enumerate(values):
        _text(f"{path}.{i}", value, longest)


def _named(path: str, name_fa: str, name_en: str) -> None:
    _text(f"{path}.name_fa", name_fa, MAX_TEXT)
    _text(f"{path}.name_en", name_en, MAX_TEXT)


def _text(path: str, value: str, longest: int) -> None:
    if len(value) > longest:
        raise invalid(
            path, "string_too_long", limit=longest, message=f"at most {longest} characters, not {len(value)}"
        )


def _unique(path: str, codes: list[str]) -> None:
    seen: set[str] = set()
    for i, code in enumerate(codes):
        if not code or not code.replace("_", "").replace("-", "").isalnum() or len(code) > MAX_CODE:
            raise invalid(f"{path}.{i}", "bad_code", value=code)
        if code in seen:
            raise invalid(f"{path}.{i}", "duplicate_code", value=code)
        seen.add(code)


def _tier(path: str, tier: TierRule, *, first: bool) -> None:
    if first and tier.threshold != 0:
        raise invalid(f"{path}.threshold", "entry_tier_threshold_not_zero")
    if tier.threshold < 0 or not 0 <= tier.multiplier_percent <= 1_000:
        raise invalid(path, "threshold_or_multiplier")
    if not 0 <= tier.discount_percent <= 100:
        raise invalid(f"{path}.discount_percent", "out_of_range")
    if tier.cashback_bp is not None and not 0 <= tier.cashback_bp <= 10_000:
        raise invalid(f"{path}.cashback_bp", "out_of_range")


def _cashback(rule: CashbackRule) -> None:
    if not 0 <= rule.percent_bp <= 10_000:
        raise invalid("cashback.percent_bp", "out_of_range")
    if rule.max_per_sale_rials is not None and rule.max_per_sale_rials < 0:
        raise invalid("cashback.max_per_sale_rials", "negative")
    if not 0 <= rule.max_share_percent <= 100:
        raise invalid("cashback.max_share_percent", "out_of_range")


def _campaign(path: str, campaign: Campaign, tiers: set[str], categories: set[str]) -> None:
    if campaign.ends < campaign.starts:
        raise invalid(f"{path}.ends", "before_start")
    if not 100 <= campaign.multiplier_percent <= 1_000 or campaign.bonus_points < 0:
        raise invalid(path, "multiplier_or_bonus")
    if not 0 <= campaign.holdout_percent <= MAX_HOLDOUT_PERCENT:
        raise invalid(f"{path}.holdout_percent", "out_of_range", limit=MAX_HOLDOUT_PERCENT)
    for name, values, known in (
        ("tiers", campaign.tiers, tiers),
        ("categories", campaign.categories, categories),
        ("weekdays", campaign.weekdays, set(WEEKDAYS)),
    ):
        for value in values:
            if value not in known:
                raise invalid(f"{path}.{name}", "unknown", value=value)


def _bonuses(b: Bonuses) -> None:
    for name in Bonuses.__slots__:
        if getattr(b, name) < 0:
            raise invalid(f"bonuses.{name}", "negative")
    if b.birthday_window_days > 182:
        raise invalid("bonuses.birthday_window_days", "out_of_range")


def _plan(path: str, plan: MembershipPlan, tiers: set[str]) -> None:
    if plan.price_rials < 1 or plan.duration_days < 1:
        raise invalid(path, "price_or_duration")
    if plan.tier_code is not None and plan.tier_code not in tiers:
        raise invalid(f"{path}.tier_code", "unknown", value=plan.tier_code)
    if plan.points_step < 1 or plan.percent_per_step < 0 or not 0 <= plan.max_discount_percent <= 100:
        raise invalid(path, "points_discount")
