# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah --self-test`: the real window, offscreen, on a throwaway demo club: log in, tap a demo card on
the simulated reader (a genuinely signed payload through the card manager), record a sale by keyboard,
and check the balance moved. For packaging and support: exit 0 when the terminal works.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

TIMEOUT_MS = 15_000


def self_test() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from app.cards.simulated import SimulatedReader
    from app.services.demo import seed_demo
    from app.services.terminal import open_terminal
    from app.ui.app import start_window

    with tempfile.TemporaryDirectory(prefix="bashgah-self-test-") as tmp:
        data_dir = Path(tmp) / "data"
        summary = seed_demo(data_dir, members=6, seed=11)
        terminal = open_terminal(data_dir)
        running = start_window(terminal, [SimulatedReader("Self-test reader")], lang="fa")
        try:
            cashier = next(s for s in summary.staff if s["role"] == "cashier")
            return _run_steps(running, terminal, cashier)
        finally:
            running.close()


def _run_steps(running, terminal, cashier: dict) -> int:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.services.demo_cards import demo_card_numbers, demo_tap
    from app.services.identify import find_member
    from app.services.staff_auth import authenticate

    window = running.window
    running.ctx.session.log_in(authenticate(terminal, cashier["name"], cashier["pin"]))
    window.show_idle()
    number = demo_card_numbers(terminal)[0]
    before = find_member(terminal, number).balance.points
    shown: list[str] = []
    window.member_shown.connect(shown.append)
    running.ctx.simulated.tap(*demo_tap(terminal, number))
    if not _wait(lambda: bool(shown)):
        return _fail("the tapped card did not open the member view")
    recorded: list[object] = []
    window.checkout.sale_recorded.connect(recorded.append)
    QTest.keyClick(window.member, Qt.Key.Key_Return)  # Enter on the member screen: checkout
    if not _wait(lambda: window.stack.currentWidget() is window.checkout):
        return _fail("Enter did not open the checkout")
    QTest.keyClicks(QApplication.focusWidget(), "250000")  # Toman
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    if not _wait(lambda: bool(recorded)):
        return _fail("the sale was not recorded")
    after = find_member(terminal, number).balance.points
    if after <= before:
        return _fail(f"the balance did not move ({before} → {after})")
    print(f"self-test ok: card {number} opened its member, sale recorded, {before} → {after} points")
    return 0


def _wait(condition: Callable[[], bool], timeout_ms: int = TIMEOUT_MS) -> bool:
    from PySide6.QtTest import QTest

    waited = 0
    while not condition() and waited < timeout_ms:
        QTest.qWait(20)
        waited += 20
    return condition()


def _fail(why: str) -> int:
    print(f"self-test FAILED: {why}", file=sys.stderr)
    return 1
