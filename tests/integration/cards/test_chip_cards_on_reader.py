# SPDX-License-Identifier: GPL-3.0-or-later
"""Chip-keyed cards through the real stack, reader to verdict: pyscard → pcscd → vpcd → the NTAG 424 DNA
emulator → PcscBackend (NDEF read, then the chip's proof on the same connection) → verify_card.

A genuine card is valid and names the challenge; a magic clone with the UID, the payload and the copied
originality signature is refused as a copy; a chip whose originality signature is wrong is refused as not
genuine; another branch's card (no key here) is for earning only; a card of before chip keys is read as
before, with no proof at all.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from app.cards.base import CardEvent, CardEventKind
from app.cards.ntag424.keys import READ_KEY_NO, KeyRef, card_key, chip_ndef_message
from app.cards.ntag424.reading import ChipReading
from app.cards.payload import card_record, issuing_key_from_private, payload_from_ndef, sign_card
from app.cards.pcsc import PcscBackend
from app.cards.verify import CardReason, verify_card
from tests.support.ntag424_emulator import Ntag424Card
from tests.support.ntag424_originality import TEST_PUBLIC_KEY, sign_uid
from tests.support.pcscd import Pcscd, pcscd_fixture, wait_until_readers_empty  # noqa: F401  (the fixture)
from tests.support.type4_emulator import VPCD_PORT, CardEmulator, Type4Card, kill_stale_emulators

READER = "Virtual PCD 00 00"
UID = bytes.fromhex("04C0FFEE424243")
S = 1_000_000
NOW = 1_760_000_000 * S
MEMBER = "0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b"
NUMBER = "6219000000000426"
ISSUING = issuing_key_from_private(7, bytes(range(32)))
BRANCH, OTHER_BRANCH = "0190a5b2-0000-7000-8000-000000000001", "0190a5b2-0000-7000-8000-000000000002"
BRANCH_READ_KEY, BRANCH_WRITE_KEY = bytes(range(16)), bytes(range(16, 32))
WAIT_S = 5.0


def message(*, chip_keyed: bool = True, branch: str = BRANCH) -> bytes:
    plain = sign_card(ISSUING, member_id=MEMBER, card_number=NUMBER, uid=UID, issued_at_us=NOW - 86_400 * S,
                      expires_at_us=None, chip_keyed=chip_keyed)  # fmt: skip
    if not chip_keyed:
        return plain
    return chip_ndef_message(card_record(payload_from_ndef(plain)), KeyRef(branch, 1))


def keys_of(branch_read: bytes) -> dict[int, bytes]:
    return {n: card_key(branch_read if n == READ_KEY_NO else BRANCH_WRITE_KEY, UID, n) for n in range(5)}


def this_branchs_key(ndef: bytes, uid: bytes) -> bytes | None:
    """What app.services.chip_keys gives the backend: this branch's key for its own cards only."""
    from app.cards.ntag424.keys import key_ref_from_ndef

    ref = key_ref_from_ndef(ndef)
    return card_key(BRANCH_READ_KEY, uid, READ_KEY_NO) if ref and ref.branch_id == BRANCH else None


@pytest.fixture
def reader(pcscd: Pcscd) -> Iterator[tuple[PcscBackend, list[CardEmulator]]]:
    kill_stale_emulators(VPCD_PORT)
    wait_until_readers_empty((READER,))
    chip = ChipReading(card_key_for=this_branchs_key, originality_keys=(TEST_PUBLIC_KEY,))
    backend = PcscBackend(retry_s=0.2, reader_filter=lambda name: name == READER, chip=chip)
    inserted: list[CardEmulator] = []
    yield backend, inserted
    for emulator in inserted:
        emulator.remove()
    backend.close()
    wait_until_readers_empty((READER,))


def tap(reader: tuple[PcscBackend, list[CardEmulator]], card: Type4Card) -> CardEvent:
    backend, inserted = reader
    emulator = CardEmulator(card, port=VPCD_PORT)
    emulator.insert()
    inserted.append(emulator)
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        for event in backend.poll(100):
            if event.kind in (CardEventKind.TAPPED, CardEventKind.READ_FAILED):
                return event
    raise AssertionError("no tap within the time")


def verdict(event: CardEvent):
    return verify_card(
        event.ndef or b"", uid=event.uid, keys={7: ISSUING.public}, now_us=NOW, is_revoked=lambda n: False,
        revocations_as_of_us=NOW, max_revocation_age_us=3600 * S, member_exists=lambda m: m == MEMBER,
        chip=event.chip,
    )  # fmt: skip


def test_a_genuine_card_answers_the_challenge_and_is_fully_valid(reader) -> None:
    event = tap(reader, Ntag424Card.club_card(UID, message(), keys_of(BRANCH_READ_KEY)))
    assert event.kind is CardEventKind.TAPPED and event.chip is not None
    assert (event.chip.originality, event.chip.challenge, event.chip.card_uid) == ("valid", "passed", UID)
    result = verdict(event)
    assert result.valid and not result.earn_only and result.reason is None
    assert result.checks == {"signature", "uid", "originality", "challenge"}


def test_a_magic_clone_with_the_uid_payload_and_signature_copied_is_refused_as_a_copy(reader) -> None:
    clone = Ntag424Card.magic_clone(UID, message(), challenge="wrong_key", signature=sign_uid(UID))
    event = tap(reader, clone)
    assert event.kind is CardEventKind.TAPPED and event.chip is not None
    assert event.chip.originality == "valid"  # the copied signature passes the filter: the challenge does not
    assert event.chip.challenge == "failed"
    result = verdict(event)
    assert not result.valid and result.reason is CardReason.CHIP_COPY


def test_a_clone_that_speaks_neither_read_sig_nor_the_challenge_is_refused(reader) -> None:
    event = tap(reader, Ntag424Card.magic_clone(UID, message(), challenge="refuse", signature=None))
    assert event.chip is not None and event.chip.challenge != "passed"
    result = verdict(event)
    assert not result.valid and result.reason is CardReason.CHIP_NOT_GENUINE  # the first check it fails


def test_a_chip_whose_originality_signature_is_wrong_is_not_genuine(reader) -> None:
    card = Ntag424Card.club_card(UID, message(), keys_of(BRANCH_READ_KEY), signature=bytes(56))
    event = tap(reader, card)
    assert event.chip is not None and event.chip.originality == "invalid"
    assert verdict(event).reason is CardReason.CHIP_NOT_GENUINE


def test_another_branchs_card_is_for_earning_only_here(reader) -> None:
    other = Ntag424Card.club_card(UID, message(branch=OTHER_BRANCH), keys_of(bytes(range(32, 48))))
    event = tap(reader, other)
    assert event.chip is not None and event.chip.challenge == "not_run"
    result = verdict(event)
    assert result.valid and result.earn_only and result.reason is CardReason.CHIP_UNCHECKED


def test_a_card_of_before_chip_keys_is_read_as_before_without_a_proof(reader) -> None:
    event = tap(reader, Type4Card(UID, message(chip_keyed=False)))
    assert event.kind is CardEventKind.TAPPED and event.chip is None
    result = verdict(event)
    assert result.valid and result.reason is None and result.checks == {"signature", "uid"}
