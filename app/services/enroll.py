# SPDX-License-Identifier: GPL-3.0-or-later
"""Enrolling a new member, optionally with a printed card number, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection

from app.domain.card import Card, CardKind, card_number
from app.domain.errors import ClubError
from app.domain.member import Member, clean_name, national_id_last4
from app.domain.phone import normalize_phone
from app.domain.staff import Action, Staff
from app.services.terminal import Terminal
from app.store import club, members

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
    member_id = request.member_id or terminal.new_id()
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
        if request.photo_jpeg is not None:
            members.put_photo(conn, member_id, request.photo_jpeg)
        card = new_card(conn, member_id, now) if request.with_card else None
        return EnrollResult(member, card)


def new_card(conn: Connection, member_id: str, now_us: int, kind: CardKind = CardKind.CARD) -> Card:
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
    return card


def _is_jpeg(data: bytes) -> bool:
    return 0 < len(data) <= MAX_PHOTO_BYTES and data[:3] == b"\xff\xd8\xff"
