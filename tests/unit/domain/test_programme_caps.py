# SPDX-License-Identifier: GPL-3.0-or-later
"""The rule set's size caps (app.domain.programme): every list and text a rule set holds has one, checked
before anything else walks the lists, with pydantic's reasons so that the body (sync.rules) and the domain
say the same thing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.domain.errors import ClubError
from app.domain.programme import (
    MAX_BRANCHES,
    MAX_CAMPAIGNS,
    MAX_CATEGORIES,
    MAX_CODE,
    MAX_ITEMS,
    MAX_MEMBERSHIPS,
    MAX_REWARDS,
    MAX_TEXT,
    MAX_TIERS,
    BranchRules,
    Reward,
    TierRule,
)
from sync.rules import from_body, to_body
from tests.unit.domain.programme_strategies import BRONZE, SILVER_CARD, club_rules
from tests.unit.domain.test_programme import campaign

BRANCH = BranchRules(club_rules().earning, club_rules().redemption)


def _tiers(n: int) -> tuple[TierRule, ...]:
    return tuple(TierRule(f"t{i}", "ت", "T", i, threshold=i) for i in range(n))


def _refused(**changes: object) -> ClubError:
    with pytest.raises(ClubError) as caught:
        club_rules(**changes)
    assert caught.value.code == "invalid_rules"
    return caught.value


def _lists(n: int) -> dict[str, dict[str, object]]:
    """Rule sets with n of each thing a cap counts."""
    return {
        "tiers": {"tiers": _tiers(n), "memberships": ()},
        "branches": {"branches": tuple((f"B{i}", BRANCH) for i in range(n))},
        "campaigns": {"campaigns": tuple(campaign(code=f"c{i}") for i in range(n))},
        "memberships": {"memberships": tuple(replace(SILVER_CARD, code=f"p{i}") for i in range(n))},
        "rewards": {"rewards": tuple(Reward(f"r{i}", "ج", "R", 10) for i in range(n))},
        "categories": {"categories": tuple(f"k{i}" for i in range(n))},
    }


CAPS = {
    "tiers": MAX_TIERS,
    "branches": MAX_BRANCHES,
    "campaigns": MAX_CAMPAIGNS,
    "memberships": MAX_MEMBERSHIPS,
    "rewards": MAX_REWARDS,
    "categories": MAX_CATEGORIES,
}


@pytest.mark.parametrize("path", list(CAPS))
def test_each_list_holds_its_cap_and_no_more(path: str) -> None:
    limit = CAPS[path]
    at_cap = club_rules(**_lists(limit)[path])
    assert from_body(to_body(at_cap)) == at_cap  # the body's caps are the domain's
    error = _refused(**_lists(limit + 1)[path])
    assert (error.params["path"], error.params["reason"], error.params["limit"]) == (path, "too_long", limit)


@pytest.mark.parametrize(
    ("changes", "path", "reason"),
    [
        (
            {"tiers": (replace(BRONZE, free_services=("s",) * (MAX_ITEMS + 1)),)},
            "tiers.0.free_services",
            "too_long",
        ),
        (
            {"tiers": (replace(BRONZE, free_services=("s" * (MAX_TEXT + 1),)),)},
            "tiers.0.free_services.0",
            "string_too_long",
        ),
        ({"tiers": (replace(BRONZE, name_en="n" * (MAX_TEXT + 1)),)}, "tiers.0.name_en", "string_too_long"),
        (
            {"memberships": (replace(SILVER_CARD, benefits=("b",) * (MAX_ITEMS + 1)),)},
            "memberships.0.benefits",
            "too_long",
        ),
        (
            {"memberships": (replace(SILVER_CARD, name_fa="ن" * (MAX_TEXT + 1)),)},
            "memberships.0.name_fa",
            "string_too_long",
        ),
        (
            {"campaigns": (campaign(branches=("B",) * (MAX_BRANCHES + 1)),)},
            "campaigns.0.branches",
            "too_long",
        ),
        (
            {"campaigns": (campaign(branches=("B" * (MAX_CODE + 1),)),)},
            "campaigns.0.branches.0",
            "string_too_long",
        ),
        ({"campaigns": (campaign(weekdays=("mon",) * 8),)}, "campaigns.0.weekdays", "too_long"),
        ({"campaigns": (campaign(name_en="n" * (MAX_TEXT + 1)),)}, "campaigns.0.name_en", "string_too_long"),
        ({"rewards": (Reward("r", "ج", "R" * (MAX_TEXT + 1), 10),)}, "rewards.0.name_en", "string_too_long"),
        (
            {
                "rewards": (
                    Reward("r", "ج", "R", 10, stock=tuple((f"B{i}", 1) for i in range(MAX_BRANCHES + 1))),
                )
            },
            "rewards.0.stock",
            "too_long",
        ),
    ],
)
def test_the_lists_and_texts_inside_have_caps(changes: dict[str, object], path: str, reason: str) -> None:
    error = _refused(**changes)
    assert (error.params["path"], error.params["reason"]) == (path, reason)


def test_the_caps_come_before_the_other_checks() -> None:
    """A list too long is refused as such, not after a walk of it found something else first."""
    error = _refused(categories=("food",) * (MAX_CATEGORIES + 1))  # also duplicates
    assert (error.params["path"], error.params["reason"]) == ("categories", "too_long")
