# SPDX-License-Identifier: GPL-3.0-or-later
"""`GET /invitation?code=BGI1:…`: the page an invitation message links to (sync.server.messages.causes
`invitation_link`): the member's entry pass as a QR code to show at the door, with the event's name, day
and venue, in Persian and English.

The code is checked before anything is drawn: the club's invitation signature (sync.server.invitation_key),
an invitation still standing, an event not cancelled and not over. The club's address never draws a code
it did not sign (a page that drew any text would lend the club's name to someone else's QR). A bad code
counts against the address like a wrong password (the login buckets), so codes cannot be guessed here."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from sync.server import events
from sync.server import rules as rule_sets
from sync.server.invitation_key import verified_pass
from sync.server.invitation_sheet import qr_png
from sync.server.messages import page, templates
from sync.server.ratelimit import client_address

router = APIRouter(include_in_schema=False)

def _page(texts: tuple[str, str, str, str], qr: str = "", status: int = 200) -> HTMLResponse:
    return page.bilingual(texts, qr, status=status, centred=True)


_BAD = (
    "این کارت ورود معتبر نیست",
    "پیوند ناقص است، یا دعوت لغو شده، یا رویداد به پایان رسیده است.",
    "This entry pass is not valid",
    "The link is incomplete, or the invitation was cancelled, or the event is over.",
)


def standing_pass(conn: Connection, code: str, now_us: int) -> Any | None:
    """The event a code admits to now, or None: a code not ours, expired, cancelled, or of an event over."""
    found = verified_pass(conn, code, now_us)
    if found is None:
        return None
    event = events.get_event(conn, found.event_id)
    invitation = events.get_invitation(conn, found.event_id, found.member_id)
    if event is None or event.cancelled or now_us > event.ends_at_us:
        return None
    if invitation is None or invitation.cancelled or invitation.id != found.invitation_id:
        return None
    return event


@router.get("/invitation")
async def invitation(request: Request, code: str = "") -> Response:
    limits = request.app.state.limits.login
    bucket = "invitation " + client_address(request.scope)
    wait_s = limits.wait_s(bucket)
    if wait_s:
        return HTMLResponse("Too many wrong attempts", status_code=429, headers={"Retry-After": str(wait_s)})
    db = request.app.state.db
    now_us = int(request.app.state.clock.now_us())

    def read() -> tuple[Any, str]:
        with db.read() as conn:
            event = standing_pass(conn, code, now_us)
            day = "" if event is None else rule_sets.current(conn).local_date(event.starts_at_us).isoformat()
        return event, day

    event, day = await run_in_threadpool(read)
    if event is None:
        limits.charge(bucket)
        return _page(_BAD, status=404)
    image = base64.b64encode(qr_png(code.strip())).decode("ascii")
    venue_fa = f"، {event.venue}" if event.venue else ""
    venue_en = f", {event.venue}" if event.venue else ""
    texts = (
        event.name,
        f"{templates.values({'date': day}, 'fa')['date']}{venue_fa}. این کد را دم در نشان دهید.",
        event.name,
        f"{templates.values({'date': day}, 'en')['date']}{venue_en}. Show this code at the door.",
    )
    qr = f'<img alt="QR" src="data:image/png;base64,{image}">'
    return _page(texts, qr)
