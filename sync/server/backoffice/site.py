# SPDX-License-Identifier: GPL-3.0-or-later
"""Mounting the back office on the club server's app: its pages, its static files, its error pages and the
headers that keep its pages from being framed, sniffed or fed scripts from elsewhere."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.domain.errors import ClubError
from app.messages import message as club_message
from sync.server.backoffice import pages
from sync.server.backoffice.desk import PREFIX, BadCsrfError, NotPermittedError, SignInNeededError
from sync.server.backoffice.site_cookies import request_lang
from sync.server.backoffice.texts import error_text, translator
from sync.server.backoffice.web import STATIC, is_htmx, render_public
from sync.server.errors import ApiError

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def _ours(request: Request) -> bool:
    return request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")


def _error_page(request: Request, status: int, text: str) -> Response:
    lang = request_lang(request)
    return render_public(lang, "error.html", status=status, message=text)


def install(app: FastAPI) -> None:
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="backoffice-static")
    for router in pages.ROUTERS:
        app.include_router(router, include_in_schema=False)
    _install_errors(app)
    app.add_middleware(SecurityHeaders)


Handler = Callable[[Request, Any], Awaitable[Response]]


def _install_errors(app: FastAPI) -> None:
    async def sign_in(request: Request, _error: Exception) -> Response:
        target = f"{PREFIX}/login?next={quote(request.url.path)}"
        if is_htmx(request):  # htmx follows this header with a full page load
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    async def not_permitted(request: Request, error: Exception) -> Response:
        assert isinstance(error, NotPermittedError)
        return _error_page(request, 403, translator(error.lang)("Your role may not do this."))

    async def bad_csrf(request: Request, error: Exception) -> Response:
        assert isinstance(error, BadCsrfError)
        text = translator(error.lang)("This form has expired. Reload the page and try again.")
        return _error_page(request, 403, text)

    app.add_exception_handler(SignInNeededError, sign_in)
    app.add_exception_handler(NotPermittedError, not_permitted)
    app.add_exception_handler(BadCsrfError, bad_csrf)
    for kind in (ApiError, ClubError, StarletteHTTPException, RequestValidationError):
        _wrap(app, kind)


def _wrap(app: FastAPI, kind: type[Exception]) -> None:
    """The API's JSON answer stays for /v1; under /admin the same refusal is a page in the user's language."""
    api_handler: Handler = app.exception_handlers[kind]

    async def handler(request: Request, error: Exception) -> Response:
        if not _ours(request):
            return await api_handler(request, error)
        lang = request_lang(request)
        if isinstance(error, ApiError):
            return _error_page(request, error.status, error_text(error.code, lang, error.message))
        if isinstance(error, ClubError):
            return _error_page(request, 422, club_message(error, lang))
        if isinstance(error, StarletteHTTPException):
            return _error_page(request, error.status_code, error_text(f"http_{error.status_code}", lang, ""))
        return _error_page(request, 422, error_text("invalid_request", lang, ""))

    app.add_exception_handler(kind, handler)


class SecurityHeaders:
    """ASGI middleware: the back office's pages get a strict CSP and friends, and are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        static = path.startswith(f"{PREFIX}/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + _HEADERS
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
