# SPDX-License-Identifier: GPL-3.0-or-later
"""The contract every reader backend passes, real or simulated (STYLE.md: adapters share contract tests).

Subclass ReaderContract in a test module and provide:
- `backend` fixture: a started backend whose readers are present (yield it; the contract closes it);
- `present_card(uid: bytes, ndef: bytes)`: make that card appear on the backend's first reader;
- `remove_card()`: take it away.

Every backend reads a card's UID and NDEF and reports it leaving. QR scanners that type are not reader
backends: their keys are told apart on the UI thread (`app.ui.scanner`, docs/design.md "Window").
"""

from __future__ import annotations

import time

from app.cards.base import CardEvent, CardEventKind, ReaderBackend, ReaderInfo

UID = bytes.fromhex("04A1B2C3D4E5F6")
NDEF = bytes.fromhex("d2") + b"\x1c\x05" + b"application/vnd.bashgah.card" + b"hello"


def wait_for(backend: ReaderBackend, kind: CardEventKind, timeout_s: float = 5.0) -> CardEvent:
    deadline = time.monotonic() + timeout_s
    seen: list[CardEvent] = []
    while time.monotonic() < deadline:
        for event in backend.poll(100):
            seen.append(event)
            if event.kind is kind:
                return event
    raise AssertionError(f"no {kind} event within {timeout_s}s; saw {seen}")


class ReaderContract:
    uid = UID  # a backend whose cards have other UIDs (FeliCa IDm: 8 bytes) sets its own

    def present_card(self, uid: bytes, ndef: bytes) -> None:
        raise NotImplementedError

    def remove_card(self) -> None:
        raise NotImplementedError

    def test_is_a_reader_backend(self, backend):
        assert isinstance(backend, ReaderBackend)
        assert isinstance(backend.source, str) and backend.source
        assert backend.is_available() is True

    def test_lists_its_readers(self, backend):
        readers = backend.readers()
        assert readers and all(isinstance(r, ReaderInfo) for r in readers)
        assert all(r.source == backend.source for r in readers)

    def test_poll_returns_within_its_timeout_when_nothing_happens(self, backend):
        backend.poll(0)  # drain start-up events
        started = time.monotonic()
        events = backend.poll(200)
        assert time.monotonic() - started < 2.0
        assert all(e.kind is not CardEventKind.TAPPED for e in events)

    def test_a_presented_card_is_read(self, backend):
        backend.poll(0)
        self.present_card(self.uid, NDEF)
        event = wait_for(backend, CardEventKind.TAPPED)
        assert event.source == backend.source and event.reader
        assert event.at_us > 0
        assert event.uid == self.uid
        assert event.ndef == NDEF
        self.remove_card()
        removed = wait_for(backend, CardEventKind.REMOVED)
        assert removed.source == backend.source and removed.reader == event.reader

    def test_close_twice_is_harmless(self, backend):
        backend.close()
        backend.close()
