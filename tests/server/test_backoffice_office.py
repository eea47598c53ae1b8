# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office's own pages: branches, users and the audit log (over HTTP, sqlite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sync.protocol import WireBranch
from sync.server import club
from sync.server.club import branch_admin
from sync.server.club.access import Actor
from sync.server.club.act import Call
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.models import AUDIT, BRANCH
from tests.server.club import BRANCH_1, T0, Terminal, pull_all
from tests.server.office import PASSWORD, add_every_role, add_user, sign_in


@pytest.fixture
def names(club_db: Database) -> dict[str, str]:
    return add_every_role(club_db)


def _last_audit(db: Database, action: str) -> dict:
    with db.read() as conn:
        row = conn.execute(
            select(AUDIT).where(AUDIT.c.action == action).order_by(AUDIT.c.id.desc()).limit(1)
        ).first()
    assert row is not None, action
    return {"actor": row.actor, "target": row.target, **json.loads(row.detail)}


def test_an_owner_adds_renames_and_closes_a_branch(club_db, client, names, terminal: Terminal):
    csrf = sign_in(client, names["owner"])
    added = client.post(
        "/admin/branches",
        data={
            "csrf_token": csrf,
            "code": "shz",
            "name_fa": "شیراز",
            "name_en": "Shiraz",
            "points_per_unit": 3,
        },
    )
    assert added.status_code == 200 and "شیراز" in added.text
    with club_db.read() as conn:
        shiraz = conn.execute(select(BRANCH).where(BRANCH.c.code == "SHZ")).one()
    assert shiraz.earn_points_per_unit == 3 and shiraz.earn_rials_per_unit == 100_000
    assert _last_audit(club_db, "branch.put")["after"]["name_en"] == "Shiraz"
    client.post(
        f"/admin/branches/{shiraz.id}/rename",
        data={"csrf_token": csrf, "name_fa": "شیراز مرکزی", "name_en": "Shiraz Centre"},
    )
    renamed = _last_audit(club_db, "branch.rename")
    assert renamed["before"]["name_en"] == "Shiraz" and renamed["after"]["name_en"] == "Shiraz Centre"
    branches = [c["branch"] for c in pull_all(client, terminal) if c["kind"] == "branch"]
    assert branches[-1]["name_fa"] == "شیراز مرکزی"  # the terminals follow
    page = client.post(f"/admin/branches/{shiraz.id}/close", data={"csrf_token": csrf}).text
    assert "بسته" in page
    with club_db.read() as conn, pytest.raises(ApiError) as refused:
        club.require_open_branch(conn, shiraz.id)
    assert refused.value.code == "branch_closed"
    refused_code = client.post(
        "/admin/terminals/codes", data={"csrf_token": csrf, "branch_id": shiraz.id, "ttl_hours": "24"}
    )
    assert refused_code.status_code == 409
    client.post(f"/admin/branches/{shiraz.id}/reopen", data={"csrf_token": csrf})
    with club_db.read() as conn:
        club.require_open_branch(conn, shiraz.id)


def test_a_duplicate_branch_code_is_refused_in_the_page(club_db, client, names):
    csrf = sign_in(client, names["owner"])
    answer = client.post(
        "/admin/branches", data={"csrf_token": csrf, "code": "THR", "name_fa": "دو", "name_en": "Two"}
    )
    assert answer.status_code == 409 and "این کد شعبه به کار رفته است." in answer.text


def test_a_manager_may_not_change_branches_even_through_the_use_case(club_db):
    manager = Actor(id="m", name="m", role="manager")
    with pytest.raises(ApiError) as refused:
        branch_admin.set_closed(Call(club_db, T0, manager), BRANCH_1, True)
    assert refused.value.status == 403


def test_an_owner_manages_users_and_a_new_user_can_log_in(club_db, client, names):
    csrf = sign_in(client, names["owner"])
    answer = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "name": "sara",
            "role": "branch-manager",
            "password": PASSWORD,
            "branch": BRANCH_1,
        },
    )
    assert answer.status_code == 200 and "sara" in answer.text
    other = TestClient(client.app)
    sign_in(other, "sara")
    assert "sara · مدیر شعبه" in other.get("/admin/").text
    weak = client.post(
        "/admin/users", data={"csrf_token": csrf, "name": "ali", "role": "auditor", "password": "short"}
    )
    assert weak.status_code == 422 and "۱۰" in weak.text
    client.post("/admin/users/sara/disable", data={"csrf_token": csrf})
    assert other.get("/admin/", follow_redirects=False).status_code == 303
    assert _last_audit(club_db, "user.disable")["after"]["disabled"] is True


def test_the_audit_log_shows_before_and_after_and_filters(club_db, client, names):
    add_user(club_db, "target.user", "marketing")
    csrf = sign_in(client, names["owner"])
    client.post(
        f"/admin/branches/{BRANCH_1}/rename",
        data={"csrf_token": csrf, "name_fa": "تهران <b>", "name_en": "Tehran <script>"},
    )
    page = client.get("/admin/audit", params={"action": "branch."}).text
    assert "branch.rename" in page and "user.add" not in page
    assert "Tehran &lt;script&gt;" in page and "<script>" not in page.split("</head>")[1]
    by_target = client.get("/admin/audit", params={"target": "target.user"}).text
    assert "user.add" in by_target and "branch.rename" not in by_target
    assert _last_audit(club_db, "audit.read")["actor"].startswith("user:owner")


def test_the_audit_log_pages_back_through_history(club_db, client, names):
    csrf = sign_in(client, names["owner"])
    for i in range(60):
        client.post(
            f"/admin/branches/{BRANCH_1}/rename",
            data={"csrf_token": csrf, "name_fa": f"تهران {i}", "name_en": f"Tehran {i}"},
        )
    first = client.get("/admin/audit", params={"action": "branch.rename"}).text
    cell = '<td dir="ltr" class="text-start">branch.rename</td>'
    assert first.count(cell) == 50 and "before=" in first
    before = first.split("before=")[1].split('"')[0]
    older = client.get(
        "/admin/audit", params={"action": "branch.rename", "before": before}, headers={"HX-Request": "true"}
    ).text
    assert older.count(cell) == 10 and "<html" not in older


@pytest.mark.parametrize("role", ["manager", "branch-manager", "marketing"])
def test_only_owners_and_auditors_read_the_audit_log(role, club_db, client, names):
    sign_in(client, names[role])
    assert client.get("/admin/audit").status_code == 403
    assert "/admin/audit" not in client.get("/admin/").text  # and the menu does not offer it


def test_a_branch_record_pushed_back_is_the_published_one(club_db):
    """put() publishes exactly the record it stores."""
    call = Call(club_db, T0, Actor(id="o", name="o", role="owner"))
    branch = WireBranch(
        id=BRANCH_1, code="THR", name_fa="تهران", name_en="Tehran", earn_points_per_unit=5,
        earn_rials_per_unit=100_000, redeem_rials_per_point=1_000, redeem_max_share_percent=50,
    )  # fmt: skip
    assert branch_admin.put(call, branch) == branch


def test_an_owner_changes_a_setting_and_terminals_follow(club_db, client, names, terminal: Terminal):
    csrf = sign_in(client, names["owner"])
    page = client.post("/admin/settings/club_name_fa", data={"csrf_token": csrf, "value": "باشگاه <نو>"})
    assert page.status_code == 200 and "باشگاه &lt;نو&gt;" in page.text
    changed = _last_audit(club_db, "setting.put")
    assert changed["before"] == {"club_name_fa": "باشگاه"} and changed["after"] == {
        "club_name_fa": "باشگاه <نو>"
    }
    published = [
        c for c in pull_all(client, terminal) if c["kind"] == "setting" and c["key"] == "club_name_fa"
    ]
    assert published[-1]["value"] == "باشگاه <نو>"
    refused = client.post("/admin/settings/grant_cap_points", data={"csrf_token": csrf, "value": "10"})
    assert refused.status_code == 409 and "قواعد" in refused.text
    bad = client.post("/admin/settings/revocation_max_age_s", data={"csrf_token": csrf, "value": "5"})
    assert bad.status_code == 422


@pytest.mark.parametrize("role", ["manager", "branch-manager", "marketing", "auditor"])
def test_only_owners_change_settings(role, club_db, client, names):
    csrf = sign_in(client, names[role])
    assert client.get("/admin/settings").status_code == 200  # everyone sees them
    answer = client.post("/admin/settings/club_name_en", data={"csrf_token": csrf, "value": "Mine"})
    assert answer.status_code == 403


def test_head_office_enrols_a_member_whom_every_terminal_then_has(club_db, client, names, terminal: Terminal):
    csrf = sign_in(client, names["marketing"])
    form = {
        "csrf_token": csrf,
        "name": "نسرین <b>",
        "phone": "۰۹۱۲۳۴۵۶۷۸۹",
        "branch_id": BRANCH_1,
        "consent": "yes",
    }
    answer = client.post("/admin/members/new", data=form, follow_redirects=False)
    assert answer.status_code == 303
    member_id = answer.headers["location"].rsplit("/", 1)[-1]
    published = [c["member"] for c in pull_all(client, terminal) if c["kind"] == "member"]
    assert published[-1]["id"] == member_id and published[-1]["phone"] == "+989123456789"
    assert _last_audit(club_db, "member.enrol")["after"]["consent_marketing"] is True
    again = client.post("/admin/members/new", data=form | {"name": "Another"})
    assert again.status_code == 409  # the same phone: said in the page, nothing written
    sign_in(auditor := TestClient(client.app), names["auditor"])
    assert auditor.get("/admin/members/new").status_code == 403
