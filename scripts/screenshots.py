# SPDX-License-Identifier: GPL-3.0-or-later
"""`make screenshots`: the real screens, in a real window (Xvfb), in Persian and English, on the demo club.

Each screen is reached the way a cashier reaches it (a tapped demo card, typed amounts, Enter) and saved
as docs/screenshots/<screen>_<lang>.png for the README; then the event door as the demo's host sees it,
one screenshot per verdict (door_<verdict>_<lang>.png).
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
        QTest.qWait(400)  # the programme panel is read on the worker after the profile is painted
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
        shoot_programme(running, out, lang)
        shoot_door(running, out, summary, lang)
    finally:
        running.close()


def shoot_programme(running, out: Path, lang: str) -> None:  # type: ignore[no-untyped-def]
    """A bronze member's sale that lifts them to a better tier (the receipt celebrates it), then a
    membership card bought with points on the member screen (F3)."""
    window = running.window
    terminal = running.ctx.terminal
    window.activateWindow()  # the enrolment dialog had the focus
    QTest.qWaitForWindowActive(window, 5_000)
    window.show_idle()
    number = next(n for n in demo_card_numbers(terminal) if _tier(terminal, n) == "bronze")
    running.ctx.simulated.tap(*demo_tap(terminal, number))
    wait(lambda: window.stack.currentWidget() is window.member)
    QTest.qWait(400)
    QTest.keyClick(window.member, Qt.Key.Key_Return)
    wait(lambda: window.stack.currentWidget() is window.checkout)
    QTest.qWait(300)
    QTest.keyClicks(QApplication.focusWidget() or window.checkout, "60000000")
    QTest.qWait(200)
    QTest.keyClick(QApplication.focusWidget() or window.checkout, Qt.Key.Key_Return)
    wait(lambda: window.stack.currentWidget() is window.receipt)
    QTest.qWait(1_200)  # the celebration's sparkle has settled
    save(window, out, "8-upgrade", lang)
    window.show_idle()
    running.ctx.simulated.tap(*demo_tap(terminal, number))
    wait(lambda: window.stack.currentWidget() is window.member)
    QTest.qWait(400)
    QTest.keyClick(window.member, Qt.Key.Key_F3)
    wait(lambda: window.member_dialog() is not None)
    dialog = window.member_dialog()
    QTest.qWait(300)
    QTest.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_Tab)  # from the plans to the points
    QTest.keyClicks(QApplication.focusWidget() or dialog, "300")  # points off in whole steps
    QTest.qWait(300)
    save(dialog, out, "9-membership", lang)
    dialog.close()


def _tier(terminal, number: str) -> str:  # type: ignore[no-untyped-def]
    from app.services.identify import find_member

    return find_member(terminal, number).member.tier_code


def shoot_door(running, out: Path, summary: object, lang: str) -> None:  # type: ignore[no-untyped-def]
    """The demo's host at the party's door: a guest admitted, the same card again, a member not on the
    list, a card reported lost. Each language taps guests the other did not."""
    from app.services.cards import revoke_card
    from app.services.door import guest_list, open_events

    window, terminal = running.window, running.ctx.terminal
    staff = {s["role"]: s for s in summary.staff}  # type: ignore[attr-defined]
    running.ctx.session.log_in(authenticate(terminal, staff["host"]["name"], staff["host"]["pin"]))
    window.on_logged_in(running.ctx.session.staff)
    wait(lambda: window.door_open() and window.door.current_event() is not None)
    door = window.door
    shown: list[str] = []
    door.verdict_shown.connect(shown.append)
    event = open_events(terminal)[0]
    rows = {row.member_id: row for row in guest_list(terminal, event.id)}
    cards = [(n, _holder(terminal, n)) for n in demo_card_numbers(terminal)]
    invited = [n for n, m in cards if m in rows and rows[m].admitted_at_us is None]
    strangers = [n for n, m in cards if m not in rows]

    def tap(number: str, name: str) -> None:
        count = len(shown)
        running.ctx.simulated.tap(*demo_tap(terminal, number))
        wait(lambda: len(shown) > count)
        save(window, out, name, lang)

    tap(invited[0], "door_admit")
    tap(invited[0], "door_already_inside")
    tap(strangers[0], "door_not_invited")
    manager = authenticate(terminal, staff["manager"]["name"], staff["manager"]["pin"])
    revoke_card(terminal, invited[1], "reported lost", manager, lost=True)
    tap(invited[1], "door_card_refused")


def _holder(terminal, number: str) -> str:  # type: ignore[no-untyped-def]
    from app.store import cards

    with terminal.db.read() as conn:
        card = cards.card(conn, number)
    return card.member_id if card else ""


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
