# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office's cookies: scoped to /admin, HttpOnly unless a page must read it, SameSite=Strict (a
link from another site arrives without them, so no other site can act as the user), Secure over HTTPS."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from sync.server.backoffice.desk import PREFIX

LANG_COOKIE = "bashgah_lang"


def request_lang(request: Request) -> str:
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "fa"


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int, http_only: bool = True
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=http_only,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    """The cookie gone, said with the same attributes it was set with."""
    response.delete_cookie(
        name, path=PREFIX, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
