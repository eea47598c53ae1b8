# SPDX-License-Identifier: GPL-3.0-or-later
"""The signed-in user behind a back-office request, and the rules every page route declares.

Each route depends on `Needs(permission)`: it finds the session from the cookie, refuses a user whose role
lacks the permission (the use cases check again, with the branch), and refuses a state-changing request
without the session's CSRF token (a form's hidden field, or htmx's `X-CSRF-Token` header). A test walks
the route table: a page route without a `Needs` fails it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from sync.server.backoffice.texts import translator
from sync.server.club.access import GRANTS, Actor, Permission
from sync.server.club.act import Call
from sync.server.club.users import Session, session_for

COOKIE = "bashgah_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PREFIX = "/admin"


class SignInNeededError(Exception):
    """No live session: a page redirects to the login page, an htmx request is told to."""


class NotPermittedError(Exception):
    def __init__(self, permission: Permission, lang: str) -> None:
        super().__init__(str(permission))
        self.permission = permission
        self.lang = lang


class BadCsrfError(Exception):
    def __init__(self, lang: str) -> None:
        super().__init__("csrf")
        self.lang = lang


@dataclass(frozen=True, slots=True)
class Desk:
    """What a page handler needs: the request, the session, the use cases' Call and the user's language."""

    request: Request
    session: Session
    now_us: int

    @property
    def actor(self) -> Actor:
        return self.session.user.actor

    @property
    def call(self) -> Call:
        return Call(self.request.app.state.db, self.now_us, self.actor)

    @property
    def lang(self) -> str:
        return self.session.user.lang

    @property
    def gettext(self) -> Callable[[str], str]:
        return translator(self.lang)

    def may(self, permission: Permission, branch_id: str | None = None) -> bool:
        return self.actor.may(permission, branch_id)


class Needs:
    """A route's rule: signed in, with a role that holds `permission` (for some branch, if per branch)."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> Desk:
        now_us = int(request.app.state.clock.now_us())
        token = request.cookies.get(COOKIE, "")
        session = session_for(request.app.state.db, now_us, token) if token else None
        if session is None:
            raise SignInNeededError
        lang = session.user.lang
        if self.permission not in GRANTS.get(session.user.role, frozenset()):
            raise NotPermittedError(self.permission, lang)
        if request.method not in SAFE_METHODS:
            await _check_csrf(request, session.csrf_token, lang)
        return Desk(request, session, now_us)


async def _check_csrf(request: Request, expected: str, lang: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value: Any = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not secrets.compare_digest(sent, expected):
        raise BadCsrfError(lang)


def rule_of(endpoint_dependencies: list[Any]) -> Permission | None:
    """The permission a route declares through `Needs`, found in its dependency tree (for the tests)."""
    for dependant in endpoint_dependencies:
        if isinstance(dependant.call, Needs):
            return dependant.call.permission
        found = rule_of(dependant.dependencies)
        if found is not None:
            return found
    return None
