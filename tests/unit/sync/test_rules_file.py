# SPDX-License-Identifier: GPL-3.0-or-later
"""The rule-set file (sync.rules_file): export then import gives the same rule set, in YAML and JSON,
and a refusal names the line an admin has to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from app.domain.programme import RuleSet
from sync.rules_file import RulesFileError, check, dump, format_of, line_of, parse, read
from tests.unit.sync.test_rules_codec import SIMPLE, rule_sets

GOOD = """\
# the club's programme
tiers:
  - code: bronze
    name_fa: برنز
    name_en: Bronze
    rank: 0
  - code: silver
    name_fa: نقره‌ای
    name_en: Silver
    rank: 1
    threshold: 500
  - code: gold
    name_fa: طلایی
    name_en: Gold
    rank: 2
    threshold: 2000
    multiplier_percent: 150
branches:
  TEH-1:
    earning: {points_per_unit: 2}
    redemption: {}
campaigns:
  - code: nowruz
    name_fa: نوروز
    name_en: Nowruz
    starts: 2026-03-20
    ends: 2026-04-02
    tiers: [silver, gold]
expiry_days: 365
"""


def _refused(text: str, *, fmt: str = "yaml", name: str = "rules.yaml") -> RulesFileError:
    with pytest.raises(RulesFileError) as caught:
        parse(text, fmt=fmt, name=name)  # type: ignore[arg-type]
    return caught.value


def test_a_good_file_reads_without_a_version() -> None:
    rules = parse(GOOD)
    assert rules.version == 0  # the server numbers it
    assert [t.code for t in rules.tiers] == ["bronze", "silver", "gold"]
    assert rules.branch_rules("TEH-1").earning.points_per_unit == 2
    assert rules.campaigns[0].starts.isoformat() == "2026-03-20"


def test_a_bad_value_deep_in_yaml_names_its_line() -> None:
    text = GOOD.replace("threshold: 2000", "threshold: 400")
    error = _refused(text)
    assert (error.line, error.path, error.reason) == (16, "tiers.2.threshold", "not_above_previous_tier")
    assert str(error) == "rules.yaml:16: tiers.2.threshold: not_above_previous_tier"


def test_a_bad_type_names_its_line_and_says_why() -> None:
    error = _refused(GOOD.replace("multiplier_percent: 150", "multiplier_percent: 1.5"))
    assert (error.line, error.path, error.reason) == (17, "tiers.2.multiplier_percent", "int_type")
    assert str(error).startswith("rules.yaml:17: tiers.2.multiplier_percent: int_type (")


def test_an_unknown_tier_in_a_flow_list_names_the_key() -> None:
    error = _refused(GOOD.replace("[silver, gold]", "[silver, platinum]"))
    assert (error.line, error.path, error.reason) == (28, "campaigns.0.tiers", "unknown")
    assert "platinum" in str(error)


def test_a_branch_code_with_a_dot_is_still_found() -> None:
    text = GOOD.replace("TEH-1:", "teh.1:").replace("{points_per_unit: 2}", "{points_per_unit: -2}")
    error = _refused(text)
    assert (error.line, error.path) == (20, "branches.teh.1.earning.points_per_unit")


def test_a_missing_key_names_the_nearest_line() -> None:
    text = GOOD.replace("    name_en: Silver\n", "")
    error = _refused(text)
    assert (error.path, error.reason) == ("tiers.1.name_en", "missing")
    assert error.line == 7  # the list item that lacks it


def test_an_unknown_key_names_its_line() -> None:
    error = _refused(GOOD + "expiry_dayz: 30\n")
    assert (error.line, error.path, error.reason) == (30, "expiry_dayz", "extra_forbidden")


def test_a_key_written_twice_is_refused() -> None:
    error = _refused(GOOD + "expiry_days: 30\n")
    assert (error.line, error.path, error.reason) == (30, "expiry_days", "duplicate_key")


def test_yaml_syntax_names_its_line() -> None:
    error = _refused(GOOD.replace("tiers: [silver, gold]", "tiers: [silver, gold"))
    assert error.reason == "yaml_syntax"
    assert error.line is not None and error.line >= 28


def test_unsafe_yaml_tags_are_refused() -> None:
    error = _refused("!!python/object/apply:os.system ['true']\n")
    assert (error.line, error.reason) == (1, "yaml_syntax")


def test_an_empty_file_is_refused() -> None:
    assert _refused("# nothing\n").reason == "empty"


def test_bad_json_syntax_names_its_line() -> None:
    text = dump(SIMPLE, "json").replace('"rank": 1,', '"rank": 1,,')
    error = _refused(text, fmt="json", name="rules.json")
    assert error.reason == "json_syntax"
    assert error.line == next(i for i, line in enumerate(text.splitlines(), 1) if ",," in line)
    assert str(error).startswith(f"rules.json:{error.line}: json_syntax (")


def test_a_bad_json_value_names_its_line() -> None:
    text = dump(SIMPLE, "json").replace('"threshold": 1000', '"threshold": "1000"')
    error = _refused(text, fmt="json", name="rules.json")
    assert error.path == "tiers.1.threshold"
    assert error.line == next(i for i, line in enumerate(text.splitlines(), 1) if '"1000"' in line)


def test_yaml_export_reads_as_persian() -> None:
    text = dump(SIMPLE)
    assert "name_fa: برنز" in text
    assert text.index("version") < text.index("tiers") < text.index("earning")  # the body's order


@pytest.mark.parametrize(
    ("name", "fmt"), [("a.json", "json"), ("a.yaml", "yaml"), ("a.YML", "yaml"), ("a", "yaml")]
)
def test_format_of(name: str, fmt: str) -> None:
    assert format_of(name) == fmt


def test_read_a_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(dump(SIMPLE, "json"), encoding="utf-8")
    assert read(path) == SIMPLE
    path.write_bytes(b"tiers: \xff\n")
    with pytest.raises(RulesFileError) as caught:
        read(path)
    error = caught.value
    assert (error.line, error.reason) == (1, "not_utf8")
    assert str(error).startswith(str(path))


def test_line_of_the_root_and_of_nothing() -> None:
    assert line_of(None, "tiers") is None


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])  # PyYAML is slow
@given(rule_sets())
def test_export_then_import_is_the_same_rule_set(rules: RuleSet) -> None:
    for fmt in ("yaml", "json"):
        assert parse(dump(rules, fmt), fmt=fmt) == rules  # type: ignore[arg-type]


def test_unicode_line_breaks_in_names_survive_yaml() -> None:
    tier = SIMPLE.tiers[0]
    rules = RuleSet(version=1, tiers=(type(tier)("t", "a\x85b\u2028c", "x\u2029", 0),))
    assert parse(dump(rules)) == rules


def test_check_gives_every_shape_refusal_at_its_line_the_first_as_parse_does() -> None:
    text = GOOD.replace("rank: 1\n", "rank: one\n").replace(
        "multiplier_percent: 150", "multiplier_percent: 1.5"
    )
    rules, refused = check(text, name="rules.yaml")
    assert rules is None
    assert [(e.line, e.path, e.reason) for e in refused] == [
        (10, "tiers.1.rank", "int_type"),  # strict: a text is not read as a number
        (17, "tiers.2.multiplier_percent", "int_type"),
    ]
    assert str(refused[0]) == str(_refused(text))


def test_check_of_a_good_file_or_of_one_invariant_or_of_a_broken_text() -> None:
    assert check(GOOD) == (parse(GOOD), [])
    rules, refused = check(GOOD.replace("threshold: 2000", "threshold: 400"))
    assert rules is None and [(e.line, e.reason) for e in refused] == [(16, "not_above_previous_tier")]
    rules, refused = check(GOOD + "expiry_days: 30\n")  # a repeated key: refused before the shape is read
    assert [(e.line, e.reason) for e in refused] == [(30, "duplicate_key")]
    rules, refused = check(GOOD.replace("tiers: [silver, gold]", "tiers: [silver, gold"))
    assert [e.reason for e in refused] == ["yaml_syntax"]
    json_text = dump(SIMPLE, "json").replace('"rank": 1', '"rank": "1"')
    rules, refused = check(json_text, fmt="json")
    assert [(e.path, e.reason) for e in refused] == [("tiers.1.rank", "int_type")] and refused[0].line
