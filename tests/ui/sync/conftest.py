# SPDX-License-Identifier: GPL-3.0-or-later
"""The window of an enrolled terminal against a real club server process.

The server and its enrolment come from the sync integration tests (a `bashgah-server` process on a copy
of a migrated SQLite database with two branches, a manager and an admin token); here a cashier is added,
a till enrols through the real path, and its window starts with the sync worker running. Every window is
closed, and its sync worker joined, before the server stops.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.cards.simulated import SimulatedReader
from app.domain.member import Member
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.staff_auth import authenticate
from app.services.terminal import Terminal
from sync.client import SyncClient
from tests.integration.sync import conftest as sync_fixtures

server_template = sync_fixtures.server_template
club_server = sync_fixtures.club_server
ClubServer = sync_fixtures.ClubServer
MANAGER_NAME, MANAGER_PIN = sync_fixtures.MANAGER_NAME, sync_fixtures.MANAGER_PIN
CASHIER_NAME, CASHIER_PIN = "Cashier Cyrus", "1357"
WAIT_MS = 15_000  # a round against a local server takes milliseconds; this is only the give-up time


@dataclass
class Till:
    server: ClubServer
    terminal: Terminal
    client: SyncClient
    member: Member  # 1,000 points, sold to here (so the worker keeps their grant fresh)


@pytest.fixture
def till(club_server: ClubServer, tmp_path: Path) -> Till:
    club_server.admin("POST", "/staff", json={"name": CASHIER_NAME, "role": "cashier", "pin": CASHIER_PIN})
    terminal, client = club_server.enroll(tmp_path / "till")
    member = enroll_member(terminal, EnrollRequest(name="نسرین کاظمی", phone="09121110000")).member
    record_sale(terminal, SaleRequest(member.id, 100_000_000))
    return Till(club_server, terminal, client, member)


@pytest.fixture
def open_window(qapp, till: Till) -> Iterator[Callable[..., object]]:
    """open_window(lang="fa", staff=CASHIER_NAME) → the till's RunningWindow, logged in, sync started."""
    from app.ui.app import start_window

    opened = []

    def open_(lang: str = "fa", staff: str = CASHIER_NAME) -> object:
        readers = [SimulatedReader("Test reader")]
        running = start_window(till.terminal, readers, lang=lang, sync_client=till.client)
        opened.append(running)
        pin = CASHIER_PIN if staff == CASHIER_NAME else MANAGER_PIN
        running.ctx.session.log_in(authenticate(till.terminal, staff, pin))
        running.window.show_idle()
        return running

    yield open_
    for running in opened:
        running.close()
        assert running.sync is not None and not running.sync.is_running()  # joined, not left behind


def wait_status(qtbot, running, check, then=None):
    """Run `then` (if any) and wake the worker; the first status that passes `check`."""
    with qtbot.waitSignal(running.sync.status_changed, timeout=WAIT_MS, check_params_cb=check) as blocker:
        if then is not None:
            then()
        running.sync.wake()
    return blocker.args[0]


def open_checkout(qtbot, running, member_id, toman="1000000"):
    """The member's screen, then checkout once its spend limit is in, with `toman` typed as the amount."""
    from PySide6.QtTest import QTest

    window = running.window
    with qtbot.waitSignal(window.member_shown, timeout=WAIT_MS):
        window.open_member(member_id)
    checkout = window.checkout
    with qtbot.waitSignal(checkout.spend_limit_loaded, timeout=WAIT_MS):
        window.start_checkout()
    QTest.keyClicks(checkout.amount_edit, toman)
    return checkout
