# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah --kiosk` offscreen: full screen with no frame, and no way out but a manager's PIN — Alt+F4,
a close request or a minimise are refused, a cashier's PIN is not enough, a manager's closes it and the
staff audit keeps who. (tests/ui/test_kiosk_xvfb.py runs the real command on an X server.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.services.kiosk import KIOSK_EXIT_EVENT
from app.store import club as club_store
from tests.support.club import CASHIER, CASHIER_PIN, MANAGER, MANAGER_PIN
from tests.ui.test_main_window import no_active_window


@pytest.fixture
def kiosk(qapp, club, lang) -> Iterator:
    from app.cards.simulated import SimulatedReader
    from app.ui.app import start_window

    running = start_window(club.terminal, [SimulatedReader("Test reader")], lang=lang, kiosk=True)
    running.ctx.session.log_in(CASHIER)
    running.window.show_idle()
    yield running
    running.close()


def exit_events(club, staff_id: str) -> list[str]:
    with club.terminal.db.read() as conn:
        return [kind for kind in club_store.staff_events(conn, staff_id) if kind == KIOSK_EXIT_EVENT]


def give_pin(qtbot, dialog, staff_id: str, pin: str) -> None:
    qtbot.waitUntil(lambda: dialog.approval.approver is not None, timeout=5000)  # the staff list is read
    dialog.approval.select_approver(staff_id)
    QTest.keyClicks(dialog.approval.pin_edit, pin)
    QTest.keyClick(dialog.approval.pin_edit, Qt.Key.Key_Return)


def test_the_kiosk_fills_the_screen_without_a_frame(qtbot, kiosk):
    window = kiosk.window
    qtbot.waitExposed(window)
    assert window.kiosk and window.isFullScreen()
    assert window.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert window.geometry() == window.screen().geometry()


def test_alt_f4_asks_for_a_manager_and_esc_keeps_the_kiosk(qtbot, kiosk):
    window = kiosk.window
    focused = no_active_window(qtbot, window)  # no window manager: Alt+F4 reaches the window as a key
    QTest.keyClick(focused, Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier)
    dialog = window.ask_to_close()  # the one already open, not a second
    assert dialog.isVisible() and window.isVisible()
    QTest.keyClick(dialog.approval.pin_edit, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and window.isVisible() and window.isFullScreen()


def test_a_close_request_is_refused_and_a_cashier_pin_is_not_enough(qtbot, kiosk, club):
    window = kiosk.window
    assert not window.close()  # a window manager's close, or anything else's
    dialog = window.ask_to_close()
    give_pin(qtbot, dialog, CASHIER.id, CASHIER_PIN)
    qtbot.waitUntil(dialog.approval.message_label.isVisible, timeout=5000)
    assert dialog.isVisible() and window.isVisible()
    assert not exit_events(club, CASHIER.id)


def test_a_wrong_manager_pin_is_refused(qtbot, kiosk, club):
    window = kiosk.window
    window.close()
    dialog = window.ask_to_close()
    give_pin(qtbot, dialog, MANAGER.id, "0000")
    qtbot.waitUntil(dialog.approval.message_label.isVisible, timeout=5000)
    assert window.isVisible() and not exit_events(club, MANAGER.id)


def test_a_manager_pin_closes_the_kiosk_and_is_recorded(qtbot, kiosk, club):
    window = kiosk.window
    window.close()
    dialog = window.ask_to_close()
    give_pin(qtbot, dialog, MANAGER.id, MANAGER_PIN)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert exit_events(club, MANAGER.id) == [KIOSK_EXIT_EVENT]


def test_minimised_it_comes_back_full_screen(qtbot, kiosk):
    window = kiosk.window
    window.showMinimized()
    qtbot.waitUntil(lambda: window.isFullScreen() and not window.isMinimized(), timeout=5000)


def test_the_window_keys_work_in_the_kiosk(qtbot, kiosk):
    window, before = kiosk.window, kiosk.ctx.session.lang
    field = no_active_window(qtbot, window)
    QTest.keyClick(field, Qt.Key.Key_F10)
    assert kiosk.ctx.session.lang != before
    QTest.keyClick(field, Qt.Key.Key_F12)
    assert kiosk.ctx.session.staff is None and window.isVisible()
    assert QApplication.activeWindow() is None


def test_a_manager_quick_with_the_pin_is_not_lost(qtbot, kiosk, club):
    """PIN and Enter before the dialog has read the staff list (the worker's answer waits for the event
    loop): Enter counts once the list is in, and once only."""
    window = kiosk.window
    dialog = window.ask_to_close()
    assert dialog.approval.approver is None  # not read yet
    QTest.keyClicks(dialog.approval.pin_edit, MANAGER_PIN)  # the manager is the one proposed
    QTest.keyClick(dialog.approval.pin_edit, Qt.Key.Key_Return)
    QTest.keyClick(dialog.approval.pin_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert exit_events(club, MANAGER.id) == [KIOSK_EXIT_EVENT]
