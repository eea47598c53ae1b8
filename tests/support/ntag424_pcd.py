# SPDX-License-Identifier: GPL-3.0-or-later
"""A minimal PCD (reader) side of NTAG 424 DNA's AuthenticateEV2First and secure messaging, for the tests
of the card emulator: written from NXP AN12196, apart from app/cards/ntag424 (the product's reader), so that
emulator tests never lean on the code they will be merged with. Its own correctness is pinned by reproducing
AN12196's C-APDUs in tests/unit/cards/test_ntag424_emulator.py.

`transmit(apdu) -> response` as in app/cards/type4.py; failures raise `PcdError` with the status word.
"""

from __future__ import annotations

import hmac
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

Transmit = Callable[[bytes], bytes]
PLAIN, MAC, FULL = "plain", "mac", "full"


class PcdError(Exception):
    def __init__(self, what: str, status: bytes = b"") -> None:
        super().__init__(f"{what} ({status.hex().upper() or 'no status'})")
        self.status = status


def _cmac(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def _cbc(key: bytes, iv: bytes, data: bytes, encrypt: bool) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    work = cipher.encryptor() if encrypt else cipher.decryptor()
    return work.update(data) + work.finalize()


def _ecb(key: bytes, block: bytes) -> bytes:
    work = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return work.update(block) + work.finalize()


@dataclass(slots=True)
class PcdSession:
    key_no: int
    enc_key: bytes
    mac_key: bytes
    ti: bytes
    counter: int = 0

    def mact(self, data: bytes) -> bytes:
        return _cmac(self.mac_key, data)[1::2]

    def iv(self, label: bytes, counter: int) -> bytes:
        return _ecb(self.enc_key, label + self.ti + counter.to_bytes(2, "little") + bytes(8))


def exchange(transmit: Transmit, ins: int, data: bytes = b"") -> tuple[bytes, bytes]:
    """(data, status) of one wrapped native command; 91 AF continuation frames are fetched and joined."""
    apdu = bytes([0x90, ins, 0, 0]) + (bytes([len(data)]) + data if data else b"") + b"\x00"
    response = transmit(apdu)
    joined = response[:-2]
    while response[-2:] == b"\x91\xaf" and ins not in {0x71, 0x77}:
        response = transmit(bytes.fromhex("90AF000000"))
        joined += response[:-2]
    return joined, response[-2:]


def part2_command(key: bytes, encrypted_rnd_b: bytes, rnd_a: bytes) -> tuple[bytes, bytes]:
    """(data of the part-2 command E(K, RndA ‖ RndB'), RndB) from the card's E(K, RndB)."""
    rnd_b = _cbc(key, bytes(16), encrypted_rnd_b, encrypt=False)
    return _cbc(key, bytes(16), rnd_a + rnd_b[1:] + rnd_b[:1], encrypt=True), rnd_b


def derive_session(key: bytes, rnd_a: bytes, rnd_b: bytes) -> tuple[bytes, bytes]:
    xored = bytes(x ^ y for x, y in zip(rnd_a[2:8], rnd_b[0:6], strict=True))
    context = rnd_a[0:2] + xored + rnd_b[6:16] + rnd_a[8:16]
    return _cmac(key, bytes.fromhex("A55A00010080") + context), _cmac(
        key, bytes.fromhex("5AA500010080") + context
    )


def authenticate(transmit: Transmit, key_no: int, key: bytes, rnd_a: bytes | None = None) -> PcdSession:
    """AuthenticateEV2First with `key` as key number `key_no`; PcdError when the card does not prove it."""
    encrypted, status = exchange(transmit, 0x71, bytes([key_no, 0]))
    if status != b"\x91\xaf" or len(encrypted) != 16:
        raise PcdError("authentication part 1", status)
    rnd_a = rnd_a or os.urandom(16)
    command, rnd_b = part2_command(key, encrypted, rnd_a)
    answer, status = exchange(transmit, 0xAF, command)
    if status != b"\x91\x00" or len(answer) != 32:
        raise PcdError("authentication part 2", status)
    plain = _cbc(key, bytes(16), answer, encrypt=False)
    if not hmac.compare_digest(plain[4:20], rnd_a[1:] + rnd_a[:1]):
        raise PcdError("the card did not return RndA'", status)
    enc_key, mac_key = derive_session(key, rnd_a, rnd_b)
    return PcdSession(key_no, enc_key, mac_key, plain[:4], 0)


def pad(data: bytes) -> bytes:
    padded = data + b"\x80"
    return padded + bytes(-len(padded) % 16)


def wrap(session: PcdSession, ins: int, header: bytes, data: bytes, mode: str) -> bytes:
    """The data field of a command in `mode`: header ‖ [E(data)] ‖ MACt."""
    if mode == PLAIN:
        return header + data
    if mode == FULL and data:
        data = _cbc(session.enc_key, session.iv(b"\xa5\x5a", session.counter), pad(data), encrypt=True)
    body = header + data
    return body + session.mact(bytes([ins]) + session.counter.to_bytes(2, "little") + session.ti + body)


def unwrap(session: PcdSession, answer: bytes, status: bytes, mode: str) -> bytes:
    """The plain response data; checks the card's MACt and advances the counter."""
    if status != b"\x91\x00":
        raise PcdError("command refused", status)
    session.counter += 1
    if mode == PLAIN:
        return answer
    if len(answer) < 8:
        raise PcdError("response without MAC", status)
    data, mac = answer[:-8], answer[-8:]
    expected = session.mact(b"\x00" + session.counter.to_bytes(2, "little") + session.ti + data)
    if not hmac.compare_digest(mac, expected):
        raise PcdError("wrong response MAC", status)
    if mode == FULL and data:
        plain = _cbc(session.enc_key, session.iv(b"\x5a\xa5", session.counter), data, encrypt=False)
        return plain[: plain.rstrip(b"\x00").rfind(b"\x80")]
    return data


def command(  # noqa: PLR0917  (the shape of a native command)
    transmit: Transmit,
    session: PcdSession,
    ins: int,
    header: bytes = b"",
    data: bytes = b"",
    mode: str = FULL,
) -> bytes:
    answer, status = exchange(transmit, ins, wrap(session, ins, header, data, mode))
    return unwrap(session, answer, status, mode)


def change_key_data(session: PcdSession, key_no: int, new_key: bytes, version: int, old_key: bytes) -> bytes:
    """ChangeKey's plain data: the new key (the session's own key), or new ⊕ old, version and CRC32."""
    if key_no == session.key_no:
        return new_key + bytes([version])
    crc = (zlib.crc32(new_key) ^ 0xFFFFFFFF).to_bytes(4, "little")
    return bytes(a ^ b for a, b in zip(new_key, old_key, strict=True)) + bytes([version]) + crc


def change_key(  # noqa: PLR0917  (ChangeKey's own fields)
    transmit: Transmit, session: PcdSession, key_no: int, new_key: bytes, version: int, old_key: bytes
) -> None:
    plain = change_key_data(session, key_no, new_key, version, old_key)
    answer, status = exchange(transmit, 0xC4, wrap(session, 0xC4, bytes([key_no]), plain, FULL))
    if key_no == session.key_no:
        if (answer, status) != (b"", b"\x91\x00"):
            raise PcdError("ChangeKey of the session's key", status)
        return
    unwrap(session, answer, status, MAC)
