# SPDX-License-Identifier: GPL-3.0-or-later
"""The member's file: photo, profile (and its edit page), tier and standing, points and wallet, cards,
invitations, the ledger a page at a time, and the forms that adjust points, place the member in a tier,
issue a QR card and revoke a card. Everything it shows or changes goes through sync.server.club.member_file.

Forms post and redirect (303) back to the file with `?done=…`, which shows a fixed confirmation; a refused
form is shown again with its refusal next to it (422), what was typed kept. The ledger's "more" is an htmx
GET that appends the next page's rows (keyset on the server sequence), and a plain link without script.
The list of members and its search (`GET /admin/members`) live elsewhere: the file only searches into it.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

import jdatetime
from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import RedirectResponse, Response

from app import format as fmt
from app.domain.errors import ClubError
from app.domain.ids import uuid7
from app.messages import message as club_message
from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.backoffice.pages.messages import KIND_NAMES, STATUS_NAMES
from sync.server.backoffice.texts import ENTRY_KINDS, error_text
from sync.server.backoffice.web import is_htmx, render
from sync.server.club import member_file, messages
from sync.server.club.access import Permission
from sync.server.errors import ApiError

router = APIRouter(prefix=PREFIX + "/members")
MEMBER = "/{member_id:uuid}"
CARD = MEMBER + "/cards/{number}"
Reader = Annotated[Desk, Depends(Needs(Permission.READ))]
Editor = Annotated[Desk, Depends(Needs(Permission.MEMBER_EDIT))]
Adjuster = Annotated[Desk, Depends(Needs(Permission.POINTS_ADJUST))]
CardKeeper = Annotated[Desk, Depends(Needs(Permission.CARD_MANAGE))]
Text = Annotated[str, Form(max_length=600)]
CardNumber = Annotated[str, Path(pattern=r"^[0-9]{16}$")]

# What a redirect back to the file says was done (`?done=`): fixed texts, never what the request carried.
DONE = {
    "edited": "The profile is saved.",
    "adjusted": "The points are adjusted.",
    "tier": "The member is placed in the tier.",
    "revoked": "The card is revoked.",
    "lost": "The card is marked lost.",
    "contact": "How the club reaches the member is saved.",
}
# where a member's marketing consent was last given or withdrawn (member.consent_marketing_source)
CONSENT_SOURCES = {
    "terminal": "at a terminal",
    "back_office": "in the back office",
    "member_page": "on the member's page",
    "sms_stop": "by an SMS reply (stop)",
    "email_unsubscribe": "by the email's unsubscribe link",
}
# Which field of the profile form a refusal belongs to.
_PROFILE_FIELD = {
    "invalid_name": "name",
    "invalid_phone": "phone",
    "duplicate_phone": "phone",
    "invalid_birth_date": "birth_date",
}


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def refusal_text(desk: Desk, error: ApiError | ClubError) -> str:
    """A use case's refusal in the user's language, its numbers in their digits."""
    if isinstance(error, ClubError):
        return club_message(error, desk.lang)
    text = error_text(error.code, desk.lang, error.message)
    if "{" not in text:
        return text
    values = {
        k: fmt.number(v, desk.lang) if isinstance(v, int) and not isinstance(v, bool) else v
        for k, v in error.extra.items()
    }
    return text.format_map(_Lenient(values))


def _file_url(member_id: str, done: str | None = None, anchor: str = "") -> str:
    return (
        f"{PREFIX}/members/{member_id}" + (f"?done={done}" if done else "") + (f"#{anchor}" if anchor else "")
    )


def _show_file(
    desk: Desk, member_id: str, status: int = 200, forms: Mapping[str, Any] | None = None, done: str = ""
) -> Response:
    found = member_file.member_file(desk.call, member_id)
    adjust_branches = [b for b in found.branches if desk.may(Permission.POINTS_ADJUST, b.id)]
    return render(
        desk,
        "members/file.html",
        status=status,
        page="members",
        f=found,
        kinds=ENTRY_KINDS,
        adjust_branches=adjust_branches,
        adjust_limit=member_file.ADJUST_LIMIT.get(desk.actor.role, 0),
        request_id=str(uuid7(desk.now_us // 1000, os.urandom(10))),
        forms=forms or {},
        done=DONE.get(done, ""),
        history=messages.member_history(desk.call, member_id, audited=False),  # audited as member.view
        message_kinds=KIND_NAMES | {"campaign": "Campaign", "sign_in_code": "Member page sign-in code"},
        message_statuses=STATUS_NAMES,
        consent_sources=CONSENT_SOURCES,
    )


@router.get(MEMBER)
def member_page(
    desk: Reader, member_id: uuid.UUID, done: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    return _show_file(desk, str(member_id), done=done)


@router.get(MEMBER + "/ledger")
def ledger(
    desk: Reader,
    member_id: uuid.UUID,
    after: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> Response:
    """The next page of the ledger: its rows for htmx, a page of its own without script."""
    page = member_file.ledger_page(desk.call, str(member_id), after)
    template = "members/_ledger_rows.html" if is_htmx(desk) else "members/ledger.html"
    return render(desk, template, page="members", member_id=str(member_id), ledger=page, kinds=ENTRY_KINDS)


@router.get(MEMBER + "/photo")
def member_photo(desk: Reader, member_id: uuid.UUID) -> Response:
    jpeg = member_file.photo(desk.call, str(member_id))
    if jpeg is None:
        raise ApiError(404, "no_photo", "the member has no photo")
    return Response(jpeg, media_type="image/jpeg")  # never cached: the site's headers say no-store


# ---- the profile ----------------------------------------------------------------------------------------


def _edit_form(
    desk: Desk, member_id: str, values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    found = member_file.member_file(desk.call, member_id, ledger_limit=1)
    return render(
        desk, "members/edit.html", status=status, page="members", f=found, values=values, errors=errors
    )


@router.get(MEMBER + "/edit")
def edit_form(desk: Editor, member_id: uuid.UUID) -> Response:
    found = member_file.member_file(desk.call, str(member_id), ledger_limit=1)
    birth = found.member.birth_date
    values = {
        "name": found.member.name,
        "phone": found.member.phone,
        "birth_date": "" if birth is None else render_day(birth, desk.lang),
    }
    return render(desk, "members/edit.html", page="members", f=found, values=values, errors={})


def render_day(day: date, lang: str) -> str:
    """A date as the form shows it and reads it back: Jalali in Persian, ISO in English (Latin digits)."""
    if lang == "fa":
        jalali = jdatetime.date.fromgregorian(date=day)
        return f"{jalali.year}/{jalali.month:02d}/{jalali.day:02d}"
    return str(day.isoformat())


@router.post(MEMBER + "/edit")
def edit(
    desk: Editor, member_id: uuid.UUID, name: Text = "", phone: Text = "", birth_date: Text = ""
) -> Response:
    values = {"name": name, "phone": phone, "birth_date": birth_date}
    try:
        fields = {"name": name, "phone": phone, "birth_date": member_file.parse_birth_date(birth_date)}
        member_file.edit_profile(desk.call, str(member_id), fields)
    except (ApiError, ClubError) as refused:
        if isinstance(refused, ApiError) and refused.status in (403, 404):
            raise
        field = _PROFILE_FIELD.get(refused.code, "form")
        return _edit_form(desk, str(member_id), values, {field: refusal_text(desk, refused)}, 422)
    return RedirectResponse(_file_url(str(member_id), "edited"), status_code=303)


@router.post(MEMBER + "/contact")
def contact(
    desk: Editor,
    member_id: uuid.UUID,
    *,
    email: Text = "",
    preferred_channel: Annotated[str, Form(max_length=8)] = "sms",
    consent: Annotated[str, Form(max_length=3)] = "",
    language: Annotated[str, Form(max_length=2)] = "fa",
) -> Response:
    """The member's email, preferred channel, messages' language and marketing consent (recorded as given
    in the back office)."""
    values = {"email": email, "preferred_channel": preferred_channel, "language": language}
    try:
        member_file.edit_contact(
            desk.call, str(member_id), email=email, preferred_channel=preferred_channel,
            consent_marketing=consent == "yes", language=language,
        )  # fmt: skip
    except ApiError as refused:
        return _refused_form(desk, str(member_id), "contact", refused, values)
    return RedirectResponse(_file_url(str(member_id), "contact", "messages"), status_code=303)


# ---- points and tier -----------------------------------------------------------------------------------


def _refused_form(
    desk: Desk, member_id: str, form: str, refused: ApiError | ClubError, values: dict[str, str]
) -> Response:
    """The file again, with the refused form's message and what was typed (a 403/404 is the error page)."""
    if isinstance(refused, ApiError) and refused.status in (403, 404):
        raise refused
    return _show_file(desk, member_id, 422, {form: {"error": refusal_text(desk, refused), "values": values}})


@router.post(MEMBER + "/adjust")
def adjust(
    desk: Adjuster,
    *,
    member_id: uuid.UUID,
    points: Text = "",
    reason: Text = "",
    branch_id: Text = "",
    request_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    values = {"points": points, "reason": reason, "branch_id": branch_id}
    try:
        delta = member_file.parse_points(points)
        member_file.adjust_points(
            desk.call, str(member_id), delta, reason, branch_id, request_id=request_id or None
        )
    except (ApiError, ClubError) as refused:
        return _refused_form(desk, str(member_id), "adjust", refused, values)
    return RedirectResponse(_file_url(str(member_id), "adjusted", "points"), status_code=303)


@router.post(MEMBER + "/tier")
def place_tier(desk: Editor, member_id: uuid.UUID, tier_code: Text = "", reason: Text = "") -> Response:
    try:
        member_file.place_tier(desk.call, str(member_id), tier_code, reason)
    except (ApiError, ClubError) as refused:
        values = {"tier_code": tier_code, "reason": reason}
        return _refused_form(desk, str(member_id), "tier", refused, values)
    return RedirectResponse(_file_url(str(member_id), "tier", "standing"), status_code=303)


# ---- cards ----------------------------------------------------------------------------------------------


@router.post(MEMBER + "/cards/qr")
def issue_qr(desk: CardKeeper, member_id: uuid.UUID) -> Response:
    issued = member_file.issue_qr_card(desk.call, str(member_id))
    return RedirectResponse(f"{PREFIX}/members/{member_id}/cards/{issued.number}", status_code=303)


@router.get(CARD)
def qr_card(desk: CardKeeper, member_id: uuid.UUID, number: CardNumber) -> Response:
    """The QR card to show or print: its image, its number and whose it is."""
    member_file.card_qr(desk.call, str(member_id), number)  # refuses what it may not show
    found = member_file.member_file(desk.call, str(member_id), ledger_limit=1)
    return render(desk, "members/card.html", page="members", f=found, number=number)


@router.get(CARD + "/qr.png")
def qr_png(desk: CardKeeper, member_id: uuid.UUID, number: CardNumber) -> Response:
    import qrcode  # with Pillow behind it: only when a QR is shown
    from qrcode.constants import ERROR_CORRECT_M

    text = member_file.card_qr(desk.call, str(member_id), number)
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return Response(buffer.getvalue(), media_type="image/png")


@router.post(CARD + "/revoke")
def revoke(
    desk: CardKeeper,
    member_id: uuid.UUID,
    number: CardNumber,
    status: Annotated[str, Form(pattern=r"^(revoked|lost)$")] = "revoked",
    reason: Text = "",
) -> Response:
    try:
        member_file.revoke_card(desk.call, number, status, reason, member_id=str(member_id))
    except ApiError as refused:
        return _refused_form(desk, str(member_id), "cards", refused, {"reason": reason})
    return RedirectResponse(_file_url(str(member_id), status, "cards"), status_code=303)
