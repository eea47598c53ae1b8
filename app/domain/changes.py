# SPDX-License-Identifier: GPL-3.0-or-later
"""What the club server sends a terminal (a pull page), as the domain knows it.

The sync client reads a page off the wire (sync.protocol) and translates it here at the edge
(sync.translate); the store applies these (app.store.replica) and never sees the wire format. One frozen
dataclass per kind of change, each with its server sequence `seq`; `kind` is what the store dispatches on
and counts by. The entities are the domain's own (Member, Card, LedgerEntry, …) where one exists; the
rest are the few fields a terminal keeps of them.

Members are most of what a new terminal pulls (a million of them): `MemberRun` carries a run of
consecutive member changes as one change, each member as the tuple of its fields (a million Member
instances cost more than the store's whole write of them), so the store writes them in one statement.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

from app.domain.branch import Branch
from app.domain.card import Card
from app.domain.event import Event, Invitation
from app.domain.ledger import LedgerEntry
from app.domain.member import ERASED_PHONE, Member
from app.domain.programme import RuleSet
from app.domain.staff import Staff
from app.domain.tier import Tier


@dataclass(frozen=True, slots=True)
class TierChange:
    kind: ClassVar[str] = "tier"
    seq: int
    tier: Tier


@dataclass(frozen=True, slots=True)
class BranchChange:
    kind: ClassVar[str] = "branch"
    seq: int
    branch: Branch


@dataclass(frozen=True, slots=True)
class StaffChange:
    """A staff member with the argon2 hash of their PIN (never the PIN), and when head office last lifted
    their PIN lockout (None: never, or a server that does not say)."""

    kind: ClassVar[str] = "staff"
    seq: int
    staff: Staff
    pin_hash: str
    unlocked_at_us: int | None = None


@dataclass(frozen=True, slots=True)
class DeviceChange:
    kind: ClassVar[str] = "device"
    seq: int
    id: str
    code: str
    branch_id: str


@dataclass(frozen=True, slots=True)
class KeyChange:
    """One of the club's Ed25519 public keys: "card", "invitation" or "phone" says what it signs."""

    kind: ClassVar[str] = "club_key"
    seq: int
    key_id: int
    public_key: bytes
    created_at_us: int
    retired_at_us: int | None
    purpose: str


MEMBER_FIELDS = tuple(f.name for f in fields(Member))  # a MemberRun's row: a Member's fields, in order
MEMBER_ID, MEMBER_PHONE = MEMBER_FIELDS.index("id"), MEMBER_FIELDS.index("phone")


@dataclass(frozen=True, slots=True)
class MemberRun:
    """Consecutive member changes of a page, in order (a member may appear more than once): each member
    is the tuple of its fields in MEMBER_FIELDS order, `Member(*row)`."""

    kind: ClassVar[str] = "member"
    seqs: tuple[int, ...]
    rows: tuple[tuple[Any, ...], ...]

    @property
    def seq(self) -> int:
        return self.seqs[-1]

    @property
    def members(self) -> tuple[Member, ...]:
        return tuple(Member(*row) for row in self.rows)


def row_is_erased(row: tuple[Any, ...]) -> bool:
    """Whether a MemberRun's row is a member the club erased (Member.erased, without the Member)."""
    return row[MEMBER_PHONE] == ERASED_PHONE


@dataclass(frozen=True, slots=True)
class PhotoChange:
    kind: ClassVar[str] = "member_photo"
    seq: int
    member_id: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class CardChange:
    """A card, QR or phone as issued; its status travels as revocations, never here."""

    kind: ClassVar[str] = "card"
    seq: int
    card: Card


@dataclass(frozen=True, slots=True)
class RevocationChange:
    kind: ClassVar[str] = "card_revocation"
    seq: int
    id: str
    card_number: str
    status: str  # "lost" or "revoked"
    reason: str
    staff_id: str | None
    at_us: int


@dataclass(frozen=True, slots=True)
class EntryChange:
    """Any device's entry, this terminal's own included (for its own, an acknowledgement)."""

    kind: ClassVar[str] = "entry"
    seq: int
    entry: LedgerEntry


@dataclass(frozen=True, slots=True)
class SetAsideChange:
    """An entry the server set aside for `reason`: it counts nowhere, but holds its place in its chain."""

    kind: ClassVar[str] = "entry_set_aside"
    seq: int
    entry: LedgerEntry
    reason: str


@dataclass(frozen=True, slots=True)
class SetAsideResolvedChange:
    kind: ClassVar[str] = "set_aside_resolved"
    seq: int
    entry_id: str
    device_id: str
    member_id: str
    decision: str  # "refused"
    decided_at_us: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class RestrictionChange:
    kind: ClassVar[str] = "restriction"
    seq: int
    member_id: str
    restricted: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SettingChange:
    kind: ClassVar[str] = "setting"
    seq: int
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class EventChange:
    kind: ClassVar[str] = "event"
    seq: int
    event: Event


@dataclass(frozen=True, slots=True)
class InvitationChange:
    kind: ClassVar[str] = "invitation"
    seq: int
    invitation: Invitation


@dataclass(frozen=True, slots=True)
class RuleSetChange:
    """A version of the club's programme: `body` as it travelled (kept: entries name the version that
    priced them), `rules` what it says, or None with `unreadable` when this terminal cannot read it (a
    server newer than the terminal)."""

    kind: ClassVar[str] = "rule_set"
    seq: int
    version: int
    body: dict[str, Any]
    rules: RuleSet | None
    unreadable: str = ""


Change = (
    TierChange
    | BranchChange
    | StaffChange
    | DeviceChange
    | KeyChange
    | MemberRun
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
    | RuleSetChange
)


@dataclass(frozen=True, slots=True)
class PulledPage:
    """One pull page: the changes after the cursor, in seq order; applied together with `next_cursor`."""

    changes: tuple[Change, ...]
    next_cursor: int
    more: bool
    server_time_us: int

    def __len__(self) -> int:
        """How many changes the server sent (a run of members counts each)."""
        return sum(len(c.seqs) if isinstance(c, MemberRun) else 1 for c in self.changes)
