# SPDX-License-Identifier: GPL-3.0-or-later
"""Card-signing keys and card revocations in SQLite."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from app.domain.card import Card, CardStatus
from app.store.database import Tx, driver
from app.store.members import CARD, card_from_row
from app.store.schema import CardRevocationRow, ClubKeyRow

KEY = ClubKeyRow.__table__
REVOCATION = CardRevocationRow.__table__


def put_key(
    conn: Connection, key_id: int, public_key: bytes, created_at_us: int, purpose: str = "card"
) -> None:
    conn.execute(
        insert(KEY).values(key_id=key_id, public_key=public_key, created_at_us=created_at_us, purpose=purpose)
    )


def public_keys(conn: Tx) -> dict[int, bytes]:
    """Every key the club has signed cards with, retired ones too: their cards stay valid until expiry.
    Read at every tap: prepared SQL on the driver (app.store.database.driver)."""
    return dict(driver(conn).execute("SELECT key_id, public_key FROM club_key").fetchall())


def phone_keys(conn: Connection) -> dict[int, bytes]:
    """The server's keys that certify members' phones (app.cards.phone_pass), retired ones too."""
    rows = conn.execute(select(KEY.c.key_id, KEY.c.public_key).where(KEY.c.purpose == "phone"))
    return {r.key_id: r.public_key for r in rows}


def card(conn: Connection, number: str) -> Card | None:
    row = conn.execute(select(CARD).where(CARD.c.number == number)).one_or_none()
    return None if row is None else card_from_row(row)


def card_by_uid(conn: Connection, uid_hex: str) -> Card | None:
    row = conn.execute(select(CARD).where(CARD.c.uid == uid_hex)).one_or_none()
    return None if row is None else card_from_row(row)


def bind_uid(conn: Connection, number: str, uid_hex: str) -> None:
    """Record the chip a card number was written to (a card number is bound to one chip)."""
    conn.execute(update(CARD).where(CARD.c.number == number).values(uid=uid_hex))


def revoke(
    conn: Connection,
    *,
    revocation_id: str,
    number: str,
    status: CardStatus,
    reason: str,
    staff_id: str | None,
    at_us: int,
) -> None:
    conn.execute(update(CARD).where(CARD.c.number == number).values(status=status.value))
    conn.execute(
        insert(REVOCATION).values(
            id=revocation_id,
            card_number=number,
            status=status.value,
            reason=reason,
            staff_id=staff_id,
            at_us=at_us,
        )
    )


def is_revoked(conn: Tx, number: str) -> bool:
    row = driver(conn).execute("SELECT status FROM card WHERE number = ?", (number,)).fetchone()
    return row is not None and row[0] != CardStatus.ACTIVE.value
