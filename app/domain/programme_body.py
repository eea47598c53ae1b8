# SPDX-License-Identifier: GPL-3.0-or-later
"""A rule set read back from a body that was checked on arrival: what the terminal's store keeps.

A rule set travels and rests as a JSON body (sync.rules writes it, and checks every body that comes in:
strict types, caps, unknown keys refused). The terminal's store keeps the bodies it took in and reads them
back here, without the wire's codec: the body was validated before it was stored, so this only rebuilds
the dataclasses, field for field (a list becomes a tuple, a date its `date`, an enum its member, the
branches' and a reward's stock mappings their pairs). A field a body leaves out takes the dataclass's
default, which is the codec's default too (tests/unit/domain/test_programme_body.py keeps the two so).
The dataclasses' own invariants still hold (RuleSet.__post_init__ and the others run as ever).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from app.domain.money import Rounding
from app.domain.programme import (
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

_TUPLES = ("free_services", "branches", "tiers", "categories", "weekdays", "benefits")


def _plain(data: Mapping[str, Any]) -> dict[str, Any]:
    """The body's object as keyword arguments: its lists as tuples."""
    return {k: tuple(v) if k in _TUPLES and isinstance(v, list) else v for k, v in data.items()}


def _earning(data: Mapping[str, Any]) -> EarningRule:
    values = dict(data)
    if "rounding" in values:
        values["rounding"] = Rounding(values["rounding"])
    return EarningRule(**values)


def _campaign(data: Mapping[str, Any]) -> Campaign:
    values = _plain(data)
    values["starts"], values["ends"] = date.fromisoformat(data["starts"]), date.fromisoformat(data["ends"])
    return Campaign(**values)


def _reward(data: Mapping[str, Any]) -> Reward:
    values = dict(data)
    if "kind" in values:
        values["kind"] = RewardKind(values["kind"])
    values["stock"] = tuple(dict(data.get("stock", {})).items())
    return Reward(**values)


def _qualification(data: Mapping[str, Any]) -> Qualification:
    values = dict(data)
    if "basis" in values:
        values["basis"] = QualifyingBasis(values["basis"])
    return Qualification(**values)


def rule_set_from_stored(body: Mapping[str, Any], version: int) -> RuleSet:
    """The RuleSet of a body this terminal validated when it took it in; `version` is the one it was
    stored under (a body names its own, which wins)."""
    optional: dict[str, Any] = {}
    if "earning" in body:
        optional["earning"] = _earning(body["earning"])
    if "redemption" in body:
        optional["redemption"] = RedemptionPolicy(**body["redemption"])
    if "qualification" in body:
        optional["qualification"] = _qualification(body["qualification"])
    if "cashback" in body:
        optional["cashback"] = CashbackRule(**body["cashback"])
    if "bonuses" in body:
        optional["bonuses"] = Bonuses(**body["bonuses"])
    if "offline_grant" in body:
        optional["offline_grant"] = OfflineGrantPolicy(**body["offline_grant"])
    for name in ("expiry_days", "utc_offset_minutes"):
        if name in body:
            optional[name] = body[name]
    return RuleSet(
        version=int(body.get("version", version)),
        tiers=tuple(TierRule(**_plain(t)) for t in body["tiers"]),
        branches=tuple(
            (code, BranchRules(_earning(b.get("earning", {})), RedemptionPolicy(**b.get("redemption", {}))))
            for code, b in body.get("branches", {}).items()
        ),
        campaigns=tuple(_campaign(c) for c in body.get("campaigns", ())),
        memberships=tuple(MembershipPlan(**_plain(p)) for p in body.get("memberships", ())),
        rewards=tuple(_reward(r) for r in body.get("rewards", ())),
        categories=tuple(body.get("categories", ())),
        **optional,
    )
