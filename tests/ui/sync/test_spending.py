# SPDX-License-Identifier: GPL-3.0-or-later
"""Spending points in the window of an enrolled terminal, against a real club server: online the server
authorises within the branch's cap on the balance; offline the cap is the member's grant; beyond it a
manager overrides with PIN and reason (the sale is written with an override entry); a restricted member
gets a red refusal and no override.

The till's member holds 1,000 points and, after the first round, a grant of 300 (30 %). A sale of
1,000,000 Toman lets the THR branch discount up to 50 %: 1,000 points at 1,000 rials each.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.domain.errors import ClubError
from app.domain.ledger import EntryKind
from app.store import grants, ledger, sync_state
from app.ui.dialogs.manager import OverrideDialog
from app.ui.messages import club_error_text
from app.ui.widgets.banner import BannerKind
from tests.ui.sync.conftest import MANAGER_NAME, MANAGER_PIN, WAIT_MS, open_checkout, wait_status

GRANT = 300


def synced_with_grant(till):
    def check(status):
        with till.terminal.db.read() as conn:
            held = grants.grant_for(conn, till.member.id)
        return status.online and status.synced and held is not None and held.for_entry is None

    return check


def online_with_grant(qtbot, till, open_window):
    running = open_window()
    wait_status(qtbot, running, synced_with_grant(till))
    return running


def go_offline(qtbot, till, running):
    wait_status(qtbot, running, lambda s: s.online is False, then=till.server.process.stop)


def entries_of(till, result):
    with till.terminal.db.read() as conn:
        return [ledger.get(conn, entry_id) for entry_id in result.entry_ids]


def override_dialog(qtbot, running):
    dialog = running.window.findChild(OverrideDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.approval.approver is not None, timeout=WAIT_MS)  # staff read on the worker
    assert dialog.approval.approver.name == MANAGER_NAME  # the cashier may not: the first who may is chosen
    return dialog


def approve(qtbot, dialog, pin=MANAGER_PIN, reason="a regular, known to the manager"):
    dialog.approval.reason_edit.setText(reason)
    dialog.approval.pin_edit.setText(pin)
    QTest.keyClick(dialog.approval.pin_edit, Qt.Key.Key_Return)


def test_online_the_server_authorises_spending_within_the_branch_cap_on_the_balance(qtbot, till, open_window):
    running = online_with_grant(qtbot, till, open_window)
    checkout = open_checkout(qtbot, running, till.member.id)
    assert checkout.redeem_cap == checkout.branch_cap == 1_000  # not the 300 of the offline grant
    assert checkout.spend_banner.isHidden() and checkout.override_button.isHidden()
    checkout.points_spin.setValue(800)
    with qtbot.waitSignal(checkout.sale_recorded, timeout=WAIT_MS) as recorded:
        QTest.keyClick(checkout.amount_edit, Qt.Key.Key_Return)
    result = recorded.args[0]
    assert result.points_redeemed == 800 and len(result.entry_ids) == 2  # no override needed
    wait_status(qtbot, running, lambda s: s.synced and s.unsynced == 0)
    assert till.server.member(till.member.id)["points"] == result.balance.points


def test_offline_the_cap_is_the_grant_and_a_manager_may_lift_it_before_the_sale(qtbot, till, open_window):
    running = online_with_grant(qtbot, till, open_window)
    go_offline(qtbot, till, running)
    checkout = open_checkout(qtbot, running, till.member.id)
    assert checkout.branch_cap == 1_000 and checkout.redeem_cap == GRANT
    assert checkout.spend_banner.kind() is BannerKind.WARNING and checkout.override_button.isVisible()
    QTest.keyClick(checkout, Qt.Key.Key_F8)
    dialog = override_dialog(qtbot, running)
    with qtbot.waitSignal(dialog.override_approved, timeout=WAIT_MS):
        approve(qtbot, dialog)
    assert checkout.redeem_cap == 1_000 and checkout.spend_banner.kind() is BannerKind.INFO
    assert MANAGER_NAME in checkout.spend_banner.title_label.text()
    checkout.points_spin.setValue(600)
    with qtbot.waitSignal(checkout.sale_recorded, timeout=WAIT_MS) as recorded:
        QTest.keyClick(checkout.amount_edit, Qt.Key.Key_Return)
    kinds = [entry.kind for entry in entries_of(till, recorded.args[0])]
    assert kinds == [EntryKind.EARN, EntryKind.REDEEM, EntryKind.OVERRIDE]


def test_a_sale_refused_for_the_offline_limit_is_recorded_with_a_managers_override(qtbot, till, open_window):
    running = online_with_grant(qtbot, till, open_window)
    last_word = running.sync.status
    running.sync.stop()  # its last word stays "online": the server goes away without the window knowing
    till.server.process.stop()
    checkout = open_checkout(qtbot, running, till.member.id)
    assert checkout.redeem_cap == 1_000
    checkout.points_spin.setValue(500)
    with qtbot.waitSignal(checkout.refused, timeout=WAIT_MS) as refused:
        # the server does not answer: the grant decides
        QTest.keyClick(checkout.amount_edit, Qt.Key.Key_Return)
    assert refused.args == ["offline_limit"]
    assert checkout.awaiting_manager and checkout.override_button.isVisible()
    assert checkout.amount_edit.isReadOnly() and checkout.points_spin.value() == 500  # kept as refused
    running.sync.status_changed.emit(replace(last_word, online=False))  # the status bar learns it
    assert checkout.points_spin.value() == 500  # not clamped to the grant while the manager comes
    QTest.keyClick(checkout, Qt.Key.Key_F8)
    dialog = override_dialog(qtbot, running)
    assert "۵۰۰" in dialog.intro_label.text()  # the manager sees what this sale spends
    approve(qtbot, dialog, pin="0000")  # a wrong PIN: refused in the dialog (and counted towards the lockout)
    qtbot.waitUntil(dialog.approval.message_label.isVisible, timeout=WAIT_MS)
    assert dialog.isVisible() and not checkout.spend_override
    with qtbot.waitSignal(checkout.sale_recorded, timeout=WAIT_MS) as recorded:
        approve(qtbot, dialog)  # the right PIN: the waiting sale is recorded at once
    result = recorded.args[0]
    sale, redeem, override = entries_of(till, result)
    assert (redeem.kind, redeem.points_delta) == (EntryKind.REDEEM, -500)
    assert override.kind is EntryKind.OVERRIDE and override.points_delta == 0
    assert override.reason == "a regular, known to the manager"
    assert override.staff_id == checkout.spend_override.manager.id != sale.staff_id
    # the history says who allowed it; once the server is back, it agrees
    with qtbot.waitSignal(running.window.member_shown, timeout=WAIT_MS):
        running.window.open_member(till.member.id)
    view, table = running.window.member, running.window.member.history_table
    whats = lambda: [table.item(row, view.WHAT).text() for row in range(table.rowCount())]  # noqa: E731
    qtbot.waitUntil(lambda: view.tr("Manager override") in whats(), timeout=WAIT_MS)  # filled after the face
    till.server.process.start()
    assert till.client.sync_round().ok
    assert till.server.member(till.member.id)["points"] == result.balance.points


def test_a_restricted_member_is_refused_in_red_with_no_override(qtbot, till, open_window):
    running = online_with_grant(qtbot, till, open_window)
    go_offline(qtbot, till, running)
    checkout = open_checkout(qtbot, running, till.member.id)
    checkout.points_spin.setValue(100)  # within the grant
    with till.terminal.db.write() as conn:  # what a pull writes when the club restricts the member
        cursor = sync_state.get_int(conn, sync_state.CURSOR)
        grants.set_restricted(conn, till.member.id, True, "negative_balance", cursor)
    with qtbot.waitSignal(checkout.refused, timeout=WAIT_MS) as refused:
        QTest.keyClick(checkout.amount_edit, Qt.Key.Key_Return)
    assert refused.args == ["restricted_member"]
    assert checkout.refusal_banner.kind() is BannerKind.ERROR
    said = club_error_text(ClubError("restricted_member"), running.ctx.session.lang)
    assert said in checkout.refusal_banner.title_label.text()
    qtbot.waitUntil(lambda: getattr(checkout.spend_limit, "restricted", False), timeout=WAIT_MS)
    assert checkout.redeem_cap == 0 and checkout.points_spin.value() == 0
    assert checkout.spend_banner.kind() is BannerKind.ERROR and checkout.override_button.isHidden()
    assert not checkout.awaiting_manager
    QTest.keyClick(checkout, Qt.Key.Key_F8)  # no manager can lift the restricted list
    assert running.window.findChild(OverrideDialog) is None
    # the next checkout knows at once
    running.window.back_to_member()
    qtbot.waitUntil(lambda: running.window.stack.currentWidget() is running.window.member, timeout=WAIT_MS)
    checkout = open_checkout(qtbot, running, till.member.id)
    assert checkout.redeem_cap == 0 and checkout.spend_banner.kind() is BannerKind.ERROR
