# SPDX-License-Identifier: GPL-3.0-or-later
"""A small card-side model of NTAG 424 DNA for the reader's unit tests: a `transmit` function that answers
as the chip does (NT4H2421Gx), for the commands the reader uses.

It is not the project's emulator (tests/support/ntag424_emulator.py, written apart from the same datasheet so
that the two cross-check): it exists so that these unit tests can play genuine cards, clones and torn
writes without pcscd. Its secure messaging is built from the primitives that tests/unit/cards/ntag424/
test_crypto.py pins to AN12196's worked examples; its command logic is the card's side, written here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from app.cards.base import ReadError
from app.cards.ntag424.crypto import (
    SessionKeys,
    cbc_decrypt,
    cbc_encrypt,
    command_iv,
    crc32_nk,
    mac_t,
    pad,
    response_iv,
    rotate_left,
    session_keys,
    unpad,
)
from app.cards.type4 import NDEF_AID, TransmitError

OK, ISO_OK = b"\x91\x00", b"\x90\x00"
MORE, AUTH_ERROR, PERMISSION, INTEGRITY = b"\x91\xaf", b"\x91\xae", b"\x91\x9d", b"\x91\x1e"
NO_KEY, LENGTH, ILLEGAL = b"\x91\x40", b"\x91\x7e", b"\x91\x1c"
NOT_FOUND = b"\x6a\x82"
FREE = 0xE
SDM_ENABLED = 0x40  # FileOption bit 6
VERSION = (bytes.fromhex("04040230001105"), bytes.fromhex("04040201011105"))  # NTAG 424 DNA, 416 bytes


def factory_cc() -> bytes:
    """The CC file as NXP ships it: NDEF file E104 of 256 bytes, read and write free."""
    return bytes.fromhex("001720010000FF0406E10401000000 0506E10500808283").ljust(32, b"\x00")


@dataclass
class _Session:
    keys: SessionKeys
    ti: bytes
    key_no: int
    counter: int = 0


@dataclass
class Chip:
    """One NTAG 424 DNA. `reported_uid` is what the reader's anticollision sees (FF CA): the real UID for a
    genuine chip, another for a random-ID chip or one posing as another card."""

    uid: bytes
    keys: list[bytes] = field(default_factory=lambda: [bytes(16)] * 5)
    signature: bytes = bytes(56)
    reported_uid: bytes | None = None
    knows_native_commands: bool = True  # False: a "magic" Type 4 card that only speaks ISO 7816-4
    vanish_at: int | None = None  # the card leaves at this APDU (1-based, counted over the chip's life)
    tear_after_processing: bool = False  # … having done what it asked (the answer is lost), or before
    ndef_file: bytearray = field(default_factory=lambda: bytearray(256))
    file2_option: int = 0x00
    file2_access: bytes = bytes([0xE0, 0xEE])  # RW|Car, R|W: the factory's "free but Car = key 0"
    file2_sdm: bytes = b""  # SDMOptions ‖ SDMAccessRights when SDM is on (no mirrors: the counter only)
    sdm_read_counter: int = 0
    key_versions: list[int] = field(default_factory=lambda: [0] * 5)
    apdus: list[bytes] = field(default_factory=list)
    _session: _Session | None = None
    _auth: tuple[int, bytes] | None = None
    _version_part: int = 0
    _selected: int | None = None
    _read_counted: bool = False  # one free read of the NDEF file (however many READ BINARY) counts once

    def __call__(self, apdu: bytes) -> bytes:
        self.apdus.append(bytes(apdu))
        if self.vanish_at is not None and len(self.apdus) >= self.vanish_at:
            if self.tear_after_processing and len(self.apdus) == self.vanish_at:
                self._respond(bytes(apdu))
            self._session, self._auth, self._version_part = None, None, 0  # out of the field: power lost
            raise TransmitError(ReadError.REMOVED_MID_READ, "the card left")
        return self._respond(bytes(apdu))

    def _respond(self, apdu: bytes) -> bytes:
        if apdu[:2] == b"\xff\xca":
            return (self.reported_uid or self.uid) + ISO_OK
        if apdu[0] == 0x00:
            return self._iso(apdu)
        if apdu[0] != 0x90 or not self.knows_native_commands:
            return b"\x6e\x00"
        body = apdu[5:-1] if len(apdu) > 5 else b""
        handler = getattr(self, f"_ins_{apdu[1]:02x}", None)
        if handler is None:
            self._session = None
            return ILLEGAL
        return handler(body)

    # ------------------------------------------------------------------ secure messaging, card side

    def _check_mac(self, ins: int, body: bytes) -> bytes | None:
        """The command's body without its MACt, or None (and the session dropped) when the MAC is wrong."""
        session = self._session
        if session is None or len(body) < 8:
            self._session = None
            return None
        expected = mac_t(session.keys.mac, bytes([ins]) + session.counter.to_bytes(2, "little") + session.ti
                         + body[:-8])  # fmt: skip
        if expected != body[-8:]:
            self._session = None
            return None
        return body[:-8]

    def _decrypt_command(self, encrypted: bytes) -> bytes:
        session = self._session
        assert session is not None
        iv = command_iv(session.keys.enc, session.ti, session.counter)
        return unpad(cbc_decrypt(session.keys.enc, iv, encrypted))

    def _answer(self, plain: bytes = b"", *, encrypt: bool, rc: int = 0x00) -> bytes:
        session = self._session
        assert session is not None
        session.counter += 1
        data = plain
        if encrypt and plain:
            iv = response_iv(session.keys.enc, session.ti, session.counter)
            data = cbc_encrypt(session.keys.enc, iv, pad(plain))
        mac = mac_t(session.keys.mac, bytes([rc]) + session.counter.to_bytes(2, "little") + session.ti + data)
        return data + mac + bytes([0x91, rc])

    # ------------------------------------------------------------------ native commands

    def _ins_60(self, body: bytes) -> bytes:  # GetVersion
        self._session, self._version_part = None, 1
        return VERSION[0] + MORE

    def _ins_71(self, body: bytes) -> bytes:  # AuthenticateEV2First part 1
        self._session = None
        if len(body) != 2:
            return LENGTH
        if body[0] > 4:
            return NO_KEY
        rnd_b = os.urandom(16)
        self._auth = (body[0], rnd_b)
        return cbc_encrypt(self.keys[body[0]], bytes(16), rnd_b) + MORE

    def _ins_af(self, body: bytes) -> bytes:  # AuthenticateEV2First part 2, or GetVersion's next parts
        if self._version_part:
            self._version_part += 1
            if self._version_part == 2:
                return VERSION[1] + MORE
            self._version_part = 0
            return self.uid + bytes.fromhex("CF39A1E8305119") + OK
        if self._auth is None or len(body) != 32:
            self._auth = None
            return AUTH_ERROR
        key_no, rnd_b = self._auth
        self._auth = None
        key = self.keys[key_no]
        plain = cbc_decrypt(key, bytes(16), body)
        rnd_a = plain[:16]
        if plain[16:] != rotate_left(rnd_b):
            return AUTH_ERROR
        ti = os.urandom(4)
        self._session = _Session(session_keys(key, rnd_a, rnd_b), ti, key_no)
        return cbc_encrypt(key, bytes(16), ti + rotate_left(rnd_a) + bytes(12)) + OK

    def _ins_3c(self, body: bytes) -> bytes:  # Read_Sig
        if self._session is None:
            return self.signature + b"\x91\x90" if body == b"\x00" else LENGTH
        if self._check_mac(0x3C, body) != b"\x00":
            return INTEGRITY
        return self._answer(self.signature, encrypt=True, rc=0x90)

    def _ins_51(self, body: bytes) -> bytes:  # GetCardUID
        if self._check_mac(0x51, body) != b"":
            return PERMISSION
        return self._answer(self.uid, encrypt=True)

    @property
    def _counts_reads(self) -> bool:
        return bool(self.file2_option & SDM_ENABLED and self.file2_sdm[0] & 0x40)  # SDMOptions: SDMReadCtr

    def _ins_f6(self, body: bytes) -> bytes:  # GetFileCounters (only SDMReadCtr without mirrors is modelled)
        plain_body = self._check_mac(0xF6, body)
        session = self._session
        allowed = session is not None and self._counts_reads and session.key_no == self.file2_sdm[1] & 0xF
        if plain_body != b"\x02" or not allowed:
            self._session = None
            return PERMISSION
        return self._answer(self.sdm_read_counter.to_bytes(3, "little") + bytes(2), encrypt=True)

    def _ins_c4(self, body: bytes) -> bytes:  # ChangeKey
        plain_body = self._check_mac(0xC4, body)
        session = self._session
        if plain_body is None or session is None or session.key_no != 0 or len(plain_body) != 33:
            self._session = None
            return PERMISSION
        key_no, data = plain_body[0], self._decrypt_command(plain_body[1:])
        if key_no == session.key_no:
            self.keys[key_no], self.key_versions[key_no] = data[:16], data[16]
            self._session = None
            return OK
        new = bytes(a ^ b for a, b in zip(data[:16], self.keys[key_no], strict=True))
        if crc32_nk(new) != data[17:21]:
            self._session = None
            return INTEGRITY
        self.keys[key_no], self.key_versions[key_no] = new, data[16]
        return self._answer(encrypt=False)

    def _ins_5f(self, body: bytes) -> bytes:  # ChangeFileSettings of file 2
        plain_body = self._check_mac(0x5F, body)
        session = self._session
        if plain_body is None or session is None or plain_body[0] != 2:
            return PERMISSION
        if session.key_no != self.file2_access[0] & 0x0F:
            self._session = None
            return PERMISSION
        settings = self._decrypt_command(plain_body[1:])
        self.file2_option, self.file2_access = settings[0], settings[1:3]
        self.file2_sdm = settings[3:6] if settings[0] & SDM_ENABLED else b""
        return self._answer(encrypt=False)

    def _ins_8d(self, body: bytes) -> bytes:  # WriteData to file 2, CommMode Plain
        if len(body) < 7 or body[0] != 2:
            self._session = None
            return PERMISSION
        offset, length = int.from_bytes(body[1:4], "little"), int.from_bytes(body[4:7], "little")
        data = body[7:]
        write_key = self.file2_access[1] & 0x0F
        allowed = write_key == FREE or (self._session is not None and self._session.key_no == write_key)
        if not allowed or len(data) != length or offset + length > len(self.ndef_file):
            self._session = None
            return PERMISSION
        self.ndef_file[offset : offset + length] = data
        if self._session is not None:
            self._session.counter += 1  # a Plain command inside a session still counts
        return OK

    # ------------------------------------------------------------------ ISO 7816-4 (the NDEF read)

    def _iso(self, apdu: bytes) -> bytes:
        if apdu[1] == 0xA4 and apdu[2] == 0x04:
            self._session, self._selected = None, None
            return ISO_OK if apdu[5 : 5 + apdu[4]] == NDEF_AID else NOT_FOUND
        if apdu[1] == 0xA4 and apdu[2] == 0x00:
            self._selected, self._read_counted = int.from_bytes(apdu[5:7], "big"), False
            return ISO_OK if self._selected in (0xE103, 0xE104) else NOT_FOUND
        if apdu[1] == 0xB0:
            content = factory_cc() if self._selected == 0xE103 else bytes(self.ndef_file)
            if self._selected == 0xE104 and self.file2_access[1] >> 4 != FREE:
                return b"\x69\x82"
            if self._selected == 0xE104 and self._counts_reads and not self._read_counted:
                self.sdm_read_counter, self._read_counted = self.sdm_read_counter + 1, True
            offset, wanted = int.from_bytes(apdu[2:4], "big"), apdu[4] or 256
            return content[offset : offset + wanted] + ISO_OK
        return b"\x6d\x00"


class Script:
    """A transmit that expects exactly these command APDUs, in order, and answers with these recorded
    answers (as nfcpy's reader tests do): a replay of a transcript, not a model of the card."""

    def __init__(self, *exchanges: tuple[bytes, bytes]) -> None:
        self.exchanges = list(exchanges)
        self.sent: list[bytes] = []

    def __call__(self, apdu: bytes) -> bytes:
        index = len(self.sent)
        self.sent.append(bytes(apdu))
        assert index < len(self.exchanges), f"unexpected extra APDU {apdu.hex().upper()}"
        expected, answer = self.exchanges[index]
        assert apdu.hex().upper() == expected.hex().upper(), f"APDU {index + 1}"
        return answer

    def done(self) -> bool:
        return len(self.sent) == len(self.exchanges)
