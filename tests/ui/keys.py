# SPDX-License-Identifier: GPL-3.0-or-later
"""Keys into a real window as the platform hands them over: each stamped with when it was typed.

X11, Wayland and Windows stamp a key event (QKeyEvent.timestamp(), ms) when the key is typed, before the
window reads it; the scanner filter times a burst by those stamps. QTest.keyClick stamps a key when this
process sends it, so on a busy machine its "scanner" types as slowly as the test process happens to run.
Here the typing speed is in the stamps: keys typed `gap_ms` apart, ending now, given to the window in one
go, in order, as the UI thread reads keys that queued while it was busy. The result is the same on an idle
machine and on one four times busier. An upper-case letter or a shifted sign comes as the platform sends
it from a keyboard or a scanner (US layout): Shift pressed, the key, Shift let go.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QKeyEvent, QWindow

SCANNER_GAP_MS = 4  # a USB scanner: a key every few ms
PERSON_GAP_MS = 120  # a person: 80 ms or more between keys

_NAMED = {"Enter": (Qt.Key.Key_Return, "\r"), "Left": (Qt.Key.Key_Left, ""), "Tab": (Qt.Key.Key_Tab, "\t")}
_SHIFTED_SIGNS = frozenset('~!@#$%^&*()_+{}|:"<>?')
_SHIFT = Qt.KeyboardModifier.ShiftModifier


def typed_stamps(count: int, gap_ms: int, last_ms: int | None = None) -> list[int]:
    """`count` typing times `gap_ms` apart, the last one at `last_ms` (default: now, monotonic ms)."""
    last = time.monotonic_ns() // 1_000_000 if last_ms is None else last_ms
    return [last - (count - 1 - i) * gap_ms for i in range(count)]


def type_keys(window: QWindow, keys: Sequence[str], stamps: Sequence[int]) -> None:
    """Each key (a character or a name in `_NAMED`) pressed and released at its stamp, into `window`."""
    for key, stamp in zip(keys, stamps, strict=True):
        for kind, code, modifiers, text in _key_events(key):
            event = QKeyEvent(kind, code, modifiers, text)
            event.setTimestamp(stamp)
            QCoreApplication.sendEvent(window, event)


def _key_events(key: str) -> list[tuple[QEvent.Type, int, Qt.KeyboardModifier, str]]:
    press, release, none = QEvent.Type.KeyPress, QEvent.Type.KeyRelease, Qt.KeyboardModifier.NoModifier
    code, text = _NAMED.get(key) or (ord(key.upper()), key)
    if not (len(key) == 1 and (key.isupper() or key in _SHIFTED_SIGNS)):
        return [(press, code, none, text), (release, code, none, text)]
    shift = Qt.Key.Key_Shift
    return [(press, shift, none, ""), (press, code, _SHIFT, text), (release, code, _SHIFT, text),
            (release, shift, _SHIFT, "")]  # fmt: skip


def scan(window: QWindow, text: str, gap_ms: int = SCANNER_GAP_MS) -> None:
    """What a keyboard-wedge scanner does: `text` in a burst, then Enter."""
    keys = [*text, "Enter"]
    type_keys(window, keys, typed_stamps(len(keys), gap_ms))


def type_like_a_person(window: QWindow, text: str) -> None:
    type_keys(window, list(text), typed_stamps(len(text), PERSON_GAP_MS))
