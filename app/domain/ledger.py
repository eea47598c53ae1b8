# SPDX-License-Identifier: GPL-3.0-or-later
"""Ledger entries: append-only facts, chained per device by SHA-256.

An entry is never updated or deleted; a correction is a reversal entry. Each device numbers its entries
1, 2, 3 … and links each one to the hash of the one before, so an edited, deleted or reordered entry
breaks the chain where it happened.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from enum import StrEnum

from app.domain.errors import ClubError

GENESIS_HASH = "0" * 64
MAX_REASON_LENGTH = 500


class EntryKind(StrEnum):
    EARN = "earn"  # a sale: sale_amount is what it was priced at, points what it earned
    REDEEM = "redeem"  # points spent as a discount on a sale
    CASHBACK_CREDIT = "cashback_credit"
    CASHBACK_SPEND = "cashback_spend"
    ADJUST = "adjust"
    EXPIRE = "expire"
    BONUS = "bonus"
    MEMBERSHIP_PURCHASE = "membership_purchase"
    REVERSAL = "reversal"  # undoes all or part of the entry named in `reverses` (returns too)
    OVERRIDE = "override"  # a manager let a sale spend beyond the offline grant: zero points, a reason
    CHECK_IN = "check_in"  # admitted at an event's door; invoice_ref is the event (app.domain.event)
    GUEST_CHECK_IN = "guest_check_in"  # a plus-one the member brought, admitted under their invitation
    TIER_CHANGE = "tier_change"  # invoice_ref is the new tier's code (app.domain.tiering)
    REWARD = "reward"  # points spent on a catalogue item; invoice_ref "reward:<code>" (app.domain.rewards)


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """What a use case decides; the ledger gives it a place in the device's chain."""

    id: str
    created_at_us: int  # device clock, UTC microseconds; for display only, never for ordering
    branch_id: str
    member_id: str
    kind: EntryKind
    staff_id: str | None = None
    points_delta: int = 0
    cash_delta: int = 0  # cashback wallet, rials
    sale_amount: int = 0  # rials; negative on the reversal a return writes
    discount_rials: int = 0  # the discount a redeem entry bought
    invoice_ref: str | None = None
    reason: str | None = None
    reverses: str | None = None
    rules_version: int | None = None  # the rule set that priced it (app.domain.programme)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: str
    device_id: str
    device_seq: int
    created_at_us: int
    branch_id: str
    member_id: str
    kind: EntryKind
    staff_id: str | None
    points_delta: int
    cash_delta: int
    sale_amount: int
    discount_rials: int
    invoice_ref: str | None
    reason: str | None
    reverses: str | None
    prev_hash: str
    hash: str
    rules_version: int | None = None

    def body(self) -> dict[str, object]:
        """The fields the hash covers: everything but the hash itself."""
        # by hand, as in `seal`: asdict() deep-copies field by field and was most of a push's hashing time
        data: dict[str, object] = {name: getattr(self, name) for name in HASHED_FIELDS}
        data["kind"] = self.kind.value
        if self.rules_version is not None:  # absent from older entries' bodies: their hashes still hold
            data["rules_version"] = self.rules_version
        return data

    def expected_hash(self) -> str:
        return entry_hash(self.body())


# rules_version is hashed only when set (see LedgerEntry.body)
HASHED_FIELDS = tuple(f.name for f in fields(LedgerEntry) if f.name not in ("hash", "rules_version"))
_DRAFT_FIELDS = tuple(f.name for f in fields(EntryDraft) if f.name != "rules_version")


# made once: json.dumps with options builds a new encoder on every call, a third of the hashing time
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(body: dict[str, object]) -> bytes:
    """One byte string per entry: sorted keys, no white space, UTF-8; the same on every platform."""
    return _CANONICAL.encode(body).encode()


def entry_hash(body: dict[str, object]) -> str:
    """SHA-256 over the entry's canonical body, which includes the previous entry's hash."""
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def seal(draft: EntryDraft, device_id: str, device_seq: int, prev_hash: str) -> LedgerEntry:
    """Give a draft its place in a device's chain."""
    # a flat dict by hand: asdict() deep-copies field by field, several times slower
    body = {name: getattr(draft, name) for name in _DRAFT_FIELDS} | {
        "device_id": device_id,
        "device_seq": device_seq,
        "prev_hash": prev_hash,
    }
    body["kind"] = draft.kind.value
    if draft.rules_version is not None:
        body["rules_version"] = draft.rules_version
    return LedgerEntry(**(body | {"kind": draft.kind, "hash": entry_hash(body)}))


def seal_all(
    drafts: Iterable[EntryDraft], device_id: str, last_seq: int, last_hash: str
) -> list[LedgerEntry]:
    """Seal drafts in order after a device's current head."""
    sealed: list[LedgerEntry] = []
    for draft in drafts:
        entry = seal(draft, device_id, last_seq + 1, last_hash)
        sealed.append(entry)
        last_seq, last_hash = entry.device_seq, entry.hash
    return sealed


def clean_reason(raw: str | None) -> str:
    """The reason a person gave for a correction, white space folded; refused when empty or absurd."""
    reason = " ".join((raw or "").split())
    if not reason or len(reason) > MAX_REASON_LENGTH:
        raise ClubError("reason_required")
    return reason


@dataclass(frozen=True, slots=True)
class SetAsideSlot:
    """Another device's entry that the club server set aside: it counts nowhere, but it holds its place in
    that device's chain. Only the place is kept (the server checked the body and vouches for the hash)."""

    id: str
    device_id: str
    device_seq: int
    prev_hash: str
    hash: str
    reason: str


ChainLink = LedgerEntry | SetAsideSlot


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first entry where a device's chain does not hold, and why."""

    device_id: str
    device_seq: int
    entry_id: str | None
    problem: str  # edited · reordered_or_deleted · sequence_gap · missing_tail · head_mismatch


def find_chain_break(
    device_id: str, entries: Iterable[ChainLink], head: tuple[int, str] | None = None
) -> ChainBreak | None:
    """Check one device's entries (and slots of its set-aside ones), given in device-sequence order,
    against the chain rules.

    `head` is the (last sequence, last hash) the device recorded for itself; without it, removing the
    newest entries would leave a chain that looks whole.
    """
    last_seq, last_hash = 0, GENESIS_HASH
    for entry in entries:
        if entry.device_seq != last_seq + 1:
            return ChainBreak(device_id, last_seq + 1, entry.id, "sequence_gap")
        if isinstance(entry, LedgerEntry) and entry.expected_hash() != entry.hash:
            return ChainBreak(device_id, entry.device_seq, entry.id, "edited")
        if entry.prev_hash != last_hash:
            return ChainBreak(device_id, entry.device_seq, entry.id, "reordered_or_deleted")
        last_seq, last_hash = entry.device_seq, entry.hash
    if head is not None and (last_seq, last_hash) != head:
        problem = "missing_tail" if head[0] > last_seq else "head_mismatch"
        return ChainBreak(device_id, last_seq + 1, None, problem)
    return None
