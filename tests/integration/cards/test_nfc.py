# SPDX-License-Identifier: GPL-3.0-or-later
"""The nfcpy backend through nfcpy's real udp transport, with a Type 3 (FeliCa) card emulated in a second
process (tests/support/nfc_type3_emulator.py). Localhost only: nfcpy's udp listener binds 0.0.0.0.

nfcpy's udp driver waits a fixed 1 s for an answer to each sense when no card is there, so a poll without a
card takes about 1 s whatever its timeout (a USB reader's sense cycle is short).
"""

from __future__ import annotations

import errno
import time

import ndef
import nfc.tag.tt3
import pytest

from app.cards.base import CardEvent, CardEventKind, ReadError, ReaderState
from app.cards.nfc import NfcBackend, open_frontend
from tests.support import reader_contract
from tests.support.nfc_type3_emulator import EmulatedCard, free_udp_port
from tests.support.reader_contract import NDEF, ReaderContract, wait_for

# A FeliCa IDm is 8 bytes; the contract's UID is a 7-byte ISO 14443 NFCID1, which a Type 3 card cannot have.
FELICA_UID = reader_contract.UID + b"\x07"
UDP_NO_ANSWER_S = 1.0  # nfcpy.clf.udp: sense_ttf waits this long for a SENSF_RES


class Cards:
    """The emulated cards of one test: at most one on the reader at a time, all killed at teardown."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.current: EmulatedCard | None = None
        self._all: list[EmulatedCard] = []

    def present(self, uid: bytes = FELICA_UID, ndef_bytes: bytes = NDEF, mode: str = "ndef") -> EmulatedCard:
        self.remove()
        self.current = EmulatedCard(self.port, uid, ndef_bytes, mode)
        self._all.append(self.current)
        self.current.wait_for("startup")
        return self.current

    def remove(self) -> None:
        if self.current is not None:
            self.current.remove()
            self.current = None

    def remove_all(self) -> None:
        for card in self._all:
            card.remove()


@pytest.fixture
def port() -> int:
    return free_udp_port()


@pytest.fixture
def cards(port):
    cards = Cards(port)
    yield cards
    cards.remove_all()


@pytest.fixture
def reader(port, cards):
    backend = NfcBackend(f"udp:localhost:{port}", targets=["212F"])
    assert backend.open()
    assert [e.kind for e in backend.poll(0)] == [CardEventKind.READER_ADDED]
    yield backend
    backend.close()


def poll_until(backend: NfcBackend, done, timeout_s: float = 10.0) -> list[CardEvent]:
    """Poll (as the device thread does) until `done()` is true; returns every event seen meanwhile."""
    deadline = time.monotonic() + timeout_s
    seen: list[CardEvent] = []
    while not done():
        assert time.monotonic() < deadline, f"gave up waiting; events: {seen}"
        seen += backend.poll(50)
    return seen


def count_presence_checks(monkeypatch) -> list[int]:
    """Count nfcpy's Type 3 presence checks (a one-element list, so the count can be read as it grows)."""
    checks = [0]
    check = nfc.tag.tt3.Type3Tag._is_present

    def counted(tag):
        checks[0] += 1
        return check(tag)

    monkeypatch.setattr(nfc.tag.tt3.Type3Tag, "_is_present", counted)
    return checks


class TestNfcUdpContract(ReaderContract):
    uid = FELICA_UID  # a FeliCa IDm is 8 bytes, not the contract's 7-byte NFCID1

    @pytest.fixture
    def backend(self, reader, cards):
        self.cards = cards
        return reader

    def present_card(self, uid: bytes, ndef: bytes) -> None:
        self.cards.present(uid, ndef)

    def remove_card(self) -> None:
        self.cards.remove()


def test_a_card_resting_on_the_reader_is_reported_once(reader, cards):
    card = cards.present()
    tapped = wait_for(reader, CardEventKind.TAPPED)
    assert tapped.uid == FELICA_UID and tapped.ndef == NDEF
    assert reader.readers()[0].state is ReaderState.CARD_PRESENT
    # The reader keeps checking the card is there (the emulator answers each check) but reads it only once.
    later = poll_until(reader, lambda: card.count("polled") >= 5)
    assert later == []
    assert card.count("activated") == 1 and card.count("read") == 2  # attribute block, then the data

    cards.remove()
    removed = wait_for(reader, CardEventKind.REMOVED)
    assert removed.uid == FELICA_UID
    assert reader.readers()[0].state is ReaderState.READY

    cards.present()  # the same card again is a new presentation
    assert wait_for(reader, CardEventKind.TAPPED).uid == FELICA_UID


def test_the_ndef_bytes_are_exactly_what_the_card_serves(reader, cards):
    records = [
        ndef.Record("application/vnd.bashgah.card", "", bytes(range(256)) * 12),  # ~3 KB: photo-sized
        ndef.UriRecord("https://bashgah.example/c/1"),
    ]
    message = b"".join(ndef.message_encoder(records))
    card = cards.present(ndef_bytes=message)
    event = wait_for(reader, CardEventKind.TAPPED)
    assert event.ndef == message
    assert event.read_us is not None and event.read_us < 2_000_000
    assert card.count("read") > 2  # the data took several read commands


def test_a_foreign_felica_card_is_not_ndef_and_is_reported_once(reader, cards, monkeypatch):
    checks = count_presence_checks(monkeypatch)
    cards.present(mode="foreign")
    failed = wait_for(reader, CardEventKind.READ_FAILED)
    assert failed.error is ReadError.NOT_NDEF and failed.uid == FELICA_UID and failed.ndef is None
    # A foreign card never leaves nfcpy's listen loop, so the emulator cannot count the checks; we do.
    assert poll_until(reader, lambda: checks[0] >= 6) == []
    cards.remove()
    assert wait_for(reader, CardEventKind.REMOVED).uid == FELICA_UID


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00" * 20,  # no message begin flag
        NDEF[:-2],  # truncated payload
        NDEF + b"\xde\xad",  # bytes after the last record
        bytes.fromhex("d7 01 00 54"),  # reserved TNF
    ],
)
def test_garbage_ndef_is_a_bad_response(reader, cards, garbage):
    cards.present(ndef_bytes=garbage)
    failed = wait_for(reader, CardEventKind.READ_FAILED)
    assert failed.error is ReadError.BAD_RESPONSE and failed.uid == FELICA_UID
    assert "malformed NDEF" in (failed.detail or "")


def test_an_empty_ndef_message_is_a_blank_card(reader, cards):
    cards.present(ndef_bytes=b"")
    failed = wait_for(reader, CardEventKind.READ_FAILED)
    assert failed.error is ReadError.NOT_NDEF and failed.uid == FELICA_UID


def test_a_card_pulled_away_mid_read(reader, cards):
    card = cards.present(mode="vanish")
    events: list[CardEvent] = []
    deadline = time.monotonic() + 10
    while not any(e.kind is CardEventKind.REMOVED for e in events):
        assert time.monotonic() < deadline, events
        events += reader.poll(100)
    assert [e.kind for e in events] == [CardEventKind.READ_FAILED, CardEventKind.REMOVED]
    assert events[0].error is ReadError.REMOVED_MID_READ and events[0].uid == FELICA_UID
    assert card.count("vanished") == 1


def test_too_large_a_message_is_refused(port, cards):
    backend = NfcBackend(f"udp:localhost:{port}", targets=["212F"], max_ndef_bytes=len(NDEF) - 1)
    try:
        cards.present()
        failed = wait_for(backend, CardEventKind.READ_FAILED)
        assert failed.error is ReadError.TOO_LARGE
    finally:
        backend.close()


def test_poll_without_a_card_returns_within_its_timeout(reader):
    started = time.monotonic()
    assert reader.poll(0) == []
    assert time.monotonic() - started < 0.05
    for timeout_ms in (30, 300):
        started = time.monotonic()
        assert reader.poll(timeout_ms) == []
        assert time.monotonic() - started < timeout_ms / 1000 + UDP_NO_ANSWER_S + 0.5


def test_poll_with_a_card_resting_returns_within_its_timeout(reader, cards):
    cards.present()
    wait_for(reader, CardEventKind.TAPPED)
    for timeout_ms in (0, 50, 300):
        started = time.monotonic()
        assert reader.poll(timeout_ms) == []
        assert time.monotonic() - started < timeout_ms / 1000 + 0.1


@pytest.mark.parametrize("path", ["usb", "usb:ffff:ffff", "tty:S99:pn532", "bogus:path", "udp:localhost:1"])
def test_no_such_reader_is_unavailable_quickly_and_poll_stays_quiet(path):
    backend = NfcBackend(path)
    started = time.monotonic()
    assert backend.is_available() is False
    assert backend.open() is False
    assert backend.poll(100) == []
    assert time.monotonic() - started < 2.0
    assert backend.readers()[0].state is ReaderState.UNAVAILABLE
    backend.close()


class Unpluggable:
    """A frontend factory around the real udp one, with a cable we can pull."""

    def __init__(self) -> None:
        self.plugged = True
        self.opened: list[object] = []
        self.attempts = 0

    def __call__(self, path: str):
        self.attempts += 1
        if not self.plugged:
            return None
        clf = open_frontend(path)
        self.opened.append(clf)
        return clf

    def unplug(self) -> None:
        """What nfcpy's USB transport does when the device is gone: every I/O raises IOError(ENODEV)."""
        self.plugged = False

        def gone(*args, **kwargs):
            raise OSError(errno.ENODEV, "No such device")

        for clf in self.opened:
            if clf.device is not None:
                clf.device.sense_ttf = gone
                clf.device.send_cmd_recv_rsp = gone


def test_an_unplugged_reader_is_reported_and_reopened_at_a_modest_pace(port, cards):
    cable = Unpluggable()
    backend = NfcBackend(
        f"udp:localhost:{port}", targets=["212F"], reopen_interval_s=0.2, frontend_factory=cable
    )
    try:
        assert [e.kind for e in backend.poll(10)] == [CardEventKind.READER_ADDED]
        cards.present()
        assert wait_for(backend, CardEventKind.TAPPED).uid == FELICA_UID

        cable.unplug()
        events = backend.poll(100)
        assert [e.kind for e in events] == [CardEventKind.REMOVED, CardEventKind.READER_REMOVED]
        assert backend.readers()[0].state is ReaderState.UNAVAILABLE

        attempts = cable.attempts
        started = time.monotonic()
        while time.monotonic() - started < 1.0:
            assert backend.poll(100) == []
        assert 2 <= cable.attempts - attempts <= 7  # every 0.2 s, not in a tight loop

        cable.plugged = True
        assert wait_for(backend, CardEventKind.READER_ADDED)
        assert wait_for(backend, CardEventKind.TAPPED).uid == FELICA_UID  # the card was still lying there
    finally:
        backend.close()


def test_nothing_escapes_poll(port):
    class Exploding:
        device = None

        def connect(self, **options):
            raise RuntimeError("driver bug")

        def close(self):
            raise RuntimeError("and again")

    backend = NfcBackend(f"udp:localhost:{port}", frontend_factory=lambda path: Exploding())
    events = backend.poll(50) + backend.poll(50)
    assert [e.kind for e in events] == [CardEventKind.READER_ADDED, CardEventKind.READER_REMOVED]
    assert "driver bug" in (events[1].detail or "")
    backend.close()
