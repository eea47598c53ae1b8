# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole window: a tapped card (through the real card manager and simulated reader), a scanned QR,
a refused card, the idle lock and the live language switch — in both languages; the window's keys (F7, F9,
Shift+F9, F10, F12) when the window is not active, as in an X session without a window manager."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from app.cards.base import CardEvent, CardEventKind
from app.services.cards import bind_card, prepare_card, revoke_card
from app.ui.main_window import read_card
from tests.support.club import MANAGER

UID = bytes.fromhex("04A1B2C3D4E5F6")


def chip_card(club):
    prepared = prepare_card(club.terminal, club.maryam.id, staff=MANAGER, uid=UID)
    bind_card(club.terminal, prepared.card.number, UID)
    return prepared


def test_a_tapped_card_opens_its_member(qtbot, running, club):
    prepared = chip_card(club)
    with qtbot.waitSignal(running.window.member_shown, timeout=5000) as shown:
        running.ctx.simulated.tap(UID, prepared.ndef)
    assert shown.args == [club.maryam.id]
    assert running.window.stack.currentWidget() is running.window.member


def test_a_valid_card_is_verified_and_its_member_loaded_in_one_worker_job(running, club):
    prepared = chip_card(club)
    event = CardEvent(CardEventKind.TAPPED, "simulated", "Test reader", 0, uid=UID, ndef=prepared.ndef)
    result, screen = read_card(club.terminal, event)
    assert result.verdict.valid and screen is not None
    assert screen.profile.member.id == club.maryam.id
    assert screen.photo is not None and not screen.photo.isNull()  # decoded on the worker
    copied = CardEvent(
        CardEventKind.TAPPED, "simulated", "Test reader", 0, uid=b"\x04" * 7, ndef=prepared.ndef
    )
    result, screen = read_card(club.terminal, copied)
    assert not result.verdict.valid and screen is None


def test_a_copied_card_is_refused_on_screen(qtbot, running, club):
    prepared = chip_card(club)
    with qtbot.waitSignal(running.window.card_refused, timeout=5000) as refused:
        running.ctx.simulated.tap(bytes.fromhex("04FFFFFFFFFFFF"), prepared.ndef)
    assert refused.args == ["uid_mismatch"]
    assert running.window.idle.refusal() is not None


def test_a_revoked_card_is_refused_with_what_to_do(qtbot, running, club):
    prepared = chip_card(club)
    revoke_card(club.terminal, prepared.card.number, "reported lost", MANAGER, lost=True)
    with qtbot.waitSignal(running.window.card_refused, timeout=5000) as refused:
        running.ctx.simulated.tap(UID, prepared.ndef)
    assert refused.args == ["revoked"]
    title, detail = running.window.idle.refusal()
    assert title and detail


def test_a_damaged_card_is_refused(qtbot, running):
    with qtbot.waitSignal(running.window.card_refused, timeout=5000) as refused:
        running.ctx.simulated.tap_garbage()
    assert refused.args == ["bad_response"]


def test_a_scanned_member_qr_opens_the_member(qtbot, running, club):
    qr = prepare_card(club.terminal, club.maryam.id, staff=MANAGER, as_qr=True).qr_text
    idle = running.window.idle
    idle.search_field.setFocus()
    with qtbot.waitSignal(running.window.member_shown, timeout=5000) as shown:
        QTest.keyClicks(idle.search_field, qr)  # what a keyboard-wedge scanner types
        QTest.keyClick(idle.search_field, Qt.Key.Key_Return)
    assert shown.args == [club.maryam.id]


def test_a_card_before_login_is_not_opened(qtbot, running, club):
    prepared = chip_card(club)
    running.window.lock()
    assert running.window.stack.currentWidget() is running.window.login
    running.ctx.simulated.tap(UID, prepared.ndef)
    QTest.qWait(400)
    assert running.window.stack.currentWidget() is running.window.login
    assert running.ctx.session.staff is None


def test_language_switches_live(qtbot, running):
    before = running.ctx.session.lang
    running.window.toggle_language()
    assert running.ctx.session.lang != before
    expected = Qt.LayoutDirection.LeftToRight if before == "fa" else Qt.LayoutDirection.RightToLeft
    assert running.app.layoutDirection() == expected
    running.window.toggle_language()
    assert running.ctx.session.lang == before


def press_a_key(app, widget):
    app.sendEvent(widget, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_5, Qt.KeyboardModifier.NoModifier, "5"))


def test_activity_postpones_the_lock_only_while_someone_is_logged_in(running):
    window = running.window
    window._idle_timer.stop()
    press_a_key(running.app, window.idle.search_field)
    assert window._idle_timer.isActive()  # a key anywhere restarts the countdown
    window.lock()
    window._idle_timer.stop()
    press_a_key(running.app, window.login.pin_field)
    assert not window._idle_timer.isActive()  # nobody to lock: the application's events are not watched


def test_a_chip_card_not_challenged_here_opens_its_member_for_earning_only_saying_why(qtbot, running, club):
    """A chip-keyed card read by a reader that cannot challenge it (the simulated one here; another branch's
    card at a PC/SC reader) opens its member, with the banner naming the chip, not an old revocation list."""
    from app.cards.ntag424.keys import KeyRef
    from app.domain.errors import ClubError
    from app.services.chip_keys import IssuingChipKeys
    from app.ui.messages import club_error_text

    keys = IssuingChipKeys(KeyRef("0190a5b2-0000-7000-8000-0000000000aa", 1), bytes(16), bytes(16), ())
    prepared = prepare_card(club.terminal, club.maryam.id, staff=MANAGER, uid=UID, chip=keys)
    bind_card(club.terminal, prepared.card.number, UID)
    with qtbot.waitSignal(running.window.member_shown, timeout=5000):
        running.ctx.simulated.tap(UID, prepared.ndef)
    banner = running.window.member.earn_only_banner
    qtbot.waitUntil(banner.isVisible, timeout=5000)
    lang = running.ctx.session.lang
    expected = club_error_text(ClubError("card_chip_unchecked", card=prepared.card.number), lang)
    assert banner.detail_label.text() == expected
    assert "revocation" not in banner.detail_label.text()


# ---------------------------------------------------------------- the window's keys, with no active window


def no_active_window(qtbot, window) -> QWidget:
    """Leave `window` shown but not active, as in an X session without a window manager, where Qt never
    hears that any window has the focus. Offscreen, every shown window is made the active one: a throwaway
    window takes the focus and is destroyed, and with it Qt's focus window. Returns the window's focused
    child (where the platform delivers keys when the window is not active)."""
    from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut

    other = QWidget()
    other.show()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is other)
    other.windowHandle().destroy()
    other.deleteLater()
    assert QApplication.activeWindow() is None and QGuiApplication.focusWindow() is None
    assert window.isVisible() and not window.isActiveWindow()
    focused = window.focusWidget() or window
    # the state the kiosk meets: an application-wide QShortcut of the window does not fire in it
    fired: list[bool] = []
    control = QShortcut(QKeySequence("Ctrl+F11"), window, context=Qt.ShortcutContext.ApplicationShortcut)
    control.activated.connect(lambda: fired.append(True))
    QTest.keyClick(focused, Qt.Key.Key_F11, Qt.KeyboardModifier.ControlModifier)
    control.setParent(None)
    assert not fired, "the window is still active: this test would not show the kiosk's keys"
    return focused


def focused_on(qtbot, window, field: QWidget) -> QWidget:
    field.setFocus()  # the window's focus widget, even while the window is not active
    focused = no_active_window(qtbot, window)
    assert focused is field
    return focused


def test_f10_switches_the_language_once_without_an_active_window(qtbot, running):
    window, before = running.window, running.ctx.session.lang
    field = focused_on(qtbot, window, window.idle.search_field)
    QTest.keyClick(field, Qt.Key.Key_F10)
    assert running.ctx.session.lang != before  # once: twice would have switched it back
    QTest.keyClicks(field, "42")
    assert window.idle.search_field.text().endswith("42")  # typing still reaches the field


def test_f10_switches_the_language_once_in_an_active_window(qtbot, running):
    """With a window manager the window is active: the key still acts exactly once."""
    window, before = running.window, running.ctx.session.lang
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.idle.search_field.setFocus()
    QTest.keyClick(window.idle.search_field, Qt.Key.Key_F10)
    assert running.ctx.session.lang != before


def test_f10_through_the_window_as_x_delivers_it(qtbot, running):
    """A key as the platform hands it over: to the window's QWindow (through the scanner's filter), which
    gives it to the focused field."""
    window, before = running.window, running.ctx.session.lang
    focused_on(qtbot, window, window.idle.search_field)
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        event = QKeyEvent(kind, Qt.Key.Key_F10, Qt.KeyboardModifier.NoModifier)
        running.app.sendEvent(window.windowHandle(), event)
    assert running.ctx.session.lang != before


def test_f12_locks_without_an_active_window(qtbot, running):
    window = running.window
    field = focused_on(qtbot, window, window.idle.search_field)
    QTest.keyClick(field, Qt.Key.Key_F12)
    assert running.ctx.session.staff is None
    assert window.stack.currentWidget() is window.login


def test_f9_taps_the_demo_card_without_an_active_window(qtbot, running, club):
    chip_card(club)
    window = running.window
    field = focused_on(qtbot, window, window.idle.search_field)
    with qtbot.waitSignal(window.member_shown, timeout=5000) as shown:
        QTest.keyClick(field, Qt.Key.Key_F9)
    assert shown.args == [club.maryam.id]


def test_shift_f9_taps_a_damaged_card_without_an_active_window(qtbot, running):
    window = running.window
    field = focused_on(qtbot, window, window.idle.search_field)
    with qtbot.waitSignal(window.card_refused, timeout=5000) as refused:
        QTest.keyClick(field, Qt.Key.Key_F9, Qt.KeyboardModifier.ShiftModifier)
    assert refused.args == ["bad_response"]


def test_f7_opens_the_door_and_goes_back_without_an_active_window(qtbot, running):
    window = running.window
    running.ctx.session.log_in(MANAGER)
    window.show_idle()
    field = focused_on(qtbot, window, window.idle.search_field)
    QTest.keyClick(field, Qt.Key.Key_F7)
    qtbot.waitUntil(window.door_open, timeout=5000)
    QTest.keyClick(window.focusWidget() or window, Qt.Key.Key_F7)  # from wherever the door put the focus
    assert window.stack.currentWidget() is window.idle


def test_the_window_keys_work_from_the_login_screen_and_the_member_screen(qtbot, running, club):
    """The PIN field before log-in, the member view after a tap: the key goes up to the window."""
    window, before = running.window, running.ctx.session.lang
    chip_card(club)
    with qtbot.waitSignal(window.member_shown, timeout=5000):
        window.tap_demo_card()
    focused = no_active_window(qtbot, window)
    assert focused.window() is window and window.stack.currentWidget() is window.member
    QTest.keyClick(focused, Qt.Key.Key_F12)
    assert window.stack.currentWidget() is window.login
    pin = focused_on(qtbot, window, window.login.pin_field)
    QTest.keyClick(pin, Qt.Key.Key_F10)
    assert running.ctx.session.lang != before


def test_a_modal_dialog_keeps_its_keys(qtbot, running):
    """F10 and F12 typed into a dialog that is open over the window do not reach the window."""
    window, before = running.window, running.ctx.session.lang
    window.open_enrolment()
    dialog = next(d for d in window.findChildren(QDialog) if d.isVisible())
    qtbot.waitExposed(dialog)
    field = dialog.focusWidget() or dialog
    assert field.window() is dialog
    for key in (Qt.Key.Key_F10, Qt.Key.Key_F12, Qt.Key.Key_F7):
        QTest.keyClick(field, key)
    assert running.ctx.session.lang == before and running.ctx.session.staff is not None
    assert window.stack.currentWidget() is window.idle
    dialog.reject()


def test_the_lock_closes_what_was_open_over_the_till(qtbot, running):
    """The idle lock (or F12) must not leave a form with a member's data, or the enrolment's camera, open
    over the login screen for whoever comes to the counter next."""
    window = running.window
    window.open_enrolment()
    qtbot.waitUntil(lambda: bool(visible_dialogs(window)))  # the enrolment form is shown
    window.lock()
    qtbot.waitUntil(lambda: not visible_dialogs(window))
    assert window.stack.currentWidget() is window.login


def visible_dialogs(window) -> list[QDialog]:
    return [d for d in window.findChildren(QDialog) if d.isVisible()]
