# SPDX-License-Identifier: GPL-3.0-or-later
"""What every reader backend is and emits: one interface, one event type.

Threading: `poll`, `readers` and `close` run on the card manager's device thread only. A backend fed
from elsewhere (the simulated reader, fed by the demo) keeps a thread-safe queue that `poll` drains;
nothing else of it is shared between threads. (QR scanners that type are read on the UI thread by
`app.ui.scanner`, not here.)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # a type only: app.cards.ntag424 reads through type4, which imports this module
    from app.cards.ntag424.check import ChipProof


class CardEventKind(StrEnum):
    TAPPED = "tapped"  # a card or QR was read: `uid` and/or `ndef` / `qr_text` are set
    READ_FAILED = "read_failed"  # a card was there but could not be read; `error` says why
    REMOVED = "removed"  # the card left the reader
    READER_ADDED = "reader_added"
    READER_REMOVED = "reader_removed"
    BACKEND_DOWN = "backend_down"  # e.g. pcscd stopped; the backend keeps trying to come back
    BACKEND_UP = "backend_up"


class ReadError(StrEnum):
    """Why a card could not be read; each has a message for the cashier."""

    REMOVED_MID_READ = "removed_mid_read"
    NOT_NDEF = "not_ndef"  # no NDEF application / file: a blank or foreign card
    BAD_RESPONSE = "bad_response"  # wrong status word, truncated or inconsistent answer
    TOO_LARGE = "too_large"
    UNSUPPORTED_CARD = "unsupported_card"
    READER_FAILED = "reader_failed"


class ReaderState(StrEnum):
    READY = "ready"  # waiting for a card
    CARD_PRESENT = "card_present"
    UNAVAILABLE = "unavailable"  # unplugged, or its service is down


@dataclass(frozen=True, slots=True)
class ReaderInfo:
    source: str  # "pcsc" · "nfc" · "wedge" · "simulated"
    name: str
    state: ReaderState
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class CardEvent:
    kind: CardEventKind
    source: str
    reader: str
    at_us: int  # when the backend saw it (UTC microseconds)
    uid: bytes | None = None  # hardware UID from the reader
    ndef: bytes | None = None  # the NDEF message as read (Type 4: the NDEF file after its length)
    qr_text: str | None = None  # what a scanner typed
    error: ReadError | None = None
    detail: str | None = None  # technical detail for logs, never shown as the main message
    read_us: int | None = None  # how long the read itself took
    chip: ChipProof | None = None  # what a chip-keyed card's chip proved (PC/SC: app.cards.ntag424.reading)


@runtime_checkable
class ReaderBackend(Protocol):
    source: str

    def is_available(self) -> bool:
        """Whether this kind of reader can work on this machine now (library, service, device)."""
        ...

    def readers(self) -> list[ReaderInfo]: ...

    def poll(self, timeout_ms: int) -> list[CardEvent]:
        """Events since the last call, waiting at most about timeout_ms for the first. Never raises
        for reader trouble: that is an event (READ_FAILED, READER_REMOVED, BACKEND_DOWN)."""
        ...

    def close(self) -> None:
        """Release the reader; calling it twice is harmless."""
        ...
