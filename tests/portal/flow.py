# SPDX-License-Identifier: GPL-3.0-or-later
"""The member page's flows, for its browser tests, the end-to-end test and the screenshots: a demo member
signing in with the code the SMS receiver got, the code on screen, what a scanner reads off it."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from app.domain.digits import to_persian_digits
from sync.protocol import b64decode
from sync.server.clock import SystemClock
from sync.server.db import Database
from sync.server.models import CARD, CLUB_KEY, ENTRY, MEMBER
from tests.backoffice.club import DemoOffice
from tests.server.portal_support import code_in, send_sms, texts_to
from tests.support.sms_receiver import Receiver


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    phone: str  # as stored: +98…
    entries: int

    @property
    def typed(self) -> str:
        """The number as a person types it, in Persian digits: 0912…"""
        return to_persian_digits("0" + self.phone.removeprefix("+98"))


def members_by_history(db: Database) -> list[Member]:
    """The demo's members with a phone, most history first."""
    with db.read() as conn:
        rows = conn.execute(
            select(MEMBER.c.id, MEMBER.c.name, MEMBER.c.phone, func.count(ENTRY.c.id))
            .select_from(MEMBER.outerjoin(ENTRY, ENTRY.c.member_id == MEMBER.c.id))
            .where(MEMBER.c.phone.is_not(None))
            .group_by(MEMBER.c.id)
            .order_by(func.count(ENTRY.c.id).desc(), MEMBER.c.id)
        ).all()
    return [Member(*row) for row in rows]


def club_keys(office: DemoOffice) -> dict[int, bytes]:
    with office.db.read() as conn:
        return {r.key_id: b64decode(r.public_key) for r in conn.execute(select(CLUB_KEY)).all()}


def card_status(office: DemoOffice, number: str) -> str:
    with office.db.read() as conn:
        return str(conn.execute(select(CARD.c.status).where(CARD.c.number == number)).scalar_one())


def sign_in(page: Page, office: DemoOffice, receiver: Receiver, member: Member) -> None:
    page.goto("/m/")
    page.wait_for_selector("body[data-ready='1']")
    page.get_by_label("شمارهٔ همراه").fill(member.typed)
    page.get_by_role("button", name="فرستادن کد").click()
    expect(page.get_by_text("اگر این شماره عضو باشگاه باشد")).to_be_visible()
    before = len(texts_to(receiver, member.phone))
    assert send_sms(office.db, receiver, SystemClock()).sent == 1
    code = code_in(texts_to(receiver, member.phone)[before])
    page.get_by_label("کد شش‌رقمی").fill(to_persian_digits(code))
    page.get_by_role("button", name="ورود").click()
    expect(page.locator("body")).to_have_attribute("data-view", "home")
    expect(page.locator("#qr")).to_have_attribute("data-text", digits_461())


def digits_461() -> re.Pattern[str]:
    return re.compile(r"^8\d{460}$")


def shown_code(page: Page) -> tuple[str, int]:
    """The code on screen and its step, read together (the page may draw the next between two reads)."""
    read = "() => { const d = document.getElementById('qr').dataset; return [d.text, d.step]; }"
    text, step = page.evaluate(read)
    return str(text), int(step)


def decoded(page: Page) -> tuple[list[str], str]:
    """What zxing-cpp reads from a screenshot of the code, and the code the page says it drew then (taken
    again if the page drew the next code while the screenshot was taken)."""
    import zxingcpp

    while True:
        before = shown_code(page)[0]
        shot = Image.open(io.BytesIO(page.locator("#qr").screenshot()))
        if shown_code(page)[0] == before:
            return [barcode.text for barcode in zxingcpp.read_barcodes(shot.convert("L"))], before


def page_now_ms(page: Page) -> int:
    """The server's time as the page reckons it (its clock and the offset it keeps)."""
    return int(page.evaluate("async () => (await import('/m/static/portal.js')).serverNow()"))


def me(page: Page) -> dict[str, Any]:
    answer = page.request.get("/m/api/me")
    assert answer.ok, answer.text()
    return answer.json()


def persian(value: int) -> str:
    return to_persian_digits(f"{value:,}").replace(",", "٬")
