# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline verification of a tapped card or a scanned QR code: one verdict, never an exception.

The checks run in the order of DESIGN §4, and the first that fails names the verdict's reason:

1. `malformed`: not our record, truncated, garbage, or a version this terminal does not know;
2. `unknown_key`: signed by a key id the terminal has no public key for (keys rotate: sync);
3. `bad_signature`: the bytes were edited or forged;
4. `uid_mismatch`: a chip card's payload read from another chip (a copy), from a read with no UID,
   or shown as a QR code; a QR card's payload binds to no chip and skips this check;
5. `expired`;
6. `revoked`: the card number is on the synced revocation list;
7. `revocation_list_stale`: the list is missing or older than the club allows; the card is valid but
   for earning only, since a lost card could be spending;
8. `unknown_member`: a good card whose member this terminal does not have yet (not synced).

A chip-keyed card (an NTAG 424 DNA keyed by the club, payload flag bit 3; app.cards.ntag424) must also
show that its chip holds its own key: once its payload passed checks 1-6, what the reader proved of the chip
(`chip`: the originality signature, the AES challenge, the real UID read under the challenge's session)
gives `chip_not_genuine` (NXP's originality signature is wrong: not a chip NXP made), `chip_copy` (the
challenge failed, the real UID is another, or the card lost the key reference a genuine card cannot lose:
its NDEF file is locked by the card's own key) or, when the challenge could not run here (another branch's
card, a terminal without keys, a reader that cannot run it), `chip_unchecked`: for earning only by default.
A card of before issue 19 (not chip-keyed) is valid as before unless the club says otherwise (`old_card`:
for earning only, or retired). The verdict names the checks that passed (`checks`), so the window can say
which card it was.

A member's phone showing its rotating code (app.cards.phone_pass: 461 digits) is a card of kind "phone"
read as a QR code, with checks of its own in this order: the shape, the club key, the club's signature over
the certificate and the phone's over the code (`bad_signature` either way), the certificate's expiry
(`phone_expired`), the time window (`phone_code_expired` behind the clock, `phone_clock_off` ahead of it),
the revocation list (`phone_revoked`; stale: earn only, as for cards), this terminal's replay cache
(`phone_code_replayed`: a code sells or admits once here) and the member known.

Everything it needs comes in as plain values and callables, so it runs without a database and in
tests as it runs at the door. The callables are the caller's: an exception they raise propagates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from app.cards import phone_pass
from app.cards.ntag424.keys import key_ref_from_ndef
from app.cards.payload import (
    CardPayload,
    CardProfile,
    PayloadError,
    decode_signed,
    payload_from_ndef,
    public_key_is_valid,
    verify_signature,
)
from app.cards.qr import payload_from_qr_text
from app.domain.errors import ClubError


class CardReason(StrEnum):
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    UID_MISMATCH = "uid_mismatch"
    EXPIRED = "expired"
    REVOKED = "revoked"
    REVOCATION_LIST_STALE = "revocation_list_stale"
    UNKNOWN_MEMBER = "unknown_member"
    # a phone's rotating code (app.cards.phone_pass)
    PHONE_EXPIRED = "phone_expired"  # the club's certificate of the phone ran out: sign in again
    PHONE_CODE_EXPIRED = "phone_code_expired"  # a code older than the window: a screenshot, or slow
    PHONE_CLOCK_OFF = "phone_clock_off"  # a code from the future: this terminal's clock or the phone's
    PHONE_REVOKED = "phone_revoked"
    PHONE_CODE_REPLAYED = "phone_code_replayed"  # this very code was accepted here already
    # a chip-keyed card (NTAG 424 DNA, issue 19)
    CHIP_NOT_GENUINE = "chip_not_genuine"  # NXP's originality signature is wrong
    CHIP_COPY = "chip_copy"  # the chip does not hold the card's key: a clone
    CHIP_UNCHECKED = "chip_unchecked"  # the chip could not be challenged here: earning only by default
    OLD_CARD = "old_card"  # a card of before chip keys, which the club now takes for earning only, or not


# The checks a verdict names (CardVerdict.checks)
CHECK_SIGNATURE = "signature"  # the club's signature over the payload
CHECK_UID = "uid"  # the payload is bound to the UID the reader reported
CHECK_ORIGINALITY = "originality"  # NXP's originality signature over the UID
CHECK_CHALLENGE = "challenge"  # the chip answered the AES challenge with the card's own key, real UID equal

OLD_CARD_POLICIES = ("accept", "earn_only", "refuse")
UNCHECKED_CHIP_POLICIES = ("earn_only", "accept", "refuse")


class ChipEvidence(Protocol):
    """What the reader proved of the chip after reading its NDEF file (app.cards.ntag424.check.ChipProof)."""

    @property
    def originality(self) -> str: ...  # "valid" · "invalid" · "not_run"

    @property
    def challenge(self) -> str: ...  # "passed" · "failed" · "not_run"

    @property
    def card_uid(self) -> bytes | None: ...  # the real UID, read under the challenge's session


@dataclass(frozen=True, slots=True)
class CardPolicy:
    """What the club takes of cards no chip check vouches for (club settings, synced): `old_cards`, cards
    of before chip keys (accept · earn_only · refuse); `unchecked_chips`, chip-keyed cards whose challenge
    could not run here (earn_only · accept · refuse)."""

    old_cards: str = "accept"
    unchecked_chips: str = "earn_only"


# The catalogue (app/messages.py) keys each reason as "card_<reason>": plain "unknown_member" is taken
# by the member lookup, and "expired" alone would be ambiguous among the club's other refusals.
MESSAGE_PREFIX = "card_"


@dataclass(frozen=True, slots=True)
class CardVerdict:
    """What the terminal may do with a card.

    valid      accept the card as its member's (when earn_only, for earning only: no spending);
    reason     None for a fully valid card, else a CardReason (revocation_list_stale is valid);
    payload    set whenever the signature checked out, so everything in it is the club's word (an
               expired or revoked card still names its card number and member for the log);
    profile    the profile on the card, set only when the card itself passed every check: for a valid
               card, and for unknown_member, so the door can show the name and photo of a member
               this terminal has never synced;
    detail     technical detail for the log, never the cashier's message;
    phone_step the full time step of a phone code whose signatures and window held (with the card number,
               its key in the replay cache): the caller records an accepted code in it.
    """

    valid: bool
    reason: CardReason | None
    earn_only: bool = False
    payload: CardPayload | None = None
    profile: CardProfile | None = None
    detail: str | None = None
    phone_step: int | None = None
    checks: frozenset[str] = frozenset()

    @property
    def message_code(self) -> str | None:
        """The key of this verdict's text in app.messages.MESSAGES (None when there is nothing to say)."""
        return MESSAGE_PREFIX + self.reason if self.reason else None

    def error(self) -> ClubError | None:
        """The verdict as a ClubError for the message catalogue; None for a fully valid card."""
        if self.message_code is None:
            return None
        params = {"card": self.payload.card_number} if self.payload else {}
        return ClubError(self.message_code, **params)


def verify_card(
    data: bytes | str,
    *,
    uid: bytes | None,
    keys: Mapping[int, bytes],
    now_us: int,
    is_revoked: Callable[[str], bool],
    revocations_as_of_us: int | None,
    max_revocation_age_us: int,
    member_exists: Callable[[str], bool],
    code_seen: Callable[[str, int], bool] | None = None,
    chip: ChipEvidence | None = None,
    policy: CardPolicy = CardPolicy(),
) -> CardVerdict:
    """The verdict on `data`: NDEF message bytes read from a card (with the UID the reader reported)
    or the text a QR scanner typed (the UID is ignored), a phone's rotating code included.

    `keys` maps key id to the club's raw 32-byte Ed25519 public keys; `is_revoked` takes a card number;
    `revocations_as_of_us` is when the revocation list was last synced (None: never);
    `member_exists` takes a member id; `code_seen` takes a phone's card number and a full time step and
    says whether this terminal accepted that code already (without it, phone codes are refused: a
    terminal with no replay cache would take a screenshot as often as it is shown); `chip` is what the
    reader proved of the chip (None: nothing, as from a reader that cannot challenge it); `policy` the
    club's choice for cards no chip check vouches for.
    Any bytes or text give a verdict; nothing here raises for them.
    """
    if isinstance(data, str) and phone_pass.is_phone_code_text(data):
        if code_seen is None:
            return CardVerdict(False, CardReason.MALFORMED, detail="phone codes need a replay cache")
        stale = _list_is_stale(now_us, revocations_as_of_us, max_revocation_age_us)
        checks = _PhoneChecks(is_revoked, stale, member_exists, code_seen)
        return _verify_phone(data, keys, now_us, checks)
    return _verify_payload(
        data,
        uid=uid,
        keys=keys,
        now_us=now_us,
        is_revoked=is_revoked,
        stale=_list_is_stale(now_us, revocations_as_of_us, max_revocation_age_us),
        member_exists=member_exists,
        chip=chip,
        policy=policy,
    )


def _verify_payload(
    data: bytes | str,
    *,
    uid: bytes | None,
    keys: Mapping[int, bytes],
    now_us: int,
    is_revoked: Callable[[str], bool],
    stale: bool,
    member_exists: Callable[[str], bool],
    chip: ChipEvidence | None,
    policy: CardPolicy,
) -> CardVerdict:
    """A card's signed payload (NDEF bytes or a member QR's text): checks 1-8, and the chip's."""
    try:
        raw = payload_from_qr_text(data) if isinstance(data, str) else payload_from_ndef(data)
        signed = decode_signed(raw)
    except PayloadError as error:
        return CardVerdict(False, CardReason.MALFORMED, detail=str(error))
    payload = signed.payload
    public_key = keys.get(payload.key_id)
    if public_key is None or not public_key_is_valid(public_key):
        state = "missing" if public_key is None else "not a valid Ed25519 public key"
        return CardVerdict(False, CardReason.UNKNOWN_KEY, detail=f"key id {payload.key_id}: {state}")
    if not verify_signature(signed, public_key):
        return CardVerdict(False, CardReason.BAD_SIGNATURE, detail=f"key id {payload.key_id}")
    refusal = _card_refusal(
        payload, read_as_qr=isinstance(data, str), uid=uid, now_us=now_us, is_revoked=is_revoked
    )
    if refusal is not None:
        return CardVerdict(False, refusal[0], payload=payload, detail=refusal[1])
    outcome = _chip_outcome(payload, data, chip, policy)
    if outcome.refused:
        return CardVerdict(
            False, outcome.reason, payload=payload, detail=outcome.detail, checks=outcome.checks
        )
    return _with_member(payload, stale, outcome, member_exists)


def _with_member(
    payload: CardPayload, stale: bool, outcome: _ChipOutcome, member_exists: Callable[[str], bool]
) -> CardVerdict:
    """Step 8, for a card that passed everything else, with what its chip (or its absence) allows."""
    earn_only = stale or outcome.earn_only
    if not member_exists(payload.member_id):
        return CardVerdict(
            False,
            CardReason.UNKNOWN_MEMBER,
            earn_only=earn_only,
            payload=payload,
            profile=payload.profile,
            detail=f"member {payload.member_id}",
            checks=outcome.checks,
        )
    reason = outcome.reason or (CardReason.REVOCATION_LIST_STALE if stale else None)
    return CardVerdict(
        True, reason, earn_only=earn_only, payload=payload, profile=payload.profile, detail=outcome.detail,
        checks=outcome.checks,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _ChipOutcome:
    checks: frozenset[str]
    reason: CardReason | None = None
    refused: bool = False
    earn_only: bool = False
    detail: str | None = None


def _chip_outcome(
    payload: CardPayload, data: bytes | str, chip: ChipEvidence | None, policy: CardPolicy
) -> _ChipOutcome:
    """What the chip's checks (or their absence) make of a card whose payload passed checks 1-6."""
    if payload.is_qr:
        return _ChipOutcome(frozenset({CHECK_SIGNATURE}))
    checks = {CHECK_SIGNATURE, CHECK_UID}
    if chip is not None and chip.originality == "valid":
        checks.add(CHECK_ORIGINALITY)
    if not payload.chip_keyed:
        detail = "a card of before chip keys"
        return _by_policy(frozenset(checks), policy.old_cards, CardReason.OLD_CARD, detail)
    refusal = _chip_refusal(payload, chip)
    if refusal is not None:
        return _ChipOutcome(frozenset(checks), refusal[0], refused=True, detail=refusal[1])
    if chip is not None and chip.challenge == "passed":
        return _ChipOutcome(frozenset({*checks, CHECK_CHALLENGE}))
    if isinstance(data, bytes | bytearray) and key_ref_from_ndef(bytes(data)) is None:
        # a genuine chip-keyed card's NDEF file is locked by its own key: it cannot have lost the record
        detail = "chip-keyed, without its key reference"
        return _ChipOutcome(frozenset(checks), CardReason.CHIP_COPY, refused=True, detail=detail)
    detail = "the chip could not be challenged here"
    return _by_policy(frozenset(checks), policy.unchecked_chips, CardReason.CHIP_UNCHECKED, detail)


def _chip_refusal(payload: CardPayload, chip: ChipEvidence | None) -> tuple[CardReason, str] | None:
    if chip is None:
        return None
    if chip.originality == "invalid":
        return CardReason.CHIP_NOT_GENUINE, "NXP's originality signature does not hold"
    if chip.challenge == "failed":
        return CardReason.CHIP_COPY, "the chip failed the AES challenge"
    if chip.challenge == "passed" and chip.card_uid != payload.uid:
        real = chip.card_uid.hex() if chip.card_uid else "none"
        return CardReason.CHIP_COPY, f"real UID {real}, bound to {payload.uid.hex()}"
    return None


def _by_policy(checks: frozenset[str], choice: str, reason: CardReason, detail: str) -> _ChipOutcome:
    """accept · earn_only · refuse; anything else (a garbled setting) is taken as earn_only."""
    if choice == "accept":
        return _ChipOutcome(checks, detail=detail)
    if choice == "refuse":
        return _ChipOutcome(checks, reason, refused=True, detail=detail)
    return _ChipOutcome(checks, reason, earn_only=True, detail=detail)


def _card_refusal(
    payload: CardPayload,
    *,
    read_as_qr: bool,
    uid: bytes | None,
    now_us: int,
    is_revoked: Callable[[str], bool],
) -> tuple[CardReason, str] | None:
    """Steps 4-6: the checks on the card itself once its signature is good."""
    if not payload.is_qr:
        if read_as_qr:
            return CardReason.UID_MISMATCH, "a chip card's payload shown as a QR code"
        if uid is None or bytes(uid) != payload.uid:
            read = "no UID" if uid is None else bytes(uid).hex()
            return CardReason.UID_MISMATCH, f"bound to {payload.uid.hex()}, read {read}"
    if payload.expires_at_us is not None and now_us >= payload.expires_at_us:
        return CardReason.EXPIRED, f"expired at {payload.expires_at_us}"
    if is_revoked(payload.card_number):
        return CardReason.REVOKED, f"card {payload.card_number}"
    return None


def _list_is_stale(now_us: int, as_of_us: int | None, max_age_us: int) -> bool:
    return as_of_us is None or now_us - as_of_us > max_age_us


# --- a phone's rotating code ----------------------------------------------------------------------

_PHONE_REASONS = {
    phone_pass.CodeReason.MALFORMED: CardReason.MALFORMED,
    phone_pass.CodeReason.UNKNOWN_KEY: CardReason.UNKNOWN_KEY,
    phone_pass.CodeReason.BAD_SIGNATURE: CardReason.BAD_SIGNATURE,
    # the certificate is the club's word, but the code was not signed by the phone it certifies: a forgery
    phone_pass.CodeReason.BAD_PHONE_SIGNATURE: CardReason.BAD_SIGNATURE,
    phone_pass.CodeReason.CERTIFICATE_EXPIRED: CardReason.PHONE_EXPIRED,
    phone_pass.CodeReason.CODE_EXPIRED: CardReason.PHONE_CODE_EXPIRED,
    phone_pass.CodeReason.CLOCK_OFF: CardReason.PHONE_CLOCK_OFF,
}


@dataclass(frozen=True, slots=True)
class _PhoneChecks:
    is_revoked: Callable[[str], bool]
    stale: bool
    member_exists: Callable[[str], bool]
    code_seen: Callable[[str, int], bool]


def _verify_phone(text: str, keys: Mapping[int, bytes], now_us: int, checks: _PhoneChecks) -> CardVerdict:
    try:
        code = phone_pass.verify_phone_code(text, keys, now_us)
    except phone_pass.PhoneCodeError as error:
        known = phone_payload(error.certificate) if error.certificate is not None else None
        return CardVerdict(False, _PHONE_REASONS[error.reason], payload=known, detail=str(error))
    payload = phone_payload(code.certificate)
    number, step = payload.card_number, code.step
    if checks.is_revoked(number):
        return CardVerdict(False, CardReason.PHONE_REVOKED, payload=payload, detail=f"card {number}")
    if checks.code_seen(number, step):
        return CardVerdict(
            False, CardReason.PHONE_CODE_REPLAYED, payload=payload, detail=f"card {number} step {step}"
        )
    if not checks.member_exists(payload.member_id):
        return CardVerdict(
            False,
            CardReason.UNKNOWN_MEMBER,
            earn_only=checks.stale,
            payload=payload,
            detail=f"member {payload.member_id}",
            phone_step=step,
        )
    reason = CardReason.REVOCATION_LIST_STALE if checks.stale else None
    return CardVerdict(True, reason, earn_only=checks.stale, payload=payload, phone_step=step)


def phone_payload(certificate: phone_pass.PhoneCertificate) -> CardPayload:
    """A phone's certificate in a card payload's terms (a card with no chip, like a member QR), so the
    counter and the door treat it as any card: its number, its member, its key, its expiry."""
    return CardPayload(
        member_id=certificate.member_id,
        card_number=certificate.card_number,
        key_id=certificate.key_id,
        issued_at_us=0,
        expires_at_us=certificate.expires_at_us,
        uid=b"",
        is_qr=True,
    )
