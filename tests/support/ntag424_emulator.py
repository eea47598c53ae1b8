# SPDX-License-Identifier: GPL-3.0-or-later
"""An NXP NTAG 424 DNA played to pcscd through vpcd, for the tests (issue 19).

Written from NXP's NT4H2421Gx datasheet and application note AN12196, independently of our reader code
(app/cards/ntag424/crypto.py and session.py are deliberately not imported): the unit tests check it against
AN12196's worked examples byte for byte, so that reader and card meet on NXP's terms, not on a shared
misreading. `Ntag424Card` has the interface of `type4_emulator.Type4Card` (`respond`, `start_session`,
`uid`, `ndef`, `apdus`, `faults`), so `CardEmulator` serves it on a vpcd port unchanged.

What the card does:
- FF CA 00 00 00 answers the UID, as a contactless reader does for any card;
- ISO SELECT of the application by DF name D2760000850101 (or E110) and of its files E103 (CC, file 1),
  E104 (NDEF, file 2), E105 (proprietary, file 3); ISOReadBinary / ISOUpdateBinary (plain only, honouring
  the files' access rights: 69 82 otherwise); so app/cards/type4.py reads its NDEF message unchanged;
- native commands (CLA 90): GetVersion (60, AF), AuthenticateEV2First (71, AF) and NonFirst (77, AF),
  GetCardUID (51), Read_Sig (3C), GetKeyVersion (64), ChangeKey (C4), GetFileSettings (F5),
  ChangeFileSettings (5F), ReadData (AD), WriteData (8D), GetFileCounters (F6), with secure messaging in
  CommMode.MAC and CommMode.Full: TI, the command counter CmdCtr, IVs E(KSesAuthENC, A55A|5AA5 ‖ TI ‖
  CmdCtr ‖ 0⁸), the CMAC truncated to its odd-indexed bytes;
- Secure Dynamic Messaging on the NDEF file (SUN): with SDM on, a free (unauthenticated) read sees the
  UID and SDMReadCtr mirrored in ASCII, or the encrypted PICCData, and the SUN MAC, at the offsets the
  settings name, and moves SDMReadCtr on (SDMENCFileData and SDMReadCtrLimit are kept but not applied);
- errors with the datasheet's status words: 91 1C unknown command, 91 1E integrity (wrong MAC, CRC or
  padding), 91 40 no such key, 91 7E length, 91 9D permission denied (access right "never"), 91 9E
  parameter, 91 AE authentication (wrong RndB', or no authentication with the key a command needs), 91 BE
  boundary, 91 CA command aborted (a chain interrupted), 91 F0 file not found. Any error in an
  authenticated session ends it, as on the chip.

Where the documents left us a choice (no worked example settles it), the card takes the stricter reading and
says so here: a data command is in the file's CommMode when the session's key grants the access, and plain
when the access is free (Eh); ISOSelectFile of the application ends an authentication, of a file does not;
native commands work whether or not the application was selected first; a command other than AF while a
chain is pending is refused 91 CA, except a new AuthenticateEV2First, which starts afresh; SDMReadCtr
counts one per ReadData and one per ISO selection of the file that is then read (a phone's tap: one).

Modes (constructors): `Ntag424Card.factory` (five zero keys, versions 0, NXP's default file settings),
`Ntag424Card.club_card` (keys given, NDEF writable with key 0 only), `Ntag424Card.magic_clone` (right UID
and payload, no key: it answers the challenge with keys it made up, or refuses it; its Read_Sig answers
nothing, a copied signature or a wrong one). The originality signature is the TEST manufacturer's
(tests/support/ntag424_originality.py) unless given.

Tear injection: `card.tear_after(n, committed=…)` cuts the card off (the APDU gets no answer, vpcd sees the
card gone) at the n-th state-changing command (WriteData, ISOUpdateBinary, ChangeKey, ChangeFileSettings)
from now; as on the chip each of them is atomic, so the command either took effect whole (committed=True)
or not at all. The card object keeps its state (keys, files, settings) across insertions and removals;
a power-up (`start_session`) forgets only the volatile state (selection, authentication, chains).

Test hooks, for replaying AN12196's examples: `next_rnd_b` / `next_ti` fix the next challenge and TI, and
`force_session` puts the card into a session the note gives only by its keys, TI and counter;
`sdm_read_counter` and `next_picc_padding` set what the next SUN message carries.

The command line (`python -m tests.support.ntag424_emulator --uid HEX --ndef-file F [--key N:HEX] …`) and
`Ntag424EmulatorProcess` drive it from another process, as type4_emulator's do.

Threading: like Type4Card, one thread at a time.
"""

from __future__ import annotations

import argparse
import hmac
import os
import signal
import sys
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from tests.support.ntag424_originality import sign_uid
from tests.support.type4_emulator import (
    SW_NOT_FOUND,
    SW_OK,
    SW_SECURITY,
    SW_WRONG_CLA,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
    VPCD_PORT,
    CardEmulator,
    EmulatorProcess,
    Faults,
    Type4Card,
    kill_stale_emulators,
)

EMULATOR_MODULE = "tests.support.ntag424_emulator"
DF_NAME = bytes.fromhex("D2760000850101")
DF_FILE_ID = 0xE110
PICC_FILE_ID = 0x3F00
KEY_COUNT = 5
KEY_LENGTH = 16
FACTORY_KEY = bytes(KEY_LENGTH)
FREE, NEVER = 0xE, 0xF
FILE_CC, FILE_NDEF, FILE_PROPRIETARY = 1, 2, 3
ISO_FILE_IDS = {0xE103: FILE_CC, 0xE104: FILE_NDEF, 0xE105: FILE_PROPRIETARY}
MAX_FRAME = 256  # response data per frame; longer native answers are chained with 91 AF

# FileOption bits 1-0 (CommMode); 10b is plain too
PLAIN, MAC, FULL = 0, 1, 3
SDM_ENABLED = 0x40

# status words of native commands (SW1 = 91)
ST_OK = b"\x91\x00"
ST_MORE = b"\x91\xaf"
ST_ILLEGAL_COMMAND = b"\x91\x1c"
ST_INTEGRITY = b"\x91\x1e"
ST_NO_SUCH_KEY = b"\x91\x40"
ST_LENGTH = b"\x91\x7e"
ST_PERMISSION = b"\x91\x9d"
ST_PARAMETER = b"\x91\x9e"
ST_AUTHENTICATION = b"\x91\xae"
ST_BOUNDARY = b"\x91\xbe"
ST_ABORTED = b"\x91\xca"
ST_FILE_NOT_FOUND = b"\x91\xf0"

# GetVersion's three parts: NXP, NTAG 424 DNA (HW type 04, subtype 02, 3.0, 416 bytes, ISO 14443-4), SW 1.2
VERSION_HW = bytes.fromhex("04040230001105")
VERSION_SW = bytes.fromhex("04040201021105")
VERSION_PRODUCTION = bytes.fromhex("CAFEBA00000126")  # batch number, fab key, week, year (BCD)

# The factory CC file (NT4H2421Gx, "capability container"): mapping 2.0, MLe 256, MLc 255, the NDEF file
# E104 (256 bytes, read and write free) and the proprietary file E105 (128 bytes, read key 2, write key 3).
FACTORY_CC = bytes.fromhex("001720010000FF0406E104010000000506E10500808283").ljust(32, b"\x00")


class _TornError(Exception):
    """The card was cut off mid-command: no answer at all."""


class _RefusedError(Exception):
    """A native command ends with this status word (and, in a session, ends the session)."""

    def __init__(self, status: bytes) -> None:
        super().__init__(status.hex())
        self.status = status


# ---------------------------------------------------------------------- files and their settings


@dataclass(frozen=True, slots=True)
class AccessRights:
    """A file's four access conditions: a key number 0-4, FREE (Eh) or NEVER (Fh)."""

    read: int
    write: int
    read_write: int
    change: int

    def encode(self) -> bytes:
        # sent least significant byte first: (ReadWrite ‖ Change), then (Read ‖ Write)
        return bytes([(self.read_write << 4) | self.change, (self.read << 4) | self.write])

    @classmethod
    def decode(cls, data: bytes) -> AccessRights:
        return cls(data[1] >> 4, data[1] & 0xF, data[0] >> 4, data[0] & 0xF)

    def valid(self) -> bool:
        return all(
            r < KEY_COUNT or r in (FREE, NEVER) for r in (self.read, self.write, self.read_write, self.change)
        )


@dataclass(frozen=True, slots=True)
class FileSettings:
    comm_mode: int  # PLAIN, MAC or FULL
    access: AccessRights
    sdm: bytes = b""  # SDMOptions ‖ SDMAccessRights ‖ offsets as ChangeFileSettings sent them (SDM enabled)

    @property
    def option(self) -> int:
        return self.comm_mode | (SDM_ENABLED if self.sdm else 0)


FACTORY_SETTINGS = {
    FILE_CC: FileSettings(PLAIN, AccessRights(read=FREE, write=0, read_write=0, change=0)),
    FILE_NDEF: FileSettings(PLAIN, AccessRights(read=FREE, write=FREE, read_write=FREE, change=0)),
    FILE_PROPRIETARY: FileSettings(FULL, AccessRights(read=2, write=3, read_write=3, change=0)),
}
FILE_SIZES = {FILE_CC: 32, FILE_NDEF: 256, FILE_PROPRIETARY: 128}
# What issuing leaves on a club card: the payload readable by anyone, rewritable with key 0 only, and
# SDMReadCtr counting each free read (SDMOptions 41; SDMCtrRet key 1; no mirror, no SUN MAC).
CLUB_NDEF_SETTINGS = FileSettings(
    PLAIN, AccessRights(read=FREE, write=0, read_write=0, change=0), sdm=bytes([0x41, 0xF1, 0xFF])
)


@dataclass(frozen=True, slots=True)
class SdmLayout:
    """The SDM part of a file's settings, decoded (offsets are None when the options leave them out)."""

    options: int
    ctr_ret: int  # SDMCtrRet: who may read the counter with GetFileCounters
    meta_read: int  # SDMMetaRead: FREE = plain UID/counter mirror, 0-4 = encrypted PICCData, NEVER = none
    file_read: int  # SDMFileRead: the key of the SUN MAC, NEVER = no MAC
    uid_offset: int | None = None
    ctr_offset: int | None = None
    picc_offset: int | None = None
    mac_input_offset: int | None = None
    enc_offset: int | None = None
    enc_length: int | None = None
    mac_offset: int | None = None
    ctr_limit: int | None = None
    length: int = 3  # bytes of the encoded settings

    @property
    def mirrors_uid(self) -> bool:
        return bool(self.options & 0x80)

    @property
    def counts_reads(self) -> bool:
        return bool(self.options & 0x40)


def parse_sdm(data: bytes) -> SdmLayout | None:
    """The SDM settings of ChangeFileSettings from SDMOptions on (NT4H2421Gx, ChangeFileSettings: which
    offsets follow which options), or None if they are cut short."""
    if len(data) < 3:
        return None
    options, meta_read, file_read = data[0], data[2] >> 4, data[2] & 0xF
    fields: dict[str, int] = {}
    names = []
    if options & 0x80 and meta_read == FREE:
        names.append("uid_offset")
    if options & 0x40 and meta_read == FREE:
        names.append("ctr_offset")
    if meta_read < KEY_COUNT:
        names.append("picc_offset")
    if file_read != NEVER:
        names.append("mac_input_offset")
        if options & 0x10:
            names += ["enc_offset", "enc_length"]
        names.append("mac_offset")
    if options & 0x20:
        names.append("ctr_limit")
    if len(data) < 3 + 3 * len(names):
        return None
    for index, name in enumerate(names):
        fields[name] = int.from_bytes(data[3 + 3 * index : 6 + 3 * index], "little")
    return SdmLayout(options, data[1] & 0xF, meta_read, file_read, **fields, length=3 + 3 * len(names))


def sdm_settings_length(data: bytes) -> int | None:
    """How many bytes the SDM settings starting with `data` must have (None: not even their head)."""
    layout = parse_sdm(data + bytes(64))
    return layout.length if layout is not None else None


def _sdm_fits(layout: SdmLayout, size: int) -> bool:
    """Every mirror inside the file, the MAC after its input (the checks ChangeFileSettings makes)."""
    spans = [
        (layout.uid_offset, 14),
        (layout.ctr_offset, 6),
        (layout.picc_offset, 32),
        (layout.mac_offset, 16),
    ]
    if layout.enc_offset is not None:
        spans.append((layout.enc_offset, layout.enc_length or 0))
    inside = all(offset is None or offset + width <= size for offset, width in spans)
    ordered = layout.mac_offset is None or (layout.mac_input_offset or 0) <= layout.mac_offset
    return inside and ordered and layout.options & 0x01 == 1  # ASCII encoding is the only one


# ---------------------------------------------------------------------- the AES of AN12196


def _aes_ecb(key: bytes, block: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def _cbc(key: bytes, iv: bytes, data: bytes, *, encrypt: bool) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    worker = cipher.encryptor() if encrypt else cipher.decryptor()
    return worker.update(data) + worker.finalize()


def cmac(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def truncated_mac(key: bytes, data: bytes) -> bytes:
    """MACt: the CMAC's bytes 1, 3, 5 … 15 (the "even-numbered" bytes counting from 1)."""
    return cmac(key, data)[1::2]


def pad(data: bytes) -> bytes:
    """ISO/IEC 9797-1 padding method 2: 80 then zeros, always at least one byte."""
    padded = data + b"\x80"
    return padded + bytes(-len(padded) % 16)


def unpad(data: bytes) -> bytes | None:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80") or len(data) - len(stripped) >= 16:
        return None
    return stripped[:-1]


def rotate_left(data: bytes) -> bytes:
    return data[1:] + data[:1]


def session_keys(key: bytes, rnd_a: bytes, rnd_b: bytes) -> tuple[bytes, bytes]:
    """(KSesAuthENC, KSesAuthMAC) from the two challenges (NT4H2421Gx §9.1.7; bytes numbered from the left
    as RndA[15] … RndA[0])."""
    mixed = rnd_a[0:2] + bytes(a ^ b for a, b in zip(rnd_a[2:8], rnd_b[0:6], strict=True)) + rnd_b[6:16]
    context = mixed + rnd_a[8:16]
    return cmac(key, b"\xa5\x5a\x00\x01\x00\x80" + context), cmac(key, b"\x5a\xa5\x00\x01\x00\x80" + context)


def key_crc(key: bytes) -> bytes:
    """ChangeKey's CRC32 over the new key: the IEEE polynomial without the final inversion, LSB first."""
    return (zlib.crc32(key) ^ 0xFFFFFFFF).to_bytes(4, "little")


@dataclass(slots=True)
class Session:
    """An authenticated session: the key that opened it, its session keys, TI and command counter."""

    key_no: int
    enc_key: bytes
    mac_key: bytes
    ti: bytes
    counter: int = 0

    def iv(self, label: bytes, counter: int) -> bytes:
        return _aes_ecb(self.enc_key, label + self.ti + counter.to_bytes(2, "little") + bytes(8))

    def command_mac(self, ins: int, body: bytes) -> bytes:
        return truncated_mac(self.mac_key, bytes([ins]) + self.counter.to_bytes(2, "little") + self.ti + body)

    def response_mac(self, body: bytes, status: int = 0x00) -> bytes:
        next_counter = (self.counter + 1).to_bytes(2, "little")
        return truncated_mac(self.mac_key, bytes([status]) + next_counter + self.ti + body)


# ---------------------------------------------------------------------- the card


@dataclass(slots=True)
class _ChipFile:
    size: int
    settings: FileSettings
    data: bytearray = field(default_factory=bytearray)


@dataclass(frozen=True, slots=True)
class Clone:
    """How a magic clone meets the AES challenge: with keys it made up, or not at all."""

    challenge: str = "wrong_key"  # "wrong_key" | "refuse"


_NO_SIGNATURE = object()


class Ntag424Card(Type4Card):
    """An NTAG 424 DNA: the NDEF application with its three files, five AES keys, NXP's secure messaging."""

    def __init__(
        self,
        uid: bytes,
        ndef: bytes = b"",
        *,
        keys: Sequence[bytes] | None = None,
        key_versions: Sequence[int] | None = None,
        settings: Mapping[int, FileSettings] | None = None,
        signature: bytes | object | None = _NO_SIGNATURE,
        clone: Clone | None = None,
        faults: Faults | None = None,
        cc: bytes = FACTORY_CC,
    ) -> None:
        if len(uid) != 7:
            raise ValueError("an NTAG 424 DNA has a 7-byte UID")
        super().__init__(uid, ndef, file_size=FILE_SIZES[FILE_NDEF], mle=0x100, mlc=0xFF, faults=faults)
        self.keys = [bytes(k) for k in (keys or [FACTORY_KEY] * KEY_COUNT)]
        self.key_versions = list(key_versions or [0] * KEY_COUNT)
        if len(self.keys) != KEY_COUNT or any(len(k) != KEY_LENGTH for k in self.keys):
            raise ValueError("five 16-byte keys")
        self.signature: bytes | None = sign_uid(self.uid) if signature is _NO_SIGNATURE else signature
        self.clone = clone
        chosen = {**FACTORY_SETTINGS, **(settings or {})}
        self.files = {number: _ChipFile(FILE_SIZES[number], chosen[number], bytearray(FILE_SIZES[number]))
                      for number in FILE_SIZES}  # fmt: skip
        self.files[FILE_CC].data[:] = cc.ljust(FILE_SIZES[FILE_CC], b"\x00")
        self.files[FILE_NDEF].data[:] = self._ndef_file
        self._ndef_file = self.files[FILE_NDEF].data  # one buffer: Type4Card.ndef reads it
        self.next_rnd_b: bytes | None = None
        self.next_ti: bytes | None = None
        self.next_picc_padding: bytes | None = None  # the random padding of the next encrypted PICCData
        self.sdm_read_counter = 0  # SDMReadCtr of the NDEF file (kept, like the keys)
        self._sdm_view: bytes | None = None  # the NDEF file as this read shows it, mirrors filled in
        self.session: Session | None = None
        self.state_changes = 0  # state-changing commands that took effect, over the card's life
        self._tear_at: int | None = None
        self._tear_committed = False
        self._tear_seen = 0
        self._pending: tuple | None = None
        self._dir_selected = False

    # ------------------------------------------------------------------ the modes

    @classmethod
    def factory(cls, uid: bytes, ndef: bytes = b"", **options: object) -> Ntag424Card:
        """A factory-fresh chip: five zero keys of version 0, NXP's default file settings."""
        return cls(uid, ndef, **options)

    @classmethod
    def club_card(
        cls,
        uid: bytes,
        ndef: bytes,
        keys: Mapping[int, bytes],
        key_versions: Mapping[int, int] | None = None,
        **options: object,
    ) -> Ntag424Card:
        """A personalised card: the given keys (others stay zero), the NDEF file writable with key 0 only."""
        all_keys = [keys.get(n, FACTORY_KEY) for n in range(KEY_COUNT)]
        versions = [(key_versions or {}).get(n, 1 if n in keys else 0) for n in range(KEY_COUNT)]
        settings = {FILE_NDEF: CLUB_NDEF_SETTINGS, **options.pop("settings", {})}
        return cls(uid, ndef, keys=all_keys, key_versions=versions, settings=settings, **options)

    @classmethod
    def magic_clone(
        cls,
        uid: bytes,
        ndef: bytes,
        *,
        challenge: str = "wrong_key",
        signature: bytes | None = None,
        **options: object,
    ) -> Ntag424Card:
        """A "magic" card with a genuine card's UID and payload but not its keys: it answers the challenge
        with keys of its own (challenge="wrong_key") or refuses it ("refuse": 91 1C, as a card without the
        command). Its Read_Sig answers `signature` (None: the command is unknown to it; pass the original's
        to model a copied one)."""
        if challenge not in ("wrong_key", "refuse"):
            raise ValueError("challenge is 'wrong_key' or 'refuse'")
        made_up = [os.urandom(KEY_LENGTH) for _ in range(KEY_COUNT)]
        return cls(uid, ndef, keys=made_up, signature=signature, clone=Clone(challenge), **options)

    # ------------------------------------------------------------------ state

    def file_data(self, number: int) -> bytes:
        return bytes(self.files[number].data)

    def file_settings(self, number: int) -> FileSettings:
        return self.files[number].settings

    def set_file_settings(self, number: int, settings: FileSettings) -> None:
        self.files[number].settings = settings

    def capability_container(self) -> bytes:
        return bytes(self.files[FILE_CC].data)

    def tear_after(self, count: int, *, committed: bool = False) -> None:
        """Cut the card off at the `count`-th state-changing command from now (1: the next one); that command
        took effect whole if `committed`, else not at all. One tear per call."""
        if count < 1:
            raise ValueError("count from 1")
        self._tear_at, self._tear_committed, self._tear_seen = count, committed, 0

    def force_session(self, key_no: int, enc_key: bytes, mac_key: bytes, ti: bytes, counter: int) -> None:
        """Test hook: be in the authenticated session AN12196 describes by its keys, TI and CmdCtr."""
        self._dir_selected = True
        self.session = Session(key_no, bytes(enc_key), bytes(mac_key), bytes(ti), counter)

    def start_session(self) -> None:
        super().start_session()
        self._sdm_view = None
        self.session = None
        self._pending = None
        self._dir_selected = False

    def respond(self, apdu: bytes) -> bytes | None:
        try:
            return super().respond(apdu)
        except _TornError:
            return None

    # ------------------------------------------------------------------ dispatch

    def _answer(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return SW_WRONG_LENGTH
        cla, ins = apdu[0], apdu[1]
        if cla == 0x90:
            return self._native(apdu)
        if cla == 0xFF:  # the reader answers this one from the anticollision: the chip never sees it
            return self._get_uid(apdu) if ins == 0xCA else b"\x6d\x00"
        if self._pending is not None:
            self._pending = None  # an ISO command interrupts a chain: it is over
            self.session = None
        if cla != 0x00:
            return SW_WRONG_CLA
        handlers = {0xA4: self._select, 0xB0: self._read_binary, 0xD6: self._update_binary}
        handler = handlers.get(ins)
        return handler(apdu) if handler else b"\x6d\x00"

    def _native(self, apdu: bytes) -> bytes:
        ins = apdu[1]
        body = _native_body(apdu)
        if body is None or apdu[2:4] != b"\x00\x00":
            self._end_session()
            return ST_LENGTH
        pending, self._pending = self._pending, None
        try:
            if ins == 0xAF:
                if pending is None:
                    raise _RefusedError(ST_ILLEGAL_COMMAND)
                return self._continue(pending, body)
            if pending is not None and not (ins == 0x71 and pending[0] == "auth"):
                raise _RefusedError(ST_ABORTED)  # the chain is over; this command is not run
            handler = self._natives().get(ins)
            if handler is None:
                raise _RefusedError(ST_ILLEGAL_COMMAND)
            return handler(body)
        except _RefusedError as refused:
            self._end_session()
            return refused.status

    def _natives(self) -> dict[int, Callable[[bytes], bytes]]:
        return {
            0x60: self._get_version, 0x71: self._authenticate_first, 0x77: self._authenticate_non_first,
            0x51: self._get_card_uid,
            0x3C: self._read_sig, 0x64: self._get_key_version, 0xC4: self._change_key,
            0xF5: self._get_file_settings, 0x5F: self._change_file_settings, 0xAD: self._read_data,
            0x8D: self._write_data, 0xF6: self._get_file_counters,
        }  # fmt: skip

    def _end_session(self) -> None:
        self.session = None
        self._pending = None

    def _continue(self, pending: tuple, body: bytes) -> bytes:
        kind = pending[0]
        if kind == "auth":
            return self._authenticate_part2(pending, body)
        if kind == "frames":
            if body:
                raise _RefusedError(ST_LENGTH)
            return self._send_frames(pending[1])
        raise _RefusedError(ST_ILLEGAL_COMMAND)

    def _send_frames(self, frames: list[bytes]) -> bytes:
        head, rest = frames[0], frames[1:]
        if rest:
            self._pending = ("frames", rest)
            return head + ST_MORE
        return head + ST_OK

    def _reply(self, data: bytes, mode: int) -> bytes:
        """The answer to a command that succeeded: data in `mode` (plain without a session), CmdCtr + 1."""
        session = self.session
        if session is not None:
            if mode == FULL and data:
                data = _cbc(session.enc_key, session.iv(b"\x5a\xa5", session.counter + 1), pad(data),
                            encrypt=True)  # fmt: skip
            if mode in (MAC, FULL):
                data += session.response_mac(data)
            session.counter += 1
        frames = [data[i : i + MAX_FRAME] for i in range(0, len(data), MAX_FRAME)] or [b""]
        return self._send_frames(frames)

    def _unwrap(self, ins: int, body: bytes, header_length: int, mode: int) -> tuple[bytes, bytes]:
        """(header, plain data) of a command sent in `mode` within the session (plain without one)."""
        session = self.session
        if session is None or mode == PLAIN:
            if len(body) < header_length:
                raise _RefusedError(ST_LENGTH)
            return body[:header_length], body[header_length:]
        if len(body) < header_length + 8:
            raise _RefusedError(ST_LENGTH)
        protected, mac = body[:-8], body[-8:]
        if not _same(mac, session.command_mac(ins, protected)):
            raise _RefusedError(ST_INTEGRITY)
        header, data = protected[:header_length], protected[header_length:]
        if mode == FULL and data:
            if len(data) % 16:
                raise _RefusedError(ST_LENGTH)
            iv = session.iv(b"\xa5\x5a", session.counter)
            plain = unpad(_cbc(session.enc_key, iv, data, encrypt=False))
            if plain is None:
                raise _RefusedError(ST_INTEGRITY)
            data = plain
        return header, data

    def _secured(self, mode: int) -> int:
        """A command's CommMode: its own within a session, plain outside one."""
        return mode if self.session is not None else PLAIN

    def _changes_state(self, apply: Callable[[], None]) -> None:
        """Run one state-changing command's effect atomically, or tear the card off here."""
        if self._tear_at is not None:
            self._tear_seen += 1
            if self._tear_seen == self._tear_at:
                self._tear_at = None
                if self._tear_committed:
                    apply()
                    self.state_changes += 1
                self._end_session()
                raise _TornError
        apply()
        self.state_changes += 1

    # ------------------------------------------------------------------ ISO commands

    def _select(self, apdu: bytes) -> bytes:  # noqa: PLR0911  (one answer per case of ISOSelectFile)
        p1, p2 = apdu[2], apdu[3]
        self._sdm_view = None  # the next read of the NDEF file is a new one for its read counter
        if len(apdu) < 6 or len(apdu) < 5 + apdu[4]:
            return SW_WRONG_LENGTH
        target = apdu[5 : 5 + apdu[4]]
        if p1 == 0x04:
            if target != DF_NAME or self.faults.not_ndef:
                return SW_NOT_FOUND
            return self._select_application()
        if p1 == 0x00 and p2 in (0x00, 0x0C) and len(target) == 2:
            file_id = int.from_bytes(target, "big")
            if file_id in (DF_FILE_ID, PICC_FILE_ID):
                return self._select_application() if file_id == DF_FILE_ID else self._select_picc()
            if not self._dir_selected or file_id not in ISO_FILE_IDS:
                return SW_NOT_FOUND
            self._selected = ISO_FILE_IDS[file_id]
            return SW_OK
        return SW_WRONG_P1P2

    def _select_application(self) -> bytes:
        self._dir_selected, self._app_selected, self._selected = True, True, None
        self.session = None  # selecting the application ends an authentication
        return SW_OK

    def _select_picc(self) -> bytes:
        self._dir_selected, self._app_selected, self._selected = False, False, None
        self.session = None
        return SW_OK

    def _iso_allowed(self, number: int, rights: tuple[int, ...]) -> bool:
        chip_file = self.files[number]
        if FREE in rights:
            return True
        session = self.session
        return session is not None and session.key_no in rights and chip_file.settings.comm_mode == PLAIN

    def _read_binary(self, apdu: bytes) -> bytes:
        if self._selected not in self.files:
            return b"\x69\x86"
        if len(apdu) != 5 or apdu[2] & 0x80:
            return SW_WRONG_LENGTH if len(apdu) != 5 else SW_WRONG_P1P2
        chip_file = self.files[self._selected]
        access = chip_file.settings.access
        if not self._iso_allowed(self._selected, (access.read, access.read_write)):
            return SW_SECURITY
        offset, wanted = int.from_bytes(apdu[2:4], "big"), apdu[4] or 256
        if offset > chip_file.size:
            return SW_WRONG_P1P2
        content = self._content(chip_file, FREE in (access.read, access.read_write))
        data = content[offset : offset + wanted]
        return data + (SW_OK if len(data) == wanted else b"\x62\x82")

    def _update_binary(self, apdu: bytes) -> bytes:
        if self._selected not in self.files:
            return b"\x69\x86"
        if len(apdu) < 6 or len(apdu) != 5 + apdu[4] or apdu[2] & 0x80:
            return SW_WRONG_LENGTH
        chip_file = self.files[self._selected]
        access = chip_file.settings.access
        if not self._iso_allowed(self._selected, (access.write, access.read_write)):
            return SW_SECURITY
        offset, data = int.from_bytes(apdu[2:4], "big"), apdu[5:]
        if offset + len(data) > chip_file.size:
            return SW_WRONG_P1P2

        def write() -> None:
            chip_file.data[offset : offset + len(data)] = data

        self._changes_state(write)
        return SW_OK

    # ------------------------------------------------------------------ authentication

    def _authenticate_first(self, body: bytes) -> bytes:
        self.session = None  # a new authentication ends the old one, whatever comes of it
        if self.clone is not None and self.clone.challenge == "refuse":
            raise _RefusedError(ST_ILLEGAL_COMMAND)
        if len(body) < 2 or len(body) != 2 + body[1] or body[1] > 6:
            raise _RefusedError(ST_LENGTH)
        key_no, pcd_caps = body[0], body[2:].ljust(6, b"\x00")
        if key_no >= KEY_COUNT:
            raise _RefusedError(ST_NO_SUCH_KEY)
        return self._challenge(key_no, pcd_caps, None)

    def _authenticate_non_first(self, body: bytes) -> bytes:
        """AuthenticateEV2NonFirst: new session keys within a session, whose TI and CmdCtr go on."""
        previous, self.session = self.session, None
        if previous is None:
            raise _RefusedError(ST_AUTHENTICATION)
        if self.clone is not None and self.clone.challenge == "refuse":
            raise _RefusedError(ST_ILLEGAL_COMMAND)
        if len(body) != 1:
            raise _RefusedError(ST_LENGTH)
        if body[0] >= KEY_COUNT:
            raise _RefusedError(ST_NO_SUCH_KEY)
        return self._challenge(body[0], None, previous)

    def _challenge(self, key_no: int, pcd_caps: bytes | None, previous: Session | None) -> bytes:
        rnd_b, self.next_rnd_b = self.next_rnd_b or os.urandom(16), None
        self._pending = ("auth", key_no, rnd_b, pcd_caps, previous)
        return _cbc(self.keys[key_no], bytes(16), rnd_b, encrypt=True) + ST_MORE

    def _authenticate_part2(self, pending: tuple, body: bytes) -> bytes:
        _, key_no, rnd_b, pcd_caps, previous = pending
        if len(body) != 32:
            raise _RefusedError(ST_LENGTH)
        key = self.keys[key_no]
        plain = _cbc(key, bytes(16), body, encrypt=False)
        rnd_a, rnd_b_rotated = plain[:16], plain[16:]
        if not _same(rnd_b_rotated, rotate_left(rnd_b)):
            raise _RefusedError(ST_AUTHENTICATION)
        enc_key, mac_key = session_keys(key, rnd_a, rnd_b)
        if previous is not None:  # NonFirst: the same transaction goes on
            self.session = Session(key_no, enc_key, mac_key, previous.ti, previous.counter)
            return _cbc(key, bytes(16), rotate_left(rnd_a), encrypt=True) + ST_OK
        ti, self.next_ti = self.next_ti or os.urandom(4), None
        self.session = Session(key_no, enc_key, mac_key, ti, 0)
        answer = ti + rotate_left(rnd_a) + bytes(6) + pcd_caps
        return _cbc(key, bytes(16), answer, encrypt=True) + ST_OK

    # ------------------------------------------------------------------ reading the chip

    def _get_version(self, body: bytes) -> bytes:
        _, rest = self._unwrap(0x60, body, 0, self._secured(MAC))
        if rest:
            raise _RefusedError(ST_LENGTH)
        data = VERSION_HW + VERSION_SW + self.uid + VERSION_PRODUCTION
        session = self.session
        if session is not None:
            data += session.response_mac(data)
            session.counter += 1
        return self._send_frames([data[0:7], data[7:14], data[14:]])

    def _get_card_uid(self, body: bytes) -> bytes:
        if self.session is None:
            raise _RefusedError(ST_AUTHENTICATION)
        _, rest = self._unwrap(0x51, body, 0, FULL)
        if rest:
            raise _RefusedError(ST_LENGTH)
        return self._reply(self.uid, FULL)

    def _read_sig(self, body: bytes) -> bytes:
        if self.signature is None:
            raise _RefusedError(ST_ILLEGAL_COMMAND)
        header, rest = self._unwrap(0x3C, body, 1, self._secured(FULL))
        if rest or len(header) != 1:
            raise _RefusedError(ST_LENGTH)
        if header[0] != 0x00:
            raise _RefusedError(ST_PARAMETER)
        return self._reply(self.signature, FULL)

    def _get_key_version(self, body: bytes) -> bytes:
        header, rest = self._unwrap(0x64, body, 1, self._secured(MAC))
        if rest or len(header) != 1:
            raise _RefusedError(ST_LENGTH)
        if header[0] >= KEY_COUNT:
            raise _RefusedError(ST_NO_SUCH_KEY)
        return self._reply(bytes([self.key_versions[header[0]]]), MAC)

    def _get_file_settings(self, body: bytes) -> bytes:
        header, rest = self._unwrap(0xF5, body, 1, self._secured(MAC))
        if rest or len(header) != 1:
            raise _RefusedError(ST_LENGTH)
        chip_file = self._file(header[0])
        settings = chip_file.settings
        size = chip_file.size.to_bytes(3, "little")
        answer = bytes([0x00, settings.option]) + settings.access.encode() + size + settings.sdm
        return self._reply(answer, MAC)

    def _file(self, number: int) -> _ChipFile:
        if number not in self.files:
            raise _RefusedError(ST_FILE_NOT_FOUND)
        return self.files[number]

    def _data_mode(self, chip_file: _ChipFile, rights: tuple[int, ...]) -> int:
        """The CommMode a data command runs in, or why it may not run."""
        session = self.session
        if session is not None and session.key_no in rights:
            return (
                FULL
                if chip_file.settings.comm_mode == FULL
                else (MAC if chip_file.settings.comm_mode == MAC else PLAIN)
            )
        if FREE in rights:
            return PLAIN
        if all(right == NEVER for right in rights):
            raise _RefusedError(ST_PERMISSION)
        raise _RefusedError(ST_AUTHENTICATION)

    def _read_data(self, body: bytes) -> bytes:
        if not body:
            raise _RefusedError(ST_LENGTH)
        chip_file = self._file(body[0])
        access = chip_file.settings.access
        mode = self._data_mode(chip_file, (access.read, access.read_write))
        header, rest = self._unwrap(0xAD, body, 7, mode)
        if rest or len(header) != 7:
            raise _RefusedError(ST_LENGTH)
        offset, length = int.from_bytes(header[1:4], "little"), int.from_bytes(header[4:7], "little")
        if offset >= chip_file.size or offset + length > chip_file.size:
            raise _RefusedError(ST_BOUNDARY)
        end = offset + length if length else chip_file.size
        content = self._content(chip_file, self._granted_freely((access.read, access.read_write)))
        self._sdm_view = None  # each ReadData is a read of its own
        return self._reply(content[offset:end], mode)

    def _granted_freely(self, rights: tuple[int, ...]) -> bool:
        session = self.session
        return FREE in rights and (session is None or session.key_no not in rights)

    # ------------------------------------------------------------------ Secure Dynamic Messaging (SUN)

    def _content(self, chip_file: _ChipFile, freely: bool) -> bytes:
        """What a read sees: with SDM on and free (unauthenticated) access, the file with its mirrors
        filled in, the read counter moved on once per read (an ISO read: once per selection)."""
        layout = parse_sdm(chip_file.settings.sdm) if chip_file.settings.sdm else None
        if layout is None or not freely:
            return bytes(chip_file.data)
        if self._sdm_view is None:
            if layout.counts_reads and self.sdm_read_counter < 0xFFFFFF:
                self.sdm_read_counter += 1
            self._sdm_view = self._mirrored(chip_file, layout)
        return self._sdm_view

    def _mirrored(self, chip_file: _ChipFile, layout: SdmLayout) -> bytes:
        view = bytearray(chip_file.data)
        uid = self.uid if layout.mirrors_uid else b""
        counter = self.sdm_read_counter.to_bytes(3, "little") if layout.counts_reads else b""

        def put(offset: int | None, value: bytes) -> None:
            if offset is not None:
                text = value.hex().upper().encode()
                view[offset : offset + len(text)] = text

        put(layout.uid_offset, self.uid)
        put(layout.ctr_offset, counter[::-1])  # the mirror shows the counter most significant byte first
        if layout.picc_offset is not None:
            tag = bytes([(0x80 if uid else 0) | (0x40 if counter else 0) | len(uid)])
            head = tag + uid + counter
            padding, self.next_picc_padding = self.next_picc_padding or os.urandom(16 - len(head)), None
            put(
                layout.picc_offset, _cbc(self.keys[layout.meta_read], bytes(16), head + padding, encrypt=True)
            )
        if layout.mac_offset is not None:
            vector = b"\x3c\xc3\x00\x01\x00\x80" + uid + counter
            session_key = cmac(self.keys[layout.file_read], vector + bytes(-len(vector) % 16))
            start = layout.mac_input_offset or 0
            put(layout.mac_offset, truncated_mac(session_key, bytes(view[start : layout.mac_offset])))
        return bytes(view)

    def _get_file_counters(self, body: bytes) -> bytes:
        if not body:
            raise _RefusedError(ST_LENGTH)
        chip_file = self._file(body[0])
        layout = parse_sdm(chip_file.settings.sdm) if chip_file.settings.sdm else None
        if layout is None or not layout.counts_reads:
            raise _RefusedError(ST_PERMISSION)
        mode = self._single_right_mode(layout.ctr_ret)
        header, rest = self._unwrap(0xF6, body, 1, mode)
        if rest or len(header) != 1:
            raise _RefusedError(ST_LENGTH)
        return self._reply(self.sdm_read_counter.to_bytes(3, "little") + b"\x00\x00", mode)

    # ------------------------------------------------------------------ changing the chip

    def _write_data(self, body: bytes) -> bytes:
        if not body:
            raise _RefusedError(ST_LENGTH)
        chip_file = self._file(body[0])
        access = chip_file.settings.access
        mode = self._data_mode(chip_file, (access.write, access.read_write))
        header, data = self._unwrap(0x8D, body, 7, mode)
        if len(header) != 7:
            raise _RefusedError(ST_LENGTH)
        offset, length = int.from_bytes(header[1:4], "little"), int.from_bytes(header[4:7], "little")
        if length != len(data) or not data:
            raise _RefusedError(ST_LENGTH)
        if offset + length > chip_file.size:
            raise _RefusedError(ST_BOUNDARY)

        def write() -> None:
            chip_file.data[offset : offset + length] = data

        self._changes_state(write)
        return self._reply(b"", mode)

    def _change_file_settings(self, body: bytes) -> bytes:
        if not body:
            raise _RefusedError(ST_LENGTH)
        number = body[0]
        chip_file = self._file(number)
        mode = self._single_right_mode(chip_file.settings.access.change)
        _, data = self._unwrap(0x5F, body, 1, mode)
        settings = _parse_file_settings(number, data)

        def change_settings() -> None:
            chip_file.settings = settings

        self._changes_state(change_settings)
        return self._reply(b"", mode)

    def _single_right_mode(self, right: int) -> int:
        """ChangeFileSettings and GetFileCounters are Full when the session's key holds their one access
        right, plain when it is free (Eh); refused otherwise."""
        session = self.session
        if session is not None and session.key_no == right:
            return FULL
        if right == FREE:
            return PLAIN
        raise _RefusedError(ST_PERMISSION if right == NEVER else ST_AUTHENTICATION)

    def _change_key(self, body: bytes) -> bytes:
        session = self.session
        if session is None or session.key_no != 0:
            raise _RefusedError(ST_AUTHENTICATION)  # ChangeKey needs the application master key (key 0)
        header, plain = self._unwrap(0xC4, body, 1, FULL)
        if len(header) != 1:
            raise _RefusedError(ST_LENGTH)
        key_no = header[0]
        if key_no >= KEY_COUNT:
            raise _RefusedError(ST_NO_SUCH_KEY)
        if key_no == session.key_no:
            if len(plain) != KEY_LENGTH + 1:
                raise _RefusedError(ST_LENGTH)
            new_key = plain[:KEY_LENGTH]
        else:
            if len(plain) != KEY_LENGTH + 5:
                raise _RefusedError(ST_LENGTH)
            new_key = bytes(a ^ b for a, b in zip(plain[:KEY_LENGTH], self.keys[key_no], strict=True))
            if not _same(plain[KEY_LENGTH + 1 :], key_crc(new_key)):
                raise _RefusedError(ST_INTEGRITY)
        version = plain[KEY_LENGTH]

        def change() -> None:
            self.keys[key_no], self.key_versions[key_no] = new_key, version

        self._changes_state(change)
        if key_no == session.key_no:
            self.session = None  # the session's own key changed: the session is over, the answer plain
            return ST_OK
        return self._reply(b"", MAC)


def _parse_file_settings(number: int, data: bytes) -> FileSettings:
    if len(data) < 3:
        raise _RefusedError(ST_LENGTH)
    option, access = data[0], AccessRights.decode(data[1:3])
    if option & ~(SDM_ENABLED | 0x03) or not access.valid():
        raise _RefusedError(ST_PARAMETER)
    sdm = data[3:]
    if option & SDM_ENABLED:
        if number != FILE_NDEF:
            raise _RefusedError(ST_PARAMETER)  # SDM is for the NDEF file only
        layout = parse_sdm(sdm)
        if layout is None or layout.length != len(sdm):
            raise _RefusedError(ST_LENGTH)
        if not _sdm_fits(layout, FILE_SIZES[number]):
            raise _RefusedError(ST_PARAMETER)
    elif sdm:
        raise _RefusedError(ST_LENGTH)
    comm_mode = option & 0x03
    return FileSettings(PLAIN if comm_mode == 2 else comm_mode, access, bytes(sdm))


def _native_body(apdu: bytes) -> bytes | None:
    """The data field of a wrapped native command (90 INS 00 00 [Lc data] 00), or None if malformed."""
    if len(apdu) == 5:
        return b""  # no data, Le only
    if len(apdu) < 7 or len(apdu) != 6 + apdu[4] or apdu[-1] != 0x00:
        return None
    return apdu[5:-1]


def _same(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


# ---------------------------------------------------------------------- the command line


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m {EMULATOR_MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--uid", required=True, help="the card's 7-byte UID in hex")
    message = parser.add_mutually_exclusive_group()
    message.add_argument("--ndef-file", type=Path, help="file holding the NDEF message (raw bytes)")
    message.add_argument("--ndef-hex", help="the NDEF message in hex")
    parser.add_argument("--port", type=int, default=VPCD_PORT)
    parser.add_argument(
        "--key", action="append", default=[], metavar="N:HEX",
        help="key number N (0-4) is HEX; others stay zero (any --key makes a club card)",
    )  # fmt: skip
    parser.add_argument("--key-version", action="append", default=[], metavar="N:V")
    parser.add_argument("--clone", choices=("wrong_key", "refuse"), help="a magic clone without the keys")
    parser.add_argument(
        "--signature",
        help="'test' (the test manufacturer's; the default), 'none' (no Read_Sig; a clone's default) or HEX",
    )  # fmt: skip
    parser.add_argument("--tear-after", type=int, help="cut the card off at this state-changing command")
    parser.add_argument("--tear-committed", action="store_true", help="the torn command took effect whole")
    parser.add_argument("--control", action="store_true", help="read insert / remove / quit from stdin")
    parser.add_argument("--keep-stale", action="store_true", help="do not kill other emulators on the port")
    return parser.parse_args(argv)


def _numbered(pairs: list[str], convert: Callable[[str], object]) -> dict[int, object]:
    return {int(number): convert(value) for number, _, value in (p.partition(":") for p in pairs)}


def card_from_arguments(args: argparse.Namespace) -> Ntag424Card:
    card = _card_of(args)
    if args.tear_after:
        card.tear_after(args.tear_after, committed=args.tear_committed)
    return card


def _card_of(args: argparse.Namespace) -> Ntag424Card:
    uid = bytes.fromhex(args.uid)
    ndef = args.ndef_file.read_bytes() if args.ndef_file else bytes.fromhex(args.ndef_hex or "")
    choice = (args.signature or ("none" if args.clone else "test")).lower()  # a clone: none of its own
    named = {"test": sign_uid(uid), "none": None}
    signature = named[choice] if choice in named else bytes.fromhex(choice)
    if args.clone:
        return Ntag424Card.magic_clone(uid, ndef, challenge=args.clone, signature=signature)
    keys = _numbered(args.key, bytes.fromhex)
    versions = _numbered(args.key_version, int)
    if keys:
        return Ntag424Card.club_card(uid, ndef, keys, versions or None, signature=signature)
    return Ntag424Card.factory(uid, ndef, signature=signature)


def main(argv: list[str] | None = None) -> int:
    from tests.support.type4_emulator import _run_controlled, _say

    args = parse_arguments(argv)
    if not args.keep_stale:
        kill_stale_emulators(args.port)
    emulator = CardEmulator(card_from_arguments(args), port=args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if args.control:
            _say("ready")
            _run_controlled(emulator)
        else:
            _say(f"inserted {emulator.insert()}")
            while not stop.is_set() and not emulator.closed.is_set():
                stop.wait(0.1)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.remove()
    return 0


class Ntag424EmulatorProcess(EmulatorProcess):
    """The NTAG 424 DNA emulator as a child process in --control mode (extra_args: --key 1:HEX, --clone …)."""

    module = EMULATOR_MODULE


if __name__ == "__main__":
    sys.exit(main())
