# SPDX-License-Identifier: GPL-3.0-or-later
"""Sync protocol v1: the wire models both ends share (HTTP + JSON, gzip both ways).

Imports pydantic and our pure domain only: no Qt, no SQL, no HTTP library. Every request body carries
`protocol` (the version); the server refuses another version with 400 and `unsupported_protocol`.

Endpoints (device endpoints need `Authorization: Bearer <device token>`):

    POST /v1/enroll                  EnrollRequest → EnrollResponse (the one-time code is the credential)
    POST /v1/enroll/preview          EnrollPreviewRequest → EnrollPreviewResponse (whose code it is; spends
                                     nothing; 401 `invalid_enrollment_code`, `enrollment_code_used` or
                                     `enrollment_code_expired`, limited as /v1/enroll is)
    POST /v1/sync/push               PushRequest → PushResponse
    GET  /v1/sync/pull?since=C&limit=N&protocol=1      → PullResponse
                                     (`&set_aside=true`, `&set_aside_resolved=true`, `&unlocks=true`: the
                                      terminal reads those changes)
    POST /v1/grants                  GrantsRequest → GrantsResponse (offline spending allowances)
    POST /v1/spend                   SpendRequest → Grant (an online spend, authorised now) | 409
    GET  /v1/photos/{sha256}/upload?member_id=M  → UploadStatus (how many bytes the server holds)
    PUT  /v1/photos/{sha256}?member_id=M  body: the next bytes, Content-Range: bytes START-END/TOTAL
                                     → UploadStatus (complete once all bytes are in and the hash holds)
    GET  /v1/photos/{sha256}         → image/jpeg
    GET  /v1/health                  → {"status": "ok", "protocol": 1, "server_time_us": …} (no auth)

Errors are JSON `{"detail": {"code": "...", "message": "...", ...}}` with 4xx; never a 5xx for bad
input. Codes the client acts on: `unsupported_protocol` (400), `unauthorized` (401: unknown token),
`device_revoked` (403), `push_first` (409: the server has not yet received the device's entries up to
`after_seq`), `insufficient_points` (409, with `available`), `batch_too_large` (413),
`invalid_request` (422, pydantic's own validation errors are reported under this code too),
`too_many_attempts` (429: too many failed attempts from this address; retry after `Retry-After` seconds).

A terminal tells the server how it stands on its push and pull requests, in two optional headers the server
shows head office (sync.server.auth records them; absent or malformed ones are ignored, never refused):
`X-Bashgah-Version` (its software version) and `X-Bashgah-Backlog` (how many of its entries wait unpushed).

Ordering: the server sequence (`seq`) orders everything globally. It is handed out under one
serialising lock, so a cursor never skips a row that commits later with a smaller number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.domain.digits import to_latin_digits
from app.domain.event import MAX_INVITED_TIERS, MAX_PLUS_ONES
from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.member import ERASED_NAME, ERASED_PHONE
from app.domain.money import MAX_POINTS, MAX_RIALS

PROTOCOL_VERSION = 1
MAX_PUSH_ENTRIES = 1_000
MAX_PUSH_ITEMS = 500
MAX_PULL_LIMIT = 5_000
DEFAULT_PULL_LIMIT = 2_000
MAX_GRANT_MEMBERS = 200
MAX_PHOTO_BYTES = 512 * 1024
PHOTO_CHUNK_BYTES = 64 * 1024

VERSION_HEADER = "X-Bashgah-Version"
BACKLOG_HEADER = "X-Bashgah-Backlog"

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
HASH_PATTERN = r"^[0-9a-f]{64}$"

Id = Annotated[str, Field(pattern=UUID_PATTERN, description="a lowercase, dashed UUID")]
Hash = Annotated[str, Field(pattern=HASH_PATTERN, description="SHA-256, lowercase hex")]
Rials = Annotated[int, Field(ge=-MAX_RIALS, le=MAX_RIALS)]
Points = Annotated[int, Field(ge=-MAX_POINTS, le=MAX_POINTS)]
TimeUs = Annotated[int, Field(ge=0, le=2**62, description="UTC microseconds since the Unix epoch")]
Seq = Annotated[int, Field(ge=0, le=2**62)]
ShortText = Annotated[str, Field(max_length=120)]
Code = Annotated[str, Field(min_length=1, max_length=32)]


class Wire(BaseModel):
    """Strict about unknown fields: a typo on either side is an error, not silently ignored data."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Request(Wire):
    protocol: Literal[1] = PROTOCOL_VERSION


# ---- the club's reference data (server → terminal) -------------------------------------------------


class WireTier(Wire):
    code: Code
    name_fa: ShortText
    name_en: ShortText
    rank: Annotated[int, Field(ge=0, le=1000)]
    threshold_points: Annotated[int, Field(ge=0, le=MAX_POINTS)] = 0
    multiplier_percent: Annotated[int, Field(ge=0, le=10_000)] = 100


class WireBranch(Wire):
    """A branch and its earning scenario (field meanings: app.domain.rules)."""

    id: Id
    code: Code
    name_fa: ShortText
    name_en: ShortText
    earn_points_per_unit: Annotated[int, Field(ge=0, le=MAX_POINTS)]
    earn_rials_per_unit: Annotated[int, Field(ge=1, le=MAX_RIALS)]
    earn_min_sale_rials: Annotated[int, Field(ge=0, le=MAX_RIALS)] = 0
    earn_max_points_per_sale: Annotated[int, Field(ge=0, le=MAX_POINTS)] | None = None
    earn_rounding: Literal["floor", "ceil", "half_up"] = "floor"
    redeem_rials_per_point: Annotated[int, Field(ge=1, le=MAX_RIALS)]
    redeem_max_share_percent: Annotated[int, Field(ge=0, le=100)]


class WireStaff(Wire):
    """Staff log in on terminals offline, so their argon2 PIN hash travels (never the PIN)."""

    id: Id
    name: ShortText
    role: Literal["cashier", "host", "manager", "admin"]
    branch_id: Id | None = None
    pin_hash: Annotated[str, Field(max_length=200)]
    active: bool = True
    # When head office last lifted this person's PIN lockout (a lockout is counted on each terminal): a
    # terminal that applied an older one, or none, clears its own lock. Published only when set, and only to
    # terminals that read it (pull's `unlocks=true`): older ones refuse a field they do not know.
    unlocked_at_us: TimeUs | None = None

    def published(self) -> dict[str, Any]:
        """The wire JSON of a staff change, without `unlocked_at_us` while it is unset."""
        unset = {"unlocked_at_us"} if self.unlocked_at_us is None else None
        return self.model_dump(mode="json", exclude=unset)


class WireDevice(Wire):
    """A terminal of the club: other terminals need it for the entries it made."""

    id: Id
    code: Code
    branch_id: Id


class WireKey(Wire):
    """A card-signing public key (Ed25519, raw 32 bytes, base64) by key id; retired keys stay.

    `purpose` says what the key signs: a terminal's or the office's cards ("card"), the server's invitation
    passes ("invitation") or its certificates of members' phones ("phone"). A terminal takes a phone's
    certificate only from a "phone" key, so a stolen terminal's card key cannot certify a phone."""

    key_id: Annotated[int, Field(ge=0, le=0xFFFF)]
    public_key: Annotated[str, Field(max_length=64)]
    created_at_us: TimeUs
    retired_at_us: TimeUs | None = None
    purpose: Literal["card", "invitation", "phone"] = "card"


# ---- what terminals and the server both create ------------------------------------------------------


class WireMember(Wire):
    """A member's record. An erased member (sync.server.club.privacy) travels as this same record with the
    placeholders ERASED_NAME and ERASED_PHONE, no birth date, national id or consent (`is_erased`): every
    terminal, an older one too, overwrites what it held with them, and a terminal of this version also drops
    the member's photo and the copies in its outbox. No new field marks it: this model forbids unknown
    fields, so a new one would stop every older terminal's pull at the first erased member."""

    id: Id
    name: ShortText
    phone: Annotated[str, Field(min_length=3, max_length=20)]
    tier_code: Code
    branch_id: Id
    joined_at_us: TimeUs
    birth_date: date | None = None
    national_id_last4: Annotated[str, Field(pattern=r"^[0-9]{4}$")] | None = None
    referrer_id: Id | None = None
    consent_marketing: bool = False

    def is_erased(self) -> bool:
        return self.phone == ERASED_PHONE

    def erased(self) -> WireMember:
        """This record with its personal data erased: what the club keeps and publishes after erasure."""
        return self.model_copy(
            update={
                "name": ERASED_NAME,
                "phone": ERASED_PHONE,
                "birth_date": None,
                "national_id_last4": None,
                "consent_marketing": False,
            }
        )


class WireCard(Wire):
    """A card, a member QR (kind "qr") or a member's phone (kind "phone": app.cards.phone_pass; made only
    by the server's member page). Status changes travel as revocations, not as card rows."""

    number: Annotated[str, Field(pattern=r"^[0-9]{16}$")]
    kind: Literal["card", "qr", "phone"] = "card"
    uid: Annotated[str, Field(pattern=r"^[0-9a-f]{2,32}$")] | None = None
    member_id: Id
    issued_at_us: TimeUs
    expires_at_us: TimeUs | None = None
    payload_version: Annotated[int, Field(ge=1, le=255)] = 1


class WireRevocation(Wire):
    id: Id
    card_number: Annotated[str, Field(pattern=r"^[0-9]{16}$")]
    status: Literal["lost", "revoked"]
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    staff_id: Id | None = None
    at_us: TimeUs


class WireEntry(Wire):
    """A ledger entry exactly as the device sealed it; `hash` covers every other field."""

    id: Id
    device_id: Id
    device_seq: Annotated[int, Field(ge=1, le=2**62)]
    created_at_us: TimeUs
    branch_id: Id
    member_id: Id
    kind: EntryKind
    staff_id: Id | None = None
    points_delta: Points
    cash_delta: Rials
    sale_amount: Rials
    discount_rials: Annotated[int, Field(ge=0, le=MAX_RIALS)]
    invoice_ref: Annotated[str, Field(max_length=64)] | None = None
    reason: Annotated[str, Field(max_length=500)] | None = None
    reverses: Id | None = None
    prev_hash: Hash
    hash: Hash
    rules_version: Annotated[int, Field(ge=0, le=2**31)] | None = None  # hashed only when set

    @classmethod
    def of(cls, entry: LedgerEntry) -> WireEntry:
        return cls.model_validate(entry.body() | {"hash": entry.hash})

    def to_entry(self) -> LedgerEntry:
        return LedgerEntry(**self.model_dump())

    def hash_holds(self) -> bool:
        """Whether `hash` is the SHA-256 of this body (app.domain.ledger's canonical form)."""
        return self.to_entry().expected_hash() == self.hash


class WireEvent(Wire):
    """A club event (app.domain.event): created on the server or by a manager at a terminal."""

    id: Id
    name: Annotated[str, Field(min_length=1, max_length=120)]
    venue: ShortText = ""
    starts_at_us: TimeUs
    ends_at_us: TimeUs
    capacity: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    invited_tiers: Annotated[list[Code], Field(max_length=MAX_INVITED_TIERS)] = []
    plus_ones: Annotated[int, Field(ge=0, le=MAX_PLUS_ONES)] = 0
    cancelled: bool = False


class WireInvitation(Wire):
    """A member on an event's guest list; one per event and member (the pair is the natural key)."""

    id: Id
    event_id: Id
    member_id: Id
    plus_ones: Annotated[int, Field(ge=0, le=MAX_PLUS_ONES)] | None = None  # None: the event's
    cancelled: bool = False


# ---- enrolment -----------------------------------------------------------------------------------


class EnrollRequest(Request):
    code: Annotated[str, Field(min_length=6, max_length=64)]
    device_name: ShortText = ""
    issuing_public_key: Annotated[str, Field(max_length=64)] | None = None  # base64 of 32 raw bytes
    # The token the terminal made for itself (kept, with its key, before it asks): the same code, token
    # and key again are answered with the same device, so an answer lost on the way can be asked for
    # again. Without one the server makes the token, and a lost answer cannot be.
    token: Annotated[str, Field(min_length=43, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")] | None = None
    # The terminal's X25519 wrap key (base64 of 32 raw bytes; app.cards.ntag424.keys): the server seals its
    # branch's chip keys for it (GET /v1/chip-keys). Without one the terminal gets no chip keys and does
    # not run the AES challenge of NTAG 424 DNA cards.
    wrap_public_key: Annotated[str, Field(min_length=43, max_length=44)] | None = None


class EnrollResponse(Wire):
    protocol: Literal[1] = PROTOCOL_VERSION
    device_id: Id
    device_code: Code
    branch_id: Id
    token: Annotated[str, Field(min_length=32, max_length=128)]  # shown once; the server keeps a hash
    key_id: Annotated[int, Field(ge=0, le=0xFFFF)] | None = None  # for issuing_public_key
    card_prefix: Annotated[str, Field(pattern=r"^[0-9]{4,10}$")]  # this device's card-number series
    server_time_us: TimeUs


class EnrollPreviewRequest(Request):
    """Whose code this is, before it is spent: the first-run setup shows the branch to confirm."""

    code: Annotated[str, Field(min_length=6, max_length=64)]
    # the token this terminal's earlier attempt sent (app.store.pending_enrolment): the code it spent is
    # still its own to preview, so a setup that lost the answer can show the branch and finish
    token: Annotated[str, Field(min_length=43, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")] | None = None


class EnrollPreviewResponse(Wire):
    protocol: Literal[1] = PROTOCOL_VERSION
    club_name_fa: ShortText
    club_name_en: ShortText
    branch_id: Id
    branch_code: Code
    branch_name_fa: ShortText
    branch_name_en: ShortText
    expires_at_us: TimeUs
    spent_by_you: bool = False  # the code was spent by the holder of `token`: enrolling again finishes it
    server_time_us: TimeUs


# The enrolment QR the back office shows: digits only. A keyboard-wedge scanner types into whatever layout
# the terminal has active; with a Persian layout its letters arrive as Persian letters that cannot be mapped
# back reliably (shift states differ by layout), but digits arrive as Persian digits, which map one to one.
# So the QR carries the server's address and the code as digits: MAGIC, the code's 12 characters as one
# base-31 number in 18 digits, the address's length in bytes (3 digits), each byte of the address (UTF-8)
# as 3 digits, and a 2-digit mod-97 check (as IBAN's). The length makes a scan read as it is typed, key by
# key, parse only once it is whole (a prefix passes a mod-97 check one time in 97); the check refuses a
# scan garbled on the way instead of filling in a wrong address.
ENROLMENT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud, typed by a person
ENROLMENT_CODE_LENGTH = 12
ENROLMENT_QR_MAGIC = "7301"
_CODE_DIGITS = 18  # 31**12 < 10**18
_MAX_ADDRESS_BYTES = 300


def enrolment_qr_text(server_url: str, code: str) -> str:
    """The digits an enrolment QR holds for `code` (K7QM-2XPD-9TAR, any case, dashes or not) at
    `server_url`. ValueError for a code not of the alphabet's 12 characters."""
    plain = "".join(code.split()).replace("-", "").upper()
    if len(plain) != ENROLMENT_CODE_LENGTH or any(c not in ENROLMENT_CODE_ALPHABET for c in plain):
        raise ValueError("not an enrolment code")
    value = 0
    for c in plain:
        value = value * len(ENROLMENT_CODE_ALPHABET) + ENROLMENT_CODE_ALPHABET.index(c)
    address = server_url.encode()
    if not 0 < len(address) <= _MAX_ADDRESS_BYTES:
        raise ValueError("the server's address is empty or too long for an enrolment QR")
    body = ENROLMENT_QR_MAGIC + f"{value:0{_CODE_DIGITS}d}" + f"{len(address):03d}"
    body += "".join(f"{b:03d}" for b in address)
    return body + f"{98 - int(body + '00') % 97:02d}"


def parse_enrolment_qr(text: str) -> tuple[str, str] | None:
    """(server address, code as K7QM-2XPD-9TAR) from what a scanner typed (Latin or Persian digits,
    surrounding spaces ignored); None if it is not an intact enrolment QR."""
    digits = to_latin_digits(text.strip())
    head = len(ENROLMENT_QR_MAGIC) + _CODE_DIGITS
    whole = (
        digits.isascii()
        and digits.isdigit()
        and digits.startswith(ENROLMENT_QR_MAGIC)
        and len(digits) >= head + 3
        and len(digits) == head + 3 + 3 * int(digits[head : head + 3]) + 2
        and int(digits) % 97 == 1
    )
    if not whole:
        return None
    value = int(digits[len(ENROLMENT_QR_MAGIC) : head])
    chars = []
    for _ in range(ENROLMENT_CODE_LENGTH):
        value, index = divmod(value, len(ENROLMENT_CODE_ALPHABET))
        chars.append(ENROLMENT_CODE_ALPHABET[index])
    address = digits[head + 3 : -2]
    raw = [int(address[i : i + 3]) for i in range(0, len(address), 3)]
    if value or any(b > 255 for b in raw):
        return None
    try:
        url = bytes(raw).decode()
    except UnicodeDecodeError:
        return None
    plain = "".join(reversed(chars))
    return url, "-".join(plain[i : i + 4] for i in range(0, ENROLMENT_CODE_LENGTH, 4))


# ---- push (terminal → server) ---------------------------------------------------------------------


class ItemKind(StrEnum):
    MEMBER = "member"
    CARD = "card"
    CARD_REVOCATION = "card_revocation"
    EVENT = "event"
    INVITATION = "invitation"
    PHONE_CODE = "phone_code"
    CARD_TAP = "card_tap"


class MemberItem(Wire):
    """A member this terminal enrolled (or edited): the whole record, applied as an upsert."""

    kind: Literal["member"] = "member"
    id: Id  # the outbox item's id: its idempotency key (not the member's id)
    member: WireMember


class CardItem(Wire):
    """A card or QR this terminal issued, or the chip it was later bound to (an upsert by number)."""

    kind: Literal["card"] = "card"
    id: Id
    card: WireCard


class RevocationItem(Wire):
    kind: Literal["card_revocation"] = "card_revocation"
    id: Id
    revocation: WireRevocation


class EventItem(Wire):
    """An event a manager created or edited at this terminal: the whole record, an upsert by id."""

    kind: Literal["event"] = "event"
    id: Id
    event: WireEvent


class InvitationItem(Wire):
    """An invitation made at this terminal: an upsert by (event, member), whatever its id."""

    kind: Literal["invitation"] = "invitation"
    id: Id
    invitation: WireInvitation


class PhoneCodeItem(Wire):
    """A phone's rotating code this terminal accepted (app.cards.phone_pass), so that the server can flag
    one code used at two terminals (a copy of the phone's screen in use)."""

    kind: Literal["phone_code"] = "phone_code"
    id: Id
    card_number: Annotated[str, Field(pattern=r"^[0-9]{16}$")]
    member_id: Id
    step: Annotated[int, Field(ge=0, le=2**40)]  # the full time step (unix seconds // 30)
    used_at_us: TimeUs
    purpose: Literal["member", "door"]


class CardTapItem(Wire):
    """A chip card this terminal accepted for a sale or at the door, with what its chip proved, so that the
    server can flag a clone: one card at two branches sooner than anyone travels, or a chip whose read
    counter went backwards (sync.server.card_taps)."""

    kind: Literal["card_tap"] = "card_tap"
    id: Id
    card_number: Annotated[str, Field(pattern=r"^[0-9]{16}$")]
    member_id: Id
    used_at_us: TimeUs
    purpose: Literal["member", "door"]
    # "challenge": the chip answered the AES challenge with its own key; "signature": only the payload's
    # signature (a card of before NTAG 424 DNA, or another branch's card this terminal holds no key for)
    chip: Literal["challenge", "signature"]
    read_counter: Annotated[int, Field(ge=0, le=0xFFFFFF)] | None = None  # the chip's, when it was read


Item = Annotated[
    MemberItem | CardItem | RevocationItem | EventItem | InvitationItem | PhoneCodeItem | CardTapItem,
    Field(discriminator="kind"),
]


class PushRequest(Request):
    """Items first (the members and cards entries may name), then entries in device-sequence order."""

    device_id: Id
    items: Annotated[list[Item], Field(max_length=MAX_PUSH_ITEMS)] = []
    entries: Annotated[list[WireEntry], Field(max_length=MAX_PUSH_ENTRIES)] = []

    @field_validator("entries")
    @classmethod
    def _in_device_order(cls, entries: list[WireEntry]) -> list[WireEntry]:
        seqs = [e.device_seq for e in entries]
        if seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
            raise ValueError("entries must be in strictly increasing device_seq order")
        return entries


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # new: stored, given a server sequence
    DUPLICATE = "duplicate"  # the same id with the same body was already there (a retry)
    REJECTED = "rejected"  # refused for `reason`; the terminal sets it aside and goes on
    CONFLICT = "conflict"  # the same id (or device_seq) with another body: alerted, set aside


class Result(Wire):
    id: str
    outcome: Outcome
    reason: str | None = None
    server_seq: Seq | None = None  # for accepted and duplicate entries and items


class ChainProblem(Wire):
    """Where the server found the device's hash chain broken (it still stores what happened)."""

    device_seq: Seq
    problem: Literal["sequence_gap", "reordered_or_deleted", "edited", "late"]


class PushResponse(Wire):
    protocol: Literal[1] = PROTOCOL_VERSION
    items: list[Result] = []
    entries: list[Result] = []
    contiguous_seq: Seq  # the highest device_seq up to which the server holds every entry
    chain_problems: list[ChainProblem] = []
    server_time_us: TimeUs


# ---- pull (server → terminal) ---------------------------------------------------------------------


class TierChange(Wire):
    kind: Literal["tier"] = "tier"
    seq: Seq
    tier: WireTier


class BranchChange(Wire):
    kind: Literal["branch"] = "branch"
    seq: Seq
    branch: WireBranch


class StaffChange(Wire):
    kind: Literal["staff"] = "staff"
    seq: Seq
    staff: WireStaff


class DeviceChange(Wire):
    kind: Literal["device"] = "device"
    seq: Seq
    device: WireDevice


class KeyChange(Wire):
    kind: Literal["club_key"] = "club_key"
    seq: Seq
    key: WireKey


class MemberChange(Wire):
    kind: Literal["member"] = "member"
    seq: Seq
    member: WireMember


class PhotoChange(Wire):
    """The member has a (new) photo; fetch it with GET /v1/photos/{sha256}."""

    kind: Literal["member_photo"] = "member_photo"
    seq: Seq
    member_id: Id
    sha256: Hash
    size: Annotated[int, Field(ge=1, le=MAX_PHOTO_BYTES)]


class CardChange(Wire):
    kind: Literal["card"] = "card"
    seq: Seq
    card: WireCard


class RevocationChange(Wire):
    kind: Literal["card_revocation"] = "card_revocation"
    seq: Seq
    revocation: WireRevocation


class EntryChange(Wire):
    """Any device's entry, this terminal's own included (for its own, it is an acknowledgement)."""

    kind: Literal["entry"] = "entry"
    seq: Seq
    entry: WireEntry


class SetAsideChange(Wire):
    """An entry the server set aside (`reason`: the push's refusal): counted nowhere, not even by the device
    that made it, until the club reviews it. Published so that every terminal holds its place in its
    device's chain: a set-aside entry must never read as a hole (tampering) anywhere. For the device that
    made it, it is the push's answer again."""

    kind: Literal["entry_set_aside"] = "entry_set_aside"
    seq: Seq
    entry: WireEntry
    reason: Annotated[str, Field(max_length=64)]


MAX_REVIEW_NOTE = 500  # the club's note on a review decision (sync.server.club.review)


class SetAsideResolvedChange(Wire):
    """The club's review confirmed that a set-aside entry stays refused (`decision`, with the reviewer's
    `note`): it counts nowhere, for good. Every terminal that holds it (its maker, as an own entry set aside;
    the others, as a slot in its device's chain) shows it as refused after review, no longer waiting. An
    entry accepted after all needs no such change: it arrives as an entry. Sent only to terminals that ask
    for it (`set_aside_resolved=true` on the pull): older ones do not know this kind."""

    kind: Literal["set_aside_resolved"] = "set_aside_resolved"
    seq: Seq
    entry_id: Id
    device_id: Id
    member_id: Id
    decision: Literal["refused"]
    decided_at_us: TimeUs
    note: Annotated[str, Field(max_length=MAX_REVIEW_NOTE)] = ""


class RestrictionChange(Wire):
    """A member put on (or taken off) the restricted list: no offline spending, no override."""

    kind: Literal["restriction"] = "restriction"
    seq: Seq
    member_id: Id
    restricted: bool
    reason: Annotated[str, Field(max_length=200)] = ""


class EventChange(Wire):
    kind: Literal["event"] = "event"
    seq: Seq
    event: WireEvent


class InvitationChange(Wire):
    kind: Literal["invitation"] = "invitation"
    seq: Seq
    invitation: WireInvitation


class RuleSetChange(Wire):
    """A version of the club's programme (app.domain.programme); `body` as sync.rules writes it.

    Terminals keep every version: an entry names the version that priced it."""

    kind: Literal["rule_set"] = "rule_set"
    seq: Seq
    version: Annotated[int, Field(ge=1, le=2**31)]
    body: dict[str, Any]


class SettingChange(Wire):
    """A club-wide setting (names in SETTINGS below)."""

    kind: Literal["setting"] = "setting"
    seq: Seq
    key: Annotated[str, Field(max_length=64)]
    value: Annotated[str, Field(max_length=1000)]


Change = Annotated[
    TierChange
    | BranchChange
    | StaffChange
    | DeviceChange
    | KeyChange
    | MemberChange
    | PhotoChange
    | CardChange
    | RevocationChange
    | EntryChange
    | SetAsideChange
    | SetAsideResolvedChange
    | RestrictionChange
    | SettingChange
    | EventChange
    | InvitationChange
    | RuleSetChange,
    Field(discriminator="kind"),
]

# The values of card_old_cards and card_unchecked_chips (app.cards.verify holds the same; a test keeps it so)
OLD_CARD_POLICIES = ("accept", "earn_only", "refuse")
UNCHECKED_CHIP_POLICIES = ("earn_only", "accept", "refuse")

# Settings the server publishes; terminals store them in their `setting` table under the same key.
SETTINGS = {
    "club_name_fa": "the club's name in Persian",
    "club_name_en": "the club's name in English",
    "revocation_max_age_s": "older revocation list than this: earning only (app.services.cards)",
    "grant_share_percent": "an offline grant is at most this share of the member's balance",
    "grant_cap_points": "and at most this many points",
    "grant_ttl_s": "an offline grant expires this long after the server issued it",
    # Not "card_prefix": a terminal keeps its own series (the enrolment's card_prefix) under that key.
    "club_card_prefix": "the club's card-number prefix; each device's series extends it by 3 digits",
    # app.cards.verify.CardPolicy (issue 19): what the club takes of cards no chip check vouches for
    "card_old_cards": "cards of before chip keys: accept · earn_only · refuse (retired)",
    "card_unchecked_chips": "chip-keyed cards a terminal could not challenge: earn_only · accept · refuse",
}


class PullResponse(Wire):
    """Changes with seq > since, in seq order; apply them and `next_cursor` in one transaction."""

    protocol: Literal[1] = PROTOCOL_VERSION
    changes: list[Change]
    next_cursor: Seq
    more: bool  # another page is waiting
    server_time_us: TimeUs


# ---- spending: offline grants and online authorisation --------------------------------------------


class Grant(Wire):
    """Points this device may let the member spend without asking the server again.

    The device's redeem entries for the member with device_seq > `after_seq` draw on it, until
    `expires_at_us` (server time). A new grant for the same member and device replaces the old one,
    on both sides. `signature` = HMAC-SHA256 over `grant_signing_bytes`, keyed by `grant_key(token)`:
    derived from the device token, so the server can sign without keeping the token itself.
    """

    grant_id: Id
    member_id: Id
    device_id: Id
    points: Annotated[int, Field(ge=0, le=MAX_POINTS)]
    after_seq: Seq
    issued_at_us: TimeUs
    expires_at_us: TimeUs
    for_entry: Id | None = None  # set when this is an online spend's authorisation
    signature: Hash


class GrantsRequest(Request):
    """Ask for offline grants; `after_seq` is the device's head (push everything up to it first)."""

    after_seq: Seq
    member_ids: Annotated[list[Id], Field(max_length=MAX_GRANT_MEMBERS)]


class GrantsResponse(Wire):
    protocol: Literal[1] = PROTOCOL_VERSION
    grants: list[Grant]  # one per member asked for (points may be 0)
    server_time_us: TimeUs


class SpendRequest(Request):
    """Authorise spending `points` now, for the redeem entry `entry_id` the terminal is about to write."""

    after_seq: Seq
    member_id: Id
    points: Annotated[int, Field(ge=1, le=MAX_POINTS)]
    entry_id: Id  # idempotency key: the same request again returns the same grant


class UploadStatus(Wire):
    sha256: Hash
    received: Annotated[int, Field(ge=0, le=MAX_PHOTO_BYTES)]
    complete: bool


# ---- chip keys: a branch's NTAG 424 DNA keys, sealed for one terminal -----------------------------


class WireChipKey(Wire):
    """One of the branch's chip keys (app.cards.ntag424.keys), wrapped for the asking terminal: base64 of
    wrap_key's 76 bytes, bound to (device, branch, generation, role). "read" keys go to every terminal of
    the branch; "write" keys only to its issuing terminals. Every generation still on the branch's cards
    is listed, newest last."""

    branch_id: Id
    generation: Annotated[int, Field(ge=1, le=0xFFFF)]
    role: Literal["read", "write"]
    wrapped: Annotated[str, Field(min_length=100, max_length=104)]
    created_at_us: TimeUs


class ChipKeysResponse(Wire):
    """GET /v1/chip-keys: the whole set for this terminal; it replaces what the terminal held."""

    protocol: Literal[1] = PROTOCOL_VERSION
    keys: list[WireChipKey]
    current_generation: Annotated[int, Field(ge=1, le=0xFFFF)]  # the one new cards are keyed with
    server_time_us: TimeUs


# ---- helpers both ends use ------------------------------------------------------------------------


def token_hash(token: str) -> str:
    """What the server stores instead of a device or admin token."""
    return hashlib.sha256(token.encode()).hexdigest()


def grant_signing_bytes(grant: Grant | dict[str, object]) -> bytes:
    body = grant.model_dump(mode="json") if isinstance(grant, Grant) else dict(grant)
    body.pop("signature", None)
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def grant_key(token: str) -> bytes:
    """The key grants are signed with. The server stores it (hex) beside `token_hash`, never the token:
    a stolen server database then forges no device's requests, and the device derives it from its token.
    """
    return hashlib.sha256(b"bashgah-grant-key:" + token.encode()).digest()


def sign_grant_with_key(grant: Grant | dict[str, object], key: bytes) -> str:
    return hmac.new(key, grant_signing_bytes(grant), hashlib.sha256).hexdigest()


def sign_grant(fields: Grant | dict[str, object], token: str) -> str:
    return sign_grant_with_key(fields, grant_key(token))


def grant_signature_holds(grant: Grant, token: str) -> bool:
    return hmac.compare_digest(sign_grant(grant, token), grant.signature)


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64decode(text: str) -> bytes:
    return base64.b64decode(text, validate=True)
