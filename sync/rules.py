# SPDX-License-Identifier: GPL-3.0-or-later
"""The rule-set body: app.domain.programme's RuleSet as plain JSON, and back.

One codec for every place a rule set travels or rests: the admin API, the file an admin edits
(sync.rules_file), the server's `rule_set` table and the `rule_set` pull change. Imports pydantic and
the domain only.

The body mirrors the dataclasses field for field, with JSON's shapes: tuples are lists, dates ISO
strings, enums their values, a rule set's `branches` a mapping branch code → {earning, redemption}, a
reward's `stock` a mapping branch code → units. Types are strict (an integer field refuses 1.5, "1" and
true; a text field refuses 12) and unknown keys are refused, so a typo is an error rather than a default
silently taken. Every refusal is one ClubError("invalid_rules", path="tiers.2.threshold", reason=…):
pydantic's (reason: its error type, e.g. `int_type`, `missing`, `extra_forbidden`) and the domain's own
invariants (RuleSet.__post_init__) alike.

Sizes are capped so that a hostile or broken rule set is refused quickly, before it costs memory or
time: the text (`MAX_TEXT_BYTES`, checked by whoever reads it: the file reader, the admin API), its
nesting (`MAX_DEPTH`), the lists, mappings and texts (the domain's caps, as pydantic bounds: validation
stops at the first list that is too long instead of checking its every item) and the integers.
`load_json` reads a JSON body within these caps.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)

from app.domain.errors import ClubError
from app.domain.money import Rounding
from app.domain.programme import (
    MAX_BRANCHES,
    MAX_CAMPAIGNS,
    MAX_CATEGORIES,
    MAX_ITEMS,
    MAX_MEMBERSHIPS,
    MAX_REWARDS,
    MAX_TEXT,
    MAX_TIERS,
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
    invalid,
)
from app.domain.rules import EarningRule, RedemptionPolicy

__all__ = ["MAX_DEPTH", "MAX_SCALAR", "MAX_TEXT_BYTES", "RuleSetBody", "from_body", "load_json", "to_body"]

MAX_TEXT_BYTES = 1024 * 1024  # a rule set's file or request body; a big club's is a few tens of KB
MAX_DEPTH = 16  # lists and mappings inside one another; a valid body nests 4 deep
MAX_INT = 10**15  # any number in a rule set (amounts are at most 10**13 rials)
MAX_SCALAR = 4_096  # characters of one value as written, so that no number is too long to convert


def _iso_date(value: object) -> object:
    """A date as the body writes it (YYYY-MM-DD); a date object too (YAML reads unquoted dates so)."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value) if len(value) == 10 else value
        except ValueError:
            return value  # pydantic's own refusal names it
    return value


IsoDate = Annotated[date, Field(strict=True), BeforeValidator(_iso_date)]
Int = Annotated[StrictInt, Field(ge=-MAX_INT, le=MAX_INT)]
NonNegative = Annotated[StrictInt, Field(ge=0, le=MAX_INT)]
Text = Annotated[StrictStr, Field(max_length=MAX_TEXT)]
Texts = Annotated[list[Text], Field(max_length=MAX_ITEMS)]


def _at_most(limit: int) -> Any:
    return Field(max_length=limit)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EarningBody(_Body):
    # bounds as EarningRule.__post_init__ has them, so a refusal names the field
    points_per_unit: NonNegative = 1
    rials_per_unit: Annotated[StrictInt, Field(ge=1, le=MAX_INT)] = 100_000
    min_sale_rials: NonNegative = 0
    max_points_per_sale: NonNegative | None = None
    rounding: Rounding = Rounding.FLOOR


class RedemptionBody(_Body):
    rials_per_point: Annotated[StrictInt, Field(ge=1, le=MAX_INT)] = 1_000
    max_share_percent: Annotated[StrictInt, Field(ge=0, le=100)] = 50


class BranchBody(_Body):
    earning: EarningBody  # required, as in BranchRules: `{}` takes every default
    redemption: RedemptionBody


class TierBody(_Body):
    code: Text
    name_fa: Text
    name_en: Text
    rank: Int
    threshold: Int = 0
    multiplier_percent: Int = 100
    discount_percent: Int = 0
    free_services: Texts = []
    cashback_bp: Int | None = None


class QualificationBody(_Body):
    basis: QualifyingBasis = QualifyingBasis.POINTS
    window_days: Int = 365
    grace_days: Int = 30


class CashbackBody(_Body):
    percent_bp: Int = 0
    max_per_sale_rials: Int | None = None
    from_next_day: StrictBool = False
    max_share_percent: Int = 100


class CampaignBody(_Body):
    code: Text
    name_fa: Text
    name_en: Text
    starts: IsoDate
    ends: IsoDate
    branches: Annotated[list[Text], _at_most(MAX_BRANCHES)] = []
    tiers: Annotated[list[Text], _at_most(MAX_TIERS)] = []
    categories: Annotated[list[Text], _at_most(MAX_CATEGORIES)] = []
    weekdays: Annotated[list[Text], _at_most(len(WEEKDAYS))] = []
    multiplier_percent: Int = 100
    bonus_points: Int = 0
    holdout_percent: Int = 0  # a body written before holdouts has none: nobody is held out


class BonusesBody(_Body):
    signup_points: Int = 0
    birthday_points: Int = 0
    birthday_window_days: Int = 7
    referral_referrer_points: Int = 0
    referral_referred_points: Int = 0
    referral_max_per_year: Int = 10
    survey_points: Int = 0
    survey_max_per_day: Int = 1
    ambassador_max_points: Int = 1_000
    ambassador_max_per_month: Int = 5_000


class MembershipBody(_Body):
    code: Text
    name_fa: Text
    name_en: Text
    price_rials: Int
    duration_days: Int
    tier_code: Text | None = None
    benefits: Texts = []
    points_step: Int = 100
    percent_per_step: Int = 10
    max_discount_percent: Int = 50


class RewardBody(_Body):
    code: Text
    name_fa: Text
    name_en: Text
    points: Int
    kind: RewardKind = RewardKind.GIFT
    stock: Annotated[dict[Text, Int], _at_most(MAX_BRANCHES)] = {}


class OfflineGrantBody(_Body):
    share_percent: Int = 30
    max_points: Int = 5_000
    hours: Int = 72


class RuleSetBody(_Body):
    version: Int
    tiers: Annotated[list[TierBody], _at_most(MAX_TIERS)]
    earning: EarningBody = EarningBody()
    redemption: RedemptionBody = RedemptionBody()
    branches: Annotated[dict[Text, BranchBody], _at_most(MAX_BRANCHES)] = {}
    qualification: QualificationBody = QualificationBody()
    cashback: CashbackBody = CashbackBody()
    campaigns: Annotated[list[CampaignBody], _at_most(MAX_CAMPAIGNS)] = []
    bonuses: BonusesBody = BonusesBody()
    expiry_days: Int | None = None
    memberships: Annotated[list[MembershipBody], _at_most(MAX_MEMBERSHIPS)] = []
    rewards: Annotated[list[RewardBody], _at_most(MAX_REWARDS)] = []
    offline_grant: OfflineGrantBody = OfflineGrantBody()
    categories: Annotated[list[Text], _at_most(MAX_CATEGORIES)] = []
    utc_offset_minutes: Int = 210


# ---- domain → body ---------------------------------------------------------------------------------


def _earning(rule: EarningRule) -> dict[str, Any]:
    return {
        "points_per_unit": rule.points_per_unit,
        "rials_per_unit": rule.rials_per_unit,
        "min_sale_rials": rule.min_sale_rials,
        "max_points_per_sale": rule.max_points_per_sale,
        "rounding": rule.rounding.value,
    }


def _redemption(policy: RedemptionPolicy) -> dict[str, Any]:
    return {"rials_per_point": policy.rials_per_point, "max_share_percent": policy.max_share_percent}


def to_body(rules: RuleSet) -> dict[str, Any]:
    """The rule set as a JSON-able dict, every field written out (defaults too; a campaign's holdout only
    when it has one), in the file's order."""
    return {
        "version": rules.version,
        "tiers": [
            {
                "code": t.code,
                "name_fa": t.name_fa,
                "name_en": t.name_en,
                "rank": t.rank,
                "threshold": t.threshold,
                "multiplier_percent": t.multiplier_percent,
                "discount_percent": t.discount_percent,
                "free_services": list(t.free_services),
                "cashback_bp": t.cashback_bp,
            }
            for t in rules.tiers
        ],
        "earning": _earning(rules.earning),
        "redemption": _redemption(rules.redemption),
        "branches": {
            code: {"earning": _earning(b.earning), "redemption": _redemption(b.redemption)}
            for code, b in rules.branches
        },
        "qualification": {
            "basis": rules.qualification.basis.value,
            "window_days": rules.qualification.window_days,
            "grace_days": rules.qualification.grace_days,
        },
        "cashback": {
            "percent_bp": rules.cashback.percent_bp,
            "max_per_sale_rials": rules.cashback.max_per_sale_rials,
            "from_next_day": rules.cashback.from_next_day,
            "max_share_percent": rules.cashback.max_share_percent,
        },
        "campaigns": [
            {
                "code": c.code,
                "name_fa": c.name_fa,
                "name_en": c.name_en,
                "starts": c.starts.isoformat(),
                "ends": c.ends.isoformat(),
                "branches": list(c.branches),
                "tiers": list(c.tiers),
                "categories": list(c.categories),
                "weekdays": list(c.weekdays),
                "multiplier_percent": c.multiplier_percent,
                "bonus_points": c.bonus_points,
                # only when set: a body without holdouts stays what terminals before them can read
                **({"holdout_percent": c.holdout_percent} if c.holdout_percent else {}),
            }
            for c in rules.campaigns
        ],
        "bonuses": {name: getattr(rules.bonuses, name) for name in Bonuses.__slots__},
        "expiry_days": rules.expiry_days,
        "memberships": [
            {
                "code": p.code,
                "name_fa": p.name_fa,
                "name_en": p.name_en,
                "price_rials": p.price_rials,
                "duration_days": p.duration_days,
                "tier_code": p.tier_code,
                "benefits": list(p.benefits),
                "points_step": p.points_step,
                "percent_per_step": p.percent_per_step,
                "max_discount_percent": p.max_discount_percent,
            }
            for p in rules.memberships
        ],
        "rewards": [
            {
                "code": r.code,
                "name_fa": r.name_fa,
                "name_en": r.name_en,
                "points": r.points,
                "kind": r.kind.value,
                "stock": dict(r.stock),
            }
            for r in rules.rewards
        ],
        "offline_grant": {
            "share_percent": rules.offline_grant.share_percent,
            "max_points": rules.offline_grant.max_points,
            "hours": rules.offline_grant.hours,
        },
        "categories": list(rules.categories),
        "utc_offset_minutes": rules.utc_offset_minutes,
    }


# ---- JSON text → body ------------------------------------------------------------------------------

# a string (escapes included) or a bracket: what the nesting check needs to see of a JSON text
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def too_large(size: int) -> ClubError | None:
    """The refusal of a rule-set text of `size` bytes, or None when it is small enough."""
    if size <= MAX_TEXT_BYTES:
        return None
    return invalid(
        "", "too_large", limit_bytes=MAX_TEXT_BYTES, message=f"limit {MAX_TEXT_BYTES // 1024**2} MB"
    )


def load_json(text: str) -> Any:
    """What a JSON text holds, or ClubError("invalid_rules", path="", reason=…, line=…): `nesting_too_deep`
    is found by a scan of its brackets before `json` parses it (whose recursion would otherwise fail with
    a RecursionError), `value_too_long` for a number of absurd length, `json_syntax` for the rest. The size
    is the caller's to check first (`too_large`), on the bytes it received."""
    deep = _too_deep_at(text)
    if deep is not None:
        raise invalid("", "nesting_too_deep", line=deep, message=f"at most {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise invalid("", "json_syntax", line=exc.lineno, message=exc.msg) from None
    except _NumberTooLongError:
        raise invalid("", "value_too_long", message=f"a number of over {MAX_SCALAR} digits") from None
    except RecursionError:  # not reached after the scan; kept so that no text can make a traceback
        raise invalid("", "nesting_too_deep", message=f"at most {MAX_DEPTH} levels") from None


class _NumberTooLongError(Exception):
    pass


def _json_int(digits: str) -> int:
    if len(digits) > MAX_SCALAR:  # int() refuses more than 4,300 digits with a ValueError
        raise _NumberTooLongError
    return int(digits)


def _too_deep_at(text: str) -> int | None:
    """The line where lists and mappings first nest deeper than MAX_DEPTH, or None."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        opening = text[token.start()]
        if opening in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, token.start()) + 1
        elif opening in "]}":
            depth -= 1
    return None


# ---- body → domain ---------------------------------------------------------------------------------


def _path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def validate(body: object) -> RuleSetBody:
    """The body's shape and types, or ClubError("invalid_rules") naming the first bad place."""
    try:
        return RuleSetBody.model_validate(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise invalid(_path(first["loc"]), first["type"], message=first["msg"]) from None


def _earning_rule(body: EarningBody, path: str) -> EarningRule:
    try:
        return EarningRule(
            points_per_unit=body.points_per_unit,
            rials_per_unit=body.rials_per_unit,
            min_sale_rials=body.min_sale_rials,
            max_points_per_sale=body.max_points_per_sale,
            rounding=body.rounding,
        )
    except ClubError as exc:  # the bounds above make this unreachable; kept so the path is never lost
        raise invalid(path, exc.code) from None


def _redemption_policy(body: RedemptionBody, path: str) -> RedemptionPolicy:
    try:
        return RedemptionPolicy(
            rials_per_point=body.rials_per_point, max_share_percent=body.max_share_percent
        )
    except ClubError as exc:
        raise invalid(path, exc.code) from None


def from_body(body: dict[str, Any]) -> RuleSet:
    """The RuleSet a body describes, or ClubError("invalid_rules", path=…, reason=…)."""
    b = validate(body)
    rules = RuleSet(
        version=b.version,
        tiers=tuple(
            TierRule(
                code=t.code,
                name_fa=t.name_fa,
                name_en=t.name_en,
                rank=t.rank,
                threshold=t.threshold,
                multiplier_percent=t.multiplier_percent,
                discount_percent=t.discount_percent,
                free_services=tuple(t.free_services),
                cashback_bp=t.cashback_bp,
            )
            for t in b.tiers
        ),
        earning=_earning_rule(b.earning, "earning"),
        redemption=_redemption_policy(b.redemption, "redemption"),
        branches=tuple(
            (
                code,
                BranchRules(
                    _earning_rule(branch.earning, f"branches.{code}.earning"),
                    _redemption_policy(branch.redemption, f"branches.{code}.redemption"),
                ),
            )
            for code, branch in b.branches.items()
        ),
        qualification=Qualification(
            basis=b.qualification.basis,
            window_days=b.qualification.window_days,
            grace_days=b.qualification.grace_days,
        ),
        cashback=CashbackRule(
            percent_bp=b.cashback.percent_bp,
            max_per_sale_rials=b.cashback.max_per_sale_rials,
            from_next_day=b.cashback.from_next_day,
            max_share_percent=b.cashback.max_share_percent,
        ),
        campaigns=tuple(
            Campaign(
                code=c.code,
                name_fa=c.name_fa,
                name_en=c.name_en,
                starts=c.starts,
                ends=c.ends,
                branches=tuple(c.branches),
                tiers=tuple(c.tiers),
                categories=tuple(c.categories),
                weekdays=tuple(c.weekdays),
                multiplier_percent=c.multiplier_percent,
                bonus_points=c.bonus_points,
                holdout_percent=c.holdout_percent,
            )
            for c in b.campaigns
        ),
        bonuses=Bonuses(**{name: getattr(b.bonuses, name) for name in Bonuses.__slots__}),
        expiry_days=b.expiry_days,
        memberships=tuple(
            MembershipPlan(
                code=p.code,
                name_fa=p.name_fa,
                name_en=p.name_en,
                price_rials=p.price_rials,
                duration_days=p.duration_days,
                tier_code=p.tier_code,
                benefits=tuple(p.benefits),
                points_step=p.points_step,
                percent_per_step=p.percent_per_step,
                max_discount_percent=p.max_discount_percent,
            )
            for p in b.memberships
        ),
        rewards=tuple(
            Reward(
                code=r.code,
                name_fa=r.name_fa,
                name_en=r.name_en,
                points=r.points,
                kind=r.kind,
                stock=tuple(r.stock.items()),
            )
            for r in b.rewards
        ),
        offline_grant=OfflineGrantPolicy(
            share_percent=b.offline_grant.share_percent,
            max_points=b.offline_grant.max_points,
            hours=b.offline_grant.hours,
        ),
        categories=tuple(b.categories),
        utc_offset_minutes=b.utc_offset_minutes,
    )
    return rules
