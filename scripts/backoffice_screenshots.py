# SPDX-License-Identifier: GPL-3.0-or-later
"""`make screenshots`, the back office's part: its main pages in headless Chromium, in Persian and English,
on the demo club, as docs/screenshots/backoffice-<page>_<lang>.png for the README."""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

from sync.server import rules as rule_sets
from sync.server.clock import SystemClock
from sync.server.models import MEMBER, MEMBER_PHOTO
from tests.backoffice.club import DemoOffice, demo_office, log_in
from tests.support.browser import LiveServer, chromium_path


def _pages(office: DemoOffice) -> list[tuple[str, str]]:
    with office.db.read() as conn:
        today = rule_sets.current(conn).local_date(SystemClock().now_us())
        first, last = (today - timedelta(days=365)).isoformat(), today.isoformat()
        member_id = conn.execute(
            select(MEMBER.c.id).join(MEMBER_PHOTO, MEMBER_PHOTO.c.member_id == MEMBER.c.id).limit(1)
        ).scalar_one()
    campaign = _campaign(office)
    return [
        ("dashboard", "/admin/"),
        ("members", "/admin/members?q=%D9%85%D8%AD%D9%85%D8%AF"),  # محمد
        ("member", f"/admin/members/{member_id}"),
        ("programme", "/admin/programme"),
        ("events", "/admin/events"),
        ("review", "/admin/review"),
        ("terminals", "/admin/terminals"),
        ("audit", "/admin/audit"),
        ("report-overview", "/admin/reports/overview"),
        ("report-retention", f"/admin/reports/retention?from={first}&to={last}"),
        ("report-points", "/admin/reports/points"),
        ("messages", "/admin/messages"),
        ("campaign", f"/admin/messages/campaigns/{campaign}"),
    ]


def _campaign(office: DemoOffice) -> str:
    """A draft campaign to the demo's silver members, so its page shows a count and a cost."""
    from sync.server.club import messages
    from sync.server.club.access import CONSOLE
    from sync.server.club.act import Call

    call = Call(office.db, SystemClock().now_us(), CONSOLE)
    draft = messages.CampaignDraft(
        name="یلدا · Yalda",
        body_fa="{name} عزیز، شب یلدا ۲۰٪ تخفیف برای اعضای {tier}. موجودی شما: {balance} امتیاز.",
        body_en="Dear {name}, 20 % off on Yalda night for {tier} members. Your balance: {balance} points.",
        segment=messages.Segment(tier="silver"),
    )  # fmt: skip
    return messages.create_campaign(call, draft).id


def _shoot(page: Page, path: str, target: Path) -> None:
    page.goto(path)
    page.wait_for_load_state("load")
    page.evaluate("async () => { await document.fonts.ready; }")
    page.screenshot(path=str(target), full_page=True)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bashgah-shots-") as tmp:
        office = demo_office(Path(tmp), members=120)
        pages = _pages(office)
        with LiveServer(office.app()) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium_path()), headless=True)
            for lang in ("fa", "en"):
                context = browser.new_context(
                    base_url=server.url, locale="fa-IR" if lang == "fa" else "en-GB",
                    viewport={"width": 1280, "height": 800},
                )  # fmt: skip
                page = context.new_page()
                log_in(page, office)
                if lang == "en":
                    page.get_by_role("button", name="English").click()
                    page.wait_for_load_state("load")
                for name, path in pages:
                    _shoot(page, path, out / f"backoffice-{name}_{lang}.png")
                    print(f"{out}/backoffice-{name}_{lang}.png")
                context.close()
            browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
