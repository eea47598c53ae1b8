# SPDX-License-Identifier: GPL-3.0-or-later
"""The window's side of crash reports (app.logs writes them): say where the report is.

- An uncaught exception while the window runs (a slot that raised, a worker thread that died): app.logs'
  hook writes the report, then a message box here says where it is. The hook may run on any thread, so it
  only emits a signal; the box is shown on the UI thread, one at a time (a timer that keeps failing does
  not stack boxes).
- At start, when a crash report was written since the window last started (its own crash, a native
  one, or a `bashgah sync` that died): a band across the top of the window says so and where, until the
  cashier dismisses it.

Both follow the window's language (F10).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QMainWindow, QMessageBox, QPushButton, QWidget

from app import logs
from app.ui.widgets.banner import BannerKind, BannerWidget


class CrashNotice(QWidget):
    """The band at the top of the window about a crash since the last start, with a Dismiss button."""

    def __init__(self, report: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashNotice")
        self.report = report
        self.banner = BannerWidget(self)
        self.dismiss = QPushButton(self)
        self.dismiss.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 12, 8)
        row.addWidget(self.banner, 1)
        row.addWidget(self.dismiss, 0, Qt.AlignmentFlag.AlignVCenter)
        self.retranslate()

    def retranslate(self) -> None:
        self.banner.show_message(
            self.tr("Bashgah stopped unexpectedly last time"),
            self.tr(
                "A crash report was saved to {path}. If it happens again, send that file to support."
            ).format(path=f"\u2066{self.report}\u2069"),
            BannerKind.WARNING,
        )
        self.dismiss.setText(self.tr("Dismiss"))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class CrashWatch(QObject):
    """Shows the message box for a crash report written while the window runs."""

    reported = Signal(str)  # the report's path; emitted on whichever thread crashed

    def __init__(self, window: QMainWindow, setup: logs.LogSetup) -> None:
        super().__init__(window)
        self.window = window
        self.setup = setup
        self.box: QMessageBox | None = None
        self.notice: CrashNotice | None = None
        self.reported.connect(self.show_report, Qt.ConnectionType.QueuedConnection)
        emit = self.reported.emit

        def on_crash(path: Path) -> None:
            emit(str(path))

        setup.on_crash(on_crash)
        # a closed window hears of no more crashes (a plain function: `self` is being destroyed then)
        window.destroyed.connect(functools.partial(_forget, setup, on_crash))

    def show_report(self, path: str) -> None:
        text = self.tr(
            "Something went wrong in the window. A report was saved to:\n{path}\n\n"
            "You can go on working. If it happens again, restart Bashgah and send that file to support."
        ).format(path=f"\u2066{path}\u2069")
        if self.box is None:
            self.box = QMessageBox(
                QMessageBox.Icon.Warning,
                self.tr("Bashgah: an error"),
                text,
                QMessageBox.StandardButton.Ok,
                self.window,
            )
            self.box.setObjectName("crashMessage")
            self.box.setWindowModality(Qt.WindowModality.NonModal)
        self.box.setText(text)
        self.box.show()

    def show_earlier(self, report: Path) -> CrashNotice:
        self.notice = CrashNotice(report)
        self.window.setMenuWidget(self.notice)  # above the screens, below nothing: the window has no menu
        return self.notice


def _forget(setup: logs.LogSetup, listener: Callable[[Path], None], *_args: object) -> None:
    if listener in setup.crash_listeners:
        setup.crash_listeners.remove(listener)


def watch_crashes(window: QMainWindow, setup: logs.LogSetup | None = None) -> CrashWatch | None:
    """Tell the cashier about crash reports in `window`; None when logging was not started (tests that
    build a window without `logs.start`)."""
    setup = setup or logs.current()
    if setup is None:
        return None
    watch = CrashWatch(window, setup)
    earlier = setup.crashes_since_last_start()
    if earlier:
        watch.show_earlier(earlier[-1])
    return watch
