# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office's door: logging in, sessions, CSRF, throttling, locking and escaping (over HTTP)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from sync.server.club import users
from sync.server.club.access import CONSOLE
from sync.server.club.act import Call
from sync.server.db import Database
from tests.server.club import T0, FakeClock
from tests.server.office import PASSWORD, add_user, csrf_of, login_csrf, sign_in


@pytest.fixture
def office(club_db: Database) -> Database:
    add_user(club_db, "owner", "owner")
    add_user(club_db, "audit", "auditor")
    return club_db


def _post_login(client: TestClient, name: str, password: str) -> object:
    return client.post(
        "/admin/login",
        data={"name": name, "password": password, "login_csrf": login_csrf(client)},
        follow_redirects=False,
    )


def test_a_page_without_a_session_goes_to_the_login_page(office: Database, client: TestClient):
    answer = client.get("/admin/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/login?next=/admin/"
    htmx = client.get("/admin/", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/admin/login")


def test_logging_in_opens_the_dashboard_with_a_strict_cookie(office: Database, client: TestClient):
    answer = _post_login(client, "owner", PASSWORD)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/"
    cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and "bashgah_session" in v)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    page = client.get("/admin/")
    assert page.status_code == 200 and "پیشخوان" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


def test_one_answer_for_an_unknown_name_and_a_wrong_password(office: Database, client: TestClient):
    unknown, wrong = _post_login(client, "nobody", PASSWORD), _post_login(client, "owner", "wrong password!")
    assert unknown.status_code == wrong.status_code == 401
    text = "نام کاربری یا گذرواژه درست نیست."
    assert text in unknown.text and text in wrong.text


def test_a_login_without_its_form_token_is_refused(office: Database, client: TestClient):
    answer = client.post("/admin/login", data={"name": "owner", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 403
    assert "bashgah_session" not in answer.headers.get("set-cookie", "")


def test_a_post_without_the_csrf_token_is_refused(office: Database, client: TestClient):
    csrf = sign_in(client, "owner")
    refused = client.post("/admin/lang", data={"lang": "en"}, follow_redirects=False)
    assert refused.status_code == 403 and "منقضی" in refused.text
    forged = client.post("/admin/lang", data={"lang": "en", "csrf_token": "x" * 43}, follow_redirects=False)
    assert forged.status_code == 403
    done = client.post("/admin/lang", data={"lang": "en", "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert "Dashboard" in client.get("/admin/").text
    by_header = client.post("/admin/lang", data={"lang": "fa"}, headers={"X-CSRF-Token": csrf})
    assert by_header.status_code == 200 and 'dir="rtl"' in by_header.text


def test_a_session_token_from_before_login_is_not_kept(office: Database, client: TestClient):
    """Session fixation: a cookie planted before login is not the session login opens."""
    client.cookies.set("bashgah_session", "planted-by-an-attacker", domain="testserver.local", path="/admin")
    sign_in(client, "owner")
    assert client.cookies.get("bashgah_session", domain="testserver.local") != "planted-by-an-attacker"
    attacker = TestClient(client.app)
    attacker.cookies.set("bashgah_session", "planted-by-an-attacker", path="/admin")
    assert attacker.get("/admin/", follow_redirects=False).status_code == 303


def test_logging_out_ends_the_session_on_the_server(office: Database, client: TestClient):
    csrf = sign_in(client, "owner")
    token = client.cookies.get("bashgah_session")
    client.post("/admin/logout", data={"csrf_token": csrf})
    replay = TestClient(client.app)
    replay.cookies.set("bashgah_session", token, path="/admin")
    assert replay.get("/admin/", follow_redirects=False).status_code == 303


def test_an_idle_session_ends(office: Database, client: TestClient, clock: FakeClock):
    sign_in(client, "owner")
    clock.advance(users.IDLE_S - 10)
    assert client.get("/admin/", follow_redirects=False).status_code == 200
    clock.advance(users.IDLE_S + 1)
    assert client.get("/admin/", follow_redirects=False).status_code == 303


def test_repeated_failures_lock_the_account_until_a_new_password(office: Database, client: TestClient):
    for _ in range(users.MAX_FAILED_LOGINS):
        assert _post_login(client, "owner", "not the password").status_code == 401
    locked = _post_login(client, "owner", PASSWORD)
    assert locked.status_code == 401 and "قفل" in locked.text
    users.set_password(Call(office, T0 + 1, CONSOLE), "owner", "another good password")
    assert _post_login(client, "owner", "another good password").status_code == 303


def test_an_address_that_keeps_failing_is_told_to_wait(office: Database, client: TestClient):
    names = [f"guess{i}" for i in range(12)]  # many names: the per-account lock is not what stops it
    answers = [_post_login(client, name, "password123").status_code for name in names]
    assert answers[:10] == [401] * 10 and answers[10:] == [429, 429]
    assert _post_login(client, "owner", PASSWORD).status_code == 429  # even the right password waits


def test_a_disabled_user_cannot_log_in_and_loses_their_sessions(office: Database, client: TestClient):
    sign_in(client, "audit")
    users.disable(Call(office, T0, CONSOLE), "audit")
    assert client.get("/admin/", follow_redirects=False).status_code == 303
    assert _post_login(TestClient(client.app), "audit", PASSWORD).status_code == 401


def test_a_password_change_ends_every_session(office: Database, client: TestClient):
    sign_in(client, "audit")
    users.set_password(Call(office, T0 + 5, CONSOLE), "audit", "a brand new password")
    assert client.get("/admin/", follow_redirects=False).status_code == 303


def test_login_never_redirects_off_site(office: Database, client: TestClient):
    for target in ("https://evil.example/", "//evil.example/admin/", "/admin/\\\\evil", "/v1/admin/members"):
        answer = client.post(
            "/admin/login",
            data={"name": "owner", "password": PASSWORD, "login_csrf": login_csrf(client), "next": target},
            follow_redirects=False,
        )
        assert answer.headers["location"] == "/admin/", target


def test_what_a_user_typed_is_shown_as_text(office: Database, client: TestClient):
    answer = _post_login(client, "<script>alert(1)</script>", "x" * 12)
    assert "<script>alert(1)</script>" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text


def test_every_login_and_failure_is_in_the_audit_log(office: Database, client: TestClient):
    from sqlalchemy import select

    from sync.server.models import AUDIT

    _post_login(client, "owner", "wrong password")
    sign_in(client, "owner")
    with office.read() as conn:
        actions = [row.action for row in conn.execute(select(AUDIT).order_by(AUDIT.c.id))]
    assert "user.login_failed" in actions and "user.login" in actions


def test_the_dashboard_shows_the_open_queues(office: Database, client: TestClient):
    sign_in(client, "owner")
    page = client.get("/admin/").text
    assert re.search(r'data-testid="set-aside-count">۰<', page)
    assert csrf_of(page)


def test_passwords_are_hashed_with_argon2id_at_rfc_9106s_cost():
    """The suite hashes cheaply (tests/conftest.py); the server itself uses the library's full cost."""
    production = users.PRODUCTION_HASHER  # type: ignore[attr-defined]
    assert (production.type.name, production.memory_cost, production.time_cost) == ("ID", 65536, 3)
    assert users.DUMMY_HASH.startswith("$argon2id$")


def test_over_https_the_cookies_are_secure(office: Database, client: TestClient):
    secure = TestClient(client.app, base_url="https://club.example")
    answer = secure.post(
        "/admin/login",
        data={"name": "owner", "password": PASSWORD, "login_csrf": login_csrf(secure)},
        follow_redirects=False,
    )
    cookies = [v for k, v in answer.headers.multi_items() if k == "set-cookie"]
    assert answer.status_code == 303 and cookies and all("Secure" in c for c in cookies)
