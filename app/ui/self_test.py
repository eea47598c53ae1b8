# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah --self-test`: proves this install (a clone's virtualenv, a frozen bundle, a .deb) can serve a
customer. For packaging and support: exit 0 when the terminal works, 1 with the reasons when it does not.

1. The reader backends' libraries load: pyscard (with the host's libpcsclite) for PC/SC readers; nfcpy,
   every USB/serial driver it picks at run time, and libusb for USB NFC readers. A missing library is a
   failure (a bundle must carry them); pcscd not running is only reported, the branch may not have
   started it yet.
2. The real window, on a throwaway demo club: it is activated and must become the active window (under
   Xvfb without a window manager nothing has the keyboard focus otherwise), then log in, tap a demo card
   on the simulated reader (a genuinely signed payload through the card manager), record a sale by
   keyboard, and check the balance moved.
3. Qt's own Persian (qtbase_fa.qm) is loaded in the Persian window.
4. The printer path: that sale's receipt is rendered through python-escpos to a file printer, and the
   bytes must hold a paper cut (and, for a Persian receipt, the drawn rows).
5. The enrolment's camera: Qt Multimedia loads with a backend (its FFmpeg plugin, which a bundle must
   carry); whether a camera is connected is only reported.

Offscreen by default; an explicit QT_QPA_PLATFORM (e.g. `xcb` under Xvfb) is honoured.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TIMEOUT_MS = 15_000
# nfcpy imports its driver by name only once a reader is found (nfc.clf.device): import each one now, so a
# bundle that lacks one fails here and not at the branch when that reader is plugged in.
NFC_DRIVERS = ("pn531", "pn532", "pn533", "rcs380", "rcs956", "acr122", "arygon", "udp")
ESCPOS_CUT = b"\x1dV"  # GS V: python-escpos's cut(), the last thing print_receipt sends
ESCPOS_RASTER = b"\x1dv0"  # GS v 0: a drawn (Persian) row
# Qt's own context for its standard buttons, in qtbase_fa.qm. A name, not a literal in the call: a literal
# would make `scripts/i18n` (and tests/ui/test_translations.py) take Qt's string for one of ours.
QT_BUTTONS = "QPlatformTheme"


@dataclass
class Report:
    """What the self-test found: one phrase per part, and the failures that make it exit 1."""

    parts: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def fail(self, why: str) -> None:
        self.failures.append(why)


def self_test() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    report = Report()
    check_pcsc(report)
    check_nfc(report)
    display = display_problem(os.environ)
    if display is not None:  # Qt would abort on it, before the window test could say anything
        report.parts.append("window FAILED")
        report.fail(display)
    else:
        with tempfile.TemporaryDirectory(prefix="bashgah-self-test-") as tmp:
            try:
                _window_test(Path(tmp), report)
            except Exception as error:  # the self-test reports, it does not crash with a traceback
                report.parts.append("window FAILED")
                report.fail(f"the window test broke: {type(error).__name__}: {error}")
    verdict = "FAILED" if report.failures else "ok"
    print(f"self-test {verdict}: " + "; ".join(report.parts))
    for why in report.failures:
        print(f"self-test FAILED: {why}", file=sys.stderr)
    return 1 if report.failures else 0


# ---------------------------------------------------------------------------------------------- readers


def check_pcsc(report: Report) -> None:
    """pyscard importable (app.cards.pcsc sets `scard` to None when it or libpcsclite is missing)."""
    from app.cards import pcsc

    if pcsc.scard is None:
        report.parts.append("PC/SC (pyscard) MISSING")
        report.fail(f"PC/SC readers cannot work: {_import_error('smartcard.scard')}")
        return
    running = pcsc.PcscBackend().is_available()
    report.parts.append(f"PC/SC (pyscard) present, pcscd {'running' if running else 'not running'}")


def check_nfc(report: Report) -> None:
    """nfcpy, the drivers it loads by name, and libusb (python-libusb1 loads it only when first used)."""
    try:
        importlib.import_module("app.cards.nfc")
        importlib.import_module("nfc")
        for driver in NFC_DRIVERS:
            importlib.import_module(f"nfc.clf.{driver}")
    except Exception as error:  # ImportError, or a driver's own import-time failure
        report.parts.append("NFC (nfcpy) MISSING")
        report.fail(f"USB NFC readers cannot work: {type(error).__name__}: {error}")
        return
    try:
        import usb1

        usb1.getVersion()
    except Exception as error:  # usb1 raises OSError or its own error when libusb-1.0 cannot be loaded
        report.parts.append("NFC (nfcpy) present, libusb MISSING")
        report.fail(f"USB NFC readers cannot work without libusb-1.0: {type(error).__name__}: {error}")
        return
    report.parts.append("NFC (nfcpy) present")


def _import_error(module: str) -> str:
    try:
        importlib.import_module(module)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return f"{module} imports now, but did not when the terminal started"


# ---------------------------------------------------------------------------------------------- window


def display_problem(env: Mapping[str, str]) -> str | None:
    """Why Qt's xcb platform could not open the X display, or None: Qt aborts on it (qFatal) before the
    window test could say anything. Asked of libxcb, as Qt will (a server that answers and lets us in)."""
    if env.get("QT_QPA_PLATFORM", "").partition(":")[0] != "xcb":
        return None
    display = env.get("DISPLAY", "")
    if not display:
        return "QT_QPA_PLATFORM=xcb but DISPLAY is not set: no X display to open the window on"
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return None  # not loadable from here (a bundle may carry its own): Qt will say
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)  # never NULL: an error connection at worst
    error = xcb.xcb_connection_has_error(connection)
    xcb.xcb_disconnect(connection)
    if error:
        return f"cannot open the X display {display} (no X server there, or it does not let us in)"
    return None


def _window_test(tmp: Path, report: Report) -> None:
    from app.cards.simulated import SimulatedReader
    from app.services.demo import seed_demo
    from app.services.terminal import open_terminal
    from app.ui.app import start_window

    data_dir = tmp / "data"
    summary = seed_demo(data_dir, members=6, seed=11)
    terminal = open_terminal(data_dir)
    running = start_window(terminal, [SimulatedReader("Self-test reader")], lang="fa")
    try:
        cashier = next(s for s in summary.staff if s["role"] == "cashier")
        try:
            report.parts.append(_run_steps(running, terminal, cashier))
        except StepFailedError as failed:
            report.parts.append("window FAILED")
            report.fail(str(failed))
            return
        check_qt_translation(report)
        check_printer(running.window, tmp / "receipt.bin", report)
        check_camera(report)
    finally:
        running.close()


class StepFailedError(Exception):
    """A step of the window test did not happen; the message says which."""


def _expect(condition: Callable[[], bool], why: str) -> None:
    if not _wait(condition):
        raise StepFailedError(why)


def _run_steps(running: Any, terminal: Any, cashier: dict) -> str:
    """The window's steps, what they showed; StepFailedError at the first that did not happen."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from app.services.demo_cards import demo_card_numbers, demo_tap
    from app.services.identify import find_member
    from app.services.staff_auth import authenticate

    window = running.window
    window.activateWindow()
    window.raise_()
    QTest.qWaitForWindowActive(window, TIMEOUT_MS)
    _expect(
        lambda: QApplication.activeWindow() is window,
        f"the window did not become the active window on the {QGuiApplication.platformName()!r} display, "
        "so it would get no keyboard input",
    )
    running.ctx.session.log_in(authenticate(terminal, cashier["name"], cashier["pin"]))
    window.show_idle()
    number = demo_card_numbers(terminal)[0]
    before = find_member(terminal, number).balance.points
    shown: list[str] = []
    window.member_shown.connect(shown.append)
    running.ctx.simulated.tap(*demo_tap(terminal, number))
    _expect(lambda: bool(shown), "the tapped card did not open the member view")
    window.member.setFocus(Qt.FocusReason.OtherFocusReason)  # where a cashier's Enter goes
    _expect(lambda: QApplication.focusWidget() is window.member, "the member view did not get the focus")
    QTest.keyClick(window.member, Qt.Key.Key_Return)  # Enter on the member screen: checkout
    _expect(lambda: window.stack.currentWidget() is window.checkout, "Enter did not open the checkout")
    amount = window.checkout.amount_edit
    _expect(  # the checkout puts the focus there itself: a cashier types the amount straight away
        lambda: QApplication.focusWidget() is amount, "the checkout's amount field did not get the focus"
    )
    QTest.keyClicks(amount, "250000")  # Toman
    recorded: list[object] = []
    window.checkout.sale_recorded.connect(recorded.append)
    QTest.keyClick(amount, Qt.Key.Key_Return)
    _expect(lambda: bool(recorded), "the sale was not recorded")
    after = find_member(terminal, number).balance.points
    if after <= before:
        raise StepFailedError(f"the balance did not move ({before} → {after})")
    return f"window ok: card {number} opened its member, sale recorded, {before} → {after} points"


def check_qt_translation(report: Report) -> None:
    """The window is Persian: Qt's own buttons must be too (qtbase_fa.qm, which a bundle must carry)."""
    from PySide6.QtCore import QCoreApplication

    if QCoreApplication.translate(QT_BUTTONS, "Cancel") == "Cancel":
        report.parts.append("Qt's Persian MISSING")
        report.fail("Qt's own Persian translation (qtbase_fa.qm) is not loaded: its buttons would be English")
        return
    report.parts.append("Qt's Persian loaded")


def check_camera(report: Report) -> None:
    """Qt Multimedia and a backend for the enrolment's camera; the camera itself is only reported."""
    from app.ui.camera import camera_support, default_camera

    if not camera_support():
        report.parts.append("camera (Qt Multimedia) MISSING")
        report.fail(f"the enrolment's camera cannot work: {_import_error('PySide6.QtMultimedia')}")
        return
    from PySide6.QtMultimedia import QMediaPlayer

    if not QMediaPlayer().isAvailable():
        report.parts.append("camera backend MISSING")
        report.fail("Qt Multimedia found no backend (its FFmpeg plugin): the enrolment's camera cannot work")
        return
    camera = default_camera()
    report.parts.append(
        f"camera backend present, {f'camera {camera.name}' if camera else 'no camera connected'}"
    )


# ---------------------------------------------------------------------------------------------- printer


def check_printer(window: Any, path: Path, report: Report) -> None:
    """The self-test's sale's receipt, through python-escpos to a file printer, in the language the
    terminal would print it in (English where Pillow cannot shape Persian)."""
    from app.receipts.escpos import print_to_setting, printable_language

    if not _wait(lambda: window.receipt.receipt() is not None):
        report.parts.append("printer path FAILED")
        report.fail("the sale's receipt was never ready to print")
        return
    lang = printable_language("fa")
    try:
        print_to_setting(f"file:{path}", window.receipt.receipt(lang))
    except Exception as error:  # ImportError (no python-escpos or Pillow), OSError, escpos's own errors
        report.parts.append("printer path FAILED")
        report.fail(f"receipts cannot be printed: {type(error).__name__}: {error}")
        return
    data = path.read_bytes() if path.exists() else b""
    missing = [name for name, code in _expected_codes(lang) if code not in data]
    if missing:
        report.parts.append("printer path FAILED")
        report.fail(f"the receipt's {len(data)} printer bytes lack {', '.join(missing)}")
        return
    shaped = "Persian drawn" if lang == "fa" else "English: Pillow cannot shape Persian here"
    report.parts.append(f"printer path ok ({len(data)} bytes, {shaped})")


def _expected_codes(lang: str) -> list[tuple[str, bytes]]:
    codes = [("the paper cut", ESCPOS_CUT)]
    if lang == "fa":
        codes.append(("the drawn rows", ESCPOS_RASTER))
    return codes


def _wait(condition: Callable[[], bool], timeout_ms: int = TIMEOUT_MS) -> bool:
    from PySide6.QtTest import QTest

    waited = 0
    while not condition() and waited < timeout_ms:
        QTest.qWait(20)
        waited += 20
    return condition()
