# SPDX-License-Identifier: GPL-3.0-or-later
"""The terminals' and staff's use cases (sync.server.club.terminals, .staff) called directly: the one path
the back office's forms, the admin API and the command line all take."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from sync.server.club import staff as staff_cases
from sync.server.club import terminals
from sync.server.club.access import CONSOLE, Actor
from sync.server.club.act import Call
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.models import AUDIT, CHANGE, CLUB_KEY, DEVICE, ENROLLMENT_CODE, STAFF
from tests.server.club import BRANCH_1, BRANCH_2, T0, admin_token, enroll
from tests.server.test_enrolment import public_key as public_key_b64

HOUR_US = 3600 * 1_000_000
THR_MANAGER = Actor(id="u1", name="thr", role="branch-manager", branch_ids=frozenset({BRANCH_1}))
AUDITOR = Actor(id="u2", name="audit", role="auditor")
MANAGER = Actor(id="u3", name="manager", role="manager")


def call(db: Database, actor: Actor = CONSOLE, at_us: int = T0) -> Call:
    return Call(db, at_us, actor)


def count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def audits(db: Database, action: str) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(select(AUDIT.c.detail).where(AUDIT.c.action == action).order_by(AUDIT.c.id))
        return [json.loads(r.detail) for r in rows]


def refused(code: str, status: int, run: Any) -> None:
    with pytest.raises(ApiError) as caught:
        run()
    assert (caught.value.status, caught.value.code) == (status, code)


# ---- enrolment codes and terminals ----------------------------------------------------------------------


def test_enrolment_codes_are_per_branch_for_a_branch_manager(club_db: Database):
    refused("forbidden", 403, lambda: terminals.new_enrolment_code(call(club_db, THR_MANAGER), BRANCH_2, 24))
    refused("forbidden", 403, lambda: terminals.new_enrolment_code(call(club_db, AUDITOR), BRANCH_1, 24))
    assert count(club_db, ENROLLMENT_CODE) == 0 and audits(club_db, "terminal.enrolment_code") == []
    issued = terminals.new_enrolment_code(call(club_db, THR_MANAGER), BRANCH_1, 3)
    assert (issued.branch_code, issued.expires_at_us) == ("THR", T0 + 3 * HOUR_US)
    [audit] = audits(club_db, "terminal.enrolment_code")
    assert audit["after"] == {"branch": "THR", "expires_at_us": T0 + 3 * HOUR_US} and issued.code not in str(
        audit
    )
    refused("invalid_ttl", 422, lambda: terminals.new_enrolment_code(call(club_db), BRANCH_1, 0))
    refused("unknown_branch", 404, lambda: terminals.new_enrolment_code(call(club_db), "no-such-branch", 24))
    refused("unknown_branch", 404, lambda: terminals.branch_id_of(call(club_db), "NOPE"))
    assert terminals.branch_id_of(call(club_db), "ISF") == BRANCH_2


def test_a_terminals_state_follows_what_it_did(club_db: Database):
    unused = enroll(club_db, now_us=T0)
    seen = enroll(club_db, "ISF", now_us=T0)
    gone = enroll(club_db, now_us=T0)
    values = {"claimed_at_us": T0, "last_seen_us": T0, "software_version": "0.1.0", "backlog": 4}
    club_db.write(
        lambda conn: conn.execute(DEVICE.update().where(DEVICE.c.id == seen.device_id).values(**values))
    )
    terminals.revoke_terminal(call(club_db), gone.device_id)
    states = {t.id: t.state for t in terminals.terminals(call(club_db, AUDITOR, T0 + 60_000_000))}
    assert states == {unused.device_id: "unused", seen.device_id: "online", gone.device_id: "revoked"}
    [isf] = terminals.terminals(call(club_db, AUDITOR, T0 + 2 * HOUR_US), BRANCH_2)
    assert (isf.state, isf.software_version, isf.backlog, isf.branch_code) == ("lagging", "0.1.0", 4, "ISF")


def test_listing_retires_a_terminal_whose_enrolment_answer_was_never_used(club_db: Database):
    lost = enroll(club_db, public_key=public_key_b64(), now_us=T0)
    assert terminals.terminals(call(club_db, AUDITOR, T0 + HOUR_US))[0].state == "unused"
    assert audits(club_db, "terminal.retire_unclaimed") == []  # a plain read writes nothing
    later = T0 + 25 * HOUR_US
    [listed] = terminals.terminals(call(club_db, AUDITOR, later))
    assert (listed.state, listed.revoked_at_us) == ("revoked", later)
    assert audits(club_db, "terminal.retire_unclaimed")[0]["after"] == {"revoked": [lost.device_id]}
    with club_db.read() as conn:
        assert (
            conn.execute(select(CLUB_KEY.c.retired_at_us).where(CLUB_KEY.c.key_id == lost.key_id)).scalar()
            == later
        )


def test_revoking_is_per_branch_audited_and_done_once(club_db: Database):
    isf = enroll(club_db, "ISF", public_key=public_key_b64())
    refused("forbidden", 403, lambda: terminals.revoke_terminal(call(club_db, THR_MANAGER), isf.device_id))
    refused("unknown_device", 404, lambda: terminals.revoke_terminal(call(club_db), "0" * 36))
    revoked = terminals.revoke_terminal(call(club_db, MANAGER, T0 + 5), isf.device_id)
    again = terminals.revoke_terminal(call(club_db, MANAGER, T0 + 9), isf.device_id)
    assert revoked.revoked_at_us == again.revoked_at_us == T0 + 5
    first, second = audits(club_db, "terminal.revoke")
    assert (first["before"]["revoked_at_us"], first["after"]["revoked_at_us"]) == (None, T0 + 5)
    assert second["before"]["revoked_at_us"] == T0 + 5
    with club_db.read() as conn:  # its key is retired, once, and terminals hear of it
        keys = conn.execute(select(CHANGE.c.body).where(CHANGE.c.kind == "club_key")).scalars().all()
    retired = [json.loads(k)["key"] for k in keys if json.loads(k)["key"]["retired_at_us"] is not None]
    assert [k["key_id"] for k in retired] == [isf.key_id]


# ---- staff ---------------------------------------------------------------------------------------------


def test_staff_changes_are_per_branch_and_moving_needs_both(club_db: Database):
    thr = staff_cases.add_staff(call(club_db, THR_MANAGER), "Sara", "cashier", BRANCH_1, "1234")
    refused(
        "forbidden",
        403,
        lambda: staff_cases.add_staff(call(club_db, THR_MANAGER), "X", "cashier", BRANCH_2, "1234"),
    )
    refused(
        "forbidden",
        403,
        lambda: staff_cases.add_staff(call(club_db, THR_MANAGER), "X", "cashier", None, "1234"),
    )
    move = staff_cases.StaffEdit(branch_id=BRANCH_2)
    refused("forbidden", 403, lambda: staff_cases.edit_staff(call(club_db, THR_MANAGER), thr.id, move))
    assert staff_cases.edit_staff(call(club_db, MANAGER), thr.id, move).branch_id == BRANCH_2
    refused("forbidden", 403, lambda: staff_cases.unlock_staff(call(club_db, THR_MANAGER), thr.id))
    refused("forbidden", 403, lambda: staff_cases.disable_staff(call(club_db, AUDITOR), thr.id))
    assert [s.name for s in staff_cases.staff(call(club_db, AUDITOR), BRANCH_2)] == ["Sara"]
    assert staff_cases.staff(call(club_db, AUDITOR), BRANCH_1) == []


def test_staff_input_is_checked_before_anything_is_written(club_db: Database):
    c = call(club_db)
    refused("invalid_pin_format", 422, lambda: staff_cases.add_staff(c, "Sara", "cashier", BRANCH_1, "123"))
    refused(
        "invalid_pin_format", 422, lambda: staff_cases.add_staff(c, "Sara", "cashier", BRANCH_1, "1" * 13)
    )
    refused("invalid_pin_format", 422, lambda: staff_cases.add_staff(c, "Sara", "cashier", BRANCH_1, "١٢٣٤x"))
    refused("invalid_staff_name", 422, lambda: staff_cases.add_staff(c, "   ", "cashier", BRANCH_1, "1234"))
    refused("invalid_staff_role", 422, lambda: staff_cases.add_staff(c, "Sara", "boss", BRANCH_1, "1234"))
    refused("unknown_branch", 422, lambda: staff_cases.add_staff(c, "Sara", "cashier", "0" * 36, "1234"))
    assert count(club_db, STAFF) == 0 and count(club_db, AUDIT) == 0


def test_admin_staff_are_the_owners_to_manage(club_db: Database):
    refused(
        "forbidden", 403, lambda: staff_cases.add_staff(call(club_db, MANAGER), "Boss", "admin", None, "1234")
    )
    boss = staff_cases.add_staff(call(club_db), "Boss", "admin", None, "1234")
    sara = staff_cases.add_staff(call(club_db, MANAGER), "Sara", "cashier", None, "1234")
    refused("forbidden", 403, lambda: staff_cases.unlock_staff(call(club_db, MANAGER), boss.id))
    refused("forbidden", 403, lambda: staff_cases.set_staff_role(call(club_db, MANAGER), sara.id, "admin"))
    assert staff_cases.set_staff_role(call(club_db), sara.id, "admin").role == "admin"


def test_unlocking_and_a_new_pin_stamp_the_lift_and_nothing_else_does(club_db: Database):
    sara = staff_cases.add_staff(call(club_db), "Sara", "cashier", BRANCH_1, "1234")
    published = count(club_db, CHANGE)
    same = staff_cases.edit_staff(call(club_db, at_us=T0 + 1), sara.id, staff_cases.StaffEdit(name=" Sara "))
    assert same.unlocked_at_us is None and count(club_db, CHANGE) == published  # no change: nothing published
    assert staff_cases.unlock_staff(call(club_db, at_us=T0 + 2), sara.id).unlocked_at_us == T0 + 2
    assert staff_cases.set_staff_role(call(club_db, at_us=T0 + 3), sara.id, "host").unlocked_at_us == T0 + 2
    assert staff_cases.reset_pin(call(club_db, at_us=T0 + 4), sara.id, "۵۶۷۸").unlocked_at_us == T0 + 4
    assert [a["after"]["unlocked_at_us"] for a in audits(club_db, "staff.unlock")] == [T0 + 2]
    assert "pin_hash" not in json.dumps(audits(club_db, "staff.pin"))


def test_the_admin_api_goes_through_the_same_rules(client: Any, club_db: Database):
    manager = {"Authorization": f"Bearer {admin_token(club_db, 'manager')}"}
    viewer = {"Authorization": f"Bearer {admin_token(club_db, 'viewer')}"}
    sara = staff_cases.add_staff(call(club_db), "Sara", "cashier", BRANCH_1, "1234")
    assert client.post(f"/v1/admin/staff/{sara.id}/unlock", headers=viewer).status_code == 403
    unlocked = client.post(f"/v1/admin/staff/{sara.id}/unlock", headers=manager)
    assert unlocked.status_code == 200 and unlocked.json()["unlocked_at_us"] == T0
    [audit] = audits(club_db, "staff.unlock")
    assert audit["role"] == "manager"
    with club_db.read() as conn:
        actor = conn.execute(select(AUDIT.c.actor).where(AUDIT.c.action == "staff.unlock")).scalar()
    assert actor.startswith("admin:test manager")
