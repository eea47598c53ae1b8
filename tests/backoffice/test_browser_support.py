# SPDX-License-Identifier: GPL-3.0-or-later
"""The browser tests' own tools catch what they are there to catch (tests.support.browser).

A live server that serves and then lets its port go; one whose app fails to start says so; the browser is
found, or the test is skipped (failed under CI=true) with the apt command; page_errors sees an uncaught
exception, a console error, a 404 and a refused request; axe_violations reports a missing alt text.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import Page

from tests.support import browser as support


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound then released; nothing else here takes it so fast)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


BROKEN_PAGE = """<!doctype html>
<html lang="fa" dir="rtl">
<head><meta charset="utf-8"><title>خراب</title><link rel="icon" href="data:,"></head>
<body><main>
<img src="/missing.png" alt="ناموجود">
<script>console.error("گزارش خطا"); fetch("http://127.0.0.1:{port}/").catch(() => {{}});</script>
<script>null.thing;</script>
</main></body></html>
"""


def tiny_app() -> FastAPI:
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return (
            '<!doctype html><html lang="fa"><head><title>سلام</title></head><body><p>سلام</p></body></html>'
        )

    @app.get("/broken", response_class=HTMLResponse)
    def broken() -> str:
        return BROKEN_PAGE.format(port=closed_port())

    return app


@pytest.fixture(scope="module")
def backoffice_app() -> Any:
    return tiny_app()


# ---------------------------------------------------------------- LiveServer


def test_a_live_server_serves_then_lets_its_port_go() -> None:
    with support.LiveServer(tiny_app()) as server:
        url = server.url
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/", timeout=5) as response:
            assert "سلام" in response.read().decode()
        names = {thread.name for thread in threading.enumerate()}
        assert any(name.startswith("live-server:") for name in names)
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))
    assert not [t for t in threading.enumerate() if t.name == f"live-server:{port}"]
    with pytest.raises(support.LiveServerError, match="not running"):
        _ = server.url


def test_a_live_server_whose_app_fails_to_start_says_so() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield

    with pytest.raises(support.LiveServerError, match="startup failed"):
        support.LiveServer(FastAPI(lifespan=lifespan)).start()


# ---------------------------------------------------------------- finding Chromium


def test_the_browser_named_in_the_environment_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    binary = tmp_path / "chrome"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv(support.CHROMIUM_ENV, str(binary))
    assert support.chromium_path() == binary


def test_a_missing_browser_skips_with_the_apt_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(support, "CHROMIUM_CANDIDATES", (tmp_path / "none",))
    monkeypatch.delenv(support.CHROMIUM_ENV, raising=False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium-headless-shell"):
        support.chromium_path()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Chromium unavailable in CI"):
        support.chromium_path()
    monkeypatch.setenv(support.CHROMIUM_ENV, str(tmp_path / "none"))
    with pytest.raises(pytest.fail.Exception, match="is not an executable file"):
        support.chromium_path()


# ---------------------------------------------------------------- in the browser


def test_page_errors_sees_exceptions_console_errors_404s_and_refused_requests(
    page: Page, page_errors: support.PageErrors
) -> None:
    page.goto("/broken")
    page.wait_for_load_state("networkidle")
    assert len(page_errors.uncaught) == 1 and "null" in page_errors.uncaught[0]
    assert any("گزارش خطا" in line for line in page_errors.console)
    assert any(
        line.startswith("HTTP 404: GET ") and line.endswith("/missing.png") for line in page_errors.http
    )
    assert any("request failed: GET http://127.0.0.1:" in line for line in page_errors.failed)
    assert len(page_errors.messages) >= 4


def test_page_errors_is_quiet_on_a_clean_page(page: Page, page_errors: support.PageErrors) -> None:
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert page_errors.messages == []


def test_axe_reports_an_image_without_alt_text(page: Page) -> None:
    page.goto("/")
    assert support.axe_violations(page) == []
    page.evaluate("() => document.body.append(Object.assign(document.createElement('img'), {src: 'data:,'}))")
    violations = support.axe_violations(page)
    assert [(v["id"], v["impact"], v["nodes"]) for v in violations] == [("image-alt", "critical", ["img"])]
    assert "image-alt" in support.format_violations(violations)
    assert support.axe_violations(page, impacts=("minor",)) == []
