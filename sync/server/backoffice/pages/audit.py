# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit log: who did what, when, before and after; filtered, newest first, a page at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from app.domain.digits import to_latin_digits
from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.backoffice.web import is_htmx, render
from sync.server.club import audit
from sync.server.club.access import Permission

router = APIRouter(prefix=PREFIX + "/audit")
Short = Annotated[str, Query(max_length=200)]


def _day_start_us(text: str) -> int | None:
    """A day typed as YYYY-MM-DD (Gregorian; Persian digits welcome), as the server's local midnight."""
    try:
        day = date.fromisoformat(to_latin_digits(text.strip()))
    except ValueError:
        return None
    moment = datetime.combine(day, time()).astimezone()  # local midnight
    return int(moment.astimezone(UTC).timestamp() * 1_000_000)


@router.get("")
def audit_log(
    *,
    desk: Annotated[Desk, Depends(Needs(Permission.AUDIT_READ))],
    actor: Short = "",
    action: Short = "",
    target: Short = "",
    since: Annotated[str, Query(max_length=20)] = "",
    until: Annotated[str, Query(max_length=20)] = "",
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    until_us = _day_start_us(until)
    wanted = audit.AuditFilter(
        actor=actor.strip(),
        action=action.strip(),
        target=target.strip(),
        since_us=_day_start_us(since),
        until_us=None if until_us is None else until_us + 86_400_000_000,  # the whole day typed
    )
    found = audit.page(desk.call, wanted, before)
    template = "audit/rows.html" if is_htmx(desk) and before else "audit/list.html"
    query = {"actor": actor, "action": action, "target": target, "since": since, "until": until}
    return render(desk, template, found=found, query=query, page="audit")
