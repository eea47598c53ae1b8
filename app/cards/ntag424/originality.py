# SPDX-License-Identifier: GPL-3.0-or-later
"""NXP's originality signature of NTAG 424 DNA (NT4H2421Gx §10.13; NXP AN12196 "Asymmetric check").

The chip holds an ECDSA signature over its 7-byte UID on secp224r1, made at NXP's factory, and gives it
to anyone with Read_Sig as r ‖ s (28 + 28 bytes). The UID is signed as it is, without hashing: ECDSA's
integer e is then the UID read as a big-endian number (it is shorter than the curve's 224 bits, so
nothing is cut). `cryptography` verifies only hashes, but takes a pre-hashed 28-byte "SHA-224 digest"
as the integer it is: 21 zero bytes ‖ UID is that same e. So the check is `cryptography`'s own ECDSA
verification (constant-time and well-kept), with no curve arithmetic of ours.

A signature proves that NXP made a chip with this UID: it stops blank cards and "magic" cards with a
written UID, not a replay of a genuine card's UID and signature (only the AES challenge stops that).

Tests and the emulator cannot be signed by NXP; they trust their own test manufacturer key besides
(`trusted` is always the caller's choice; production passes NXP_ORIGINALITY_KEYS).
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    decode_dss_signature,
    encode_dss_signature,
)

SIGNATURE_LENGTH = 56
_HALF = SIGNATURE_LENGTH // 2
_DIGEST_LENGTH = 28  # SHA-224's size: what Prehashed(SHA224) takes, and secp224r1's order in bytes
_CURVE = ec.SECP224R1()
_ALGORITHM = ec.ECDSA(Prehashed(hashes.SHA224()))

# NXP's NTAG 424 DNA originality public key (uncompressed point 04 ‖ X ‖ Y), as AN12196 prints it beside
# its worked example (UID 04518DFAA96180, which tests/unit/cards/ntag424 verifies with this key).
NXP_NTAG424_ORIGINALITY_KEY = bytes.fromhex(
    "04"
    "8A9B380AF2EE1B98DC417FECC263F8449C7625CECE82D9B916C992DA"
    "209D68422B81EC20B65A66B5102A61596AF3379200599316A00A1410"
)


def public_key_from_point(point: bytes) -> ec.EllipticCurvePublicKey:
    """A secp224r1 public key from its encoded point; ValueError when it is not one."""
    return ec.EllipticCurvePublicKey.from_encoded_point(_CURVE, point)


NXP_ORIGINALITY_KEYS: tuple[ec.EllipticCurvePublicKey, ...] = (
    public_key_from_point(NXP_NTAG424_ORIGINALITY_KEY),
)


def _as_digest(uid: bytes) -> bytes:
    return bytes(_DIGEST_LENGTH - len(uid)) + uid


def verify_originality(uid: bytes, signature: bytes, trusted: Iterable[ec.EllipticCurvePublicKey]) -> bool:
    """True when `signature` (r ‖ s) over `uid` verifies under one of the `trusted` keys; False for
    anything else, whatever the bytes (it never raises for a card's answer)."""
    if len(signature) != SIGNATURE_LENGTH or not 4 <= len(uid) <= 10:
        return False
    r, s = int.from_bytes(signature[:_HALF], "big"), int.from_bytes(signature[_HALF:], "big")
    if r == 0 or s == 0:
        return False
    der = encode_dss_signature(r, s)
    for key in trusted:
        if not isinstance(key.curve, ec.SECP224R1):
            continue
        try:
            key.verify(der, _as_digest(uid), _ALGORITHM)
        except (InvalidSignature, ValueError):
            continue
        return True
    return False


def sign_uid(private_key: ec.EllipticCurvePrivateKey, uid: bytes) -> bytes:
    """A manufacturer's signature over `uid`, as the chip gives it: for tests and emulated cards only."""
    r, s = decode_dss_signature(private_key.sign(_as_digest(uid), _ALGORITHM))
    return r.to_bytes(_HALF, "big") + s.to_bytes(_HALF, "big")
