# SPDX-License-Identifier: GPL-3.0-or-later
"""Card use cases: who is this card (offline), issuing a card or a member QR, revoking a card.

Issuing a chip card is three steps because the signature covers the chip's UID and writing the chip
happens on the reader, outside any database transaction: `prepare_card` (number and signed payload),
writing it (the caller, on the device thread), then `bind_card` once the chip holds it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Connection

from app.cards import phone_pass
from app.cards.base import CardEvent, CardEventKind
from app.cards.manager import CardManager
from app.cards.ntag424.check import ChipProof
from app.cards.ntag424.keys import chip_ndef_message
from app.cards.payload import CardProfile, card_record, payload_from_ndef, sign_card
from app.cards.qr import sign_qr_card
from app.cards.verify import CHECK_CHALLENGE, CardPolicy, CardVerdict, verify_card
from app.domain.card import Card, CardKind, CardStatus
from app.domain.errors import ClubError
from app.domain.ledger import clean_reason
from app.domain.member import Member
from app.domain.staff import Action, Staff
from app.services.chip_keys import ChipKeys, IssuingChipKeys
from app.services.enroll import card_item, new_card
from app.services.identify import resolve
from app.services.issuing_key import load_issuing_key
from app.services.jpeg import fit_photo
from app.services.terminal import Terminal
from app.store import cards, club, members, outbox, phone_codes
from sync.protocol import CardTapItem, PhoneCodeItem, RevocationItem
from sync.translate import revocation_to_wire

log = logging.getLogger(__name__)
T = TypeVar("T")

REVOCATIONS_AS_OF_SETTING = "revocations_as_of_us"  # set by sync; absent: this terminal is the authority
REVOCATION_MAX_AGE_SETTING = "revocation_max_age_s"
DEFAULT_REVOCATION_MAX_AGE_S = 3 * 24 * 3600
PROFILE_PHOTO_LIMIT = 4096
# The replay cache keeps codes a day past the window: a clock set back by less cannot bring one back.
PHONE_CODES_KEPT_STEPS = 24 * 3600 // phone_pass.STEP_SECONDS
# The club's policy for cards no chip check vouches for (app.cards.verify.CardPolicy), published settings
OLD_CARDS_SETTING = "card_old_cards"
UNCHECKED_CHIPS_SETTING = "card_unchecked_chips"
_VERDICT_SETTINGS = (
    REVOCATIONS_AS_OF_SETTING, REVOCATION_MAX_AGE_SETTING, OLD_CARDS_SETTING, UNCHECKED_CHIPS_SETTING
)


@dataclass(frozen=True, slots=True)
class CardIdentification:
    verdict: CardVerdict
    member: Member | None  # the local record, when there is one
    card_number: str | None
    verify_us: int  # how long verification took
    at_us: int = 0  # when it was verified (the time a tap recorded later carries)


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
    proof: ChipProof | None = None,
    record_tap: bool = True,
) -> CardIdentification:
    """Verify what a reader read (NDEF bytes and UID) or a scanner typed (QR text), offline.

    A phone's code is good once here: accepted, it is kept in the replay cache (and reported to the
    server) in the transaction that verified it, so two scans of one code cannot both open the member.
    `proof` is what the reader proved of a chip-keyed card's chip (app.cards.ntag424). An accepted chip card
    is reported too (`record_card_tap`, with what its chip proved), so that the server can tell a clone;
    with `record_tap=False` the caller reports it afterwards (`record_member_tap`): the window shows the
    member first, from a read snapshot that never waits for a writer, and the durable write follows."""
    started = time.perf_counter_ns()
    is_phone = isinstance(data, str) and phone_pass.is_phone_code_text(data)
    writes = is_phone or (record_tap and is_chip_read(data, uid))
    with terminal.db.write() if writes else terminal.db.read() as conn:
        now = terminal.clock.now_us()
        verdict = card_verdict(conn, data, uid, now, proof)
        if verdict.valid:
            accept_phone_code(conn, terminal, verdict, "member", now)
            if record_tap:
                record_card_tap(
                    conn, terminal, verdict, data=data, uid=uid, purpose="member", now_us=now, proof=proof
                )
        payload = verdict.payload
        member = members.get(conn, payload.member_id) if payload else None
    return CardIdentification(
        verdict,
        member,
        payload.card_number if payload else None,
        (time.perf_counter_ns() - started) // 1000,
        now,
    )


def record_member_tap(terminal: Terminal, identified: CardIdentification, event: CardEvent) -> str | None:
    """The chip card tap `identify_event(..., record_tap=False)` accepted, reported now in its own write
    transaction, at the time it was verified; the outbox item's id, or None for what is not reported (a
    refused card, a QR code, a phone's code)."""
    if not identified.verdict.valid:
        return None
    with terminal.db.write() as conn:
        return record_card_tap(
            conn,
            terminal,
            identified.verdict,
            data=event.qr_text if event.qr_text is not None else event.ndef,
            uid=event.uid,
            purpose="member",
            now_us=identified.at_us,
            proof=event.chip,
        )


def card_verdict(
    conn: Connection, data: bytes | str, uid: bytes | None, now_us: int, proof: ChipProof | None = None
) -> CardVerdict:
    """The offline verdict on a card or member QR, against what this terminal synced (in conn's snapshot),
    with what the reader proved of its chip."""
    # a phone's certificate counts only from the server's phone key: any other club key (a till's own, which
    # a stolen till gives away) could otherwise certify a phone for any member
    is_phone = isinstance(data, str) and phone_pass.is_phone_code_text(data)
    settings = club.settings(conn, _VERDICT_SETTINGS)  # one statement, not one a setting
    as_of = settings.get(REVOCATIONS_AS_OF_SETTING)
    max_age_s = settings.get(REVOCATION_MAX_AGE_SETTING, str(DEFAULT_REVOCATION_MAX_AGE_S))
    return verify_card(
        data,
        uid=uid,
        keys=cards.phone_keys(conn) if is_phone else cards.public_keys(conn),
        now_us=now_us,
        is_revoked=lambda number: cards.is_revoked(conn, number),
        revocations_as_of_us=now_us if as_of is None else int(as_of),
        max_revocation_age_us=int(max_age_s or 0) * 1_000_000,
        member_exists=lambda member_id: members.get(conn, member_id) is not None,
        code_seen=lambda number, step: phone_codes.seen(conn, number, step),
        chip=proof,
        policy=_card_policy(settings),
    )


def card_policy(conn: Connection) -> CardPolicy:
    """The club's choice for old cards and unchallenged chips (published settings; the defaults until the
    first sync: old cards accepted, unchallenged chips for earning only)."""
    return _card_policy(club.settings(conn, (OLD_CARDS_SETTING, UNCHECKED_CHIPS_SETTING)))


def _card_policy(settings: dict[str, str]) -> CardPolicy:
    default = CardPolicy()
    return CardPolicy(
        old_cards=settings.get(OLD_CARDS_SETTING) or default.old_cards,
        unchecked_chips=settings.get(UNCHECKED_CHIPS_SETTING) or default.unchecked_chips,
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
    proof: ChipProof | None = None,
) -> str | None:
    """A chip card the caller accepts (opens the member, admits): queued for the server with what its chip
    proved ("challenge" when the verdict names it, else "signature"; the chip's read counter when the proof
    read it), in the caller's
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
        chip="challenge" if CHECK_CHALLENGE in verdict.checks else "signature",
        read_counter=proof.read_counter if proof is not None else None,
    )
    outbox.add(conn, item.id, outbox.CARD_TAP, item.card_number, item, at_us=now_us)
    return item.id


def identify_event(
    terminal: Terminal, event: CardEvent, *, record_tap: bool = True
) -> CardIdentification | None:
    """The identification a TAPPED event carries; None for events that are not a card read."""
    if event.kind is not CardEventKind.TAPPED:
        return None
    data: bytes | str | None = event.qr_text if event.qr_text is not None else event.ndef
    return identify_card(
        terminal, data if data is not None else b"", event.uid, proof=event.chip, record_tap=record_tap
    )


def prepare_card(
    terminal: Terminal,
    member_query: str,
    *,
    staff: Staff,
    uid: bytes | None = None,
    as_qr: bool = False,
    with_profile: bool = False,
    chip: IssuingChipKeys | None = None,
) -> PreparedCard:
    """Choose the card number and sign the payload: a chip card bound to `uid`, or a member QR. With `chip`
    (the branch's keys for a factory-fresh NTAG 424 DNA), a chip-keyed card: its payload says so under the
    signature and its message names the key it is keyed with."""
    staff.require(Action.ISSUE_CARD)
    if not as_qr and not uid:
        raise ClubError("uid_required")
    if chip is not None and with_profile:
        raise ClubError("card_chip_no_profile")  # NTAG 424 DNA's NDEF file holds 256 bytes: no photo
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
    message = sign_card(key, uid=uid, chip_keyed=chip is not None, **common)
    if chip is not None:
        message = chip_ndef_message(card_record(payload_from_ndef(message)), chip.ref)
    return PreparedCard(member, card, message, None)


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
    chip_keys: ChipKeys | None = None,
) -> PreparedCard:
    """Issue a chip card onto the card `event` saw on a PC/SC reader: sign for its UID, write it on the
    device thread, then record the binding. Call from a worker thread, never the device thread.

    A terminal that holds its branch's write keys (`chip_keys`) makes a factory-fresh NTAG 424 DNA a
    chip-keyed card (app.cards.ntag424.personalise); any other Type 4 card gets a card of before chip keys,
    unless the club has retired those."""
    backend = manager.backend("pcsc")
    if backend is None or event.source != "pcsc":
        raise ClubError("card_write_failed", reason="no PC/SC reader")
    if event.uid is None:
        raise ClubError("card_unreadable", reason=event.error.value if event.error else "no uid")
    issuing = chip_keys.issuing_keys(event.uid) if chip_keys is not None and not with_profile else None
    prepared = None
    if issuing is not None:
        prepared = _personalised(
            terminal, manager, backend, event, member_query, staff=staff, issuing=issuing, timeout_s=timeout_s
        )
    if prepared is None:
        with terminal.db.read() as conn:
            if card_policy(conn).old_cards == "refuse":
                raise ClubError("card_chip_required")
        prepared = prepare_card(terminal, member_query, staff=staff, uid=event.uid, with_profile=with_profile)
        _on_device(manager, lambda: backend.write_card(  # type: ignore[attr-defined]
            event.reader, prepared.ndef, int(timeout_s * 1000), expected_uid=event.uid
        ), timeout_s)  # fmt: skip
    bind_card(terminal, prepared.card.number, event.uid)
    return prepared


# How personalise's end states read for the clerk (app.messages: card_chip_<state>)
_ISSUE_REFUSALS = {"already_issued", "not_fresh", "wrong_card", "interrupted", "failed", "unverified"}


def _personalised(
    terminal: Terminal, manager: CardManager, backend: object, event: CardEvent, member_query: str, *,
    staff: Staff, issuing: IssuingChipKeys, timeout_s: float,
) -> PreparedCard | None:  # fmt: skip
    """Personalise the NTAG 424 DNA on the reader as a chip-keyed card; None when the card is no NTAG 424
    DNA (the caller writes a card of before chip keys). Raises ClubError for every other end but success."""
    assert event.uid is not None
    prepared = prepare_card(terminal, member_query, staff=staff, uid=event.uid, chip=issuing)
    card_keys = (issuing.master, issuing.read, *issuing.spares)
    result = _on_device(manager, lambda: backend.personalise_card(  # type: ignore[attr-defined]
        event.reader, prepared.ndef, card_keys, int(timeout_s * 1000), expected_uid=event.uid
    ), timeout_s)  # fmt: skip
    if result.state == "not_ntag424":
        return None
    if result.state in _ISSUE_REFUSALS:
        log.info("chip card not issued: %s at %s (%s)", result.state, result.step, result.detail)
        raise ClubError(f"card_chip_{result.state}", card=prepared.card.number)
    return prepared


def _on_device(manager: CardManager, work: Callable[[], T], timeout_s: float) -> T:
    """Run reader work on the card manager's device thread; a reader failure is the clerk's ClubError."""
    from app.cards.pcsc import CardWriteError

    future = manager.submit(work)
    try:
        return future.result(timeout=timeout_s + 5)
    except CardWriteError as error:
        raise ClubError("card_write_failed", reason=error.error.value) from error
