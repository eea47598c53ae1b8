# SPDX-License-Identifier: GPL-3.0-or-later
"""`make screenshots`: the real screens, in a real window (Xvfb), in Persian and English, on the demo club.

Each screen is reached the way a cashier reaches it (a tapped demo card, typed amounts, Enter) and saved
as docs/screenshots/<screen>_<lang>.png for the README; then the event door as the demo's host sees it,
one screenshot per verdict (door_<verdict>_<lang>.png); then the first run at a branch against a real club
server process on the demo club (first-run-<n>-<step>_<lang>.png, and a used code refused).
"""

from __future__ import annotations

import sys
import tempfile
import time
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


def shoot_first_run(out: Path, tmp: Path) -> None:
    """The setup of a new terminal, each step in both languages, against a real server on the demo club."""
    from sqlalchemy import select

    from sync.server import enrolment
    from sync.server.db import Database as ServerDatabase
    from sync.server.models import BRANCH
    from tests.support.server_process import ServerProcess, seeded_sqlite_url

    url = seeded_sqlite_url(tmp / "server.sqlite3")
    db = ServerDatabase(url)

    def code() -> str:
        now = time.time_ns() // 1000
        branch = db.write(
            lambda conn: conn.execute(select(BRANCH.c.code).order_by(BRANCH.c.code)).scalars().first()
        )
        return db.write(lambda conn: enrolment.issue_code(conn, branch, 24, now, "screenshots")).code

    with ServerProcess(url, log_dir=tmp) as server:
        for lang in ("fa", "en"):
            _shoot_setup(out, tmp / f"till-{lang}", server.base_url, code, lang)
    db.dispose()


def _spent_code(server_url: str, code: str, data_dir: Path) -> str:
    """A code another terminal has enrolled with: what the setup refuses as used."""
    from app.services.device_enrollment import enroll_device
    from sync.client import HttpEnrollment, SyncClient

    enroll_device(
        data_dir, server_url=server_url, code=code, server=HttpEnrollment(),
        catch_up=lambda db: SyncClient(db).pull(),
    )  # fmt: skip
    return code


def _shoot_setup(out: Path, data_dir: Path, server_url: str, code, lang: str) -> None:  # type: ignore[no-untyped-def]
    from app.ui.first_run import start_first_run

    reader = SimulatedReader("ACS ACR122U")

    def open_window(terminal, chosen: str):  # type: ignore[no-untyped-def]
        from sync.client import SyncClient

        client = SyncClient(terminal.db, clock=terminal.clock)
        return start_window(terminal, [SimulatedReader("Demo reader (F9)")], chosen, sync_client=client)

    running = start_first_run(data_dir, lambda: [reader], lang, open_window=open_window)
    wizard = running.wizard
    wizard.resize(*SIZE)
    wizard.activateWindow()
    QTest.qWaitForWindowActive(wizard, 5_000)
    try:
        QTest.qWait(200)
        save(wizard, out, "first-run-1-language", lang)
        wizard.language_next.click()
        used = _spent_code(server_url, code(), data_dir.with_name(data_dir.name + "-other"))
        wizard.server_field.setText(server_url)
        wizard.code_field.setText(used)
        wizard.check_code()
        wait(lambda: "\u2026" not in wizard.message_text("server") and wizard.check_button.isEnabled())
        save(wizard, out, "first-run-2-server-refused", lang)
        wizard.code_field.setText(code())
        QTest.qWait(100)
        save(wizard, out, "first-run-2-server", lang)
        wizard.check_code()
        wait(lambda: wizard.current_step() == "confirm")
        save(wizard, out, "first-run-3-confirm", lang)
        wizard.enrol()
        wait(lambda: wizard.current_step() == "reader", 60_000)
        wait(lambda: wizard.reader_list.count() > 0)
        reader.tap(bytes.fromhex("04a1b2c3d4e5f6"), b"")
        wait(wizard.reader_next.isEnabled)
        save(wizard, out, "first-run-4-reader", lang)
        wizard.reader_next.click()
        wizard.network_choice.setChecked(True)
        wizard.printer_field.setText("192.168.1.50:9100")
        QTest.qWait(100)
        save(wizard, out, "first-run-5-printer", lang)
        wizard.no_printer_choice.setChecked(True)
        wizard.save_printer()
        wait(lambda: wizard.current_step() == "done")
        save(wizard, out, "first-run-6-done", lang)
        wizard.finish()
        window = running.window
        assert window is not None
        window.window.resize(*SIZE)
        wait(window.window.login.isVisible)
        save(window.window, out, "first-run-7-login", lang)
    finally:
        running.close()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    only_first_run = "--first-run" in sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        if not only_first_run:
            data_dir = Path(tmp) / "demo"
            summary = seed_demo(data_dir, members=60, seed=1404)
            for lang in ("fa", "en"):
                shoot(out, data_dir, summary, lang)
        shoot_first_run(out, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
