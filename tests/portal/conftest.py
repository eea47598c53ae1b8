# SPDX-License-Identifier: GPL-3.0-or-later
"""The member page (/m/) in a real headless Chromium: pytest-playwright's fixtures, pointed at this machine.

As tests/backoffice/conftest.py does, for the member page: Debian's Chromium (`chromium_path()`: skipped, or
failed under CI=true, when missing), a phone-sized viewport with a Persian locale, the club server's real
app over a demo club served by uvicorn (`live_server`, one per module), `base_url` for `page.goto("/m/")`,
and `page_errors` for the page's console errors, uncaught exceptions and failed requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.backoffice.club import DemoOffice, demo_office
from tests.support import browser as support

PHONE_VIEWPORT = {"width": 412, "height": 915}
EXPECT_TIMEOUT_MS = 30_000  # a busy CI machine's pause is not a failure (tests/backoffice/conftest.py)


@pytest.fixture(scope="session", autouse=True)
def patient_expectations() -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {"executable_path": str(support.chromium_path()), "headless": True}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    return {"locale": "fa-IR", "viewport": PHONE_VIEWPORT, "device_scale_factor": 2}


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> DemoOffice:
    """The demo club on a server database (one per module)."""
    return demo_office(Path(tmp_path_factory.mktemp("office")), members=8)


@pytest.fixture(scope="module")
def portal_app(office: DemoOffice) -> Any:
    """The club server's app; a module may override this to drive it with other settings."""
    return office.app()


@pytest.fixture(scope="module")
def live_server(portal_app: Any) -> Iterator[support.LiveServer]:
    with support.LiveServer(portal_app) as server:
        yield server


@pytest.fixture(scope="module")
def base_url(live_server: support.LiveServer) -> str:
    return live_server.url


@pytest.fixture
def context(new_context: Any, base_url: str) -> BrowserContext:
    return new_context(base_url=base_url)


@pytest.fixture
def page_errors(page: Page) -> support.PageErrors:
    return support.page_errors(page)
