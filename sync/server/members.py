# SPDX-License-Identifier: GPL-3.0-or-later
"""Members, their cards, revocations and photos on the server; each write publishes its change.

Callers check that what a row refers to exists before writing it (`refusal_*`): on PostgreSQL a foreign
key violation would abort the whole transaction, and one bad item must not sink the batch around it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row, select, update

from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.search_text import reversed_digits, search_key
from sync.protocol import WireCard, WireMember, WireRevocation
from sync.server.db import dialect_insert, one_of
from sync.server.errors import ApiError
from sync.server.models import BALANCE, BRANCH, CARD, MEMBER, MEMBER_PHOTO, REVOCATION, TIER
from sync.server.sequence import Publisher

_MEMBER_FIELDS = tuple(WireMember.model_fields)
_CARD_FIELDS = tuple(WireCard.model_fields)


def wire_member(row: Row[Any]) -> WireMember:
    return WireMember.model_validate({name: getattr(row, name) for name in _MEMBER_FIELDS})


def get(conn: Connection, member_id: str) -> WireMember | None:
    row = conn.execute(select(MEMBER).where(MEMBER.c.id == member_id)).one_or_none()
    return None if row is None else wire_member(row)


def existing_ids(conn: Connection, member_ids: set[str]) -> set[str]:
    if not member_ids:
        return set()
    return set(conn.execute(select(MEMBER.c.id).where(one_of(conn, MEMBER.c.id, member_ids))).scalars())


def refusal_for_member(conn: Connection, member: WireMember) -> str | None:
    """Why this member cannot be stored (a reason code), or None."""
    if conn.execute(select(TIER.c.code).where(TIER.c.code == member.tier_code)).first() is None:
        return "unknown_tier"
    if conn.execute(select(BRANCH.c.id).where(BRANCH.c.id == member.branch_id)).first() is None:
        return "unknown_branch"
    return None


def put_member(
    conn: Connection,
    pub: Publisher,
    member: WireMember,
    enrolled_by: str | None = None,
    *,
    consent_source: str = "terminal",
) -> list[str]:
    """Upsert the whole record and publish it; returns other members' ids that share its phone. An erased
    member is refused (409 `member_erased`).

    A tier set by a tier_change entry is the ledger's (app.domain.tiering.standing): a record that names
    another tier (a terminal that had not seen the entry yet) keeps the ledger's, and says so when
    published.

    The record is the terminals' (WireMember): the server's own contact data (email, preferred channel)
    is not in it and stays as it is. A change of marketing consent keeps its date and where it was given:
    `consent_source` ("terminal" for a push, "back_office" for head office)."""
    columns = (MEMBER.c.tier_code, MEMBER.c.tier_entry_id, MEMBER.c.consent_marketing, MEMBER.c.erased_at_us)
    stored = conn.execute(select(*columns).where(MEMBER.c.id == member.id)).first()
    if stored is not None and stored.erased_at_us is not None:
        # every path that writes a member comes here: an erased member's data never comes back
        raise ApiError(409, "member_erased", "this member's personal data was erased; they cannot be edited")
    if stored is not None and stored.tier_entry_id is not None and stored.tier_code != member.tier_code:
        member = member.model_copy(update={"tier_code": stored.tier_code})
    # the search keys (sync.server.club.members.search) are made here, with every write of name and phone
    keys = {"name_key": search_key(member.name), "phone_rev": reversed_digits(member.phone)}
    values = member.model_dump() | keys | {"updated_at_us": pub.at_us}
    if stored is None or bool(stored.consent_marketing) != member.consent_marketing:
        values["consent_marketing_at_us"] = pub.at_us  # the consent's date: when it was given or withdrawn
        values["consent_marketing_source"] = consent_source
    # the terminal that enrolled the member (sync.server.vetting.items): set once, with the new row
    statement = dialect_insert(conn, MEMBER).values(**values, enrolled_by=enrolled_by)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["id"], set_={k: v for k, v in values.items() if k != "id"}
        )
    )
    conn.execute(dialect_insert(conn, BALANCE).values(member_id=member.id).on_conflict_do_nothing())
    pub.change("member", {"kind": "member", "member": member.model_dump(mode="json")}, member_id=member.id)
    others = select(MEMBER.c.id).where(MEMBER.c.phone == member.phone, MEMBER.c.id != member.id)
    return sorted(conn.execute(others).scalars())


def apply_tier_changes(conn: Connection, pub: Publisher, entries: Iterable[LedgerEntry]) -> None:
    """Move members to the tier their newest accepted tier_change entry names (newest by time, then id,
    as app.domain.tiering.standing orders them), unless the member already holds a newer one; publish
    each member whose tier moved, so terminals that did not see the entry follow. Callers refuse entries
    naming a tier the table lacks (push: `unknown_tier`)."""
    latest: dict[str, LedgerEntry] = {}
    for entry in entries:
        if entry.kind is not EntryKind.TIER_CHANGE or not entry.invoice_ref:
            continue
        seen = latest.get(entry.member_id)
        if seen is None or (entry.created_at_us, entry.id) > (seen.created_at_us, seen.id):
            latest[entry.member_id] = entry
    for member_id in sorted(latest):  # id order, as balances lock them
        entry = latest[member_id]
        row = conn.execute(select(MEMBER).where(MEMBER.c.id == member_id)).one_or_none()
        if row is None or (entry.created_at_us, entry.id) <= (row.tier_since_us, row.tier_entry_id or ""):
            continue
        conn.execute(
            update(MEMBER)
            .where(MEMBER.c.id == member_id)
            .values(
                tier_code=entry.invoice_ref,
                tier_since_us=entry.created_at_us,
                tier_entry_id=entry.id,
                updated_at_us=pub.at_us,
            )
        )
        if row.tier_code != entry.invoice_ref:
            moved = wire_member(row).model_copy(update={"tier_code": entry.invoice_ref})
            pub.change(
                "member", {"kind": "member", "member": moved.model_dump(mode="json")}, member_id=member_id
            )


# ---- cards and revocations ------------------------------------------------------------------------


def card_owner(conn: Connection, number: str) -> str | None:
    return conn.execute(select(CARD.c.member_id).where(CARD.c.number == number)).scalar_one_or_none()


def cards_of(conn: Connection, member_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(CARD).where(CARD.c.member_id == member_id).order_by(CARD.c.issued_at_us))
    return [dict(r._mapping) for r in rows]


def refusal_for_card(conn: Connection, card: WireCard) -> str | None:
    if not existing_ids(conn, {card.member_id}):
        return "unknown_member"
    owner = card_owner(conn, card.number)
    if owner is not None and owner != card.member_id:
        return "card_number_taken"
    return None


def put_card(conn: Connection, pub: Publisher, card: WireCard, status: str | None = None) -> None:
    """Upsert by number. A card's status changes only through revocations (or `status` on import)."""
    values = card.model_dump()
    insert_values = values | {"status": status or "active"}
    update_values = {k: v for k, v in values.items() if k != "number"}
    if status is not None:
        update_values["status"] = status
    statement = dialect_insert(conn, CARD).values(**insert_values)
    conn.execute(statement.on_conflict_do_update(index_elements=["number"], set_=update_values))
    pub.change("card", {"kind": "card", "card": card.model_dump(mode="json")}, member_id=card.member_id)


def revoke(conn: Connection, pub: Publisher, revocation: WireRevocation) -> bool:
    """Record a revocation (once per id) and set the card's status; False if that id was already there."""
    member_id = card_owner(conn, revocation.card_number)
    inserted = conn.execute(
        dialect_insert(conn, REVOCATION)
        .values(**revocation.model_dump(), member_id=member_id)
        .on_conflict_do_nothing()
        .returning(REVOCATION.c.id)
    ).first()
    if inserted is None:
        return False
    conn.execute(update(CARD).where(CARD.c.number == revocation.card_number).values(status=revocation.status))
    pub.change(
        "card_revocation",
        {"kind": "card_revocation", "revocation": revocation.model_dump(mode="json")},
        member_id=member_id,
    )
    return True


# ---- photos ---------------------------------------------------------------------------------------


def set_photo(conn: Connection, pub: Publisher, member_id: str, sha256: str, size: int) -> bool:
    """Make this the member's current photo and publish it; False if it already was."""
    current = conn.execute(
        select(MEMBER_PHOTO.c.sha256).where(MEMBER_PHOTO.c.member_id == member_id)
    ).scalar_one_or_none()
    if current == sha256:
        return False
    values = {"member_id": member_id, "sha256": sha256, "size": size, "set_at_us": pub.at_us}
    statement = dialect_insert(conn, MEMBER_PHOTO).values(**values)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["member_id"], set_={k: v for k, v in values.items() if k != "member_id"}
        )
    )
    body = {"kind": "member_photo", "member_id": member_id, "sha256": sha256, "size": size}
    pub.change("member_photo", body, member_id=member_id)
    return True
