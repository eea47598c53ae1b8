# SPDX-License-Identifier: GPL-3.0-or-later
"""`make screenshots`, the member page's part: a demo member signed in on a phone-sized headless Chromium, in
Persian and English, as docs/screenshots/portal-home_<lang>.png for the README (the sign-in code comes from a
real SMS webhook receiver on loopback, as in the tests)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from sqlalchemy import func, select

from sync.server.models import ENTRY, MEMBER
from tests.backoffice.club import demo_office
from tests.portal.test_flow_browser import Member, sign_in
from tests.support.browser import LiveServer, chromium_path
from tests.support.sms_receiver import sms_receiver


def _member(office) -> Member:  # type: ignore[no-untyped-def]
    """The demo member with the longest history: a page with something on it."""
    with office.db.read() as conn:
        row = conn.execute(
            select(MEMBER.c.id, MEMBER.c.name, MEMBER.c.phone, func.count(ENTRY.c.id))
            .select_from(MEMBER.outerjoin(ENTRY, ENTRY.c.member_id == MEMBER.c.id))
            .where(MEMBER.c.phone.is_not(None))
            .group_by(MEMBER.c.id)
            .order_by(func.count(ENTRY.c.id).desc(), MEMBER.c.id)
            .limit(1)
        ).one()
    return Member(*row)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bashgah-portal-shots-") as tmp:
        office = demo_office(Path(tmp), members=40)
        app = office.app()
        app.state.portal_answer_floor_s = 0.0  # type: ignore[attr-defined]
        member = _member(office)
        with sms_receiver() as receiver, LiveServer(app) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium_path()), headless=True)
            viewport = {"width": 412, "height": 915}
            context = browser.new_context(base_url=server.url, locale="fa-IR", viewport=viewport)
            page = context.new_page()
            sign_in(page, office, receiver, member)
            for lang in ("fa", "en"):
                if lang == "en":
                    page.get_by_role("button", name="English").click()
                    page.wait_for_selector("html[lang='en']")
                    english = "() => /^A new code/.test(document.getElementById('countdown').textContent)"
                    page.wait_for_function(english)  # the code is drawn again, in English
                page.evaluate("async () => { await document.fonts.ready; }")
                target = out / f"portal-home_{lang}.png"
                page.screenshot(path=str(target), full_page=True)
                print(target)
            browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
