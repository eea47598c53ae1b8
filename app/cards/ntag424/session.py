# SPDX-License-Identifier: GPL-3.0-or-later
"""NTAG 424 DNA's commands over any APDU transport (`transmit(apdu) -> data ‖ SW1 SW2`), as
NT4H2421Gx and NXP AN12196 lay them out:

    00 A4 04 0C 07 D2760000850101 00        ISOSelectFile: the NTAG 424 DNA (NDEF) application
    90 60 00 00 00, 90 AF 00 00 00 ×2        GetVersion: 7 + 7 + 14/15 bytes (91 AF, 91 AF, 91 00)
    90 71 00 00 02 KeyNo 00 00               AuthenticateEV2First part 1 → E(K, RndB) 91 AF
    90 AF 00 00 20 E(K, RndA ‖ RndB') 00     part 2 → E(K, TI ‖ RndA' ‖ PDcap2 ‖ PCDcap2) 91 00
    90 3C 00 00 01 00 00                     Read_Sig (Plain; MAC'd and answered in Full when
                                             authenticated) → the 56-byte signature, 91 90
    90 51 00 00 08 MACt 00                   GetCardUID (Full) → the real 7-byte UID
    90 F6 00 00 09 FileNo MACt 00            GetFileCounters (Full) → SDMReadCtr (3 bytes LE) ‖ 00 00
    90 C4 00 00 29 KeyNo E(…) MACt 00        ChangeKey (Full)
    90 5F 00 00 Lc FileNo E(…) MACt 00       ChangeFileSettings (Full)
    90 8D 00 00 Lc FileNo Off Len data 00    WriteData (the file's CommMode)

Every card answer is checked (status word, length, MAC, padding) and a bad one raises `ChipError`; none
raises anything else. A transport failure (the card left, the reader failed) is the transport's
`app.cards.type4.TransmitError`, which passes through unchanged so that the caller tells "card gone, tap
again" from "this card answered wrongly". After any refused answer inside a session the session is
dropped (the chip drops it too on an error), so a later secure command fails with NO_SESSION.

Threading: none of its own; one session is used by one thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from app.cards.ntag424.crypto import (
    BLOCK,
    TI_LENGTH,
    ChipError,
    ChipFailure,
    CommMode,
    SecureChannel,
    cbc_decrypt,
    cbc_encrypt,
    crc32_nk,
    native_apdu,
    rotate_left,
    same,
    session_keys,
)
from app.cards.type4 import NDEF_AID, Transmit

SELECT_APPLICATION = bytes.fromhex("00A4040C07") + NDEF_AID + b"\x00"  # AN12196 Table 22's form
SW_ISO_OK = 0x9000
SW_OK = 0x9100
SW_MORE = 0x91AF
SW_AUTH_ERROR = 0x91AE
# Read_Sig's own status 91 90 (as DESFire EV2/EV3 traces show); 91 00 is taken too, since no trace of a
# real NTAG 424 DNA's Read_Sig was at hand to settle it
SW_SIGNATURE = 0x9190
SIGNATURE_LENGTH = 56
UID_LENGTH = 7
KEY_LENGTH = 16
NDEF_FILE_NO = 2
_ZERO_IV = bytes(BLOCK)

INS_GET_VERSION, INS_MORE, INS_AUTH_FIRST = 0x60, 0xAF, 0x71
INS_READ_SIG, INS_GET_CARD_UID, INS_GET_FILE_COUNTERS = 0x3C, 0x51, 0xF6
INS_CHANGE_KEY, INS_CHANGE_FILE_SETTINGS, INS_WRITE_DATA = 0xC4, 0x5F, 0x8D
WRITE_CHUNK = 128  # plaintext bytes per WriteData: AN12196 Table 17 sends 128 in one Full-mode frame


@dataclass(frozen=True, slots=True)
class ChipVersion:
    """GetVersion's answer, as far as telling the chip goes."""

    hardware: bytes  # vendor, type, subtype, major, minor, storage size, protocol
    software: bytes
    production: bytes  # UID ‖ batch number ‖ fab key ‖ week and year (14 or 15 bytes)

    @property
    def is_ntag424(self) -> bool:
        """NXP (vendor 04), an NTAG (type 04), 416 bytes of files (storage code 11): NTAG 424 DNA and
        its TagTamper sibling. The subtype (02 / 08) and versions differ between batches: not checked."""
        return self.hardware[0] == 0x04 and self.hardware[1] == 0x04 and self.hardware[5] == 0x11

    @property
    def uid(self) -> bytes:
        return self.production[:UID_LENGTH]


class Ntag424Session:
    """A conversation with one NTAG 424 DNA: plain commands, then an authenticated session."""

    def __init__(self, transmit: Transmit) -> None:
        self._transmit = transmit
        self._channel: SecureChannel | None = None
        self._key_no: int | None = None
        self.apdus = 0

    @classmethod
    def resumed(cls, transmit: Transmit, channel: SecureChannel, key_no: int) -> Ntag424Session:
        """A session already open with key `key_no`: for replaying AN12196's examples, whose sessions it
        opened with AuthenticateEV2NonFirst or gives by their keys alone. In use, authenticate instead."""
        session = cls(transmit)
        session._channel, session._key_no = channel, key_no
        return session

    @property
    def authenticated(self) -> bool:
        return self._channel is not None

    def _exchange(self, apdu: bytes, step: str) -> tuple[bytes, int]:
        self.apdus += 1
        response = bytes(self._transmit(apdu))  # TransmitError passes through (module docstring)
        if len(response) < 2:
            self.drop()
            raise ChipError(ChipFailure.BAD_LENGTH, f"{step}: truncated answer of {len(response)} bytes")
        return response[:-2], int.from_bytes(response[-2:], "big")

    def _expect(self, sw: int, accepted: tuple[int, ...], step: str) -> None:
        if sw not in accepted:
            self.drop()
            reason = ChipFailure.AUTH_FAILED if sw == SW_AUTH_ERROR else ChipFailure.BAD_STATUS
            raise ChipError(reason, f"{step}: status {sw:04X}", sw)

    def drop(self) -> None:
        """Forget the session (the chip forgets it on any error, and on ChangeKey of its own key)."""
        self._channel, self._key_no = None, None

    def _secure(
        self, ins: int, header: bytes, data: bytes, *, send: CommMode, answer: CommMode, step: str,
        accepted: tuple[int, ...] = (SW_OK,),
    ) -> bytes:  # fmt: skip
        channel = self._channel
        if channel is None:
            raise ChipError(ChipFailure.NO_SESSION, f"{step}: not authenticated")
        reply, sw = self._exchange(channel.command(ins, header, data, send), step)
        self._expect(sw, accepted, step)
        try:
            return channel.response(reply, sw, answer, step)
        except ChipError:
            self.drop()
            raise

    # ------------------------------------------------------------------ plain commands

    def select_application(self) -> None:
        _, sw = self._exchange(SELECT_APPLICATION, "SELECT application")
        self.drop()  # selecting ends any authentication
        if sw != SW_ISO_OK:  # P2 0C asks for no FCI; one sent all the same is harmless and ignored
            raise ChipError(ChipFailure.BAD_STATUS, f"SELECT application: status {sw:04X}", sw)

    def get_version(self) -> ChipVersion:
        if self.authenticated:  # in a session GetVersion is MAC'd; we only ever ask before one
            raise ChipError(ChipFailure.NO_SESSION, "GetVersion is asked before authenticating")
        parts: list[bytes] = []
        for index, (ins, sw_wanted, sizes) in enumerate(
            ((INS_GET_VERSION, SW_MORE, (7,)), (INS_MORE, SW_MORE, (7,)), (INS_MORE, SW_OK, (14, 15)))
        ):
            step = f"GetVersion part {index + 1}"
            data, sw = self._exchange(native_apdu(ins), step)
            if index == 0 and sw >> 8 != 0x91:
                # an ISO status word to a native command: a Type 4 tag that speaks no DESFire-native command
                detail = f"GetVersion answered SW {sw:04X}: not an NTAG 424"
                raise ChipError(ChipFailure.NOT_NTAG424, detail, sw)
            self._expect(sw, (sw_wanted,), step)
            if len(data) not in sizes:
                raise ChipError(ChipFailure.BAD_LENGTH, f"{step}: {len(data)} bytes", sw)
            parts.append(data)
        version = ChipVersion(*parts)
        if not version.is_ntag424:
            raise ChipError(ChipFailure.NOT_NTAG424, f"GetVersion: hardware {version.hardware.hex()}")
        return version

    def read_sig(self) -> bytes:
        """NXP's 56-byte originality signature (r ‖ s); in Full mode when a session is open."""
        step = "Read_Sig"
        accepted = (SW_SIGNATURE, SW_OK)
        if self.authenticated:
            signature = self._secure(
                INS_READ_SIG,
                b"\x00",
                b"",
                send=CommMode.MAC,
                answer=CommMode.FULL,
                step=step,
                accepted=accepted,
            )
        else:
            signature, sw = self._exchange(native_apdu(INS_READ_SIG, b"\x00"), step)
            self._expect(sw, accepted, step)
        if len(signature) != SIGNATURE_LENGTH:
            raise ChipError(ChipFailure.BAD_LENGTH, f"{step}: {len(signature)} bytes")
        return signature

    # ------------------------------------------------------------------ authentication

    def authenticate_ev2_first(self, key_no: int, key: bytes, rnd_a: bytes | None = None) -> None:
        """Open a session with key `key_no`; ChipError(AUTH_FAILED) when the card does not know `key`.

        `rnd_a` is for the worked examples only: in use it is fresh randomness every time."""
        if len(key) != KEY_LENGTH or not 0 <= key_no <= 4:
            raise ValueError("AuthenticateEV2First takes key number 0-4 and a 16-byte key")
        rnd_a = os.urandom(16) if rnd_a is None else rnd_a
        if len(rnd_a) != 16:
            raise ValueError("RndA is 16 bytes")
        self.drop()
        step = "AuthenticateEV2First"
        data, sw = self._exchange(native_apdu(INS_AUTH_FIRST, bytes([key_no, 0])), f"{step} part 1")
        self._expect(sw, (SW_MORE,), f"{step} part 1")
        if len(data) != BLOCK:
            raise ChipError(ChipFailure.BAD_LENGTH, f"{step} part 1: {len(data)} bytes", sw)
        rnd_b = cbc_decrypt(key, _ZERO_IV, data)
        challenge = cbc_encrypt(key, _ZERO_IV, rnd_a + rotate_left(rnd_b))
        data, sw = self._exchange(native_apdu(INS_MORE, challenge), f"{step} part 2")
        self._expect(sw, (SW_OK,), f"{step} part 2")
        if len(data) != 2 * BLOCK:
            raise ChipError(ChipFailure.BAD_LENGTH, f"{step} part 2: {len(data)} bytes", sw)
        answer = cbc_decrypt(key, _ZERO_IV, data)
        ti, rnd_a_rotated = answer[:TI_LENGTH], answer[TI_LENGTH : TI_LENGTH + 16]
        if not same(rnd_a_rotated, rotate_left(rnd_a)):
            raise ChipError(ChipFailure.AUTH_FAILED, f"{step}: the card's RndA' is not ours", sw)
        self._channel = SecureChannel(session_keys(key, rnd_a, rnd_b), ti)
        self._key_no = key_no

    # ------------------------------------------------------------------ commands in a session

    def get_card_uid(self) -> bytes:
        """The chip's real UID, even when it shows a random ID to the reader."""
        uid = self._secure(
            INS_GET_CARD_UID, b"", b"", send=CommMode.MAC, answer=CommMode.FULL, step="GetCardUID"
        )
        if len(uid) != UID_LENGTH:
            raise ChipError(ChipFailure.BAD_LENGTH, f"GetCardUID: {len(uid)} bytes")
        return uid

    def get_file_counters(self, file_no: int = NDEF_FILE_NO) -> int:
        """The file's SDM read counter (only files with Secure Dynamic Messaging have one)."""
        header = bytes([file_no])
        step = "GetFileCounters"
        data = self._secure(
            INS_GET_FILE_COUNTERS, header, b"", send=CommMode.MAC, answer=CommMode.FULL, step=step
        )
        if len(data) != 5:
            raise ChipError(ChipFailure.BAD_LENGTH, f"GetFileCounters: {len(data)} bytes")
        return int.from_bytes(data[:3], "little")

    def change_key(self, key_no: int, new_key: bytes, key_version: int, old_key: bytes | None = None) -> None:
        """ChangeKey. The session's own key (case 2): NewKey ‖ KeyVer, answered with a bare 91 00, and the
        session ends. Any other key (case 1): (NewKey ⊕ OldKey) ‖ KeyVer ‖ CRC32NK(NewKey), MAC'd answer."""
        if self._channel is None:
            raise ChipError(ChipFailure.NO_SESSION, "ChangeKey: not authenticated")
        if len(new_key) != KEY_LENGTH or not 0 <= key_no <= 4 or not 0 <= key_version <= 0xFF:
            raise ValueError("ChangeKey takes key number 0-4, a 16-byte key and a one-byte version")
        own = key_no == self._key_no
        if own:
            data = new_key + bytes([key_version])
        else:
            if old_key is None or len(old_key) != KEY_LENGTH:
                raise ValueError("changing another key than the session's needs its old key")
            mixed = bytes(a ^ b for a, b in zip(new_key, old_key, strict=True))
            data = mixed + bytes([key_version]) + crc32_nk(new_key)
        step = f"ChangeKey {key_no}"
        if not own:
            self._secure(
                INS_CHANGE_KEY, bytes([key_no]), data, send=CommMode.FULL, answer=CommMode.MAC, step=step
            )
            return
        apdu = self._channel.command(INS_CHANGE_KEY, bytes([key_no]), data, CommMode.FULL)
        reply, sw = self._exchange(apdu, step)
        self.drop()  # the session key is gone with the key it came from
        self._expect(sw, (SW_OK,), step)
        if reply:
            raise ChipError(ChipFailure.BAD_LENGTH, f"{step}: {len(reply)} bytes after changing its own key")

    def change_file_settings(self, file_no: int, settings: bytes) -> None:
        """ChangeFileSettings: `settings` is FileOption ‖ AccessRights (2 bytes) [‖ SDM options…]."""
        step = f"ChangeFileSettings {file_no}"
        header = bytes([file_no])
        self._secure(
            INS_CHANGE_FILE_SETTINGS, header, settings, send=CommMode.FULL, answer=CommMode.MAC, step=step
        )

    def write_data(self, file_no: int, offset: int, data: bytes, mode: CommMode = CommMode.PLAIN) -> None:
        """WriteData in the file's CommMode, WRITE_CHUNK bytes per command; Plain works without a session."""
        for start in range(0, len(data), WRITE_CHUNK):
            chunk = data[start : start + WRITE_CHUNK]
            at = offset + start
            header = bytes([file_no]) + at.to_bytes(3, "little") + len(chunk).to_bytes(3, "little")
            step = f"WriteData {file_no} at {at}"
            if self.authenticated:
                answer = CommMode.PLAIN if mode == CommMode.PLAIN else CommMode.MAC  # no data back: a MAC
                reply = self._secure(INS_WRITE_DATA, header, chunk, send=mode, answer=answer, step=step)
            elif mode != CommMode.PLAIN:
                raise ChipError(ChipFailure.NO_SESSION, f"{step}: not authenticated")
            else:
                reply, sw = self._exchange(native_apdu(INS_WRITE_DATA, header + chunk), step)
                self._expect(sw, (SW_OK,), step)
            if reply:
                self.drop()
                raise ChipError(ChipFailure.BAD_LENGTH, f"{step}: {len(reply)} bytes in WriteData's answer")
