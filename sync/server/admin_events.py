# SPDX-License-Identifier: GPL-3.0-or-later
"""The admin API's events, `/v1/admin/events/…`: events, guest lists, attendance and invitation QR codes.

Roles as in sync.server.admin: viewer reads; manager also creates and edits events, invites and uninvites,
and makes invitation QR codes (a code admits its holder: more than a read). Each route is a thin adapter
over the use cases in sync.server.club.events (which the back office's pages call too): they check the
token's role again, run in one transaction, audit every call and publish every change, so doors follow
after their next pull.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from sync.protocol import UUID_PATTERN, WireEvent, WireInvitation
from sync.server import events
from sync.server.admin import Manager, MemberId, Viewer
from sync.server.admin_models import (
    AttendanceView,
    EventBody,
    EventList,
    EventView,
    GuestView,
    InvitationQr,
    Invite,
    InviteResults,
)
from sync.server.auth import call_of
from sync.server.club import events as club_events
from sync.server.errors import ApiError

router = APIRouter(prefix="/v1/admin/events", tags=["admin", "events"])
EventId = Annotated[str, Path(pattern=UUID_PATTERN)]
_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV"}
}


@router.get("", response_model=EventList)
def list_events(
    request: Request,
    admin: Viewer,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> EventList:
    """Newest start first."""
    page = club_events.listing(call_of(request, admin), limit=limit, offset=offset, audited=True)
    return EventList(events=[s.event for s in page.events], limit=limit, offset=offset)


@router.post("", response_model=EventView, status_code=201)
def create_event(body: EventBody, request: Request, admin: Manager) -> EventView:
    """A new event (published); with an `id`, a retried create is answered with the event as it stands."""
    call = call_of(request, admin)
    event_id = body.id or events.new_id(call.now_us)
    event = WireEvent.model_validate(body.model_dump(exclude={"branch_id"}) | {"id": event_id})
    return club_events.create(call, event, body.branch_id)


@router.get("/{event_id}", response_model=EventView)
def get_event(event_id: EventId, request: Request, admin: Viewer) -> EventView:
    return club_events.view(call_of(request, admin), event_id)


@router.put("/{event_id}", response_model=EventView)
def edit_event(event_id: EventId, body: EventBody, request: Request, admin: Manager) -> EventView:
    """The whole event again, edited (`cancelled: true` cancels it); published. Its branch is kept unless
    the body names one (`branch_id`, null: club-wide)."""
    if body.id is not None and body.id != event_id:
        raise ApiError(422, "invalid_request", "the body's id must be the path's")
    changes = body.model_dump(exclude={"id", "branch_id"})
    if "branch_id" in body.model_fields_set:
        changes["branch_id"] = body.branch_id
    return club_events.edit(call_of(request, admin), event_id, changes)


@router.get("/{event_id}/invitations", response_model=list[GuestView])
def guest_list(event_id: EventId, request: Request, admin: Viewer) -> list[GuestView]:
    """The guest list by name (cancelled invitations too), with who is inside."""
    return club_events.invitations(call_of(request, admin), event_id)


@router.post("/{event_id}/invitations", response_model=InviteResults)
def invite(event_id: EventId, body: Invite, request: Request, admin: Manager) -> InviteResults:
    """Invite members by id or phone; each gets its own answer. Inviting again un-cancels, and sets
    `plus_ones` if the body has it (null: the event's allowance)."""
    invited = club_events.invite(
        call_of(request, admin),
        event_id,
        member_ids=body.member_ids,
        phones=body.phones,
        plus_ones=body.plus_ones,
        set_plus_ones="plus_ones" in body.model_fields_set,
    )
    return InviteResults(results=invited.results)


@router.delete("/{event_id}/invitations/{member_id}", response_model=WireInvitation)
def uninvite(event_id: EventId, member_id: MemberId, request: Request, admin: Manager) -> WireInvitation:
    """Cancel the member's invitation (published: doors turn them away unless their tier is invited)."""
    invitation = club_events.uninvite(call_of(request, admin), event_id, member_id=member_id)
    assert invitation is not None  # a member's, not a tier's
    return invitation


@router.get("/{event_id}/attendance", response_model=AttendanceView, responses=_CSV)
def attendance(
    event_id: EventId,
    request: Request,
    admin: Viewer,
    output: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> AttendanceView | Response:
    """Every check-in from every door: who, which device, when (the door's clock), plus-one or not, undone
    or not, and whether the member was admitted more than once (`double_admission`)."""
    view = club_events.attendance(call_of(request, admin), event_id)
    if output == "csv":
        return Response(
            events.attendance_csv(view),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="attendance-{event_id}.csv"'},
        )
    return view


@router.get("/{event_id}/invitations/{member_id}/qr", response_model=InvitationQr)
def invitation_code(event_id: EventId, member_id: MemberId, request: Request, admin: Manager) -> InvitationQr:
    """The invitation as a QR text signed with the server's invitation key (a published club key), valid
    until the event ends: for a guest without a card."""
    return club_events.invitation_qr(call_of(request, admin), event_id, member_id)
