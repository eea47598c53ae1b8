# SPDX-License-Identifier: GPL-3.0-or-later
"""Keyboard-wedge scanners in the window: keys sent into a real window (as a keyboard or scanner does),
told apart by when they were typed. A member QR opens its member from any screen and its Enter presses
nothing; a person's typing and a barcode that is not ours arrive where they were going, whole and in order.
Keys carry their typing time (`tests.ui.keys`), so a busy machine types them no slower."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from app.services.cards import prepare_card
from app.ui.scanner import ScannerKeys
from tests.support.club import MANAGER
from tests.ui.keys import PERSON_GAP_MS, SCANNER_GAP_MS, scan, type_keys, type_like_a_person, typed_stamps

HELD_MS = 2_000  # generous: a held key comes back some 50 ms after the last, later on a busy machine


def is_member_qr(text: str) -> bool:
    return text.startswith("M1:")


def watched_field(qtbot, qapp, clock_us: Callable[[], int] | None = None):
    """A window with one line edit, watched by the scanner filter (member QRs: text starting "M1:")."""
    holder = QWidget()
    edit = QLineEdit(holder)
    QVBoxLayout(holder).addWidget(edit)
    qtbot.addWidget(holder)
    keys = ScannerKeys(is_member_qr, parent=holder, **({"clock_us": clock_us} if clock_us else {}))
    qapp.installEventFilter(keys)
    holder.show()
    qtbot.waitExposed(holder)
    holder.activateWindow()
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    return holder, edit, keys


@pytest.fixture
def field(qtbot, qapp):
    holder, edit, keys = watched_field(qtbot, qapp)
    yield holder.windowHandle(), edit, keys
    qapp.removeEventFilter(keys)


def test_a_member_qr_is_taken_out_of_the_keys_and_given_as_a_scan(qtbot, field):
    window, edit, keys = field
    entered: list[str] = []
    edit.returnPressed.connect(lambda: entered.append(edit.text()))
    with qtbot.waitSignal(keys.scanned, timeout=2_000) as scanned:
        scan(window, "M1:ABCDEFGHIJ0123456789")
    assert scanned.args == ["M1:ABCDEFGHIJ0123456789"]
    assert keys.holding() == 0  # nothing held to come out later either
    assert edit.text() == "" and entered == []


def test_the_shift_a_scanner_presses_for_capitals_does_not_split_its_scan(qtbot, field):
    """X11, Wayland and Windows deliver a scanner's "M" or ":" (US layout) as Shift pressed, the key, Shift
    let go: the Shift press is a key of its own, without text. It is neither part of the code nor a
    person's key that ends the burst."""
    window, edit, keys = field
    with qtbot.waitSignal(keys.scanned, timeout=2_000) as scanned:
        scan(window, "M1:AbCd0123456789")  # tests.ui.keys sends each capital and ":" with its Shift
    assert scanned.args == ["M1:AbCd0123456789"]
    assert edit.text() == "" and keys.holding() == 0


def test_a_code_that_is_not_a_member_qr_is_typed_as_it_came(qtbot, field):
    window, edit, keys = field
    entered: list[str] = []
    edit.returnPressed.connect(lambda: entered.append(edit.text()))
    with qtbot.assertNotEmitted(keys.scanned):
        scan(window, "6260100212345")  # a product's EAN-13
    assert entered == ["6260100212345"]


def test_a_persons_typing_arrives_whole_and_in_order(qtbot, field):
    window, edit, keys = field
    with qtbot.assertNotEmitted(keys.scanned):
        type_like_a_person(window, "Maryam 0912")
        qtbot.waitUntil(lambda: edit.text() == "Maryam 0912", timeout=HELD_MS)  # the last key: after a pause


def test_a_key_no_scanner_types_lets_the_held_keys_out_first(qtbot, field):
    window, edit, _keys = field
    # "abc" fast: held, it could be the start of a scan; a person's arrow key: "abc" first, then the cursor
    type_keys(window, [*"abc", "Left", "X"], typed_stamps(5, SCANNER_GAP_MS))
    qtbot.waitUntil(lambda: edit.text() == "abXc", timeout=HELD_MS)


def stall_ui(seconds: float) -> None:
    """The UI thread busy (a slow slot, a long paint): the stimulus here, not a wait for anything."""
    time.sleep(seconds)


def test_a_scan_the_ui_stalled_in_the_middle_of_is_still_a_scan(qtbot, field):
    """The UI thread busy halfway through a scan: the rest of the keys, typed 4 ms apart meanwhile, queue up
    and are read after the stall, after the filter's own timer (Qt runs due timers before queued input).
    Timed by when they were read, the keys would be a pause and two short bursts, typed into the field."""
    window, edit, keys = field
    qr = "M1:ABCDEFGHIJ0123456789"
    burst = [*qr, "Enter"]
    half = len(burst) // 2
    now = time.monotonic_ns() // 1_000_000
    stamps = [now + (i - half + 1) * SCANNER_GAP_MS for i in range(len(burst))]  # the first half: up to now
    type_keys(window, burst[:half], stamps[:half])
    QTimer.singleShot(80, lambda: type_keys(window, burst[half:], stamps[half:]))  # queued behind the stall
    with qtbot.waitSignal(keys.scanned, timeout=5_000) as scanned:
        stall_ui(0.25)
    assert scanned.args == [qr]
    assert edit.text() == "" and keys.holding() == 0


def test_a_persons_keys_read_late_all_at_once_are_still_a_persons(qtbot, field):
    """Typed 120 ms apart while the UI was busy, read in one go: a person's keys, typed into the field,
    even when they spell something that looks like a member QR. Timed by when they were read, they would
    be a machine-fast burst: a scan."""
    window, edit, keys = field
    entered: list[str] = []
    edit.returnPressed.connect(lambda: entered.append(edit.text()))
    with qtbot.assertNotEmitted(keys.scanned):
        type_keys(window, [*"M1:MARYAM", "Enter"], typed_stamps(10, PERSON_GAP_MS))
    assert entered == ["M1:MARYAM"]


def test_keys_without_a_timestamp_are_timed_by_when_they_are_read(qtbot, qapp):
    """A synthetic key (timestamp 0) says nothing of when it was typed: the filter's clock when it reads
    the key stands in. Read 4 ms apart: a scan; 120 ms apart: a person's."""
    now_us = [1_000_000_000]
    holder, edit, keys = watched_field(qtbot, qapp, clock_us=lambda: now_us[0])
    window = holder.windowHandle()
    try:

        def read(text: str, gap_ms: int) -> None:
            for key in [*text, "Enter"]:
                now_us[0] += gap_ms * 1_000
                type_keys(window, [key], [0])

        with qtbot.waitSignal(keys.scanned, timeout=2_000) as scanned:
            read("M1:ABCDEFGHIJ", SCANNER_GAP_MS)
        assert scanned.args == ["M1:ABCDEFGHIJ"]
        entered: list[str] = []
        edit.returnPressed.connect(lambda: entered.append(edit.text()))
        with qtbot.assertNotEmitted(keys.scanned):
            read("M1:MARYAM", PERSON_GAP_MS)
        assert entered == ["M1:MARYAM"]
    finally:
        qapp.removeEventFilter(keys)


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
    assert running.scanner.holding() == 0  # the Enter was the scan's: nothing to press later
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
