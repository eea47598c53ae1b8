# SPDX-License-Identifier: GPL-3.0-or-later
"""The keyboard-wedge backend passes the reader contract, fed from another thread as the UI would."""

from __future__ import annotations

import base64
import threading
import time

import pytest

from app.cards.base import CardEventKind
from app.cards.wedge import WedgeBackend
from tests.support.reader_contract import NDEF, ReaderContract, wait_for

SCANNER_GAP_US = 4_000  # a USB scanner: a key every few ms


def qr_text(ndef: bytes) -> str:
    """What a member's QR code would carry for this card (DESIGN §4: base64url of the payload)."""
    return base64.urlsafe_b64encode(ndef).decode("ascii").rstrip("=")


def type_like_a_scanner(backend: WedgeBackend, text: str) -> list[str]:
    """Feed `text` + Enter from a "UI" thread with scanner timing; returns what the UI was told to type."""
    typed: list[str] = []

    def ui() -> None:
        start = time.monotonic_ns() // 1000
        for i, key in enumerate([*text, "Enter"]):
            typed.extend(backend.feed(key, start + i * SCANNER_GAP_US))

    thread = threading.Thread(target=ui, name="ui")
    thread.start()
    thread.join(timeout=5)
    return typed


class TestWedgeContract(ReaderContract):
    uid_is_read = False

    @pytest.fixture
    def backend(self):
        backend = WedgeBackend()
        self.wedge = backend
        yield backend
        backend.close()

    def present_card(self, uid: bytes, ndef: bytes) -> None:
        assert type_like_a_scanner(self.wedge, qr_text(ndef)) == []

    def remove_card(self) -> None:
        pass  # a QR code has no removal


def test_the_scan_text_and_timing_reach_the_event():
    backend = WedgeBackend()
    assert type_like_a_scanner(backend, qr_text(NDEF)) == []
    event = wait_for(backend, CardEventKind.TAPPED, timeout_s=2)
    assert event.source == "wedge" and event.qr_text == qr_text(NDEF)
    assert event.uid is None and event.ndef is None
    assert event.read_us == len(qr_text(NDEF)) * SCANNER_GAP_US
    backend.close()


def test_a_person_typing_into_the_ui_gets_every_key_back():
    backend = WedgeBackend()
    typed: list[str] = []
    for i, key in enumerate("09121234567"):
        typed += backend.feed(key, i * 150_000)
    typed += backend.feed("Enter", 11 * 150_000)
    assert "".join(typed[:-1]) == "09121234567" and typed[-1] == "Enter"
    assert backend.poll(50) == []
    backend.close()


def test_held_keys_come_back_when_the_ui_timer_fires():
    backend = WedgeBackend()
    assert backend.feed("7", 1_000_000) == []  # held: it might be the start of a scan
    due = backend.next_flush_us()
    assert due is not None
    assert backend.flush(due - 2) == []
    assert backend.flush(due) == ["7"]
    assert backend.next_flush_us() is None
    backend.close()


def test_after_close_every_key_goes_straight_through():
    backend = WedgeBackend()
    backend.close()
    assert backend.feed("a", 0) == ["a"]
    assert backend.poll(10) == []
    assert backend.is_available() is False
