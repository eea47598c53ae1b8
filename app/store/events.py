# SPDX-License-Identifier: GPL-3.0-or-later
"""Events and guest lists in SQLite, and an event's check-in entries read back from the ledger.

The door asks these on every tap, so the reads go straight to the driver with prepared SQL (as the
member lookup does: app.store.members); the rest stays on SQLAlchemy Core.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain.digits import to_latin_digits
from app.domain.event import Event, Invitation
from app.domain.ledger import EntryKind, LedgerEntry
from app.store.database import Tx, driver
from app.store.ledger import _FIELDS, _entry_from_tuple
from app.store.schema import EventRow, InvitationRow

EVENT = EventRow.__table__
INVITATION = InvitationRow.__table__
_EVENT_COLUMNS = tuple(EVENT.c.keys())
_EVENT_SQL = f"SELECT {', '.join(_EVENT_COLUMNS)} FROM event"
_INVITATION_SQL = "SELECT id, event_id, member_id, plus_ones, cancelled FROM invitation"
_DOOR_KINDS = (EntryKind.CHECK_IN.value, EntryKind.GUEST_CHECK_IN.value, EntryKind.REVERSAL.value)
# an event's door entries by the ledger's invoice_ref index: check-ins and the reversals undoing them
_ENTRIES_SQL = f"SELECT {', '.join(_FIELDS)} FROM ledger_entry WHERE invoice_ref = ? AND kind IN (?, ?, ?)"


def _event(row: tuple[Any, ...]) -> Event:
    data = dict(zip(_EVENT_COLUMNS, row, strict=True))
    data["invited_tiers"] = tuple(json.loads(data["invited_tiers"]))
    data["cancelled"] = bool(data["cancelled"])
    return Event(**data)


def _invitation(row: tuple[Any, ...]) -> Invitation:
    return Invitation(row[0], row[1], row[2], row[3], bool(row[4]))


def put_event(conn: Connection, event: Event) -> None:
    """Insert or replace an event (by id)."""
    values = asdict(event) | {"invited_tiers": json.dumps(list(event.invited_tiers))}
    stmt = sqlite_insert(EVENT).values(**values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[EVENT.c.id], set_=values))


def put_invitation(conn: Connection, invitation: Invitation) -> Invitation:
    """Insert an invitation or update the one for the same event and member (which keeps its id): the
    pair is the guest list's natural key, whichever side made the invitation first."""
    values = {
        "id": invitation.id,
        "event_id": invitation.event_id,
        "member_id": invitation.member_id,
        "plus_ones": invitation.plus_ones,
        "cancelled": invitation.cancelled,
    }
    stmt = sqlite_insert(INVITATION).values(**values)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[INVITATION.c.event_id, INVITATION.c.member_id],
            set_={"plus_ones": invitation.plus_ones, "cancelled": invitation.cancelled},
        )
    )
    found = invitation_of(conn, invitation.event_id, invitation.member_id)
    assert found is not None
    return found


def event(conn: Tx, event_id: str) -> Event | None:
    row = driver(conn).execute(f"{_EVENT_SQL} WHERE id = ?", (event_id,)).fetchone()
    return None if row is None else _event(row)


def events(conn: Tx) -> list[Event]:
    rows = driver(conn).execute(f"{_EVENT_SQL} ORDER BY starts_at_us, name").fetchall()
    return [_event(r) for r in rows]


def invitation_of(conn: Tx, event_id: str, member_id: str) -> Invitation | None:
    row = (
        driver(conn)
        .execute(f"{_INVITATION_SQL} WHERE event_id = ? AND member_id = ?", (event_id, member_id))
        .fetchone()
    )
    return None if row is None else _invitation(row)


def invitation_by_id(conn: Tx, invitation_id: str) -> Invitation | None:
    row = driver(conn).execute(f"{_INVITATION_SQL} WHERE id = ?", (invitation_id,)).fetchone()
    return None if row is None else _invitation(row)


def invited_count(conn: Tx, event: Event) -> int:
    """The guest list's length: invitations standing, and members of invited tiers not also invited."""
    db = driver(conn)
    (named,) = db.execute(
        "SELECT count(*) FROM invitation WHERE event_id = ? AND NOT cancelled", (event.id,)
    ).fetchone()
    if not event.invited_tiers:
        return int(named)
    marks = ", ".join("?" * len(event.invited_tiers))
    (by_tier,) = db.execute(
        f"SELECT count(*) FROM member m WHERE m.tier_code IN ({marks}) AND NOT EXISTS "
        "(SELECT 1 FROM invitation i WHERE i.event_id = ? AND i.member_id = m.id)",
        (*event.invited_tiers, event.id),
    ).fetchone()
    return int(named) + int(by_tier)


def guests(
    conn: Tx, event: Event, text: str = ""
) -> list[tuple[str, str | None, str | None, str | None, int | None]]:
    """(member id, name, phone, tier, invitation's plus-ones) of every guest on the list: invited by name
    (name and phone NULL when the member never synced here) or by tier; narrowed by `text`, a part of the
    name or of the phone's digits."""
    like, digits = _patterns(text)
    match, values = "1", []
    if text:
        match, values = "m.name LIKE ? ESCAPE '\\'", [like]
        if digits:
            match, values = f"({match} OR m.phone LIKE ?)", [like, f"%{digits}%"]
    params: list[object] = [event.id, *values]
    sql = (
        "SELECT i.member_id, m.name, m.phone, m.tier_code, i.plus_ones FROM invitation i "
        f"LEFT JOIN member m ON m.id = i.member_id WHERE i.event_id = ? AND NOT i.cancelled AND {match}"
    )
    if event.invited_tiers:
        marks = ", ".join("?" * len(event.invited_tiers))
        sql += (
            " UNION ALL SELECT m.id, m.name, m.phone, m.tier_code, NULL FROM member m"
            f" WHERE m.tier_code IN ({marks}) AND {match}"
            " AND NOT EXISTS (SELECT 1 FROM invitation i WHERE i.event_id = ? AND i.member_id = m.id)"
        )
        params += [*event.invited_tiers, *values, event.id]
    return [tuple(r) for r in driver(conn).execute(sql, params).fetchall()]  # type: ignore[misc]


def _patterns(text: str) -> tuple[str, str]:
    """A LIKE pattern for the name, and the digits to look for in the phone ("" when none)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # phones are stored +98912…: a host types 0912… or a part of it
    digits = "".join(ch for ch in to_latin_digits(text) if ch.isascii() and ch.isdigit()).lstrip("0")
    return f"%{escaped}%", digits


def door_entries(conn: Tx, event_id: str) -> list[LedgerEntry]:
    """The event's check-ins, plus-ones and the reversals of either, from every door synced here."""
    rows = driver(conn).execute(_ENTRIES_SQL, (event_id, *_DOOR_KINDS)).fetchall()
    return [_entry_from_tuple(r) for r in rows]


def member_door_entries(conn: Tx, event_id: str, member_id: str) -> list[LedgerEntry]:
    """One member's door entries at the event (their own and their plus-ones')."""
    rows = (
        driver(conn)
        .execute(f"{_ENTRIES_SQL} AND member_id = ?", (event_id, *_DOOR_KINDS, member_id))
        .fetchall()
    )
    return [_entry_from_tuple(r) for r in rows]


# each member once however many doors admitted them, and every plus-one; undone admissions left out.
# The WHERE repeats the partial index's condition word for word, so SQLite reads only that index.
_PEOPLE_SQL = (
    "SELECT count(DISTINCT CASE WHEN kind = 'check_in' THEN member_id END)"
    " + count(CASE WHEN kind = 'guest_check_in' THEN 1 END) "
    "FROM ledger_entry WHERE invoice_ref = ? AND kind IN ('check_in', 'guest_check_in') "
    # the event's few undo entries, looked up once (a probe per check-in cost twice the whole count)
    "AND id NOT IN (SELECT reverses FROM ledger_entry "
    "WHERE invoice_ref = ? AND kind = 'reversal' AND reverses IS NOT NULL)"
)


def people_inside(conn: Tx, event_id: str) -> int:
    (people,) = driver(conn).execute(_PEOPLE_SQL, (event_id, event_id)).fetchone()
    return int(people)


def device_names(conn: Tx) -> dict[str, str]:
    """Each device's code, which the door shows as "at which door"."""
    return {r[0]: r[1] for r in driver(conn).execute("SELECT id, code FROM device").fetchall()}
