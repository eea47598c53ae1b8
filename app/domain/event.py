# SPDX-License-Identifier: GPL-3.0-or-later
"""Club events, their guest lists, and the door's verdict on a guest.

An event invites members by tier (every member of an invited tier) and by name (an invitation). Each
admission at a door is a check-in ledger entry whose reference (`invoice_ref`) is the event's id, so it
is chained, synced exactly once and merged on the server like any entry; a plus-one is a check-in of its
own (kind `guest_check_in`, under the member who brought them); a manager undoes an admission with a
reversal that names it. Whether someone is inside is therefore always folded from the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.domain.errors import ClubError
from app.domain.ledger import EntryKind, LedgerEntry

MAX_PLUS_ONES = 20
MAX_INVITED_TIERS = 20
# the door opens this long before an event starts: guests arrive early and queue
DOORS_OPEN_BEFORE_US = 3 * 3600 * 1_000_000
CHECK_IN_KINDS = (EntryKind.CHECK_IN, EntryKind.GUEST_CHECK_IN)


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    name: str
    starts_at_us: int
    ends_at_us: int
    venue: str = ""
    capacity: int | None = None  # people, plus-ones included; None: no limit
    invited_tiers: tuple[str, ...] = ()  # every member of these tiers is on the guest list
    plus_ones: int = 0  # how many guests each invited member may bring, unless their invitation says
    cancelled: bool = False

    def is_open_at(self, now_us: int) -> bool:
        return not self.cancelled and self.starts_at_us - DOORS_OPEN_BEFORE_US <= now_us <= self.ends_at_us


@dataclass(frozen=True, slots=True)
class Invitation:
    id: str
    event_id: str
    member_id: str
    plus_ones: int | None = None  # None: the event's allowance
    cancelled: bool = False


def check_event(event: Event) -> Event:
    """An event as a manager typed it, refused with a reason when it cannot be held."""
    name = " ".join(event.name.split())
    if not name or len(name) > 120 or len(event.venue) > 120:
        raise ClubError("invalid_event_name", name=event.name)
    if event.ends_at_us <= event.starts_at_us:
        raise ClubError("event_ends_before_start")
    if event.capacity is not None and event.capacity < 1:
        raise ClubError("invalid_capacity", capacity=event.capacity)
    if not 0 <= event.plus_ones <= MAX_PLUS_ONES:
        raise ClubError("invalid_plus_ones", plus_ones=event.plus_ones, limit=MAX_PLUS_ONES)
    if len(event.invited_tiers) > MAX_INVITED_TIERS:
        raise ClubError("too_many_tiers", limit=MAX_INVITED_TIERS)
    return Event(
        event.id,
        name,
        event.starts_at_us,
        event.ends_at_us,
        " ".join(event.venue.split()),
        event.capacity,
        tuple(dict.fromkeys(event.invited_tiers)),
        event.plus_ones,
        event.cancelled,
    )


class Verdict(StrEnum):
    ADMIT = "admit"  # green
    ALREADY_INSIDE = "already_inside"  # amber: with when and at which door
    NOT_INVITED = "not_invited"  # red
    CARD_REFUSED = "card_refused"  # red: with the card's reason
    FULL = "full"  # red: the event is at capacity


@dataclass(frozen=True, slots=True)
class CheckIn:
    """One admission still standing (not undone)."""

    entry_id: str
    member_id: str
    device_id: str
    at_us: int  # the door's clock: for display only
    guest: bool  # a plus-one the member brought


@dataclass(frozen=True, slots=True)
class Attendance:
    """An event's admissions folded from its check-in and reversal entries."""

    check_ins: tuple[CheckIn, ...]

    def of_member(self, member_id: str) -> list[CheckIn]:
        return [c for c in self.check_ins if c.member_id == member_id]

    def member_inside(self, member_id: str) -> list[CheckIn]:
        """The member's own admissions, oldest first; more than one means two doors let them in."""
        return sorted((c for c in self.of_member(member_id) if not c.guest), key=lambda c: c.at_us)

    def guests_of(self, member_id: str) -> int:
        return sum(1 for c in self.of_member(member_id) if c.guest)

    @property
    def people(self) -> int:
        """People inside: each member once, however many doors admitted them, and each plus-one."""
        members = {c.member_id for c in self.check_ins if not c.guest}
        return len(members) + sum(1 for c in self.check_ins if c.guest)

    @property
    def doubly_admitted(self) -> set[str]:
        """Members admitted more than once (two doors offline): flagged, never refused after the fact."""
        seen: dict[str, int] = {}
        for c in self.check_ins:
            if not c.guest:
                seen[c.member_id] = seen.get(c.member_id, 0) + 1
        return {member for member, n in seen.items() if n > 1}


def fold_attendance(entries: Iterable[LedgerEntry]) -> Attendance:
    """Admissions from an event's entries (check-ins and the reversals that undo them), in any order."""
    entries = list(entries)
    undone = {e.reverses for e in entries if e.kind is EntryKind.REVERSAL and e.reverses}
    return Attendance(
        tuple(
            CheckIn(e.id, e.member_id, e.device_id, e.created_at_us, e.kind is EntryKind.GUEST_CHECK_IN)
            for e in entries
            if e.kind in CHECK_IN_KINDS and e.id not in undone
        )
    )


def plus_ones_allowed(event: Event, invitation: Invitation | None) -> int:
    if invitation is not None and invitation.plus_ones is not None:
        return invitation.plus_ones
    return event.plus_ones


def is_invited(event: Event, invitation: Invitation | None, tier_code: str | None) -> bool:
    if invitation is not None:
        return not invitation.cancelled
    return tier_code is not None and tier_code in event.invited_tiers


@dataclass(frozen=True, slots=True)
class DoorDecision:
    verdict: Verdict
    reason: str | None = None  # a message code for red verdicts
    earlier: CheckIn | None = None  # for ALREADY_INSIDE: the first admission


def decide(
    event: Event, *, invited: bool, inside: Sequence[CheckIn], people: int, now_us: int
) -> DoorDecision:
    """The verdict for a member whose card (if any) already checked out. `inside` is the member's own
    standing admissions, oldest first; `people` how many are inside the event now."""
    if not invited:
        return DoorDecision(Verdict.NOT_INVITED, "door_not_invited")
    if inside:
        return DoorDecision(Verdict.ALREADY_INSIDE, earlier=inside[0])
    return _door_open(event, people, now_us)


def decide_plus_one(
    event: Event, *, allowed: int, inside: Sequence[CheckIn], guests: int, people: int, now_us: int
) -> DoorDecision:
    """Whether one more guest of this member may come in: only with the member, and within the allowance."""
    if not inside:
        return DoorDecision(Verdict.NOT_INVITED, "door_member_not_inside")
    if guests >= allowed:
        return DoorDecision(Verdict.NOT_INVITED, "door_no_plus_ones_left")
    return _door_open(event, people, now_us)


def _door_open(event: Event, people: int, now_us: int) -> DoorDecision:
    if event.cancelled:
        return DoorDecision(Verdict.NOT_INVITED, "door_event_cancelled")
    if not event.is_open_at(now_us):
        return DoorDecision(Verdict.NOT_INVITED, "door_event_closed")
    if event.capacity is not None and people >= event.capacity:
        return DoorDecision(Verdict.FULL, "door_event_full")
    return DoorDecision(Verdict.ADMIT)
