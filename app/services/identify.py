# SPDX-License-Identifier: GPL-3.0-or-later
"""Finding a member by what the cashier has: a card number, a phone number or a member id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import Connection

from app.domain.balance import MemberBalance
from app.domain.card import Card, CardStatus, is_valid_card_number, normalize_card_number
from app.domain.errors import ClubError
from app.domain.ledger import LedgerEntry
from app.domain.member import Member
from app.domain.phone import normalize_phone
from app.domain.tier import Tier
from app.services.terminal import Terminal
from app.store import club, ledger, members


@dataclass(frozen=True, slots=True)
class MemberProfile:
    member: Member
    tier: Tier
    balance: MemberBalance
    cards: list[Card]
    recent: list[LedgerEntry]
    unsynced: set[str]  # ids among `recent` the server has not acknowledged yet
    has_photo: bool
    set_aside: frozenset[str] = frozenset()  # ids among `recent` the server set aside: they count nowhere
    # of those, the ones the club's review confirmed as refused (for good, no longer waiting): id → note
    refused: dict[str, str] = field(default_factory=dict)


def find_member(terminal: Terminal, query: str, recent_limit: int = 10) -> MemberProfile:
    """The member a query names; a card that is lost or revoked is refused, not silently accepted."""
    with terminal.db.read() as conn:
        return member_profile(conn, query, recent_limit)


def member_profile(
    conn: Connection, query: str, recent_limit: int = 10, *, has_photo: bool | None = None
) -> MemberProfile:
    """`find_member` inside the caller's snapshot (the window reads the photo and branch in the same one,
    and says `has_photo` itself)."""
    member = resolve(conn, query)
    recent = ledger.recent_for_member(conn, member.id, recent_limit)
    set_aside = ledger.set_aside_among(conn, [e.id for e in recent])
    decisions = ledger.decisions_among(conn, set_aside)
    return MemberProfile(
        member=member,
        tier=club.tier(conn, member.tier_code),
        balance=ledger.balance(conn, member.id),
        cards=members.cards_of(conn, member.id),
        recent=recent,
        unsynced=ledger.unacknowledged(conn, [e.id for e in recent]),
        has_photo=members.has_photo(conn, member.id) if has_photo is None else has_photo,
        set_aside=frozenset(set_aside),
        refused={i: d.note for i, d in decisions.items() if d.decision == "refused"},
    )


def resolve(conn: Connection, query: str) -> Member:
    text = (query or "").strip()
    if is_valid_card_number(text):
        found = members.by_card_number(conn, normalize_card_number(text))
        if found is None:
            raise ClubError("unknown_card", card=normalize_card_number(text))
        member, card = found
        if card.status is not CardStatus.ACTIVE:
            raise ClubError("card_not_active", card=card.number, status=card.status.value)
        return member
    if _is_uuid(text):
        member = members.get(conn, str(uuid.UUID(text)))
        if member is None:
            raise ClubError("unknown_member", member=text)
        return member
    try:
        phone = normalize_phone(text)
    except ClubError:
        raise ClubError("unknown_member", member=text) from None
    member = members.by_phone(conn, phone)
    if member is None:
        raise ClubError("unknown_member", member=text)
    return member


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text.replace("-", "")) == 32


@dataclass(frozen=True, slots=True)
class MemberMatch:
    member: Member
    points: int


# People type Arabic forms of these letters on some keyboards; members' names are stored as typed.
_ARABIC_TO_PERSIAN = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "ة": "ه"})
MAX_MATCHES = 20


def search_members(terminal: Terminal, text: str, limit: int = MAX_MATCHES) -> list[MemberMatch]:
    """Members a cashier's search names: exactly by card, phone or id, else by part of the name."""
    query = " ".join((text or "").split())
    if not query:
        return []
    with terminal.db.read() as conn:
        try:
            found = [resolve(conn, query)]
        except ClubError as error:
            if error.code == "card_not_active":
                raise
            found = members.by_name(conn, query.translate(_ARABIC_TO_PERSIAN), limit)
        return [MemberMatch(m, ledger.balance(conn, m.id).points) for m in found]
