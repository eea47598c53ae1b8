# SPDX-License-Identifier: GPL-3.0-or-later
"""The events pages: the list, a new event, and an event's page (its details and edit form, cancelling it,
inviting tiers and members, and the guest list, which refreshes itself while the doors admit people), with
the attendance as CSV and the invitation QR codes as PNG and as a printable PDF sheet.

Routes only read the form, call sync.server.club.events and render; the rules (who may manage which
event) are the use cases'. Dates are typed as the user reads them: Jalali in Persian (۱۴۰۵/۰۹/۳۰, Persian
or Latin digits), Gregorian ISO in English (2026-12-21); either is taken in either language (a year below
1700 is Jalali), at the server's local time, which is also how pages show times.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import RedirectResponse, Response

from app import format as fmt
from app.domain.digits import to_latin_digits
from app.domain.event import MAX_PLUS_ONES
from app.domain.phone import looks_like_phone
from app.format import parse_day
from sync.protocol import UUID_PATTERN, WireEvent
from sync.server import events as store
from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.backoffice.texts import error_text
from sync.server.backoffice.web import is_htmx, render
from sync.server.club import events
from sync.server.club.access import Permission
from sync.server.errors import ApiError

router = APIRouter(prefix=PREFIX + "/events")
Reader = Annotated[Desk, Depends(Needs(Permission.READ))]
Manager = Annotated[Desk, Depends(Needs(Permission.EVENT_MANAGE))]
EventId = Annotated[str, Path(pattern=UUID_PATTERN)]
MemberId = Annotated[str, Path(pattern=UUID_PATTERN)]
Cursor = Annotated[str | None, Query(max_length=400)]
Text = Annotated[str, Form(max_length=400)]
REFRESH_S = 5  # how often an open guest list asks again who is inside
# where a refusal is shown on the event form
_FIELD_OF = {
    "invalid_event_name": "name",
    "event_ends_before_start": "ends",
    "invalid_capacity": "capacity",
    "invalid_plus_ones": "plus_ones",
    "unknown_tier": "tiers",
    "too_many_tiers": "tiers",
    "unknown_branch": "branch_id",
}
# what a page says after a change it redirected from (the only messages `done` may name)
DONE = ("created", "saved", "cancelled", "invited", "uninvited")


# ---- reading the form -----------------------------------------------------------------------------


def parse_moment(day_text: str, clock_text: str) -> int | None:
    """UTC microseconds of a local date and time (HH:MM) as typed; None when either is not one."""
    day = parse_day(day_text)
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", to_latin_digits(clock_text).strip())
    if day is None or match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        return None
    moment = datetime.combine(day, time(hour, minute)).astimezone()  # a naive time is the server's local
    return int(moment.timestamp()) * 1_000_000


def _day_value(us: int, lang: str) -> str:
    return fmt.date_text(fmt.local_datetime(us).date(), lang)


def _clock_value(us: int) -> str:
    return fmt.local_datetime(us).strftime("%H:%M")


def _whole(text: str) -> int | None:
    text = to_latin_digits(text).strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


class FormError(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def _event_fields(desk: Desk, form: dict[str, Any]) -> dict[str, Any]:
    """The event's fields from the form, or FormError with a message for each field that is wrong."""
    _ = desk.gettext
    errors: dict[str, str] = {}
    starts = parse_moment(form["starts_date"], form["starts_time"])
    ends = parse_moment(form["ends_date"], form["ends_time"])
    if starts is None:
        errors["starts"] = _("Type a date like 1405/09/30 and a time like 18:30.")
    if ends is None:
        errors["ends"] = _("Type a date like 1405/09/30 and a time like 18:30.")
    capacity = None
    if form["capacity"].strip():
        capacity = _whole(form["capacity"])
        if not capacity:
            errors["capacity"] = _(
                "Capacity is a whole number of people, at least 1; leave it empty for none."
            )
    plus_ones = _whole(form["plus_ones"] or "0")
    if plus_ones is None or plus_ones > MAX_PLUS_ONES:
        limit = fmt.number(MAX_PLUS_ONES, desk.lang)
        errors["plus_ones"] = _("Guests each member may bring: 0 to {n}.").format(n=limit)
    if not form["name"].strip() or len(form["name"]) > 120:
        errors["name"] = _("Give the event a name (up to 120 characters).")
    if len(form["venue"]) > 120:
        errors["venue"] = _("The place is up to 120 characters.")
    if errors:
        raise FormError(errors)
    return {
        "name": form["name"],
        "venue": form["venue"].strip(),
        "starts_at_us": starts,
        "ends_at_us": ends,
        "capacity": capacity,
        "plus_ones": plus_ones,
        "branch_id": form["branch_id"] or None,
    }


def _refusal(desk: Desk, error: ApiError) -> dict[str, str]:
    """A use case's refusal, next to the field it is about."""
    if error.code == "forbidden":  # on the form, only the branch chosen can be what the user may not
        return {"branch_id": desk.gettext("You may hold events only at the branches you manage.")}
    return {_FIELD_OF.get(error.code, "form"): error_text(error.code, desk.lang, error.message)}


# ---- what every events page shows ----------------------------------------------------------------------


def _choices(desk: Desk) -> dict[str, Any]:
    """Tiers and branches for the forms, and where this user may hold an event (None: club-wide)."""
    tiers, branches = events.choices(desk.call)
    places: list[str | None] = [None, *(b.id for b in branches)]
    return {
        "tiers": tiers,
        "tier_names": {t.code: t.name_fa if desk.lang == "fa" else t.name_en for t in tiers},
        "branches": branches,
        "branch_names": {b.id: b.name_fa if desk.lang == "fa" else b.name_en for b in branches},
        "holders": [p for p in places if desk.may(Permission.EVENT_MANAGE, p)],
    }


def _blank_form(desk: Desk, holders: list[str | None]) -> dict[str, Any]:
    return {
        "name": "", "venue": "", "starts_date": "", "starts_time": "18:00", "ends_date": "",
        "ends_time": "22:00", "capacity": "", "plus_ones": "0", "branch_id": (holders or [None])[0] or "",
    }  # fmt: skip


def _form_of(summary: events.EventSummary, lang: str) -> dict[str, Any]:
    event = summary.event
    return {
        "name": event.name,
        "venue": event.venue,
        "starts_date": _day_value(event.starts_at_us, lang),
        "starts_time": _clock_value(event.starts_at_us),
        "ends_date": _day_value(event.ends_at_us, lang),
        "ends_time": _clock_value(event.ends_at_us),
        "capacity": "" if event.capacity is None else str(event.capacity),
        "plus_ones": str(event.plus_ones),
        "branch_id": summary.branch_id or "",
    }


# ---- the list -------------------------------------------------------------------------------------------


@router.get("")
def event_list(desk: Reader, after: Cursor = None) -> Response:
    page = events.listing(desk.call, after)
    return render(desk, "events/list.html", page="events", listing=page, after=after, **_choices(desk))


# ---- a new event ----------------------------------------------------------------------------------------


@router.get("/new")
def new_event_form(desk: Manager) -> Response:
    choices = _choices(desk)
    return render(
        desk, "events/new.html", page="events", form=_blank_form(desk, choices["holders"]), errors={},
        chosen=[], **choices,
    )  # fmt: skip


@router.post("/new")
def create_event(
    desk: Manager,
    *,
    name: Text = "",
    venue: Text = "",
    starts_date: Text = "",
    starts_time: Text = "",
    ends_date: Text = "",
    ends_time: Text = "",
    capacity: Text = "",
    plus_ones: Text = "",
    branch_id: Text = "",
    tiers: Annotated[list[str], Form(max_length=50)] = [],  # noqa: B006 (FastAPI copies a default)
) -> Response:
    form = {
        "name": name, "venue": venue, "starts_date": starts_date, "starts_time": starts_time,
        "ends_date": ends_date, "ends_time": ends_time, "capacity": capacity, "plus_ones": plus_ones,
        "branch_id": branch_id,
    }  # fmt: skip
    try:
        fields = _event_fields(desk, form)
        holder = fields.pop("branch_id")
        event = WireEvent(id=store.new_id(desk.now_us), invited_tiers=tiers, **fields)
        created = events.create(desk.call, event, holder)
    except FormError as error:
        errors, status = error.errors, 422
    except ApiError as error:
        errors, status = _refusal(desk, error), error.status
    else:
        return RedirectResponse(f"{PREFIX}/events/{created.id}?done=created", status_code=303)
    return render(
        desk, "events/new.html", status=status, page="events", form=form, errors=errors, chosen=tiers,
        **_choices(desk),
    )  # fmt: skip


# ---- an event ---------------------------------------------------------------------------------------------


def _event_page(
    desk: Desk,
    event_id: str,
    *,
    after: str | None = None,
    status: int = 200,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    done: str | None = None,
    asked: str = "",
) -> Response:
    guests = events.guest_list(desk.call, event_id, after)
    choices = _choices(desk)
    return render(
        desk, "events/detail.html", status=status, page="events", guests=guests, summary=guests.event,
        event=guests.event.event, after=after, form=form or _form_of(guests.event, desk.lang),
        errors=errors or {}, done=done if done in DONE else None, asked=asked, live=_live(guests),
        may_manage=desk.may(Permission.EVENT_MANAGE, guests.event.branch_id), refresh_s=REFRESH_S,
        sheets=events.sheet_parts(guests.named), sheet_size=events.SHEET_GUESTS, **choices,
    )  # fmt: skip


def _live(guests: events.GuestPage) -> bool:
    """Whether the guest list keeps asking who is inside: while the doors may still admit."""
    return guests.event.state in ("open", "upcoming")


@router.get("/{event_id}")
def event_page(desk: Reader, event_id: EventId, after: Cursor = None, done: str | None = None) -> Response:
    return _event_page(desk, event_id, after=after, done=done)


@router.get("/{event_id}/guests")
def guest_fragment(desk: Reader, event_id: EventId, after: Cursor = None) -> Response:
    """The guest list alone, for the page's own refresh (htmx, every few seconds)."""
    guests = events.guest_list(desk.call, event_id, after, refresh=is_htmx(desk))
    return render(
        desk, "events/_guests.html", guests=guests, event=guests.event.event, summary=guests.event,
        after=after, live=_live(guests), refresh_s=REFRESH_S,
        may_manage=desk.may(Permission.EVENT_MANAGE, guests.event.branch_id), **_choices(desk),
    )  # fmt: skip


@router.post("/{event_id}")
def edit_event(
    desk: Manager,
    event_id: EventId,
    *,
    name: Text = "",
    venue: Text = "",
    starts_date: Text = "",
    starts_time: Text = "",
    ends_date: Text = "",
    ends_time: Text = "",
    capacity: Text = "",
    plus_ones: Text = "",
    branch_id: Text = "",
) -> Response:
    form = {
        "name": name, "venue": venue, "starts_date": starts_date, "starts_time": starts_time,
        "ends_date": ends_date, "ends_time": ends_time, "capacity": capacity, "plus_ones": plus_ones,
        "branch_id": branch_id,
    }  # fmt: skip
    try:
        events.edit(desk.call, event_id, _event_fields(desk, form))
    except FormError as error:
        return _event_page(desk, event_id, status=422, form=form, errors=error.errors)
    except ApiError as error:
        if error.code == "unknown_event" or (error.code == "forbidden" and not _may_here(desk, event_id)):
            raise
        return _event_page(desk, event_id, status=error.status, form=form, errors=_refusal(desk, error))
    return RedirectResponse(f"{PREFIX}/events/{event_id}?done=saved", status_code=303)


def _may_here(desk: Desk, event_id: str) -> bool:
    """Whether the user may manage the event where it is now (a refusal about the branch chosen in the form
    is shown by the field; one about the event itself is the error page's)."""
    return desk.may(Permission.EVENT_MANAGE, events.summary(desk.call, event_id).branch_id)


@router.post("/{event_id}/cancel")
def cancel_event(desk: Manager, event_id: EventId, confirm: Text = "") -> Response:
    if confirm != "yes":
        _ = desk.gettext
        errors = {"cancel": _("Tick the box to confirm that the event is cancelled.")}
        return _event_page(desk, event_id, status=422, errors=errors)
    events.cancel(desk.call, event_id)
    return RedirectResponse(f"{PREFIX}/events/{event_id}?done=cancelled", status_code=303)


def _who(text: str) -> dict[str, list[str]] | None:
    """The invite field: a member id, a phone number or a card number; None when it is none of these."""
    typed = to_latin_digits(text).strip()
    if re.fullmatch(UUID_PATTERN, typed.lower()):
        return {"member_ids": [typed.lower()]}
    if looks_like_phone(typed):
        return {"phones": [typed]}
    number = re.sub(r"[\s-]", "", typed)
    if number.isdigit() and 8 <= len(number) <= 19:
        return {"cards": [number]}
    return None


def _member_refusals(desk: Desk) -> dict[str, str]:
    """Why the member typed was not invited, by the invitation's outcome."""
    _ = desk.gettext
    return {
        "unknown_member": _("No member has this id or phone number."),
        "unknown_card": _("No member has this card."),
        "invalid_phone": _("This is not a phone number."),
        "ambiguous_phone": _("Several members have this phone number: invite by member id."),
    }


@router.post("/{event_id}/invite")
def invite(
    desk: Manager,
    event_id: EventId,
    member: Text = "",
    tiers: Annotated[list[str], Form(max_length=50)] = [],  # noqa: B006 (FastAPI copies a default)
) -> Response:
    _ = desk.gettext
    asked: dict[str, list[str]] = {}
    if member.strip():
        found = _who(member)
        if found is None:
            errors = {"member": _("Type a member id, a phone number or a card number.")}
            return _event_page(desk, event_id, status=422, errors=errors, asked=member)
        asked = found
    if not asked and not tiers:
        errors = {"member": _("Choose a tier or type a member to invite.")}
        return _event_page(desk, event_id, status=422, errors=errors)
    try:
        invited = events.invite(desk.call, event_id, tiers=tiers, **asked)
    except ApiError as error:
        if error.code not in ("unknown_tier", "too_many_tiers", "event_cancelled"):
            raise
        return _event_page(desk, event_id, status=error.status, errors=_refusal(desk, error))
    why = _member_refusals(desk)
    refused = [r for r in invited.results if r.outcome in why]
    if refused:
        errors = {"member": why[refused[0].outcome]}
        return _event_page(desk, event_id, status=422, errors=errors, asked=member)
    return RedirectResponse(f"{PREFIX}/events/{event_id}?done=invited", status_code=303)


@router.post("/{event_id}/uninvite")
def uninvite(desk: Manager, event_id: EventId, member_id: Text = "", tier: Text = "") -> Response:
    if re.fullmatch(UUID_PATTERN, member_id):
        events.uninvite(desk.call, event_id, member_id=member_id)
    elif tier:
        events.uninvite(desk.call, event_id, tier=tier)
    else:
        raise ApiError(422, "invalid_request", "name a member or a tier")
    return RedirectResponse(f"{PREFIX}/events/{event_id}?done=uninvited", status_code=303)


# ---- files: attendance, QR codes ------------------------------------------------------------------------


@router.get("/{event_id}/attendance.csv")
def attendance_csv(desk: Reader, event_id: EventId) -> Response:
    return Response(
        events.attendance_csv(desk.call, event_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="attendance-{event_id}.csv"'},
    )


@router.get("/{event_id}/guests/{member_id}/qr.png")
def invitation_png(desk: Manager, event_id: EventId, member_id: MemberId) -> Response:
    return Response(
        events.invitation_qr_png(desk.call, event_id, member_id),
        media_type="image/png",
        headers={"Content-Disposition": f'inline; filename="invitation-{member_id}.png"'},
    )


@router.get("/{event_id}/sheet.pdf")
def invitation_sheet(
    desk: Manager, event_id: EventId, part: Annotated[int, Query(ge=1, le=10_000)] = 1
) -> Response:
    return Response(
        events.invitation_sheet_pdf(desk.call, event_id, part, desk.lang),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="invitations-{event_id}-{part}.pdf"'},
    )
