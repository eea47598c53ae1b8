# SPDX-License-Identifier: GPL-3.0-or-later
"""The key hierarchy of the club's NTAG 424 DNA cards, shared by the server, the terminal and the tests.

    root (32 random bytes, server_key on the server; never leaves it)
      └─ branch key (16 bytes) = AES-256-CMAC(root, LABEL ‖ role ‖ 0 ‖ branch UUID ‖ generation)
           role "read":  given (wrapped) to every terminal of the branch; its card key is the chip's
                         key 1, which answers the AES challenge at every tap;
           role "write": given only to the branch's issuing terminals; its card keys are the chip's
                         key 0 (changes keys and file settings) and keys 2-4 (unused, but never left at
                         the factory's zeros);
           └─ card key (16 bytes) = AN10922 AES-128 diversification of the branch key with
                         M = UID ‖ SYSTEM_ID ‖ key number  (18-24 bytes with 0x01: always two blocks)

A stolen terminal gives away its branch's read key: with it a thief can answer the challenge of that
branch's cards he has read (clones of cards), never sign a payload (members, balances: Ed25519, issuing
keys). Revoking a terminal starts a new generation for its branch; cards move to it when next written.

A card says which branch key it was keyed with in a second NDEF record beside its signed payload
(KEY_REF_TYPE: version, branch UUID, generation). It is not signed and need not be: it only picks the key
to try, and a wrong one fails the challenge.

Wrapping a branch key for one terminal: X25519 between an ephemeral server key and the terminal's wrap
key (made at enrolment; its private half never leaves the terminal), HKDF-SHA256, then AES-256-GCM with
the key's identity as associated data, so a wrapped key cannot be passed off as another branch's,
generation's, role's or terminal's.
"""

from __future__ import annotations

import os
import struct
import uuid
from dataclasses import dataclass
from typing import Literal

import ndef
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

Role = Literal["read", "write"]
ROLES: tuple[Role, ...] = ("read", "write")
ROOT_LENGTH = 32
KEY_LENGTH = 16
MAX_GENERATION = 0xFFFF
SYSTEM_ID = b"bashgah-card"  # AN10922's "system identifier": keeps our card keys apart from anyone else's
READ_KEY_NO = 1  # the chip's key that answers the challenge at every tap
MASTER_KEY_NO = 0  # the application master key: ChangeKey, ChangeFileSettings
SPARE_KEY_NOS = (2, 3, 4)
_LABEL = b"bashgah chip branch key\x00"
_WRAP_INFO = b"bashgah chip key wrap v1"
WRAPPED_LENGTH = 32 + 12 + KEY_LENGTH + 16  # ephemeral public key, nonce, ciphertext, tag

KEY_REF_TYPE = "application/vnd.bashgah.chip-key"
KEY_REF_VERSION = 1
_KEY_REF = struct.Struct(">B16sH")


class ChipKeyError(Exception):
    """A key, a wrapped key or a key reference that is not what it should be; the message says how."""


def new_root() -> bytes:
    return os.urandom(ROOT_LENGTH)


def _cmac(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def branch_key(root: bytes, branch_id: str, generation: int, role: Role) -> bytes:
    """The branch's 16-byte key of `role` in `generation` (1…65535): one AES-256-CMAC block of the root."""
    if len(root) != ROOT_LENGTH:
        raise ChipKeyError("the root must be 32 bytes")
    if role not in ROLES or not 1 <= generation <= MAX_GENERATION:
        raise ChipKeyError(f"no such branch key: {role} generation {generation}")
    data = _LABEL + role.encode() + b"\x00" + uuid.UUID(branch_id).bytes + generation.to_bytes(2, "big")
    return _cmac(root, data)


def diversify(key: bytes, data: bytes) -> bytes:
    """NXP AN10922 AES-128 key diversification: CMAC(key, 0x01 ‖ data) over two blocks.

    AN10922 always pads 0x01 ‖ M to 32 bytes, which is what CMAC does by itself for 17 to 31 bytes; at
    16 or fewer the two would differ, so M must be 16 to 30 bytes."""
    if len(key) != KEY_LENGTH:
        raise ChipKeyError("AN10922 AES-128 diversification takes a 16-byte key")
    if not 16 <= len(data) <= 30:
        raise ChipKeyError("AN10922 diversification input must be 16 to 30 bytes here")
    return _cmac(key, b"\x01" + data)


def card_key(branch_key_: bytes, uid: bytes, key_no: int) -> bytes:
    """The chip's own key number `key_no` (0…4), diversified from the branch key with its 7-byte UID."""
    if not 4 <= len(uid) <= 10 or not 0 <= key_no <= 4:
        raise ChipKeyError("a card key needs a 4-10 byte UID and a key number 0-4")
    return diversify(branch_key_, bytes(uid) + SYSTEM_ID + bytes([key_no]))


# --- wrapping for one terminal ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyIdentity:
    """What a wrapped key is: bound into the wrapping as associated data."""

    device_id: str
    branch_id: str
    generation: int
    role: Role

    def aad(self) -> bytes:
        return b"|".join(
            (_WRAP_INFO, self.device_id.encode(), self.branch_id.encode(), str(self.generation).encode(),
             self.role.encode())
        )  # fmt: skip


def new_wrap_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def wrap_public_bytes(private: X25519PrivateKey) -> bytes:
    return private.public_key().public_bytes_raw()


def _wrapping_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    salt = ephemeral_public + recipient_public
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_WRAP_INFO)
    return hkdf.derive(shared)


def wrap_key(key: bytes, recipient_public: bytes, identity: KeyIdentity) -> bytes:
    """`key` sealed for the terminal whose wrap public key (X25519, 32 raw bytes) is `recipient_public`."""
    if len(key) != KEY_LENGTH:
        raise ChipKeyError("only 16-byte keys are wrapped")
    try:
        recipient = X25519PublicKey.from_public_bytes(recipient_public)
    except ValueError as error:
        raise ChipKeyError(f"not an X25519 public key: {error}") from None
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(recipient)
    nonce = os.urandom(12)
    sealed = AESGCM(_wrapping_key(shared, ephemeral_public, recipient_public)).encrypt(
        nonce, key, identity.aad()
    )
    return ephemeral_public + nonce + sealed


def unwrap_key(wrapped: bytes, private: X25519PrivateKey, identity: KeyIdentity) -> bytes:
    """The key sealed by wrap_key for this terminal; ChipKeyError for anything else, never another error."""
    if len(wrapped) != WRAPPED_LENGTH:
        raise ChipKeyError("a wrapped key has the wrong length")
    ephemeral_public, nonce, sealed = wrapped[:32], wrapped[32:44], wrapped[44:]
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        recipient_public = private.public_key().public_bytes_raw()
        return AESGCM(_wrapping_key(shared, ephemeral_public, recipient_public)).decrypt(
            nonce, sealed, identity.aad()
        )
    except (InvalidTag, ValueError):
        raise ChipKeyError("the wrapped key is not for this terminal, or was altered") from None


# --- the key reference on the card -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyRef:
    """Which branch key, of which generation, a card's chip keys were diversified from."""

    branch_id: str
    generation: int


def key_ref_record(ref: KeyRef) -> ndef.Record:
    if not 1 <= ref.generation <= MAX_GENERATION:
        raise ChipKeyError("generation out of range")
    data = _KEY_REF.pack(KEY_REF_VERSION, uuid.UUID(ref.branch_id).bytes, ref.generation)
    return ndef.Record(KEY_REF_TYPE, "", data)


def key_ref_from_ndef(message: bytes) -> KeyRef | None:
    """The card's key reference, or None when it has none (a card of before issue 19) or it is garbled;
    never raises for any input."""
    try:
        records = list(ndef.message_decoder(bytes(message), errors="strict", known_types={}))
    except Exception:  # ndeflib raises DecodeError, ValueError, UnicodeError… on garbage
        return None
    ours = [r for r in records if isinstance(r.type, str) and r.type.lower() == KEY_REF_TYPE]
    if len(ours) != 1 or len(ours[0].data) != _KEY_REF.size:
        return None
    version, branch, generation = _KEY_REF.unpack(bytes(ours[0].data))
    if version != KEY_REF_VERSION or generation == 0:
        return None
    return KeyRef(str(uuid.UUID(bytes=branch)), generation)


def chip_ndef_message(card_record: ndef.Record, ref: KeyRef) -> bytes:
    """The NDEF message of a chip card: its signed payload record, then its key reference."""
    return b"".join(ndef.message_encoder([card_record, key_ref_record(ref)]))
