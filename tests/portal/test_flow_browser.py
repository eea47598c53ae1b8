# SPDX-License-Identifier: GPL-3.0-or-later
"""The member page against the real API, in the real browser: a demo club's member signs in with the code
the SMS provider (a real webhook receiver on loopback) got, sees their balance, history and phones, shows
a rotating code that terminals verify (phone_pass, with the club key the server publishes), which changes
at the next 30 s boundary (Playwright's clock), keeps working offline from the service worker with the
last balance marked as such, gets a new card when theirs is revoked, revokes another of their phones from
the list, pages through a long history, toggles consent, downloads the privacy export, passes axe-core in
the dark theme, and leaves nothing behind at sign-out.

Each test signs in a member of its own: a number gets one code a minute.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from app.cards import phone_pass
from app.domain.digits import to_persian_digits
from sync.protocol import b64decode
from sync.server.clock import SystemClock
from sync.server.club import member_file
from sync.server.club.access import CONSOLE
from sync.server.club.act import Call
from sync.server.models import BRANCH, CARD, CLUB_KEY, ENTRY, MEMBER
from tests.backoffice.club import DemoOffice
from tests.server.portal_support import code_in, send_sms, texts_to
from tests.support.browser import PageErrors, axe_violations, format_violations
from tests.support.sms_receiver import Receiver, sms_receiver


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


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with sms_receiver() as r:
        yield r


@pytest.fixture(scope="module")
def portal_app(office: DemoOffice) -> Any:
    app = office.app()
    app.state.portal_answer_floor_s = 0.0  # the sign-in answer's constant time is the API's own tests'
    return app


@pytest.fixture(scope="module")
def members(office: DemoOffice) -> list[Member]:
    """The demo's members with a phone, most history first."""
    with office.db.read() as conn:
        rows = conn.execute(
            select(MEMBER.c.id, MEMBER.c.name, MEMBER.c.phone, func.count(ENTRY.c.id))
            .select_from(MEMBER.outerjoin(ENTRY, ENTRY.c.member_id == MEMBER.c.id))
            .where(MEMBER.c.phone.is_not(None))
            .group_by(MEMBER.c.id)
            .order_by(func.count(ENTRY.c.id).desc(), MEMBER.c.id)
        ).all()
    return [Member(*row) for row in rows]


_taken: set[str] = set()


def a_member(members: list[Member], index: int) -> Member:
    member = members[index]
    assert member.id not in _taken, "one member a test: a number gets one code a minute"
    _taken.add(member.id)
    return member


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
    expect(page.locator("#qr")).to_have_attribute("data-text", _digits_461())


def _digits_461() -> re.Pattern[str]:
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


def test_a_member_signs_in_and_sees_their_club(
    page: Page, page_errors: PageErrors, office: DemoOffice, receiver: Receiver, members: list[Member]
):
    member = a_member(members, 0)
    page.goto("/m/")
    page.wait_for_selector("body[data-ready='1']")
    page.get_by_label("شمارهٔ همراه").fill("12")
    page.get_by_role("button", name="فرستادن کد").click()
    expect(page.get_by_role("alert").first).to_contain_text("شماره")  # the API's phone_invalid, in words
    page_errors.http.clear()
    page_errors.console.clear()  # Chromium logs the 400 too

    sign_in(page, office, receiver, member)
    answer = me(page)
    expect(page.locator("#points")).to_have_text(persian(answer["points"]))
    wallet = answer["wallet_rials"]
    expect(page.locator("#wallet")).to_contain_text(persian(wallet // 10))
    expect(page.locator("#wallet")).to_contain_text("تومان")
    expect(page.locator("#tier")).to_have_text(answer["tier"]["name"])
    expect(page.locator("#greeting")).to_contain_text(member.name)

    expect(page.locator("#stale")).to_be_hidden()

    page.get_by_text("تاریخچه").click()
    expect(page.locator("#history li[data-id]")).to_have_count(min(member.entries, 20))
    # dates are Jalali in Persian digits (1405/08/04), amounts in Toman
    jalali = re.compile("۱۴[۰-۹]{2}/[۰-۹]{2}/[۰-۹]{2}")
    expect(page.locator("#history li[data-id]").first).to_contain_text(jalali)
    page.get_by_text("گوشی‌های من").click()
    mine = page.locator("#phones li", has_text="این گوشی")
    expect(mine).to_have_count(1)
    expect(mine).to_have_attribute("data-status", "active")
    page.get_by_text("جایزه‌ها و اشتراک‌ها").click()
    page.get_by_text("دعوت‌نامه‌ها").click()
    expect(page.locator("#rewards li").first).to_be_visible()
    expect(page.locator("#invitations li").first).to_be_visible()

    text, step = shown_code(page)
    verified = phone_pass.verify_phone_code(text, club_keys(office), SystemClock().now_us())
    assert verified.certificate.card_number == mine.get_attribute("data-card")
    assert verified.certificate.member_id == member.id
    assert verified.step == step
    found, drawn = decoded(page)
    assert found == [drawn]

    page.get_by_role("button", name="English").click()
    english = page.request.get("/m/api/me", headers={"Accept-Language": "en"}).json()
    expect(page.locator("#tier")).to_have_text(english["tier"]["name"])  # asked again, in English
    expect(page.locator("#points")).to_have_text(f"{english['points']:,}")
    expect(page.locator("#history li[data-id]").first).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
    page.evaluate("() => document.fonts.ready")
    assert page_errors.messages == []


def test_a_wrong_code_and_too_many_asks_are_told_in_words(
    page: Page, page_errors: PageErrors, office: DemoOffice, receiver: Receiver, members: list[Member]
):
    member = a_member(members, 1)
    page.goto("/m/")
    page.wait_for_selector("body[data-ready='1']")
    page.get_by_label("شمارهٔ همراه").fill(member.typed)
    page.get_by_role("button", name="فرستادن کد").click()
    code_box = page.get_by_label("کد شش‌رقمی")
    expect(code_box).to_have_attribute("autocomplete", "one-time-code")
    expect(code_box).to_have_attribute("inputmode", "numeric")
    assert send_sms(office.db, receiver, SystemClock()).sent == 1
    code = code_in(texts_to(receiver, member.phone)[-1])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    code_box.fill(wrong)
    page.get_by_role("button", name="ورود").click()
    expect(page.locator("#sign-in-error")).to_have_text("کد درست نیست. دوباره بنویسید.")
    expect(page.locator("#resend")).to_be_disabled()  # a new code after a minute
    page.get_by_role("button", name="شمارهٔ دیگر").click()
    page.get_by_role("button", name="فرستادن کد").click()  # the same number again, at once
    expect(page.locator("#sign-in-error")).to_contain_text("تلاش‌ها بیش از اندازه بود")
    # the two refusals, and nothing else went wrong
    assert [line.split("/m/api/")[0].split()[1] + line.split("/m/api/")[1] for line in page_errors.http] == [
        "400:verify",
        "429:sign-in",
    ]
    assert page_errors.uncaught == []


def test_the_code_changes_at_the_next_30_s_boundary_and_works_offline_with_the_last_balance(
    context: BrowserContext, page: Page, office: DemoOffice, receiver: Receiver, members: list[Member]
):
    member = a_member(members, 2)
    page.clock.install()  # the page's timers and Date follow the test's clock from here on
    sign_in(page, office, receiver, member)
    keys = club_keys(office)
    # jump to 5 s into the next step and stand still there until the test moves time on
    local_ms, server_ms = page.evaluate(
        "async () => { const m = await import('/m/static/portal.js'); return [Date.now(), m.serverNow()]; }"
    )
    step = server_ms // 30_000 + 1
    page.clock.pause_at((local_ms + step * 30_000 + 5_000 - server_ms) / 1000)  # Unix seconds
    expect(page.locator("#qr")).to_have_attribute("data-step", str(step))
    text = shown_code(page)[0]
    assert (step + 1) * 30_000 - page_now_ms(page) == 25_000
    page.clock.run_for(24_400)  # the last second of the step: the same code
    expect(page.locator("#countdown")).to_have_text("کد تازه تا ۱ ثانیهٔ دیگر")
    assert shown_code(page) == (text, step)
    page.clock.run_for(1_000)  # past the boundary: a new code
    expect(page.locator("#qr")).to_have_attribute("data-step", str(step + 1))
    later, later_step = shown_code(page)
    assert later != text and later_step == step + 1
    # a terminal whose clock agrees with the server's (as the page's does, through the offset) takes it
    assert phone_pass.verify_phone_code(later, keys, page_now_ms(page) * 1000).step == step + 1
    assert decoded(page) == ([later], later)  # the clock stands still: still this code
    page.clock.resume()

    points = me(page)["points"]
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    try:
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        expect(page.locator("#stale")).to_be_visible()
        expect(page.locator("#stale")).to_contain_text("آخرین موجودی، ساعت")
        expect(page.locator("#points")).to_have_text(persian(points))
        expect(page.locator("#status")).to_have_text("اتصال برقرار نیست.")
        expect(page.locator("#qr")).to_have_attribute("data-text", _digits_461())
        offline_text, offline_step = shown_code(page)
        now_us = page_now_ms(page) * 1000
        assert phone_pass.verify_phone_code(offline_text, keys, now_us).step == offline_step
        found, drawn = decoded(page)
        assert found == [drawn]
        page.get_by_text("تاریخچه").click()
        expect(page.locator("#history")).to_have_text("بدون اتصال در دسترس نیست.")
    finally:
        context.set_offline(False)
    expect(page.locator("#stale")).to_be_hidden()  # online again: the fresh answer replaces the old
    expect(page.locator("#status")).to_be_hidden()


def test_a_revoked_card_is_replaced_and_sign_out_leaves_nothing(
    page: Page, page_errors: PageErrors, office: DemoOffice, receiver: Receiver, members: list[Member]
):
    member = a_member(members, 3)
    sign_in(page, office, receiver, member)
    first = phone_pass.parse_phone_code(shown_code(page)[0]).certificate.card_number
    # revoked elsewhere (another phone of theirs, the back office): the page makes a new key and card
    origin = page.evaluate("() => location.origin")
    gone = page.request.delete(f"/m/api/phones/{first}", headers={"X-Bashgah": "1", "Origin": origin})
    assert gone.status == 204, gone.text()
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    expect(page.locator("#qr")).to_have_attribute("data-card", re.compile(r"^\d{16}$"))
    expect(page.locator("#qr")).not_to_have_attribute("data-card", first)
    second = phone_pass.parse_phone_code(shown_code(page)[0]).certificate.card_number
    assert second != first and card_status(office, second) == "active"
    assert card_status(office, first) == "revoked"
    phone_pass.verify_phone_code(shown_code(page)[0], club_keys(office), SystemClock().now_us())

    page.get_by_role("button", name="خروج").click()
    expect(page.get_by_label("شمارهٔ همراه")).to_be_visible()
    stored = page.evaluate(
        """async () => {
            const m = await import('/m/static/portal.js');
            return {keys: Object.keys(localStorage), credential: (await m.loadCredential()) ?? null,
                    qr: document.getElementById('qr').dataset.text ?? null};
        }"""
    )
    assert stored == {"keys": [], "credential": None, "qr": None}
    assert card_status(office, second) == "revoked"  # the phone's card went with its key
    assert page.request.get("/m/api/me").status == 401
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    expect(page.locator("body")).to_have_attribute("data-view", "sign-in")
    assert page_errors.messages == []


@pytest.mark.browser_context_args(bypass_csp=True, color_scheme="dark")  # axe-core is injected as a script
def test_axe_finds_nothing_serious_on_the_signed_in_page_in_the_dark(
    page: Page, office: DemoOffice, receiver: Receiver, members: list[Member]
):
    sign_in(page, office, receiver, a_member(members, 4))
    for name in ("تاریخچه", "دعوت‌نامه‌ها", "جایزه‌ها و اشتراک‌ها", "گوشی‌های من", "تنظیمات و حریم خصوصی"):
        page.get_by_text(name, exact=True).click()
    expect(page.locator("#phones li[data-card]")).to_have_count(1)
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
    # the code stays black on white in the dark theme: a scanner wants dark modules on a light ground
    corner = page.evaluate(
        "() => Array.from(document.getElementById('qr').getContext('2d').getImageData(0, 0, 1, 1).data)"
    )
    assert corner == [255, 255, 255, 255]


def test_consent_is_toggled_and_the_privacy_export_downloads(
    page: Page, page_errors: PageErrors, office: DemoOffice, receiver: Receiver, members: list[Member]
):
    member = a_member(members, 5)
    sign_in(page, office, receiver, member)
    page.get_by_text("تنظیمات و حریم خصوصی", exact=True).click()
    box = page.get_by_label("پیام‌های تبلیغاتی باشگاه را می‌خواهم")
    before = me(page)["consent"]["marketing"]
    expect(box).to_be_checked(checked=before)
    box.click()
    expect(page.locator("#consent-note")).to_contain_text("در همین صفحه")
    expect(box).to_be_checked(checked=not before)
    assert me(page)["consent"]["marketing"] is (not before)

    with page.expect_download() as download:
        page.get_by_text("همان، به JSON").click()
    saved = download.value
    assert saved.suggested_filename == "bashgah-my-data.json"
    assert member.id in Path(saved.path()).read_text(encoding="utf-8")
    with page.expect_download() as download:
        page.get_by_text("دریافت همهٔ داده‌های من (PDF)").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    assert page_errors.messages == []


def test_another_phone_of_the_member_is_revoked_from_the_list(
    page: Page, page_errors: PageErrors, office: DemoOffice, receiver: Receiver, members: list[Member]
):
    sign_in(page, office, receiver, a_member(members, 6))
    # the member's other phone, certified through the same API (its key made here, as its browser would)
    other_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = other_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    public_key = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    origin = page.evaluate("() => location.origin")
    added = page.request.post(
        "/m/api/phones",
        data={"public_key": public_key, "label": "Firefox · Android"},
        headers={"X-Bashgah": "1", "Origin": origin},
    )
    assert added.status == 201, added.text()
    other = added.json()["card_number"]
    page.get_by_text("گوشی‌های من", exact=True).click()
    row = page.locator(f"#phones li[data-card='{other}']")
    expect(row).to_contain_text("Firefox · Android")
    expect(page.locator("#phones li", has_text="این گوشی").get_by_role("button")).to_have_count(0)
    row.get_by_role("button", name="باطل کردن").click()
    expect(row).to_have_attribute("data-status", "revoked")
    expect(row.get_by_role("button")).to_have_count(0)
    assert card_status(office, other) == "revoked"
    mine = str(page.locator("#qr").get_attribute("data-card"))
    assert card_status(office, mine) == "active"  # this phone's card is untouched
    assert page_errors.messages == []


def test_the_history_comes_twenty_at_a_time(
    page: Page, page_errors: PageErrors, office: DemoOffice, receiver: Receiver, members: list[Member]
):
    member = a_member(members, 7)
    with office.db.read() as conn:
        branch = str(conn.execute(select(BRANCH.c.id).order_by(BRANCH.c.code)).scalars().first())
    for points in range(1, 26):  # 25 adjustments by the office, newest last: +25 comes first
        call = Call(office.db, SystemClock().now_us(), CONSOLE)
        member_file.adjust_points(call, member.id, points, "goodwill", branch)
    sign_in(page, office, receiver, member)
    page.get_by_text("تاریخچه", exact=True).click()
    rows = page.locator("#history li[data-id]")
    expect(rows).to_have_count(20)
    expect(rows.first).to_contain_text("اصلاح")
    expect(rows.first.locator(".side")).to_have_text("+۲۵")
    page.get_by_role("button", name="بیشتر").click()
    expect(rows).to_have_count(25 + member.entries)
    expect(page.get_by_role("button", name="بیشتر")).to_be_hidden()
    ids = [int(str(row.get_attribute("data-id"))) for row in rows.all()]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)  # newest first, none twice
    assert page_errors.messages == []
