# SPDX-License-Identifier: GPL-3.0-or-later
"""The window's sync worker against a real club server process: a sale made in the window reaches the
server and the status bar says synced; the server going away and coming back; a revoked terminal; the
grant of a member identified here."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.format import datetime_text
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.store import grants, ledger
from tests.ui.sync.conftest import WAIT_MS, open_checkout, wait_status


def points(terminal, member_id):
    with terminal.db.read() as conn:
        return ledger.balance(conn, member_id).points


def synced(status):
    return status.online and status.synced


def sell_in_the_window(qtbot, running, member_id, toman):
    checkout = open_checkout(qtbot, running, member_id, toman)
    with qtbot.waitSignal(checkout.sale_recorded, timeout=WAIT_MS) as recorded:
        QTest.keyClick(checkout.amount_edit, Qt.Key.Key_Return)
    return recorded.args[0]


def test_a_sale_in_the_window_reaches_the_server_and_the_status_says_synced(qtbot, till, open_window, lang):
    running = open_window(lang)
    bar = running.window.status
    before = wait_status(qtbot, running, synced)  # the till's member and first sale went out at start
    assert bar.server_label.text() == bar.tr("Server: online")

    def sale_synced(status):  # the cursor moves only when the server sequenced something new: the sale
        return synced(status) and status.cursor > before.cursor

    # the sale wakes the worker: its entry goes out without waiting for the next tick (30 s)
    with qtbot.waitSignal(running.sync.status_changed, timeout=WAIT_MS, check_params_cb=sale_synced):
        result = sell_in_the_window(qtbot, running, till.member.id, "250000")
    assert result.points_earned == 25
    assert till.server.member(till.member.id)["points"] == points(till.terminal, till.member.id) == 1_025
    assert bar.unsynced_label.text() == bar.tr("Synced")
    assert bar.set_aside_label.isHidden()


def test_the_status_follows_the_server_going_away_and_coming_back(qtbot, till, open_window):
    running = open_window()
    bar = running.window.status
    before = wait_status(qtbot, running, synced)
    offline = wait_status(qtbot, running, lambda s: s.online is False, then=till.server.process.stop)
    assert offline.last_sync_us >= before.last_sync_us  # the last pull that reached the end
    when = datetime_text(offline.last_sync_us, "fa")
    assert bar.server_label.text() == bar.tr("Server: offline since {time}").format(time=when)
    # a sale made offline waits, and is counted
    record_sale(till.terminal, SaleRequest(till.member.id, 1_000_000))
    waiting = wait_status(qtbot, running, lambda s: s.online is False and s.unsynced == 1)
    assert not waiting.synced
    back = wait_status(qtbot, running, synced, then=till.server.process.start)
    assert back.unsynced == 0
    assert bar.server_label.text() == bar.tr("Server: online")
    assert bar.unsynced_label.text() == bar.tr("Synced")


def test_a_revoked_terminal_says_so_and_its_worker_stops(qtbot, till, open_window):
    running = open_window()
    wait_status(qtbot, running, synced)
    till.server.admin("POST", f"/devices/{till.terminal.device_id}/revoke")
    with qtbot.waitSignal(running.sync.stopped, timeout=WAIT_MS) as stopped:
        running.sync.wake()
    assert stopped.args == ["device_revoked"]
    qtbot.waitUntil(lambda: not running.sync.is_running(), timeout=WAIT_MS)
    bar = running.window.status
    revoked = bar.tr("Server: revoked by the club (offline)")
    assert bar.server_label.text() == revoked
    # the counter goes on: a sale is still recorded here (earning needs no server)
    record_sale(till.terminal, SaleRequest(till.member.id, 1_000_000))


def test_a_member_identified_here_gets_a_grant_at_the_next_round(qtbot, till, open_window, tmp_path):
    other, other_client = till.server.enroll(tmp_path / "till-2", branch="ISF")
    member = enroll_member(other, EnrollRequest(name="Reza", phone="09351234567")).member
    record_sale(other, SaleRequest(member.id, 50_000_000))  # sold there, never here
    assert other_client.sync_round().ok
    running = open_window()
    wait_status(qtbot, running, synced)  # this till has pulled the member
    with till.terminal.db.read() as conn:
        assert grants.grant_for(conn, member.id) is None  # nobody asked for one here
    with qtbot.waitSignal(running.window.member_shown, timeout=WAIT_MS):
        running.window.open_member(member.id)
    with qtbot.waitSignal(running.sync.round_finished, timeout=WAIT_MS, check_params_cb=lambda r: r.grants):
        running.sync.wake()
    with till.terminal.db.read() as conn:
        grant = grants.grant_for(conn, member.id)
    assert grant is not None and grant.points > 0


def test_the_composition_root_builds_a_client_only_for_an_enrolled_terminal(till, club):
    from app.__main__ import sync_client_for

    client = sync_client_for(till.terminal)
    assert client is not None and client.db is till.terminal.db
    assert sync_client_for(club.terminal) is None  # the demo stays its own authority, offline
