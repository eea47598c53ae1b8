# SPDX-License-Identifier: GPL-3.0-or-later
"""Every back-office page in a real Chromium, in Persian and English: it draws with Vazirmatn, right to
left in Persian, without a console error or a failed request, and axe-core finds nothing serious."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from sync.server.models import EVENT, MEMBER, MEMBER_PHOTO
from tests.backoffice.club import DemoOffice, log_in
from tests.support.browser import PageErrors, axe_violations, format_violations, rendered_fonts

# every page a menu links to, and the ones a user reaches from them
PAGES = [
    "/admin/", "/admin/members?q=%D9%85", "/admin/members/new", "/admin/programme", "/admin/programme/edit",
    "/admin/programme/preview", "/admin/events", "/admin/events/new", "/admin/review", "/admin/terminals",
    "/admin/branches", "/admin/settings", "/admin/audit", "/admin/users", "/admin/reports",
    "/admin/reports/overview", "/admin/reports/overview/drill?drill=members&d_named=joined",
    "/admin/reports/overview/drill?drill=entries&d_kinds=earn",
]  # fmt: skip


def _reached(office: DemoOffice) -> list[str]:
    """Pages reached from a list: a member's file (one with a photo), an event's."""
    with office.db.read() as conn:
        member_id = conn.execute(
            select(MEMBER.c.id).join(MEMBER_PHOTO, MEMBER_PHOTO.c.member_id == MEMBER.c.id).limit(1)
        ).scalar_one()
        event_id = conn.execute(select(EVENT.c.id).limit(1)).scalar_one()
    return [f"/admin/members/{member_id}", f"/admin/events/{event_id}"]


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    return {"locale": "fa-IR", "viewport": {"width": 1280, "height": 900}, "bypass_csp": True}


def test_logging_in_and_out(page: Page, office: DemoOffice, page_errors: PageErrors):
    page.goto("/admin/")
    assert page.url.endswith("/admin/login?next=/admin/")
    page.get_by_label("نام کاربری").fill(office.names["owner"])
    page.get_by_label("گذرواژه").fill("not the password")
    page.get_by_role("button", name="ورود").click()
    expect(page.get_by_role("alert")).to_have_text("نام کاربری یا گذرواژه درست نیست.")
    page_errors.http.clear()  # the refused login's 401 is the point (Chromium logs it as a console error)
    page_errors.console.clear()
    log_in(page, office)
    expect(page.get_by_role("heading", level=1)).to_have_text("پیشخوان")
    page.get_by_role("button", name="خروج").click()
    expect(page.get_by_role("button", name="ورود")).to_be_visible()
    assert page_errors.messages == []


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_every_page_is_whole_and_accessible(
    page: Page, office: DemoOffice, page_errors: PageErrors, lang: str
):
    log_in(page, office)
    if lang == "en":
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
    for path in PAGES + _reached(office):
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "fa" else "ltr")
        page.wait_for_load_state("load")
        page.evaluate("async () => { await document.fonts.ready; }")  # a font still loading would be cut off
        violations = axe_violations(page)
        assert violations == [], f"{path}: {format_violations(violations)}"
        fonts = rendered_fonts(page, "h1")
        assert fonts and all(name.startswith("Vazirmatn") for name in fonts), (path, fonts)
    # a font still loading when the next page is asked for is cut off (ERR_ABORTED): that is no fault
    assert [m for m in page_errors.messages if "net::ERR_ABORTED" not in m] == []
    if lang == "en":
        page.wait_for_load_state("load")
        page.get_by_role("button", name="فارسی").click()  # the user's language is theirs: leave it as found
        expect(page.locator("html")).to_have_attribute("dir", "rtl")


def test_the_keyboard_alone_logs_in_and_finds_a_member(
    page: Page, office: DemoOffice, page_errors: PageErrors
):
    """No mouse: the login form, the skip link, the search box and its results are reached with Tab."""
    sample = office.seeded["sample_members"][0]
    name = office.names["owner"]
    page.goto("/admin/login")
    # the field has the focus on arrival (autofocus), which Chromium gives at a rendering after the load
    # event: on a busy machine the first keys went to the page, and a digit of the card was lost
    expect(page.locator("input:focus")).to_have_count(1)
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(office.passwords[name])
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("whoami")).to_contain_text(name)
    page.goto("/admin/members")
    expect(page.locator("#q")).to_be_focused()  # autofocus, given after the load event (above)
    page.keyboard.type(sample["card"])
    link = page.get_by_role("link", name=sample["name"])
    expect(page.locator("#member-rows tr")).to_have_count(1)  # the whole number typed: one card, one member
    expect(link).to_be_visible()
    for _ in range(5):  # from the search box to the first result
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("member-name")).to_have_text(sample["name"])
    page.goto("/admin/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="رفتن به محتوا")).to_be_focused()  # the first stop skips the menu
    assert [m for m in page_errors.messages if "net::ERR_ABORTED" not in m] == []
