# SPDX-License-Identifier: GPL-3.0-or-later
"""A till and head office, through a real club server process: head office lifts a PIN lockout the till
counted, and sees the till's version and the entries waiting on it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import __version__
from app.domain.errors import ClubError
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.staff_auth import MAX_WRONG_PINS, authenticate
from app.store import club, sync_state
from app.store.schema import StaffEventRow
from tests.integration.sync.conftest import MANAGER_NAME, MANAGER_PIN


def lock_out(till) -> None:
    for _ in range(MAX_WRONG_PINS):
        with pytest.raises(ClubError):
            authenticate(till, MANAGER_NAME, "0000")
    with pytest.raises(ClubError) as locked:
        authenticate(till, MANAGER_NAME, MANAGER_PIN)
    assert locked.value.code == "staff_locked"


def staff_events(till, staff_id: str) -> list[str]:
    with till.db.read() as conn:
        table = StaffEventRow.__table__
        query = select(table.c.kind).where(table.c.staff_id == staff_id).order_by(table.c.at_us, table.c.kind)
        return list(conn.execute(query).scalars())


def test_head_office_lifts_a_lockout_the_till_counted(club_server, tmp_path):
    till, client = club_server.enroll(tmp_path / "till")
    [mina] = [s for s in club_server.admin("GET", "/staff") if s["name"] == MANAGER_NAME]
    lock_out(till)
    unlocked = club_server.admin("POST", f"/staff/{mina['id']}/unlock")
    assert unlocked["unlocked_at_us"] is not None
    assert client.sync_round().ok
    assert authenticate(till, MANAGER_NAME, MANAGER_PIN).id == mina["id"]
    assert "unlocked" in staff_events(till, mina["id"])

    # the lift is applied once: a later lockout is not lifted by another change carrying the same stamp
    lock_out(till)
    club_server.admin("PATCH", f"/staff/{mina['id']}", json={"name": MANAGER_NAME + " Rahimi"})
    assert client.sync_round().ok
    with pytest.raises(ClubError) as still:
        authenticate(till, MANAGER_NAME + " Rahimi", MANAGER_PIN)
    assert still.value.code == "staff_locked"
    club_server.admin("PATCH", f"/staff/{mina['id']}", json={"pin": "13579"})  # a new PIN lifts it too
    assert client.sync_round().ok
    assert authenticate(till, MANAGER_NAME + " Rahimi", "13579").id == mina["id"]
    with till.db.read() as conn:
        assert club.pin_state(conn, mina["id"]) == (0, None)


def test_head_office_sees_the_tills_version_and_what_waits_on_it(club_server, tmp_path):
    till, client = club_server.enroll(tmp_path / "till")
    member = enroll_member(till, EnrollRequest(name="Nasrin", phone="09121110000")).member
    record_sale(till, SaleRequest(member.id, 30_000_000))
    record_sale(till, SaleRequest(member.id, 10_000_000))
    with till.db.read() as conn:
        waiting = sync_state.unanswered_entries(conn, till.device_id)
    assert waiting == 2
    client.pull()  # not pushed: the till says what still waits
    [device] = [d for d in club_server.admin("GET", "/devices") if d["id"] == till.device_id]
    assert (device["software_version"], device["backlog"]) == (__version__, waiting)
    assert client.sync_round().ok  # pushed, then pulled: nothing waits
    [device] = [d for d in club_server.admin("GET", "/devices") if d["id"] == till.device_id]
    assert device["backlog"] == 0 and device["last_seen_us"] is not None
