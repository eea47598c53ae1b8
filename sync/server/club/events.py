# SPDX-License-Identifier: GPL-3.0-or-later
"""Club events, as head office runs them: create, edit, cancel; invite tiers and members; the guest list
with who is inside; attendance as CSV; invitation QR codes as PNG and as a printable sheet. The back
office's pages, the admin API (`/v1/admin/events`) and `bashgah-server event` all come through here.

An event belongs to a branch or to the whole club (`branch_id` None). Managing one is EVENT_MANAGE, which a
branch manager holds only for their own branches (club.access.PER_BRANCH): they manage their branches'
events and may not create, edit or invite to a club-wide one; head office (owner, manager, marketing)
manages every event. Reading events and guest lists is READ, club-wide as members are.

A tier invited to an event puts every member of the tier on its guest list (the door admits them by their
card); a member invited by name has an invitation, which is also what an invitation QR code names, so only
guests invited by name get one. "Inside" is what the doors' pushed check-ins say, folded as the terminals
fold them (app.domain.event): a member with an admission not undone by a manager. The door has no
check-out, so a member who left is still counted in.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, and_, func, or_, select

from app.domain.event import DOORS_OPEN_BEFORE_US, Attendance
from sync.protocol import WireBranch, WireEvent, WireInvitation, WireTier
from sync.server import club
from sync.server import events as store
from sync.server.admin_models import AttendanceView, EventView, GuestView, InvitationQr, InviteResult
from sync.server.club.access import Permission
from sync.server.club.act import Act, Call, change, read
from sync.server.db import one_of
from sync.server.errors import ApiError
from sync.server.invitation_key import invitation_qr as sign_invitation
from sync.server.invitation_key import invitation_qrs
from sync.server.invitation_sheet import SheetEvent, SheetGuest, qr_png, sheet_pdf
from sync.server.messages import causes
from sync.server.models import AUDIT, EVENT, INVITATION, MEMBER

P = Permission
PAGE = 25  # events a page of the list
GUEST_PAGE = 50  # guests a page of the guest list
SHEET_GUESTS = 240  # guests a printable sheet (20 pages): a longer list is printed in parts
REFRESH_AUDIT_US = 10 * 60 * 1_000_000  # a live guest list polled again within this is not audited again
_EDITABLE = frozenset(WireEvent.model_fields) - {"id"}


# ---- what the pages and the API are shown ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventSummary:
    event: WireEvent
    branch_id: str | None
    invited: int  # members on the guest list: invited by name (not cancelled) or through a tier, once each
    inside: int  # people inside: each admitted member once, and each plus-one
    state: str  # "cancelled", "ended", "open" (the doors admit) or "upcoming"


@dataclass(frozen=True, slots=True)
class EventPage:
    events: list[EventSummary]
    after: str | None  # the cursor of the next page; None: this is the last


@dataclass(frozen=True, slots=True)
class Guest:
    member_id: str
    name: str
    phone: str
    tier_code: str
    invitation_id: str | None  # invited by name (None: through the tier only, or admitted without)
    cancelled: bool  # the invitation by name is cancelled
    by_tier: bool  # the member's tier is invited
    plus_ones: int  # how many guests they may bring
    inside_since_us: int | None  # their first admission still standing (the door's clock); None: not in
    door: str | None  # the terminal that admitted them
    guests_inside: int  # their plus-ones admitted
    doubly_admitted: bool  # two doors admitted them (alerted for review)

    @property
    def invited(self) -> bool:
        return self.by_tier or (self.invitation_id is not None and not self.cancelled)

    @property
    def inside(self) -> bool:
        return self.inside_since_us is not None


@dataclass(frozen=True, slots=True)
class GuestPage:
    event: EventSummary
    guests: list[Guest]
    after: str | None
    named: int  # standing invitations by name: the guests with a QR code (the printable sheet)


@dataclass(frozen=True, slots=True)
class Invited:
    tiers: list[str]  # tiers newly invited
    results: list[InviteResult]  # each member asked for: invited, updated, unchanged, or why not


def state_of(event: WireEvent, now_us: int) -> str:
    if event.cancelled:
        return "cancelled"
    if now_us > event.ends_at_us:
        return "ended"
    if now_us >= event.starts_at_us - DOORS_OPEN_BEFORE_US:
        return "open"
    return "upcoming"


def _record(event: WireEvent, branch_id: str | None) -> dict[str, Any]:
    """The event as the audit log keeps it (before and after a change)."""
    return event.model_dump(mode="json") | {"branch_id": branch_id}


def _invited_counts(conn: Connection, listed: list[WireEvent]) -> dict[str, int]:
    """Members on each event's guest list: its tiers' members (one count by tier for the whole page, not a
    scan of the members for each event) and those invited by name from other tiers."""
    by_tier: dict[str, int] = {}
    if any(e.invited_tiers for e in listed):
        query = select(MEMBER.c.tier_code, func.count()).group_by(MEMBER.c.tier_code)
        by_tier = {code: int(n) for code, n in conn.execute(query)}
    counts = {}
    for event in listed:
        named = (
            select(func.count())
            .select_from(INVITATION.join(MEMBER, MEMBER.c.id == INVITATION.c.member_id))
            .where(INVITATION.c.event_id == event.id, INVITATION.c.cancelled.is_(False))
        )
        if event.invited_tiers:
            named = named.where(MEMBER.c.tier_code.not_in(event.invited_tiers))
        tiers = sum(by_tier.get(code, 0) for code in event.invited_tiers)
        counts[event.id] = tiers + int(conn.execute(named).scalar_one())
    return counts


def _summaries(conn: Connection, rows: list[Any], now_us: int) -> list[EventSummary]:
    listed = [store.wire_event(row) for row in rows]
    folded = store.attendances(conn, [e.id for e in listed])
    invited = _invited_counts(conn, listed)
    return [
        EventSummary(e, row.branch_id, invited[e.id], folded[e.id].people, state_of(e, now_us))
        for e, row in zip(listed, rows, strict=True)
    ]


def _view(conn: Connection, event: WireEvent) -> EventView:
    """The admin API's view of an event (its counts are the API's: invitations by name)."""
    return store.event_view(conn, event)


# ---- cursors ------------------------------------------------------------------------------------------


def _cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts, ensure_ascii=False).encode()).decode().rstrip("=")


def _parts(cursor: str, kinds: tuple[type, ...]) -> list[Any]:
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        parts = None
    if not isinstance(parts, list) or [type(p) for p in parts] != list(kinds):
        raise ApiError(422, "invalid_cursor", "not a page of this list (start again from the first)")
    return parts


# ---- events -------------------------------------------------------------------------------------------


def listing(
    call: Call, after: str | None = None, *, limit: int = PAGE, offset: int = 0, audited: bool = False
) -> EventPage:
    """Events, the latest start first (the coming ones, then the past); a page at a time after the cursor
    (or `offset`, for the admin API's older paging). Events hold no personal data: the list is not audited
    unless asked (the admin API audits every call)."""

    def work(conn: Connection) -> EventPage:
        query = select(EVENT).order_by(EVENT.c.starts_at_us.desc(), EVENT.c.id)
        if after:
            starts, event_id = _parts(after, (int, str))
            query = query.where(
                or_(
                    EVENT.c.starts_at_us < starts,
                    and_(EVENT.c.starts_at_us == starts, EVENT.c.id > event_id),
                )
            )
        rows = conn.execute(query.offset(offset).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        last = rows[-1] if rows else None
        cursor = _cursor(last.starts_at_us, last.id) if more and last is not None else None
        return EventPage(_summaries(conn, rows, call.now_us), cursor)

    return read(call, "event.list", None, work, audited=audited)


def summary(call: Call, event_id: str) -> EventSummary:
    """One event with its counts and state; 404 `unknown_event`."""

    def work(conn: Connection) -> EventSummary:
        row = conn.execute(select(EVENT).where(EVENT.c.id == event_id)).one_or_none()
        if row is None:
            raise ApiError(404, "unknown_event", "no such event")
        return _summaries(conn, [row], call.now_us)[0]

    return read(call, "event.view", event_id, work, audited=False)


def view(call: Call, event_id: str) -> EventView:
    """The admin API's event (audited, as every admin API call is)."""
    return read(call, "event.view", event_id, lambda conn: _view(conn, store.require_event(conn, event_id)))


def choices(call: Call) -> tuple[list[WireTier], list[WireBranch]]:
    """The club's tiers (by rank) and branches (by code): what an event may invite and where it may be."""

    def work(conn: Connection) -> tuple[list[WireTier], list[WireBranch]]:
        return club.tiers(conn), club.branches(conn)

    return read(call, "event.choices", None, work, audited=False)


def _branch_now(call: Call, event_id: str) -> str | None:
    """The event's branch, for the permission check before the change's transaction (which checks it
    again: it may have moved meanwhile)."""
    with call.db.read() as conn:
        return store.event_branch(conn, event_id)


def _check_branch(conn: Connection, branch_id: str | None) -> None:
    if branch_id is not None and club.branch(conn, branch_id) is None:
        raise ApiError(422, "unknown_branch", f"no branch {branch_id!r}")


def create(call: Call, event: WireEvent, branch_id: str | None = None) -> EventView:
    """A new event (published), held by `branch_id` or club-wide. A retried create (the same event again,
    id and all) is answered with the event as it stands; another event under that id is refused."""

    def work(act: Act) -> EventView:
        conn = act.conn
        _check_branch(conn, branch_id)
        clean = store.checked(conn, event)
        existing = store.get_event(conn, clean.id)
        if existing is not None:
            if existing == clean and store.event_branch(conn, clean.id) == branch_id:
                act.before = act.after = _record(existing, branch_id)
                return _view(conn, existing)
            raise ApiError(409, "event_exists", "an event with this id exists: edit it instead")
        store.put_event(conn, act.pub, clean, branch_id=branch_id)
        act.after = _record(clean, branch_id)
        return _view(conn, clean)

    return change(call, P.EVENT_MANAGE, "event.create", event.id, work, branch_id=branch_id)


def _editing(
    call: Call, action: str, event_id: str, alter: Any, *, moving: bool = False, to_branch: str | None = None
) -> EventView:
    """An edit of the stored event in one transaction: `alter(conn, event)` gives the new event. Moving it
    to another branch needs the right to manage events there too."""

    def work(act: Act) -> EventView:
        conn = act.conn
        current = store.require_event(conn, event_id)
        branch_id = store.event_branch(conn, event_id)
        act.actor.require(P.EVENT_MANAGE, branch_id)
        if moving and to_branch != branch_id:
            act.actor.require(P.EVENT_MANAGE, to_branch)
            _check_branch(conn, to_branch)
        new_branch = to_branch if moving else branch_id
        act.before = _record(current, branch_id)
        event = alter(conn, current)
        store.put_event(conn, act.pub, event, branch_id=new_branch, keep_branch=not moving)
        act.after = _record(event, new_branch)
        return _view(conn, event)

    return change(call, P.EVENT_MANAGE, action, event_id, work, branch_id=_branch_now(call, event_id))


def edit(call: Call, event_id: str, changes: Mapping[str, Any]) -> EventView:
    """Change some of the event's fields (any of WireEvent's but its id; `cancelled: False` restores a
    cancelled event), and its branch with `branch_id` in `changes`. Published."""
    changes = dict(changes)
    moving = "branch_id" in changes
    to_branch = changes.pop("branch_id", None)
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ApiError(422, "invalid_request", f"not an event's field: {', '.join(sorted(unknown))}")

    def alter(conn: Connection, current: WireEvent) -> WireEvent:
        try:
            edited = WireEvent.model_validate(current.model_dump() | changes)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ApiError(422, "invalid_request", f"{where}: {first['msg']}", field=where) from None
        return store.checked(conn, edited)

    return _editing(call, "event.edit", event_id, alter, moving=moving, to_branch=to_branch)


def cancel(call: Call, event_id: str) -> EventView:
    """Cancel the event: published, so every door refuses its guests from its next pull (a cancelled event
    is never open: app.domain.event.Event.is_open_at), and shown as cancelled. Cancelling it again changes
    nothing; its guest list and attendance stay."""
    return _editing(call, "event.cancel", event_id, lambda _c, e: e.model_copy(update={"cancelled": True}))


# ---- the guest list -----------------------------------------------------------------------------------


def invite(
    call: Call,
    event_id: str,
    *,
    tiers: Iterable[str] = (),
    member_ids: Iterable[str] = (),
    phones: Iterable[str] = (),
    cards: Iterable[str] = (),
    plus_ones: int | None = None,
    set_plus_ones: bool = False,
) -> Invited:
    """Invite whole tiers, and members by id, phone or card number, each member answered on its own (one
    unknown is not a failure of the rest). Again is harmless: a tier already invited stays, a member's
    invitation is un-cancelled, and its `plus_ones` set if `set_plus_ones`. Published."""
    tiers, member_ids, phones, cards = list(tiers), list(member_ids), list(phones), list(cards)

    def work(act: Act) -> Invited:
        conn = act.conn
        event = store.require_event(conn, event_id)
        act.actor.require(P.EVENT_MANAGE, store.event_branch(conn, event_id))
        if event.cancelled:
            raise ApiError(409, "event_cancelled", "the event is cancelled")
        added = [code for code in dict.fromkeys(tiers) if code not in event.invited_tiers]
        if added:
            wider = store.checked(
                conn, event.model_copy(update={"invited_tiers": event.invited_tiers + added})
            )
            store.put_event(conn, act.pub, wider)
        results: list[InviteResult] = []
        if member_ids or phones or cards:
            results = store.invite(
                conn, act.pub, event_id, member_ids=member_ids, phones=phones, cards=cards,
                plus_ones=plus_ones, set_plus_ones=set_plus_ones,
            )  # fmt: skip
            invited = [r.invitation for r in results if r.outcome != "unchanged" and r.invitation is not None]
            causes.invitations_signed(conn, act.pub, event, invited)  # their messages, with the QR as a link
        act.before = {"invited_tiers": event.invited_tiers}
        act.after = {
            "invited_tiers": event.invited_tiers + added,
            "members": [r.model_dump(mode="json", exclude={"invitation"}) for r in results],
        }
        return Invited(added, results)

    return change(call, P.EVENT_MANAGE, "event.invite", event_id, work, branch_id=_branch_now(call, event_id))


def uninvite(
    call: Call, event_id: str, *, member_id: str | None = None, tier: str | None = None
) -> WireInvitation | None:
    """Take a member's invitation back (cancelled, published: doors turn them away unless their tier is
    invited), or a tier off the guest list. Again changes nothing. The member's invitation, or None."""
    if (member_id is None) == (tier is None):
        raise ApiError(422, "invalid_request", "name a member or a tier")

    def work(act: Act) -> WireInvitation | None:
        conn = act.conn
        event = store.require_event(conn, event_id)
        act.actor.require(P.EVENT_MANAGE, store.event_branch(conn, event_id))
        if tier is not None:
            act.before = {"invited_tiers": event.invited_tiers}
            if tier in event.invited_tiers:
                kept = [code for code in event.invited_tiers if code != tier]
                event = event.model_copy(update={"invited_tiers": kept})
                store.put_event(conn, act.pub, event)
            act.after = {"invited_tiers": event.invited_tiers}
            return None
        assert member_id is not None
        before = store.get_invitation(conn, event_id, member_id)
        act.before = None if before is None else before.model_dump(mode="json")
        invitation = store.uninvite(conn, act.pub, event_id, member_id)
        act.after = invitation.model_dump(mode="json")
        return invitation

    target = f"{event_id}/{member_id or tier}"
    return change(call, P.EVENT_MANAGE, "event.uninvite", target, work, branch_id=_branch_now(call, event_id))


def invitations(call: Call, event_id: str) -> list[GuestView]:
    """The admin API's guest list: the invitations by name (cancelled ones too), by name. Audited."""
    return read(call, "event.invitations", event_id, lambda conn: store.guests(conn, event_id))


def _seen_lately(conn: Connection, call: Call, action: str, target: str) -> bool:
    row = conn.execute(
        select(AUDIT.c.id)
        .where(
            AUDIT.c.at_us >= call.now_us - REFRESH_AUDIT_US,
            AUDIT.c.actor == call.actor.audit_name[:160],
            AUDIT.c.action == action,
            AUDIT.c.target == target,
        )
        .limit(1)
    ).first()
    return row is not None


def guest_list(call: Call, event_id: str, after: str | None = None, *, refresh: bool = False) -> GuestPage:
    """A page of the guest list, by name: everyone invited (by name, cancelled too, or through a tier) and
    anyone admitted, with who is inside, since when and through which door. It shows names and phones, so
    it is audited; a live page polling it again (`refresh`) is audited once every ten minutes, not at
    every poll."""
    call.actor.require(P.READ)

    def work(conn: Connection) -> GuestPage:
        row = conn.execute(select(EVENT).where(EVENT.c.id == event_id)).one_or_none()
        if row is None:
            raise ApiError(404, "unknown_event", "no such event")
        head = _summaries(conn, [row], call.now_us)[0]
        event = head.event
        check_ins, folded = store.attendance(conn, event_id)
        doors = {c.entry_id: c.device_code for c in check_ins}
        inside_ids = sorted({c.member_id for c in folded.check_ins if not c.guest})
        named = INVITATION.c.id.is_not(None)
        on_list = [named]
        if event.invited_tiers:
            on_list.append(one_of(conn, MEMBER.c.tier_code, event.invited_tiers))
        if inside_ids:
            on_list.append(one_of(conn, MEMBER.c.id, inside_ids))
        query = (
            select(
                MEMBER.c.id,
                MEMBER.c.name,
                MEMBER.c.phone,
                MEMBER.c.tier_code,
                INVITATION.c.id.label("invitation_id"),
                INVITATION.c.cancelled,
                INVITATION.c.plus_ones,
            )
            .select_from(
                MEMBER.outerjoin(
                    INVITATION, and_(INVITATION.c.member_id == MEMBER.c.id, INVITATION.c.event_id == event_id)
                )
            )
            .where(or_(*on_list))
            .order_by(MEMBER.c.name, MEMBER.c.id)
        )
        if after:
            name, member_id = _parts(after, (str, str))
            query = query.where(
                or_(MEMBER.c.name > name, and_(MEMBER.c.name == name, MEMBER.c.id > member_id))
            )
        rows = conn.execute(query.limit(GUEST_PAGE + 1)).all()
        more = len(rows) > GUEST_PAGE
        guests = [_guest(r, event, folded, doors) for r in rows[:GUEST_PAGE]]
        cursor = _cursor(guests[-1].name, guests[-1].member_id) if more else None
        return GuestPage(head, guests, cursor, store.count_invitations(conn, event_id))

    if refresh:
        with call.db.read() as conn:
            quiet = _seen_lately(conn, call, "event.guests", event_id)
        if quiet:
            return read(call, "event.guests", event_id, work, audited=False)
    return read(call, "event.guests", event_id, work)


def _guest(row: Any, event: WireEvent, folded: Attendance, doors: dict[str, str]) -> Guest:
    admitted = folded.member_inside(row.id)
    first = admitted[0] if admitted else None
    named = row.invitation_id is not None
    allowance = row.plus_ones if named and row.plus_ones is not None else event.plus_ones
    return Guest(
        member_id=row.id,
        name=row.name,
        phone=row.phone,
        tier_code=row.tier_code,
        invitation_id=row.invitation_id,
        cancelled=bool(row.cancelled) if named else False,
        by_tier=row.tier_code in event.invited_tiers,
        plus_ones=allowance,
        inside_since_us=None if first is None else first.at_us,
        door=None if first is None else doors.get(first.entry_id),
        guests_inside=folded.guests_of(row.id),
        doubly_admitted=len(admitted) > 1,
    )


# ---- attendance ---------------------------------------------------------------------------------------


def attendance(call: Call, event_id: str) -> AttendanceView:
    """Every check-in from every door (who, which door, when by the door's clock, plus-one or not, undone or
    not, admitted twice or not). Audited: it names members."""

    def work(conn: Connection) -> AttendanceView:
        return store.attendance_view(conn, event_id)

    return read(call, "event.attendance", event_id, work)


def attendance_csv(call: Call, event_id: str) -> str:
    """The attendance as CSV for a spreadsheet: a header, then a line a check-in."""
    return store.attendance_csv(attendance(call, event_id))


# ---- invitation QR codes ------------------------------------------------------------------------------


def invitation_qr(call: Call, event_id: str, member_id: str) -> InvitationQr:
    """The member's invitation as a QR text signed with the server's invitation key, valid until the event
    ends: for a guest invited by name who comes without a card. A code admits its holder, so making one is
    managing the event (audited), not a read."""

    def work(act: Act) -> InvitationQr:
        act.actor.require(P.EVENT_MANAGE, store.event_branch(act.conn, event_id))
        code = sign_invitation(act.conn, act.pub, event_id, member_id)
        act.after = {"member_id": member_id, "key_id": code.key_id, "valid_until_us": code.valid_until_us}
        return code

    target = f"{event_id}/{member_id}"
    return change(
        call, P.EVENT_MANAGE, "event.invitation_qr", target, work, branch_id=_branch_now(call, event_id)
    )


def invitation_qr_png(call: Call, event_id: str, member_id: str) -> bytes:
    """The member's invitation QR code as a PNG image (to send or print)."""
    return qr_png(invitation_qr(call, event_id, member_id).text)


def sheet_parts(named: int) -> int:
    """How many printable sheets a guest list of `named` invitations by name takes."""
    return max(1, -(-named // SHEET_GUESTS))


def invitation_sheet_pdf(call: Call, event_id: str, part: int = 1, lang: str = "fa") -> bytes:
    """A printable A4 PDF of the guests invited by name (not cancelled), each with their name and QR code,
    by name; a long list in parts of SHEET_GUESTS (`part` from 1). Signs every code on it: audited. The
    drawing (seconds for a long list) is done after the transaction, so no writer waits on it."""

    def work(act: Act) -> tuple[SheetEvent, list[SheetGuest]]:
        conn = act.conn
        event = store.require_event(conn, event_id)
        act.actor.require(P.EVENT_MANAGE, store.event_branch(conn, event_id))
        standing = [row for row in store.guest_list(conn, event_id) if not row.cancelled]
        if not 1 <= part <= sheet_parts(len(standing)):
            raise ApiError(404, "unknown_sheet", "the guest list has no such part")
        rows = standing[(part - 1) * SHEET_GUESTS : part * SHEET_GUESTS]
        if not rows:
            raise ApiError(409, "no_named_guests", "nobody is invited to this event by name")
        codes = invitation_qrs(conn, act.pub, event, [store.wire_invitation(row) for row in rows])
        guests = [
            SheetGuest(row.name, code.text, event.plus_ones if row.plus_ones is None else row.plus_ones)
            for row, code in zip(rows, codes, strict=True)
        ]
        act.after = {"part": part, "codes": len(codes), "key_id": codes[0].key_id}
        return SheetEvent(event.name, event.venue, event.starts_at_us), guests

    sheet_event, guests = change(
        call, P.EVENT_MANAGE, "event.invitation_sheet", event_id, work, branch_id=_branch_now(call, event_id)
    )
    return sheet_pdf(sheet_event, guests, lang)
