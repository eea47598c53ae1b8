# SPDX-License-Identifier: GPL-3.0-or-later
"""The AES primitives of NTAG 424 DNA's secure messaging (NT4H2421Gx §9.1; NXP AN12196 §4-5).

    session keys   SesAuthENCKey = CMAC(K, SV1), SesAuthMACKey = CMAC(K, SV2), with
                   SV1 = A5 5A 00 01 00 80 ‖ RndA[15..14] ‖ (RndA[13..8] ⊕ RndB[15..10])
                         ‖ RndB[9..0] ‖ RndA[7..0]
                   SV2 = the same behind 5A A5 (byte strings: "RndA[15]" is RndA's first byte)
    IV             IVc = E(SesAuthENCKey, A5 5A ‖ TI ‖ CmdCtr ‖ 00×8), IVr the same behind 5A A5;
                   CmdCtr is 2 bytes little-endian, and a response is computed with the counter already
                   counted up for it
    MACt           the odd-numbered bytes (1, 3, … 15) of CMAC(SesAuthMACKey, …): 8 bytes; over
                   INS ‖ CmdCtr ‖ TI ‖ header ‖ data for a command, RC ‖ CmdCtr+1 ‖ TI ‖ data for a response
    padding        ISO/IEC 9797-1 method 2: 80 then zeros, always at least one byte (a whole block when
                   the data fills its blocks)

`SecureChannel` builds the commands of a session (CommMode Plain, MAC, Full) and checks its answers; every
bad answer becomes a `ChipError`, never another exception. Key diversification (NXP AN10922) is
`app.cards.ntag424.keys.diversify`, not repeated here.
"""

from __future__ import annotations

import hmac
import zlib
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

BLOCK = 16
MAC_LENGTH = 8
TI_LENGTH = 4
MAX_COUNTER = 0xFFFF  # CmdCtr is 2 bytes; the card refuses to go on past it (never reached in one tap)
CLA = 0x90


class ChipFailure(StrEnum):
    """Why a card's answer was refused (ChipError.reason)."""

    BAD_STATUS = "bad_status"  # an unexpected status word
    BAD_LENGTH = "bad_length"  # an answer of the wrong length, or truncated
    BAD_MAC = "bad_mac"  # the answer's MACt is not the session's
    BAD_PADDING = "bad_padding"  # decrypted data without ISO/IEC 9797-1 M2 padding
    AUTH_FAILED = "auth_failed"  # the card does not know the key (91 AE, or a wrong RndA')
    NOT_NTAG424 = "not_ntag424"  # GetVersion names another chip
    NO_SESSION = "no_session"  # a command that needs authentication, without one (or after it was lost)


class ChipError(Exception):
    """A card answer that is not what NTAG 424 DNA answers. Never carries a key: detail is for logs."""

    def __init__(self, reason: ChipFailure, detail: str, sw: int | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail, self.sw = reason, detail, sw


class CommMode(IntEnum):
    """A file's or command's communication mode, with the datasheet's encoding (FileOption bits 1-0)."""

    PLAIN = 0x00
    MAC = 0x01
    FULL = 0x03


# ---------------------------------------------------------------------- primitives


def cmac(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def truncate_mac(full: bytes) -> bytes:
    """MACt: bytes 1, 3, … 15 of a 16-byte CMAC (AN12196 calls them the even bytes, counting from 1)."""
    return full[1::2]


def mac_t(key: bytes, data: bytes) -> bytes:
    return truncate_mac(cmac(key, data))


def encrypt_block(key: bytes, block: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def cbc_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """Whole blocks only: a caller checks the length first (BAD_LENGTH), so this never sees another."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def pad(data: bytes) -> bytes:
    """ISO/IEC 9797-1 padding method 2."""
    padded = data + b"\x80"
    return padded + bytes(-len(padded) % BLOCK)


def unpad(data: bytes) -> bytes:
    """The data before ISO/IEC 9797-1 M2 padding; ChipError(BAD_PADDING) for anything else."""
    if not data or len(data) % BLOCK:
        raise ChipError(ChipFailure.BAD_PADDING, f"{len(data)} bytes are not whole blocks")
    stripped = data.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80 or len(data) - len(stripped) >= BLOCK:
        raise ChipError(ChipFailure.BAD_PADDING, "no 80 00… padding at the end")
    return stripped[:-1]


def rotate_left(data: bytes) -> bytes:
    return data[1:] + data[:1]


def crc32_nk(data: bytes) -> bytes:
    """ChangeKey's CRC32NK: IEEE 802.3 CRC-32 without its final complement, least significant byte first
    (AN12196's ChangeKey example: F3847D627727ED3BC9C4CC050489B966 → 789DFADC)."""
    return ((~zlib.crc32(data)) & 0xFFFFFFFF).to_bytes(4, "little")


def same(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


# ---------------------------------------------------------------------- session keys and IVs


@dataclass(frozen=True, slots=True)
class SessionKeys:
    enc: bytes
    mac: bytes

    def __repr__(self) -> str:  # never a key in a log or a traceback
        return "SessionKeys(…)"


def session_vector(label: bytes, rnd_a: bytes, rnd_b: bytes) -> bytes:
    """SV1 (label A5 5A) or SV2 (label 5A A5) of NT4H2421Gx §9.1.7."""
    mixed = bytes(a ^ b for a, b in zip(rnd_a[2:8], rnd_b[0:6], strict=True))
    return label + b"\x00\x01\x00\x80" + rnd_a[0:2] + mixed + rnd_b[6:16] + rnd_a[8:16]


def session_keys(key: bytes, rnd_a: bytes, rnd_b: bytes) -> SessionKeys:
    return SessionKeys(
        enc=cmac(key, session_vector(b"\xa5\x5a", rnd_a, rnd_b)),
        mac=cmac(key, session_vector(b"\x5a\xa5", rnd_a, rnd_b)),
    )


def _iv(label: bytes, enc_key: bytes, ti: bytes, counter: int) -> bytes:
    return encrypt_block(enc_key, label + ti + counter.to_bytes(2, "little") + bytes(8))


def command_iv(enc_key: bytes, ti: bytes, counter: int) -> bytes:
    return _iv(b"\xa5\x5a", enc_key, ti, counter)


def response_iv(enc_key: bytes, ti: bytes, counter: int) -> bytes:
    return _iv(b"\x5a\xa5", enc_key, ti, counter)


def native_apdu(ins: int, body: bytes = b"") -> bytes:
    """NTAG 424 DNA's native command wrapped in ISO/IEC 7816-4: 90 INS 00 00 [Lc body] 00."""
    if len(body) > 0xFF:
        raise ValueError("a short APDU carries at most 255 bytes")  # our own bug, never a card answer
    return bytes([CLA, ins, 0, 0]) + (bytes([len(body)]) + body if body else b"") + b"\x00"


# ---------------------------------------------------------------------- secure messaging


class SecureChannel:
    """One authenticated session's secure messaging: TI, CmdCtr and the two session keys.

    Build a command with `command(...)`, send it, then hand its answer (data and status) to `response(...)`,
    which counts CmdCtr up and checks the MAC (and decrypts, in CommMode Full)."""

    def __init__(self, keys: SessionKeys, ti: bytes, counter: int = 0) -> None:
        self.keys, self.ti, self.counter = keys, ti, counter

    def __repr__(self) -> str:
        return f"SecureChannel(ti={self.ti.hex()}, counter={self.counter})"

    def command_mac(self, ins: int, body: bytes) -> bytes:
        return mac_t(self.keys.mac, bytes([ins]) + self.counter.to_bytes(2, "little") + self.ti + body)

    def command(self, ins: int, header: bytes, data: bytes, mode: CommMode) -> bytes:
        """The APDU for INS with its plain header and its data sent in `mode`."""
        if self.counter >= MAX_COUNTER:
            raise ChipError(ChipFailure.NO_SESSION, "the command counter is spent: authenticate again")
        if mode == CommMode.PLAIN:
            return native_apdu(ins, header + data)
        if mode == CommMode.FULL and data:
            data = cbc_encrypt(self.keys.enc, command_iv(self.keys.enc, self.ti, self.counter), pad(data))
        body = header + data
        return native_apdu(ins, body + self.command_mac(ins, body))

    def response(self, data: bytes, sw: int, mode: CommMode, step: str) -> bytes:
        """The answer's data after its MAC is checked (and decrypted in Full). `sw` is 91 00 (or 91 90
        for Read_Sig); a caller has refused any other. Plain answers inside a session still count."""
        self.counter += 1
        if mode == CommMode.PLAIN:
            return data
        if len(data) < MAC_LENGTH:
            raise ChipError(ChipFailure.BAD_LENGTH, f"{step}: {len(data)} bytes, no room for a MAC", sw)
        body, mac = data[:-MAC_LENGTH], data[-MAC_LENGTH:]
        rc = bytes([sw & 0xFF])
        expected = mac_t(self.keys.mac, rc + self.counter.to_bytes(2, "little") + self.ti + body)
        if not same(mac, expected):
            raise ChipError(ChipFailure.BAD_MAC, f"{step}: the answer's MAC is not the session's", sw)
        if mode == CommMode.MAC or not body:
            return body
        if len(body) % BLOCK:
            raise ChipError(ChipFailure.BAD_LENGTH, f"{step}: {len(body)} encrypted bytes", sw)
        iv = response_iv(self.keys.enc, self.ti, self.counter)
        return unpad(cbc_decrypt(self.keys.enc, iv, body))
