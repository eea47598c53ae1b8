# SPDX-License-Identifier: GPL-3.0-or-later
"""Finding a member: by name, phone or card number as typed (Persian or Arabic letters, any digits), a page
at a time; htmx swaps the results as the user types, and the same URL works without script."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.backoffice.texts import error_text
from sync.server.backoffice.web import is_htmx, render
from sync.server.club import members
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
