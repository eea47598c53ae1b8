# SPDX-License-Identifier: GPL-3.0-or-later
"""Phone codes the terminals accepted (app.cards.phone_pass), as their pushes report them.

A phone shows a new code every 30 seconds and a terminal accepts each code once (its replay cache); the
same code accepted at two terminals is a copy of the phone's screen in use (a screenshot passed on, a
photo of the QR): an alert for a person to look at. Both uses stand, as two doors' admissions do.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, select, text

from sync.protocol import PhoneCodeItem
from sync.server import members
from sync.server.alerts import raise_alert
from sync.server.db import dialect_insert
from sync.server.models import DEVICE, PHONE_CODE_USE

TWO_TERMINALS = "phone_code_two_terminals"


def refusal(conn: Connection, item: PhoneCodeItem) -> str | None:
    """Why the server cannot keep this report: a card it did not issue to this member."""
    owner = members.card_owner(conn, item.card_number)
    return "unknown_card" if owner is None or owner != item.member_id else None


def record(conn: Connection, device_id: str, item: PhoneCodeItem, at_us: int) -> None:
    """Keep one terminal's use of a code (a retried push keeps nothing twice) and alert, once, when the
    code was accepted at another terminal before: whichever of two pushes commits second raises it."""
    _lock(conn, item.card_number, item.step)
    kept = conn.execute(
        dialect_insert(conn, PHONE_CODE_USE)
        .values(
            card_number=item.card_number,
            step=item.step,
            device_id=device_id,
            member_id=item.member_id,
            used_at_us=item.used_at_us,
            purpose=item.purpose,
        )
        .on_conflict_do_nothing()
        .returning(PHONE_CODE_USE.c.device_id)
    ).first()
    if kept is None:
        return  # this terminal reported it already
    uses = conn.execute(
        select(PHONE_CODE_USE, DEVICE.c.code.label("device_code"))
        .outerjoin(DEVICE, DEVICE.c.id == PHONE_CODE_USE.c.device_id)
        .where(PHONE_CODE_USE.c.card_number == item.card_number, PHONE_CODE_USE.c.step == item.step)
        .order_by(PHONE_CODE_USE.c.used_at_us, PHONE_CODE_USE.c.device_id)
    ).all()
    if len(uses) < 2:
        return
    raise_alert(
        conn,
        at_us,
        TWO_TERMINALS,
        device_id=device_id,
        member_id=item.member_id,
        subject=item.card_number,
        card_number=item.card_number,
        step=item.step,
        uses=[
            {"device_id": u.device_id, "device_code": u.device_code, "used_at_us": u.used_at_us,
             "purpose": u.purpose}
            for u in uses
        ],
    )  # fmt: skip


def _lock(conn: Connection, card_number: str, step: int) -> None:
    """Two terminals' pushes of one code, at once: the second waits for the first to commit, then sees its
    row (PostgreSQL, READ COMMITTED; SQLite writes one transaction at a time anyway)."""
    if conn.dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"phone_code:{card_number}:{step}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
