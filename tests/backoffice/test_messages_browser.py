# SPDX-License-Identifier: GPL-3.0-or-later
"""A marketing campaign in a real Chromium, in Persian: written, counted and costed, saved, and sent —
its messages queued in the server's outbox."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Connection, select, update

from app import format as fmt
from app.domain.digits import to_persian_digits
from sync.server import club
from sync.server.clock import SystemClock
from sync.server.club import messages
from sync.server.club.access import CONSOLE
from sync.server.club.act import Call
from sync.server.models import MEMBER, MESSAGE
from tests.backoffice.club import DemoOffice, log_in
from tests.support.browser import PageErrors, axe_violations, format_violations


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    # as tests/backoffice/test_pages.py: axe-core is injected as a script, which the pages' CSP refuses
    return {"locale": "fa-IR", "viewport": {"width": 1280, "height": 900}, "bypass_csp": True}


CONSENTING = 7  # demo members who agree to marketing (the demo seeds none)
PARTS = 2  # 65 Persian letters and the opt-out line (6): 71 UCS-2 units, over 70, so two parts of 67


def test_a_campaign_is_written_counted_costed_and_sent(
    page: Page, office: DemoOffice, page_errors: PageErrors
):
    def agree(conn: Connection) -> list[str]:
        ids = list(conn.execute(select(MEMBER.c.id).order_by(MEMBER.c.id).limit(CONSENTING)).scalars())
        conn.execute(update(MEMBER).values(consent_marketing=False, email=None, preferred_channel="sms"))
        conn.execute(update(MEMBER).where(MEMBER.c.id.in_(ids)).values(consent_marketing=True))
        return ids

    chosen = office.db.write(agree)
    with office.db.read() as conn:
        part_rials = int(club.setting(conn, "messages_sms_part_rials"))
    cost = CONSENTING * PARTS * part_rials

    log_in(page, office, "owner")
    page.get_by_role("link", name="پیام‌ها").click()
    page.get_by_role("link", name="کمپین تازه").click()
    page.get_by_label("نام کمپین").fill("حراج یلدا")
    page.locator("#body_fa").fill("ت" * 65)
    page.locator("#body_en").fill("Yalda sale")
    page.get_by_role("button", name="شمار و هزینه").click()
    expect(page.get_by_test_id("reach-members")).to_have_text(to_persian_digits(str(CONSENTING)))
    expect(page.get_by_test_id("reach-parts")).to_have_text(to_persian_digits(str(CONSENTING * PARTS)))
    expect(page.get_by_test_id("reach-cost")).to_have_text(fmt.toman(cost, "fa"))
    page.get_by_role("button", name="ذخیره به‌صورت پیش‌نویس").click()
    expect(page.get_by_test_id("campaign-name")).to_have_text("حراج یلدا")
    expect(page.get_by_test_id("reach-cost")).to_have_text(fmt.toman(cost, "fa"))
    page.locator("#send-confirm").check()
    page.get_by_test_id("send-button").click()
    expect(page.get_by_test_id("done")).to_have_text("پیام‌های کمپین در صف ارسال قرار گرفت.")
    expect(page.get_by_test_id("delivery-queued")).to_have_text(to_persian_digits(str(CONSENTING)))

    with office.db.read() as conn:
        queued = conn.execute(select(MESSAGE.c.member_id, MESSAGE.c.kind, MESSAGE.c.status)).all()
    assert sorted(queued) == sorted((member_id, "campaign", "queued") for member_id in chosen)
    assert page_errors.messages == []


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_messages_pages_are_accessible(
    page: Page, office: DemoOffice, page_errors: PageErrors, lang: str
):
    call = Call(office.db, SystemClock().now_us(), CONSOLE)
    made = messages.create_campaign(call, messages.CampaignDraft("حراج <b>یلدا</b>", "تخفیف {name}", "Sale"))
    with office.db.read() as conn:
        member_id = conn.execute(select(MEMBER.c.id).limit(1)).scalar_one()
    log_in(page, office)
    if lang == "en":
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
    paths = [
        "/admin/messages", "/admin/messages/templates/points_earned", "/admin/messages/campaigns/new",
        f"/admin/messages/campaigns/{made.id}", f"/admin/members/{member_id}",
    ]  # fmt: skip
    for path in paths:
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        page.wait_for_load_state("load")
        page.evaluate("async () => { await document.fonts.ready; }")
        violations = axe_violations(page)
        assert violations == [], f"{path}: {format_violations(violations)}"
    assert [m for m in page_errors.messages if "net::ERR_ABORTED" not in m] == []
    if lang == "en":
        page.get_by_role("button", name="فارسی").click()  # the user's language is theirs: leave it as found
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
