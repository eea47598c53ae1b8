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
    def __init__(self, widget: QWidget, then: Callable[[], object]) -> None:
        super().__init__(widget)  # goes with the widget: nothing runs for a widget that is gone
        self._then: Callable[[], object] | None = then
        widget.installEventFilter(self)

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


def after_first_paint(widget: QWidget, then: Callable[[], object]) -> None:
    """Call `then` once, just after `widget` is first painted (never, if it is deleted before)."""
    _AfterFirstPaint(widget, then)
