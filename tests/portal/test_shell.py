# SPDX-License-Identifier: GPL-3.0-or-later
"""The member page's shell (sync/server/portal/shell.py) over HTTP: what each file is served as, the
headers that keep it from running foreign or inline scripts, and that it is the same for everyone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sync.server import migrate
from sync.server.app import create_app
from sync.server.clock import SystemClock
from sync.server.db import Database
from sync.server.portal import shell


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    db = Database(f"sqlite:///{Path(tmp_path_factory.mktemp('shell')) / 'server.sqlite3'}")
    migrate.upgrade(db, SystemClock().now_us())
    return TestClient(create_app(db))


def csp(answer) -> dict[str, str]:
    policy = answer.headers["content-security-policy"]
    parts = (part.strip() for part in policy.split(";"))
    return {part.split()[0]: part.partition(" ")[2] for part in parts if part}


def test_the_page_is_served_with_a_strict_policy_and_no_inline_script(client: TestClient):
    answer = client.get("/m/")
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/html; charset=utf-8"
    policy = csp(answer)
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    html = answer.text
    assert '<html lang="fa" dir="rtl">' in html
    # every script is a file of this origin; no inline script, no event-handler attribute, no style attribute
    assert html.count("<script") == 1 and '<script type="module" src="/m/static/portal.js"></script>' in html
    for attribute in (" onclick=", " onload=", " onsubmit=", " style="):
        assert attribute not in html
    assert client.get("/m", follow_redirects=False).headers["location"] == "/m/"


def test_the_service_worker_may_control_the_whole_page_and_is_always_revalidated(client: TestClient):
    answer = client.get("/m/sw.js")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["service-worker-allowed"] == "/m/"
    assert answer.headers["cache-control"] == "no-cache"
    assert "/m/api/" in answer.text  # it names what it leaves alone


def test_the_manifest_is_an_installable_rtl_app_of_scope_m(client: TestClient):
    answer = client.get("/m/manifest.webmanifest")
    assert answer.headers["content-type"] == "application/manifest+json"
    manifest = json.loads(answer.text)
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/m/", "/m/", "standalone")
    assert (manifest["dir"], manifest["lang"]) == ("rtl", "fa")
    assert manifest["name"] and manifest["short_name"]
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        side = int.from_bytes(image.content[16:20], "big")  # the PNG's IHDR width
        assert f"{side}x{side}" == icon["sizes"]


def test_static_files_fonts_and_the_qr_library_are_served_with_their_types(client: TestClient):
    expected = {
        "/m/static/portal.js": "text/javascript; charset=utf-8",
        "/m/static/portal.css": "text/css; charset=utf-8",
        "/m/static/vendor/qrcode-generator/qrcode.mjs": "text/javascript; charset=utf-8",
        "/m/static/font/Vazirmatn-Regular.woff2": "font/woff2",
        "/m/static/font/Vazirmatn-Bold.woff2": "font/woff2",
    }
    for path, media in expected.items():
        answer = client.get(path)
        assert (answer.status_code, answer.headers["content-type"]) == (200, media), path
        assert "script-src 'self'" in answer.headers["content-security-policy"]
    # the font is the back office's vendored copy, not a second one
    font = client.get("/m/static/font/Vazirmatn-Regular.woff2").content
    assert font == (shell.FONTS / "Vazirmatn-Regular.woff2").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/m/static/../shell.py",
        "/m/static/%2e%2e/shell.py",
        "/m/static/..%2fshell.py",
        "/m/static/vendor/VERSIONS.md",
        "/m/static/vendor/qrcode-generator/LICENSE",
        "/m/static/font/Vazirmatn-Medium.woff2",
        "/m/static/font/..%2f..%2f..%2fbackoffice%2fstatic%2fbackoffice.css",
        "/m/static/sw.js",
        "/m/static/nothing.js",
    ],
)
def test_nothing_else_is_served(client: TestClient, path: str):
    answer = client.get(path)
    assert answer.status_code == 404, path


def test_the_shell_is_the_same_for_everyone_and_sets_no_cookie(client: TestClient):
    plain = client.get("/m/")
    client.cookies.set("bashgah_member", "someone-elses-session", path="/m/")
    try:
        with_cookie = client.get("/m/")
    finally:
        client.cookies.clear()
    assert plain.content == with_cookie.content
    assert "set-cookie" not in plain.headers and "set-cookie" not in with_cookie.headers


def test_a_revalidation_costs_no_body_and_the_script_travels_gzipped(client: TestClient):
    first = client.get("/m/static/portal.js", headers={"Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    assert int(first.headers["content-length"]) < len(first.content) / 2
    again = client.get("/m/static/portal.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert "script-src 'self'" in again.headers["content-security-policy"]
    other = client.get("/m/static/portal.js", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.content == first.content
