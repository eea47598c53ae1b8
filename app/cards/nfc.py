# SPDX-License-Identifier: GPL-3.0-or-later
"""NFC readers driven by nfcpy: USB readers (`"usb"`) and any other nfcpy path (`"udp:localhost:PORT"`).

Threading: everything here runs on the card manager's device thread (`poll`, `readers`, `open`, `close`).
Only `is_available` may also be called before that thread starts; it never touches the open reader. nfcpy is
synchronous, so `poll` blocks the device thread for about its timeout, and at most one sense cycle longer
(short on USB readers, where nfcpy sets a single activation try; nfcpy's udp driver waits a fixed 1 s for an
answer when no card is there).

One presentation of a card gives one TAPPED or READ_FAILED, and one REMOVED when it leaves. After a
successful activation the tag session is kept and watched with nfcpy's presence check, so a card resting on
the reader is neither re-read nor re-reported. A card that could not even be activated is "parked" by its
identifier: sense cycles that find it again stay silent, the first one that does not gives REMOVED.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from app.cards.base import CardEvent, CardEventKind, ReaderInfo, ReadError, ReaderState

log = logging.getLogger(__name__)

SOURCE = "nfc"
# nfcpy's own default: ISO 14443 A (Type 2 / 4A), B (Type 4B) and FeliCa (Type 3).
DEFAULT_TARGETS = ("106A", "106B", "212F")
# Our card is a few hundred bytes; with a profile photo (<= 4 KB) it stays well below this. Anything larger
# is not one of ours, and refusing it keeps a hostile card from making us parse megabytes.
DEFAULT_MAX_NDEF_BYTES = 8192

FrontendFactory = Callable[[str], Any]


def _now_us() -> int:
    return time.time_ns() // 1000


@dataclass(frozen=True, slots=True)
class TagRead:
    """The outcome of reading one activated tag: either `ndef` or `error` is set."""

    uid: bytes | None
    ndef: bytes | None
    error: ReadError | None
    detail: str | None
    read_us: int


def open_frontend(path: str) -> Any:
    """An opened nfc.ContactlessFrontend for `path`, or None when no such reader can be opened."""
    import nfc

    clf = nfc.ContactlessFrontend()
    try:
        # nfcpy returns False for a missing device but raises for others (IOError for a busy or forbidden
        # fully-qualified USB path, ValueError for some udp ports); all of them mean "not available".
        opened = clf.open(path)
    except Exception as error:
        log.debug("cannot open nfc reader %s: %r", path, error)
        return None
    return clf if opened else None


# --- reading one tag ----------------------------------------------------------------------------------------


def ndef_structure_error(octets: bytes) -> str | None:
    """Why `octets` is not one well-formed NDEF message (record headers that add up exactly), or None.

    Only the framing is checked, not the payloads: a record type we do not know is still a valid message.
    """
    offset, first = 0, True
    while True:
        if offset + 3 > len(octets):
            return "truncated record header"
        header, type_length = octets[offset], octets[offset + 1]
        if bool(header & 0x80) != first:
            return "message begin flag wrong"
        if header & 0x07 == 0x07:
            return "reserved TNF"
        short, has_id = bool(header & 0x10), bool(header & 0x08)
        position = offset + 2
        length_size = 1 if short else 4
        if position + length_size + has_id > len(octets):
            return "truncated record header"
        payload_length = int.from_bytes(octets[position : position + length_size], "big")
        position += length_size
        id_length = octets[position] if has_id else 0
        position += has_id
        offset = position + type_length + id_length + payload_length
        if offset > len(octets):
            return "record longer than the message"
        if header & 0x40:  # message end
            return None if offset == len(octets) else "bytes after the last record"
        first = False


def tag_present(tag: Any, attempts: int = 2) -> bool:
    """Whether the tag still answers. OSError (the reader itself failed) propagates; anything else is "no".

    Several attempts, because one presence check is a single short exchange (3.6 ms on FeliCa) and a busy
    machine can miss it; a card that really left misses all of them.
    """
    for _ in range(attempts):
        try:
            if tag.is_present:
                return True
        except OSError:
            raise
        except Exception as error:  # garbage answers surface as IndexError, TypeError, ...
            log.debug("presence check failed: %r", error)
    return False


def read_tag(tag: Any, *, max_ndef_bytes: int = DEFAULT_MAX_NDEF_BYTES) -> TagRead:
    """Read the NDEF message of an activated nfcpy tag (Type 2, 3 or 4). Never raises.

    nfcpy answers `tag.ndef is None` for a tag without NDEF, for one that broke off mid-read, and for most
    protocol errors alike; a presence check afterwards tells "gone" from "there but not ours".
    """
    started = time.perf_counter_ns()
    uid = _identifier(tag)
    try:
        error, detail, octets = _read_ndef(tag, max_ndef_bytes)
    except OSError as failure:
        error, detail, octets = ReadError.READER_FAILED, repr(failure), None
    read_us = (time.perf_counter_ns() - started) // 1000
    return TagRead(uid=uid, ndef=octets, error=error, detail=detail, read_us=read_us)


def _read_ndef(tag: Any, max_ndef_bytes: int) -> tuple[ReadError | None, str | None, bytes | None]:
    kind = getattr(tag, "type", type(tag).__name__)
    limit = exchange_limit(max_ndef_bytes)
    try:
        with _exchange_budget(tag.clf, limit):
            area = tag.ndef
            octets = bytes(area.octets) if area is not None else b""
    except OSError:
        raise
    except ExchangeBudgetError:
        return ReadError.BAD_RESPONSE, f"{kind}: still answering after {limit} exchanges", None
    except Exception as failure:  # nfcpy lets malformed answers escape as IndexError, struct.error, ...
        if not tag_present(tag):
            return ReadError.REMOVED_MID_READ, f"{kind}: {failure!r}", None
        return ReadError.BAD_RESPONSE, f"{kind}: {failure!r}", None
    if area is None:
        return _missing_or_gone(tag, f"{kind}: no NDEF data")
    return _check_message(kind, area, octets, max_ndef_bytes)


class ExchangeBudgetError(Exception):
    """A card kept answering past any sensible message size. Deliberately not an nfcpy error, so nfcpy cannot
    catch it: a Type 4 card that answers READ BINARY with 9000 and no data makes nfcpy loop for ever."""


def exchange_limit(max_ndef_bytes: int) -> int:
    # The smallest chunk a tag gives is 15 bytes (a Type 4 card with MLe 15); add room for the SELECTs.
    return 64 + max_ndef_bytes // 8


@contextmanager
def _exchange_budget(clf: Any, limit: int) -> Iterator[None]:
    """Let at most `limit` exchanges through `clf` while the block runs."""
    overridden = "exchange" in vars(clf)  # tests patch exchange on the instance; put theirs back after
    previous = clf.exchange
    count = 0

    def exchange(data: Any, timeout: float) -> Any:
        nonlocal count
        count += 1
        if count > limit:
            raise ExchangeBudgetError
        return previous(data, timeout)

    clf.exchange = exchange
    try:
        yield
    finally:
        if overridden:
            clf.exchange = previous
        else:
            del clf.exchange


def _missing_or_gone(tag: Any, detail: str) -> tuple[ReadError, str, None]:
    if tag_present(tag):
        return ReadError.NOT_NDEF, detail, None
    return ReadError.REMOVED_MID_READ, detail + " (tag left)", None


def _check_message(
    kind: str, area: Any, octets: bytes, max_ndef_bytes: int
) -> tuple[ReadError | None, str | None, bytes | None]:
    if not area.is_readable:
        return ReadError.NOT_NDEF, f"{kind}: NDEF area not readable", None
    if not octets:
        return ReadError.NOT_NDEF, f"{kind}: empty NDEF message (blank card)", None
    if len(octets) > max_ndef_bytes:
        return ReadError.TOO_LARGE, f"{kind}: {len(octets)} bytes of NDEF, limit {max_ndef_bytes}", None
    problem = ndef_structure_error(octets)
    if problem:
        return ReadError.BAD_RESPONSE, f"{kind}: malformed NDEF message: {problem}", None
    return None, None, octets


def _identifier(tag: Any) -> bytes | None:
    try:
        return bytes(tag.identifier)
    except Exception:  # a half-initialised tag object; the UID is a nicety for failed reads
        return None


def target_id(target: Any) -> bytes | None:
    """What tells one discovered card from another before activation: NFCID1, PUPI or IDm."""
    for attribute, part in (("sdd_res", slice(None)), ("sensb_res", slice(1, 5)), ("sensf_res", slice(1, 9))):
        value = getattr(target, attribute, None)
        if value:
            return bytes(value[part])
    return None


def _is_peer_to_peer(target: Any) -> bool:
    # The same filter as nfcpy's default on-discover: phones offering NFC-DEP are not cards.
    if target.sel_res and target.sel_res[0] & 0x40:
        return True
    return bool(target.sensf_res and bytes(target.sensf_res[1:3]) == b"\x01\xfe")


# --- the backend --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Session:
    """A card we have read and keep activated while it stays on the reader."""

    tag: Any
    uid: bytes | None
    misses: int = 0


class _SenseOnce:
    """Options for one nfcpy `connect` that runs exactly one sense cycle and activates nothing itself."""

    def __init__(self, parked_id: bytes | None) -> None:
        self.parked_id = parked_id
        self.target: Any = None
        self.parked_seen = False
        self._calls = 0

    def on_discover(self, target: Any) -> bool:
        if _is_peer_to_peer(target):
            return False
        if self.parked_id is not None and target_id(target) == self.parked_id:
            self.parked_seen = True
        else:
            self.target = target
        return False  # we activate it ourselves, outside connect, where failures are ours to classify

    def terminate(self) -> bool:
        # connect asks before every cycle: "no" once, so exactly one cycle runs.
        self._calls += 1
        return self._calls > 1


class NfcBackend:
    """A `ReaderBackend` for one nfcpy reader (source "nfc")."""

    source = SOURCE

    def __init__(
        self,
        path: str = "usb",
        *,
        targets: Sequence[str] = DEFAULT_TARGETS,
        name: str | None = None,
        reopen_interval_s: float = 2.0,
        sense_interval_s: float = 0.05,
        presence_interval_s: float = 0.1,
        absent_checks: int = 2,
        max_ndef_bytes: int = DEFAULT_MAX_NDEF_BYTES,
        frontend_factory: FrontendFactory = open_frontend,
    ) -> None:
        """`targets`: nfcpy bitrate/type strings to look for; `["212F"]` for udp tests, because sensing
        types A and B over udp costs ~2 s. `reopen_interval_s`: how often to retry an unplugged reader
        (opening a USB device is cheap but not free, and the log should not fill up). `sense_interval_s`:
        the pause between sense cycles, i.e. the RF polling rate. `presence_interval_s` / `absent_checks`:
        how often a card on the reader is checked, and how many checks in a row it must miss to count as
        removed (a card at the edge of the field flickers)."""
        self._path = path
        self._targets = list(targets)
        self._name = name or f"NFC {path}"
        self._reopen_interval_s = reopen_interval_s
        self._sense_interval_s = sense_interval_s
        self._presence_interval_s = presence_interval_s
        self._absent_checks = max(1, absent_checks)
        self._max_ndef_bytes = max_ndef_bytes
        self._factory = frontend_factory
        self._clf: Any = None
        self._detail: str | None = None
        self._session: _Session | None = None
        self._parked_id: bytes | None = None
        self._next_open_at = 0.0
        self._pending: list[CardEvent] = []
        self._closed = False
        self._wake = threading.Event()  # set by close(): no waiting any more

    # -- ReaderBackend ---------------------------------------------------------------------------------------

    def is_available(self) -> bool:
        if self._clf is not None or self._closed:
            return self._clf is not None
        try:
            probe = self._factory(self._path)
        except Exception:
            return False
        if probe is None:
            return False
        _close_quietly(probe)
        return True

    def readers(self) -> list[ReaderInfo]:
        if self._clf is None:
            state = ReaderState.UNAVAILABLE
        elif self._session is not None or self._parked_id is not None:
            state = ReaderState.CARD_PRESENT
        else:
            state = ReaderState.READY
        return [ReaderInfo(source=self.source, name=self._name, state=state, detail=self._detail)]

    def open(self) -> bool:
        """Open the reader now (poll does it lazily). A successful open is announced as READER_ADDED."""
        if self._closed:
            return False
        if self._clf is None:
            self._open(self._pending)
        return self._clf is not None

    def poll(self, timeout_ms: int) -> list[CardEvent]:
        deadline = time.monotonic() + max(0, timeout_ms) / 1000
        events, self._pending = self._pending, []
        if self._closed:
            return events
        try:
            self._poll_until(deadline, events)
        except Exception as failure:  # the last line of defence: drivers raise all sorts; never let it out
            log.warning("nfc reader %s failed: %r", self._path, failure)
            self._lose_reader(events, repr(failure))
        return events

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self._session = None
        self._parked_id = None
        clf, self._clf = self._clf, None
        if clf is not None:
            _close_quietly(clf)

    # -- the poll loop ---------------------------------------------------------------------------------------

    def _poll_until(self, deadline: float, events: list[CardEvent]) -> None:
        if self._clf is None and time.monotonic() >= self._next_open_at:
            self._open(events)  # even for poll(0): opening does not wait for anything
        while not events and time.monotonic() < deadline and not self._closed:
            if self._clf is None:
                self._reopen_or_wait(deadline, events)
            elif self._session is not None:
                self._watch_session(deadline, events)
            else:
                self._sense(deadline, events)

    def _reopen_or_wait(self, deadline: float, events: list[CardEvent]) -> None:
        if time.monotonic() >= self._next_open_at:
            self._open(events)
        if self._clf is None:
            self._wait_until(min(deadline, self._next_open_at))

    def _open(self, events: list[CardEvent]) -> None:
        try:
            clf = self._factory(self._path)
        except Exception as failure:
            log.debug("opening %s failed: %r", self._path, failure)
            clf = None
        if clf is None:
            self._next_open_at = time.monotonic() + self._reopen_interval_s
            return
        self._clf = clf
        self._detail = _describe(clf)
        events.append(self._event(CardEventKind.READER_ADDED, detail=self._detail))

    def _watch_session(self, deadline: float, events: list[CardEvent]) -> None:
        session = self._session
        assert session is not None
        if tag_present(session.tag, attempts=1):
            session.misses = 0
            self._wait_until(min(deadline, time.monotonic() + self._presence_interval_s))
            return
        session.misses += 1
        if session.misses >= self._absent_checks:
            self._session = None
            events.append(self._event(CardEventKind.REMOVED, uid=session.uid))

    def _sense(self, deadline: float, events: list[CardEvent]) -> None:
        once = _SenseOnce(self._parked_id)
        rdwr = {"targets": self._targets, "on-discover": once.on_discover, "iterations": 1}
        if self._clf.connect(rdwr=rdwr, terminate=once.terminate) is False:
            # connect swallows IOError (the device went away) and answers False.
            self._lose_reader(events, "connect failed: the reader stopped answering")
            return
        if self._parked_id is not None and not once.parked_seen:
            events.append(self._event(CardEventKind.REMOVED, uid=self._parked_id))
            self._parked_id = None
        if once.target is not None:
            self._present(once.target, events)
        elif not events:
            self._wait_until(min(deadline, time.monotonic() + self._sense_interval_s))

    def _present(self, target: Any, events: list[CardEvent]) -> None:
        import nfc.tag

        started = time.perf_counter_ns()
        try:
            tag = nfc.tag.activate(self._clf, target)
        except OSError:
            raise
        except Exception as failure:  # e.g. a Type 4 card whose RATS answer is too short
            self._park(target, ReadError.BAD_RESPONSE, f"activation failed: {failure!r}", events)
            return
        if tag is None:
            self._park(target, ReadError.UNSUPPORTED_CARD, f"cannot activate {target}", events)
            return
        result = read_tag(tag, max_ndef_bytes=self._max_ndef_bytes)
        self._report(tag, result, (time.perf_counter_ns() - started) // 1000, events)

    def _park(self, target: Any, error: ReadError, detail: str, events: list[CardEvent]) -> None:
        uid = target_id(target)
        events.append(self._event(CardEventKind.READ_FAILED, uid=uid, error=error, detail=detail))
        self._parked_id = uid

    def _report(self, tag: Any, result: TagRead, read_us: int, events: list[CardEvent]) -> None:
        if result.error is None:
            events.append(
                self._event(CardEventKind.TAPPED, uid=result.uid, ndef=result.ndef, read_us=read_us)
            )
        else:
            events.append(
                self._event(
                    CardEventKind.READ_FAILED,
                    uid=result.uid,
                    error=result.error,
                    detail=result.detail,
                    read_us=read_us,
                )
            )
        if result.error in (ReadError.READER_FAILED, ReadError.REMOVED_MID_READ):
            events.append(self._event(CardEventKind.REMOVED, uid=result.uid))
        if result.error is ReadError.READER_FAILED:
            self._lose_reader(events, result.detail)
        elif result.error is not ReadError.REMOVED_MID_READ:
            self._session = _Session(tag=tag, uid=result.uid)

    def _lose_reader(self, events: list[CardEvent], detail: str | None) -> None:
        """The reader failed or was unplugged: end the presentation, close it, retry opening later."""
        uid = self._session.uid if self._session is not None else self._parked_id
        if self._session is not None or self._parked_id is not None:
            events.append(self._event(CardEventKind.REMOVED, uid=uid))
        self._session = None
        self._parked_id = None
        clf, self._clf = self._clf, None
        if clf is not None:
            _close_quietly(clf)
            events.append(self._event(CardEventKind.READER_REMOVED, detail=detail))
        self._next_open_at = time.monotonic() + self._reopen_interval_s

    # -- helpers ---------------------------------------------------------------------------------------------

    def _wait_until(self, until: float) -> None:
        remaining = until - time.monotonic()
        if remaining > 0:
            self._wake.wait(remaining)

    def _event(self, kind: CardEventKind, **fields: Any) -> CardEvent:
        return CardEvent(kind=kind, source=self.source, reader=self._name, at_us=_now_us(), **fields)


def _describe(clf: Any) -> str | None:
    try:
        return str(clf.device) if clf.device is not None else None
    except Exception:
        return None


def _close_quietly(clf: Any) -> None:
    try:
        clf.close()
    except Exception as failure:  # closing an unplugged USB device may complain; it is gone either way
        log.debug("closing nfc reader failed: %r", failure)
