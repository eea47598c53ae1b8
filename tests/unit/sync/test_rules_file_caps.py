# SPDX-License-Identifier: GPL-3.0-or-later
"""The rule-set file's caps (sync.rules_file, sync.yaml_caps, sync.rules): what a real club writes still
reads; what only a hostile or broken file holds is one refusal at its line, never a hang or a traceback."""

from __future__ import annotations

import pytest

from app.domain.errors import ClubError
from sync.rules import MAX_DEPTH, load_json
from sync.rules_file import RulesFileError, parse
from sync.yaml_caps import MAX_ALIASED

pytestmark = pytest.mark.timeout(60)

HEAD = "tiers:\n  - {code: bronze, name_fa: b, name_en: B, rank: 0}\n"


def _refused(text: str, fmt: str = "yaml") -> RulesFileError:
    with pytest.raises(RulesFileError) as caught:
        parse(text, fmt=fmt, name="rules.yaml")  # type: ignore[arg-type]
    return caught.value


def test_aliases_a_club_would_write_still_read() -> None:
    """One earning block shared by many branches: aliases are fine while they stand for little."""
    branches = "".join(f"  B{i}: {{earning: *std, redemption: {{}}}}\n" for i in range(300))
    text = HEAD + "earning: &std {points_per_unit: 2}\nbranches:\n" + branches
    rules = parse(text)
    assert len(rules.branches) == 300 and rules.branch_rules("B299").earning.points_per_unit == 2


def test_aliases_that_stand_for_too_much_are_refused_where_they_cross() -> None:
    block = "[" + ",".join(["x"] * 1_000) + "]"
    aliases = "".join("  - *big\n" for _ in range(MAX_ALIASED // 1_000 + 5))
    error = _refused(HEAD + f"big: &big {block}\nlots:\n" + aliases)
    first_alias = 5
    assert error.reason == "alias_limit" and error.line is not None and error.line > first_alias
    assert str(error).startswith(f"rules.yaml:{error.line}: alias_limit (")


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    """A loop would otherwise make the duplicate-key walk recurse until Python gives up."""
    error = _refused("tiers: &loop [*loop]\n")
    assert (error.line, error.reason) == (1, "alias_limit")


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_nesting_is_refused_past_the_cap_and_read_up_to_it(fmt: str) -> None:
    def nested(depth: int) -> str:  # the root mapping is one level
        inner = "[" * (depth - 1) + "]" * (depth - 1)
        return '{"tiers": ' + inner + "}\n"

    assert _refused(nested(MAX_DEPTH), fmt).reason != "nesting_too_deep"  # a type error, at its path
    error = _refused(nested(MAX_DEPTH + 1), fmt)
    assert (error.line, error.reason) == (1, "nesting_too_deep")


def test_a_value_yaml_cannot_make_is_a_refusal_at_its_line() -> None:
    """These were bare ValueErrors out of PyYAML's constructor: a traceback."""
    for value in ("2025-13-45", "!!float abc", "!!int 0x", "!!timestamp 2025-02-30"):
        error = _refused(HEAD + f"expiry_days: {value}\n")
        assert (error.line, error.reason) == (3, "yaml_syntax"), error


def test_numbers_too_long_to_convert_are_refused() -> None:
    assert _refused(HEAD + "expiry_days: " + "9" * 5_000 + "\n").reason == "value_too_long"
    assert _refused('{"tiers": [], "expiry_days": ' + "9" * 5_000 + "}", "json").reason == "value_too_long"
    # long but convertible: the body's bound names the field
    error = _refused(HEAD + "expiry_days: " + "9" * 100 + "\n")
    assert (error.line, error.path, error.reason) == (3, "expiry_days", "less_than_equal")


def test_the_json_nesting_scan_is_not_fooled_by_brackets_in_strings() -> None:
    text = '{"tiers": [], "categories": ["' + "[" * 100 + '", "\\"[[["]}'
    assert load_json(text)["categories"][1] == '"[[['
    with pytest.raises(ClubError) as caught:
        load_json('{"a": "]]]]", "b": ' + "[" * 40 + "]" * 40 + "}")
    assert caught.value.params["reason"] == "nesting_too_deep"


def test_a_text_over_the_size_cap_is_refused_before_it_is_parsed() -> None:
    error = _refused(HEAD + "# " + "x" * (1024 * 1024) + "\n")
    assert (error.line, error.reason, error.detail) == (None, "too_large", "limit 1 MB")
    assert str(error) == "rules.yaml: too_large (limit 1 MB)"
