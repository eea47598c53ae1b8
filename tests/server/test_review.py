# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's review of what the server set aside: listed with why, and counted after all when a manager
accepts it (published as an entry; audited); what would count twice or was edited cannot be accepted."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.domain.ledger import EntryKind
from sync.server.cli import main
from sync.server.models import AUDIT, BALANCE
from tests.server.club import admin_token, member, member_item, pull_all, push


def points(db, member_id: str) -> int:
    with db.read() as conn:
        return int(
            conn.execute(select(BALANCE.c.points).where(BALANCE.c.member_id == member_id)).scalar_one()
        )


def test_a_set_aside_entry_is_listed_and_counts_once_a_manager_accepts_it(client, club_db, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    big = terminal.entry(m.id, points=60_000)  # a corporate order: priced right, past a till's hour
    assert push(client, terminal, [big])["entries"][0]["reason"] == "velocity_limit"
    viewer = {"Authorization": f"Bearer {admin_token(club_db, 'viewer')}"}
    manager = {"Authorization": f"Bearer {admin_token(club_db, 'manager')}"}
    listed = client.get("/v1/admin/set-aside", headers=viewer).json()
    assert [(s["entry"]["id"], s["reason"], s["device_code"]) for s in listed] == [
        (big.id, "velocity_limit", terminal.device_code)
    ]
    why = {"reason": "a corporate order, confirmed with the branch"}
    assert client.post(f"/v1/admin/set-aside/{big.id}/accept", json=why, headers=viewer).status_code == 403
    accepted = client.post(f"/v1/admin/set-aside/{big.id}/accept", json=why, headers=manager)
    assert accepted.status_code == 200, accepted.text
    assert points(club_db, m.id) == 60_000
    assert client.get("/v1/admin/set-aside", headers=viewer).json() == []
    published = [c for c in pull_all(client, terminal) if c.get("entry", {}).get("id") == big.id]
    assert [c["kind"] for c in published] == ["entry_set_aside", "entry"]  # set aside, then counted
    again = push(client, terminal, [big])["entries"][0]  # a retry of the push now finds it counted
    assert again["outcome"] == "duplicate" and again["server_seq"] == published[-1]["seq"]
    with club_db.read() as conn:
        decisions = [
            json.loads(r.detail)
            for r in conn.execute(select(AUDIT).where(AUDIT.c.action == "set_aside.accept"))
        ]
    assert [(d["was"], d["why"], d["before"]["decision"], d["after"]["decision"]) for d in decisions] == [
        ("velocity_limit", why["reason"], None, "accepted")
    ]
    again = client.post(f"/v1/admin/set-aside/{big.id}/accept", json=why, headers=manager)
    assert again.status_code == 409 and again.json()["detail"]["code"] == "already_resolved"


def test_what_would_count_twice_or_was_edited_cannot_be_accepted(client, club_db, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    edited = terminal.entry(m.id, points=10).model_copy(update={"points_delta": 10_000})
    push(client, terminal, [edited])
    manager = {"Authorization": f"Bearer {admin_token(club_db, 'manager')}"}
    refused = client.post(
        f"/v1/admin/set-aside/{edited.id}/accept", json={"reason": "why not"}, headers=manager
    )
    assert refused.status_code == 409 and refused.json()["detail"]["reason"] == "hash_mismatch"
    assert points(club_db, m.id) == 0


def test_the_review_from_the_command_line(client, club_db, terminal, capsys):
    m = member()
    push(client, terminal, [], [member_item(m)])
    goodwill = terminal.entry(m.id, EntryKind.ADJUST, 300, reason="goodwill")  # no manager named
    push(client, terminal, [goodwill])
    url = club_db.url.render_as_string(hide_password=False)
    assert main(["--db", url, "--json", "set-aside", "list", "--reason", "staff_required"]) == 0
    listed = json.loads(capsys.readouterr().out)["set_aside"]
    assert [(s["entry_id"], s["points_delta"]) for s in listed] == [(goodwill.id, 300)]
    assert (
        main(["--db", url, "set-aside", "accept", goodwill.id, "--why", "the manager signed it on paper"])
        == 0
    )
    assert goodwill.id in capsys.readouterr().out
    assert points(club_db, m.id) == 300
    assert main(["--db", url, "set-aside", "accept", goodwill.id, "--why", "again"]) == 2
