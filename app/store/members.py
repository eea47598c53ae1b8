# SPDX-License-Identifier: GPL-3.0-or-later
"""Members, their cards and photos in SQLite."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain.card import Card, CardKind, CardStatus
from app.domain.member import Member
from app.store.database import Tx, driver, fetch_one
from app.store.schema import CardRow, MemberPhotoRow, MemberRow, PhotoWantedRow

MEMBER = MemberRow.__table__
CARD = CardRow.__table__
PHOTO = MemberPhotoRow.__table__
# Built once: see app.store.ledger.
# Looking a member up is what the counter does all day: straight to the driver (app.store.database.driver).
_MEMBER_COLUMNS = tuple(MEMBER.c.keys())
_MEMBER_SQL = f"SELECT {', '.join(_MEMBER_COLUMNS)} FROM member WHERE {{}} = ?"
_CARD_SQL = "SELECT * FROM card WHERE number = ?"


def _member(row: Mapping[str, Any]) -> Member:
    data = dict(row)
    if isinstance(data["birth_date"], str):  # raw rows carry SQLite's text form of the date
        data["birth_date"] = date.fromisoformat(data["birth_date"])
    data["consent_marketing"] = bool(data["consent_marketing"])
    return Member(**data)


def card_from_row(row: Any) -> Card:
    data = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    data["status"] = CardStatus(data["status"])
    data["kind"] = CardKind(data["kind"])
    return Card(**data)


def put_member(conn: Connection, member: Member) -> None:
    conn.execute(
        insert(MEMBER).values(
            id=member.id,
            name=member.name,
            phone=member.phone,
            birth_date=member.birth_date,
            national_id_last4=member.national_id_last4,
            tier_code=member.tier_code,
            branch_id=member.branch_id,
            joined_at_us=member.joined_at_us,
            referrer_id=member.referrer_id,
            consent_marketing=member.consent_marketing,
        )
    )


_BY_ID_SQL = _MEMBER_SQL.format("id")
_BY_PHONE_SQL = _MEMBER_SQL.format("phone")


def _fetch_member(conn: Tx, sql: str, key: str) -> Member | None:
    # a plain tuple zipped with known columns: cheaper than a sqlite3.Row cursor, on every sale
    row = driver(conn).execute(sql, (key,)).fetchone()
    return None if row is None else _member(dict(zip(_MEMBER_COLUMNS, row, strict=True)))


def get(conn: Tx, member_id: str) -> Member | None:
    return _fetch_member(conn, _BY_ID_SQL, member_id)


def by_phone(conn: Tx, phone: str) -> Member | None:
    return _fetch_member(conn, _BY_PHONE_SQL, phone)


def by_card_number(conn: Tx, number: str) -> tuple[Member, Card] | None:
    row = fetch_one(conn, _CARD_SQL, (number,))
    if row is None:
        return None
    card = card_from_row(row)
    member = get(conn, card.member_id)
    return None if member is None else (member, card)


def set_tier(conn: Connection, member_id: str, tier_code: str) -> None:
    conn.execute(update(MEMBER).where(MEMBER.c.id == member_id).values(tier_code=tier_code))


def by_name(conn: Connection, text: str, limit: int) -> list[Member]:
    """Members whose name contains text (case-insensitive for Latin letters), shortest names first."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(
        select(MEMBER)
        .where(MEMBER.c.name.like(pattern, escape="\\"))
        .order_by(func.length(MEMBER.c.name), MEMBER.c.name)
        .limit(limit)
    )
    return [_member(r._mapping) for r in rows]


def put_card(conn: Connection, card: Card) -> None:
    conn.execute(
        insert(CARD).values(
            number=card.number,
            uid=card.uid,
            member_id=card.member_id,
            issued_at_us=card.issued_at_us,
            expires_at_us=card.expires_at_us,
            status=card.status.value,
            payload_version=card.payload_version,
            kind=card.kind.value,
        )
    )


def cards_of(conn: Connection, member_id: str) -> list[Card]:
    rows = conn.execute(select(CARD).where(CARD.c.member_id == member_id).order_by(CARD.c.issued_at_us))
    return [card_from_row(r) for r in rows]


def put_photo(conn: Connection, member_id: str, jpeg: bytes) -> None:
    stmt = sqlite_insert(PHOTO).values(member_id=member_id, jpeg=jpeg)
    conn.execute(stmt.on_conflict_do_update(index_elements=[PHOTO.c.member_id], set_={"jpeg": jpeg}))


def forget_photo(conn: Connection, member_id: str) -> None:
    """Delete the member's photo here, and any wish to fetch one (an erased member: app.store.replica)."""
    conn.execute(PHOTO.delete().where(PHOTO.c.member_id == member_id))
    wanted = PhotoWantedRow.__table__
    conn.execute(wanted.delete().where(wanted.c.member_id == member_id))


def photo(conn: Tx, member_id: str) -> bytes | None:
    row = driver(conn).execute("SELECT jpeg FROM member_photo WHERE member_id = ?", (member_id,)).fetchone()
    return None if row is None else row[0]


def has_photo(conn: Connection, member_id: str) -> bool:
    return (
        conn.execute(
            select(func.count()).select_from(PHOTO).where(PHOTO.c.member_id == member_id)
        ).scalar_one()
        > 0
    )


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(MEMBER)).scalar_one()
