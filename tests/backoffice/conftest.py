# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office in a real headless Chromium: pytest-playwright's fixtures, pointed at this machine.

- `office`, `backoffice_app`: the demo club on a server database with a back-office user per role, and the
  club server's app over it, one per module; a module may override `backoffice_app` to drive another app.
- `live_server`: that app served by uvicorn on 127.0.0.1 (tests.support.browser.LiveServer), one per module.
- `base_url`: the live server's URL, so `page.goto("/admin/")` works. Defined here only: pytest-playwright
  provides a session-wide `base_url` for every test of the suite, which stays as it is elsewhere.
- `page`, `context`, `browser`: pytest-playwright's (one browser per session, a fresh context per test),
  launched from Debian's Chromium (`chromium_path()`: skipped, or failed under CI=true, when it is missing)
  with a Persian locale and a 1280×900 viewport.
- `page_errors`: the page's console errors, uncaught exceptions and failed requests; assert
  `page_errors.messages == []`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.backoffice.club import DemoOffice, demo_office
from tests.support import browser as support

VIEWPORT = {"width": 1280, "height": 900}
# Playwright's expect() gives up after 5 s: a page that shows its answer after a busy CI machine's pause
# failed a test (a report job's status, once, with the suite beside two other jobs on two cores).
EXPECT_TIMEOUT_MS = 30_000


@pytest.fixture(scope="session", autouse=True)
def patient_expectations() -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    # Playwright passes --headless --no-sandbox itself (we run as root); no flags of our own are needed.
    return {"executable_path": str(support.chromium_path()), "headless": True}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    # Not the plugin's: that one asks for the session-wide base_url, and ours is per module (see `context`).
    return {"locale": "fa-IR", "viewport": VIEWPORT}


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> DemoOffice:
    """The demo club on a server database, with a back-office user per role (one per module)."""
    return demo_office(Path(tmp_path_factory.mktemp("office")))


@pytest.fixture(scope="module")
def backoffice_app(office: DemoOffice) -> Any:
    """The club server's app over the demo office; a module may drive another app by overriding this."""
    return office.app()


@pytest.fixture(scope="module")
def live_server(backoffice_app: Any) -> Iterator[support.LiveServer]:
    with support.LiveServer(backoffice_app) as server:
        yield server


@pytest.fixture(scope="module")
def base_url(live_server: support.LiveServer) -> str:
    return live_server.url


@pytest.fixture
def context(new_context: Any, base_url: str) -> BrowserContext:
    # base_url goes in here rather than in browser_context_args (session-scoped) because it is per module.
    return new_context(base_url=base_url)


@pytest.fixture
def page_errors(page: Page) -> support.PageErrors:
    return support.page_errors(page)
