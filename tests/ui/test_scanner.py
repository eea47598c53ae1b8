# SPDX-License-Identifier: GPL-3.0-or-later
"""Keyboard-wedge scanners in the window: keys sent into a real window (as a keyboard or scanner does),
told apart by timing. A member QR opens its member from any screen and its Enter presses nothing; a
person's typing and a barcode that is not ours arrive where they were going, whole and in order."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from app.services.cards import prepare_card
from app.ui.scanner import ScannerKeys
from tests.support.club import MANAGER

PERSON_GAP_MS = 90  # a fast typist's keys are 80 ms or more apart


def scan(window, text: str) -> None:
    """What a scanner does: the whole code in a burst, then Enter, into the window with the focus."""
    for char in text:
        QTest.keyClick(window, char)
    QTest.keyClick(window, Qt.Key.Key_Return)


def type_slowly(qtbot, window, text: str) -> None:
    for char in text:
        QTest.keyClick(window, char)
        qtbot.wait(PERSON_GAP_MS)


@pytest.fixture
def field(qtbot, qapp):
    """A window with one line edit, watched by the scanner filter (member QRs: text starting "M1:")."""
    holder = QWidget()
    edit = QLineEdit(holder)
    QVBoxLayout(holder).addWidget(edit)
    qtbot.addWidget(holder)
    keys = ScannerKeys(lambda text: text.startswith("M1:"), parent=holder)
    qapp.installEventFilter(keys)
    holder.show()
    qtbot.waitExposed(holder)
    holder.activateWindow()
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    yield holder.windowHandle(), edit, keys
    qapp.removeEventFilter(keys)


def test_a_member_qr_is_taken_out_of_the_keys_and_given_as_a_scan(qtbot, field):
    window, edit, keys = field
    entered: list[str] = []
    edit.returnPressed.connect(lambda: entered.append(edit.text()))
    with qtbot.waitSignal(keys.scanned, timeout=2_000) as scanned:
        scan(window, "M1:ABCDEFGHIJ0123456789")
    assert scanned.args == ["M1:ABCDEFGHIJ0123456789"]
    qtbot.wait(120)  # nothing held comes out later either
    assert edit.text() == "" and entered == []


def test_a_code_that_is_not_a_member_qr_is_typed_as_it_came(qtbot, field):
    window, edit, keys = field
    entered: list[str] = []
    edit.returnPressed.connect(lambda: entered.append(edit.text()))
    with qtbot.assertNotEmitted(keys.scanned, wait=120):
        scan(window, "6260100212345")  # a product's EAN-13
    assert entered == ["6260100212345"]


def test_a_persons_typing_arrives_whole_and_in_order(qtbot, field):
    window, edit, keys = field
    with qtbot.assertNotEmitted(keys.scanned, wait=120):
        type_slowly(qtbot, window, "Maryam 0912")
    assert edit.text() == "Maryam 0912"


def test_a_key_no_scanner_types_lets_the_held_keys_out_first(qtbot, field):
    window, edit, _keys = field
    for char in "abc":
        QTest.keyClick(window, char)  # fast: held, it could be the start of a scan
    QTest.keyClick(window, Qt.Key.Key_Left)  # a person's arrow key: "abc" first, then the cursor moves
    QTest.keyClick(window, "X")
    qtbot.waitUntil(lambda: edit.text() == "abXc", timeout=2_000)


def test_a_qr_scanned_on_the_member_view_opens_that_member_and_presses_nothing(qtbot, running, club):
    window = running.window
    with qtbot.waitSignal(window.member_shown, timeout=5_000):
        window.open_member(club.john.id)
    window.activateWindow()
    qtbot.waitExposed(window)
    qr = prepare_card(club.terminal, club.maryam.id, staff=MANAGER, as_qr=True).qr_text
    with qtbot.waitSignal(window.member_shown, timeout=5_000) as shown:
        scan(window.windowHandle(), qr)  # its Enter would have been "Checkout" for John
    assert shown.args == [club.maryam.id]
    qtbot.wait(150)
    assert window.stack.currentWidget() is window.member


def test_a_button_pressed_by_a_quick_space_is_clicked_once_not_left_down(qtbot, qapp):
    """A person's quick Space on a focused button: its release comes while the press is held, and must
    still follow the press."""
    from PySide6.QtWidgets import QPushButton

    holder = QWidget()
    button = QPushButton("OK", holder)
    QVBoxLayout(holder).addWidget(button)
    qtbot.addWidget(holder)
    keys = ScannerKeys(lambda text: text.startswith("M1:"), parent=holder)
    qapp.installEventFilter(keys)
    try:
        holder.show()
        qtbot.waitExposed(holder)
        button.setFocus()
        qtbot.waitUntil(button.hasFocus)
        with qtbot.waitSignal(button.clicked, timeout=2_000):
            QTest.keyClick(holder.windowHandle(), Qt.Key.Key_Space)  # press and release at once
        assert not button.isDown()
    finally:
        qapp.removeEventFilter(keys)
