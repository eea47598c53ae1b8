# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's back-office flows in a real Chromium, with a real terminal (a `bashgah` data dir, through its
command line) syncing with the same server over HTTP."""

from __future__ import annotations

from pathlib import Path

import jdatetime
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from app.domain.digits import to_persian_digits
from sync.server.backoffice.texts import FA
from sync.server.clock import SystemClock
from sync.server.club import programme as club_programme
from sync.server.club.access import CONSOLE
from sync.server.club.act import Call
from tests.backoffice.club import DemoOffice, log_in
from tests.backoffice.terminal import TillProcess, enrol_till
from tests.server.club import enroll
from tests.server.test_backoffice_review import set_aside
from tests.support.browser import LiveServer, PageErrors


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
    points = before["balance"]["points"] + 250
    expect(page.get_by_test_id("points")).to_have_text(to_persian_digits(f"{points:,}").replace(",", "٬"))
    till.sync()
    assert till.json("member", "show", sample["phone"])["balance"]["points"] == points
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


def test_publish_a_rule_set_and_a_terminal_prices_by_it(
    page: Page, office: DemoOffice, till: TillProcess, page_errors: PageErrors
):
    sample = office.seeded["sample_members"][1]
    member_id = till.json("member", "show", sample["phone"])["member"]["id"]
    log_in(page, office, "marketing")
    page.goto("/admin/programme/edit")
    per_unit = page.get_by_label(f"THR: {FA['Points per unit']}")
    per_unit.fill(str(int(per_unit.input_value()) * 3 + 1))
    page.get_by_label(FA["Note (why this version)"]).fill("هفته امتیاز سه برابر")
    page.get_by_role("button", name=FA["Publish"]).click()
    expect(page.get_by_role("status")).to_be_visible()
    quoted = club_programme.quote(
        Call(office.db, SystemClock().now_us(), CONSOLE), branch_code="THR", amount_rials=25_000_000,
        member_id=member_id,
    )  # fmt: skip
    till.sync()
    sale = till.as_staff("sale", sample["phone"], "--amount", "25000000")
    assert sale["points_earned"] == quoted.points > 0
    assert till.json("rules", "show")["version"] == quoted.rules_version
    assert _no_errors(page_errors) == []


def test_create_an_event_and_admit_a_guest_at_a_terminal_door(
    page: Page, office: DemoOffice, till: TillProcess, page_errors: PageErrors
):
    guest = office.seeded["sample_members"][2]
    log_in(page, office, "manager")
    page.goto("/admin/events/new")
    page.get_by_label(FA["Name"], exact=True).fill("شب یلدای باشگاه")
    page.get_by_label(FA["Venue"]).fill("تالار مرکزی")
    today = jdatetime.date.today()
    page.get_by_label(FA["Starts on"]).fill(
        to_persian_digits(f"{today.year}/{today.month:02d}/{today.day:02d}")
    )
    page.get_by_label(FA["Starts at"]).fill("00:00")
    page.get_by_label(FA["Ends on"]).fill(
        to_persian_digits(f"{today.year}/{today.month:02d}/{today.day:02d}")
    )
    page.get_by_label(FA["Ends at"]).fill("23:59")
    page.get_by_role("button", name=FA["Create the event"]).click()
    expect(page.get_by_test_id("done")).to_be_visible()
    event_id = page.url.rstrip("/").split("/")[-1].split("?")[0]
    page.get_by_label(FA["A member: id, phone number or card number"]).fill(guest["phone"])
    page.get_by_role("button", name=FA["Invite"], exact=True).click()
    expect(page.get_by_test_id("invited-count")).to_have_text("۱")
    till.sync()
    host = next(s for s in office.seeded["staff"] if s["role"] == "host")
    admitted = till.json(
        "door",
        "admit",
        "--event",
        event_id,
        "--member",
        guest["phone"],
        "--staff",
        host["name"],
        "--pin",
        host["pin"],
    )
    assert admitted["verdict"] == "admit", admitted
    till.sync()
    expect(page.get_by_test_id("inside-count")).to_have_text("۱", timeout=30_000)  # the live list polls
    assert _no_errors(page_errors) == []


def test_erase_a_member_and_the_terminal_forgets_them(
    page: Page, office: DemoOffice, till: TillProcess, page_errors: PageErrors
):
    sample = office.seeded["sample_members"][3]
    shown = till.json("member", "show", sample["phone"])
    member_id = shown["member"]["id"]
    log_in(page, office)
    page.goto(f"/admin/members/{member_id}")
    page.get_by_text(FA["Erase this member"]).click()
    page.get_by_label(FA["Why (the member's request, its date)"]).fill("درخواست کتبی عضو")
    page.get_by_label(FA["I understand this cannot be undone"]).check()
    page.get_by_role("button", name=FA["Erase"], exact=True).click()
    expect(page.get_by_test_id("erased")).to_be_visible()
    till.sync()
    data = b"".join(p.read_bytes() for p in till.data_dir.glob("*.sqlite3*"))
    assert sample["name"].encode() not in data and sample["phone"].encode() not in data
    assert till.json("ledger", "verify")["ok"]
    assert _no_errors(page_errors) == []
