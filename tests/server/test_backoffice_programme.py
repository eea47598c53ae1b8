# SPDX-License-Identifier: GPL-3.0-or-later
"""The programme's pages and use cases: the versions, what changed, the editor (form and YAML) checked as the
import checks, publishing a version terminals pull, and what a sale would earn (over HTTP, both backends)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app import format as fmt
from app.domain.pricing import SaleContext, price_sale
from app.domain.programme import RuleSet
from sync.rules import from_body, to_body
from sync.server import rules as rule_sets
from sync.server.backoffice import texts
from sync.server.backoffice.pages import programme as page
from sync.server.club import programme
from sync.server.club.access import CONSOLE, Actor
from sync.server.club.act import Call
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.models import AUDIT
from tests.server.club import T0, FakeClock, Terminal, member, member_item, pull_all, push
from tests.server.office import add_every_role, sign_in
from tests.server.test_rules import RULES, RULES_YAML

YALDA_US = 1_766_300_000_000_000  # 2025-12-21, Tehran: the Yalda campaign of RULES runs
BACKOFFICE = Path(__file__).parents[2] / "sync" / "server" / "backoffice"


@pytest.fixture
def office(club_db: Database) -> Database:
    add_every_role(club_db)
    return club_db


def published(db: Database, rules: RuleSet = RULES, note: str = "") -> RuleSet:
    return programme.publish(Call(db, T0, CONSOLE), rules, note)


def versions(db: Database) -> list[int]:
    with db.read() as conn:
        return [v.version for v in rule_sets.versions(conn)]


def english(client: TestClient, csrf: str) -> None:
    assert client.post("/admin/lang", data={"lang": "en", "csrf_token": csrf}).status_code == 200


def form_of(html: str) -> dict[str, str | list[str]]:
    """The fields a form on the page would send as it stands (inputs and ticked boxes; textareas)."""
    fields: dict[str, str | list[str]] = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None or ('type="checkbox"' in tag and " checked" not in tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        text = value.group(1).replace("&#34;", '"').replace("&amp;", "&") if value else ""
        key = name.group(1)
        if key.endswith(".branches"):
            fields.setdefault(key, [])
            fields[key].append(text)  # type: ignore[union-attr]
        else:
            fields[key] = text
    return fields


def editor_form(client: TestClient) -> dict[str, str | list[str]]:
    html = client.get("/admin/programme/edit").text
    start = html.index('<form id="form-editor"')
    return form_of(html[start : html.index("</form>", start)])


# ---- the pages -------------------------------------------------------------------------------------------


def test_every_page_renders_in_persian_and_english(office: Database, client: TestClient):
    published(office, note="first version")
    csrf = sign_in(client, "owner")
    pages = [
        "/admin/programme",
        "/admin/programme/versions/0",
        "/admin/programme/versions/1",
        "/admin/programme/diff?a=0&b=1",
        "/admin/programme/edit",
        "/admin/programme/edit?mode=yaml",
        "/admin/programme/preview",
    ]
    for url in pages:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.text)
        assert 'dir="rtl"' in answer.text and "برنامه باشگاه" in answer.text, url
    overview = client.get("/admin/programme").text
    assert "first version" in overview and "cli" in overview  # who and why, in the versions
    assert "طلایی" in overview and "tier-gold" in overview and "شب یلدا" in overview
    english(client, csrf)
    for url in pages:
        answer = client.get(url)
        assert answer.status_code == 200 and 'dir="ltr"' in answer.text and "Programme" in answer.text, url
    overview = client.get("/admin/programme").text
    assert "Gold" in overview and "Yalda" in overview and "2025-12-20" in overview
    assert client.get("/admin/programme/versions/7").status_code == 404


def test_the_diff_lists_a_changed_multiplier(office: Database, client: TestClient):
    published(office)
    gold = replace(RULES.tiers[2], multiplier_percent=175)
    published(office, replace(RULES, tiers=(*RULES.tiers[:2], gold), expiry_days=None))
    sign_in(client, "auditor")
    answer = client.get("/admin/programme/diff?a=1&b=2")
    assert answer.status_code == 200
    assert "tiers.gold.multiplier_percent: 150 → 175" in answer.text
    assert "expiry_days: 365 → null" in answer.text
    assert "tiers.silver" not in answer.text  # what did not change is not listed
    assert "-  multiplier_percent: 150" in answer.text  # the text diff too


def test_changes_are_by_path_and_code():
    other = replace(
        RULES,
        tiers=(RULES.tiers[0], replace(RULES.tiers[1], discount_percent=5), RULES.tiers[2]),
        campaigns=(),
        categories=("food",),
    )
    yalda = to_body(RULES)["campaigns"][0]
    assert [c.text for c in programme.changes(RULES, other)] == [
        "tiers.silver.discount_percent: 0 → 5",
        "campaigns.yalda: − " + json.dumps(yalda, ensure_ascii=False, separators=(", ", ": ")),
        'categories: ["food", "books"] → ["food"]',
    ]
    assert programme.changes(RULES, replace(RULES, version=9)) == []
    # a branch named with the very figures of the defaults prices as before: no change
    named = replace(RULES, branches=(*RULES.branches, ("THR", RULES.branch_rules("THR"))))
    assert programme.changes(RULES, named) == []


# ---- checking and publishing ------------------------------------------------------------------------------


def test_a_yaml_with_an_error_is_shown_at_its_line(office: Database, client: TestClient):
    csrf = sign_in(client, "marketing")
    wrong = RULES_YAML.replace("threshold: 2000", "threshold: 400")
    data = {"csrf_token": csrf, "mode": "yaml", "yaml": wrong, "base_version": "0"}
    answer = client.post("/admin/programme/edit/validate", data=data, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert "<html" not in answer.text  # the editor alone, for htmx to swap
    assert "سطر ۱۴" in answer.text and "tiers.2.threshold" in answer.text
    assert "باید از سطح پیش از خود بیشتر باشد" in answer.text
    assert "threshold: 400" in answer.text  # the line itself
    textarea = re.search(r"<textarea[^>]*>", answer.text).group(0)  # type: ignore[union-attr]
    assert "is-invalid" in textarea and 'aria-describedby="yaml-problems"' in textarea
    assert 'id="yaml-problems"' in answer.text
    # every shape problem at once, each at its line; then the text as typed is kept in the editor
    two = RULES_YAML.replace("rank: 1\n", "rank: one\n").replace(
        "multiplier_percent: 200", "multiplier_percent: 2.5"
    )
    answer = client.post("/admin/programme/edit/validate", data=data | {"yaml": two})
    assert "tiers.1.rank" in answer.text and "سطر ۷" in answer.text
    assert "campaigns.0.multiplier_percent" in answer.text and "سطر ۲۲" in answer.text
    assert "rank: one" in answer.text
    refused = client.post("/admin/programme/edit/publish", data=data | {"note": "x"})
    assert refused.status_code == 422 and "سطر ۱۴" in refused.text
    assert versions(office) == []


def test_validate_yaml_is_the_imports_check():
    assert programme.validate_yaml(RULES_YAML) == []
    problems = programme.validate_yaml(RULES_YAML.replace("rank: 2", "rank: 2000"))
    assert [(p.line, p.path, p.reason) for p in problems] == [(13, "tiers.2.rank", "out_of_range")]
    problems = programme.validate_yaml(RULES_YAML.replace("ends: 2025-12-22", "ends: [2025-12-22"))
    assert [(p.line, p.reason) for p in problems] == [(22, "yaml_syntax")]  # where the parser stopped
    problems = programme.validate_yaml(RULES_YAML + "colour: red\n")
    last = RULES_YAML.count("\n") + 1
    assert [(p.line, p.path, p.reason) for p in problems] == [(last, "colour", "extra_forbidden")]


def test_a_valid_draft_shows_what_publishing_would_change(office: Database, client: TestClient):
    published(office)
    csrf = sign_in(client, "marketing")
    english(client, csrf)
    form = editor_form(client)
    form["tiers.2.multiplier_percent"] = "175"
    answer = client.post("/admin/programme/edit/validate", data=form, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "is-invalid" not in answer.text
    assert "Publishing it makes version 2" in answer.text
    assert "tiers.gold.multiplier_percent: 150 → 175" in answer.text
    assert versions(office) == [1]


def test_the_form_marks_the_offending_field(office: Database, client: TestClient):
    published(office)
    sign_in(client, "marketing")
    form = editor_form(client)
    form["tiers.2.threshold"] = "100"  # below silver's 500
    form["branches.THR.earning.rials_per_unit"] = "ده هزار"  # not an amount
    answer = client.post("/admin/programme/edit/validate", data=form)
    assert answer.status_code == 200 and "<html" in answer.text  # without htmx: the whole page
    for name in ("tiers.2.threshold", "branches.THR.earning.rials_per_unit"):
        tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', answer.text).group(0)  # type: ignore[union-attr]
        assert "is-invalid" in tag and 'aria-invalid="true"' in tag, tag
        described = re.search(r'aria-describedby="([^"]+)"', tag).group(1)  # type: ignore[union-attr]
        assert f'id="{described}"' in answer.text
    assert 'value="ده هزار"' in answer.text  # what was typed stays
    assert "باید از سطح پیش از خود بیشتر باشد" in answer.text
    assert versions(office) == [1]


def test_publishing_from_the_form_makes_the_next_version_a_terminal_pulls(
    office: Database, client: TestClient, terminal: Terminal
):
    published(office)
    cursor = max(c["seq"] for c in pull_all(client, terminal))
    sign_in(client, "marketing")
    form = editor_form(client)
    form["tiers.2.multiplier_percent"] = "175"
    form["branches.THR.earning.points_per_unit"] = "3"
    form["branches.THR.earning.min_sale_rials"] = "۵۰٬۰۰۰"  # Toman, Persian digits and grouping
    form["campaigns.0.starts"] = "1404/09/28"  # Jalali: 2025-12-19
    form["campaigns.0.branches"] = ["ISF"]
    form["campaigns.new.code"] = "nowruz"
    form["campaigns.new.name_fa"] = "نوروز"
    form["campaigns.new.name_en"] = "Nowruz"
    form["campaigns.new.starts"] = "2026-03-20"
    form["campaigns.new.ends"] = "2026-04-02"
    form["campaigns.new.multiplier_percent"] = "150"
    form["rewards.new.code"] = "mug"
    form["rewards.new.name_fa"] = "ماگ"
    form["rewards.new.name_en"] = "Mug"
    form["rewards.new.points"] = "300"
    form["rewards.new.stock.THR"] = "12"
    form["note"] = "gold earns more; Nowruz"
    answer = client.post("/admin/programme/edit/publish", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/admin/programme/versions/2?published=1"
    assert versions(office) == [1, 2]
    with office.read() as conn:
        saved = rule_sets.current(conn)
    assert saved.tier("gold").multiplier_percent == 175
    thr = saved.branch_rules("THR").earning
    assert (thr.points_per_unit, thr.min_sale_rials) == (3, 500_000)
    assert saved.branch_rules("ISF") == RULES.branch_rules("ISF")
    yalda, nowruz = saved.campaigns
    assert (yalda.starts, yalda.branches) == (date(2025, 12, 19), ("ISF",))
    assert (nowruz.code, nowruz.multiplier_percent, nowruz.ends) == ("nowruz", 150, date(2026, 4, 2))
    assert saved.reward("mug").stock == (("THR", 12),)
    # audited: who, the version numbers before and after, the note
    with office.read() as conn:
        row = conn.execute(
            select(AUDIT).where(AUDIT.c.action == "rules.publish").order_by(AUDIT.c.id.desc())
        ).first()
    detail = json.loads(row.detail)
    assert row.actor.startswith("user:marketing")
    assert (detail["before"], detail["after"], detail["note"]) == (
        {"version": 1},
        {"version": 2},
        "gold earns more; Nowruz",
    )
    # the terminal receives it, with the branch's new earning in the branch table
    changes = pull_all(client, terminal, since=cursor)
    rule_set = [c for c in changes if c["kind"] == "rule_set"]
    assert [c["version"] for c in rule_set] == [2] and from_body(rule_set[0]["body"]) == saved
    branch = next(c["branch"] for c in changes if c["kind"] == "branch")
    assert (branch["code"], branch["earn_points_per_unit"], branch["earn_min_sale_rials"]) == (
        "THR",
        3,
        500_000,
    )
    shown = client.get(answer.headers["location"]).text
    assert "gold earns more; Nowruz" in shown and "نوروز" in shown


def test_publishing_the_yaml_and_removing_from_the_form(office: Database, client: TestClient):
    csrf = sign_in(client, "owner")
    data = {
        "csrf_token": csrf,
        "mode": "yaml",
        "yaml": RULES_YAML,
        "base_version": "0",
        "note": "from a file",
    }
    answer = client.post("/admin/programme/edit/publish", data=data, follow_redirects=False)
    assert answer.status_code == 303 and versions(office) == [1]
    form = editor_form(client)
    form["campaigns.0.remove"] = "1"
    form["campaigns.new.code"] = "spring"  # the new one is campaigns.0 once yalda is gone
    form["campaigns.new.name_fa"] = "بهار"
    form["campaigns.new.name_en"] = "Spring"
    form["campaigns.new.starts"] = "2026-04-10"
    form["campaigns.new.ends"] = "2026-04-01"  # before its start
    form["campaigns.new.multiplier_percent"] = "120"
    answer = client.post("/admin/programme/edit/validate", data=form)
    tag = re.search(r'<input[^>]*name="campaigns\.new\.ends"[^>]*>', answer.text).group(0)  # type: ignore[union-attr]
    assert "is-invalid" in tag and "پایان پیش از آغاز است" in answer.text
    form["campaigns.new.ends"] = "2026-04-20"
    assert client.post("/admin/programme/edit/publish", data=form, follow_redirects=False).status_code == 303
    with office.read() as conn:
        assert [c.code for c in rule_sets.current(conn).campaigns] == ["spring"]


def test_a_publish_over_a_newer_version_is_refused(office: Database, client: TestClient):
    published(office)
    sign_in(client, "marketing")
    form = editor_form(client)  # opened on version 1
    published(office, replace(RULES, expiry_days=30))  # someone else publishes version 2
    form["tiers.2.multiplier_percent"] = "175"
    answer = client.post("/admin/programme/edit/publish", data=form, follow_redirects=False)
    assert answer.status_code == 409 and "نسخه تازه‌ای منتشر شده است" in answer.text
    assert versions(office) == [1, 2]


@pytest.mark.parametrize("role", ["auditor", "branch-manager"])
def test_who_may_publish(office: Database, client: TestClient, role: str):
    published(office)
    csrf = sign_in(client, role.replace("-", ""))
    assert client.get("/admin/programme").status_code == 200  # reading the programme is everyone's
    assert client.get("/admin/programme/edit").status_code == 403
    data = {"csrf_token": csrf, "mode": "yaml", "yaml": RULES_YAML, "base_version": "1"}
    for url in ("/admin/programme/edit/validate", "/admin/programme/edit/publish"):
        assert client.post(url, data=data, follow_redirects=False).status_code == 403
    assert versions(office) == [1]
    assert "/admin/programme/edit" not in client.get("/admin/programme").text  # no button to a refusal


def test_the_use_cases_check_the_role(office: Database):
    for role, allowed in (
        ("marketing", True),
        ("manager", True),
        ("auditor", False),
        ("branch-manager", False),
    ):
        actor = Actor(
            id=role, name=role, role=role, branch_ids=frozenset({"x"}) if role == "branch-manager" else None
        )
        call = Call(office, T0, actor)
        if allowed:
            assert programme.publish(call, RULES_YAML).version == len(versions(office))
        else:
            with pytest.raises(ApiError) as refused:
                programme.publish(call, RULES_YAML)
            assert refused.value.status == 403
    assert versions(office) == [1, 2]
    with pytest.raises(programme.RulesRefusedError) as refused:
        programme.publish(Call(office, T0, CONSOLE), RULES_YAML.replace("rank: 2", "rank: 2000"))
    assert [(p.line, p.path) for p in refused.value.problems] == [(13, "tiers.2.rank")]
    assert versions(office) == [1, 2]


def test_a_post_without_the_csrf_token_changes_nothing(office: Database, client: TestClient):
    sign_in(client, "owner")
    data = {"mode": "yaml", "yaml": RULES_YAML, "base_version": "0"}
    assert client.post("/admin/programme/edit/publish", data=data, follow_redirects=False).status_code == 403
    assert versions(office) == []


def test_what_was_typed_is_shown_as_text(office: Database, client: TestClient):
    published(office)
    sign_in(client, "marketing")
    form = editor_form(client)
    form["campaigns.0.name_fa"] = form["campaigns.0.name_en"] = "<script>alert(1)</script>"
    form["note"] = "<b>bold</b>"
    assert client.post("/admin/programme/edit/publish", data=form, follow_redirects=False).status_code == 303
    for url in ("/admin/programme", "/admin/programme/versions/2", "/admin/programme/diff?a=1&b=2"):
        text = client.get(url).text
        assert "<script>alert(1)</script>" not in text and "<b>bold</b>" not in text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, url


# ---- the grant settings and the branch table --------------------------------------------------------------


def test_a_branch_edit_after_the_form_keeps_the_programmes_earning(
    office: Database, client: TestClient, admin
):
    """The form changes a branch's earning in the rule set; the branch table follows, so renaming the branch
    through the admin API does not carry its old earning back as a new version."""
    published(office)
    sign_in(client, "marketing")
    form = editor_form(client)
    form["branches.THR.earning.points_per_unit"] = "4"
    assert client.post("/admin/programme/edit/publish", data=form, follow_redirects=False).status_code == 303
    thr = next(b for b in client.get("/v1/admin/branches", headers=admin).json() if b["code"] == "THR")
    assert thr["earn_points_per_unit"] == 4
    renamed = client.put(f"/v1/admin/branches/{thr['id']}", json=thr | {"name_en": "Tehran 1"}, headers=admin)
    assert renamed.status_code == 200
    assert versions(office) == [1, 2]


# ---- what a sale would earn --------------------------------------------------------------------------------


def quote_figures(html: str) -> tuple[str, str]:
    points = re.search(r'data-testid="quote-points">([^<]*)<', html).group(1)  # type: ignore[union-attr]
    cashback = re.search(r'data-testid="quote-cashback">([^<]*)<', html).group(1)  # type: ignore[union-attr]
    return points, cashback


def silver_member(client: TestClient, terminal: Terminal, admin: dict[str, str]) -> str:
    """A member the club placed in silver (a server entry, as the back office places one)."""
    m = member()
    push(client, terminal, [], [member_item(m)])
    moved = client.patch(f"/v1/admin/members/{m.id}", json={"tier_code": "silver"}, headers=admin)
    assert moved.status_code == 200 and moved.json()["tier_code"] == "silver", moved.text
    return m.id


def test_the_preview_is_the_domains_price(
    office: Database, client: TestClient, clock: FakeClock, terminal, admin
):
    published(office)
    csrf = sign_in(client, "auditor")
    english(client, csrf)
    silver = silver_member(client, terminal, admin)
    cases = [
        (
            {"tier_code": "gold", "branch_code": "THR", "amount": "1000000", "day": "2025-12-21"},
            "gold",
            "THR",
        ),
        (
            {"tier_code": "gold", "branch_code": "THR", "amount": "1,000,000", "day": "1404/09/30"},
            "gold",
            "THR",
        ),
        (
            {"member_id": silver, "branch_code": "ISF", "amount": "۲۵۰۰۰۰", "category": "food"},
            "silver",
            "ISF",
        ),
    ]
    for sent, tier, branch in cases:
        answer = client.post("/admin/programme/preview", data={"csrf_token": csrf} | sent)
        assert answer.status_code == 200, answer.text
        rials = (
            int(re.sub(r"\D", "", sent["amount"].translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")))) * 10
        )
        at_us = (
            clock.now if "day" not in sent else RULES.day_start_us(date(2025, 12, 21)) + 12 * 3_600_000_000
        )
        priced = price_sale(
            replace(RULES, version=1), SaleContext(branch, tier, rials, 0, at_us, sent.get("category"))
        )
        assert quote_figures(answer.text) == (
            fmt.number(priced.points, "en"),
            fmt.toman(priced.cashback_rials, "en"),
        )
        if "day" in sent:
            assert priced.campaigns == ("yalda",) and "Yalda" in answer.text
    fragment = client.post(
        "/admin/programme/preview",
        data={"csrf_token": csrf, "tier_code": "gold", "branch_code": "THR", "amount": "12x"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text  # htmx swaps the form and its answer
    assert (
        'aria-describedby="sale-amount-error"' in fragment.text and 'id="sale-amount-error"' in fragment.text
    )
    unknown = client.post(
        "/admin/programme/preview",
        data={"csrf_token": csrf, "member_id": "nobody", "branch_code": "THR", "amount": "100"},
    )
    assert unknown.status_code == 422 and "No member has this id." in unknown.text


def test_the_preview_of_a_draft(office: Database, client: TestClient):
    csrf = sign_in(client, "marketing")
    draft = RULES_YAML.replace("multiplier_percent: 150", "multiplier_percent: 300")
    sent = {"csrf_token": csrf, "tier_code": "gold", "branch_code": "THR", "amount": "1000000", "yaml": draft}
    answer = client.post("/admin/programme/preview", data=sent, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and 'hx-include="#rules-yaml"' in answer.text
    draft_rules = programme.check_yaml(draft)[0]
    priced = price_sale(draft_rules, SaleContext("THR", "gold", 10_000_000, 0, T0))
    assert priced.points == 300 and quote_figures(answer.text)[0] == fmt.number(priced.points, "fa")
    assert versions(office) == []  # a preview publishes nothing


def test_a_quote_for_a_member_is_audited(office: Database, client: TestClient, terminal, admin):
    silver = silver_member(client, terminal, admin)
    call = Call(office, T0, Actor(id="a", name="auditor", role="auditor"))
    quoted = programme.quote(call, branch_code="ISF", amount_rials=2_000_000, member_id=silver)
    assert (quoted.tier.code, quoted.points) == ("silver", 50)
    with office.read() as conn:
        actions = [r.target for r in conn.execute(select(AUDIT).where(AUDIT.c.action == "rules.quote"))]
    assert actions == [silver]
    # a tier's quote shows no one's data: not audited
    programme.quote(call, branch_code="ISF", amount_rials=2_000_000, tier_code="silver")
    with office.read() as conn:
        assert len(conn.execute(select(AUDIT).where(AUDIT.c.action == "rules.quote")).all()) == 1


# ---- the words -------------------------------------------------------------------------------------------


def test_every_word_of_the_programme_pages_has_its_persian():
    sources = [
        *(BACKOFFICE / "templates" / "programme").glob("*.html"),
        BACKOFFICE / "pages" / "programme.py",
    ]
    said = set()
    for source in sources:
        text = source.read_text(encoding="utf-8")
        said |= set(re.findall(r'_\(\s*"((?:[^"\\]|\\.)*)"\s*\)', text))
        said |= set(re.findall(r"_\(\s*'((?:[^'\\]|\\.)*)'\s*\)", text))
    said |= set(page.REASONS.values()) | {"changed", "added", "removed"}
    assert len(said) > 100
    assert sorted(s for s in said if s not in texts.FA) == []
    for code in ("invalid_rules", "rules_changed", "unknown_member", "unknown_tier", "setting_in_rule_set"):
        assert code in texts.ERRORS_FA
