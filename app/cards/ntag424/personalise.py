# SPDX-License-Identifier: GPL-3.0-or-later
"""Turning a factory-fresh NTAG 424 DNA (all five keys zero) into a club card, so that a tear (the card
pulled away) at any step leaves a state the next attempt tells apart and finishes, or refuses clearly.

    1. SELECT, GetVersion                   an NTAG 424 DNA, or "not_ntag424"
    2. AuthenticateEV2First key 0 = zeros   the factory's key 0: a fresh or half-issued card. If refused,
                                            key 0 = the club's: a card finished before (the tear came
                                            after step 7), go to 8. Neither: "not_fresh" (a card of
                                            someone else's, or of another club key)
    3. GetCardUID                           the chip's real UID is the one the card is issued for, else
                                            "wrong_card" (a random-ID card, or another card on the reader)
    4. WriteData file 2 (NDEF)              the message at offset 2, then its NLEN at 0: torn, the file
                                            holds NLEN 0 or the old length of an earlier attempt's message,
                                            and the next attempt writes it again
    5. ChangeFileSettings file 2            read free, write and change with key 0 only, and the SDM
                                            read counter on (atomic on chip)
    6. ChangeKey 1-4 from zeros             atomic each; after a tear, a key refusing the change from
                                            zeros is tried with the club's key: ours, go on; neither:
                                            "not_fresh"
    7. ChangeKey 0, last                    once key 0 is the club's, steps 4-6 are known to be done
    8. read back and prove                  the Type 4 NDEF read gives the message, and prove_chip passes
                                            the challenge with key 1 and reads the counter: "issued" (a
                                            card issued before the counter has none); a finished card holding
                                            another message: "already_issued" (never overwritten here)

Any step torn ends in "interrupted" (tap again: the next attempt finishes). A card answer that is not the
chip's ends in "failed" at its step. Nothing here raises for a card answer or a transport failure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

from app.cards.base import ReadError
from app.cards.ntag424.check import ChipProof, prove_chip
from app.cards.ntag424.crypto import ChipError, ChipFailure, CommMode
from app.cards.ntag424.keys import MASTER_KEY_NO, READ_KEY_NO, SPARE_KEY_NOS
from app.cards.ntag424.session import NDEF_FILE_NO, Ntag424Session
from app.cards.type4 import TagRead, Transmit, TransmitError, read_ndef

IssueState = Literal[
    "issued",
    "already_issued",
    "not_fresh",
    "not_ntag424",
    "wrong_card",
    "interrupted",
    "failed",
    "unverified",
]
FACTORY_KEY = bytes(16)
CLUB_KEY_VERSION = 0x01  # the factory's keys are version 00
NDEF_FILE_SIZE = 256  # NTAG 424 DNA's file 2 (E104)
# FileOption 40: CommMode Plain, SDM on. Access rights RW = 0, Change = 0 | Read = E (free), Write = 0.
# SDM: SDMOptions 41 (SDMReadCtr on: the chip counts each free read of the file; bit 0, ASCII encoding,
# is the only encoding the datasheet allows, though nothing is mirrored), SDMAccessRights
# F1 FF (RFU, SDMCtrRet = key 1 | SDMMetaRead = F, SDMFileRead = F: nothing mirrored into the file, so the
# signed message reads the same at every tap). The tap reads the counter with GetFileCounters under key 1's
# session, and the server sees a clone's taps interleave with the original's (card_counter_backwards).
NDEF_FILE_SETTINGS = bytes([0x40, 0x00, 0xE0, 0x41, 0xF1, 0xFF])


@dataclass(frozen=True, slots=True)
class IssueResult:
    state: IssueState
    step: str  # the step reached: where it stopped, or "done"
    detail: str  # for logs and the issuing clerk's terminal; never a key
    proof: ChipProof | None = None

    @property
    def ok(self) -> bool:
        return self.state == "issued"


class _StopError(Exception):
    def __init__(self, state: IssueState, detail: str) -> None:
        super().__init__(detail)
        self.state, self.detail = state, detail


class _Issuer:
    def __init__(self, transmit: Transmit, uid: bytes, card_keys: Sequence[bytes]) -> None:
        self.transmit, self.uid, self.keys = transmit, uid, card_keys
        self.session = Ntag424Session(transmit)
        self.step = "select"

    def at(self, step: str) -> None:
        self.step = step

    def open(self) -> bool:
        """Steps 1-3; True when key 0 is still the factory's, False when it is already the club's."""
        self.at("select")
        self.session.select_application()
        self.at("version")
        try:
            self.session.get_version()
        except ChipError as error:
            if error.reason == ChipFailure.NOT_NTAG424:
                raise _StopError("not_ntag424", str(error)) from None
            raise
        self.at("authenticate")
        fresh = self._authenticate_master()
        self.at("uid")
        real = self.session.get_card_uid()
        if real != self.uid:
            raise _StopError("wrong_card", f"the chip's UID is {real.hex()}, not {self.uid.hex()}")
        return fresh

    def _authenticate_master(self) -> bool:
        try:
            self.session.authenticate_ev2_first(MASTER_KEY_NO, FACTORY_KEY)
            return True
        except ChipError as error:
            if error.reason != ChipFailure.AUTH_FAILED:
                raise
        try:
            self.session.authenticate_ev2_first(MASTER_KEY_NO, self.keys[MASTER_KEY_NO])
            return False
        except ChipError as error:
            if error.reason != ChipFailure.AUTH_FAILED:
                raise
        raise _StopError("not_fresh", "key 0 is neither the factory's nor this club's: not ours to issue")

    def write_ndef(self, message: bytes) -> None:
        self.at("write NDEF")
        self.session.write_data(NDEF_FILE_NO, 2, message, CommMode.PLAIN)
        self.session.write_data(NDEF_FILE_NO, 0, len(message).to_bytes(2, "big"), CommMode.PLAIN)
        self.at("file settings")
        self.session.change_file_settings(NDEF_FILE_NO, NDEF_FILE_SETTINGS)

    def change_keys(self) -> None:
        for key_no in (READ_KEY_NO, *SPARE_KEY_NOS):
            self.at(f"key {key_no}")
            try:
                self.session.change_key(key_no, self.keys[key_no], CLUB_KEY_VERSION, old_key=FACTORY_KEY)
            except ChipError:
                self._recover_key(key_no)
        self.at(f"key {MASTER_KEY_NO}")
        self.session.change_key(MASTER_KEY_NO, self.keys[MASTER_KEY_NO], CLUB_KEY_VERSION)

    def _recover_key(self, key_no: int) -> None:
        """The change from zeros was refused: a torn earlier attempt may have made it already."""
        if self._key_is(key_no, self.keys[key_no]):
            self.session.authenticate_ev2_first(MASTER_KEY_NO, FACTORY_KEY)
            return
        if self._key_is(key_no, FACTORY_KEY):
            raise _StopError(
                "failed", f"key {key_no} is still the factory's but the card refused to change it"
            )
        raise _StopError("not_fresh", f"key {key_no} is neither the factory's nor this club's")

    def _key_is(self, key_no: int, key: bytes) -> bool:
        try:
            self.session.authenticate_ev2_first(key_no, key)
        except ChipError as error:
            if error.reason != ChipFailure.AUTH_FAILED:
                raise
            return False
        return True


def personalise(
    transmit: Transmit,
    *,
    uid: bytes,
    ndef_message: bytes,
    card_keys: Sequence[bytes],
    originality_keys: Iterable[EllipticCurvePublicKey] = (),
) -> IssueResult:
    """Issue the card with UID `uid` (as the reader reported it): `ndef_message` (keys.chip_ndef_message)
    in its NDEF file, `card_keys` (five 16-byte keys, numbers 0-4: keys.card_key of the branch's write key
    for 0, 2, 3, 4 and of its read key for 1) in place of the factory's, then read back and proven."""
    if len(card_keys) != 5 or any(len(key) != 16 or key == FACTORY_KEY for key in card_keys):
        raise ValueError("personalise takes five 16-byte card keys, none of them zeros")
    if not 0 < len(ndef_message) <= NDEF_FILE_SIZE - 2:
        raise ValueError(f"an NDEF message of 1-{NDEF_FILE_SIZE - 2} bytes fits the chip's NDEF file")
    issuer = _Issuer(transmit, uid, card_keys)
    try:
        if issuer.open():
            issuer.write_ndef(ndef_message)
            issuer.change_keys()
        else:
            issuer.at("read back")
            return _read_back(transmit, uid, ndef_message, card_keys, originality_keys, finished_before=True)
    except _StopError as stop:
        return IssueResult(stop.state, issuer.step, stop.detail)
    except ChipError as error:
        return IssueResult("failed", issuer.step, f"{issuer.step}: {error}; tap again to retry")
    except TransmitError as error:
        return IssueResult("interrupted", issuer.step, f"{issuer.step}: {error.detail}; tap again to finish")
    return _read_back(transmit, uid, ndef_message, card_keys, originality_keys, finished_before=False)


def _read_back(
    transmit: Transmit,
    uid: bytes,
    message: bytes,
    card_keys: Sequence[bytes],
    originality_keys: Iterable[EllipticCurvePublicKey],
    *,
    finished_before: bool,
) -> IssueResult:
    step = "read back"
    try:
        read = read_ndef(transmit)
        if not isinstance(read, TagRead):
            state: IssueState = "interrupted" if read.error == ReadError.REMOVED_MID_READ else "unverified"
            return IssueResult(state, step, f"the NDEF read failed: {read.detail}; tap again")
        if read.ndef != message:
            if finished_before:
                return IssueResult("already_issued", step, "a club card already, holding another message")
            return IssueResult("unverified", step, "the NDEF file does not hold the message written")
        step = "prove"
        proof = prove_chip(
            transmit,
            uid=uid,
            read_key=card_keys[READ_KEY_NO],
            originality_keys=originality_keys,
            read_counter=True,
        )
    except TransmitError as error:
        return IssueResult("interrupted", step, f"{step}: {error.detail}; tap again to finish")
    if proof.challenge != "passed" or proof.originality == "invalid":
        return IssueResult(
            "unverified", step, f"the issued card does not prove itself: {proof.detail}", proof
        )
    how = "finished by an earlier attempt" if finished_before else "issued"
    return IssueResult("issued", "done", f"{how}; {proof.detail}", proof)
