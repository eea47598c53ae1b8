# SPDX-License-Identifier: GPL-3.0-or-later
"""Originality signatures for emulated NTAG 424 DNA cards (tests only).

A genuine chip answers Read_Sig with NXP's ECDSA signature over its 7-byte UID: secp224r1, the UID used
unhashed as the message "digest", the signature sent as raw r ‖ s (28 + 28 bytes). Our emulated cards cannot
carry NXP's signature for UIDs of our choosing, so the tests sign with a deterministic TEST manufacturer key
pair instead, and the reader under test is given `TEST_PUBLIC_KEY` in place of NXP's. The one UID that does
carry NXP's own signature is AN12196's worked example (`AN12196_UID`, `AN12196_SIGNATURE`).

"Unhashed": ECDSA turns the digest into an integer e (its leftmost 224 bits); a 7-byte UID left-padded with
zeros to the curve's 28 bytes gives the same e, which is how `sign_uid` and `verify_uid` feed it to
`cryptography` as a SHA-224-sized prehashed value.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CURVE = ec.SECP224R1()
COORDINATE_LENGTH = 28
SIGNATURE_LENGTH = 2 * COORDINATE_LENGTH  # r ‖ s
_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFF16A2E0B8F03E13DD29455C5C2A3D

# NXP's originality public key for NTAG 424 DNA (uncompressed point), as AN12196 prints it.
NXP_PUBLIC_KEY_BYTES = bytes.fromhex(
    "04"
    "8A9B380AF2EE1B98DC417FECC263F8449C7625CECE82D9B916C992DA"
    "209D68422B81EC20B65A66B5102A61596AF3379200599316A00A1410"
)
# AN12196 (rev. 2.0 Table 30; rev. 1.8 §7): a genuine chip's UID and the signature its Read_Sig returned.
AN12196_UID = bytes.fromhex("04518DFAA96180")
AN12196_SIGNATURE = bytes.fromhex(
    "D1940D17CFEDA4BFF80359AB975F9F6514313E8F90C1D3CAAF5941AD"
    "744A1CDF9A83F883CAFE0FE95D1939B1B7E47113993324473B785D21"
)

# The TEST manufacturer's private scalar: fixed, so every run (and every process) signs with the same key.
_TEST_SCALAR = (
    int.from_bytes(hashlib.sha256(b"bashgah test NTAG 424 manufacturer key").digest(), "big") % (_ORDER - 1)
    + 1
)
TEST_PRIVATE_KEY = ec.derive_private_key(_TEST_SCALAR, CURVE)
TEST_PUBLIC_KEY = TEST_PRIVATE_KEY.public_key()
TEST_PUBLIC_KEY_BYTES = TEST_PUBLIC_KEY.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
NXP_PUBLIC_KEY = ec.EllipticCurvePublicKey.from_encoded_point(CURVE, NXP_PUBLIC_KEY_BYTES)

_PREHASHED = ec.ECDSA(utils.Prehashed(hashes.SHA224()))


def _as_digest(uid: bytes) -> bytes:
    if not 1 <= len(uid) <= COORDINATE_LENGTH:
        raise ValueError("a UID of 1 to 28 bytes")
    return bytes(COORDINATE_LENGTH - len(uid)) + bytes(uid)


def sign_uid(uid: bytes, private_key: ec.EllipticCurvePrivateKey = TEST_PRIVATE_KEY) -> bytes:
    """The 56-byte r ‖ s signature over `uid` (unhashed), as a chip's Read_Sig returns it."""
    r, s = utils.decode_dss_signature(private_key.sign(_as_digest(uid), _PREHASHED))
    return r.to_bytes(COORDINATE_LENGTH, "big") + s.to_bytes(COORDINATE_LENGTH, "big")


def verify_uid(uid: bytes, signature: bytes, public_key: ec.EllipticCurvePublicKey = TEST_PUBLIC_KEY) -> bool:
    """Whether `signature` (r ‖ s) is `public_key`'s over `uid`; False for anything malformed."""
    if len(signature) != SIGNATURE_LENGTH or not 1 <= len(uid) <= COORDINATE_LENGTH:
        return False
    r = int.from_bytes(signature[:COORDINATE_LENGTH], "big")
    s = int.from_bytes(signature[COORDINATE_LENGTH:], "big")
    if not (0 < r < _ORDER and 0 < s < _ORDER):
        return False
    try:
        public_key.verify(utils.encode_dss_signature(r, s), _as_digest(uid), _PREHASHED)
    except InvalidSignature:
        return False
    return True
