# SPDX-License-Identifier: GPL-3.0-or-later
"""The PC/SC backend through the real stack: pyscard → libpcsclite → pcscd → vpcd → our Type 4 emulator.

pcscd is started by the `pcscd` fixture when none runs (CI=true: fails rather than skips without it).
Insertions and removals reach pcscd by its 400 ms polling, so every wait here has a timeout of a few
seconds and none is a fixed sleep.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cards.base import CardEvent, CardEventKind, ReaderBackend, ReadError, ReaderState
from app.cards.pcsc import CardWriteError, PcscBackend
from tests.support.pcscd import (  # noqa: F401  (the `pcscd` fixture)
    Pcscd,
    PcscUnavailableError,
    pcscd_fixture,
    unavailable,
    wait_until_readers_empty,
)
from tests.support.reader_contract import NDEF, UID, ReaderContract
from tests.support.type4_emulator import (
    EMULATOR_MODULE,
    VPCD_PORT,
    CardEmulator,
    EmulatorProcess,
    Faults,
    Type4Card,
    kill_stale_emulators,
)

READER_0, READER_1 = "Virtual PCD 00 00", "Virtual PCD 00 01"
PORTS = {READER_0: VPCD_PORT, READER_1: VPCD_PORT + 1}
WAIT_S = 5.0
ROOT = Path(__file__).resolve().parents[3]


# ---------------------------------------------------------------------- helpers


class Cards:
    """Emulated cards put on the virtual readers by one test."""

    def __init__(self) -> None:
        self.inserted: list[CardEmulator] = []

    def put(self, uid: bytes, ndef: bytes, reader: str = READER_0, **card: object) -> CardEmulator:
        emulator = CardEmulator(Type4Card(uid, ndef, **card), port=PORTS[reader])  # type: ignore[arg-type]
        emulator.insert()
        self.inserted.append(emulator)
        return emulator

    def remove_all(self) -> None:
        while self.inserted:
            self.inserted.pop().remove()


class Watch:
    """Polls a backend on this thread and hands out its events in order, none dropped."""

    def __init__(self, backend: ReaderBackend) -> None:
        self.backend = backend
        self.pending: deque[CardEvent] = deque()
        self.seen: list[CardEvent] = []

    def next(self, kind: CardEventKind, reader: str | None = None, timeout_s: float = WAIT_S) -> CardEvent:
        """The next event of `kind` (on `reader`); the events before it are skipped but kept in `seen`."""
        deadline = time.monotonic() + timeout_s
        while True:
            while self.pending:
                event = self.pending.popleft()
                self.seen.append(event)
                if event.kind is kind and reader in (None, event.reader):
                    return event
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"no {kind} on {reader or 'any reader'} within {timeout_s} s; saw {self.seen}"
                )
            self.pending.extend(self.backend.poll(100))

    def quiet(self, for_s: float) -> list[CardEvent]:
        """Every event within for_s (the test expects none of a kind)."""
        deadline, events = time.monotonic() + for_s, list(self.pending)
        self.pending.clear()
        while time.monotonic() < deadline:
            events.extend(self.backend.poll(50))
        return events


@pytest.fixture
def cards(pcscd: Pcscd) -> Iterator[Cards]:
    for port in PORTS.values():
        kill_stale_emulators(port)  # a second client on a busy vpcd port would hang
    wait_until_readers_empty()
    cards = Cards()
    yield cards
    cards.remove_all()
    wait_until_readers_empty()


@pytest.fixture
def backend(cards: Cards) -> Iterator[PcscBackend]:
    backend = PcscBackend(retry_s=0.2, reader_filter=lambda name: name in PORTS)
    yield backend
    backend.close()


@pytest.fixture
def watch(backend: PcscBackend) -> Watch:
    watch = Watch(backend)
    watch.next(CardEventKind.READER_ADDED, READER_0)
    watch.next(CardEventKind.READER_ADDED, READER_1)
    return watch


# ---------------------------------------------------------------------- the shared contract


class TestPcscBackendContract(ReaderContract):
    @pytest.fixture(autouse=True)
    def _use_cards(self, cards: Cards) -> None:
        self.cards = cards

    def present_card(self, uid: bytes, ndef: bytes) -> None:
        self.cards.put(uid, ndef)

    def remove_card(self) -> None:
        self.cards.remove_all()


# ---------------------------------------------------------------------- reading


def test_the_virtual_readers_are_listed(backend: PcscBackend, watch: Watch) -> None:
    readers = {info.name: info for info in backend.readers()}
    assert set(readers) == {READER_0, READER_1}
    assert all(info.source == "pcsc" and info.state is ReaderState.READY for info in readers.values())


def test_uid_and_ndef_are_read_through_pcscd(watch: Watch, cards: Cards, backend: PcscBackend) -> None:
    message = b"\xd2\x1c" + bytes([0xF0, 0x03]) + bytes(i % 256 for i in range(1000))
    cards.put(UID, message, mle=0x3B, file_size=4096)  # 18 READ BINARY chunks
    tapped = watch.next(CardEventKind.TAPPED, READER_0)
    assert (tapped.source, tapped.uid, tapped.ndef) == ("pcsc", UID, message)
    assert tapped.read_us is not None and 0 < tapped.read_us < 1_000_000
    assert {r.name: r.state for r in backend.readers()}[READER_0] is ReaderState.CARD_PRESENT
    assert not [e for e in watch.quiet(0.6) if e.kind is CardEventKind.TAPPED], "a card resting is read once"
    cards.remove_all()
    watch.next(CardEventKind.REMOVED, READER_0)


@pytest.mark.parametrize(
    ("card", "error"),
    [
        ({"faults": Faults(truncate_at=1)}, ReadError.BAD_RESPONSE),  # the UID
        ({"faults": Faults(truncate_at=4)}, ReadError.BAD_RESPONSE),  # the CC
        ({"faults": Faults(truncate_at=7)}, ReadError.BAD_RESPONSE),  # the message
        ({"faults": Faults(bad_sw_at=6)}, ReadError.BAD_RESPONSE),  # NLEN
        ({"faults": Faults(bad_sw_at=3)}, ReadError.BAD_RESPONSE),  # SELECT CC
        ({"faults": Faults(not_ndef=True)}, ReadError.NOT_NDEF),  # a foreign card
        ({"faults": Faults(vanish_after=5)}, ReadError.REMOVED_MID_READ),
    ],
    ids=[
        "truncated-uid",
        "truncated-cc",
        "truncated-data",
        "bad-sw-nlen",
        "bad-sw-select",
        "foreign",
        "vanish",
    ],
)
def test_a_misbehaving_card_is_read_failed_and_the_next_card_is_read(
    watch: Watch, cards: Cards, card: dict[str, object], error: ReadError
) -> None:
    cards.put(UID, NDEF, **card)
    failed = watch.next(CardEventKind.READ_FAILED, READER_0)
    assert failed.error is error, failed.detail
    assert failed.detail
    cards.remove_all()
    watch.next(CardEventKind.REMOVED, READER_0)
    other = bytes.fromhex("04112233445566")
    cards.put(other, NDEF)
    tapped = watch.next(CardEventKind.TAPPED, READER_0)
    assert (tapped.uid, tapped.ndef) == (other, NDEF)


def test_a_blank_card_is_not_ndef_but_tells_its_uid(watch: Watch, cards: Cards) -> None:
    cards.put(UID, b"")
    failed = watch.next(CardEventKind.READ_FAILED, READER_0)
    assert (failed.error, failed.uid) == (ReadError.NOT_NDEF, UID)


def test_a_card_pulled_away_mid_read_is_an_event(watch: Watch, cards: Cards) -> None:
    emulator = cards.put(UID, bytes(600), mle=0x20, faults=Faults(vanish_after=8))  # gone at chunk 3
    failed = watch.next(CardEventKind.READ_FAILED, READER_0)
    assert emulator.vanished.is_set()
    assert (failed.error, failed.uid) == (ReadError.REMOVED_MID_READ, UID)
    watch.next(CardEventKind.REMOVED, READER_0)


def test_two_cards_on_the_two_readers(watch: Watch, cards: Cards) -> None:
    uid_1 = bytes.fromhex("04FFEEDDCCBBAA")
    cards.put(UID, NDEF, READER_0)
    cards.put(uid_1, NDEF + b"!", READER_1)
    first = watch.next(CardEventKind.TAPPED)
    second = watch.next(CardEventKind.TAPPED)
    read = {event.reader: (event.uid, event.ndef) for event in (first, second)}
    assert read == {READER_0: (UID, NDEF), READER_1: (uid_1, NDEF + b"!")}
    cards.remove_all()
    gone = {watch.next(CardEventKind.REMOVED).reader, watch.next(CardEventKind.REMOVED).reader}
    assert gone == {READER_0, READER_1}


def test_the_emulator_runs_as_a_subprocess(watch: Watch, tmp_path: Path) -> None:
    ndef_file = tmp_path / "card.ndef"
    ndef_file.write_bytes(NDEF)
    argv = [sys.executable, "-m", EMULATOR_MODULE, "--uid", UID.hex(), "--ndef-file", str(ndef_file)]
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().startswith("inserted ")
        tapped = watch.next(CardEventKind.TAPPED, READER_0)
        assert (tapped.uid, tapped.ndef) == (UID, NDEF)
    finally:
        process.terminate()
        process.wait(WAIT_S)
        process.stdout.close()  # type: ignore[union-attr]
    watch.next(CardEventKind.REMOVED, READER_0)


def test_the_emulator_process_inserts_and_removes_on_command(watch: Watch) -> None:
    with EmulatorProcess(UID, NDEF, port=PORTS[READER_0]) as card:
        for _ in range(2):
            inserted_ns = card.insert()
            assert watch.next(CardEventKind.TAPPED, READER_0).uid == UID
            assert 0 < time.monotonic_ns() - inserted_ns < WAIT_S * 1e9  # one clock for both processes
            card.remove()
            watch.next(CardEventKind.REMOVED, READER_0)


# ---------------------------------------------------------------------- pcscd going away


class Poller:
    """The device thread: polls the backend until stopped and queues every event."""

    def __init__(self, backend: PcscBackend) -> None:
        self.backend, self.events = backend, queue.Queue[CardEvent]()
        self.seen: list[CardEvent] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-device-thread", daemon=True)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(WAIT_S)

    def _run(self) -> None:
        while not self._stop.is_set():
            for event in self.backend.poll(100):
                self.events.put(event)

    def next(self, kind: CardEventKind, timeout_s: float = WAIT_S) -> CardEvent:
        deadline = time.monotonic() + timeout_s
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                break
            self.seen.append(event)
            if event.kind is kind:
                return event
        raise AssertionError(f"no {kind} within {timeout_s} s; saw {self.seen}")


def test_pcscd_stopped_and_restarted_while_polling(backend: PcscBackend, cards: Cards, pcscd: Pcscd) -> None:
    if not pcscd.started_here:
        unavailable("the running pcscd was not started by the tests, so they may not restart it")
    try:
        with Poller(backend) as device:
            device.next(CardEventKind.READER_ADDED)
            cards.put(UID, NDEF)
            device.next(CardEventKind.TAPPED)
            pcscd.stop()
            down = device.next(CardEventKind.BACKEND_DOWN)
            assert down.detail
            assert [e.kind for e in device.seen[-2:]] == [CardEventKind.REMOVED, CardEventKind.BACKEND_DOWN]
            assert backend.is_available() is False
            cards.remove_all()  # vpcd closed the card's connection with pcscd
            pcscd.start()
            device.next(CardEventKind.BACKEND_UP)
            device.next(CardEventKind.READER_ADDED)
            assert backend.is_available() is True
            other = bytes.fromhex("04010203040506")
            cards.put(other, NDEF)
            tapped = device.next(CardEventKind.TAPPED)
            assert tapped.uid == other
        kinds = [e.kind for e in device.seen]
        assert kinds.count(CardEventKind.BACKEND_DOWN) == 1 and kinds.count(CardEventKind.BACKEND_UP) == 1
    finally:
        pcscd.ensure_running()


def test_while_pcscd_is_down_poll_waits_and_readers_are_unavailable(
    backend: PcscBackend, pcscd: Pcscd
) -> None:
    if not pcscd.started_here:
        unavailable("the running pcscd was not started by the tests, so they may not restart it")
    watch = Watch(backend)
    watch.next(CardEventKind.READER_ADDED)
    try:
        pcscd.stop()
        watch.next(CardEventKind.BACKEND_DOWN)
        assert {r.state for r in backend.readers()} == {ReaderState.UNAVAILABLE}
        started = time.monotonic()
        assert backend.poll(300) == []  # waits its timeout, neither spinning nor emitting again
        assert 0.25 <= time.monotonic() - started < 2.0
    finally:
        pcscd.ensure_running()
    watch.next(CardEventKind.BACKEND_UP)


# ---------------------------------------------------------------------- writing


def test_write_card_writes_a_message_the_next_read_returns(
    watch: Watch, cards: Cards, backend: PcscBackend
) -> None:
    emulator = cards.put(UID, b"")  # a blank card
    blank = watch.next(CardEventKind.READ_FAILED, READER_0)
    assert (blank.error, blank.uid) == (ReadError.NOT_NDEF, UID)
    message = NDEF + bytes(range(256)) * 2
    assert backend.write_card(READER_0, message, expected_uid=blank.uid) == UID
    assert emulator.card.ndef == message
    cards.remove_all()
    watch.next(CardEventKind.REMOVED, READER_0)
    cards.put(UID, message)
    assert watch.next(CardEventKind.TAPPED, READER_0).ndef == message


def test_write_card_waits_for_a_card_on_any_reader(watch: Watch, cards: Cards, backend: PcscBackend) -> None:
    emulator = cards.put(UID, b"old", READER_1)
    assert backend.write_card(None, NDEF, timeout_ms=3000) == UID
    assert emulator.card.ndef == NDEF


def test_write_card_refuses_another_card_and_a_read_only_one(cards: Cards, backend: PcscBackend) -> None:
    emulator = cards.put(UID, b"keep")
    with pytest.raises(CardWriteError) as refused:
        backend.write_card(READER_0, NDEF, timeout_ms=3000, expected_uid=bytes.fromhex("04000000000000"))
    assert refused.value.error is ReadError.REMOVED_MID_READ
    cards.remove_all()
    wait_until_readers_empty()
    emulator = cards.put(UID, b"keep", read_only=True)
    with pytest.raises(CardWriteError) as read_only:
        backend.write_card(READER_0, NDEF, timeout_ms=3000)
    assert read_only.value.error is ReadError.UNSUPPORTED_CARD
    assert emulator.card.ndef == b"keep"


def test_write_card_without_a_card_times_out(backend: PcscBackend) -> None:
    started = time.monotonic()
    with pytest.raises(CardWriteError) as no_card:
        backend.write_card(READER_0, NDEF, timeout_ms=300)
    assert no_card.value.error is ReadError.READER_FAILED
    assert time.monotonic() - started < 2.0


# ---------------------------------------------------------------------- an independent client


def test_pcsc_scan_sees_the_emulated_card(cards: Cards) -> None:
    if shutil.which("pcsc_scan") is None:
        unavailable("pcsc_scan is not installed (apt-get install pcsc-tools)")
    emulator = cards.put(UID, NDEF)
    assert emulator.accepted.wait(WAIT_S), "vpcd never spoke to the emulated card"
    # -n: no ATR analysis (it would look up a list online); -t: quit after 3 s, flushing its output
    scan = subprocess.run(
        ["pcsc_scan", "-n", "-t", "3"], capture_output=True, text=True, timeout=15, check=False
    )
    assert READER_0 in scan.stdout
    assert "ATR: 3B 80 80 01 01" in scan.stdout, scan.stdout


# ---------------------------------------------------------------------- the helper's own rules


def test_a_missing_component_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        unavailable("no pcscd")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        unavailable("no pcscd")


def test_a_missing_vpcd_driver_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("tests.support.pcscd.VPCD_DRIVER", tmp_path / "libifdvpcd.so")
    with pytest.raises(PcscUnavailableError, match="vpcd"):
        Pcscd().ensure_running()
