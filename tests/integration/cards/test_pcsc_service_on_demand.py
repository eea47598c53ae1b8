# SPDX-License-Identifier: GPL-3.0-or-later
"""A PC/SC service that is not there yet, or goes away: Windows' on-demand Smart Card service, through pcscd.

Windows starts its Smart Card service when a reader is plugged in and stops it after the last one is
removed; until then SCardEstablishContext answers SCARD_E_NO_SERVICE, and a context in use answers
SCARD_E_NO_SERVICE / SCARD_E_SERVICE_STOPPED. pcsc-lite answers SCARD_E_NO_SERVICE when pcscd is not
running, so stopping and starting a real pcscd (with vpcd and our Type 4 emulator) drives the backend's
real retry path: pyscard → libpcsclite → pcscd. What differs on Windows is what the absence means (no
reader attached, not a broken service): those tests make the backend see `sys.platform == "win32"` and
nothing else, and check the texts and the reader list the cashier gets.

Each test counts the backend's SCardEstablishContext calls over a window to tell waiting from spinning.
pcscd must have been started by the tests (they stop it); CI=true fails rather than skips without it.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from app.cards import pcsc
from app.cards.base import CardEvent, CardEventKind, ReaderState
from app.cards.manager import CardManager
from app.cards.pcsc import NO_READER_ATTACHED, PCSCD_DOWN, PcscBackend
from tests.support.pcscd import (  # noqa: F401  (the `pcscd` fixture)
    VIRTUAL_READERS,
    Pcscd,
    pcscd_fixture,
    unavailable,
    wait_until_readers_empty,
)
from tests.support.reader_contract import NDEF, UID
from tests.support.type4_emulator import VPCD_PORT, CardEmulator, Type4Card, kill_stale_emulators

READER_0, READER_1 = VIRTUAL_READERS
PORTS = {READER_0: VPCD_PORT, READER_1: VPCD_PORT + 1}
RETRY_S = 0.25
WINDOW_S = 1.5  # ≈ 6 retry intervals: a spinning backend would try thousands of times in it
WAIT_S = 8.0  # pcscd's start (≤ 10 s in the helper) is waited for by Pcscd.start itself
OTHER_UID = bytes.fromhex("04A1B2C3D4E5F6")


class CountingScard:
    """pyscard's scard module as the backend sees it, counting SCardEstablishContext calls."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self._lock = threading.Lock()
        self.establish = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def SCardEstablishContext(self, scope: int) -> Any:  # noqa: N802  (pyscard's name)
        with self._lock:
            self.establish += 1
        return self._real.SCardEstablishContext(scope)

    def attempts_over(self, seconds: float, work: Any) -> int:
        """How many contexts were asked for while `work(seconds)` ran."""
        with self._lock:
            before = self.establish
        work(seconds)
        with self._lock:
            return self.establish - before


def assert_not_spinning(attempts: int) -> None:
    expected = WINDOW_S / RETRY_S  # one try per retry interval
    assert expected - 2 <= attempts <= expected + 2, f"{attempts} SCardEstablishContext calls in {WINDOW_S} s"


class Card:
    """One emulated Type 4 card on a vpcd reader."""

    def __init__(self) -> None:
        self.emulator: CardEmulator | None = None

    def put(self, uid: bytes, reader: str = READER_0) -> None:
        self.take()
        self.emulator = CardEmulator(Type4Card(uid, NDEF), port=PORTS[reader])
        self.emulator.insert()

    def take(self) -> None:
        emulator, self.emulator = self.emulator, None
        if emulator is not None:
            emulator.remove()


class Events:
    """Events in order, from a backend polled on this thread or from a card manager's subscription."""

    def __init__(self, backend: PcscBackend | None = None, source: queue.Queue[CardEvent] | None = None):
        self.backend, self.source = backend, source
        self.seen: list[CardEvent] = []
        self._pending: list[CardEvent] = []

    def _fetch(self, timeout_s: float) -> None:
        if self.backend is not None:
            self._pending.extend(self.backend.poll(int(timeout_s * 1000)))
            return
        assert self.source is not None
        with contextlib.suppress(queue.Empty):
            self._pending.append(self.source.get(timeout=timeout_s))

    def next(self, kind: CardEventKind, reader: str | None = None, timeout_s: float = WAIT_S) -> CardEvent:
        deadline = time.monotonic() + timeout_s
        while True:
            while self._pending:
                event = self._pending.pop(0)
                self.seen.append(event)
                if event.kind is kind and reader in (None, event.reader):
                    return event
            if time.monotonic() >= deadline:
                where = reader or "any reader"
                raise AssertionError(f"no {kind} on {where} within {timeout_s} s; saw {self.seen}")
            self._fetch(0.1)

    def during(self, seconds: float) -> list[CardEvent]:
        """Every event within `seconds` (a test that expects none, or only some kinds)."""
        deadline, start = time.monotonic() + seconds, len(self.seen)
        while (remaining := deadline - time.monotonic()) > 0:
            self._fetch(min(0.1, remaining))
            self.seen.extend(self._pending)
            self._pending.clear()
        return self.seen[start:]


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingScard:
    if pcsc.scard is None:
        unavailable("pyscard is not importable")
    proxy = CountingScard(pcsc.scard)
    monkeypatch.setattr(pcsc, "scard", proxy)
    return proxy


@pytest.fixture
def stopped(pcscd: Pcscd) -> Iterator[Pcscd]:
    """pcscd stopped (what Windows' service is with no reader attached); running again afterwards."""
    if not pcscd.started_here:
        unavailable("the running pcscd was not started by the tests, so they may not stop it")
    for port in PORTS.values():
        kill_stale_emulators(port)
    wait_until_readers_empty()
    pcscd.stop()
    try:
        yield pcscd
    finally:
        pcscd.ensure_running()


@pytest.fixture
def card() -> Iterator[Card]:
    card = Card()
    yield card
    card.take()


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """The backend alone sees sys.platform == "win32"; the PC/SC calls and the retry path stay real."""
    monkeypatch.setattr(pcsc, "sys", SimpleNamespace(platform="win32"))


def backend() -> PcscBackend:
    return PcscBackend(retry_s=RETRY_S, reader_filter=lambda name: name in PORTS)


# ---------------------------------------------------------------------- the texts


def test_the_texts_name_pcscd_on_linux_and_the_missing_reader_on_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if pcsc.scard is None:
        unavailable("pyscard is not importable")
    no_service, stopped_code = pcsc.scard.SCARD_E_NO_SERVICE, pcsc.scard.SCARD_E_SERVICE_STOPPED
    comm_error = pcsc.scard.SCARD_F_COMM_ERROR
    monkeypatch.setattr(pcsc, "sys", SimpleNamespace(platform="linux"))
    assert pcsc._down_text(None) == PCSCD_DOWN
    assert pcsc._down_text(no_service).startswith(f"{PCSCD_DOWN}: ")
    assert "0x8010001D" in pcsc._down_text(no_service)
    assert PCSCD_DOWN not in pcsc._down_text(comm_error)
    monkeypatch.setattr(pcsc, "sys", SimpleNamespace(platform="win32"))
    assert pcsc._down_text(None) == NO_READER_ATTACHED
    assert pcsc._down_text(no_service) == NO_READER_ATTACHED
    assert pcsc._down_text(stopped_code) == NO_READER_ATTACHED
    # Windows signs its codes: pyscard hands them over as negative ints there
    assert pcsc._down_text(no_service - (1 << 32)) == NO_READER_ATTACHED
    assert PCSCD_DOWN not in pcsc._down_text(comm_error)  # a real fault keeps its own words


# ---------------------------------------------------------------------- through a real pcscd


def test_started_with_pcscd_down_it_waits_then_reads_a_tap_and_recovers_again(
    stopped: Pcscd, counting: CountingScard, card: Card
) -> None:
    reader = backend()
    events = Events(reader)
    try:
        assert reader.is_available() is False  # Linux: no pcscd is a service missing
        attempts = counting.attempts_over(WINDOW_S, events.during)
        assert [e.kind for e in events.seen] == [CardEventKind.BACKEND_DOWN]
        assert events.seen[0].detail.startswith(PCSCD_DOWN)
        assert_not_spinning(attempts)
        assert reader.readers() == []  # never knew a reader: nothing to list as unavailable

        stopped.start()
        events.next(CardEventKind.BACKEND_UP)
        events.next(CardEventKind.READER_ADDED, READER_0)
        card.put(UID)
        assert events.next(CardEventKind.TAPPED, READER_0).uid == UID

        stopped.stop()  # a running backend loses it: the same retry path, no spinning either
        events.next(CardEventKind.BACKEND_DOWN)
        card.take()  # vpcd dropped the card's connection with pcscd
        attempts = counting.attempts_over(WINDOW_S, events.during)
        assert_not_spinning(attempts)
        listed = reader.readers()
        assert {r.name for r in listed} == set(PORTS)
        assert {r.state for r in listed} == {ReaderState.UNAVAILABLE}

        stopped.start()
        events.next(CardEventKind.BACKEND_UP)
        events.next(CardEventKind.READER_ADDED, READER_0)
        card.put(OTHER_UID)
        assert events.next(CardEventKind.TAPPED, READER_0).uid == OTHER_UID
        kinds = [e.kind for e in events.seen]
        assert kinds.count(CardEventKind.BACKEND_DOWN) == 2 and kinds.count(CardEventKind.BACKEND_UP) == 2
        assert CardEventKind.READ_FAILED not in kinds
    finally:
        reader.close()


def test_on_windows_no_service_is_no_reader_attached_through_the_reader_thread(
    stopped: Pcscd, counting: CountingScard, card: Card, windows: None
) -> None:
    """The card manager's device thread, as the window runs it: nothing is an error while no reader is
    attached, the first reader plugged in (pcscd starting) is found and read, and pulling the last one
    (pcscd stopping) leaves an empty reader list, not a broken one."""
    reader = backend()
    manager = CardManager([reader])
    events = Events(source=manager.subscribe())
    manager.start()
    try:
        assert manager.wait_ready(WAIT_S)
        down = events.next(CardEventKind.BACKEND_DOWN)
        assert down.detail == NO_READER_ATTACHED
        attempts = counting.attempts_over(WINDOW_S, events.during)
        assert_not_spinning(attempts)
        assert manager.readers() == []
        assert reader.readers() == []

        stopped.start()  # the first reader plugged in
        events.next(CardEventKind.BACKEND_UP)
        events.next(CardEventKind.READER_ADDED, READER_0)
        card.put(UID)
        assert events.next(CardEventKind.TAPPED, READER_0).uid == UID
        assert {r.name for r in manager.readers()} == set(PORTS)

        stopped.stop()  # the last reader pulled out: Windows stops its service
        events.next(CardEventKind.BACKEND_DOWN)
        # Its detail is the failing wait's code: pcsc-lite gives a wait under way SCARD_F_COMM_ERROR where
        # Windows gives SCARD_E_SERVICE_STOPPED (the texts test covers that one). The readers go at the first
        # retry, whose fresh context gets the same SCARD_E_NO_SERVICE from both.
        for name in PORTS:
            events.next(CardEventKind.READER_REMOVED, name, timeout_s=RETRY_S + 1.0)
        card.take()
        attempts = counting.attempts_over(WINDOW_S, events.during)
        assert_not_spinning(attempts)
        assert manager.readers() == []  # "none connected", not two broken readers
        assert reader._down_detail == NO_READER_ATTACHED

        stopped.start()  # plugged in again
        events.next(CardEventKind.BACKEND_UP)
        events.next(CardEventKind.READER_ADDED, READER_0)
        card.put(OTHER_UID)
        assert events.next(CardEventKind.TAPPED, READER_0).uid == OTHER_UID
        kinds = [e.kind for e in events.seen]
        assert CardEventKind.READ_FAILED not in kinds
    finally:
        manager.stop()
