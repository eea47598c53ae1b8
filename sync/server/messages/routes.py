# SPDX-License-Identifier: GPL-3.0-or-later
"""The routes members and SMS providers reach without an account:

- `GET /u/{token}`: the unsubscribe page (fa and en) with one button; a GET changes nothing, since mail
  scanners and link previews fetch every link in an email.
- `POST /u/{token}`: RFC 8058 one-click unsubscribe (the mail client posts `List-Unsubscribe=One-Click`;
  the page's button posts the same). It has no CSRF token on purpose: RFC 8058 requires the POST to work
  without cookies or any state of ours, and the signed token is what protects it (it can only withdraw
  the consent of the member it names). A bad token gets a 404 page and counts against the address like a
  wrong back-office password does (sync.server.ratelimit's `login` buckets), so tokens cannot be guessed.
- `GET|POST /messages/inbound/kavenegar`: Kavenegar's forward of an SMS received on the club's line
  (`from`, `to`, `message`, `messageid`, as query or form fields);
  `POST /messages/inbound/webhook`: the same from the generic webhook provider, JSON or form
  (`from`, `text` or `message`, `id` or `messageid`). Both need the secret BASHGAH_SMS_INBOUND_SECRET, in
  the URL (`?secret=…`, what a provider's panel can hold) or the `X-Bashgah-Inbound-Secret` header; a
  wrong one is a 401 (counted by the API's limit on wrong tokens), none configured is a 404 (the route is
  off). A received message is answered 200 at once, whatever it said (sync.server.messages.inbound); a
  failure of our own database is a 500, so a provider that retries delivers the "stop" again.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.server.db import Database
from sync.server.messages import inbound, optout, page, unsubscribe
from sync.server.ratelimit import client_address

INBOUND_SECRET_ENV = "BASHGAH_SMS_INBOUND_SECRET"
SECRET_HEADER = "X-Bashgah-Inbound-Secret"

router = APIRouter(include_in_schema=False)

_TEXTS: dict[str, tuple[str, str, str, str]] = {  # title fa, text fa, title en, text en
    "ask": (
        "لغو دریافت پیام‌های تبلیغاتی",
        "با زدن دکمهٔ زیر دیگر پیام تبلیغاتی باشگاه برایتان فرستاده نمی‌شود. پیام‌های امتیاز و حساب‌تان "
        "همچنان می‌رسد.",
        "Stop marketing messages",
        "Press the button to stop the club's marketing messages. Messages about your points and account "
        "still come.",
    ),
    "done": (
        "اشتراک شما لغو شد",
        "از این پس پیام تبلیغاتی باشگاه برایتان فرستاده نمی‌شود. هر وقت خواستید، در فروشگاه دوباره اجازه "
        "دهید.",
        "You are unsubscribed",
        "The club will send you no more marketing messages. You can give your consent again at the shop.",
    ),
    "bad": (
        "این پیوند معتبر نیست",
        "پیوند لغو اشتراک ناقص یا نادرست است. پیوند را کامل از ایمیل باز کنید.",
        "This link is not valid",
        "The unsubscribe link is incomplete or wrong. Open the whole link from the email.",
    ),
    "wait": (
        "لطفاً کمی بعد دوباره امتحان کنید",
        "تلاش‌های نادرست از این نشانی زیاد بوده است.",
        "Please try again a little later",
        "Too many wrong attempts came from this address.",
    ),
}


def _page(
    kind: str, status: int = 200, form: str = "", headers: dict[str, str] | None = None
) -> HTMLResponse:
    return page.bilingual(_TEXTS[kind], form, status=status, headers=headers)


def _ask_form() -> str:
    # no action: the form posts to the page's own URL, whatever prefix a reverse proxy gives it
    return (
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">لغو اشتراک · Unsubscribe</button></form>'
    )


def _too_many(request: Request) -> HTMLResponse | None:
    wait_s = request.app.state.limits.login.wait_s(_bucket(request))
    return _page("wait", 429, headers={"Retry-After": str(wait_s)}) if wait_s else None


def _bucket(request: Request) -> str:
    return "unsubscribe " + client_address(request.scope)


async def _member(request: Request, token: str) -> str | None:
    db: Database = request.app.state.db

    def read() -> str | None:
        with db.read() as conn:
            return unsubscribe.member_of(conn, token)

    member_id = await run_in_threadpool(read)
    if member_id is None:
        request.app.state.limits.login.charge(_bucket(request))
    return member_id


@router.get("/u/{token}")
async def unsubscribe_page(request: Request, token: str) -> Response:
    refused = _too_many(request)
    if refused is not None:
        return refused
    if await _member(request, token) is None:
        return _page("bad", 404)
    return _page("ask", form=_ask_form())


@router.post("/u/{token}")
async def unsubscribe_one_click(request: Request, token: str) -> Response:
    # No CSRF token: RFC 8058's one-click POST comes from a mail provider with no cookie or page of ours;
    # the signed token is the protection (see the module's docstring).
    refused = _too_many(request)
    if refused is not None:
        return refused
    member_id = await _member(request, token)
    if member_id is None:
        return _page("bad", 404)
    db: Database = request.app.state.db
    now_us = int(request.app.state.clock.now_us())
    await run_in_threadpool(
        db.write, lambda conn: optout.withdraw(conn, member_id, "email_unsubscribe", now_us)
    )
    return _page("done")


# ---- inbound SMS ---------------------------------------------------------------------------------


def _refusal(request: Request) -> JSONResponse | None:
    expected = os.environ.get(INBOUND_SECRET_ENV, "")
    if not expected:
        return JSONResponse({"error": "not_found", "message": "inbound SMS is not configured"}, 404)
    given = request.query_params.get("secret") or request.headers.get(SECRET_HEADER) or ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return JSONResponse({"error": "unauthorized", "message": "wrong or missing inbound secret"}, 401)
    return None


async def _fields(request: Request) -> dict[str, str]:
    """Query and body fields together (a provider may use either): form, or a JSON object."""
    fields = {k: v for k, v in request.query_params.items() if k != "secret"}
    if request.method == "POST":
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body: Any = await request.json()
            except ValueError:
                body = {}
            if isinstance(body, dict):
                fields.update({k: str(v) for k, v in body.items() if v is not None})
        else:
            form = await request.form()
            fields.update({k: v for k, v in form.items() if isinstance(v, str)})
    return fields


async def _receive(
    request: Request, provider: str, text_keys: tuple[str, ...], id_keys: tuple[str, ...]
) -> Response:
    refused = _refusal(request)
    if refused is not None:
        return refused
    fields = await _fields(request)
    message = inbound.Inbound(
        provider=provider,
        sender=fields.get("from", ""),
        text=next((fields[k] for k in text_keys if k in fields), ""),
        provider_id=next((fields[k] for k in id_keys if k in fields), ""),
    )
    if not message.sender:
        return JSONResponse({"status": "ignored", "reason": "no sender"})
    db: Database = request.app.state.db
    now_us = int(request.app.state.clock.now_us())
    done = await run_in_threadpool(db.write, lambda conn: inbound.receive(conn, message, now_us))
    return JSONResponse({"status": "ok", "stop": done["stop"], "withdrawn": len(done["withdrawn"])})  # type: ignore[arg-type]


@router.api_route("/messages/inbound/kavenegar", methods=["GET", "POST"])
async def inbound_kavenegar(request: Request) -> Response:
    return await _receive(request, "kavenegar", ("message",), ("messageid",))


@router.post("/messages/inbound/webhook")
async def inbound_webhook(request: Request) -> Response:
    return await _receive(request, "webhook", ("text", "message"), ("id", "messageid"))
