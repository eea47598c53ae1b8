# SPDX-License-Identifier: GPL-3.0-or-later
"""Card use cases: who is this card (offline), issuing a card or a member QR, revoking a card.

Issuing a chip card is three steps because the signature covers the chip's UID and writing the chip
happens on the reader, outside any database transaction: `prepare_card` (number and signed payload),
writing it (the caller, on the device thread), then `bind_card` once the chip holds it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection

from app.cards import phone_pass
from app.cards.base import CardEvent, CardEventKind
from app.cards.manager import CardManager
from app.cards.payload import CardProfile, sign_card
from app.cards.qr import sign_qr_card
from app.cards.verify import CardVerdict, verify_card
from app.domain.card import Card, CardKind, CardStatus
from app.domain.errors import ClubError
from app.domain.ledger import clean_reason
from app.domain.member import Member
from app.domain.staff import Action, Staff
from app.services.enroll import card_item, new_card
from app.services.identify import resolve
from app.services.issuing_key import load_issuing_key
from app.services.jpeg import fit_photo
from app.services.terminal import Terminal
from app.store import cards, club, members, outbox, phone_codes
from app.store.wire import revocation_to_wire
from sync.protocol import CardTapItem, PhoneCodeItem, RevocationItem

REVOCATIONS_AS_OF_SETTING = "revocations_as_of_us"  # set by sync; absent: this terminal is the authority
REVOCATION_MAX_AGE_SETTING = "revocation_max_age_s"
DEFAULT_REVOCATION_MAX_AGE_S = 3 * 24 * 3600
PROFILE_PHOTO_LIMIT = 4096
# The replay cache keeps codes a day past the window: a clock set back by less cannot bring one back.
PHONE_CODES_KEPT_STEPS = 24 * 3600 // phone_pass.STEP_SECONDS
ChipProof = Literal["challenge", "signature"]  # sync.protocol.CardTapItem.chip


@dataclass(frozen=True, slots=True)
class CardIdentification:
    verdict: CardVerdict
    member: Member | None  # the local record, when there is one
    card_number: str | None
    verify_us: int  # how long verification took


@dataclass(frozen=True, slots=True)
class PreparedCard:
    member: Member
    card: Card
    ndef: bytes | None  # for a chip card
    qr_text: str | None  # for a member QR


def identify_card(
    terminal: Terminal,
    data: bytes | str,
    uid: bytes | None,
    *,
    chip: ChipProof = "signature",
    read_counter: int | None = None,
) -> CardIdentification:
    """Verify what a reader read (NDEF bytes and UID) or a scanner typed (QR text), offline.

    A phone's code is good once here: accepted, it is kept in the replay cache (and reported to the
    server) in the transaction that verified it, so two scans of one code cannot both open the member.
    An accepted chip card is reported too (`record_card_tap`, with what its chip proved: `chip`,
    `read_counter`), so that the server can tell a clone."""
    started = time.perf_counter_ns()
    is_phone = isinstance(data, str) and phone_pass.is_phone_code_text(data)
    with terminal.db.write() if is_phone or is_chip_read(data, uid) else terminal.db.read() as conn:
        now = terminal.clock.now_us()
        verdict = card_verdict(conn, data, uid, now)
        if verdict.valid:
            accept_phone_code(conn, terminal, verdict, "member", now)
            record_card_tap(
                conn, terminal, verdict, data=data, uid=uid, purpose="member", now_us=now, chip=chip,
                read_counter=read_counter,
            )  # fmt: skip
        payload = verdict.payload
        member = members.get(conn, payload.member_id) if payload else None
    return CardIdentification(
        verdict,
        member,
        payload.card_number if payload else None,
        (time.perf_counter_ns() - started) // 1000,
    )


def card_verdict(conn: Connection, data: bytes | str, uid: bytes | None, now_us: int) -> CardVerdict:
    """The offline verdict on a card or member QR, against what this terminal synced (in conn's snapshot)."""
    # a phone's certificate counts only from the server's phone key: any other club key (a till's own, which
    # a stolen till gives away) could otherwise certify a phone for any member
    is_phone = isinstance(data, str) and phone_pass.is_phone_code_text(data)
    return verify_card(
        data,
        uid=uid,
        keys=cards.phone_keys(conn) if is_phone else cards.public_keys(conn),
        now_us=now_us,
        is_revoked=lambda number: cards.is_revoked(conn, number),
        revocations_as_of_us=_revocations_as_of(conn, now_us),
        max_revocation_age_us=int(
            club.setting(conn, REVOCATION_MAX_AGE_SETTING, str(DEFAULT_REVOCATION_MAX_AGE_S)) or 0
        )
        * 1_000_000,
        member_exists=lambda member_id: members.get(conn, member_id) is not None,
        code_seen=lambda number, step: phone_codes.seen(conn, number, step),
    )


def accept_phone_code(
    conn: Connection, terminal: Terminal, verdict: CardVerdict, purpose: str, now_us: int
) -> None:
    """A phone code the caller accepts (opens the member, admits): kept in the replay cache and queued for
    the server (which flags one code used at two terminals), in the caller's write transaction. Nothing
    for a verdict on anything else than a phone code."""
    if verdict.phone_step is None or verdict.payload is None:
        return
    number, step = verdict.payload.card_number, verdict.phone_step
    phone_codes.prune(conn, phone_pass.time_step(now_us) - phone_pass.STEPS_BEHIND - PHONE_CODES_KEPT_STEPS)
    if not phone_codes.mark_seen(conn, number, step, now_us):
        return  # the caller checked the cache in this transaction: never here, but never queued twice
    item = PhoneCodeItem(
        id=terminal.new_id(),
        card_number=number,
        member_id=verdict.payload.member_id,
        step=step,
        used_at_us=now_us,
        purpose=purpose,  # type: ignore[arg-type]
    )
    outbox.add(conn, item.id, outbox.PHONE_CODE, number, item, at_us=now_us)


def is_chip_read(data: bytes | str | None, uid: bytes | None) -> bool:
    """A chip card's read (NDEF bytes with the chip's UID): not a QR code, not a phone's."""
    return isinstance(data, bytes | bytearray) and bool(uid)


def record_card_tap(
    conn: Connection,
    terminal: Terminal,
    verdict: CardVerdict,
    *,
    data: bytes | str | None,
    uid: bytes | None,
    purpose: str,
    now_us: int,
    chip: ChipProof = "signature",
    read_counter: int | None = None,
) -> str | None:
    """A chip card the caller accepts (opens the member, admits): queued for the server with what its chip
    proved (`chip`: "challenge" when it answered the AES challenge with its own key, "signature" when only
    the payload's signature was checked; `read_counter`: the chip's, when it was read), in the caller's
    write transaction, so that the server can flag one card at two branches sooner than anyone travels,
    or a counter going backwards. The item's id; None (nothing queued) for a QR code or a phone's code."""
    if not is_chip_read(data, uid) or verdict.payload is None or verdict.phone_step is not None:
        return None
    item = CardTapItem(
        id=terminal.new_id(),
        card_number=verdict.payload.card_number,
        member_id=verdict.payload.member_id,
        used_at_us=now_us,
        purpose=purpose,  # type: ignore[arg-type]
        chip=chip,
        read_counter=read_counter,
    )
    outbox.add(conn, item.id, outbox.CARD_TAP, item.card_number, item, at_us=now_us)
    return item.id


def identify_event(terminal: Terminal, event: CardEvent) -> CardIdentification | None:
    """The identification a TAPPED event carries; None for events that are not a card read."""
    if event.kind is not CardEventKind.TAPPED:
        return None
    data: bytes | str | None = event.qr_text if event.qr_text is not None else event.ndef
    return identify_card(terminal, data if data is not None else b"", event.uid)


def _revocations_as_of(conn: Connection, now_us: int) -> int:
    value = club.setting(conn, REVOCATIONS_AS_OF_SETTING)
    return now_us if value is None else int(value)


def prepare_card(
    terminal: Terminal,
    member_query: str,
    *,
    staff: Staff,
    uid: bytes | None = None,
    as_qr: bool = False,
    with_profile: bool = False,
) -> PreparedCard:
    """Choose the card number and sign the payload: a chip card bound to `uid`, or a member QR."""
    staff.require(Action.ISSUE_CARD)
    if not as_qr and not uid:
        raise ClubError("uid_required")
    key = load_issuing_key(terminal)
    with terminal.db.write() as conn:
        member = resolve(conn, member_query)
        if uid is not None and (holder := cards.card_by_uid(conn, uid.hex())) is not None:
            raise ClubError("uid_in_use", card=holder.number)
        card = _card_to_issue(conn, member, CardKind.QR if as_qr else CardKind.CARD, terminal)
        profile = _profile(conn, member) if with_profile else None
    common = {
        "member_id": member.id,
        "card_number": card.number,
        "issued_at_us": card.issued_at_us,
        "expires_at_us": card.expires_at_us or 0,
        "national_id_last4": member.national_id_last4,
        "profile": profile,
    }
    if as_qr:
        return PreparedCard(member, card, None, sign_qr_card(key, **common))
    return PreparedCard(member, card, sign_card(key, uid=uid, **common), None)


def _card_to_issue(conn: Connection, member: Member, kind: CardKind, terminal: Terminal) -> Card:
    """The member's active card of this kind still waiting for a chip (or their QR), else a new one."""
    for card in members.cards_of(conn, member.id):
        if card.kind is kind and card.status is CardStatus.ACTIVE and card.uid is None:
            return card
    return new_card(conn, member.id, terminal.clock.now_us(), kind, item_id=terminal.new_id())


def _profile(conn: Connection, member: Member) -> CardProfile:
    photo = members.photo(conn, member.id)
    return CardProfile(
        name=member.name,
        birth_date=member.birth_date,
        photo_jpeg=fit_photo(photo, PROFILE_PHOTO_LIMIT) if photo else None,
    )


def bind_card(terminal: Terminal, card_number: str, uid: bytes) -> None:
    """Record that the chip with this UID now holds the card (after a successful write)."""
    with terminal.db.write() as conn:
        holder = cards.card_by_uid(conn, uid.hex())
        if holder is not None and holder.number != card_number:
            raise ClubError("uid_in_use", card=holder.number)
        if holder is not None:
            return  # bound already (a retry): nothing new for the server either
        cards.bind_uid(conn, card_number, uid.hex())
        bound = cards.card(conn, card_number)
        if bound is None:
            raise ClubError("unknown_card", card=card_number)
        card_item(conn, bound, terminal.new_id(), terminal.clock.now_us())


def revoke_card(
    terminal: Terminal, card_number: str, reason: str, staff: Staff, *, lost: bool = False
) -> Card:
    """Mark a card lost or revoked, with who and why; a revoked card is refused everywhere after sync."""
    staff.require(Action.REVOKE_CARD)
    reason = clean_reason(reason)
    with terminal.db.write() as conn:
        card = cards.card(conn, card_number)
        if card is None:
            raise ClubError("unknown_card", card=card_number)
        if card.status is not CardStatus.ACTIVE:
            raise ClubError("card_not_active", card=card.number, status=card.status.value)
        status = CardStatus.LOST if lost else CardStatus.REVOKED
        revocation_id, now = terminal.new_id(), terminal.clock.now_us()
        cards.revoke(
            conn,
            revocation_id=revocation_id,
            number=card.number,
            status=status,
            reason=reason,
            staff_id=staff.id,
            at_us=now,
        )
        wire = revocation_to_wire(
            revocation_id, card.number, status.value, reason, staff_id=staff.id, at_us=now
        )
        # the revocation's id is the item's too: one revocation, one item
        item = RevocationItem(id=revocation_id, revocation=wire)
        outbox.add(conn, revocation_id, outbox.CARD_REVOCATION, card.number, item, at_us=now)
        revoked = cards.card(conn, card.number)
    assert revoked is not None
    return revoked


def write_card_on_reader(
    terminal: Terminal,
    manager: CardManager,
    event: CardEvent,
    member_query: str,
    *,
    staff: Staff,
    with_profile: bool = False,
    timeout_s: float = 30,
) -> PreparedCard:
    """Issue a chip card onto the card `event` saw on a PC/SC reader: sign for its UID, write it on the
    device thread, then record the binding. Call from a worker thread, never the device thread."""
    from app.cards.pcsc import CardWriteError

    backend = manager.backend("pcsc")
    if backend is None or event.source != "pcsc":
        raise ClubError("card_write_failed", reason="no PC/SC reader")
    if event.uid is None:
        raise ClubError("card_unreadable", reason=event.error.value if event.error else "no uid")
    prepared = prepare_card(terminal, member_query, staff=staff, uid=event.uid, with_profile=with_profile)
    future = manager.submit(
        lambda: backend.write_card(  # type: ignore[attr-defined]
            event.reader, prepared.ndef, int(timeout_s * 1000), expected_uid=event.uid
        )
    )
    try:
        future.result(timeout=timeout_s + 5)
    except CardWriteError as error:
        raise ClubError("card_write_failed", reason=error.error.value) from error
    bind_card(terminal, prepared.card.number, event.uid)
    return prepared
