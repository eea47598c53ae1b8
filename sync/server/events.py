# SPDX-License-Identifier: GPL-3.0-or-later
"""Club events on the server: events and guest lists (published like every reference record), attendance
folded from the global ledger, and double admissions flagged when check-ins arrive.

An admission is a `check_in` ledger entry whose `invoice_ref` is the event id (app.domain.event); a plus-one
is a `guest_check_in` under the member who brought them; a manager's undo is a `reversal` naming it (with
the event id as its `invoice_ref` too). The server never refuses an admission that happened: two doors that
admitted one member while offline are *flagged* (alert `double_admission`) when the second one is pushed.

Refusals are ApiError (422 with a code), for the admin API and the command line alike; a pushed item gets
the same code as its rejection reason (`*_refusal`).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, select, text

from app.domain.errors import ClubError
from app.domain.event import Attendance, Event, check_event, fold_attendance
from app.domain.ids import uuid7
from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.phone import normalize_phone
from sync.protocol import WireEntry, WireEvent, WireInvitation
from sync.server.admin_models import AttendanceView, CheckInView, EventView, GuestView, InviteResult
from sync.server.alerts import raise_alert
from sync.server.db import dialect_insert, one_of
from sync.server.errors import ApiError
from sync.server.models import CARD, DEVICE, ENTRY, EVENT, EVENT_ENTRY_KINDS_SQL, INVITATION, MEMBER, TIER
from sync.server.sequence import Publisher

DOUBLE_ADMISSION = "double_admission"
# Spelled as the partial index's predicate (models.EVENT_ENTRY_KINDS_SQL), so that SQLite and PostgreSQL can
# tell the index covers the query: a bound parameter list would hide that from both planners.
_EVENT_KINDS = text(f"ledger_entry.{EVENT_ENTRY_KINDS_SQL}")


# ---- events -----------------------------------------------------------------------------------------


def wire_event(row: Any) -> WireEvent:
    values = dict(row._mapping)
    values.pop("updated_at_us", None)
    values.pop("branch_id", None)  # the server's own (sync.server.club.events): not on the wire
    values["invited_tiers"] = json.loads(values["invited_tiers"] or "[]")
    return WireEvent.model_validate(values)


def get_event(conn: Connection, event_id: str) -> WireEvent | None:
    row = conn.execute(select(EVENT).where(EVENT.c.id == event_id)).one_or_none()
    return None if row is None else wire_event(row)


def require_event(conn: Connection, event_id: str) -> WireEvent:
    event = get_event(conn, event_id)
    if event is None:
        raise ApiError(404, "unknown_event", "no such event")
    return event


def event_branch(conn: Connection, event_id: str) -> str | None:
    """The branch holding the event (None: club-wide, or no such event)."""
    return conn.execute(select(EVENT.c.branch_id).where(EVENT.c.id == event_id)).scalar_one_or_none()


def event_refusal(conn: Connection, event: WireEvent) -> str | None:
    """Why this event cannot be held (a reason code: app.domain.event's, or `unknown_tier`), or None."""
    try:
        checked(conn, event)
    except ApiError as error:
        return error.code
    return None


def checked(conn: Connection, event: WireEvent) -> WireEvent:
    """The event as app.domain.event.check_event cleans it (name and venue spacing, tiers once each), its
    tiers known to the club; ApiError 422 otherwise."""
    try:
        clean = check_event(Event(**event.model_dump() | {"invited_tiers": tuple(event.invited_tiers)}))
    except ClubError as error:
        raise ApiError(422, error.code, error.code.replace("_", " ")) from None
    if clean.invited_tiers:
        known = set(
            conn.execute(select(TIER.c.code).where(one_of(conn, TIER.c.code, clean.invited_tiers))).scalars()
        )
        unknown = [code for code in clean.invited_tiers if code not in known]
        if unknown:
            raise ApiError(422, "unknown_tier", f"no tier {unknown[0]!r}", tiers=unknown)
    return WireEvent.model_validate(
        event.model_dump()
        | {"name": clean.name, "venue": clean.venue, "invited_tiers": list(clean.invited_tiers)}
    )


def put_event(
    conn: Connection,
    pub: Publisher,
    event: WireEvent,
    *,
    branch_id: str | None = None,
    keep_branch: bool = True,
) -> None:
    """Upsert the whole record (already `checked`) and publish it. A new event belongs to `branch_id`; an
    existing one keeps its branch unless `keep_branch` is False (a terminal's update never moves it)."""
    values = event.model_dump() | {
        "invited_tiers": json.dumps(event.invited_tiers, ensure_ascii=False),
        "updated_at_us": pub.at_us,
        "branch_id": branch_id,
    }
    kept = {"id"} | ({"branch_id"} if keep_branch else set())
    statement = dialect_insert(conn, EVENT).values(**values)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["id"], set_={k: v for k, v in values.items() if k not in kept}
        )
    )
    pub.change("event", {"kind": "event", "event": event.model_dump(mode="json")})


# ---- invitations ------------------------------------------------------------------------------------


def wire_invitation(row: Any) -> WireInvitation:
    keys = ("id", "event_id", "member_id", "plus_ones", "cancelled")
    return WireInvitation.model_validate({k: getattr(row, k) for k in keys})


def get_invitation(conn: Connection, event_id: str, member_id: str) -> WireInvitation | None:
    row = conn.execute(
        select(INVITATION).where(INVITATION.c.event_id == event_id, INVITATION.c.member_id == member_id)
    ).one_or_none()
    return None if row is None else wire_invitation(row)


def invitation_refusal(conn: Connection, invitation: WireInvitation) -> str | None:
    """Why a pushed invitation cannot be stored, or None. Its id naming another pair is refused: the pair is
    the invitation's identity, and PostgreSQL would abort the whole push on the primary key."""
    if get_event(conn, invitation.event_id) is None:
        return "unknown_event"
    if conn.execute(select(MEMBER.c.id).where(MEMBER.c.id == invitation.member_id)).first() is None:
        return "unknown_member"
    holder = conn.execute(
        select(INVITATION.c.event_id, INVITATION.c.member_id).where(INVITATION.c.id == invitation.id)
    ).first()
    if holder is not None and tuple(holder) != (invitation.event_id, invitation.member_id):
        return "invitation_id_taken"
    return None


def put_invitation(conn: Connection, pub: Publisher, invitation: WireInvitation) -> WireInvitation:
    """Upsert by (event, member), whatever the id: an invitation already there keeps its id. Publishes and
    returns the stored invitation."""
    values = invitation.model_dump() | {"updated_at_us": pub.at_us}
    changed = {k: values[k] for k in ("plus_ones", "cancelled", "updated_at_us")}
    statement = dialect_insert(conn, INVITATION).values(**values)
    conn.execute(statement.on_conflict_do_update(index_elements=["event_id", "member_id"], set_=changed))
    stored = get_invitation(conn, invitation.event_id, invitation.member_id)
    assert stored is not None  # just written
    body = {"kind": "invitation", "invitation": stored.model_dump(mode="json")}
    pub.change("invitation", body, member_id=stored.member_id)
    return stored


def guest_list(conn: Connection, event_id: str) -> list[Any]:
    """The event's invitations (cancelled ones too) with their members' names and phones, by name."""
    query = (
        select(INVITATION, MEMBER.c.name, MEMBER.c.phone, MEMBER.c.tier_code)
        .join(MEMBER, MEMBER.c.id == INVITATION.c.member_id)
        .where(INVITATION.c.event_id == event_id)
        .order_by(MEMBER.c.name, MEMBER.c.id)
    )
    return list(conn.execute(query))


def count_invitations(conn: Connection, event_id: str) -> int:
    query = select(func.count()).where(INVITATION.c.event_id == event_id, INVITATION.c.cancelled.is_(False))
    return int(conn.execute(query.select_from(INVITATION)).scalar_one())


# ---- attendance -------------------------------------------------------------------------------------


_FIELDS = tuple(f for f in LedgerEntry.__dataclass_fields__ if f != "kind")


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(**{f: getattr(row, f) for f in _FIELDS}, kind=EntryKind(row.kind))


def attendance(conn: Connection, event_id: str) -> tuple[list[CheckInView], Attendance]:
    """Every check-in of the event from every device, oldest first (device clocks), and the admissions still
    standing as app.domain.event folds them (the terminals' own arithmetic)."""
    query = (
        select(ENTRY, MEMBER.c.name.label("member_name"), DEVICE.c.code.label("device_code"))
        .join(MEMBER, MEMBER.c.id == ENTRY.c.member_id)
        .join(DEVICE, DEVICE.c.id == ENTRY.c.device_id)
        .where(ENTRY.c.invoice_ref == event_id, _EVENT_KINDS)
        .order_by(ENTRY.c.created_at_us, ENTRY.c.server_seq)
    )
    rows = list(conn.execute(query))
    folded = fold_attendance(_entry(r) for r in rows)
    standing = {c.entry_id for c in folded.check_ins}
    doubly = folded.doubly_admitted
    listed = [
        CheckInView(
            entry_id=r.id,
            member_id=r.member_id,
            member_name=r.member_name,
            device_id=r.device_id,
            device_code=r.device_code,
            created_at_us=r.created_at_us,
            guest=r.kind == EntryKind.GUEST_CHECK_IN.value,
            undone=r.id not in standing,
            double_admission=r.member_id in doubly and r.kind == EntryKind.CHECK_IN.value,
        )
        for r in rows
        if r.kind != EntryKind.REVERSAL.value
    ]
    return listed, folded


def attendances(conn: Connection, event_ids: list[str]) -> dict[str, Attendance]:
    """Several events' admissions folded, from one query (a page of the event list)."""
    rows = conn.execute(select(ENTRY).where(one_of(conn, ENTRY.c.invoice_ref, event_ids), _EVENT_KINDS)).all()
    by_event: dict[str, list[LedgerEntry]] = defaultdict(list)
    for r in rows:
        by_event[r.invoice_ref].append(_entry(r))
    return {event_id: fold_attendance(by_event.get(event_id, [])) for event_id in event_ids}


def flag_double_admissions(
    conn: Connection, at_us: int, device_id: str, accepted: Iterable[WireEntry]
) -> None:
    """Alert `double_admission` for each (event, member) of these newly accepted check-ins that now has more
    than one standing admission. Looks only at this push's pairs, and does nothing for a push without a
    check-in (nearly all of them: sales), so ordinary pushes pay one pass over their entries."""
    pairs: set[tuple[str, str]] = set()  # (event, member)
    for e in accepted:
        if e.kind is EntryKind.CHECK_IN and e.invoice_ref:
            pairs.add((e.invoice_ref, e.member_id))
    if not pairs:
        return
    events = {event for event, _ in pairs}
    members = {member for _, member in pairs}
    rows = conn.execute(
        select(ENTRY, DEVICE.c.code.label("device_code"))
        .join(DEVICE, DEVICE.c.id == ENTRY.c.device_id)
        .where(
            one_of(conn, ENTRY.c.member_id, members), one_of(conn, ENTRY.c.invoice_ref, events), _EVENT_KINDS
        )
    ).all()
    codes = {r.device_id: r.device_code for r in rows}
    by_event: dict[str, list[LedgerEntry]] = defaultdict(list)
    for r in rows:
        by_event[r.invoice_ref].append(_entry(r))
    folded = {event_id: fold_attendance(entries) for event_id, entries in by_event.items()}
    for event_id, member_id in sorted(pairs):
        attendance = folded.get(event_id)
        if attendance is None or member_id not in attendance.doubly_admitted:
            continue
        event = get_event(conn, event_id)
        raise_alert(
            conn,
            at_us,
            DOUBLE_ADMISSION,
            device_id=device_id,
            member_id=member_id,
            subject=event_id,
            event_id=event_id,
            event_name=None if event is None else event.name,
            check_ins=[
                {
                    "entry_id": c.entry_id,
                    "device_id": c.device_id,
                    "device_code": codes[c.device_id],
                    "created_at_us": c.at_us,
                }
                for c in attendance.member_inside(member_id)
            ],
        )


# ---- what the use cases build on (sync.server.club.events) ---------------------------------------------


def new_id(now_us: int) -> str:
    return str(uuid7(now_us // 1000, os.urandom(10)))


def event_view(conn: Connection, event: WireEvent) -> EventView:
    _, folded = attendance(conn, event.id)
    return EventView(
        **event.model_dump(),
        branch_id=event_branch(conn, event.id),
        invited=count_invitations(conn, event.id),
        admitted=folded.people,
        doubly_admitted=len(folded.doubly_admitted),
    )


def _asked(
    conn: Connection, member_ids: list[str], phones: list[str], cards: Iterable[str] = ()
) -> list[InviteResult]:
    """Each asked-for member (by id, phone or card number) found (outcome `invited`, to be invited) or not
    (the reason)."""
    known = set(conn.execute(select(MEMBER.c.id).where(one_of(conn, MEMBER.c.id, member_ids))).scalars())
    results = [
        InviteResult(member_id=m, outcome="invited" if m in known else "unknown_member") for m in member_ids
    ]
    normalized: dict[str, str | None] = {}
    for phone in phones:
        try:
            normalized[phone] = normalize_phone(phone)
        except ClubError:
            normalized[phone] = None
    wanted = [p for p in normalized.values() if p]
    holders: dict[str, list[str]] = defaultdict(list)
    for row in conn.execute(select(MEMBER.c.phone, MEMBER.c.id).where(one_of(conn, MEMBER.c.phone, wanted))):
        holders[row.phone].append(row.id)
    for phone, e164 in normalized.items():
        ids = sorted(holders.get(e164 or "", []))
        if e164 is None:
            results.append(InviteResult(phone=phone, outcome="invalid_phone"))
        elif len(ids) == 1:
            results.append(InviteResult(phone=phone, member_id=ids[0], outcome="invited"))
        else:  # phones are not unique (two offline terminals may enrol one person): a person picks by id
            outcome = "ambiguous_phone" if ids else "unknown_member"
            results.append(InviteResult(phone=phone, outcome=outcome, members=ids))
    for number in cards:
        owner = conn.execute(select(CARD.c.member_id).where(CARD.c.number == number)).scalar_one_or_none()
        outcome = "unknown_card" if owner is None else "invited"
        results.append(InviteResult(card=number, member_id=owner, outcome=outcome))
    return results


def invite(
    conn: Connection,
    pub: Publisher,
    event_id: str,
    *,
    member_ids: list[str],
    phones: list[str],
    plus_ones: int | None,
    set_plus_ones: bool,
    cards: Iterable[str] = (),
) -> list[InviteResult]:
    """Invite members by id and by phone, each answered on its own (an unknown one is not a failure of the
    rest). Idempotent per member: again un-cancels, and sets `plus_ones` if `set_plus_ones`; an invitation
    that would not change is not published again."""
    event = require_event(conn, event_id)
    if event.cancelled:
        raise ApiError(409, "event_cancelled", "the event is cancelled")
    return [
        _invite_one(conn, pub, event_id, r, plus_ones if set_plus_ones else _KEEP)
        if r.outcome == "invited" and r.member_id
        else r
        for r in _asked(conn, member_ids, phones, cards)
    ]


_KEEP = -1  # plus_ones: what the invitation had (None for a new one)


def _invite_one(
    conn: Connection, pub: Publisher, event_id: str, result: InviteResult, plus_ones: int | None
) -> InviteResult:
    assert result.member_id is not None
    before = get_invitation(conn, event_id, result.member_id)
    if plus_ones == _KEEP:
        plus_ones = None if before is None else before.plus_ones
    wanted = WireInvitation(
        id=new_id(pub.at_us) if before is None else before.id,
        event_id=event_id,
        member_id=result.member_id,
        plus_ones=plus_ones,
        cancelled=False,
    )
    if wanted == before:
        return result.model_copy(update={"outcome": "unchanged", "invitation": before})
    stored = put_invitation(conn, pub, wanted)
    outcome = "invited" if before is None else "updated"
    return result.model_copy(update={"outcome": outcome, "invitation": stored})


def uninvite(conn: Connection, pub: Publisher, event_id: str, member_id: str) -> WireInvitation:
    """Cancel an invitation (published: doors turn the member away); cancelling it again changes nothing."""
    require_event(conn, event_id)
    invitation = get_invitation(conn, event_id, member_id)
    if invitation is None:
        raise ApiError(404, "unknown_invitation", "the member has no invitation to this event")
    if invitation.cancelled:
        return invitation
    return put_invitation(conn, pub, invitation.model_copy(update={"cancelled": True}))


def guests(conn: Connection, event_id: str) -> list[GuestView]:
    require_event(conn, event_id)
    _, folded = attendance(conn, event_id)
    inside = {c.member_id for c in folded.check_ins if not c.guest}
    brought = Counter(c.member_id for c in folded.check_ins if c.guest)
    return [
        GuestView(
            **wire_invitation(row).model_dump(),
            member_name=row.name,
            phone=row.phone,
            tier_code=row.tier_code,
            admitted=row.member_id in inside,
            guests_admitted=brought[row.member_id],
        )
        for row in guest_list(conn, event_id)
    ]


def attendance_view(conn: Connection, event_id: str) -> AttendanceView:
    require_event(conn, event_id)
    check_ins, folded = attendance(conn, event_id)
    return AttendanceView(
        event_id=event_id,
        admitted=folded.people,
        doubly_admitted=len(folded.doubly_admitted),
        check_ins=check_ins,
    )


def attendance_csv(view: AttendanceView) -> str:
    """The check-ins as CSV (a header, then one line each), for a spreadsheet."""
    out = io.StringIO()
    columns = list(CheckInView.model_fields)
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in view.check_ins:
        writer.writerow(row.model_dump() | {"member_name": _cell(row.member_name)})
    return out.getvalue()


def _cell(text: str) -> str:
    """A name typed at a terminal, kept from being read as a formula by the spreadsheet opening it."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
