# SPDX-License-Identifier: GPL-3.0-or-later
"""The store reads its stored rule-set bodies back without the wire's codec (app.domain.programme_body):
whatever the codec (sync.rules) took in, the domain reads back to the same rule set, defaults included."""

from __future__ import annotations

import json

from hypothesis import given, settings

from app.domain.programme import RuleSet
from app.domain.programme_body import rule_set_from_stored
from sync.rules import from_body, to_body
from tests.unit.sync.test_rules_codec import rule_sets


@settings(max_examples=100)
@given(rule_sets())
def test_a_stored_body_reads_back_as_the_codec_reads_it(rules: RuleSet) -> None:
    body = json.loads(json.dumps(to_body(rules)))  # as the store keeps it: JSON text
    assert rule_set_from_stored(body, rules.version) == from_body(body) == rules


def _minimal() -> dict:
    return {"version": 3, "tiers": [{"code": "bronze", "name_fa": "برنزی", "name_en": "Bronze", "rank": 0}]}


def test_a_body_that_leaves_fields_out_takes_the_codecs_defaults() -> None:
    """A body written by hand or by an older server names only some fields: both ends default alike."""
    sparse = _minimal() | {
        "branches": {"ISF": {"earning": {}, "redemption": {"max_share_percent": 20}}},
        "campaigns": [
            {"code": "c", "name_fa": "ک", "name_en": "C", "starts": "2025-12-20", "ends": "2025-12-21"}
        ],
        "memberships": [
            {"code": "s", "name_fa": "س", "name_en": "S", "price_rials": 10, "duration_days": 30}
        ],
        "rewards": [{"code": "r", "name_fa": "ج", "name_en": "R", "points": 5}],
        "qualification": {"basis": "spend"},
        "earning": {"rounding": "ceil"},
        "cashback": {},
        "bonuses": {"signup_points": 7},
        "offline_grant": {"hours": 5},
    }
    for body in (_minimal(), sparse):
        assert rule_set_from_stored(body, 3) == from_body(body)


def test_the_stored_version_is_the_bodys_or_the_rows() -> None:
    body = _minimal()
    assert rule_set_from_stored(body, 9).version == 3
    del body["version"]
    assert rule_set_from_stored(body, 9).version == 9
