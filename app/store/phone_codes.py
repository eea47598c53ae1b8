# SPDX-License-Identifier: GPL-3.0-or-later
"""The phone codes this terminal accepted (app.cards.phone_pass): its replay cache.

A code is a card number and a full time step; one accepted here is refused here after (a screenshot
shown twice, a second cashier scanning the same screen). Rows are kept well past the time window, so a
clock set back a little cannot bring a pruned code back into it, and pruned after.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.store.schema import PhoneCodeSeenRow

SEEN = PhoneCodeSeenRow.__table__


def seen(conn: Connection, card_number: str, step: int) -> bool:
    query = select(SEEN.c.step).where(SEEN.c.card_number == card_number, SEEN.c.step == step)
    return conn.execute(query).first() is not None


def mark_seen(conn: Connection, card_number: str, step: int, at_us: int) -> bool:
    """Record an accepted code, in the transaction of what it admits or sells; False when it was already
    recorded (the caller checked `seen` in the same write transaction, so this is a bug's safety net)."""
    stmt = sqlite_insert(SEEN).values(card_number=card_number, step=step, seen_at_us=at_us)
    return conn.execute(stmt.on_conflict_do_nothing()).rowcount == 1


def prune(conn: Connection, before_step: int) -> int:
    """Forget codes of steps before `before_step` (the caller's: outside any window its clock allows)."""
    return conn.execute(delete(SEEN).where(SEEN.c.step < before_step)).rowcount
