# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading and writing the NDEF message of an NFC Forum Type 4 Tag (mapping 2.0) over any APDU transport.

Pure logic over `transmit(apdu) -> response` (response = data + SW1 SW2): the PC/SC backend passes
SCardTransmit, tests pass a card emulator. Whatever the card answers, `read_ndef` and `write_ndef` return a
result or a `TagFailure` carrying a `ReadError`; they never raise for a response and never loop without
end: every length is bounded by the capability container's limits and by HARD_CAP, so a read takes at most
MAX_READ_APDUS APDUs and a write at most MAX_WRITE_APDUS.

The read, as the NFC Forum Type 4 Tag specification lays it out:
    FF CA 00 00 00                          UID (a PC/SC pseudo-APDU the contactless reader answers)
    00 A4 04 00 07 D2760000850101 00        SELECT the NDEF Tag Application
    00 A4 00 0C 02 E103                     SELECT the capability container (CC)
    00 B0 00 00 0F                          READ BINARY the CC: MLe, MLc, NDEF file id, size, access
    00 A4 00 0C 02 <file id>                SELECT the NDEF file
    00 B0 00 00 02                          READ BINARY NLEN
    00 B0 <offset> <≤ MLe>                  READ BINARY the message, chunk by chunk

A transport that loses the card raises `TransmitError` with the ReadError it means (e.g. REMOVED_MID_READ);
that too becomes a `TagFailure`.

Threading: none of its own; it runs on whichever thread calls it (the device thread).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from app.cards.base import ReadError

Transmit = Callable[[bytes], bytes]

NDEF_AID = bytes.fromhex("D2760000850101")
CC_FILE_ID = bytes.fromhex("E103")
GET_UID = bytes.fromhex("FFCA000000")
SELECT_NDEF_APP = bytes.fromhex("00A4040007") + NDEF_AID + b"\x00"

SW_OK = 0x9000
# What readers and cards answer when a command does not exist for them: the card has no such
# application, or the reader cannot tell a UID (contact readers). Any other failure is a bad response.
SW_NOT_FOUND = frozenset({0x6A82, 0x6A81, 0x6A86, 0x6D00, 0x6E00, 0x6999, 0x6800, 0x6881, 0x6882, 0x6B00})

HARD_CAP = 32 * 1024  # the most NDEF file we ever read or write; keeps offsets below 0x8000 (P1 bit 8 clear)
CC_LENGTH = 15  # CCLEN, version, MLe, MLc and the NDEF File Control TLV
MIN_MLE = 0x000F  # the specification's lower bounds for the CC's MLe and MLc
MIN_MLC = 0x0001
SHORT_APDU_MAX = 0xFF  # we send short APDUs only; every reader speaks them
MAX_UID = 10  # ISO 14443 UIDs are 4, 7 or 10 bytes
RESERVED_FILE_IDS = frozenset({0x0000, 0xE102, 0xE103, 0x3F00, 0x3FFF, 0xFFFF})
ACCESS_GRANTED, READ_ONLY = 0x00, 0xFF
MAX_READ_APDUS = 6 + math.ceil((HARD_CAP - 2) / MIN_MLE)
MAX_WRITE_APDUS = 8 + math.ceil((HARD_CAP - 2) / MIN_MLC)


class TransmitError(Exception):
    """Raised by a transport when an APDU could not be exchanged at all (card gone, reader failed)."""

    def __init__(self, error: ReadError, detail: str) -> None:
        super().__init__(detail)
        self.error, self.detail = error, detail


@dataclass(frozen=True, slots=True)
class TagRead:
    uid: bytes | None  # None when the reader cannot tell it (FF CA not supported)
    ndef: bytes  # the NDEF message: the NDEF file's content after its 2-byte NLEN
    apdus: int


@dataclass(frozen=True, slots=True)
class TagWritten:
    uid: bytes | None
    apdus: int


@dataclass(frozen=True, slots=True)
class TagFailure:
    error: ReadError
    detail: str  # for logs, never the cashier's message
    uid: bytes | None = None  # known when the failure came after the UID (a blank card still has one)
    apdus: int = 0


@dataclass(frozen=True, slots=True)
class CapabilityContainer:
    mle: int  # largest READ BINARY response data the card accepts to send
    mlc: int  # largest UPDATE BINARY data it accepts
    file_id: bytes
    max_size: int  # the NDEF file's size, NLEN included
    read_access: int
    write_access: int


class _TagError(Exception):
    def __init__(self, error: ReadError, detail: str) -> None:
        super().__init__(detail)
        self.error, self.detail = error, detail


class _Session:
    """One conversation with a card: counts APDUs, splits status words, turns trouble into _TagError."""

    def __init__(self, transmit: Transmit, limit: int) -> None:
        self._transmit, self._limit = transmit, limit
        self.apdus = 0
        self.uid: bytes | None = None

    def exchange(self, apdu: bytes, step: str) -> tuple[bytes, int]:
        if self.apdus >= self._limit:  # cannot happen with the bounds below; a second guard costs nothing
            raise _TagError(ReadError.BAD_RESPONSE, f"{step}: more than {self._limit} APDUs")
        self.apdus += 1
        try:
            response = bytes(self._transmit(apdu))
        except TransmitError as error:
            raise _TagError(error.error, f"{step}: {error.detail}") from None
        if len(response) < 2:
            raise _TagError(ReadError.BAD_RESPONSE, f"{step}: truncated response {response.hex()!r}")
        return response[:-2], int.from_bytes(response[-2:], "big")

    def command(self, apdu: bytes, step: str, expect: int = 0) -> bytes:
        """Send apdu; anything but exactly `expect` data bytes and 90 00 is a bad response."""
        data, sw = self.exchange(apdu, step)
        if sw != SW_OK:
            raise _TagError(ReadError.BAD_RESPONSE, f"{step}: status {sw:04X}")
        if len(data) != expect:
            raise _TagError(ReadError.BAD_RESPONSE, f"{step}: {len(data)} bytes instead of {expect}")
        return data

    def failure(self, failed: _TagError) -> TagFailure:
        return TagFailure(failed.error, failed.detail, self.uid, self.apdus)


# ---------------------------------------------------------------------- the steps


def _read_uid(session: _Session) -> None:
    data, sw = session.exchange(GET_UID, "UID")
    if sw in SW_NOT_FOUND:
        return  # this reader cannot tell a UID: the NDEF message may still be read
    if sw != SW_OK or not 1 <= len(data) <= MAX_UID:
        raise _TagError(ReadError.BAD_RESPONSE, f"UID: status {sw:04X} with {len(data)} bytes")
    session.uid = data


def _select_file(session: _Session, file_id: bytes, step: str) -> None:
    _, sw = session.exchange(b"\x00\xa4\x00\x0c\x02" + file_id, step)
    if sw in SW_NOT_FOUND:
        raise _TagError(ReadError.NOT_NDEF, f"{step}: no file {file_id.hex().upper()} (status {sw:04X})")
    if sw != SW_OK:
        raise _TagError(ReadError.BAD_RESPONSE, f"{step}: status {sw:04X}")


def _open_ndef_file(session: _Session) -> CapabilityContainer:
    """SELECT the application and the CC, read and check the CC, SELECT the NDEF file it names."""
    _, sw = session.exchange(SELECT_NDEF_APP, "SELECT NDEF application")
    if sw in SW_NOT_FOUND:
        raise _TagError(ReadError.NOT_NDEF, f"no NDEF application (status {sw:04X})")
    if sw != SW_OK:
        raise _TagError(ReadError.BAD_RESPONSE, f"SELECT NDEF application: status {sw:04X}")
    _select_file(session, CC_FILE_ID, "SELECT CC")
    cc = _parse_cc(session.command(b"\x00\xb0\x00\x00" + bytes([CC_LENGTH]), "READ CC", CC_LENGTH))
    _select_file(session, cc.file_id, "SELECT NDEF file")
    return cc


def _parse_cc(data: bytes) -> CapabilityContainer:
    """Check a CC (at least its first 15 bytes) against the specification's bounds."""
    if len(data) < CC_LENGTH:
        raise _TagError(ReadError.BAD_RESPONSE, f"CC: {len(data)} bytes")
    cc_len, version = int.from_bytes(data[0:2], "big"), data[2]
    if cc_len < CC_LENGTH:
        raise _TagError(ReadError.BAD_RESPONSE, f"CC: CCLEN {cc_len}")
    if not 1 <= version >> 4 <= 3:
        raise _TagError(ReadError.UNSUPPORTED_CARD, f"CC: mapping version {version:02X}")
    mle, mlc = int.from_bytes(data[3:5], "big"), int.from_bytes(data[5:7], "big")
    if mle < MIN_MLE or mlc < MIN_MLC:
        raise _TagError(ReadError.BAD_RESPONSE, f"CC: MLe {mle}, MLc {mlc}")
    tag, length = data[7], data[8]
    if tag != 0x04 or length < 6:
        # 06 is the extended NDEF file (mapping 3.0, files over 64 KB): far beyond any member card
        raise _TagError(ReadError.UNSUPPORTED_CARD, f"CC: NDEF file control TLV {tag:02X} {length:02X}")
    file_id, max_size = data[9:11], int.from_bytes(data[11:13], "big")
    if int.from_bytes(file_id, "big") in RESERVED_FILE_IDS or not 5 <= max_size <= 0xFFFE:
        raise _TagError(ReadError.BAD_RESPONSE, f"CC: NDEF file {file_id.hex()} of {max_size} bytes")
    return CapabilityContainer(mle, mlc, file_id, max_size, data[13], data[14])


def _read_message(session: _Session, cc: CapabilityContainer) -> bytes:
    if cc.read_access != ACCESS_GRANTED:
        raise _TagError(ReadError.UNSUPPORTED_CARD, f"NDEF file read access {cc.read_access:02X}")
    nlen = int.from_bytes(session.command(b"\x00\xb0\x00\x00\x02", "READ NLEN", 2), "big")
    if nlen == 0:
        raise _TagError(ReadError.NOT_NDEF, "empty NDEF file (NLEN 0): a blank card")
    if nlen > cc.max_size - 2:
        raise _TagError(ReadError.BAD_RESPONSE, f"NLEN {nlen} beyond the {cc.max_size}-byte NDEF file")
    if nlen > HARD_CAP - 2:
        raise _TagError(ReadError.TOO_LARGE, f"NLEN {nlen} over the {HARD_CAP}-byte cap")
    chunk = min(cc.mle, SHORT_APDU_MAX)
    message = bytearray()
    while len(message) < nlen:  # each pass adds exactly `wanted` bytes or fails: it ends
        offset, wanted = 2 + len(message), min(chunk, nlen - len(message))
        apdu = b"\x00\xb0" + offset.to_bytes(2, "big") + bytes([wanted])
        message += session.command(apdu, f"READ BINARY at {offset}", wanted)
    return bytes(message)


# ---------------------------------------------------------------------- the two operations


def read_ndef(transmit: Transmit) -> TagRead | TagFailure:
    """The card's UID and NDEF message, or why not."""
    session = _Session(transmit, MAX_READ_APDUS)
    try:
        _read_uid(session)
        message = _read_message(session, _open_ndef_file(session))
    except _TagError as failed:
        return session.failure(failed)
    return TagRead(session.uid, message, session.apdus)


def write_ndef(
    transmit: Transmit, message: bytes, expected_uid: bytes | None = None
) -> TagWritten | TagFailure:
    """Replace the card's NDEF message: NLEN = 0, then the message, then its NLEN (so a card pulled away
    half-way is left empty, never holding a half-written message).

    With `expected_uid`, a card whose UID differs is refused before anything is written
    (REMOVED_MID_READ: the card that was read has been swapped)."""
    session = _Session(transmit, MAX_WRITE_APDUS)
    try:
        _read_uid(session)
        if expected_uid is not None and session.uid != expected_uid:
            found = session.uid.hex() if session.uid else "none"
            raise _TagError(ReadError.REMOVED_MID_READ, f"another card (UID {found}) is on the reader")
        _write_message(session, _open_ndef_file(session), message)
    except _TagError as failed:
        return session.failure(failed)
    return TagWritten(session.uid, session.apdus)


def _write_message(session: _Session, cc: CapabilityContainer, message: bytes) -> None:
    if cc.write_access != ACCESS_GRANTED:
        kind = "read-only" if cc.write_access == READ_ONLY else f"write access {cc.write_access:02X}"
        raise _TagError(ReadError.UNSUPPORTED_CARD, f"NDEF file is {kind}")
    if len(message) > min(cc.max_size, HARD_CAP) - 2:
        raise _TagError(
            ReadError.TOO_LARGE, f"{len(message)} bytes do not fit a {cc.max_size}-byte NDEF file"
        )
    session.command(b"\x00\xd6\x00\x00\x02\x00\x00", "UPDATE NLEN 0")
    chunk = min(cc.mlc, SHORT_APDU_MAX)
    for start in range(0, len(message), chunk):
        offset, data = 2 + start, message[start : start + chunk]
        apdu = b"\x00\xd6" + offset.to_bytes(2, "big") + bytes([len(data)]) + data
        session.command(apdu, f"UPDATE BINARY at {offset}")
    session.command(b"\x00\xd6\x00\x00\x02" + len(message).to_bytes(2, "big"), "UPDATE NLEN")
