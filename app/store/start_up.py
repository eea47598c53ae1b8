# SPDX-License-Identifier: GPL-3.0-or-later
"""What the terminal reads before the login screen's first frame, on the bare sqlite3 driver.

Importing SQLAlchemy costs the window's cold start ~0.2 s, so nothing on the way to the first frame
imports it: opening the terminal (its own device, whether it is enrolled) and the login screen's staff list
run these statements in a `Database.read_driver()` block, and SQLAlchemy comes in just after the first
frame (the till's views). `app.store.club` and `app.store.sync_state` answer the same questions through
these functions, so there is one statement for each.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from app.domain.staff import Role, Staff

SERVER_URL = "sync_server_url"  # set by enrolment: the terminal is enrolled from then on
_SETTING_SQL = "SELECT value FROM setting WHERE key = ?"
_SELF_DEVICE_SQL = "SELECT id, code, branch_id, is_self FROM device WHERE is_self = 1"
_STAFF_SQL = "SELECT id, name, role, branch_id, active FROM staff ORDER BY name"


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    code: str
    branch_id: str
    is_self: bool


def self_device(conn: sqlite3.Connection) -> Device | None:
    """This terminal's own device record, if the club has been set up here."""
    rows = conn.execute(_SELF_DEVICE_SQL).fetchall()
    if len(rows) > 1:
        raise LookupError("more than one device is marked as this terminal")  # as .one_or_none() did
    if not rows:
        return None
    device_id, code, branch_id, is_self = rows[0]
    return Device(device_id, code, branch_id, bool(is_self))


def all_staff(conn: sqlite3.Connection) -> list[Staff]:
    """Every staff member, by name (active or not)."""
    return [
        Staff(id=i, name=name, role=Role(role), branch_id=branch, active=bool(active))
        for i, name, role, branch, active in conn.execute(_STAFF_SQL)
    ]


def is_enrolled(conn: sqlite3.Connection) -> bool:
    """Enrolled with a club server: from then on the server, not this terminal, authorises spending."""
    return conn.execute(_SETTING_SQL, (SERVER_URL,)).fetchone() is not None
