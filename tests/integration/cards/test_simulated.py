# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulated reader passes the reader contract, and behaves like the real ones around it."""

from __future__ import annotations

import threading

import pytest

from app.cards.base import CardEventKind, ReadError, ReaderState
from app.cards.simulated import SimulatedReader
from tests.support.reader_contract import NDEF, UID, ReaderContract, wait_for


class TestSimulatedReaderContract(ReaderContract):
    @pytest.fixture
    def backend(self):
        reader = SimulatedReader()
        self.reader = reader
        yield reader
        reader.close()

    def present_card(self, uid: bytes, ndef: bytes) -> None:
        assert self.reader.tap(uid, ndef)

    def remove_card(self) -> None:
        self.reader.remove()


@pytest.fixture
def reader():
    reader = SimulatedReader()
    assert [e.kind for e in reader.poll(0)] == [CardEventKind.READER_ADDED]
    yield reader
    reader.close()


def kinds(reader: SimulatedReader) -> list[CardEventKind]:
    return [e.kind for e in reader.poll(0)]


def test_a_tap_and_a_removal_are_one_presentation(reader):
    reader.tap(UID, NDEF)
    assert reader.readers()[0].state is ReaderState.CARD_PRESENT
    reader.remove()
    reader.remove()  # nothing left to remove: no second REMOVED
    events = reader.poll(0)
    assert [e.kind for e in events] == [CardEventKind.TAPPED, CardEventKind.REMOVED]
    assert events[0].uid == UID and events[0].ndef == NDEF and events[0].read_us
    assert events[1].uid == UID
    assert reader.readers()[0].state is ReaderState.READY


def test_a_new_card_replaces_the_one_on_the_reader(reader):
    reader.tap(UID, NDEF)
    reader.tap(b"\x01\x02\x03\x04", NDEF)
    assert kinds(reader) == [CardEventKind.TAPPED, CardEventKind.REMOVED, CardEventKind.TAPPED]


def test_garbage_is_a_read_failure_not_a_crash(reader):
    reader.tap_garbage()
    reader.tap_garbage(error=ReadError.NOT_NDEF)
    events = reader.poll(0)
    failures = [e for e in events if e.kind is CardEventKind.READ_FAILED]
    assert [e.error for e in failures] == [ReadError.BAD_RESPONSE, ReadError.NOT_NDEF]
    assert all(e.ndef is None for e in failures)


def test_unplug_ends_the_presentation_and_plug_brings_the_reader_back(reader):
    reader.tap(UID, NDEF)
    reader.unplug()
    assert reader.is_available() is False
    assert reader.readers()[0].state is ReaderState.UNAVAILABLE
    assert reader.tap(UID, NDEF) is False  # no reader, no read
    reader.unplug()
    reader.plug()
    reader.plug()
    assert kinds(reader) == [
        CardEventKind.TAPPED,
        CardEventKind.REMOVED,
        CardEventKind.READER_REMOVED,
        CardEventKind.READER_ADDED,
    ]
    assert reader.is_available() is True


def test_a_tap_from_another_thread_wakes_a_waiting_poll(reader):
    tapper = threading.Timer(0.05, reader.tap, args=(UID, NDEF))
    tapper.start()
    try:
        assert wait_for(reader, CardEventKind.TAPPED, timeout_s=5).uid == UID
    finally:
        tapper.join()


def test_many_threads_tapping_lose_no_event(reader):
    def tap_and_remove(n: int) -> None:
        for i in range(50):
            reader.tap(bytes([n, i]), NDEF)
            reader.remove()

    threads = [threading.Thread(target=tap_and_remove, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = reader.poll(0)
    assert sum(e.kind is CardEventKind.TAPPED for e in events) == 200
    assert sum(e.kind is CardEventKind.REMOVED for e in events) == 200


def test_a_closed_reader_is_silent(reader):
    reader.tap(UID, NDEF)
    reader.close()
    assert reader.poll(100) == []
    assert reader.tap(UID, NDEF) is False
