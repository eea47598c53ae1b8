# SPDX-License-Identifier: GPL-3.0-or-later
"""The event door: a tapped card, a scanned QR (a member's phone code too) or a guest found by name → one
verdict, and an admission.

Tap-to-admit: a guest whose card checks out, who is invited and not yet inside is admitted at once (a
check-in entry); the host sees the photo and, if the face does not match, a manager undoes it. Each
verdict is decided and written in one write transaction, so two taps of the same card at one door can
never both admit. Two doors offline can: both entries are kept, and the sync flags the pair.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import Connection

from app.cards.base import CardEvent, CardEventKind
from app.cards.invitation_qr import is_invitation_text, verify_invitation_qr
from app.cards.payload import CardProfile, PayloadError
from app.cards.verify import CardReason, CardVerdict
from app.domain.errors import ClubError
from app.domain.event import (
    CheckIn,
    DoorDecision,
    Event,
    Invitation,
    Verdict,
    check_event,
    decide,
    decide_plus_one,
    fold_attendance,
    is_invited,
    plus_ones_allowed,
)
from app.domain.ledger import EntryDraft, EntryKind, clean_reason
from app.domain.member import Member
from app.domain.staff import Action, Staff
from app.domain.tier import Tier
from app.services.cards import ChipProof, accept_phone_code, card_verdict, record_card_tap
from app.services.terminal import Terminal
from app.store import cards, club, events, ledger, members, outbox
from sync.protocol import EventItem, InvitationItem
from sync.translate import event_to_wire, invitation_to_wire

# card verdicts the door still acts on: a stale revocation list does not stop a party, and a member
# this terminal never synced is shown from the profile on the card


def _door_accepts(verdict: CardVerdict) -> bool:
    """A door spends nothing: a card valid for earning only (a stale revocation list, a chip not challenged
    here, an old card the club takes for earning only) gets a guest in as it opens a member at the till; a
    good card of a member this door never synced too (its guest list says whether they are invited)."""
    return verdict.valid or verdict.reason is CardReason.UNKNOWN_MEMBER


@dataclass(frozen=True, slots=True)
class DoorCounts:
    admitted: int  # people inside: members and their plus-ones
    invited: int  # members on the guest list
    capacity: int | None


@dataclass(frozen=True, slots=True)
class Guest:
    member_id: str
    name: str
    tier: Tier | None  # None when only the card's profile knows them
    photo: bytes | None  # JPEG: the synced photo, else the one on the card
    phone: str | None
    from_card: bool  # shown from the card's profile: this terminal never synced the member


@dataclass(frozen=True, slots=True)
class DoorResult:
    verdict: Verdict
    reason: str | None  # a message code (app.messages) for red verdicts
    event: Event
    guest: Guest | None
    plus_ones_allowed: int
    plus_ones_admitted: int
    check_in: CheckIn | None  # the admission written now (ADMIT) or the first one (ALREADY_INSIDE)
    door: str | None  # the code of the device that admitted `check_in`
    at_this_door: bool
    counts: DoorCounts
    card_number: str | None = None  # of a refused card, for its message

    def refusal(self) -> ClubError | None:
        """The reason as a refusal, for app.messages / the window's text; None unless red."""
        if self.reason is None:
            return None
        return ClubError(self.reason, card=self.card_number or "")


@dataclass(frozen=True, slots=True)
class GuestRow:
    """One line of the guest list and the attendance export."""

    member_id: str
    name: str
    phone: str
    tier_code: str | None
    plus_ones_allowed: int
    admitted_at_us: int | None
    door: str | None
    check_in_id: str | None
    plus_ones_admitted: int
    admitted_twice: bool  # two doors let the member in (offline): flagged for the club to look at


# ---- events and guest lists (a manager at a terminal; the server's arrive by sync) ----------------


def open_events(terminal: Terminal) -> list[Event]:
    """Events a door can work at now or later today: not cancelled and not over."""
    now = terminal.clock.now_us()
    with terminal.db.read() as conn:
        return [e for e in events.events(conn) if not e.cancelled and e.ends_at_us >= now]


def get_event(terminal: Terminal, event_id: str) -> Event:
    with terminal.db.read() as conn:
        return _event(conn, event_id)


def _event(conn: Connection, event_id: str) -> Event:
    found = events.event(conn, event_id)
    if found is None:
        raise ClubError("unknown_event", event=event_id)
    return found


def save_event(terminal: Terminal, staff: Staff, event: Event) -> Event:
    """Create or edit an event here; it reaches the server (and every door) with the next sync."""
    staff.require(Action.MANAGE_EVENTS)
    event = check_event(event)
    with terminal.db.write() as conn:
        known = {t.code for t in club.tiers(conn)}
        unknown = [code for code in event.invited_tiers if code not in known]
        if unknown:
            raise ClubError("unknown_tier", tier=unknown[0])
        events.put_event(conn, event)
        item = EventItem(id=terminal.new_id(), event=event_to_wire(event))
        _send(conn, terminal, outbox.EVENT, event.id, item)
    return event


def _send(
    conn: Connection, terminal: Terminal, kind: str, subject: str, item: EventItem | InvitationItem
) -> None:
    """Queue what a manager made here for the club server, in the transaction that wrote it."""
    outbox.add(conn, item.id, kind, subject, item, at_us=terminal.clock.now_us())


def invite(
    terminal: Terminal,
    staff: Staff,
    event_id: str,
    member_id: str,
    *,
    plus_ones: int | None = None,
    cancel: bool = False,
) -> Invitation:
    """Put a member on the guest list (or take them off with `cancel`); synced like the event."""
    staff.require(Action.MANAGE_EVENTS)
    with terminal.db.write() as conn:
        _event(conn, event_id)
        if members.get(conn, member_id) is None:
            raise ClubError("unknown_member", member=member_id)
        saved = events.put_invitation(
            conn, Invitation(terminal.new_id(), event_id, member_id, plus_ones, cancel)
        )
        item = InvitationItem(id=terminal.new_id(), invitation=invitation_to_wire(saved))
        _send(conn, terminal, outbox.INVITATION, saved.id, item)
    return saved


# ---- the door -------------------------------------------------------------------------------------


def admit_card_event(terminal: Terminal, event_id: str, card: CardEvent, staff: Staff) -> DoorResult | None:
    """The verdict on what a reader or scanner delivered; None for events that are not a read."""
    if card.kind is CardEventKind.READ_FAILED:
        with terminal.db.read() as conn:
            return _refused(conn, _event(conn, event_id), "card_unreadable", None)
    if card.kind is not CardEventKind.TAPPED:
        return None
    if card.qr_text is not None:
        return admit_qr(terminal, event_id, card.qr_text, staff)
    return admit_card(terminal, event_id, card.ndef or b"", card.uid, staff, proof=card.chip)


def admit_card(
    terminal: Terminal,
    event_id: str,
    data: bytes | str,
    uid: bytes | None,
    staff: Staff,
    *,
    proof: ChipProof | None = None,
) -> DoorResult:
    """A card read (NDEF bytes and UID) or a member QR: verified offline, with what the reader proved of a
    chip-keyed card's chip (`proof`), then admitted if invited. A chip card's tap is reported with the
    admission (app.services.cards.record_card_tap)."""
    staff.require(Action.CHECK_IN)
    with terminal.db.write() as conn:
        event = _event(conn, event_id)
        now = terminal.clock.now_us()
        verdict = card_verdict(conn, data, uid, now, proof)
        if not _door_accepts(verdict):
            refused = _refused(
                conn, event, verdict.message_code or "card_malformed", _known_guest(conn, verdict)
            )
            return replace(refused, card_number=verdict.payload.card_number if verdict.payload else None)
        assert verdict.payload is not None
        # a phone's code is good for one verdict at this door: kept and reported with the admission
        accept_phone_code(conn, terminal, verdict, "door", now)
        record_card_tap(
            conn, terminal, verdict, data=data, uid=uid, purpose="door", now_us=now, proof=proof
        )
        profile = verdict.profile if verdict.reason is CardReason.UNKNOWN_MEMBER else None
        return _admit(
            conn, terminal, staff, event, verdict.payload.member_id, profile=profile, pass_invited=False
        )


def admit_qr(terminal: Terminal, event_id: str, text: str, staff: Staff) -> DoorResult:
    """A scanned QR: an invitation pass, or a member's card QR."""
    if not is_invitation_text(text):
        return admit_card(terminal, event_id, text, None, staff)
    staff.require(Action.CHECK_IN)
    with terminal.db.write() as conn:
        event = _event(conn, event_id)
        try:
            found = verify_invitation_qr(text, cards.public_keys(conn), terminal.clock.now_us())
        except PayloadError as error:
            return _refused(conn, event, f"card_{error}", None)
        if found.event_id != event.id:
            return _refused(
                conn, event, "door_other_event", _guest(conn, found.member_id, None), Verdict.NOT_INVITED
            )
        # the signed pass is the club's word that the member is invited, even before the list synced
        return _admit(conn, terminal, staff, event, found.member_id, profile=None, pass_invited=True)


def admit_member(terminal: Terminal, event_id: str, member_id: str, staff: Staff) -> DoorResult:
    """A guest who forgot the card, found on the list; the host has compared the photo."""
    staff.require(Action.CHECK_IN)
    with terminal.db.write() as conn:
        event = _event(conn, event_id)
        if members.get(conn, member_id) is None and events.invitation_of(conn, event_id, member_id) is None:
            raise ClubError("unknown_member", member=member_id)
        return _admit(conn, terminal, staff, event, member_id, profile=None, pass_invited=False)


def admit_plus_one(terminal: Terminal, event_id: str, member_id: str, staff: Staff) -> DoorResult:
    """One guest the member brought, within the invitation's allowance."""
    staff.require(Action.CHECK_IN)
    with terminal.db.write() as conn:
        event = _event(conn, event_id)
        invitation = events.invitation_of(conn, event_id, member_id)
        allowed = plus_ones_allowed(event, invitation)
        mine = fold_attendance(events.member_door_entries(conn, event_id, member_id))
        people, guests = events.people_inside(conn, event_id), mine.guests_of(member_id)
        decision = decide_plus_one(
            event,
            allowed=allowed,
            inside=mine.member_inside(member_id),
            guests=guests,
            people=people,
            now_us=terminal.clock.now_us(),
        )
        entry = None
        if decision.verdict is Verdict.ADMIT:
            entry = _check_in(
                conn, terminal, staff, event, member_id=member_id, kind=EntryKind.GUEST_CHECK_IN
            )
        return _result(
            conn,
            terminal,
            _guest(conn, member_id, None),
            decision,
            _Tally(event, invitation, entry, people + (entry is not None), guests + (entry is not None)),
        )


def undo_admission(terminal: Terminal, event_id: str, check_in_id: str, manager: Staff, reason: str) -> str:
    """A manager takes back an admission (the wrong face, a mistap): a reversal naming the check-in."""
    manager.require(Action.MANAGE_EVENTS)
    reason = clean_reason(reason)
    with terminal.db.write() as conn:
        target = ledger.get(conn, check_in_id)
        if target is None or target.kind not in (EntryKind.CHECK_IN, EntryKind.GUEST_CHECK_IN):
            raise ClubError("unknown_check_in", entry=check_in_id)
        if target.invoice_ref != event_id:
            raise ClubError("unknown_check_in", entry=check_in_id)
        if ledger.reversals_of(conn, check_in_id):
            raise ClubError("already_reversed", entry=check_in_id)
        draft = EntryDraft(
            id=terminal.new_id(),
            created_at_us=terminal.clock.now_us(),
            branch_id=terminal.branch_id,
            member_id=target.member_id,
            kind=EntryKind.REVERSAL,
            staff_id=manager.id,
            invoice_ref=event_id,
            reason=reason,
            reverses=check_in_id,
        )
        (entry,) = ledger.append(conn, terminal.device_id, [draft])
        return entry.id


def door_counts(terminal: Terminal, event_id: str) -> DoorCounts:
    with terminal.db.read() as conn:
        return _counts(conn, _event(conn, event_id))


def _counts(conn: Connection, event: Event) -> DoorCounts:
    return DoorCounts(events.people_inside(conn, event.id), events.invited_count(conn, event), event.capacity)


def _admit(
    conn: Connection,
    terminal: Terminal,
    staff: Staff,
    event: Event,
    member_id: str,
    *,
    profile: CardProfile | None,
    pass_invited: bool,
) -> DoorResult:
    invitation = events.invitation_of(conn, event.id, member_id)
    member = members.get(conn, member_id)
    invited = is_invited(event, invitation, member.tier_code if member else None) or (
        pass_invited and (invitation is None or not invitation.cancelled)
    )
    mine = fold_attendance(events.member_door_entries(conn, event.id, member_id))
    people = events.people_inside(conn, event.id)
    decision = decide(
        event,
        invited=invited,
        inside=mine.member_inside(member_id),
        people=people,
        now_us=terminal.clock.now_us(),
    )
    guest = _guest(conn, member_id, profile, member)
    entry = None
    if decision.verdict is Verdict.ADMIT:
        if member is None:
            _placeholder_member(conn, terminal, member_id, profile)
        entry = _check_in(conn, terminal, staff, event, member_id=member_id, kind=EntryKind.CHECK_IN)
    tally = _Tally(event, invitation, entry, people + (entry is not None), mine.guests_of(member_id))
    return _result(conn, terminal, guest, decision, tally)


def _check_in(
    conn: Connection, terminal: Terminal, staff: Staff, event: Event, *, member_id: str, kind: EntryKind
) -> CheckIn:
    draft = EntryDraft(
        id=terminal.new_id(),
        created_at_us=terminal.clock.now_us(),
        branch_id=terminal.branch_id,
        member_id=member_id,
        kind=kind,
        staff_id=staff.id,
        invoice_ref=event.id,
    )
    (entry,) = ledger.append(conn, terminal.device_id, [draft])
    return CheckIn(
        entry.id, member_id, terminal.device_id, entry.created_at_us, kind is EntryKind.GUEST_CHECK_IN
    )


def _placeholder_member(
    conn: Connection, terminal: Terminal, member_id: str, profile: CardProfile | None
) -> None:
    """A guest admitted from the card's profile needs a member row for the entry to name: the profile's
    name stands in until the club's own record arrives with the next pull (an upsert over it)."""
    name = profile.name if profile else "?"
    members.put_member(
        conn,
        Member(
            id=member_id,
            name=name,
            phone="",
            tier_code=club.entry_tier(conn).code,
            branch_id=terminal.branch_id,
            joined_at_us=0,
            birth_date=profile.birth_date if profile else None,
        ),
    )
    if profile is not None and profile.photo_jpeg:
        members.put_photo(conn, member_id, profile.photo_jpeg)


@dataclass(frozen=True, slots=True)
class _Tally:
    """What a verdict's screen counts, as the deciding transaction left it (counted once per tap)."""

    event: Event
    invitation: Invitation | None
    written: CheckIn | None
    people: int
    guests: int  # the member's plus-ones inside


def _result(
    conn: Connection, terminal: Terminal, guest: Guest | None, decision: DoorDecision, tally: _Tally
) -> DoorResult:
    shown = tally.written or decision.earlier
    event = tally.event
    return DoorResult(
        verdict=decision.verdict,
        reason=decision.reason,
        event=event,
        guest=guest,
        plus_ones_allowed=plus_ones_allowed(event, tally.invitation),
        plus_ones_admitted=tally.guests,
        check_in=shown,
        door=events.device_names(conn).get(shown.device_id) if shown else None,
        at_this_door=shown is not None and shown.device_id == terminal.device_id,
        counts=DoorCounts(tally.people, events.invited_count(conn, event), event.capacity),
    )


def _refused(
    conn: Connection, event: Event, reason: str, guest: Guest | None, verdict: Verdict = Verdict.CARD_REFUSED
) -> DoorResult:
    return DoorResult(
        verdict=verdict,
        reason=reason,
        event=event,
        guest=guest,
        plus_ones_allowed=0,
        plus_ones_admitted=0,
        check_in=None,
        door=None,
        at_this_door=False,
        counts=_counts(conn, event),
    )


def _known_guest(conn: Connection, verdict: CardVerdict) -> Guest | None:
    """Who a refused card names, when its signature held (a revoked or expired card is the club's own)."""
    if verdict.payload is None:
        return None
    return (
        _guest(conn, verdict.payload.member_id, None)
        if members.get(conn, verdict.payload.member_id)
        else None
    )


def _guest(
    conn: Connection, member_id: str, profile: CardProfile | None, member: Member | None = None
) -> Guest | None:
    member = member or members.get(conn, member_id)
    if member is not None:
        return Guest(
            member_id=member.id,
            name=member.name,
            tier=club.tier(conn, member.tier_code),
            photo=members.photo(conn, member.id),
            phone=member.phone or None,
            from_card=False,
        )
    if profile is not None:
        return Guest(member_id, profile.name, None, profile.photo_jpeg, None, from_card=True)
    return None


# ---- the guest list -------------------------------------------------------------------------------


def guest_list(
    terminal: Terminal, event_id: str, search: str = "", limit: int | None = None
) -> list[GuestRow]:
    """The event's guests (invited by name or by tier) with who is inside, for the host and the export.

    `search` narrows by part of the name or phone; rows come admitted-last-first then by name.
    """
    needle = " ".join((search or "").split()).translate(_ARABIC_TO_PERSIAN)
    with terminal.db.read() as conn:
        event = _event(conn, event_id)
        listed = events.guests(conn, event, needle)
        if needle and len(listed) <= _FEW:  # a search: only the admissions of the guests it found
            entries = [e for row in listed for e in events.member_door_entries(conn, event_id, row[0])]
        else:
            entries = events.door_entries(conn, event_id)
        attendance = fold_attendance(entries)
        inside: dict[str, list[CheckIn]] = {}
        plus: dict[str, int] = {}
        for c in sorted(attendance.check_ins, key=lambda c: c.at_us):
            if c.guest:
                plus[c.member_id] = plus.get(c.member_id, 0) + 1
            else:
                inside.setdefault(c.member_id, []).append(c)
        if not needle:  # guests admitted by a signed pass before the list synced are on the list too
            known = {row[0] for row in listed}
            for member_id in sorted(set(inside) - known):
                member = members.get(conn, member_id)
                listed.append((member_id, member and member.name, member and member.phone, None, None))
        doors = events.device_names(conn)
        rows = [_guest_row(event, row, inside.get(row[0], []), plus.get(row[0], 0), doors) for row in listed]
    rows.sort(key=lambda r: (r.admitted_at_us is None, -(r.admitted_at_us or 0), r.name))
    return rows[:limit] if limit is not None else rows


def _guest_row(
    event: Event, row: tuple[str, str | None, str | None, str | None, int | None], inside: list[CheckIn],
    guests: int, doors: dict[str, str],
) -> GuestRow:  # fmt: skip
    member_id, name, phone, tier_code, plus_ones = row
    first = inside[0] if inside else None
    allowed = plus_ones if plus_ones is not None else event.plus_ones
    return GuestRow(
        member_id=member_id,
        name=name or "?",
        phone=phone or "",
        tier_code=tier_code,
        plus_ones_allowed=allowed,
        admitted_at_us=first.at_us if first else None,
        door=doors.get(first.device_id) if first else None,
        check_in_id=first.entry_id if first else None,
        plus_ones_admitted=guests,
        admitted_twice=len(inside) > 1,
    )


_FEW = 200
# People type Arabic forms of these letters on some keyboards; members' names are stored as typed.
_ARABIC_TO_PERSIAN = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "ة": "ه"})


ATTENDANCE_COLUMNS = (
    "member_id",
    "name",
    "phone",
    "tier",
    "admitted_at_utc",
    "door",
    "plus_ones_allowed",
    "plus_ones_admitted",
    "admitted_twice",
)


def attendance_csv(rows: list[GuestRow]) -> str:
    """The guest list with attendance as CSV (UTF-8, a header row; times ISO 8601 in UTC)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ATTENDANCE_COLUMNS)
    for row in rows:
        at = (
            datetime.fromtimestamp(row.admitted_at_us / 1_000_000, UTC).isoformat(timespec="seconds")
            if row.admitted_at_us is not None
            else ""
        )
        writer.writerow(
            (
                row.member_id,
                _cell(row.name),
                row.phone,
                row.tier_code or "",
                at,
                row.door or "",
                row.plus_ones_allowed,
                row.plus_ones_admitted,
                "yes" if row.admitted_twice else "",
            )
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """A name a spreadsheet would run as a formula (=, +, -, @) is quoted as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def invitation_qr(terminal: Terminal, staff: Staff, event_id: str, member_id: str) -> str:
    """The invitation as a signed QR text, for a guest without a card (this terminal's issuing key)."""
    from app.cards.invitation_qr import InvitationPass, invitation_qr_text
    from app.services.issuing_key import load_issuing_key

    staff.require(Action.MANAGE_EVENTS)
    key = load_issuing_key(terminal)
    with terminal.db.read() as conn:
        event = _event(conn, event_id)
        invitation = events.invitation_of(conn, event_id, member_id)
        if invitation is None or invitation.cancelled:
            raise ClubError("door_not_invited")
    return invitation_qr_text(
        key, InvitationPass(invitation.id, event.id, member_id, key.key_id, event.ends_at_us)
    )


def current_event(terminal: Terminal, event_id: str | None = None) -> Event:
    """The event named, or the one event open now; refused when none or several are open."""
    if event_id:
        return get_event(terminal, event_id)
    now = terminal.clock.now_us()
    open_now = [e for e in open_events(terminal) if e.is_open_at(now)]
    if len(open_now) != 1:
        raise ClubError("no_open_event" if not open_now else "several_open_events", count=len(open_now))
    return open_now[0]
