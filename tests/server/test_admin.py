# SPDX-License-Identifier: GPL-3.0-or-later
"""The admin API: roles enforced per endpoint, every call audited, changes published to terminals."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import select

from sync.protocol import WireBranch, WireTier
from sync.server.models import AUDIT
from tests.server.club import BRANCH_1, admin_token, card_item, member, member_item, new_id, pull_all, push

NEW_MEMBER = {"name": "  Parisa   Nazari ", "phone": "0912 345 6789", "branch_id": BRANCH_1}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def published(client, terminal, kind: str) -> list[dict]:
    return [c for c in pull_all(client, terminal) if c["kind"] == kind]


def test_roles_are_checked_per_endpoint(client, club_db):
    viewer, manager = bearer(admin_token(club_db, "viewer")), bearer(admin_token(club_db, "manager"))
    assert client.get("/v1/admin/members").status_code == 401
    assert client.get("/v1/admin/members", headers=bearer("bga_nope")).status_code == 401
    assert client.get("/v1/admin/members", headers=viewer).status_code == 200
    refused = client.post("/v1/admin/members", json=NEW_MEMBER, headers=viewer)
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "forbidden"
    assert client.post("/v1/admin/members", json=NEW_MEMBER, headers=manager).status_code == 201
    assert (
        client.put("/v1/admin/settings/grant_ttl_s", json={"value": "3600"}, headers=manager).status_code
        == 403
    )
    assert client.get("/v1/admin/audit", headers=manager).status_code == 403
    staff = {"name": "Boss", "role": "admin", "pin": "1234"}
    assert client.post("/v1/admin/staff", json=staff, headers=manager).status_code == 403


def test_members_are_created_edited_searched_and_published(client, club_db, admin, terminal):
    created = client.post("/v1/admin/members", json=NEW_MEMBER | {"national_id": "0499370899"}, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["phone"], body["tier_code"]) == ("Parisa Nazari", "+989123456789", "bronze")
    assert body["national_id_last4"] == "0899" and "national_id" not in body
    member_id = body["id"]
    edited = client.patch(f"/v1/admin/members/{member_id}", json={"tier_code": "silver"}, headers=admin)
    assert edited.json()["tier_code"] == "silver"
    assert [c["member"]["tier_code"] for c in published(client, terminal, "member")] == ["bronze", "silver"]
    push(client, terminal, [], [card_item(member_id, "9826001000000018")])
    for query in ("parisa", "09123456789", "56789", "9826001000000018"):  # a phone's last digits
        found = client.get("/v1/admin/members", params={"q": query}, headers=admin).json()["members"]
        assert [m["id"] for m in found] == [member_id], query
    detail = client.get(f"/v1/admin/members/{member_id}", headers=admin).json()
    assert detail["cards"][0]["number"] == "9826001000000018" and detail["points"] == 0


def test_member_input_is_validated(client, club_db, admin):
    client.post("/v1/admin/members", json=NEW_MEMBER, headers=admin)
    cases = [
        (NEW_MEMBER, 409, "duplicate_phone"),
        (NEW_MEMBER | {"phone": "12"}, 422, "invalid_request"),
        (NEW_MEMBER | {"phone": "0000000"}, 422, "invalid_phone"),
        (NEW_MEMBER | {"phone": "09120000001", "national_id": "1234567890"}, 422, "invalid_national_id"),
        (NEW_MEMBER | {"phone": "09120000002", "tier_code": "platinum"}, 422, "unknown_tier"),
        (NEW_MEMBER | {"phone": "09120000003", "branch_id": new_id()}, 422, "unknown_branch"),
        (NEW_MEMBER | {"phone": "09120000004", "birth_date": "1800-01-01"}, 422, "invalid_birth_date"),
        (NEW_MEMBER | {"phone": "09120000005", "name": "   "}, 422, "invalid_name"),
        (NEW_MEMBER | {"phone": "09120000006", "branch_id": "x"}, 422, "invalid_request"),
    ]
    for body, status, code in cases:
        response = client.post("/v1/admin/members", json=body, headers=admin)
        assert (response.status_code, response.json()["detail"]["code"]) == (status, code), body
    assert client.patch(f"/v1/admin/members/{new_id()}", json={"name": "x"}, headers=admin).status_code == 404


def test_revoking_a_card_publishes_a_revocation(client, club_db, admin, terminal):
    m = member()
    push(client, terminal, [], [member_item(m), card_item(m.id, "9826001000000018")])
    revoked = client.post(
        "/v1/admin/cards/9826001000000018/revoke",
        json={"status": "lost", "reason": "reported lost"},
        headers=admin,
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "lost"
    [change] = published(client, terminal, "card_revocation")
    assert change["revocation"]["card_number"] == "9826001000000018"
    detail = client.get(f"/v1/admin/members/{m.id}", headers=admin).json()
    assert detail["cards"][0]["status"] == "lost"
    assert (
        client.post(
            "/v1/admin/cards/9826001000000026/revoke", json={"reason": "x"}, headers=admin
        ).status_code
        == 404
    )
    assert client.post("/v1/admin/cards/123/revoke", json={"reason": "x"}, headers=admin).status_code == 422


def test_tiers_and_branch_rules_are_published(client, club_db, admin, terminal):
    gold = WireTier(
        code="gold", name_fa="طلایی", name_en="Gold", rank=2, threshold_points=2000, multiplier_percent=150
    )
    assert client.put("/v1/admin/tiers/gold", json=gold.model_dump(), headers=admin).status_code == 200
    clash = gold.model_copy(update={"code": "diamond", "rank": 1})
    assert client.put("/v1/admin/tiers/diamond", json=clash.model_dump(), headers=admin).status_code == 409
    assert client.put("/v1/admin/tiers/other", json=gold.model_dump(), headers=admin).status_code == 422
    assert [t["code"] for t in client.get("/v1/admin/tiers", headers=admin).json()] == [
        "bronze",
        "silver",
        "gold",
    ]
    branches = client.get("/v1/admin/branches", headers=admin).json()
    tehran = WireBranch.model_validate(next(b for b in branches if b["id"] == BRANCH_1))
    doubled = tehran.model_copy(update={"earn_points_per_unit": 2})
    assert (
        client.put(f"/v1/admin/branches/{BRANCH_1}", json=doubled.model_dump(), headers=admin).status_code
        == 200
    )
    taken = doubled.model_copy(update={"code": "ISF"})
    assert (
        client.put(f"/v1/admin/branches/{BRANCH_1}", json=taken.model_dump(), headers=admin).status_code
        == 409
    )
    absurd = doubled.model_dump() | {"earn_points_per_unit": 10**20}
    assert client.put(f"/v1/admin/branches/{BRANCH_1}", json=absurd, headers=admin).status_code == 422
    assert published(client, terminal, "tier")[-1]["tier"]["code"] == "gold"
    assert published(client, terminal, "branch")[-1]["branch"]["earn_points_per_unit"] == 2


def test_staff_pins_are_hashed_with_argon2_and_never_shown(client, club_db, admin, terminal):
    created = client.post(
        "/v1/admin/staff",
        json={"name": "Sara", "role": "cashier", "branch_id": BRANCH_1, "pin": "۱۲۳۴"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert "pin_hash" not in created.json() and "pin" not in created.json()
    staff_id = created.json()["id"]
    [change] = published(client, terminal, "staff")
    assert PasswordHasher().verify(change["staff"]["pin_hash"], "1234")  # Persian digits are digits
    edited = client.patch(f"/v1/admin/staff/{staff_id}", json={"active": False, "pin": "5678"}, headers=admin)
    assert edited.json()["active"] is False
    latest = published(client, terminal, "staff")[-1]["staff"]
    assert PasswordHasher().verify(latest["pin_hash"], "5678")
    assert (
        client.post(
            "/v1/admin/staff", json={"name": "x", "role": "cashier", "pin": "12ab"}, headers=admin
        ).status_code
        == 422
    )
    assert [s["name"] for s in client.get("/v1/admin/staff", headers=admin).json()] == ["Sara"]


def test_revoking_a_device_retires_its_key_and_refuses_its_token(client, club_db, admin):
    from tests.server.test_enrolment import enroll, new_code, public_key

    enrolled = enroll(client, new_code(client, admin), public_key()).json()
    device_id = enrolled["device_id"]
    assert [d["id"] for d in client.get("/v1/admin/devices", headers=admin).json()] == [device_id]
    revoked = client.post(f"/v1/admin/devices/{device_id}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at_us"] is not None
    auth = {"Authorization": f"Bearer {enrolled['token']}"}
    assert client.get("/v1/sync/pull", headers=auth).status_code == 403
    assert client.post(f"/v1/admin/devices/{new_id()}/revoke", headers=admin).status_code == 404


def test_alerts_can_be_listed_and_resolved(client, club_db, admin, terminal):
    m = member()
    entry = terminal.entry(m.id)
    push(client, terminal, [entry])  # unknown member: rejected and alerted
    alerts = client.get("/v1/admin/alerts", headers=admin).json()
    assert [a["kind"] for a in alerts] == ["entry_rejected"]
    assert alerts[0]["detail"]["reason"] == "unknown_member" and alerts[0]["subject"] == entry.id
    resolved = client.post(f"/v1/admin/alerts/{alerts[0]['id']}/resolve", headers=admin).json()
    assert resolved["resolved_by"].startswith("admin:test admin")
    assert client.get("/v1/admin/alerts", headers=admin).json() == []
    assert len(client.get("/v1/admin/alerts?unresolved=false", headers=admin).json()) == 1
    assert client.post("/v1/admin/alerts/999999/resolve", headers=admin).status_code == 404


def test_settings_are_validated_and_published(client, club_db, admin, terminal):
    put = lambda key, value: client.put(f"/v1/admin/settings/{key}", json={"value": value}, headers=admin)  # noqa: E731
    assert put("revocation_max_age_s", "7200").status_code == 200
    assert put("revocation_max_age_s", "7").status_code == 422
    assert put("club_card_prefix", "98260001").status_code == 422
    assert put("card_serial", "1").status_code == 404
    settings = client.get("/v1/admin/settings", headers=admin).json()["settings"]
    assert settings["revocation_max_age_s"] == "7200"
    assert published(client, terminal, "setting")[-1] == {
        "kind": "setting",
        "seq": published(client, terminal, "setting")[-1]["seq"],
        "key": "revocation_max_age_s",
        "value": "7200",
    }


def test_the_grant_settings_are_the_rule_sets_only(client, club_db, admin, terminal):
    """The offline grant policy lives in the rule set: the settings route refuses to change it alone, and
    version 0 (before any rule set) carries the settings' policy, so the first version keeps it."""
    before = pull_all(client, terminal)
    for key in ("grant_share_percent", "grant_cap_points", "grant_ttl_s"):
        refused = client.put(f"/v1/admin/settings/{key}", json={"value": "50"}, headers=admin)
        assert refused.status_code == 409 and refused.json()["detail"]["code"] == "setting_in_rule_set"
    assert pull_all(client, terminal) == before
    body = client.get("/v1/admin/rules", headers=admin).json()["body"]
    assert body["offline_grant"] == {"share_percent": 30, "max_points": 2_000, "hours": 72}  # the defaults
    body["offline_grant"]["share_percent"] = 50
    assert client.put("/v1/admin/rules", json=body, headers=admin).status_code == 200
    settings = client.get("/v1/admin/settings", headers=admin).json()["settings"]
    assert (settings["grant_share_percent"], settings["grant_cap_points"], settings["grant_ttl_s"]) == (
        "50",
        "2000",
        str(72 * 3600),
    )


def test_every_admin_call_is_in_the_audit_log(client, club_db, admin):
    client.get("/v1/admin/members", params={"q": "sara"}, headers=admin)
    client.post("/v1/admin/members", json=NEW_MEMBER, headers=admin)
    client.post(
        "/v1/admin/members", json=NEW_MEMBER | {"phone": "1"}, headers=admin
    )  # refused: not an action
    log = client.get("/v1/admin/audit", headers=admin).json()  # newest first; this read is logged after
    assert [(e["action"], e["target"]) for e in log] == [
        ("member.enrol", log[0]["target"]),
        ("member.search", "sara"),
    ]
    assert log[0]["actor"].startswith("admin:test admin") and log[0]["detail"]["role"] == "owner"
    assert log[0]["detail"]["before"] is None and log[0]["detail"]["after"]["name"] == "Parisa Nazari"
    with club_db.read() as conn:
        assert (
            conn.execute(select(AUDIT.c.action).order_by(AUDIT.c.id.desc())).scalars().first()
            == "audit.read"
        )
