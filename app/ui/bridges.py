# SPDX-License-Identifier: GPL-3.0-or-later
"""Thread events become Qt signals: the card manager's callback runs on the device thread, and a
signal emitted there reaches UI-thread slots through Qt's queued connection.

The device thread emits only private signals, queued to this object's own slots (it lives on the UI
thread), which re-emit the public ones there. PySide6 (6.11) can crash delivering a queued
`Signal(object)` from a Python thread straight to a plain callable (a lambda, pytest-qt's signal
blocker); delivery to a decorated slot is safe (see app/ui/sync_worker.py).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from app.cards.base import CardEvent, CardEventKind


class CardBridge(QObject):
    card_presented = Signal(object)  # CardEvent of kind TAPPED or READ_FAILED
    readers_changed = Signal(object)  # CardEvent of any other kind (reader added/removed, backend up/down)
    _presented = Signal(object)  # emitted on the device thread only
    _readers = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._presented.connect(self._on_presented)
        self._readers.connect(self._on_readers)

    def on_card_event(self, event: CardEvent) -> None:
        """The card manager's `on_event` callback (device thread)."""
        if event.kind in (CardEventKind.TAPPED, CardEventKind.READ_FAILED):
            self._presented.emit(event)
        elif event.kind is not CardEventKind.REMOVED:
            self._readers.emit(event)

    @Slot(object)
    def _on_presented(self, event: CardEvent) -> None:
        self.card_presented.emit(event)

    @Slot(object)
    def _on_readers(self, event: CardEvent) -> None:
        self.readers_changed.emit(event)
