# SPDX-License-Identifier: GPL-3.0-or-later
"""prove_chip: a genuine card, the clones an attacker can make, and a fuzz test that no card answer makes
it raise."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cards.base import ReadError
from app.cards.ntag424.check import ChipProof, prove_chip
from app.cards.ntag424.keys import READ_KEY_NO, card_key
from app.cards.ntag424.originality import NXP_ORIGINALITY_KEYS, sign_uid
from app.cards.ntag424.personalise import NDEF_FILE_SETTINGS
from app.cards.type4 import TransmitError, read_ndef
from tests.unit.cards.ntag424.chip import Chip

UID = bytes.fromhex("04A1B2C3D4E5F6")
OTHER_UID = bytes.fromhex("04112233445566")
BRANCH_READ_KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
TEST_MAKER = ec.generate_private_key(ec.SECP224R1())
TRUSTED = [*NXP_ORIGINALITY_KEYS, TEST_MAKER.public_key()]


def keys_for(uid: bytes) -> list[bytes]:
    keys = [bytes(16)] * 5
    keys[READ_KEY_NO] = card_key(BRANCH_READ_KEY, uid, READ_KEY_NO)
    return keys


def genuine(uid: bytes = UID, **kwargs) -> Chip:
    kwargs.setdefault("keys", keys_for(uid))
    kwargs.setdefault("signature", sign_uid(TEST_MAKER, uid))
    return Chip(uid, **kwargs)


def prove(chip: Chip, uid: bytes | None = UID, *, key: bool = True, **kwargs) -> ChipProof:
    read_key = card_key(BRANCH_READ_KEY, uid or UID, READ_KEY_NO) if key else None
    return prove_chip(chip, uid=uid, read_key=read_key, originality_keys=kwargs.pop("trusted", TRUSTED),
                      **kwargs)  # fmt: skip


def test_a_genuine_card_passes_both_checks() -> None:
    chip = genuine()
    proof = prove(chip)
    assert (proof.originality, proof.challenge, proof.card_uid) == ("valid", "passed", UID)
    assert proof.genuine and proof.read_counter is None
    # select, Read_Sig, AuthenticateEV2First (two parts), GetCardUID: nothing more at the till
    assert [apdu[:2].hex() for apdu in chip.apdus] == ["00a4", "903c", "9071", "90af", "9051"]
    assert proof.apdus == 5


def test_every_tap_sends_a_fresh_challenge() -> None:
    first, second = genuine(), genuine()
    prove(first), prove(second)
    assert first.apdus[3] != second.apdus[3]  # E(K, RndA ‖ RndB′) with a new RndA (and RndB)


def test_a_clone_with_copied_uid_and_signature_but_no_key_fails_the_challenge() -> None:
    """A magic card or a phone replaying a genuine card's UID and signature: the filter passes it, the
    challenge does not."""
    proof = prove(genuine(keys=[bytes(16)] * 5))
    assert (proof.originality, proof.challenge) == ("valid", "failed")
    assert not proof.genuine and proof.card_uid is None
    assert "auth_failed" in proof.detail


def test_a_magic_card_speaking_only_iso_fails_both() -> None:
    proof = prove(genuine(knows_native_commands=False, signature=b""))
    assert (proof.originality, proof.challenge) == ("invalid", "failed")


def test_a_wrong_signature_is_invalid_even_with_the_key() -> None:
    proof = prove(genuine(signature=sign_uid(TEST_MAKER, OTHER_UID)))
    assert (proof.originality, proof.challenge) == ("invalid", "passed")
    assert not proof.genuine


def test_an_untrusted_makers_signature_is_invalid() -> None:
    other_maker = ec.generate_private_key(ec.SECP224R1())
    proof = prove(genuine(signature=sign_uid(other_maker, UID)))
    assert proof.originality == "invalid"


def test_a_genuine_chip_posing_as_another_card_is_caught_by_its_real_uid() -> None:
    """A thief with the branch's read key keys his own NTAG 424 DNA for the victim's UID and makes it show
    the victim's UID (random ID, or an emulating front end): GetCardUID tells its real one."""
    impostor = Chip(
        OTHER_UID, keys=keys_for(UID), signature=sign_uid(TEST_MAKER, OTHER_UID), reported_uid=UID
    )
    proof = prove(impostor)
    assert proof.challenge == "failed" and proof.card_uid == OTHER_UID
    assert "is not the reported" in proof.detail
    assert proof.originality == "valid"  # the signature is checked over the chip's real UID


def test_without_a_key_the_challenge_does_not_run() -> None:
    chip = genuine()
    proof = prove(chip, key=False)
    assert (proof.originality, proof.challenge) == ("valid", "not_run")
    assert not proof.genuine and len(chip.apdus) == 2


def test_without_trusted_keys_originality_does_not_run() -> None:
    chip = genuine()
    proof = prove(chip, trusted=[])
    assert (proof.originality, proof.challenge) == ("not_run", "passed")
    assert "903c" not in [apdu[:2].hex() for apdu in chip.apdus]


def test_without_a_reported_uid_the_real_one_is_used() -> None:
    proof = prove(genuine(), uid=None)
    assert (proof.originality, proof.challenge, proof.card_uid) == ("valid", "passed", UID)


def test_a_card_without_sdm_has_no_read_counter() -> None:
    proof = prove(genuine(), read_counter=True)
    assert proof.challenge == "passed" and proof.read_counter is None
    assert "read counter" in proof.detail


def test_a_card_leaving_mid_check_raises_the_transport_error() -> None:
    with pytest.raises(TransmitError) as failed:
        prove(genuine(vanish_at=4))
    assert failed.value.error == ReadError.REMOVED_MID_READ


def test_the_detail_never_shows_a_key() -> None:
    key = card_key(BRANCH_READ_KEY, UID, READ_KEY_NO)
    for chip in (genuine(), genuine(keys=[bytes(16)] * 5)):
        detail = prove(chip).detail.lower()
        assert key.hex() not in detail and BRANCH_READ_KEY.hex() not in detail


_ANSWER = st.one_of(
    st.binary(max_size=80),
    st.tuples(
        st.sampled_from([0, 7, 14, 16, 32, 56, 64, 72]),
        st.sampled_from([b"\x90\x00", b"\x91\x00", b"\x91\xaf", b"\x91\x90", b"\x91\xae", b"\x6a\x82"]),
    ).map(lambda t: bytes(range(t[0])) + t[1]),
)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ANSWER, min_size=1, max_size=8), st.booleans())
def test_no_card_answer_makes_prove_chip_raise(answers: list[bytes], with_key: bool) -> None:
    queue = iter(answers)
    proof = prove(lambda _apdu: next(queue, b"\x91\x00"), key=with_key, read_counter=True)
    assert proof.challenge == ("failed" if with_key else "not_run")
    assert proof.originality in ("invalid", "not_run")
    assert not proof.genuine


def test_a_card_with_the_sdm_read_counter_reports_it_when_asked() -> None:
    chip = genuine()
    chip.file2_option, chip.file2_access = 0x40, NDEF_FILE_SETTINGS[1:3]
    chip.file2_sdm = NDEF_FILE_SETTINGS[3:]  # as issued: the SDM read counter on, nothing mirrored
    chip.sdm_read_counter = 41
    read_ndef(chip)  # the tap's free read counts
    proof = prove(chip, read_counter=True)
    assert proof.genuine and proof.read_counter == 42
    chip.apdus.clear()
    assert prove(chip).read_counter is None  # not asked: no GetFileCounters sent
    assert "90f6" not in [apdu[:2].hex() for apdu in chip.apdus]
