# SPDX-License-Identifier: GPL-3.0-or-later
"""The reader (app/cards/ntag424) against the emulator (tests/support/ntag424_emulator.py), two pieces
written apart from the same datasheet: a club card proves itself, clones do not, and issuing a factory
card finishes after a tear at any state-changing command, committed or not."""

from __future__ import annotations

import ndef
import pytest

from app.cards.base import ReadError
from app.cards.ntag424.check import prove_chip
from app.cards.ntag424.keys import KeyRef, card_key, chip_ndef_message
from app.cards.ntag424.originality import NXP_ORIGINALITY_KEYS
from app.cards.ntag424.personalise import personalise
from app.cards.type4 import TagRead, TransmitError, read_ndef
from tests.support.ntag424_emulator import Ntag424Card
from tests.support.ntag424_originality import TEST_PUBLIC_KEY, sign_uid

UID = bytes.fromhex("04A1B2C3D4E5F6")
READ_BRANCH, WRITE_BRANCH = bytes(range(16)), bytes(range(16, 32))
KEYS = [card_key(READ_BRANCH if n == 1 else WRITE_BRANCH, UID, n) for n in range(5)]
REF = KeyRef("6f1c2a52-8d1e-4f7a-9c1b-0a6d3e2f4b5c", 1)
MESSAGE = chip_ndef_message(ndef.Record("urn:nfc:ext:bashgah.ir:card", "", b"payload" * 5), REF)
TRUSTED = [*NXP_ORIGINALITY_KEYS, TEST_PUBLIC_KEY]


def transmit(card: Ntag424Card):
    def send(apdu: bytes) -> bytes:
        answer = card.respond(apdu)
        if answer is None:
            raise TransmitError(ReadError.REMOVED_MID_READ, "the card left")
        return answer

    return send


def prove(card: Ntag424Card):
    return prove_chip(transmit(card), uid=UID, read_key=KEYS[1], originality_keys=TRUSTED)


def issue(card: Ntag424Card):
    return personalise(
        transmit(card), uid=UID, ndef_message=MESSAGE, card_keys=KEYS, originality_keys=TRUSTED
    )


def test_a_club_card_proves_itself_after_its_ndef_read() -> None:
    card = Ntag424Card.club_card(UID, MESSAGE, dict(enumerate(KEYS)))
    read = read_ndef(transmit(card))
    assert isinstance(read, TagRead) and read.ndef == MESSAGE
    proof = prove(card)
    assert (proof.originality, proof.challenge, proof.card_uid) == ("valid", "passed", UID)


@pytest.mark.parametrize("challenge", ["wrong_key", "refuse"])
def test_a_magic_clone_with_a_copied_signature_fails_the_challenge(challenge: str) -> None:
    proof = prove(Ntag424Card.magic_clone(UID, MESSAGE, challenge=challenge, signature=sign_uid(UID)))
    assert (proof.originality, proof.challenge) == ("valid", "failed")


def test_a_magic_clone_without_read_sig_fails_both() -> None:
    proof = prove(Ntag424Card.magic_clone(UID, MESSAGE))
    assert (proof.originality, proof.challenge) == ("invalid", "failed")


def test_a_factory_card_is_issued() -> None:
    card = Ntag424Card.factory(UID)
    assert issue(card).state == "issued"
    assert card.keys == KEYS and card.key_versions == [1] * 5
    assert issue(card).state == "issued"  # again: finished by the earlier attempt, nothing changed


@pytest.mark.parametrize("committed", [False, True], ids=["torn-undone", "torn-committed"])
def test_a_tear_at_every_state_change_is_finished_next_time(committed: bool) -> None:
    clean = Ntag424Card.factory(UID)
    issue(clean)
    assert clean.state_changes == 8  # WriteData ×2 (message, NLEN), ChangeFileSettings, ChangeKey ×5
    for at in range(1, clean.state_changes + 1):
        card = Ntag424Card.factory(UID)
        card.tear_after(at, committed=committed)
        assert issue(card).state == "interrupted", at
        card.start_session()
        assert issue(card).state == "issued", at
        assert card.keys == KEYS


def prove_counting(card: Ntag424Card):
    return prove_chip(transmit(card), uid=UID, read_key=KEYS[1], originality_keys=TRUSTED, read_counter=True)


def test_an_issued_card_counts_every_tap_for_the_challenge_to_read() -> None:
    """The SDM read counter the issued card has on (the server's card_counter_backwards check needs it):
    each tap's free NDEF read moves it on, however many READ BINARY it took, and only key 1's session may
    read it."""
    card = Ntag424Card.factory(UID)
    issued = issue(card)
    assert issued.ok and issued.proof is not None and issued.proof.read_counter == 1  # the read back
    counted = []
    for _tap in range(3):
        read = read_ndef(transmit(card))
        assert isinstance(read, TagRead) and read.ndef == MESSAGE  # nothing mirrored into the message
        proof = prove_counting(card)
        assert proof.genuine
        counted.append(proof.read_counter)
    assert counted == [2, 3, 4] and card.sdm_read_counter == 4


def test_a_clone_holding_the_read_key_counts_on_its_own() -> None:
    """A thief with a stolen terminal's read key keys a blank chip as the member's card: both answer the
    challenge, but the two counters interleave, which is what the server watches for."""
    original = Ntag424Card.factory(UID)
    issue(original)
    clone = Ntag424Card.factory(UID)
    issue(clone)  # the same keys and message: all a stolen issuing terminal could write
    for card in (original, original, original):
        read_ndef(transmit(card))
    read_ndef(transmit(clone))
    proofs = [prove_counting(card) for card in (original, clone)]
    assert [p.challenge for p in proofs] == ["passed", "passed"]
    assert [p.read_counter for p in proofs] == [4, 2]  # a later tap counting lower: card_counter_backwards
