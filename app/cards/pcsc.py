# SPDX-License-Identifier: GPL-3.0-or-later
"""PC/SC card readers (ACR122U, ACR1252U, … through pcscd), with pyscard's low-level `smartcard.scard` API.

Not pyscard's CardMonitor: that is a process-wide thread that calls back on foreign threads and dies
silently when pcscd restarts (HARNESS.md). Here the caller's thread owns everything: `poll` waits in
SCardGetStatusChange (the readers plus the `\\\\?PnP?\\Notification` pseudo-reader for hot-plug) and reads
a card that arrives right there, with `app.cards.type4`.

Events: READER_ADDED / READER_REMOVED; TAPPED (uid, ndef, read_us) or READ_FAILED (error, and uid when
known) for each card that arrives, then REMOVED when it leaves. When pcscd goes away: REMOVED for cards
being held, then BACKEND_DOWN once; `poll` then tries to establish a new context every `retry_s` (sleeping
in between, never spinning) and, when pcscd answers again, emits BACKEND_UP and READER_ADDED for each
reader. While down, `readers()` lists the last known readers as UNAVAILABLE.

Windows (8 and later) starts its Smart Card service only while a reader is plugged in: SCardEstablishContext
answers SCARD_E_NO_SERVICE until one is, and a context in use answers SCARD_E_SERVICE_STOPPED or
SCARD_E_NO_SERVICE once the last one is pulled out (pyscard issues #27, #74, #87, #136). The same path
handles it — drop the context, try a new one every `retry_s` — but there it means "no reader attached", a
normal state: `is_available()` stays True (the service starts when a reader comes), the readers it had are
READER_REMOVED (at the first retry) rather than kept as UNAVAILABLE, and every detail says that no reader
is attached instead of naming a service a cashier has never heard of. pcsc-lite answers SCARD_E_NO_SERVICE
when pcscd is not running, so the tests drive this path with a real pcscd stopped and started.

Card issuing: `write_card(reader, message, timeout_ms, expected_uid)` writes an NDEF message, reads it
back, and returns the card's UID; it raises CardWriteError. Run it on the device thread too
(`CardManager.submit(lambda: backend.write_card(…))`).

Threading: `poll`, `readers`, `write_card` and `close` run on the card manager's device thread only
(one PC/SC context, used by that thread). `is_available` uses a context of its own and may run anywhere.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from app.cards import type4
from app.cards.base import CardEvent, CardEventKind, ReaderInfo, ReadError, ReaderState
from app.cards.ntag424.check import ChipProof
from app.cards.ntag424.personalise import IssueResult, personalise
from app.cards.ntag424.reading import ChipReading

try:
    from smartcard import scard as _scard
except ImportError:  # no pyscard (or no libpcsclite): is_available() says False
    _scard = None
scard: Any = _scard

log = logging.getLogger(__name__)

SOURCE = "pcsc"
PNP_READER = "\\\\?PnP?\\Notification"
DEFAULT_RETRY_S = 1.0  # how often a down backend tries pcscd again: modest, the terminal is idle anyway
RELIST_S = 2.0  # re-list readers this often too: pcsc-lite's PnP notice only fires within one wait
CARD_GONE_CONFIRM_S = 1.0  # > pcscd's 400 ms presence polling, to tell a pulled card from a failed reader
MAX_WAIT_MS = 60_000


def _code(hresult: int) -> int:
    return hresult & 0xFFFFFFFF  # pyscard returns PC/SC codes unsigned on Linux, signed elsewhere


def _codes(*names: str) -> frozenset[int]:
    return frozenset(_code(getattr(scard, n)) for n in names if scard is not None and hasattr(scard, n))


SUCCESS = _codes("SCARD_S_SUCCESS")
TIMEOUT = _codes("SCARD_E_TIMEOUT")
SERVICE_GONE = _codes(
    "SCARD_E_NO_SERVICE", "SCARD_E_SERVICE_STOPPED", "SCARD_F_COMM_ERROR", "SCARD_E_INVALID_HANDLE",
    "SCARD_E_NO_MEMORY", "SCARD_F_INTERNAL_ERROR",
)  # fmt: skip
CARD_GONE = _codes("SCARD_W_REMOVED_CARD", "SCARD_E_NO_SMARTCARD", "SCARD_W_RESET_CARD")
CARD_UNUSABLE = _codes(
    "SCARD_W_UNRESPONSIVE_CARD", "SCARD_W_UNPOWERED_CARD", "SCARD_W_UNSUPPORTED_CARD",
    "SCARD_E_PROTO_MISMATCH",
)  # fmt: skip
LINK_FAILED = _codes("SCARD_E_NOT_TRANSACTED", "SCARD_E_COMM_DATA_LOST", "SCARD_E_READER_UNAVAILABLE")
NO_READERS = _codes("SCARD_E_NO_READERS_AVAILABLE")
NO_SERVICE = _codes("SCARD_E_NO_SERVICE", "SCARD_E_SERVICE_STOPPED")  # Windows: also "no reader attached"
NO_READER_ATTACHED = (
    "no card reader is attached (Windows starts its Smart Card service when one is plugged in)"
)
PCSCD_DOWN = "pcscd is not running"
UNKNOWN_READER = _codes("SCARD_E_UNKNOWN_READER")


class CardWriteError(Exception):
    """Writing a card failed; `error` says why in the same terms as a failed read."""

    def __init__(self, error: ReadError, detail: str) -> None:
        super().__init__(f"{error}: {detail}")
        self.error, self.detail = error, detail


@dataclass(slots=True)
class _Reader:
    name: str
    state: int = 0  # the last dwEventState (event counter in the high word), fed back as dwCurrentState
    holding: bool = False  # a card was reported (TAPPED / READ_FAILED) and has not been REMOVED yet


def _now_us() -> int:
    return time.time_ns() // 1000


def _service_on_demand() -> bool:
    """Whether the PC/SC service runs only while a reader is plugged in (Windows), so that its absence just
    means no reader is attached."""
    return sys.platform == "win32"


def _no_reader_yet(hresult: int) -> bool:
    return _service_on_demand() and _code(hresult) in NO_SERVICE


def _down_text(hresult: int | None) -> str:
    """What readers() and BACKEND_DOWN say about a service that did not answer with `hresult` (None: it
    has not been asked yet)."""
    if hresult is None:
        return NO_READER_ATTACHED if _service_on_demand() else PCSCD_DOWN
    if _no_reader_yet(hresult):
        return NO_READER_ATTACHED
    if _code(hresult) in NO_SERVICE:
        return f"{PCSCD_DOWN}: {_message(hresult)}"
    return _message(hresult)


def _message(hresult: int) -> str:
    try:
        return f"{scard.SCardGetErrorMessage(hresult)} (0x{_code(hresult):08X})"
    except Exception:  # the message is for logs only
        return f"0x{_code(hresult):08X}"


class PcscBackend:
    """Every PC/SC reader pcscd knows (or those `reader_filter` accepts)."""

    source = SOURCE

    def __init__(
        self,
        retry_s: float = DEFAULT_RETRY_S,
        reader_filter: Callable[[str], bool] | None = None,
        chip: ChipReading | None = None,
    ) -> None:
        self._retry_s = retry_s
        self._chip = chip or ChipReading()
        self._accepts = reader_filter or (lambda _name: True)
        self._context: int | None = None
        self._readers: dict[str, _Reader] = {}
        self._pnp_state = 0
        self._pending: list[CardEvent] = []
        self._down = False  # BACKEND_DOWN has been emitted and BACKEND_UP has not
        self._down_detail: str | None = None
        self._lost_readers: list[str] = []  # listed as UNAVAILABLE while down
        self._next_attempt = 0.0
        self._next_relist = 0.0
        self._service_lost: int | None = None  # set by a transmit that found pcscd gone
        self._closed = False

    # ------------------------------------------------------------------ ReaderBackend

    def is_available(self) -> bool:
        """pyscard is importable and pcscd answers (through a context of its own). On Windows a service
        that is not running counts as available: it starts when a reader is plugged in, and poll() is what
        notices that."""
        if scard is None:
            return False
        try:
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        except Exception:  # a broken libpcsclite is "not available", not a crash
            return False
        if _code(hresult) not in SUCCESS:
            return _no_reader_yet(hresult)
        scard.SCardReleaseContext(context)
        return True

    def readers(self) -> list[ReaderInfo]:
        if self._context is None and not self._down and not self._closed:
            self._connect(self._pending)  # so a fresh backend can list its readers before the first poll
        if self._context is None:
            detail = self._down_detail or _down_text(None)
            return [ReaderInfo(SOURCE, name, ReaderState.UNAVAILABLE, detail) for name in self._lost_readers]
        return [self._info(reader) for reader in self._readers.values()]

    def poll(self, timeout_ms: int) -> list[CardEvent]:
        deadline = time.monotonic() + max(0, timeout_ms) / 1000
        events, self._pending = self._pending, []
        if self._closed:
            if not events:
                self._sleep_until(deadline)  # a caller that polls a closed backend must not spin
            return events
        while True:
            if self._context is None:
                self._connect(events)
            if not events:
                if self._context is None:
                    self._sleep_until(min(deadline, self._next_attempt))
                else:
                    self._wait(deadline, events)
            if events or time.monotonic() >= deadline:
                return events

    def close(self) -> None:
        self._closed = True
        self._release()

    # ------------------------------------------------------------------ card issuing

    def write_card(
        self,
        reader_name: str | None,
        message: bytes,
        timeout_ms: int = 5_000,
        expected_uid: bytes | None = None,
    ) -> bytes | None:
        """Write `message` as the NDEF message of the card on `reader_name` (None: the first reader that
        has a card, waiting up to timeout_ms for one), read it back, and return the card's UID.

        With `expected_uid`, a different card is refused before anything is written. Raises CardWriteError
        (READER_FAILED when pcscd is down or no card came in time; otherwise the type4 error)."""
        with self._card_on(reader_name, timeout_ms) as transmit:
            written = type4.write_ndef(transmit, message, expected_uid)
            if isinstance(written, type4.TagFailure):
                raise CardWriteError(written.error, written.detail)
            check = type4.read_ndef(transmit)
        if isinstance(check, type4.TagFailure):
            raise CardWriteError(check.error, f"reading back: {check.detail}")
        if check.ndef != message:
            raise CardWriteError(ReadError.BAD_RESPONSE, "the card gave back something else than was written")
        return written.uid

    def personalise_card(
        self,
        reader_name: str | None,
        message: bytes,
        card_keys: Sequence[bytes],
        timeout_ms: int = 5_000,
        *,
        expected_uid: bytes,
    ) -> IssueResult:
        """Make the factory-fresh NTAG 424 DNA on `reader_name` a chip-keyed club card (app.cards.ntag424.
        personalise: `message` in its NDEF file, `card_keys` 0-4 in place of the factory's), read back and
        proven; a card whose UID is not `expected_uid` ends "wrong_card", one torn away "interrupted". Raises
        CardWriteError only for the reader's trouble."""
        with self._card_on(reader_name, timeout_ms) as transmit:
            return personalise(
                transmit, uid=expected_uid, ndef_message=message, card_keys=card_keys,
                originality_keys=self._chip.originality_keys,
            )  # fmt: skip

    @contextlib.contextmanager
    def _card_on(self, reader_name: str | None, timeout_ms: int) -> Iterator[type4.Transmit]:
        """A connection to the card on `reader_name` (None: the first reader with one, waiting up to
        timeout_ms), as a transmit function; released on leaving. Raises CardWriteError for the reader."""
        if self._context is None:
            self._connect(self._pending)
        if self._context is None:
            raise CardWriteError(ReadError.READER_FAILED, self._down_detail or _down_text(None))
        name, state = self._wait_for_card(reader_name, timeout_ms)
        hcard, protocol = self._connect_card(name)
        try:
            yield self._transmitter(hcard, protocol, name, state)
        finally:
            scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)

    def _wait_for_card(self, reader_name: str | None, timeout_ms: int) -> tuple[str, int]:
        """The name and state of a reader with a card."""
        names = [reader_name] if reader_name else list(self._readers)
        if not names:
            raise CardWriteError(ReadError.READER_FAILED, "no reader")
        states = [(name, 0) for name in names]  # UNAWARE: tells the present state at once
        deadline = time.monotonic() + max(0, timeout_ms) / 1000
        while True:
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            hresult, found = scard.SCardGetStatusChange(self._context, remaining_ms, states)
            code = _code(hresult)
            if code in TIMEOUT:
                raise CardWriteError(ReadError.READER_FAILED, f"no card within {timeout_ms} ms")
            if code not in SUCCESS:
                raise CardWriteError(ReadError.READER_FAILED, _message(hresult))
            for name, event_state, _atr in found:
                if event_state & scard.SCARD_STATE_PRESENT and not event_state & scard.SCARD_STATE_MUTE:
                    return name, event_state & ~scard.SCARD_STATE_CHANGED
            states = [(name, event_state & ~scard.SCARD_STATE_CHANGED) for name, event_state, _ in found]

    def _connect_card(self, name: str) -> tuple[int, int]:
        hresult, hcard, protocol = scard.SCardConnect(
            self._context, name, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        )
        if _code(hresult) not in SUCCESS:
            raise CardWriteError(self._connect_error(hresult), _message(hresult))
        return hcard, protocol

    # ------------------------------------------------------------------ the context

    def _connect(self, events: list[CardEvent]) -> None:
        """Establish a context and list the readers, at most once per retry_s."""
        now = time.monotonic()
        if now < self._next_attempt or scard is None:
            if scard is None:
                self._next_attempt = now + self._retry_s
                self._mark_down(events, "pyscard is not installed")
            return
        self._next_attempt = now + self._retry_s
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if _code(hresult) not in SUCCESS:
            self._unanswered(events, hresult)
            return
        hresult, names = scard.SCardListReaders(context, [])
        if _code(hresult) not in SUCCESS | NO_READERS:
            scard.SCardReleaseContext(context)  # Windows: the service stopping between the two calls
            self._unanswered(events, hresult)
            return
        self._context = context
        if self._down:
            log.info("pcscd is back")
            events.append(self._event(CardEventKind.BACKEND_UP, ""))
            self._down, self._down_detail, self._lost_readers = False, None, []
        self._pnp_state = 0
        self._readers = {}
        self._add_readers(names if _code(hresult) in SUCCESS else [], events)
        self._next_relist = now + RELIST_S

    def _unanswered(self, events: list[CardEvent], hresult: int) -> None:
        """A new context was refused: still down (or down now)."""
        if _no_reader_yet(hresult):
            # Windows stopped its service because the last reader was pulled out: those readers are gone,
            # not broken. Decided on a fresh context's answer, because the call that was under way when
            # the service went may have failed with another code.
            for name in self._lost_readers:
                events.append(self._event(CardEventKind.READER_REMOVED, name))
            self._lost_readers = []
        self._mark_down(events, hresult)

    def _mark_down(self, events: list[CardEvent], cause: int | str) -> None:
        """BACKEND_DOWN once; `cause` is the PC/SC code that said so, or a text."""
        detail = cause if isinstance(cause, str) else _down_text(cause)
        if not self._down:
            normal = not isinstance(cause, str) and _no_reader_yet(cause)
            log.log(logging.INFO if normal else logging.WARNING, "PC/SC is unavailable: %s", detail)
            events.append(self._event(CardEventKind.BACKEND_DOWN, "", detail=detail))
            self._down = True
        self._down_detail = detail

    def _lose_service(self, events: list[CardEvent], hresult: int) -> None:
        """pcscd went away: drop the context and every reader; poll() retries at a modest pace."""
        for reader in self._readers.values():
            self._let_go(reader, events)
        self._lost_readers = list(self._readers) or self._lost_readers
        self._readers = {}
        self._release()
        self._next_attempt = time.monotonic() + self._retry_s
        self._mark_down(events, hresult)

    def _release(self) -> None:
        context, self._context = self._context, None
        if context is not None and scard is not None:
            try:
                scard.SCardReleaseContext(context)
            except Exception:  # the daemon may be gone already; the context is dropped either way
                log.debug("SCardReleaseContext failed", exc_info=True)

    # ------------------------------------------------------------------ readers

    def _add_readers(self, names: list[str], events: list[CardEvent]) -> None:
        for name in names:
            if name not in self._readers and self._accepts(name):
                self._readers[name] = _Reader(name)
                events.append(self._event(CardEventKind.READER_ADDED, name))

    def _relist(self, events: list[CardEvent]) -> None:
        self._next_relist = time.monotonic() + RELIST_S
        hresult, names = scard.SCardListReaders(self._context, [])
        code = _code(hresult)
        if code in SERVICE_GONE:
            self._lose_service(events, hresult)
            return
        if code not in SUCCESS | NO_READERS:
            log.warning("SCardListReaders: %s", _message(hresult))
            return
        listed = set(names) if code in SUCCESS else set()
        for name in [n for n in self._readers if n not in listed]:
            self._let_go(self._readers.pop(name), events)
            events.append(self._event(CardEventKind.READER_REMOVED, name))
        self._add_readers(sorted(listed), events)

    def _info(self, reader: _Reader) -> ReaderInfo:
        if reader.state & (scard.SCARD_STATE_UNAVAILABLE | scard.SCARD_STATE_UNKNOWN):
            return ReaderInfo(SOURCE, reader.name, ReaderState.UNAVAILABLE)
        present = reader.state & scard.SCARD_STATE_PRESENT
        return ReaderInfo(SOURCE, reader.name, ReaderState.CARD_PRESENT if present else ReaderState.READY)

    # ------------------------------------------------------------------ waiting for changes

    def _wait(self, deadline: float, events: list[CardEvent]) -> None:
        if time.monotonic() >= self._next_relist:
            self._relist(events)
            if events or self._context is None:
                return
        remaining_ms = min(MAX_WAIT_MS, max(0, int((deadline - time.monotonic()) * 1000)))
        states = [(PNP_READER, self._pnp_state)] + [(r.name, r.state) for r in self._readers.values()]
        hresult, changed = scard.SCardGetStatusChange(self._context, remaining_ms, states)
        code = _code(hresult)
        if code in TIMEOUT:
            return
        if code in UNKNOWN_READER:
            self._relist(events)
            return
        if code not in SUCCESS:
            # pcscd stopped, or an error we cannot act on: either way start over with a fresh context
            # at the retry pace rather than asking again at once (which could spin).
            self._lose_service(events, hresult)
            return
        self._apply(changed, events)

    def _apply(self, changed: list[tuple[str, int, list[int]]], events: list[CardEvent]) -> None:
        relist = False
        for name, event_state, atr in changed:
            if name == PNP_READER:
                self._pnp_state = event_state & ~scard.SCARD_STATE_CHANGED
                relist |= bool(event_state & scard.SCARD_STATE_CHANGED)
            elif event_state & scard.SCARD_STATE_UNKNOWN:
                relist = True  # unplugged between our listing and this wait
            elif name in self._readers and self._context is not None:
                self._on_state(self._readers[name], event_state, bytes(atr), events)
        if relist and self._context is not None:
            self._relist(events)

    def _on_state(self, reader: _Reader, event_state: int, atr: bytes, events: list[CardEvent]) -> None:
        previous, reader.state = reader.state, event_state & ~scard.SCARD_STATE_CHANGED
        present = bool(event_state & scard.SCARD_STATE_PRESENT)
        # pcsc-lite counts insertions and removals in the high word: a card swapped between two waits
        # shows PRESENT both times but a new count.
        swapped = previous >> 16 != event_state >> 16
        if reader.holding and (not present or swapped):
            self._let_go(reader, events)
        if present and not reader.holding:
            reader.holding = True
            if event_state & scard.SCARD_STATE_MUTE:
                events.append(self._failed(reader.name, ReadError.UNSUPPORTED_CARD, "the card is mute"))
            else:
                self._read_card(reader, atr, events)

    def _let_go(self, reader: _Reader, events: list[CardEvent]) -> None:
        if reader.holding:
            reader.holding = False
            events.append(self._event(CardEventKind.REMOVED, reader.name))

    # ------------------------------------------------------------------ reading a card

    def _read_card(self, reader: _Reader, atr: bytes, events: list[CardEvent]) -> None:
        name, seen_us, started = reader.name, _now_us(), time.perf_counter_ns()
        hresult, hcard, protocol = scard.SCardConnect(
            self._context, name, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        )
        if _code(hresult) in SERVICE_GONE:
            self._lose_service(events, hresult)
            return
        if _code(hresult) not in SUCCESS:
            detail = f"SCardConnect: {_message(hresult)}"
            events.append(self._failed(name, self._connect_error(hresult), detail))
            return
        self._service_lost = None
        try:
            result, proof = self._read_and_prove(self._transmitter(hcard, protocol, name, reader.state))
        finally:
            scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)
        read_us = (time.perf_counter_ns() - started) // 1000
        if isinstance(result, type4.TagRead):
            apdus = result.apdus + (proof.apdus if proof else 0)
            events.append(self._event(
                CardEventKind.TAPPED, name, at_us=seen_us, uid=result.uid, ndef=result.ndef, read_us=read_us,
                detail=f"ATR {atr.hex().upper()}, {apdus} APDUs" + (f"; {proof.detail}" if proof else ""),
                chip=proof,
            ))  # fmt: skip
        else:
            log.info("card on %s not read: %s (%s)", name, result.error, result.detail)
            events.append(self._event(
                CardEventKind.READ_FAILED, name, at_us=seen_us, uid=result.uid, error=result.error,
                detail=result.detail, read_us=read_us,
            ))  # fmt: skip
        if self._service_lost is not None:
            self._lose_service(events, self._service_lost)

    def _read_and_prove(
        self, transmit: type4.Transmit
    ) -> tuple[type4.TagRead | type4.TagFailure, ChipProof | None]:
        """The NDEF read, then, for a card naming a club chip key, the chip's proof on the same connection.
        A card that leaves during the proof is a failed read (tap again), not a verdict on the card."""
        result = type4.read_ndef(transmit)
        if not isinstance(result, type4.TagRead) or not self._chip.wants_proof(result.ndef):
            return result, None
        try:
            return result, self._chip.prove(transmit, result.ndef, result.uid)
        except type4.TransmitError as error:
            failure = type4.TagFailure(error.error, f"chip check: {error.detail}", uid=result.uid)
            return failure, None

    def _transmitter(self, hcard: int, protocol: int, name: str, state: int) -> type4.Transmit:
        """SCardTransmit for type4; `state` is the reader's state when the card was seen, so that a removal
        since then can be told from a failing reader."""

        def transmit(apdu: bytes) -> bytes:
            try:
                hresult, response = scard.SCardTransmit(hcard, protocol, list(apdu))
            except Exception as error:  # pyscard's own failure is still the reader's trouble: an event
                log.exception("SCardTransmit raised")
                raise type4.TransmitError(
                    ReadError.READER_FAILED, f"SCardTransmit raised {error!r}"
                ) from None
            if _code(hresult) not in SUCCESS:
                error = self._transmit_error(hresult, name, state)
                raise type4.TransmitError(error, f"SCardTransmit: {_message(hresult)}")
            if not response and self._card_left(name, state):
                # No answer at all, not even a status word: what a reader passes on when the card has
                # left the field mid-exchange (vpcd does exactly this). A card that stays is a bad response.
                raise type4.TransmitError(ReadError.REMOVED_MID_READ, "no answer: the card left")
            return bytes(response)

        return transmit

    def _transmit_error(self, hresult: int, name: str, state: int) -> ReadError:
        code = _code(hresult)
        if code in CARD_GONE:
            return ReadError.REMOVED_MID_READ
        if code in SERVICE_GONE:
            self._service_lost = hresult
            return ReadError.READER_FAILED
        if code in LINK_FAILED and self._card_left(name, state):
            return ReadError.REMOVED_MID_READ  # the usual way a contactless exchange breaks
        return ReadError.READER_FAILED

    def _card_left(self, name: str, state: int) -> bool:
        """Whether the card seen on `name` in `state` has left, or leaves within CARD_GONE_CONFIRM_S (pcscd
        notices in ≤ 400 ms). pcsc-lite's event counter tells a removal even if another card came since."""
        deadline = time.monotonic() + CARD_GONE_CONFIRM_S
        while (remaining := deadline - time.monotonic()) > 0:
            hresult, found = scard.SCardGetStatusChange(self._context, int(remaining * 1000), [(name, state)])
            if _code(hresult) in TIMEOUT:
                return False
            if _code(hresult) not in SUCCESS:
                return True  # reader or service gone: the card is gone with it
            _, event_state, _ = found[0]
            if not event_state & scard.SCARD_STATE_PRESENT or event_state >> 16 != state >> 16:
                return True
            state = event_state & ~scard.SCARD_STATE_CHANGED
        return False

    @staticmethod
    def _connect_error(hresult: int) -> ReadError:
        code = _code(hresult)
        if code in CARD_GONE:
            return ReadError.REMOVED_MID_READ  # a card brushed past: gone before we could talk to it
        if code in CARD_UNUSABLE:
            return ReadError.UNSUPPORTED_CARD
        return ReadError.READER_FAILED

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _event(kind: CardEventKind, reader: str, at_us: int | None = None, **fields: object) -> CardEvent:
        return CardEvent(kind, SOURCE, reader, at_us or _now_us(), **fields)  # type: ignore[arg-type]

    def _failed(self, name: str, error: ReadError, detail: str) -> CardEvent:
        log.info("card on %s not read: %s (%s)", name, error, detail)
        return self._event(CardEventKind.READ_FAILED, name, error=error, detail=detail)

    @staticmethod
    def _sleep_until(deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
