# SPDX-License-Identifier: GPL-3.0-or-later
"""Back-office users and signed-in clients for the server's tests (HTTP through TestClient; the browser
tests in tests/backoffice use the same users)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from sync.server.club import users
from sync.server.club.access import CONSOLE, OFFICE_ROLES
from sync.server.club.act import Call
from sync.server.db import Database
from tests.server.club import BRANCH_1, T0

PASSWORD = "correct horse battery"


def add_user(db: Database, name: str, role: str, branches: list[str] | None = None) -> users.OfficeUser:
    if branches is None:
        branches = [BRANCH_1] if role == "branch-manager" else []
    return users.add(Call(db, T0, CONSOLE), name, role, PASSWORD, branches)


def add_every_role(db: Database) -> dict[str, str]:
    """A user per office role, named after it (the branch manager runs BRANCH_1): role → name."""
    names = {}
    for role in OFFICE_ROLES:
        name = role.replace("-", "")
        add_user(db, name, role)
        names[role] = name
    return names


def login_csrf(client: TestClient) -> str:
    page = client.get("/admin/login")
    assert page.status_code == 200
    return re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Logs the client in; returns the session's CSRF token (as the pages' forms carry it)."""
    answer = client.post(
        "/admin/login",
        data={"name": name, "password": password, "login_csrf": login_csrf(client), "next": "/admin/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/admin/").text)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
