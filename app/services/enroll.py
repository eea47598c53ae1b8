# SPDX-License-Identifier: GPL-3.0-or-later
"""Enrolling a new member, optionally with a printed card number, in one transaction.

Whatever is made here also goes into the outbox in the same transaction (a member item, a card item, a
local photo item), whether or not the terminal is enrolled with a server: a terminal that never is simply
never pushes them, and one transaction shape for both keeps the rule "a thing exists exactly when its item
does" without exceptions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection

from app.domain.card import Card, CardKind, card_number
from app.domain.errors import ClubError
from app.domain.ids import canonical_uuid, derived_id
from app.domain.member import Member, clean_name, national_id_last4
from app.domain.phone import normalize_phone
from app.domain.staff import Action, Staff
from app.services import bonuses
from app.services.terminal import Terminal
from app.store import club, ledger, members, outbox
from sync.protocol import CardItem, MemberItem
from sync.translate import card_to_wire, member_to_wire

CARD_PREFIX_SETTING = "card_prefix"
CARD_SERIAL_SETTING = "card_serial"
DEFAULT_CARD_PREFIX = "9826"
CARD_VALIDITY_US = 3 * 365 * 24 * 3600 * 1_000_000
MAX_PHOTO_BYTES = 512 * 1024


@dataclass(frozen=True, slots=True)
class EnrollRequest:
    name: str
    phone: str
    birth_date: date | None = None
    national_id: str | None = None
    referrer_id: str | None = None
    consent_marketing: bool = False
    photo_jpeg: bytes | None = None
    with_card: bool = True
    staff: Staff | None = None
    member_id: str | None = None  # the idempotency key; a new one when None


@dataclass(frozen=True, slots=True)
class EnrollResult:
    member: Member
    card: Card | None
    replayed: bool = False


def enroll_member(terminal: Terminal, request: EnrollRequest) -> EnrollResult:
    if request.staff is not None:
        request.staff.require(Action.ENROLL_MEMBER)
    name = clean_name(request.name)
    phone = normalize_phone(request.phone)
    last4 = national_id_last4(request.national_id) if request.national_id else None
    if request.photo_jpeg is not None and not _is_jpeg(request.photo_jpeg):
        raise ClubError("invalid_photo")
    now = terminal.clock.now_us()
    if (
        request.birth_date is not None
        and not date(1900, 1, 1) <= request.birth_date <= datetime.fromtimestamp(now // 1_000_000, UTC).date()
    ):
        raise ClubError("invalid_birth_date", birth_date=str(request.birth_date))
    member_id = terminal.new_id() if request.member_id is None else _member_id(request.member_id)
    with terminal.db.write() as conn:
        existing = members.get(conn, member_id)
        if existing is not None:
            if (existing.phone, existing.name) != (phone, name):
                raise ClubError("entry_conflict", entry=member_id)
            cards = members.cards_of(conn, member_id)
            return EnrollResult(existing, cards[0] if cards else None, replayed=True)
        holder = members.by_phone(conn, phone)
        if holder is not None:
            raise ClubError("duplicate_phone", phone=phone, member=holder.id, name=holder.name)
        if request.referrer_id is not None and members.get(conn, request.referrer_id) is None:
            raise ClubError("unknown_referrer", member=request.referrer_id)
        member = Member(
            id=member_id,
            name=name,
            phone=phone,
            tier_code=club.entry_tier(conn).code,
            branch_id=terminal.branch_id,
            joined_at_us=now,
            birth_date=request.birth_date,
            national_id_last4=last4,
            referrer_id=request.referrer_id,
            consent_marketing=request.consent_marketing,
        )
        members.put_member(conn, member)
        card = _queue_new_member(conn, member, request, now)
        # the signup bonus, in the enrolment's transaction; its id derived so a retry names it again
        signup = bonuses.signup_draft(
            conn, str(derived_id(member.id, 4)), member_id=member.id, branch_id=terminal.branch_id, now_us=now
        )
        if signup is not None:
            ledger.append(conn, terminal.device_id, [signup])
        return EnrollResult(member, card)


def _member_id(raw: str) -> str:
    """A member id as the wire carries it (lowercase, dashed UUID); it seeds the ids of its outbox items."""
    member_id = canonical_uuid(raw)
    if member_id is None:
        raise ClubError("invalid_member_id", member=raw)
    return member_id


def _queue_new_member(conn: Connection, member: Member, request: EnrollRequest, now: int) -> Card | None:
    """The member's outbox item, photo and first card, with item ids derived from the member's id so
    that the same enrolment retried names the same items."""
    item_id = str(derived_id(member.id, 1))
    item = MemberItem(id=item_id, member=member_to_wire(member))
    outbox.add(conn, item_id, outbox.MEMBER, member.id, item, at_us=now)
    if request.photo_jpeg is not None:
        store_photo(conn, member.id, request.photo_jpeg, str(derived_id(member.id, 2)), now)
    if not request.with_card:
        return None
    return new_card(conn, member.id, now, item_id=str(derived_id(member.id, 3)))


def change_photo(terminal: Terminal, member_id: str, jpeg: bytes, staff: Staff | None = None) -> None:
    """Take a new photo of a member; it replaces the old one here and, after sync, everywhere."""
    if staff is not None:
        staff.require(Action.ENROLL_MEMBER)
    if not _is_jpeg(jpeg):
        raise ClubError("invalid_photo")
    with terminal.db.write() as conn:
        member = members.get(conn, member_id)
        if member is None:
            raise ClubError("unknown_member", member=member_id)
        if member.erased:
            raise ClubError("member_erased")
        store_photo(conn, member_id, jpeg, terminal.new_id(), terminal.clock.now_us())


def store_photo(conn: Connection, member_id: str, jpeg: bytes, item_id: str, now_us: int) -> None:
    """Keep the member's photo and queue it for upload (a local item: photos go up on their own)."""
    members.put_photo(conn, member_id, jpeg)
    body = {"member_id": member_id, "sha256": hashlib.sha256(jpeg).hexdigest(), "size": len(jpeg)}
    outbox.add(conn, item_id, outbox.PHOTO, member_id, body, at_us=now_us)


def card_item(conn: Connection, card: Card, item_id: str, now_us: int) -> None:
    """Queue a card (new, or newly bound to a chip) for the server: an upsert by number there."""
    outbox.add(
        conn, item_id, outbox.CARD, card.number, CardItem(id=item_id, card=card_to_wire(card)), at_us=now_us
    )


def new_card(
    conn: Connection,
    member_id: str,
    now_us: int,
    kind: CardKind = CardKind.CARD,
    *,
    item_id: str,
) -> Card:
    """The next card number of this terminal's series (writing it to a chip is card issuing's job)."""
    prefix = club.setting(conn, CARD_PREFIX_SETTING, DEFAULT_CARD_PREFIX) or DEFAULT_CARD_PREFIX
    serial = int(club.setting(conn, CARD_SERIAL_SETTING, "0") or 0) + 1
    club.put_setting(conn, CARD_SERIAL_SETTING, str(serial))
    card = Card(
        number=card_number(prefix, serial),
        member_id=member_id,
        issued_at_us=now_us,
        expires_at_us=now_us + CARD_VALIDITY_US,
        kind=kind,
    )
    members.put_card(conn, card)
    card_item(conn, card, item_id, now_us)
    return card


def _is_jpeg(data: bytes) -> bool:
    return 0 < len(data) <= MAX_PHOTO_BYTES and data[:3] == b"\xff\xd8\xff"
