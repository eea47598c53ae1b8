# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile rule-set files and bodies are refused quickly, whole, with one line: through the real
`bashgah-server rules import` (a subprocess, as an admin runs it) and through `PUT /v1/admin/rules`.

Each case once hung, crashed with a traceback or was accepted and published (the hardening issue, item 4):
a 9-level YAML alias bomb ran for minutes, deep nesting was a RecursionError (exit 1), and a 10 MB rule
set of 110,000 free services was saved and sent to every terminal. pytest-timeout's marker is a safety net
against a hang, not an assertion on speed.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from sync import rules_file
from sync.rules import MAX_DEPTH, MAX_TEXT_BYTES, to_body
from sync.server import rules as rule_sets
from sync.server.db import Database
from tests.server.club import pull_all
from tests.server.test_rules import RULES
from tests.support.server_process import server_command

pytestmark = pytest.mark.timeout(120)

TIER = {"code": "bronze", "name_fa": "برنزی", "name_en": "Bronze", "rank": 0}


def alias_bomb() -> str:
    """Nine lines of nine aliases to the line above: 9**9 strings behind ~350 bytes."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for above, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join([f'*{above}'] * 9)}]")
    lines.append("tiers: [*i]")
    return "\n".join(lines) + "\n"


def deep_yaml() -> str:
    return "tiers: " + "[" * 100_000 + "]" * 100_000 + "\n"


def deep_json() -> str:
    return '{"tiers": ' + "[" * 100_000 + "]" * 100_000 + "}\n"


def ten_megabytes() -> str:
    """The issue's file: 110,000 free services of ~90 bytes each, 10 MB of JSON."""
    services = [f"free service number {i:06d}, " + "x" * 60 for i in range(110_000)]
    return json.dumps({"tiers": [TIER | {"free_services": services}]})


def many_entries() -> str:
    """110,000 free services in 440 KB: under the size cap, over the list's."""
    return (
        "tiers:\n  - {code: bronze, name_fa: b, name_en: B, rank: 0,\n     free_services: ["
        + ",".join(["s"] * 110_000)
        + "]}\n"
    )


def long_number() -> str:
    """A number of 5,000 digits: Python refuses to convert it (a ValueError, once a traceback)."""
    return "tiers:\n  - {code: bronze, name_fa: b, name_en: B, rank: " + "9" * 5_000 + "}\n"


HOSTILE: list[tuple[str, Callable[[], str], str, str]] = [
    # (file name, text, what the one line says after the name, …and its detail)
    ("bomb.yaml", alias_bomb, ":5: alias_limit", "at most 50000"),
    ("deep.yaml", deep_yaml, ":1: nesting_too_deep", f"at most {MAX_DEPTH} levels"),
    ("deep.json", deep_json, ":1: nesting_too_deep", f"at most {MAX_DEPTH} levels"),
    ("big.json", ten_megabytes, ": too_large", "limit 1 MB"),
    ("many.yaml", many_entries, ":3: tiers.0.free_services: too_long", "at most 50 items"),
    ("number.yaml", long_number, ":2: value_too_long", "at most 4096 characters"),
]


def versions(db: Database) -> list[int]:
    with db.read() as conn:
        return [v.version for v in rule_sets.versions(conn)]


@pytest.mark.parametrize(("name", "text", "said", "detail"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_the_command_refuses_a_hostile_file_in_one_line(  # noqa: PLR0917
    club_db: Database, tmp_path: Path, name: str, text: Callable[[], str], said: str, detail: str
) -> None:
    path = tmp_path / name
    path.write_text(text(), encoding="utf-8")
    url = club_db.url.render_as_string(hide_password=False)
    ran = subprocess.run(
        [*server_command(), "--db", url, "rules", "import", str(path)],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert ran.returncode == 2, ran.stderr
    assert "Traceback" not in ran.stderr and ran.stdout == ""
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}{said}") and detail in lines[0], ran.stderr
    assert versions(club_db) == []  # nothing saved, nothing published


def test_the_command_reads_no_further_than_the_cap(club_db: Database) -> None:
    """A file that never ends is refused after the cap's bytes, not read to the end of memory."""
    url = club_db.url.render_as_string(hide_password=False)
    ran = subprocess.run(
        [*server_command(), "--db", url, "rules", "import", "/dev/zero", "--format", "yaml"],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert (ran.returncode, ran.stderr.strip()) == (2, "/dev/zero: too_large (limit 1 MB)")
    assert versions(club_db) == []


def test_a_file_at_the_caps_is_still_a_rule_set(tmp_path: Path) -> None:
    """The caps are far above a real club: the largest file they allow of one kind still reads."""
    services = [f"s{i}" for i in range(50)]
    text = rules_file.dump(RULES, "yaml").replace("free_services: []", f"free_services: {services}", 1)
    assert len(text.encode()) < MAX_TEXT_BYTES
    assert rules_file.parse(text).tiers[0].free_services == tuple(services)


# ---- the admin API -------------------------------------------------------------------------------------


def put_raw(client, admin, text: str):
    headers = admin | {"Content-Type": "application/json"}
    return client.put("/v1/admin/rules", content=text.encode("utf-8"), headers=headers)


def too_many_services() -> str:
    return json.dumps({"tiers": [TIER | {"free_services": ["s"] * 110_000}]})


def too_many_campaigns() -> str:
    body = to_body(RULES)
    campaign = body["campaigns"][0]
    body["campaigns"] = [campaign | {"code": f"c{i}"} for i in range(501)]
    return json.dumps(body)


@pytest.mark.parametrize(
    ("text", "path", "reason"),
    [
        (deep_json, "", "nesting_too_deep"),
        (ten_megabytes, "", "too_large"),
        (too_many_services, "tiers.0.free_services", "too_long"),
        (too_many_campaigns, "campaigns", "too_long"),
        (lambda: '{"tiers": [{"rank": ' + "9" * 5_000 + "}]}", "", "value_too_long"),
    ],
    ids=["deep", "10MB", "110000-entries", "501-campaigns", "long-number"],
)
def test_the_api_refuses_a_hostile_body_with_422(client, club_db, admin, terminal, text, path, reason):  # noqa: PLR0917
    before = pull_all(client, terminal)
    response = put_raw(client, admin, text())
    assert response.status_code == 422, response.text[:500]
    detail = response.json()["detail"]
    assert (detail["code"], detail["path"], detail["reason"]) == ("invalid_rules", path, reason)
    assert len(response.content) < 2_000  # the refusal, not an echo of the body
    assert versions(club_db) == []
    assert pull_all(client, terminal) == before  # nothing published


def test_the_api_refuses_a_body_that_is_not_an_object(client, club_db, admin):
    for text, reason in (("[]", "model_type"), ("{", "json_syntax"), ("", "json_syntax")):
        response = put_raw(client, admin, text)
        assert response.status_code == 422, response.text
        assert response.json()["detail"]["reason"] == reason
    not_utf8 = client.put("/v1/admin/rules", content=b'{"tiers": "\xff"}', headers=admin)
    assert (not_utf8.status_code, not_utf8.json()["detail"]["reason"]) == (422, "not_utf8")
    assert versions(club_db) == []


def test_the_api_checks_the_role_before_reading_the_body(client, club_db):
    response = put_raw(client, {}, deep_json())
    assert response.status_code == 401
