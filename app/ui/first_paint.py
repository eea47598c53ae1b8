# SPDX-License-Identifier: GPL-3.0-or-later
"""Work that waits for a widget's first frame: `after_first_paint(widget, then)` calls `then` on the event
loop's next turn after the widget is first painted, so a screen shows before what it does not need yet
is built (the window's first frame: the login screen before the till's views; the member's profile
before their standing in the programme is read)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class _AfterFirstPaint(QObject):
    def __init__(self, widget: QWidget, then: Callable[[], object], at_the_latest_ms: int | None) -> None:
        super().__init__(widget)  # goes with the widget: nothing runs for a widget that is gone
        self._then: Callable[[], object] | None = then
        widget.installEventFilter(self)
        if at_the_latest_ms is not None:
            QTimer.singleShot(at_the_latest_ms, self, self._run)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self, self._run)  # after this frame, not inside it
        return False

    def _run(self) -> None:
        then, self._then = self._then, None
        self.deleteLater()
        if then is not None:
            then()


def after_first_paint(
    widget: QWidget, then: Callable[[], object], *, at_the_latest_ms: int | None = None
) -> None:
    """Call `then` once, just after `widget` is first painted (never, if it is deleted before), or after
    `at_the_latest_ms` if it has not been painted by then (a window started minimised still works)."""
    _AfterFirstPaint(widget, then, at_the_latest_ms)
