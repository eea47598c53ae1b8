# SPDX-License-Identifier: GPL-3.0-or-later
"""The phone as a card, end to end, with every part real: the member signs in on the member page in
Chromium with the code the SMS provider (a webhook receiver on loopback) got; the QR the page draws is
decoded from its screenshot with zxing-cpp and typed into a door's window (Qt, offscreen) as a keyboard-wedge
scanner types it. The door is a terminal enrolled with the same club server over HTTP that pulled the
phone's card and the club's phone key. The code admits; the same code again is refused as used; two minutes
later it is refused as expired; once the member removes the phone on the page and the door syncs, it is
refused as revoked. And a sale at that terminal, once synced, shows on the member's page.

The door's clock is held at the moment the code was read (then moved), so that a busy machine's pauses
cannot push the code out of its window while the test runs."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
import requests
from playwright.sync_api import Page, expect
from PySide6.QtTest import QTest

from app.cards import phone_pass
from app.cards.simulated import SimulatedReader
from app.domain.errors import ClubError
from app.domain.event import Verdict
from app.messages import message
from app.services.checkout import SaleRequest, record_sale
from app.services.device_enrollment import enroll_device
from app.services.staff_auth import authenticate
from sync.client import HttpEnrollment, SyncClient
from sync.server.auth import create_admin_token
from sync.server.clock import SystemClock
from tests.backoffice.club import DemoOffice
from tests.portal.test_flow_browser import (  # noqa: F401  (fixtures)
    Member,
    decoded,
    me,
    members,
    page_now_ms,
    persian,
    portal_app,
    receiver,
    sign_in,
)
from tests.server.portal_support import send_sms
from tests.support.sms_receiver import Receiver
from tests.ui.keys import scan
from tests.ui.test_door import screen

HOST_NAME, HOST_PIN = "Host Hana", "1357"
HOUR_US = 3600 * 1_000_000
WAIT_MS = 15_000


class HeldClock:
    """The system clock, or a moment the test holds it at."""

    def __init__(self) -> None:
        self.held_us: int | None = None

    def now_us(self) -> int:
        return self.held_us if self.held_us is not None else time.time_ns() // 1000


@dataclasses.dataclass
class Door:
    terminal: Any
    client: SyncClient
    clock: HeldClock
    event_id: str


def _admin(office: DemoOffice, url: str) -> Any:
    token = office.db.write(lambda conn: create_admin_token(conn, "end to end", "admin", 0))[1]

    def call(method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        answer = requests.request(method, f"{url}/v1/admin{path}", headers=headers, timeout=30, **kwargs)
        assert answer.status_code < 300, answer.text
        return answer.json()

    return call


@pytest.fixture
def door_for(office: DemoOffice, live_server: Any, tmp_path: Path) -> Any:
    def make(member: Member) -> Door:
        admin = _admin(office, live_server.url)
        now = time.time_ns() // 1000
        event = admin(
            "POST",
            "/events",
            json={"name": "Phone night", "starts_at_us": now - HOUR_US, "ends_at_us": now + 5 * HOUR_US},
        )
        invited = admin("POST", f"/events/{event['id']}/invitations", json={"member_ids": [member.id]})
        assert [r["outcome"] for r in invited["results"]] == ["invited"], invited
        admin("POST", "/staff", json={"name": HOST_NAME, "role": "host", "pin": HOST_PIN})
        code = admin("POST", "/enrollment-codes", json={"branch_code": "THR"})["code"]
        clock = HeldClock()
        _enrolment, terminal = enroll_device(
            tmp_path / "door",
            server_url=live_server.url,
            code=code,
            server=HttpEnrollment(),
            catch_up=lambda db: SyncClient(db).pull(),
            clock=clock,
        )
        return Door(terminal, SyncClient(terminal.db, clock=clock), clock, event["id"])

    return make


@pytest.fixture
def door_window(qapp, qtbot) -> Iterator[Any]:
    from app.ui.app import start_window

    opened: list[Any] = []

    def open_(door: Door) -> Any:
        running = start_window(door.terminal, [SimulatedReader("Test reader")], lang="fa")
        opened.append(running)
        window = running.window
        host = authenticate(door.terminal, HOST_NAME, HOST_PIN)
        running.ctx.session.log_in(host)
        window.login.logged_in.emit(host)  # what the login view does after the PIN
        qtbot.waitUntil(lambda: window._door is not None, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: not running.ctx.tasks.busy(), timeout=WAIT_MS)
        if window.door.current_event() is None or window.door.current_event().id != door.event_id:
            window.door.choose_event(door.event_id)  # the demo club may have an event open tonight too
        qtbot.waitUntil(lambda: window.door.current_event().id == door.event_id, timeout=WAIT_MS)
        window.activateWindow()
        qtbot.waitExposed(window)
        return running

    yield open_
    for running in opened:
        QTest.qWait(50)
        running.close()


def _scanned(qtbot, running: Any, text: str) -> tuple[str, str]:
    """The door's verdict and its detail after a scanner typed `text` into the window."""
    view = running.window.door
    with qtbot.waitSignal(view.verdict_shown, timeout=WAIT_MS) as shown:
        scan(running.window.windowHandle(), text)
    # spaces aside: the door groups the card's digits in fours
    return shown.args[0], str(screen(running)["detail"]).replace(" ", "")


def _refusal(code: str, card: str) -> str:
    from tests.ui.test_door import plain

    return plain(message(ClubError(code, card=card), "fa")).replace(" ", "")


def test_the_qr_a_browser_shows_admits_at_a_door_once_then_expires_and_is_revoked(  # noqa: PLR0917
    qtbot,
    page: Page,
    office: DemoOffice,
    receiver: Receiver,  # noqa: F811
    members: list[Member],  # noqa: F811
    door_for: Any,
    door_window: Any,
):
    member = members[0]
    door = door_for(member)
    send_sms(office.db, receiver, SystemClock())  # the invitation's own message goes first
    sign_in(page, office, receiver, member)
    read, drawn = decoded(page)
    assert read == [drawn]  # what a scanner reads off the screen is what the page meant
    # the middle of the code's own time step (the server's time, as the page reckons it)
    step = phone_pass.resolve_step(phone_pass.parse_phone_code(drawn).step, page_now_ms(page) * 1000)
    moment_us = (step * phone_pass.STEP_SECONDS + phone_pass.STEP_SECONDS // 2) * 1_000_000
    assert door.client.sync_round().ok  # the phone's card and the club's phone key reach the door

    running = door_window(door)
    door.clock.held_us = moment_us
    verdict, _detail = _scanned(qtbot, running, read[0])
    assert verdict == Verdict.ADMIT.value
    assert screen(running)["name"] == member.name
    card = next(c for c in _cards(door, member.id) if c.kind == "phone").number

    verdict, detail = _scanned(qtbot, running, read[0])
    assert (verdict, detail) == (Verdict.CARD_REFUSED.value, _refusal("card_phone_code_replayed", card))

    door.clock.held_us = moment_us + 120 * 1_000_000  # two minutes on
    verdict, detail = _scanned(qtbot, running, read[0])
    assert (verdict, detail) == (Verdict.CARD_REFUSED.value, _refusal("card_phone_code_expired", card))

    # the member removes this phone on the page; the door syncs
    door.clock.held_us = moment_us
    origin = page.evaluate("() => location.origin")
    gone = page.request.delete(f"/m/api/phones/{card}", headers={"X-Bashgah": "1", "Origin": origin})
    assert gone.status == 204, gone.text()
    assert door.client.sync_round().ok
    verdict, detail = _scanned(qtbot, running, read[0])
    assert (verdict, detail) == (Verdict.CARD_REFUSED.value, _refusal("card_phone_revoked", card))

    # a sale at this terminal, once synced, is on the member's page
    door.clock.held_us = None
    before = me(page)["points"]
    sale = record_sale(door.terminal, SaleRequest(member.id, 5_000_000))
    assert sale.points_earned > 0
    assert door.client.sync_round().ok
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    # what the sale brought (its points, and a birthday bonus when the demo's member has one near): the
    # terminal's balance after it, which the server's now is
    assert sale.balance.points > before
    assert me(page)["points"] == sale.balance.points
    expect(page.locator("#points")).to_have_text(persian(sale.balance.points))


def _cards(door: Door, member_id: str) -> list[Any]:
    from app.store import members as member_store

    with door.terminal.db.read() as conn:
        return member_store.cards_of(conn, member_id)
