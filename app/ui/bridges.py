# SPDX-License-Identifier: GPL-3.0-or-later
"""Thread events become Qt signals: the card manager's callback runs on the device thread, and a
signal emitted there reaches UI-thread slots through Qt's queued connection."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.cards.base import CardEvent, CardEventKind


class CardBridge(QObject):
    card_presented = Signal(object)  # CardEvent of kind TAPPED or READ_FAILED
    readers_changed = Signal(object)  # CardEvent of any other kind (reader added/removed, backend up/down)

    def on_card_event(self, event: CardEvent) -> None:
        """The card manager's `on_event` callback (device thread)."""
        if event.kind in (CardEventKind.TAPPED, CardEventKind.READ_FAILED):
            self.card_presented.emit(event)
        elif event.kind is not CardEventKind.REMOVED:
            self.readers_changed.emit(event)
