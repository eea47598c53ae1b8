# SPDX-License-Identifier: GPL-3.0-or-later
"""The login view: choose staff, type the PIN (Persian digits too), Enter; refusals said in the view."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from app.domain.digits import to_persian_digits
from app.domain.errors import ClubError
from app.services.staff_auth import DEFAULT_LOCK_MINUTES, MAX_WRONG_PINS
from app.ui.messages import club_error_text
from app.ui.views.login import LoginView
from tests.support.club import CASHIER, CASHIER_PIN, MANAGER, MANAGER_PIN


def type_text(widget: QWidget, text: str) -> None:
    """Type like a keyboard does, any script (QTest.keyClicks only carries Latin-1)."""
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char)
            QApplication.sendEvent(widget, event)


def pin_in(lang: str, pin: str) -> str:
    """The PIN as a cashier with that keyboard layout types it: Persian digits in Persian."""
    return to_persian_digits(pin) if lang == "fa" else pin


@pytest.fixture
def view(qtbot, ctx) -> Iterator[LoginView]:
    login = LoginView(ctx)
    qtbot.addWidget(login)
    login.show()
    qtbot.waitUntil(lambda: login.staff_list.count() == 2)
    yield login
    qtbot.waitUntil(lambda: not ctx.tasks.busy())


def submit_and_wait(qtbot, view: LoginView) -> None:
    qtbot.keyClick(view.pin_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.ctx.tasks.busy())


def test_lists_active_staff_with_their_roles(view: LoginView) -> None:
    assert [view.staff_list.item(i).text().split("\n")[0] for i in range(2)] == [CASHIER.name, MANAGER.name]
    assert view.staff_list.item(0).text().endswith(view.tr("Cashier"))
    assert view.current_staff().id == CASHIER.id
    assert view.pin_field.echoMode() is view.pin_field.EchoMode.Password


def test_right_pin_logs_in_and_emits(qtbot, view: LoginView, ctx, lang: str) -> None:
    type_text(view.pin_field, pin_in(lang, CASHIER_PIN))
    with qtbot.waitSignal(view.logged_in, timeout=5000) as signal:
        qtbot.mouseClick(view.submit_button, Qt.MouseButton.LeftButton)
    assert signal.args[0].id == CASHIER.id
    assert ctx.session.staff.id == CASHIER.id
    assert view.pin_field.text() == ""
    assert view.message_label.text() == ""


def test_wrong_pin_shows_tries_left(qtbot, view: LoginView, ctx, lang: str) -> None:
    type_text(view.pin_field, pin_in(lang, "0000"))
    with qtbot.assertNotEmitted(view.logged_in):
        submit_and_wait(qtbot, view)
    expected = ClubError("wrong_pin", staff=CASHIER.name, tries_left=MAX_WRONG_PINS - 1)
    assert view.message_label.text() == club_error_text(expected, lang)
    assert ("۴" if lang == "fa" else "4 tries left") in view.message_label.text()
    assert view.pin_field.text() == ""
    assert ctx.session.staff is None


def test_five_wrong_pins_lock_the_account(qtbot, view: LoginView, ctx, lang: str) -> None:
    for _ in range(MAX_WRONG_PINS):
        type_text(view.pin_field, pin_in(lang, "0000"))
        submit_and_wait(qtbot, view)
    lock = ClubError("staff_locked", staff=CASHIER.name, minutes=DEFAULT_LOCK_MINUTES)
    locked = club_error_text(lock, lang)
    assert view.message_label.text() == locked
    type_text(view.pin_field, pin_in(lang, CASHIER_PIN))  # even the right PIN waits out the lock
    with qtbot.assertNotEmitted(view.logged_in):
        submit_and_wait(qtbot, view)
    assert view.message_label.text() == locked
    assert ctx.session.staff is None


def test_keyboard_only(qtbot, view: LoginView, lang: str) -> None:
    qtbot.keyClick(view.pin_field, Qt.Key.Key_Down)
    assert view.current_staff().id == MANAGER.id
    qtbot.keyClick(view.pin_field, Qt.Key.Key_Up)
    qtbot.keyClick(view.pin_field, Qt.Key.Key_Down)
    qtbot.keyClick(view.pin_field, Qt.Key.Key_Down)  # stays on the last one
    assert view.current_staff().id == MANAGER.id
    type_text(view.pin_field, pin_in(lang, MANAGER_PIN))
    with qtbot.waitSignal(view.logged_in, timeout=5000) as signal:
        qtbot.keyClick(view.pin_field, Qt.Key.Key_Enter)
    assert signal.args[0].id == MANAGER.id


def test_keypad_types_digits_for_touch(qtbot, view: LoginView, lang: str) -> None:
    labels = {button.property("digit"): button for button in view.digit_buttons}
    assert labels["7"].text() == ("۷" if lang == "fa" else "7")
    for digit in CASHIER_PIN + "2":
        qtbot.mouseClick(labels[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.erase_button, Qt.MouseButton.LeftButton)
    assert view.pin_field.text() == CASHIER_PIN
    assert min(b.height() for b in [*view.digit_buttons, view.submit_button]) >= 48


def test_letters_are_not_taken_as_a_pin(view: LoginView) -> None:
    type_text(view.pin_field, "12a۳")
    assert view.pin_field.text() == "12۳"


def test_enter_without_a_pin_asks_for_it(qtbot, view: LoginView) -> None:
    with qtbot.assertNotEmitted(view.logged_in):
        qtbot.keyClick(view.pin_field, Qt.Key.Key_Return)
    assert view.message_label.text() == view.tr("Type your PIN, then press Enter.")
    assert not view.ctx.tasks.busy()


def test_reset_clears_and_focuses(qtbot, view: LoginView) -> None:
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    type_text(view.pin_field, "12")
    view.on_refused(ClubError("wrong_pin", staff=CASHIER.name, tries_left=3))
    view.reset()
    assert view.pin_field.text() == ""
    assert view.message_label.text() == ""
    assert view.pin_field.hasFocus()
    qtbot.waitUntil(lambda: not view.ctx.tasks.busy())
    assert view.staff_list.count() == 2
