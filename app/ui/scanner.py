# SPDX-License-Identifier: GPL-3.0-or-later
"""Keyboard-wedge QR scanners in the window: a member QR or a member's phone code (app.cards.phone_pass)
scanned on any screen opens the member, and at the door either, or an event invitation QR (`BGI1:…`), is
its guest's verdict.

A scanner types like a keyboard, into whatever has the focus. Left alone, a QR scanned while the member
view shows would end in Enter — "Checkout" for the member on screen — and one scanned in the amount field
would type its characters there. So every key the window receives goes through `app.cards.wedge`'s
classifier first (by timing: a scanner's burst against a person's keys): keys are held while they come
machine-fast, a burst that is a member QR becomes `scanned` (the card path, as a tap), and everything else
is given back to the window it was meant for, in order, as if nothing happened — a person's key at most
`hold_gap_us` (50 ms) later, a barcode that is not ours as it was typed.

The timing is when the keys were typed: the platform's stamp on each key event (`TypingClock`), not when
this thread reads them. A busy UI thread reads keys late: a person's, queued during a stall, would arrive
machine-fast; a scan the thread stopped in the middle of would show a long gap and be typed into the field.
The hold timer runs on this thread's clock (a burst is over once the thread was free to read keys for
`hold_gap_us` and none came); when it fires late, the thread was busy and keys typed meanwhile may be
queued behind it (Qt runs a due timer before queued input), so it waits again (twice at most) first.

Only keys on their way into a window are looked at (what a real keyboard or scanner sends); keys sent
straight to a widget (QTest.keyClick(widget, …)) pass by, and so do modifiers pressed alone: the Shift a
scanner presses for every capital letter and ":" would otherwise end its burst at the first one. The idle
screen still recognises a QR typed into its search field, for a scanner too slow to be told apart by timing.

UI thread only: the filter, its timer and the signal all live there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QWindow

from app.cards.wedge import Scanned, TypingClock, WedgeClassifier, WedgeOutput, WedgeThresholds

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_CHORDS = (
    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
)
# Pressed alone, these type nothing: a scanner presses Shift for each capital and ":" (US layout) and the
# platform sends it as a key of its own. They go on to the window and neither feed nor end a burst.
_MODIFIER_KEYS = frozenset({
    Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_AltGr, Qt.Key.Key_Meta,
    Qt.Key.Key_Super_L, Qt.Key.Key_Super_R, Qt.Key.Key_Hyper_L, Qt.Key.Key_Hyper_R, Qt.Key.Key_Mode_switch,
    Qt.Key.Key_CapsLock, Qt.Key.Key_NumLock,
})  # fmt: skip
# A free UI thread's precise timer fires within a ms or two, a loaded machine's within a few more: later than
# this, the thread was busy with something else and keys may be waiting behind the timer.
_LATE_US = 10_000
_LATE_RETRIES = 2  # bounds how long a person's key can wait on a machine too busy to fire timers on time


def looks_like_member_qr(text: str) -> bool:
    # app.cards.qr brings the card signatures (cryptography, ndef) with it: imported at the first scan or
    # key, by which time the window has loaded it on the worker (MainWindow at log-in)
    from app.cards.qr import PREFIX

    return text.startswith(PREFIX)


def looks_like_club_qr(text: str) -> bool:
    """A member QR, a member's phone code (461 digits) or an event invitation (`BGI1:…`): scans the window
    takes, never typing."""
    from app.cards.invitation_qr import PREFIX as INVITATION
    from app.cards.phone_pass import is_phone_code_text

    return looks_like_member_qr(text) or text.startswith(INVITATION) or is_phone_code_text(text)


@dataclass(slots=True)
class _HeldKey:
    window: QWindow
    press: QKeyEvent
    release: QKeyEvent | None = None


def _monotonic_us() -> int:
    return time.monotonic_ns() // 1000


class ScannerKeys(QObject):
    """An application event filter: install with `app.installEventFilter(keys)`, remove on close."""

    scanned = Signal(str)  # a member QR's, a phone code's or an invitation's text

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
        self._typing = TypingClock()
        self._held: list[_HeldKey] = []  # one per key fed, oldest first
        self._read_us = 0  # when the last key fed was read, on `clock_us`
        self._due_us = 0  # when the timer is due, on `clock_us`
        self._late_retries = 0
        self._replaying = False
        self._timer = QTimer(
            self, singleShot=True, timerType=Qt.TimerType.PreciseTimer, timeout=self._on_timer
        )

    def holding(self) -> int:
        """How many keys are held back right now, waiting to see whether they are a scan."""
        return len(self._held)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if self._replaying or not isinstance(watched, QWindow) or not isinstance(event, QKeyEvent):
            return False
        if event.type() == QEvent.Type.KeyRelease:
            return self._hold_release(event)
        if event.type() != QEvent.Type.KeyPress or event.key() in _MODIFIER_KEYS:
            return False
        key = _fed_key(event)
        if key is None:  # F-keys, arrows, chords: never a scanner's. What is held goes first, in order.
            self._settle(self._classifier.flush(None))
            return False
        self._held.append(_HeldKey(watched, _copy(event)))
        self._read_us, self._late_retries = self._clock_us(), 0
        typed_us = self._typing.typed_at_us(event.timestamp(), self._read_us)
        self._settle(self._classifier.feed(key, typed_us))
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
        now = self._clock_us()
        if now - self._due_us > _LATE_US and self._late_retries < _LATE_RETRIES:
            self._late_retries += 1  # busy till now: let the keys queued meanwhile be read first
            self._start(now + self._classifier.thresholds.hold_gap_us)
            return
        self._settle(self._classifier.flush(None))  # the thread was free to read keys, and none came

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
        if not self._held:
            self._timer.stop()
            return
        self._start(self._read_us + self._classifier.thresholds.hold_gap_us + 1)

    def _start(self, due_us: int) -> None:
        self._due_us = due_us
        self._timer.start(max(0, (due_us - self._clock_us() + 999) // 1000))


def _fed_key(event: QKeyEvent) -> str | None:
    """What the classifier is fed for this key: a character, "Enter", or None (let it pass)."""
    if event.isAutoRepeat() or event.modifiers() & _CHORDS:
        return None
    if event.key() in _ENTER:
        return "Enter"
    text = event.text()
    return text if len(text) == 1 and text.isprintable() else None


def _copy(event: QKeyEvent) -> QKeyEvent:
    """Qt reuses the event it delivers: keep what is needed to send the same key again, typing time too."""
    key, modifiers, text = event.key(), event.modifiers(), event.text()
    copy = QKeyEvent(event.type(), key, modifiers, text, event.isAutoRepeat(), event.count())
    copy.setTimestamp(event.timestamp())
    return copy
