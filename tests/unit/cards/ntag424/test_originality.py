# SPDX-License-Identifier: GPL-3.0-or-later
"""NXP's originality signature: AN12196's genuine chip against NXP's published key, and a test
manufacturer key of our own (emulated cards cannot be signed by NXP)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from app.cards.ntag424.originality import (
    NXP_NTAG424_ORIGINALITY_KEY,
    NXP_ORIGINALITY_KEYS,
    sign_uid,
    verify_originality,
)
from tests.unit.cards.ntag424 import an12196 as an

UID = bytes.fromhex("04A1B2C3D4E5F6")
TEST_MAKER = ec.generate_private_key(ec.SECP224R1())

# Genuine NTAG 424 DNA chips read by others and published beside their reader (lucianox777/nfc-ev2-crypto,
# test_ecc.py): UID and Read_Sig's answer. Each verifies under NXP's key, as AN12196's Table 30 does.
PUBLISHED_CHIPS = [
    ("047728824D6580", "9C7068636A285FEBA1E2406654009DCE6E8A9C9CE318BE0262ED1625"
                       "19B970B32FB802858420D667D12CEBCD32BB4BC8AFE21C753A5A6C26"),
    ("041D3C8A2D6B80", "A438FEB368DC45F9B8899C2926A985BE5D08E342CE016E9F08F3FDAE"
                       "388BB4D6B3DFD7DEA2E1977CCD2E4C9F82F245D4DE08FB7FCB8043E3"),
]  # fmt: skip


def test_nxp_key_is_a_secp224r1_point() -> None:
    (key,) = NXP_ORIGINALITY_KEYS
    assert isinstance(key.curve, ec.SECP224R1)
    assert len(NXP_NTAG424_ORIGINALITY_KEY) == 57 and NXP_NTAG424_ORIGINALITY_KEY[0] == 0x04


def test_an12196_genuine_chip_verifies_under_nxps_key() -> None:
    assert verify_originality(an.T30_UID, an.T30_SIGNATURE, NXP_ORIGINALITY_KEYS)


@pytest.mark.parametrize(("uid", "signature"), PUBLISHED_CHIPS)
def test_published_genuine_chips_verify(uid: str, signature: str) -> None:
    assert verify_originality(bytes.fromhex(uid), bytes.fromhex(signature), NXP_ORIGINALITY_KEYS)


def test_another_uid_or_an_altered_signature_does_not_verify() -> None:
    other_uid = an.T30_UID[:-1] + bytes([an.T30_UID[-1] ^ 1])
    assert not verify_originality(other_uid, an.T30_SIGNATURE, NXP_ORIGINALITY_KEYS)
    altered = an.T30_SIGNATURE[:-1] + bytes([an.T30_SIGNATURE[-1] ^ 1])
    assert not verify_originality(an.T30_UID, altered, NXP_ORIGINALITY_KEYS)


def test_a_test_makers_signature_verifies_only_under_its_key() -> None:
    signature = sign_uid(TEST_MAKER, UID)
    assert verify_originality(UID, signature, [TEST_MAKER.public_key()])
    assert not verify_originality(UID, signature, NXP_ORIGINALITY_KEYS)
    assert verify_originality(UID, signature, [*NXP_ORIGINALITY_KEYS, TEST_MAKER.public_key()])
    assert not verify_originality(bytes.fromhex("04A1B2C3D4E5F7"), signature, [TEST_MAKER.public_key()])


def test_no_trusted_key_verifies_nothing() -> None:
    assert not verify_originality(an.T30_UID, an.T30_SIGNATURE, [])


def test_keys_of_another_curve_are_skipped() -> None:
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert verify_originality(an.T30_UID, an.T30_SIGNATURE, [other, *NXP_ORIGINALITY_KEYS])


@settings(max_examples=100)
@given(st.binary(max_size=12), st.binary(max_size=70))
def test_any_bytes_give_false_never_an_exception(uid: bytes, signature: bytes) -> None:
    assert verify_originality(uid, signature, [*NXP_ORIGINALITY_KEYS, TEST_MAKER.public_key()]) is False


@settings(max_examples=50)
@given(st.binary(min_size=56, max_size=56))
def test_a_56_byte_garbage_signature_does_not_verify(signature: bytes) -> None:
    """r or s of zero, or at or above the curve's order, included."""
    assert not verify_originality(an.T30_UID, signature, NXP_ORIGINALITY_KEYS)
    assert not verify_originality(an.T30_UID, bytes(28) + signature[28:], NXP_ORIGINALITY_KEYS)
    assert not verify_originality(an.T30_UID, b"\xff" * 28 + signature[28:], NXP_ORIGINALITY_KEYS)
