# SPDX-License-Identifier: GPL-3.0-or-later
"""Keyboard-wedge QR scanners in the window: a member QR scanned on any screen opens the member, and an
event invitation QR (`BGI1:…`) scanned at the door is its guest's verdict.

A scanner types like a keyboard, into whatever has the focus. Left alone, a QR scanned while the member
view shows would end in Enter — "Checkout" for the member on screen — and one scanned in the amount field
would type its characters there. So every key the window receives goes through `app.cards.wedge`'s
classifier first (by timing: a scanner's burst against a person's keys): keys are held while they come
machine-fast, a burst that is a member QR becomes `scanned` (the card path, as a tap), and everything else
is given back to the window it was meant for, in order, as if nothing happened — a person's key at most
`hold_gap_us` (50 ms) later, a barcode that is not ours as it was typed.

Only keys on their way into a window are looked at (what a real keyboard or scanner sends); keys sent
straight to a widget (QTest.keyClick(widget, …)) pass by. The idle screen still recognises a QR typed
into its search field, for a scanner too slow to be told apart by timing.

UI thread only: the filter, its timer and the signal all live there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QWindow

from app.cards.wedge import Scanned, WedgeClassifier, WedgeOutput, WedgeThresholds

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_CHORDS = (
    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
)


def looks_like_member_qr(text: str) -> bool:
    # app.cards.qr brings the card signatures (cryptography, ndef) with it: imported at the first scan or
    # key, by which time the window has loaded it on the worker (MainWindow at log-in)
    from app.cards.qr import PREFIX

    return text.startswith(PREFIX)


def looks_like_club_qr(text: str) -> bool:
    """A member QR or an event invitation (`BGI1:…`): both are scans the window takes, never typing."""
    from app.cards.invitation_qr import PREFIX as INVITATION

    return looks_like_member_qr(text) or text.startswith(INVITATION)


@dataclass(slots=True)
class _HeldKey:
    window: QWindow
    press: QKeyEvent
    release: QKeyEvent | None = None


def _monotonic_us() -> int:
    return time.monotonic_ns() // 1000


class ScannerKeys(QObject):
    """An application event filter: install with `app.installEventFilter(keys)`, remove on close."""

    scanned = Signal(str)  # a member QR's or an invitation's text

    def __init__(
        self,
        is_member_qr: Callable[[str], bool] = looks_like_club_qr,
        *,
        thresholds: WedgeThresholds | None = None,
        clock_us: Callable[[], int] = _monotonic_us,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._is_member_qr = is_member_qr
        self._clock_us = clock_us
        self._classifier = WedgeClassifier(thresholds)
        self._held: list[_HeldKey] = []  # one per key fed, oldest first
        self._replaying = False
        self._timer = QTimer(self, singleShot=True, timeout=self._on_timer)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if self._replaying or not isinstance(watched, QWindow) or not isinstance(event, QKeyEvent):
            return False
        if event.type() == QEvent.Type.KeyRelease:
            return self._hold_release(event)
        if event.type() != QEvent.Type.KeyPress:
            return False
        key = _fed_key(event)
        if key is None:  # F-keys, arrows, chords: never a scanner's. What is held goes first, in order.
            self._settle(self._classifier.flush(None))
            return False
        self._held.append(_HeldKey(watched, _copy(event)))
        self._settle(self._classifier.feed(key, self._clock_us()))
        return True

    def _hold_release(self, event: QKeyEvent) -> bool:
        """A key let go while its press is held goes after that press (a button pressed after its release
        would stay down); with a scan, both are dropped."""
        for held in self._held:
            if held.release is None and held.press.key() == event.key():
                held.release = _copy(event)
                return True
        return False

    def flush(self) -> None:
        """Give back every held key now (e.g. before the window closes)."""
        self._settle(self._classifier.flush(None))

    def _on_timer(self) -> None:
        self._settle(self._classifier.flush(self._clock_us()))

    def _settle(self, outputs: list[WedgeOutput]) -> None:
        for output in outputs:
            count = len(output.keys)
            taken, self._held = self._held[:count], self._held[count:]
            if isinstance(output, Scanned) and self._is_member_qr(output.text):
                self.scanned.emit(output.text)
            else:  # a person's keys, or a code that is not a member QR: typed where it was going
                self._replay(taken)
        self._arm()

    def _replay(self, keys: list[_HeldKey]) -> None:
        self._replaying = True
        try:
            for held in keys:
                QCoreApplication.sendEvent(held.window, held.press)
                if held.release is not None:
                    QCoreApplication.sendEvent(held.window, held.release)
        finally:
            self._replaying = False

    def _arm(self) -> None:
        due = self._classifier.next_flush_us()
        if due is None:
            self._timer.stop()
            return
        self._timer.start(max(0, (due - self._clock_us() + 999) // 1000))


def _fed_key(event: QKeyEvent) -> str | None:
    """What the classifier is fed for this key: a character, "Enter", or None (let it pass)."""
    if event.isAutoRepeat() or event.modifiers() & _CHORDS:
        return None
    if event.key() in _ENTER:
        return "Enter"
    text = event.text()
    return text if len(text) == 1 and text.isprintable() else None


def _copy(event: QKeyEvent) -> QKeyEvent:
    """Qt reuses the event it delivers: keep what is needed to send the same key again."""
    key, modifiers, text = event.key(), event.modifiers(), event.text()
    return QKeyEvent(event.type(), key, modifiers, text, event.isAutoRepeat(), event.count())
