# SPDX-License-Identifier: GPL-3.0-or-later
"""Every back-office route declares who may use it, and every role is refused where it may not: generated
from the app's route table, so a new route without a rule fails here. Every word shown has its Persian."""

from __future__ import annotations

import pkgutil
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import sync.server.club
from sync.server.app import create_app
from sync.server.backoffice import texts
from sync.server.backoffice.desk import rule_of
from sync.server.backoffice.pages.auth import PUBLIC
from sync.server.club.access import GRANTS, OFFICE_ROLES, Permission
from sync.server.db import Database
from sync.server.models import AUDIT, OFFICE_SESSION, Base
from tests.server.office import add_every_role, sign_in

_NO_DB = object()
BACKOFFICE = Path(sync.server.backoffice.__file__).parent


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """The routes, through FastAPI's included routers (each is included without a prefix of its own)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(_api_routes(route.original_router.routes))
    return found


def _routes(prefix: str) -> list[tuple[APIRoute, str]]:
    app = create_app(_NO_DB)  # type: ignore[arg-type]  # the route table only: nothing is asked of it
    return [
        (route, method)
        for route in _api_routes(app.routes)
        if route.path == prefix or route.path.startswith(prefix + "/")
        for method in sorted(route.methods)
    ]


def test_every_page_route_declares_its_rule():
    routes = _routes("/admin")
    assert len(routes) > 10
    missing = [
        f"{m} {r.path}"
        for r, m in routes
        if r.path not in PUBLIC and rule_of(r.dependant.dependencies) is None
    ]
    assert missing == [], "back-office routes without `Needs(permission)`"


def _admin_rule(dependencies: list[Any]) -> str | None:
    for dependant in dependencies:
        if getattr(dependant.call, "__qualname__", "").startswith("admin_with."):
            return "token role"
        found = _admin_rule(dependant.dependencies)
        if found:
            return found
    return None


def test_every_admin_api_route_declares_a_token_role():
    missing = [
        f"{m} {r.path}" for r, m in _routes("/v1/admin") if _admin_rule(r.dependant.dependencies) is None
    ]
    assert missing == []


def _path_for(route: APIRoute) -> str:
    path = route.path
    for param in route.dependant.path_params:
        value = "1" if param.field_info.annotation is int else str(uuid.UUID(int=1))
        path = re.sub(r"\{" + param.name + r"(:[a-z]+)?\}", value, path)
    return path


def _row_counts(db: Database) -> dict[str, int]:
    skip = {AUDIT.name, OFFICE_SESSION.name}
    with db.read() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
            if t.name not in skip
        }


@pytest.mark.parametrize("role", OFFICE_ROLES)
def test_a_role_is_refused_every_route_its_grants_lack(role: str, club_db: Database, client: TestClient):
    names = add_every_role(club_db)
    csrf = sign_in(client, names[role])
    before = _row_counts(club_db)
    refused_somewhere = False
    for route, method in _routes("/admin"):
        rule = rule_of(route.dependant.dependencies)
        if route.path in PUBLIC or rule in GRANTS[role]:
            continue
        answer = client.request(method, _path_for(route), data={"csrf_token": csrf}, follow_redirects=False)
        assert answer.status_code == 403, f"{role}: {method} {route.path} answered {answer.status_code}"
        refused_somewhere = True
    assert _row_counts(club_db) == before, "a refused request changed something"
    assert refused_somewhere or role == "owner"


def test_no_use_case_module_hides_a_function_of_the_club_package():
    """Importing sync.server.club.X replaces a function `X` of the package (club.branches, club.staff…)."""
    modules = {m.name for m in pkgutil.iter_modules(sync.server.club.__path__)}
    functions = {
        name for name, value in vars(sync.server.club).items() if callable(value) and not name.startswith("_")
    }
    assert modules & functions == set()


_CALLS = re.compile(r"""(?:\b_|gettext)\(\s*(['"])((?:\\.|(?!\1).)+)\1\s*\)""")


def test_every_word_of_the_back_office_has_its_persian():
    sources = [*BACKOFFICE.rglob("*.html"), *(p for p in BACKOFFICE.rglob("*.py") if p.name != "texts.py")]
    used = {match.group(2) for path in sources for match in _CALLS.finditer(path.read_text(encoding="utf-8"))}
    assert len(used) > 40
    missing = sorted(text for text in used if text not in texts.FA)
    assert missing == []
    persian = re.compile("[\u0600-\u06ff]")
    assert [k for k, v in texts.FA.items() if not persian.search(v)] == []


def test_the_reports_exports_and_jobs_have_their_routes():
    """The reports' files and background jobs (pages/report_exports.py): the route needs READ; the
    report's own permission and branch scope are checked by the use cases (tests/server/test_report_jobs)."""
    rules = {(m, r.path): rule_of(r.dependant.dependencies) for r, m in _routes("/admin/reports")}
    for key in (
        ("GET", "/admin/reports/{code}/export.{kind}"),
        ("POST", "/admin/reports/{code}/run"),
        ("GET", "/admin/reports/jobs/{job_id:uuid}"),
        ("GET", "/admin/reports/jobs/{job_id:uuid}/export.{kind}"),
    ):
        assert rules.get(key) == Permission.READ, key
