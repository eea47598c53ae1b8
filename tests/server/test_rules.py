# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's programme on the server: rule-set versions through the admin API and the command line,
published to terminals in version order, pricing exactly as the terminal's domain prices."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.pricing import SaleContext, price_sale
from app.domain.programme import (
    BranchRules,
    Campaign,
    CashbackRule,
    OfflineGrantPolicy,
    RuleSet,
    TierRule,
)
from app.domain.rules import EarningRule, RedemptionPolicy
from sync import rules_file
from sync.rules import from_body, to_body
from sync.server import rules as rule_sets
from sync.server.cli import main
from tests.server.club import T0, admin_token, pull_all
from tests.unit.sync.test_rules_codec import rule_sets as valid_rule_sets

RULES = RuleSet(
    version=0,
    tiers=(
        TierRule("bronze", "برنزی", "Bronze", 0),
        TierRule("silver", "نقره‌ای", "Silver", 1, threshold=500, multiplier_percent=125),
        TierRule("gold", "طلایی", "Gold", 2, threshold=2_000, multiplier_percent=150, cashback_bp=300),
    ),
    branches=(("ISF", BranchRules(EarningRule(points_per_unit=2), RedemptionPolicy(max_share_percent=25))),),
    cashback=CashbackRule(percent_bp=100, max_per_sale_rials=50_000),
    campaigns=(
        Campaign(
            "yalda",
            "شب یلدا",
            "Yalda",
            date(2025, 12, 20),
            date(2025, 12, 22),
            multiplier_percent=200,
            bonus_points=5,
        ),
    ),
    offline_grant=OfflineGrantPolicy(share_percent=40, max_points=1_234, hours=10),
    categories=("food", "books"),
    expiry_days=365,
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def put_rules(client, admin, rules: RuleSet, status: int = 200) -> dict:
    response = client.put("/v1/admin/rules", json=to_body(rules), headers=admin)
    assert response.status_code == status, response.text
    return response.json()


# ---- the admin API ------------------------------------------------------------------------------------


def test_version_0_is_the_tables_programme(client, club_db, admin):
    """Before any version is saved, the tier and branch tables price sales, as on the terminal."""
    current = client.get("/v1/admin/rules", headers=admin).json()
    assert (current["version"], current["created_at_us"]) == (0, None)
    rules = from_body(current["body"])
    assert [(t.code, t.threshold, t.multiplier_percent) for t in rules.tiers] == [
        ("bronze", 0, 100),
        ("silver", 500, 125),
    ]
    assert rules.branch_rules("ISF").earning.points_per_unit == 2
    assert rules.branch_rules("ISF").redemption.max_share_percent == 25
    quoted = client.post(
        "/v1/admin/rules/quote",
        json={"branch_code": "ISF", "tier_code": "silver", "amount_rials": 2_000_000},
        headers=admin,
    ).json()
    assert quoted == {
        "rules_version": 0,
        "points": 50,
        "base_points": 50,
        "campaigns": [],
        "cashback_rials": 0,
    }
    assert client.get("/v1/admin/rules/versions", headers=admin).json() == {"current": 0, "versions": []}


def test_a_rule_set_is_saved_as_the_next_version_and_read_back(client, club_db, admin):
    first = put_rules(client, admin, replace(RULES, version=7))  # the body's version is not the server's
    assert first["version"] == 1
    assert first["created_by"].startswith("admin:test admin")
    assert from_body(first["body"]) == replace(RULES, version=1)
    second = put_rules(client, admin, replace(RULES, expiry_days=None))
    assert second["version"] == 2
    assert client.get("/v1/admin/rules", headers=admin).json() == second
    assert client.get("/v1/admin/rules/1", headers=admin).json() == first
    assert client.get("/v1/admin/rules/0", headers=admin).json()["version"] == 0
    missing = client.get("/v1/admin/rules/3", headers=admin)
    assert missing.status_code == 404 and missing.json()["detail"]["code"] == "unknown_rules_version"
    listed = client.get("/v1/admin/rules/versions", headers=admin).json()
    assert listed["current"] == 2
    assert [v["version"] for v in listed["versions"]] == [1, 2]


@pytest.mark.parametrize(
    ("change", "path", "reason"),
    [
        (
            lambda b: b | {"tiers": [*b["tiers"][:2], b["tiers"][2] | {"threshold": 100}]},
            "tiers.2.threshold",
            "not_above_previous_tier",
        ),
        (lambda b: b | {"expiry_days": 1.5}, "expiry_days", "int_type"),
        (lambda b: b | {"colour": "red"}, "colour", "extra_forbidden"),
        (lambda b: b | {"tiers": [b["tiers"][0] | {"rank": 5_000}]}, "tiers.0.rank", "out_of_range"),
        (
            lambda b: b | {"tiers": [b["tiers"][0] | {"name_en": "x" * 200}]},
            "tiers.0.name_en",
            "string_too_long",
        ),
        (
            lambda b: b | {"tiers": [b["tiers"][0] | {"name_fa": "a\x00b"}]},
            "tiers.0.name_fa",
            "unstorable_text",
        ),
        (lambda b: b | {"tiers": [b["tiers"][0] | {"code": "a b"}]}, "tiers.0", "bad_code"),
    ],
)
def test_an_invalid_rule_set_is_refused_whole(client, club_db, admin, terminal, change, path, reason):  # noqa: PLR0917
    before = pull_all(client, terminal)
    response = client.put("/v1/admin/rules", json=change(to_body(RULES)), headers=admin)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert (detail["code"], detail["path"], detail["reason"]) == ("invalid_rules", path, reason)
    assert client.get("/v1/admin/rules/versions", headers=admin).json()["versions"] == []
    assert pull_all(client, terminal) == before  # nothing published: no tier, setting or rule set


def test_roles(client, club_db, admin):
    viewer = bearer(admin_token(club_db, "viewer"))
    manager = bearer(admin_token(club_db, "manager"))
    assert client.get("/v1/admin/rules").status_code == 401
    assert client.get("/v1/admin/rules", headers=viewer).status_code == 200
    assert client.get("/v1/admin/rules/versions", headers=viewer).status_code == 200
    sale = {"branch_code": "THR", "tier_code": "bronze", "amount_rials": 1_000_000}
    assert client.post("/v1/admin/rules/quote", json=sale, headers=viewer).status_code == 200
    for who in (viewer, manager):
        refused = client.put("/v1/admin/rules", json=to_body(RULES), headers=who)
        assert refused.status_code == 403, refused.text
    put_rules(client, admin, RULES)


def test_a_quote_refuses_what_a_terminal_refuses(client, club_db, admin):
    put_rules(client, admin, RULES)
    sale = {"branch_code": "THR", "tier_code": "bronze", "amount_rials": 1_000_000}
    for extra, code in (
        ({"tier_code": "platinum"}, "unknown_tier"),
        ({"category": "cars"}, "unknown_category"),
        ({"discount_rials": 2_000_000}, "discount_over_amount"),
    ):
        response = client.post("/v1/admin/rules/quote", json=sale | extra, headers=admin)
        assert response.status_code == 422 and response.json()["detail"]["code"] == code, response.text
    response = client.post("/v1/admin/rules/quote", json=sale | {"version": 9}, headers=admin)
    assert response.status_code == 404


def test_a_campaign_and_cashback_in_a_quote(client, club_db, admin):
    put_rules(client, admin, RULES)
    yalda = 1_766_300_000_000_000  # 2025-12-21, Tehran
    sale = {"branch_code": "THR", "tier_code": "gold", "amount_rials": 10_000_000, "at_us": yalda}
    quoted = client.post("/v1/admin/rules/quote", json=sale, headers=admin).json()
    # 100 points × 150 % (gold) × 200 % (the campaign), + 5; cashback 3 % of 10,000,000 capped at 50,000
    assert quoted == {
        "rules_version": 1,
        "points": 305,
        "base_points": 150,
        "campaigns": ["yalda"],
        "cashback_rials": 50_000,
    }


SALE_MOMENTS = st.integers(1_577_836_800_000_000, 2_051_222_400_000_000)  # 2020 to 2035


@st.composite
def quotes(draw: st.DrawFn, rules: RuleSet) -> SaleContext:
    amount = draw(st.integers(0, 10**11))
    return SaleContext(
        branch_code=draw(st.sampled_from([c for c, _ in rules.branches] + ["THR", "NOWHERE"])),
        tier_code=draw(st.sampled_from([t.code for t in rules.tiers])),
        amount_rials=amount,
        discount_rials=draw(st.integers(0, amount)),
        at_us=draw(SALE_MOMENTS),
        category=draw(st.none() | st.sampled_from(rules.categories)) if rules.categories else None,
    )


# PostgreSQL's text holds no NUL (the server refuses it: test_an_invalid_rule_set_is_refused_whole)
storable = valid_rule_sets().filter(lambda r: "\\u0000" not in json.dumps(to_body(r)))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@given(rules=storable, data=st.data())
def test_the_servers_quote_is_the_domains_price(client, club_db, admin, rules, data):
    """Whatever the rule set and the sale, the server's quote over HTTP is app.domain.pricing's answer."""
    saved = put_rules(client, admin, rules)
    numbered = replace(rules, version=saved["version"])
    assert from_body(saved["body"]) == numbered
    for sale in data.draw(st.lists(quotes(numbered), min_size=1, max_size=4)):
        body = {
            "branch_code": sale.branch_code,
            "tier_code": sale.tier_code,
            "amount_rials": sale.amount_rials,
            "discount_rials": sale.discount_rials,
            "category": sale.category,
            "at_us": sale.at_us,
            "version": numbered.version,
        }
        response = client.post("/v1/admin/rules/quote", json=body, headers=admin)
        assert response.status_code == 200, response.text
        priced = price_sale(numbered, sale)
        assert response.json() == {
            "rules_version": priced.rules_version,
            "points": priced.points,
            "base_points": priced.base_points,
            "campaigns": list(priced.campaigns),
            "cashback_rials": priced.cashback_rials,
        }


# ---- published to terminals ------------------------------------------------------------------------------


def test_terminals_pull_every_version_in_order_after_its_tiers(client, club_db, admin, terminal):
    for n in range(3):
        put_rules(client, admin, replace(RULES, expiry_days=100 + n))
    changes = pull_all(client, terminal)
    rule_changes = [c for c in changes if c["kind"] == "rule_set"]
    assert [c["version"] for c in rule_changes] == [1, 2, 3]
    assert [c["seq"] for c in rule_changes] == sorted(c["seq"] for c in rule_changes)
    for change in rule_changes:
        assert from_body(change["body"]) == replace(
            RULES, version=change["version"], expiry_days=99 + change["version"]
        )
    gold = next(c for c in changes if c["kind"] == "tier" and c["tier"]["code"] == "gold")
    assert gold["seq"] < rule_changes[0]["seq"]  # a terminal has the tier before the rule set naming it
    assert gold["tier"] == {
        "code": "gold",
        "name_fa": "طلایی",
        "name_en": "Gold",
        "rank": 2,
        "threshold_points": 2_000,
        "multiplier_percent": 150,
    }


def test_tiers_follow_the_rule_set_ranks_swapped_and_a_tier_dropped(client, club_db, admin, terminal):
    put_rules(client, admin, RULES)
    bronze, silver, gold = RULES.tiers
    swapped = (bronze, replace(gold, rank=1, threshold=500), replace(silver, rank=2, threshold=2_000))
    put_rules(client, admin, replace(RULES, tiers=swapped))
    tiers = {t["code"]: t for t in client.get("/v1/admin/tiers", headers=admin).json()}
    assert (tiers["gold"]["rank"], tiers["silver"]["rank"]) == (1, 2)
    vip = TierRule("vip", "ویژه", "VIP", 2, threshold=9_000)
    put_rules(client, admin, replace(RULES, tiers=(bronze, replace(gold, rank=1, threshold=500), vip)))
    tiers = {t["code"]: t for t in client.get("/v1/admin/tiers", headers=admin).json()}
    assert (tiers["gold"]["rank"], tiers["vip"]["rank"]) == (1, 2)
    assert tiers["silver"]["rank"] == 1_000  # dropped: kept for the members in it, out of the way
    published = [c["tier"] for c in pull_all(client, terminal) if c["kind"] == "tier"]
    assert published[-1]["code"] == "vip" and {"code": "silver"}.items() <= published[-2].items()


def test_grant_settings_follow_the_rule_set(client, club_db, admin, terminal):
    put_rules(client, admin, RULES)
    settings_now = client.get("/v1/admin/settings", headers=admin).json()["settings"]
    assert (
        settings_now["grant_share_percent"],
        settings_now["grant_cap_points"],
        settings_now["grant_ttl_s"],
    ) == (
        "40",
        "1234",
        "36000",
    )
    published = {c["key"]: c["value"] for c in pull_all(client, terminal) if c["kind"] == "setting"}
    assert published["grant_cap_points"] == "1234"
    cursor = max(c["seq"] for c in pull_all(client, terminal))
    put_rules(client, admin, replace(RULES, expiry_days=30))  # the same policy: nothing published again
    assert [c["kind"] for c in pull_all(client, terminal, since=cursor)] == ["rule_set"]


def test_a_tier_or_branch_edited_after_a_rule_set_makes_a_new_version(client, club_db, admin):
    put_rules(client, admin, RULES)
    tier = {"code": "gold", "name_fa": "طلایی", "name_en": "Gold", "rank": 2, "threshold_points": 3_000}
    assert client.put("/v1/admin/tiers/gold", json=tier, headers=admin).status_code == 200
    current = from_body(client.get("/v1/admin/rules", headers=admin).json()["body"])
    assert current.version == 2
    assert current.tier("gold").threshold == 3_000
    assert current.tier("gold").cashback_bp == 300  # what the tier table does not hold is kept
    branch = client.get("/v1/admin/branches", headers=admin).json()[0]  # ISF
    edited = branch | {"earn_points_per_unit": 5}
    assert client.put(f"/v1/admin/branches/{branch['id']}", json=edited, headers=admin).status_code == 200
    current = from_body(client.get("/v1/admin/rules", headers=admin).json()["body"])
    assert current.version == 3 and current.branch_rules("ISF").earning.points_per_unit == 5
    assert client.put(f"/v1/admin/branches/{branch['id']}", json=edited, headers=admin).status_code == 200
    assert client.get("/v1/admin/rules", headers=admin).json()["version"] == 3  # no change, no version
    low = tier | {"threshold_points": 100}  # below silver's 500: the rule set refuses it
    response = client.put("/v1/admin/tiers/gold", json=low, headers=admin)
    assert response.status_code == 422 and response.json()["detail"]["path"] == "tiers.2.threshold"


# ---- the command line -------------------------------------------------------------------------------------


@pytest.fixture
def run(capsys, club_db):
    url = club_db.url.render_as_string(hide_password=False)

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--db", url, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


RULES_YAML = """\
# the club's programme, as an admin writes it
tiers:
  - {code: bronze, name_fa: برنزی, name_en: Bronze, rank: 0}
  - code: silver
    name_fa: نقره‌ای
    name_en: Silver
    rank: 1
    threshold: 500
    multiplier_percent: 125
  - code: gold
    name_fa: طلایی
    name_en: Gold
    rank: 2
    threshold: 2000
    multiplier_percent: 150
campaigns:
  - code: yalda
    name_fa: شب یلدا
    name_en: Yalda
    starts: 2025-12-20
    ends: 2025-12-22
    multiplier_percent: 200
expiry_days: 365
offline_grant: {share_percent: 20, max_points: 800, hours: 24}
"""


def test_import_export_show_and_versions(run, club_db, tmp_path: Path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES_YAML, encoding="utf-8")
    code, out, err = run("rules", "import", str(path))
    assert (code, out.strip()) == (0, "1"), err
    assert "saved as rule-set version 1" in err
    code, exported, _ = run("rules", "export")
    assert code == 0
    assert rules_file.parse(exported) == replace(rules_file.parse(RULES_YAML), version=1)
    assert "name_fa: طلایی" in exported
    json_path = tmp_path / "out.json"
    assert run("rules", "export", str(json_path))[0] == 0
    exported_body = json.loads(json_path.read_text(encoding="utf-8"))
    assert exported_body["version"] == 1
    code, out, err = run("rules", "import", str(json_path))  # unchanged: no new version to publish
    assert (code, out.strip()) == (0, "1") and "unchanged: still rule-set version 1" in err
    json_path.write_text(json.dumps(exported_body | {"campaigns": []}), encoding="utf-8")
    assert run("rules", "import", str(json_path))[1].strip() == "2"  # JSON, by its suffix
    code, out, _ = run("--json", "rules", "versions")
    assert [v["version"] for v in json.loads(out)["versions"]] == [1, 2]
    code, out, _ = run("rules", "versions")
    assert out.splitlines()[0].split()[0] == "1" and "cli" in out
    code, out, _ = run("--json", "rules", "show", "--version", "1")
    shown = json.loads(out)
    assert (shown["version"], shown["created_by"]) == (1, "cli")
    assert from_body(shown["body"]).offline_grant == OfflineGrantPolicy(20, 800, 24)
    code, out, _ = run("rules", "show")
    assert "rule set version 2" in out and "gold" in out and "after 365 days" in out
    assert run("rules", "show", "--version", "9")[0] == 2
    code, yaml_v1, _ = run("rules", "export", "--version", "1", "--format", "json")
    assert json.loads(yaml_v1)["version"] == 1
    with club_db.read() as conn:
        assert rule_sets.current(conn).version == 2


@pytest.mark.parametrize(
    ("edit", "line", "where"),
    [
        (
            lambda t: t.replace("threshold: 2000", "threshold: 400"),
            14,
            "tiers.2.threshold: not_above_previous_tier",
        ),
        (
            lambda t: t.replace("multiplier_percent: 200", "multiplier_percent: 2.5"),
            22,
            "campaigns.0.multiplier_percent: int_type",
        ),
        (
            lambda t: t.replace("rank: 2", "rank: 2000"),
            13,
            "tiers.2.rank: out_of_range",
        ),  # the server's own check
        (lambda t: t.replace("ends: 2025-12-22", "ends: [2025-12-22"), 21, "yaml_syntax"),
    ],
)
def test_an_invalid_file_is_refused_whole_with_its_line(run, club_db, tmp_path: Path, edit, line, where):  # noqa: PLR0917
    path = tmp_path / "rules.yaml"
    path.write_text(edit(RULES_YAML), encoding="utf-8")
    code, out, err = run("rules", "import", str(path))
    assert code == 2 and out == ""
    first = err.splitlines()[0]
    assert first.startswith(f"{path}:"), err
    assert first.split(":")[1] == str(line) or where == "yaml_syntax", err
    assert where in first
    with club_db.read() as conn:
        assert rule_sets.versions(conn) == []


def test_a_bad_json_file_names_its_line(run, club_db, tmp_path: Path):
    path = tmp_path / "rules.json"
    text = rules_file.dump(RULES, "json").replace('"rank": 1,', '"rank": 1,,')
    path.write_text(text, encoding="utf-8")
    code, _, err = run("rules", "import", str(path))
    line = next(i for i, row in enumerate(text.splitlines(), 1) if ",," in row)
    assert code == 2 and err.startswith(f"{path}:{line}: json_syntax"), err


def test_a_missing_file_is_refused(run, tmp_path: Path):
    code, _, err = run("rules", "import", str(tmp_path / "nothing.yaml"))
    assert code == 2 and "unreadable" in err


def test_export_of_version_0_reads_back(run, club_db):
    code, out, _ = run("rules", "export")
    assert code == 0
    with club_db.read() as conn:
        assert rules_file.parse(out) == rule_sets.legacy(conn)  # a whole, valid file before any version


def test_quote_at_t0_uses_the_rule_sets_calendar(client, club_db, admin):
    put_rules(client, admin, RULES)
    sale = {"branch_code": "THR", "tier_code": "bronze", "amount_rials": 1_000_000, "at_us": T0}
    assert client.post("/v1/admin/rules/quote", json=sale, headers=admin).json()["points"] == 10


def test_the_demo_club_brings_its_programme(db, client):
    """The server's demo publishes the terminal demo's rule set under its number; the daily run works on it
    and, run again at the same moment, writes nothing."""
    from sync.server import demo, programme

    demo.seed(db, T0, members_count=12)
    admin = bearer(admin_token(db))
    current = client.get("/v1/admin/rules", headers=admin).json()
    assert current["version"] == 1 and current["created_by"] == "demo"
    assert {t["code"] for t in current["body"]["tiers"]} == {"bronze", "silver", "gold"}
    later = T0 + 400 * 86_400_000_000
    db.write(lambda conn: programme.run(conn, later))
    assert db.write(lambda conn: programme.run(conn, later)).entries == []
