# SPDX-License-Identifier: GPL-3.0-or-later
"""Issuing a factory-fresh NTAG 424 DNA: the finished card, the cards it refuses, and a tear at every
APDU (before and after the chip acted on it) that the next attempt finishes."""

from __future__ import annotations

import ndef
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from app.cards.ntag424.check import prove_chip
from app.cards.ntag424.keys import KeyRef, card_key, chip_ndef_message
from app.cards.ntag424.originality import sign_uid
from app.cards.ntag424.personalise import NDEF_FILE_SETTINGS, personalise
from app.cards.type4 import TagRead, read_ndef
from tests.unit.cards.ntag424.chip import Chip

UID = bytes.fromhex("04A1B2C3D4E5F6")
READ_BRANCH = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
WRITE_BRANCH = bytes.fromhex("FFEEDDCCBBAA99887766554433221100")
MAKER = ec.generate_private_key(ec.SECP224R1())
REF = KeyRef("6f1c2a52-8d1e-4f7a-9c1b-0a6d3e2f4b5c", 1)
MESSAGE = chip_ndef_message(ndef.Record("urn:nfc:ext:bashgah.ir:card", "", b"signed payload " * 4), REF)
OTHER_MESSAGE = chip_ndef_message(ndef.Record("urn:nfc:ext:bashgah.ir:card", "", b"someone else"), REF)


def club_keys(uid: bytes = UID) -> list[bytes]:
    return [card_key(READ_BRANCH if n == 1 else WRITE_BRANCH, uid, n) for n in range(5)]


def fresh(**kwargs) -> Chip:
    return Chip(UID, signature=sign_uid(MAKER, UID), **kwargs)


def issue(chip: Chip, message: bytes = MESSAGE):
    return personalise(chip, uid=UID, ndef_message=message, card_keys=club_keys(),
                       originality_keys=[MAKER.public_key()])  # fmt: skip


def assert_issued(chip: Chip) -> None:
    assert chip.keys == club_keys() and chip.key_versions == [1] * 5
    assert chip.file2_option == 0x40 and bytes(chip.file2_access) + chip.file2_sdm == NDEF_FILE_SETTINGS[1:]
    read = read_ndef(chip)
    assert isinstance(read, TagRead) and read.ndef == MESSAGE
    proof = prove_chip(chip, uid=UID, read_key=club_keys()[1], originality_keys=[MAKER.public_key()])
    assert proof.genuine


def test_a_fresh_card_is_issued_and_proves_itself() -> None:
    chip = fresh()
    result = issue(chip)
    assert result.ok and result.state == "issued" and result.proof is not None and result.proof.genuine
    assert_issued(chip)


def test_an_issued_card_refuses_a_write_without_key_0() -> None:
    chip = fresh()
    issue(chip)
    chip.apdus.clear()
    assert chip(bytes.fromhex("908D00000A 02 020000 030000 414141 00"))[-2:] == b"\x91\x9d"
    assert chip.ndef_file[2:5] != b"AAA"


def test_issuing_again_finishes_nothing_and_says_issued() -> None:
    chip = fresh()
    issue(chip)
    again = issue(chip)
    assert again.state == "issued" and "earlier attempt" in again.detail


def test_a_club_card_holding_another_message_is_not_overwritten() -> None:
    chip = fresh()
    issue(chip, OTHER_MESSAGE)
    result = issue(chip)
    assert result.state == "already_issued"
    read = read_ndef(chip)
    assert isinstance(read, TagRead) and read.ndef == OTHER_MESSAGE


def test_a_card_with_a_foreign_key_0_is_refused_untouched() -> None:
    chip = fresh(keys=[bytes(range(16))] + [bytes(16)] * 4)
    result = issue(chip)
    assert (result.state, result.step) == ("not_fresh", "authenticate")
    assert not any(apdu[:2] in (b"\x90\x8d", b"\x90\xc4", b"\x90\x5f") for apdu in chip.apdus)


def test_a_card_with_a_foreign_key_1_is_refused() -> None:
    chip = fresh(keys=[bytes(16), bytes(range(16)), *[bytes(16)] * 3])
    result = issue(chip)
    assert (result.state, result.step) == ("not_fresh", "key 1")
    assert chip.keys[0] == bytes(16)  # key 0 is changed last: never here


def test_another_chip_posing_as_the_uid_is_refused() -> None:
    chip = Chip(bytes.fromhex("04112233445566"), reported_uid=UID)
    result = issue(chip)
    assert result.state == "wrong_card" and chip.keys == [bytes(16)] * 5


def test_a_card_that_is_not_an_ntag424_is_refused() -> None:
    chip = fresh(knows_native_commands=False)
    result = issue(chip)
    assert result.state in ("failed", "not_ntag424") and result.step == "version"


def _clean_run_length() -> int:
    chip = fresh()
    issue(chip)
    return len(chip.apdus)


@pytest.mark.parametrize("after_processing", [False, True], ids=["torn-before", "torn-after"])
def test_a_tear_at_every_apdu_is_finished_by_the_next_attempt(after_processing: bool) -> None:
    for tear_at in range(1, _clean_run_length() + 1):
        chip = fresh(vanish_at=tear_at, tear_after_processing=after_processing)
        torn = issue(chip)
        assert torn.state == "interrupted", (tear_at, torn)
        chip.vanish_at = None
        finished = issue(chip)
        assert finished.state == "issued", (tear_at, finished)
        assert_issued(chip)


def test_results_never_show_a_key() -> None:
    chip = fresh()
    shown = repr(issue(chip)) + repr(issue(fresh(keys=[bytes(range(16))] + [bytes(16)] * 4)))
    for key in (*club_keys(), READ_BRANCH, WRITE_BRANCH):
        assert key.hex() not in shown.lower()


def test_keys_of_zeros_are_refused_before_anything_is_sent() -> None:
    chip = fresh()
    with pytest.raises(ValueError):
        personalise(chip, uid=UID, ndef_message=MESSAGE, card_keys=[bytes(16)] * 5)
    assert chip.apdus == []


def test_a_key_changed_before_the_tear_is_recognised_by_its_club_key() -> None:
    """Torn just after the chip changed key 2: the next attempt's change from zeros is refused (its CRC
    does not match), and authenticating with the club's key 2 shows it is done already."""
    clean = fresh()
    issue(clean)
    change_key_2 = next(
        i for i, apdu in enumerate(clean.apdus, 1) if apdu[:2] == b"\x90\xc4" and apdu[5] == 2
    )
    chip = fresh(vanish_at=change_key_2, tear_after_processing=True)
    assert issue(chip).step == "key 2" and chip.keys[2] == club_keys()[2]
    chip.vanish_at, start = None, len(chip.apdus)
    assert issue(chip).state == "issued"
    assert bytes.fromhex("907100000202") + b"\x00\x00" in chip.apdus[start:]  # the probe of key 2
    assert_issued(chip)
