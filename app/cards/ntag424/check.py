# SPDX-License-Identifier: GPL-3.0-or-later
"""The proof that a tapped card is the club's NTAG 424 DNA and not a copy, run after the Type 4 NDEF read
on the same card connection.

    0. ISOSelectFile             the NTAG 424 DNA application (the NDEF read may have left a file selected)
    1. Read_Sig (plain)          NXP's originality signature: a cheap filter against blank and magic cards
                                 (a replayed UID and signature passes it; step 2 does not)
    2. AuthenticateEV2First      with key 1 (keys.READ_KEY_NO) and the card's own diversified key, with a
                                 fresh random RndA: only a chip holding the key answers RndA' rightly
    3. GetCardUID (Full)         the chip's real UID, under the session's MAC: it must be the UID the reader
                                 reported, so a random-ID card or a genuine chip passing off another UID fails
    (4. GetFileCounters          the SDM read counter, only when asked for and only on cards with SDM)

The signature is checked over the real UID from step 3 when the challenge ran, else over the reported UID.

`prove_chip` never raises for a card's answer: every refusal is in the ChipProof it returns. A transport
failure (card gone) is `app.cards.type4.TransmitError`, raised through unchanged: the tap failed, which
is not a verdict on the card.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

from app.cards.ntag424.crypto import ChipError
from app.cards.ntag424.keys import READ_KEY_NO
from app.cards.ntag424.originality import verify_originality
from app.cards.ntag424.session import Ntag424Session
from app.cards.type4 import Transmit

Originality = Literal["valid", "invalid", "not_run"]
Challenge = Literal["passed", "failed", "not_run"]


@dataclass(frozen=True, slots=True)
class ChipProof:
    originality: Originality
    challenge: Challenge
    card_uid: bytes | None  # the chip's real UID (GetCardUID), known only after a right challenge answer
    read_counter: int | None
    detail: str  # for logs: what ran and why a check failed; never a key
    apdus: int = 0

    @property
    def genuine(self) -> bool:
        """The challenge passed and the signature, when checked, verified."""
        return self.challenge == "passed" and self.originality != "invalid"


def _select(session: Ntag424Session, notes: list[str]) -> bool:
    try:
        session.select_application()
    except ChipError as error:
        notes.append(f"{error}")
        return False
    return True


def _read_signature(session: Ntag424Session, notes: list[str]) -> bytes | None:
    try:
        return session.read_sig()
    except ChipError as error:
        notes.append(f"originality: {error}")
        return None


def _challenge(session: Ntag424Session, key: bytes, rnd_a: bytes | None, notes: list[str]) -> bytes | None:
    """The real UID when the card answered the challenge, else None (and why, in notes)."""
    try:
        session.authenticate_ev2_first(READ_KEY_NO, key, rnd_a)
        return session.get_card_uid()
    except ChipError as error:
        notes.append(f"challenge: {error}")
        return None


def _read_counter(session: Ntag424Session, notes: list[str]) -> int | None:
    try:
        return session.get_file_counters()
    except ChipError as error:
        notes.append(f"read counter: {error}")
        return None


def prove_chip(
    transmit: Transmit,
    *,
    uid: bytes | None,
    read_key: bytes | None,
    originality_keys: Iterable[EllipticCurvePublicKey],
    rnd_a: bytes | None = None,
    read_counter: bool = False,
) -> ChipProof:
    """Run the checks above on the card behind `transmit`.

    `uid` is the UID the reader reported (None when it cannot tell), `read_key` the card's own key 1
    (keys.card_key of the branch's read key, its UID and READ_KEY_NO) or None when the terminal has no key
    for this card (the challenge is then "not_run"), `originality_keys` the trusted manufacturer keys
    (originality.NXP_ORIGINALITY_KEYS in production; empty: originality "not_run"). `rnd_a` is for tests
    that replay a recorded exchange; in use it is None (fresh randomness)."""
    session = Ntag424Session(transmit)
    notes: list[str] = []
    keys = tuple(originality_keys)
    selected = _select(session, notes)  # the NDEF read may have left any file selected
    signature = _read_signature(session, notes) if keys and selected else None
    card_uid: bytes | None = None
    challenge: Challenge = "not_run"
    counter: int | None = None
    if read_key is not None:
        card_uid = _challenge(session, read_key, rnd_a, notes) if selected else None
        challenge = "failed" if card_uid is None else "passed"
        if card_uid is not None and uid is not None and card_uid != uid:
            notes.append(f"challenge: the chip's UID {card_uid.hex()} is not the reported {uid.hex()}")
            challenge = "failed"
        if challenge == "passed" and read_counter:
            counter = _read_counter(session, notes)
    originality = _originality(keys, signature, card_uid if card_uid is not None else uid, notes)
    notes.insert(0, f"originality {originality}, challenge {challenge}")
    return ChipProof(originality, challenge, card_uid, counter, "; ".join(notes), session.apdus)


def _originality(
    keys: tuple[EllipticCurvePublicKey, ...], signature: bytes | None, uid: bytes | None, notes: list[str]
) -> Originality:
    if not keys:
        return "not_run"
    if uid is None:
        notes.append("originality: no UID to check the signature against")
        return "not_run"
    if signature is None or not verify_originality(uid, signature, keys):
        if signature is not None:
            notes.append("originality: the signature does not verify")
        return "invalid"
    return "valid"
