# SPDX-License-Identifier: GPL-3.0-or-later
"""The member page's JSON API under /m/api/ (docs/portal.md is the contract).

Every answer is JSON (the export is a download), never cached (`Cache-Control: no-store`); a refusal is
`{"error": CODE, "message": TEXT}` in the request's language (Accept-Language, fa first). A state-changing
call (POST, PUT, DELETE) needs `X-Bashgah: 1`, which no cross-site form or simple request can send, and a
same-origin `Origin` when the browser sends one: 403 `forbidden` otherwise. The session is the
`bashgah_member` cookie (HttpOnly, SameSite=Strict, Path=/m/, Secure on https), renewed with every use.

The member acts as themselves (an Actor of kind "member", sync.server.club.access.MEMBER_GRANTS) through
the club's use cases, on their session's member id only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from app.domain.errors import ClubError
from app.domain.phone import normalize_phone
from sync.server.club import privacy
from sync.server.club.access import Actor
from sync.server.club.act import Call
from sync.server.errors import ApiError
from sync.server.portal import phones, sessions, sign_in, texts, view
from sync.server.ratelimit import client_address

PREFIX = "/m/api"
CSRF_HEADER = "X-Bashgah"
# The sign-in's answer takes at least this long, member or not: the SMS's queueing is no clock to read.
ANSWER_FLOOR_S = 0.25
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def _lang(request: Request) -> str:
    return texts.language(request.headers.get("accept-language"))


def refusal(request: Request, status: int, code: str, **extra: Any) -> JSONResponse:
    body = {"error": code, "message": texts.message(code, _lang(request)), **extra}
    headers = {"Cache-Control": "no-store"}
    if "retry_after_s" in extra:
        headers["Retry-After"] = str(extra["retry_after_s"])
    return JSONResponse(body, status_code=status, headers=headers)


_CODES = {  # the club's refusal codes, as the page's
    "card_not_active": "phone_not_active",
    "unknown_card": "unknown_phone",
    "unknown_member": "signed_out",
}


class PortalRoute(APIRoute):
    """Refusals in the contract's shape and the member's words; nothing the API answers is cached."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except ApiError as error:
                extra = {k: v for k, v in error.extra.items() if k == "retry_after_s"}
                status = 400 if error.status == 422 else error.status
                return refusal(request, status, _CODES.get(error.code, error.code), **extra)
            except RequestValidationError:
                return refusal(request, 400, "invalid_request")
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return handle


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin == f"{request.url.scheme}://{host}"


def guarded(request: Request) -> None:
    """State-changing calls: the custom header, and the page's own origin when one is named."""
    if request.method in _SAFE:
        return
    if request.headers.get(CSRF_HEADER) != "1" or not _same_origin(request):
        raise ApiError(403, "forbidden", "a cross-site request")


router = APIRouter(
    prefix=PREFIX, route_class=PortalRoute, include_in_schema=False, dependencies=[Depends(guarded)]
)


def _now(request: Request) -> int:
    return int(request.app.state.clock.now_us())


def _set_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        sessions.COOKIE,
        token,
        max_age=sessions.LIFETIME_S,
        path=sessions.COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def member_call(request: Request, response: Response) -> Call:
    """The signed-in member's call (401 `signed_out` without a live session); the cookie renewed."""
    token = request.cookies.get(sessions.COOKIE, "")
    now = _now(request)
    db = request.app.state.db
    member_id = db.write(lambda conn: sessions.member_of(conn, token, now)) if token else None
    if member_id is None:
        raise ApiError(401, "signed_out", "no live session")
    _set_cookie(request, response, token)  # 30 days from this use
    return Call(db, now, Actor(id=member_id, name="member page", role="member", kind="member"))


Member = Annotated[Call, Depends(member_call)]


def _member_id(call: Call) -> str:
    return call.actor.id


# ---- signing in ------------------------------------------------------------------------------------------


class SignIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    phone: str = Field(default="", max_length=40)


class Verify(BaseModel):
    model_config = ConfigDict(extra="ignore")
    phone: str = Field(default="", max_length=40)
    code: str = Field(default="", max_length=20)


def _phone(text: str) -> str:
    try:
        return normalize_phone(text)
    except ClubError:
        raise ApiError(400, "phone_invalid", "not a phone number") from None


@router.post("/sign-in", status_code=202)
async def ask_code(body: SignIn, request: Request) -> dict[str, Any]:
    """A code by SMS to the number when a member has it; the same answer either way."""
    started = time.monotonic()
    phone = _phone(body.phone)
    now, address, db = _now(request), client_address(request.scope), request.app.state.db
    try:
        await run_in_threadpool(db.write, lambda conn: sign_in.request_code(conn, phone, address, now))
    except sign_in.TooManyError as error:
        raise ApiError(429, "too_many", "too many", retry_after_s=error.retry_after_s) from None
    floor = getattr(request.app.state, "portal_answer_floor_s", ANSWER_FLOOR_S)
    await asyncio.sleep(max(0.0, floor - (time.monotonic() - started)))
    return {"sent": True, "resend_after_s": sign_in.RESEND_AFTER_S}


@router.post("/verify")
def verify(body: Verify, request: Request, response: Response) -> dict[str, Any]:
    phone = _phone(body.phone)
    now = _now(request)

    def work(conn: Any) -> tuple[sign_in.Checked, str | None]:
        checked = sign_in.check_code(conn, phone, body.code, now)
        token = None if checked.member_id is None else sessions.open_session(conn, checked.member_id, now)
        return checked, token

    checked, token = request.app.state.db.write(work)
    if checked.refusal == "too_many":
        raise ApiError(429, "too_many", "too many", retry_after_s=checked.retry_after_s)
    if token is None:
        raise ApiError(400, checked.refusal or "code_wrong", "refused")
    _set_cookie(request, response, token)
    return {"ok": True}


@router.post("/sign-out", status_code=204)
def sign_out(request: Request) -> Response:
    token = request.cookies.get(sessions.COOKIE, "")
    if token:
        now = _now(request)
        request.app.state.db.write(lambda conn: sessions.end(conn, token, now))
    response = Response(status_code=204)
    response.delete_cookie(
        sessions.COOKIE, path=sessions.COOKIE_PATH, secure=request.url.scheme == "https", httponly=True,
        samesite="strict",
    )  # fmt: skip
    return response


# ---- the member's own data -----------------------------------------------------------------------------


@router.get("/me")
def me(call: Member, request: Request) -> dict[str, Any]:
    return view.me(call, _member_id(call), _lang(request))


@router.get("/history")
def history(
    call: Member, request: Request, before: Annotated[int | None, Query(ge=0)] = None
) -> dict[str, Any]:
    return view.history(call, _member_id(call), before, _lang(request))


@router.get("/invitations")
def invitations(call: Member) -> dict[str, Any]:
    return view.invitations(call, _member_id(call))


@router.get("/catalogue")
def catalogue(call: Member, request: Request) -> dict[str, Any]:
    return view.catalogue(call, _lang(request))


class Consent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    marketing: bool


@router.put("/consent")
def consent(body: Consent, call: Member) -> dict[str, Any]:
    done = privacy.set_consent(call, _member_id(call), body.marketing, source="member_page")
    return view.consent_view(done["consent_marketing"], done["consent_marketing_at_us"], "member_page")


@router.get("/export")
def export(call: Member, format: Literal["json", "pdf"] = "json") -> Response:
    """Everything the club holds about the member: the back office's privacy export, as a download."""
    if format == "pdf":
        pdf = privacy.export_pdf(call, _member_id(call))
        disposition = 'attachment; filename="bashgah-my-data.pdf"'
        return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})
    data = privacy.export(call, _member_id(call))
    disposition = 'attachment; filename="bashgah-my-data.json"'
    return JSONResponse(data, headers={"Content-Disposition": disposition})


# ---- phones ------------------------------------------------------------------------------------------------


class NewPhone(BaseModel):
    model_config = ConfigDict(extra="ignore")
    public_key: str = Field(default="", max_length=200)
    label: str = Field(default="", max_length=400)


@router.get("/phones")
def list_phones(call: Member) -> dict[str, Any]:
    return {
        "phones": [
            {
                "card_number": p.card_number,
                "label": p.label,
                "issued_ms": p.issued_at_us // 1000,
                "expires_ms": None if p.expires_at_us is None else p.expires_at_us // 1000,
                "status": p.status,
            }
            for p in phones.listing(call, _member_id(call))
        ]
    }


@router.post("/phones", status_code=201)
def add_phone(body: NewPhone, call: Member) -> dict[str, Any]:
    done = phones.certify(call, _member_id(call), body.public_key, body.label)
    return {
        "card_number": done.card_number,
        "certificate": phones.b64url(done.certificate),
        "expires_ms": done.expires_at_us // 1000,
    }


@router.delete("/phones/{card_number}", status_code=204)
def remove_phone(card_number: str, call: Member) -> Response:
    if not (len(card_number) == 16 and card_number.isascii() and card_number.isdigit()):
        raise ApiError(404, "unknown_phone", "no such phone")
    phones.revoke(call, _member_id(call), card_number)
    return Response(status_code=204)
