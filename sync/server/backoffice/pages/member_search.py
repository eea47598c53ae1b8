# SPDX-License-Identifier: GPL-3.0-or-later
"""Finding a member: by name, phone or card number as typed (Persian or Arabic letters, any digits), a page
at a time; htmx swaps the results as the user types, and the same URL works without script."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query
from fastapi.responses import RedirectResponse, Response

from app.domain.errors import ClubError
from app.messages import message as club_message
from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.backoffice.texts import error_text
from sync.server.backoffice.web import is_htmx, render
from sync.server.club import branch_admin, member_file, members
from sync.server.club.access import Permission
from sync.server.errors import ApiError

router = APIRouter(prefix=PREFIX + "/members")


@router.get("")
def find_members(
    desk: Annotated[Desk, Depends(Needs(Permission.READ))],
    q: Annotated[str, Query(max_length=100)] = "",
    after: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    error = ""
    try:
        found = members.search(desk.call, q.strip(), after)
    except ApiError as refused:  # a cursor from another query, or tampered with
        found, error = members.MemberPage((), None), error_text(refused.code, desk.lang, refused.message)
    if is_htmx(desk):
        template = "members/_more.html" if after else "members/_results.html"
    else:
        template = "members/search.html"
    return render(desk, template, q=q, found=found, error=error, page="members")


def _enrol_form(desk: Desk, status: int = 200, error: str = "", **form: str) -> Response:
    branches = [view.branch for view in branch_admin.listing(desk.call) if view.closed_at_us is None]
    return render(desk, "members/new.html", status=status, error=error, form=form, branches=branches,
                  page="members")  # fmt: skip


@router.get("/new")
def new_member_form(desk: Annotated[Desk, Depends(Needs(Permission.MEMBER_EDIT))]) -> Response:
    return _enrol_form(desk)


@router.post("/new")
def enrol_member(
    *,
    desk: Annotated[Desk, Depends(Needs(Permission.MEMBER_EDIT))],
    name: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    branch_id: Annotated[str, Form(max_length=36)] = "",
    consent: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """A member enrolled by head office (a phone call, a form): published to every terminal."""
    form = {"name": name, "phone": phone, "branch_id": branch_id}
    new = member_file.Enrolment(
        name=name, phone=phone, branch_id=branch_id, consent_marketing=consent == "yes"
    )
    try:
        member = member_file.enrol(desk.call, new)
    except ApiError as refused:
        return _enrol_form(desk, refused.status, error_text(refused.code, desk.lang, refused.message), **form)
    except ClubError as refused:  # a name or phone the club's rules refuse
        return _enrol_form(desk, 422, club_message(refused, desk.lang), **form)
    return RedirectResponse(f"{PREFIX}/members/{member.id}", status_code=303)
