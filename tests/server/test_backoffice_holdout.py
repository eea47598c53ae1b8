# SPDX-License-Identifier: GPL-3.0-or-later
"""A campaign's holdout in the programme editor: the field (Persian and English label, its help), saved into
the next version terminals pull, shown in the version's campaign table, and refused outside 0 to 50 at its
field."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from sync import rules_file
from sync.rules import from_body
from sync.server import rules as rule_sets
from sync.server.db import Database
from tests.server.club import Terminal, pull_all
from tests.server.office import sign_in
from tests.server.test_backoffice_programme import editor_form, english, office, published, versions
from tests.server.test_rules import RULES_YAML, run

__all__ = ["office", "run"]


def _holdout_input(html: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html).group(0)  # type: ignore[union-attr]


def test_the_editor_shows_the_holdout_with_its_help(office: Database, client: TestClient):
    published(office)
    csrf = sign_in(client, "marketing")
    html = client.get("/admin/programme/edit").text
    assert 'value="0"' in _holdout_input(html, "campaigns.0.holdout_percent")
    assert "گروه شاهد" in html and "به‌تصادف از کمپین کنار گذاشته می‌شوند" in html
    english(client, csrf)
    html = client.get("/admin/programme/edit").text
    html = html.replace("&#39;", "'")
    assert "Holdout" in html and "Members left out at random to measure the campaign's effect" in html


def test_a_holdout_typed_in_the_form_is_published_and_pulled(
    office: Database, client: TestClient, terminal: Terminal
):
    published(office)
    cursor = max(c["seq"] for c in pull_all(client, terminal))
    sign_in(client, "marketing")
    form = editor_form(client)
    form["campaigns.0.holdout_percent"] = "۱۵"  # Persian digits
    answer = client.post("/admin/programme/edit/publish", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    with office.read() as conn:
        saved = rule_sets.current(conn)
    assert saved.campaigns[0].holdout_percent == 15
    rule_set = [c for c in pull_all(client, terminal, since=cursor) if c["kind"] == "rule_set"]
    assert rule_set[0]["body"]["campaigns"][0]["holdout_percent"] == 15
    assert from_body(rule_set[0]["body"]) == saved
    # the version's page shows the share in the campaign table
    shown = client.get(answer.headers["location"]).text
    assert "گروه شاهد" in shown and "۱۵٪" in shown
    # the form opens on it, and setting it back to 0 leaves the body as one without holdouts
    form = editor_form(client)
    assert form["campaigns.0.holdout_percent"] == "15"
    form["campaigns.0.holdout_percent"] = "0"
    assert client.post("/admin/programme/edit/publish", data=form, follow_redirects=False).status_code == 303
    with office.read() as conn:
        assert rule_sets.current(conn).campaigns[0].holdout_percent == 0
    assert versions(office) == [1, 2, 3]


def test_a_holdout_over_half_is_marked_at_its_field(office: Database, client: TestClient):
    published(office)
    sign_in(client, "marketing")
    form = editor_form(client)
    form["campaigns.0.holdout_percent"] = "60"
    answer = client.post("/admin/programme/edit/validate", data=form)
    tag = _holdout_input(answer.text, "campaigns.0.holdout_percent")
    assert "is-invalid" in tag and 'value="60"' in tag
    assert "بیرون از بازه مجاز است" in answer.text
    assert versions(office) == [1]


def test_the_rule_set_file_carries_the_holdout(run, tmp_path: Path):
    """`rules import` reads a campaign's holdout from YAML, `rules export` writes it, `rules show` says it;
    a file without it (written before holdouts) holds nobody out."""
    path = tmp_path / "rules.yaml"
    double = "multiplier_percent: 200"
    with_holdout = RULES_YAML.replace(double, double + "\n    holdout_percent: 20")
    assert with_holdout != RULES_YAML
    path.write_text(with_holdout, encoding="utf-8")
    assert run("rules", "import", str(path))[0] == 0
    code, exported, _ = run("rules", "export")
    assert code == 0 and rules_file.parse(exported).campaigns[0].holdout_percent == 20
    assert "20% held out" in run("rules", "show")[1]
    path.write_text(RULES_YAML, encoding="utf-8")
    assert run("rules", "import", str(path))[0] == 0
    code, exported, _ = run("rules", "export")
    assert rules_file.parse(exported).campaigns[0].holdout_percent == 0 and "holdout" not in exported
    assert "held out" not in run("rules", "show")[1]
