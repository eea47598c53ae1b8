# SPDX-License-Identifier: GPL-3.0-or-later
"""Logging in and out, and choosing the language.

The login form carries its own CSRF token (a double-submit cookie: there is no session yet). Failed logins
count per address (sync.server.ratelimit's `login` buckets) and per account (sync.server.club.users): an
address over its allowance is told to wait, in the page, before any password is checked.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from sync.server.backoffice.desk import COOKIE, PREFIX, Desk, Needs
from sync.server.backoffice.site_cookies import LANG_COOKIE, clear_cookie, request_lang, set_cookie
from sync.server.backoffice.texts import translator
from sync.server.backoffice.web import render_public
from sync.server.club import users
from sync.server.club.access import Permission
from sync.server.ratelimit import client_address

router = APIRouter(prefix=PREFIX)
LOGIN_COOKIE = "bashgah_login"
PUBLIC = frozenset({f"{PREFIX}/login"})  # the only pages open without a session (tests check the rest)


def _safe_next(target: str | None) -> str:
    """Only a path inside the back office: never another site (an open redirect)."""
    if target and target.startswith(PREFIX + "/") and "//" not in target and "\\" not in target:
        return target
    return PREFIX + "/"


def _login_page(request: Request, status: int = 200, error: str = "", name: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    lang = request_lang(request)
    response = render_public(
        lang, "login.html", status=status, error=error, name=name, login_csrf=token,
        next=_safe_next(request.query_params.get("next")),
    )  # fmt: skip
    set_cookie(request, response, LOGIN_COOKIE, token, max_age=3600)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
def log_in(
    *,
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    login_csrf: Annotated[str, Form(max_length=100)] = "",
    next_page: Annotated[str, Form(alias="next", max_length=500)] = "",
) -> Response:
    _ = translator(request_lang(request))
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, login_csrf):
        return _login_page(request, 403, _("This form has expired. Reload the page and try again."), name)
    buckets = request.app.state.limits.login
    address = client_address(request.scope)
    wait_s = buckets.wait_s(address)
    if wait_s:
        minutes = max(1, -(-wait_s // 60))
        return _login_page(request, 429, _("Too many failed logins. Try again in {n} minutes.").format(
            n=minutes), name)  # fmt: skip
    now_us = int(request.app.state.clock.now_us())
    try:
        session, token = users.log_in(request.app.state.db, now_us, name, password)
    except users.LoginRefusedError as refused:
        buckets.charge(address)
        text = (
            _("This account is locked after repeated failures. Try again in 15 minutes.")
            if refused.code == "locked"
            else _("Wrong user name or password.")
        )
        return _login_page(request, 401, text, name)
    response = RedirectResponse(_safe_next(next_page), status_code=303)
    set_cookie(request, response, COOKIE, token, max_age=users.SESSION_MAX_S)
    set_cookie(request, response, LANG_COOKIE, session.user.lang, max_age=365 * 86400, http_only=False)
    clear_cookie(request, response, LOGIN_COOKIE)
    return response


@router.post("/logout")
def log_out(desk: Annotated[Desk, Depends(Needs(Permission.READ))]) -> Response:
    users.end_session(desk.request.app.state.db, desk.now_us, desk.request.cookies.get(COOKIE, ""))
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    clear_cookie(desk.request, response, COOKIE)
    return response


@router.post("/lang")
def choose_language(
    desk: Annotated[Desk, Depends(Needs(Permission.READ))],
    lang: Annotated[str, Form(max_length=2)],
    next_page: Annotated[str, Form(alias="next", max_length=500)] = "",
) -> Response:
    users.set_lang(desk.call, lang)
    response = RedirectResponse(_safe_next(next_page), status_code=303)
    set_cookie(desk.request, response, LANG_COOKIE, lang, max_age=365 * 86400, http_only=False)
    return response
