# SPDX-License-Identifier: GPL-3.0-or-later
"""A simulated card reader (source "simulated"): the demo's reader and the real readers' twin in tests.

Threading: `tap`, `tap_garbage`, `remove`, `unplug` and `plug` may be called from any thread (the demo's UI,
a test); they only put events on a thread-safe queue. `poll`, `readers` and `close` run on the device thread,
like every backend's. It follows the same rules as the real readers: one TAPPED or READ_FAILED per
presentation and one REMOVED when the card leaves (also when another card replaces it or the reader is
unplugged under it), READER_REMOVED / READER_ADDED for unplug / plug, and nothing is read while unplugged.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from app.cards.base import CardEvent, CardEventKind, ReaderInfo, ReadError, ReaderState

SOURCE = "simulated"
GARBAGE_UID = bytes.fromhex("08DEADBE")  # a random-UID style ID, as a foreign card might give


def _now_us() -> int:
    return time.time_ns() // 1000


class SimulatedReader:
    """A `ReaderBackend` whose card is whatever the caller taps."""

    source = SOURCE

    def __init__(
        self,
        name: str = "Simulated reader",
        *,
        plugged: bool = True,
        read_us: int = 15_000,
        clock_us: Callable[[], int] = _now_us,
    ) -> None:
        """`read_us`: the read time reported on TAPPED, about what a real NFC read takes, so that the demo's
        timings look like a shop's."""
        self._name = name
        self._read_us = read_us
        self._clock_us = clock_us
        self._lock = threading.Lock()  # guards the state below; the queue is thread-safe by itself
        self._plugged = plugged
        self._card_uid: bytes | None = None
        self._card_present = False
        self._closed = False
        self._events: queue.SimpleQueue[CardEvent] = queue.SimpleQueue()
        if plugged:
            self._put(CardEventKind.READER_ADDED)  # like a real backend announcing the reader it opened

    # -- the controls (any thread) ---------------------------------------------------------------------------

    def tap(self, uid: bytes, ndef: bytes) -> bool:
        """Put a card with this UID and NDEF message on the reader. False when unplugged (nothing happens)."""
        return self._present(uid, CardEventKind.TAPPED, ndef=bytes(ndef), read_us=self._read_us)

    def tap_garbage(
        self, uid: bytes = GARBAGE_UID, error: ReadError = ReadError.BAD_RESPONSE, detail: str = "simulated"
    ) -> bool:
        """Put a card on the reader that cannot be read (READ_FAILED with `error`)."""
        return self._present(uid, CardEventKind.READ_FAILED, error=error, detail=detail)

    def remove(self) -> None:
        """Take the card away (REMOVED); harmless when there is none."""
        with self._lock:
            self._end_presentation()

    def unplug(self) -> None:
        with self._lock:
            if not self._plugged:
                return
            self._end_presentation()
            self._plugged = False
            self._put(CardEventKind.READER_REMOVED, detail="simulated unplug")

    def plug(self) -> None:
        with self._lock:
            if self._plugged:
                return
            self._plugged = True
            self._put(CardEventKind.READER_ADDED)

    # -- ReaderBackend (device thread) -----------------------------------------------------------------------

    def is_available(self) -> bool:
        with self._lock:
            return self._plugged and not self._closed

    def readers(self) -> list[ReaderInfo]:
        with self._lock:
            if not self._plugged:
                state = ReaderState.UNAVAILABLE
            elif self._card_present:
                state = ReaderState.CARD_PRESENT
            else:
                state = ReaderState.READY
        return [ReaderInfo(source=self.source, name=self._name, state=state)]

    def poll(self, timeout_ms: int) -> list[CardEvent]:
        if self._closed:
            return []
        events: list[CardEvent] = []
        try:
            events.append(self._events.get(timeout=max(0, timeout_ms) / 1000))
        except queue.Empty:
            return events
        while True:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                return events

    def close(self) -> None:
        with self._lock:
            self._closed = True

    # -- helpers (under the lock) ----------------------------------------------------------------------------

    def _present(self, uid: bytes, kind: CardEventKind, **fields: object) -> bool:
        with self._lock:
            if not self._plugged or self._closed:
                return False
            self._end_presentation()  # a new card replaces the one lying there
            self._card_uid, self._card_present = bytes(uid), True
            self._put(kind, uid=self._card_uid, **fields)
            return True

    def _end_presentation(self) -> None:
        if self._card_present:
            self._put(CardEventKind.REMOVED, uid=self._card_uid)
        self._card_uid, self._card_present = None, False

    def _put(self, kind: CardEventKind, **fields: object) -> None:
        event = CardEvent(kind=kind, source=self.source, reader=self._name, at_us=self._clock_us(), **fields)
        self._events.put(event)
