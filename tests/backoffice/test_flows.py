# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's back-office flows in a real Chromium, with a real terminal (a `bashgah` data dir, through its
command line) syncing with the same server over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from app.domain.digits import to_persian_digits
from sync.server.clock import SystemClock
from tests.backoffice.club import DemoOffice, demo_office, log_in
from tests.backoffice.terminal import TillProcess, enrol_till
from tests.server.club import enroll
from tests.server.test_backoffice_review import set_aside
from tests.support.browser import LiveServer, PageErrors


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> DemoOffice:
    return demo_office(Path(tmp_path_factory.mktemp("office")))


@pytest.fixture(scope="module")
def backoffice_app(office: DemoOffice) -> Any:
    return office.app()


@pytest.fixture(scope="module")
def till(
    office: DemoOffice, live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> TillProcess:
    manager = next(s for s in office.seeded["staff"] if s["role"] == "manager")
    return enrol_till(
        office.db, live_server.url, Path(tmp_path_factory.mktemp("till")) / "data", "THR", manager
    )


def _no_errors(page_errors: PageErrors) -> list[str]:
    return [m for m in page_errors.messages if "net::ERR_ABORTED" not in m]


def test_find_a_member_by_a_phone_in_persian_digits_and_adjust_their_points(
    page: Page, office: DemoOffice, till: TillProcess, page_errors: PageErrors
):
    sample = office.seeded["sample_members"][0]
    before = till.json("member", "show", sample["phone"])
    log_in(page, office)
    page.get_by_role("link", name="اعضا").click()
    typed = to_persian_digits("0" + sample["phone"].removeprefix("+98"))
    page.get_by_label("نام، تلفن یا شماره کارت").fill(typed)
    page.get_by_role("link", name=sample["name"]).click()
    expect(page.get_by_test_id("member-name")).to_have_text(sample["name"])
    page.get_by_label("امتیاز (+ یا −)").fill("۲۵۰")
    page.get_by_label("دلیل", exact=True).first.fill("جبران تأخیر تحویل")
    page.get_by_role("button", name="ثبت اصلاح").click()
    points = before["points"] + 250
    expect(page.get_by_test_id("points")).to_have_text(to_persian_digits(f"{points:,}").replace(",", "٬"))
    till.sync()
    assert till.json("member", "show", sample["phone"])["points"] == points
    assert till.json("ledger", "verify")["ok"]
    assert _no_errors(page_errors) == []


def test_resolve_a_set_aside_entry(page: Page, office: DemoOffice, page_errors: PageErrors):
    with TestClient(office.app()) as client:  # a terminal pushes what the server sets aside
        terminal = enroll(office.db, now_us=SystemClock().now_us())
        _member, entry = set_aside(client, terminal, name="Set Aside Sample")
    log_in(page, office)
    page.get_by_role("link", name="بازبینی").click()
    row = page.locator(f"#set-aside-{entry.id}")
    row.get_by_label("یادداشت").fill("بدون نام کارمند پذیرفته نیست")
    row.get_by_role("button", name="تأیید رد").click()
    expect(page.locator(f"#set-aside-{entry.id}").get_by_test_id("resolved-by")).to_contain_text(
        office.names["owner"]
    )
    assert _no_errors(page_errors) == []
