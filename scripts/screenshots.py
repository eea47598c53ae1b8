# SPDX-License-Identifier: GPL-3.0-or-later
"""`make screenshots`: the real screens, in a real window (Xvfb), in Persian and English, on the demo club.

Each screen is reached the way a cashier reaches it (a tapped demo card, typed amounts, Enter) and saved
as docs/screenshots/<screen>_<lang>.png for the README.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from app.cards.simulated import SimulatedReader
from app.services.demo import seed_demo
from app.services.demo_cards import demo_card_numbers, demo_tap
from app.services.staff_auth import authenticate
from app.services.terminal import open_terminal
from app.ui.app import start_window

SIZE = (1280, 760)


def wait(condition, timeout_ms: int = 10_000) -> None:  # type: ignore[no-untyped-def]
    waited = 0
    while not condition():
        if waited > timeout_ms:
            raise RuntimeError("the screen did not come")
        QTest.qWait(20)
        waited += 20
    QTest.qWait(150)  # let the last paint land


def save(widget: QWidget, out: Path, name: str, lang: str) -> None:
    path = out / f"{name}_{lang}.png"
    widget.grab().save(str(path))
    print(path)


def shoot(out: Path, data_dir: Path, summary: object, lang: str) -> None:
    terminal = open_terminal(data_dir)
    running = start_window(terminal, [SimulatedReader("Demo reader (F9)")], lang=lang)
    window = running.window
    window.resize(*SIZE)
    window.activateWindow()  # no window manager under Xvfb: nobody else gives the window focus
    QTest.qWaitForWindowActive(window, 5_000)
    try:
        wait(window.login.isVisible)
        save(window, out, "1-login", lang)
        cashier = next(s for s in summary.staff if s["role"] == "cashier")  # type: ignore[attr-defined]
        running.ctx.session.log_in(authenticate(terminal, cashier["name"], cashier["pin"]))
        window.show_idle()
        wait(window.idle.isVisible)
        save(window, out, "2-idle", lang)
        number = next(n for n in demo_card_numbers(terminal) if _has_points(terminal, n))
        running.ctx.simulated.tap(*demo_tap(terminal, number))
        wait(lambda: window.stack.currentWidget() is window.member)
        save(window, out, "3-member", lang)
        QTest.keyClick(window.member, Qt.Key.Key_Return)
        wait(lambda: window.stack.currentWidget() is window.checkout)
        QTest.qWait(100)
        QTest.keyClicks(QApplication.focusWidget() or window.checkout, "2500000")
        QTest.qWait(200)
        save(window, out, "4-checkout", lang)
        QTest.keyClick(QApplication.focusWidget() or window.checkout, Qt.Key.Key_Return)
        wait(lambda: window.stack.currentWidget() is window.receipt)
        save(window, out, "5-receipt", lang)
        window.show_idle()
        running.ctx.simulated.tap_garbage()
        wait(lambda: window.idle.refusal() is not None)
        save(window, out, "6-refused", lang)
        from app.ui.dialogs.enroll import EnrollDialog

        dialog = EnrollDialog(running.ctx, window)
        dialog.show()
        dialog.activateWindow()
        QTest.qWaitForWindowActive(dialog, 5_000)
        field = QApplication.focusWidget()
        if hasattr(field, "insert"):  # QTest types ASCII only; a person's Persian name goes in directly
            field.insert("نرگس صادقی" if lang == "fa" else "Narges Sadeghi")
        QTest.qWait(200)
        save(dialog, out, "7-enroll", lang)
        dialog.close()
    finally:
        running.close()


def _has_points(terminal, number: str) -> bool:  # type: ignore[no-untyped-def]
    from app.services.identify import find_member

    return find_member(terminal, number).balance.points > 300


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "demo"
        summary = seed_demo(data_dir, members=60, seed=1404)
        for lang in ("fa", "en"):
            shoot(out, data_dir, summary, lang)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
