# SPDX-License-Identifier: GPL-3.0-or-later
"""Every route of the member page's API, from the app's route table: a new route is closed unless it says
otherwise. Without a session every route but signing in and out answers 401 `signed_out`; without the
X-Bashgah header every state-changing route answers 403 `forbidden`; nothing is written either way."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy import func, select

from sync.server.app import create_app
from sync.server.models import AUDIT, Base
from sync.server.portal.api import PREFIX
from tests.server.portal_support import ORIGIN, H

OPEN = {"/m/api/sign-in", "/m/api/verify", "/m/api/sign-out"}


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """The routes, through FastAPI's included routers (as test_backoffice_routes walks them)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(_api_routes(route.original_router.routes))
    return found


def _routes() -> list[tuple[str, str]]:
    app = create_app(object())  # type: ignore[arg-type]  # the route table only
    return [
        (method, route.path)
        for route in _api_routes(app.routes)
        if route.path.startswith(PREFIX + "/")
        for method in sorted(route.methods)
    ]


def _path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "9826001000000018", path)


def _counts(db):
    with db.read() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables if t.name != AUDIT.name}  # fmt: skip


def test_every_route_needs_a_session_and_every_change_the_header(club_db, client):
    from fastapi.testclient import TestClient

    routes = _routes()
    assert len(routes) >= 12
    before = _counts(club_db)
    with TestClient(client.app, base_url=ORIGIN) as page:
        for method, path in routes:
            if method not in {"GET", "HEAD"}:
                bare = page.request(method, _path(path), json={})
                assert bare.status_code == 403 and bare.json()["error"] == "forbidden", (method, path)
            if path in OPEN:
                continue
            answer = page.request(method, _path(path), json={}, headers=H)
            assert answer.status_code == 401 and answer.json()["error"] == "signed_out", (method, path)
    assert _counts(club_db) == before
