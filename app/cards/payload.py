# SPDX-License-Identifier: GPL-3.0-or-later
"""The signed member-card payload: its wire format, the NDEF record that carries it, and issuing.

This is a wire format written on cards that live for years: the layout below must not change without
bumping VERSION (tests/unit/cards/test_payload.py holds a test vector that fails if it does).

Layout, version 1. All integers are unsigned big-endian.

    offset  size  field
    0       1     version = 1
    1       1     flags: bit 0 QR card · bit 1 national id last 4 present · bit 2 profile present ·
                  bit 3 chip-keyed: an NTAG 424 DNA card whose chip must answer the club's AES
                  challenge (app.cards.ntag424; issue 19); bits 4-7 are zero (a reader refuses unknown
                  flags rather than guess, so a terminal of before issue 19 refuses chip-keyed cards)
    2       2     key id of the club issuing key that signed it
    4       16    member id, the UUID's 16 bytes
    20      8     card number, 16 decimal digits as packed BCD (two digits a byte, first digit high)
    28      4     issued at, seconds since 1970-01-01 UTC
    32      4     expires at, seconds since 1970-01-01 UTC; 0 = never expires
    36      1     n = length of the bound UID: 1..32 for a chip card, 0 for a QR card
    37      n     the chip's UID as the reader reports it
    if flags bit 1:
            2     national id last 4 digits, packed BCD
    if flags bit 2 (profile on card):
            1     m = length of the name in UTF-8 bytes, 1..255
            m     name, UTF-8
            4     birth date: year (2 bytes), month, day; all zero = not given
            2     p = length of the photo, 0..4096 (0 = no photo)
            p     photo, JPEG
    end-64  64    Ed25519 signature by key `key id` over SIGNING_CONTEXT + every byte before it

The signature covers the UID, so the payload copied onto another chip fails the UID check. It covers the
chip-keyed flag too: a clone cannot pass for a card of before issue 19 (which no chip check protects) by
dropping the key reference the card carries beside its payload. A QR card
has no chip to bind to: it has its own card number (distinct from the member's chip cards), which
the signature covers and which revokes it on its own. SIGNING_CONTEXT keeps a card signature from
ever being valid as any other message the same key might sign.

On a card the payload is the whole payload of ONE NDEF record of MIME type
`application/vnd.bashgah.card`, which is the whole NDEF message (what a Type 4 tag's NDEF file holds
after its 2-byte length). Parsing never raises anything but PayloadError, for any input.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from datetime import date

import ndef
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.domain.card import CARD_NUMBER_LENGTH, is_valid_card_number
from app.domain.errors import ClubError

VERSION = 1
MIME_TYPE = "application/vnd.bashgah.card"
SIGNING_CONTEXT = b"bashgah card\x00"
SIGNATURE_LENGTH = 64
MAX_UID_LENGTH = 32
MAX_NAME_BYTES = 255
MAX_PHOTO_BYTES = 4096
# Larger than any payload this version can produce; anything bigger is refused before parsing.
MAX_MESSAGE_BYTES = 16 * 1024

FLAG_QR = 0x01
FLAG_NATIONAL_ID = 0x02
FLAG_PROFILE = 0x04
FLAG_CHIP_KEYED = 0x08
_KNOWN_FLAGS = FLAG_QR | FLAG_NATIONAL_ID | FLAG_PROFILE | FLAG_CHIP_KEYED

_HEAD = struct.Struct(">BBH16s8sII")  # version … expires, the fixed part before the UID
_US = 1_000_000
_UINT32_MAX = 0xFFFFFFFF
_JPEG_START = b"\xff\xd8\xff"


class PayloadError(Exception):
    """The bytes or text are not a well-formed card payload (truncated, garbage, unknown version…).

    The message is technical detail for logs; the cashier sees the `malformed` verdict's text.
    """


@dataclass(frozen=True, slots=True)
class CardProfile:
    """What a club with *profile on card* writes so a door that never synced can still show the holder."""

    name: str
    birth_date: date | None = None
    photo_jpeg: bytes | None = None


@dataclass(frozen=True, slots=True)
class CardPayload:
    member_id: str  # canonical UUID text
    card_number: str  # 16 digits
    key_id: int
    issued_at_us: int  # whole seconds on the wire, so always a multiple of 1,000,000
    expires_at_us: int | None  # None: never expires
    uid: bytes  # the chip's UID; empty for a QR card
    is_qr: bool = False
    national_id_last4: str | None = None
    profile: CardProfile | None = None
    chip_keyed: bool = False  # an NTAG 424 DNA card keyed by the club: its chip must answer the challenge


@dataclass(frozen=True, slots=True)
class SignedPayload:
    """A decoded payload with the exact bytes its signature covers; nothing here is trusted yet."""

    payload: CardPayload
    signed: bytes  # every byte before the signature
    signature: bytes


@dataclass(frozen=True, slots=True)
class IssuingKey:
    """A club issuing key pair as raw Ed25519 bytes: 32-byte private seed and 32-byte public key."""

    key_id: int
    private: bytes
    public: bytes

    def __repr__(self) -> str:  # never print the private half into a log
        return f"IssuingKey(key_id={self.key_id}, public={self.public.hex()})"


# --- encoding -----------------------------------------------------------------------------------


def encode_payload(payload: CardPayload) -> bytes:
    """The bytes the signature covers (without SIGNING_CONTEXT). Raises ClubError for data a manager
    can fix (photo, name, card number) and ValueError for programming mistakes."""
    _check_encodable(payload)
    flags = (FLAG_QR if payload.is_qr else 0) | (FLAG_NATIONAL_ID if payload.national_id_last4 else 0)
    flags |= FLAG_PROFILE if payload.profile else 0
    flags |= FLAG_CHIP_KEYED if payload.chip_keyed else 0
    expires_s = 0 if payload.expires_at_us is None else _seconds(payload.expires_at_us)
    head = _HEAD.pack(
        VERSION,
        flags,
        payload.key_id,
        uuid.UUID(payload.member_id).bytes,
        _bcd(payload.card_number),
        _seconds(payload.issued_at_us),
        expires_s,
    )
    parts = [head, bytes([len(payload.uid)]), payload.uid]
    if payload.national_id_last4:
        parts.append(_bcd(payload.national_id_last4))
    if payload.profile:
        parts.append(_encode_profile(payload.profile))
    return b"".join(parts)


def _check_encodable(payload: CardPayload) -> None:
    number = payload.card_number
    if not (len(number) == CARD_NUMBER_LENGTH and number.isascii() and is_valid_card_number(number)):
        raise ClubError("card_number_invalid", card=payload.card_number)
    if not 0 <= payload.key_id <= 0xFFFF:
        raise ValueError("key id must fit 2 bytes")
    if payload.is_qr != (not payload.uid):
        raise ValueError("a chip card needs its UID; a QR card has none")
    if payload.is_qr and payload.chip_keyed:
        raise ValueError("a QR card has no chip to key")
    if len(payload.uid) > MAX_UID_LENGTH:
        raise ValueError(f"a UID is at most {MAX_UID_LENGTH} bytes")
    last4 = payload.national_id_last4
    if last4 is not None and (len(last4) != 4 or not last4.isdigit() or not last4.isascii()):
        raise ValueError("national id last 4 must be 4 ASCII digits")
    # Compared in whole seconds, as stored: a reader refuses expiry <= issue.
    expires = payload.expires_at_us
    if expires is not None and _seconds(expires) <= _seconds(payload.issued_at_us):
        raise ClubError("card_dates_invalid")


def _encode_profile(profile: CardProfile) -> bytes:
    name = profile.name.encode("utf-8")
    if not profile.name.strip():
        raise ClubError("invalid_name", name=profile.name)
    if len(name) > MAX_NAME_BYTES:
        raise ClubError("card_name_too_long", limit=MAX_NAME_BYTES)
    photo = profile.photo_jpeg or b""
    if len(photo) > MAX_PHOTO_BYTES:
        raise ClubError("card_photo_too_large", size=len(photo), limit=MAX_PHOTO_BYTES)
    if photo and not photo.startswith(_JPEG_START):
        raise ClubError("card_photo_invalid")
    born = profile.birth_date
    birth = struct.pack(">HBB", born.year, born.month, born.day) if born else bytes(4)
    return bytes([len(name)]) + name + birth + struct.pack(">H", len(photo)) + photo


def _seconds(at_us: int) -> int:
    seconds = at_us // _US
    if not 0 < seconds <= _UINT32_MAX:
        raise ValueError("card dates must fall between 1970 and 2106")
    return seconds


def _bcd(digits: str) -> bytes:
    return bytes(int(digits[i]) << 4 | int(digits[i + 1]) for i in range(0, len(digits), 2))


# --- decoding -----------------------------------------------------------------------------------


class _Cursor:
    """Reads fields off untrusted bytes; every read is bounds-checked, so a lying length field can
    only make it fail, never read far or wait."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, n: int, field: str) -> bytes:
        if self.at + n > len(self.data):
            raise PayloadError(f"truncated at {field}")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def byte(self, field: str) -> int:
        return self.take(1, field)[0]


def decode_signed(data: bytes) -> SignedPayload:
    """Split and decode signed payload bytes; raises PayloadError for anything malformed.

    This checks structure only: the signature is verified by `verify_signature` (or verify_card).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise PayloadError("not bytes")
    data = bytes(data)
    if len(data) > MAX_MESSAGE_BYTES:
        raise PayloadError("too large")
    if len(data) < _HEAD.size + 1 + SIGNATURE_LENGTH:
        raise PayloadError("truncated")
    signed, signature = data[:-SIGNATURE_LENGTH], data[-SIGNATURE_LENGTH:]
    return SignedPayload(_decode_body(signed), signed, signature)


def _decode_body(body: bytes) -> CardPayload:
    cursor = _Cursor(body)
    head = _HEAD.unpack(cursor.take(_HEAD.size, "head"))
    version, flags, key_id, member, number, issued_s, expires_s = head
    if version != VERSION:
        raise PayloadError(f"version {version} is not supported")
    if flags & ~_KNOWN_FLAGS:
        raise PayloadError(f"unknown flags {flags:#04x}")
    is_qr = bool(flags & FLAG_QR)
    uid = cursor.take(cursor.byte("uid length"), "uid")
    if is_qr != (not uid) or len(uid) > MAX_UID_LENGTH:
        raise PayloadError("uid does not match the card kind")
    if is_qr and flags & FLAG_CHIP_KEYED:
        raise PayloadError("a QR card cannot be chip-keyed")
    last4 = _unbcd(cursor.take(2, "national id")) if flags & FLAG_NATIONAL_ID else None
    profile = _decode_profile(cursor) if flags & FLAG_PROFILE else None
    if cursor.at != len(body):
        raise PayloadError("trailing bytes before the signature")
    if issued_s == 0 or (expires_s and expires_s <= issued_s):
        raise PayloadError("impossible dates")
    return CardPayload(
        member_id=str(uuid.UUID(bytes=member)),
        card_number=_unbcd(number),
        key_id=key_id,
        issued_at_us=issued_s * _US,
        expires_at_us=expires_s * _US if expires_s else None,
        uid=uid,
        is_qr=is_qr,
        national_id_last4=last4,
        profile=profile,
        chip_keyed=bool(flags & FLAG_CHIP_KEYED),
    )


def _decode_profile(cursor: _Cursor) -> CardProfile:
    raw_name = cursor.take(cursor.byte("name length"), "name")
    try:
        name = raw_name.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PayloadError("name is not UTF-8") from error
    if not name:
        raise PayloadError("empty name")
    year, month, day = struct.unpack(">HBB", cursor.take(4, "birth date"))
    birth_date = None
    if (year, month, day) != (0, 0, 0):
        try:
            birth_date = date(year, month, day)
        except ValueError as error:
            raise PayloadError("impossible birth date") from error
    (photo_length,) = struct.unpack(">H", cursor.take(2, "photo length"))
    if photo_length > MAX_PHOTO_BYTES:
        raise PayloadError("photo too large")
    photo = cursor.take(photo_length, "photo")
    return CardProfile(name=name, birth_date=birth_date, photo_jpeg=photo or None)


def _unbcd(raw: bytes) -> str:
    nibbles = [n for b in raw for n in (b >> 4, b & 0x0F)]
    if any(n > 9 for n in nibbles):
        raise PayloadError("not BCD digits")
    return "".join(map(str, nibbles))


# --- signatures and keys ------------------------------------------------------------------------


def sign_payload(payload: CardPayload, key: IssuingKey) -> bytes:
    """The signed payload bytes: the encoding followed by its Ed25519 signature."""
    if payload.key_id != key.key_id:
        raise ValueError("the payload names another key id than the key signing it")
    body = encode_payload(payload)
    signature = Ed25519PrivateKey.from_private_bytes(key.private).sign(SIGNING_CONTEXT + body)
    return body + signature


def verify_signature(signed: SignedPayload, public_key: bytes) -> bool:
    """Whether `public_key` (raw 32 bytes) signed these bytes. A malformed key never verifies."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes(public_key))
        key.verify(signed.signature, SIGNING_CONTEXT + signed.signed)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def public_key_is_valid(public_key: bytes) -> bool:
    """Whether raw bytes are an Ed25519 public key (a damaged key list must not look like forgery)."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes(public_key))
    except (ValueError, TypeError):
        return False
    return True


def generate_issuing_key(key_id: int) -> IssuingKey:
    """A fresh club issuing key pair (made once per club and key rotation, on the server)."""
    return issuing_key_from_private(key_id, Ed25519PrivateKey.generate().private_bytes_raw())


def issuing_key_from_private(key_id: int, private: bytes) -> IssuingKey:
    """The key pair for a stored 32-byte private seed."""
    if not 0 <= key_id <= 0xFFFF:
        raise ValueError("key id must fit 2 bytes")
    secret = Ed25519PrivateKey.from_private_bytes(bytes(private))
    return IssuingKey(key_id, bytes(private), secret.public_key().public_bytes_raw())


def private_key_pem(key: IssuingKey, password: bytes | None = None) -> bytes:
    """The private key as PKCS#8 PEM, encrypted when a password is given."""
    secret = Ed25519PrivateKey.from_private_bytes(key.private)
    protection = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return secret.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, protection)


def private_key_from_pem(key_id: int, pem: bytes, password: bytes | None = None) -> IssuingKey:
    secret = serialization.load_pem_private_key(pem, password)
    if not isinstance(secret, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return issuing_key_from_private(key_id, secret.private_bytes_raw())


def public_key_pem(public: bytes) -> bytes:
    """A raw public key as SubjectPublicKeyInfo PEM, the form terminals receive and store."""
    key = Ed25519PublicKey.from_public_bytes(bytes(public))
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_from_pem(pem: bytes) -> bytes:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key.public_bytes_raw()


# --- NDEF ---------------------------------------------------------------------------------------


def card_record(signed_payload: bytes) -> ndef.Record:
    """The NDEF record of our MIME type holding a signed payload."""
    return ndef.Record(MIME_TYPE, "", bytes(signed_payload))


def ndef_message(signed_payload: bytes) -> bytes:
    """The NDEF message holding one record of our MIME type: what goes into the NDEF file."""
    return b"".join(ndef.message_encoder([card_record(signed_payload)]))


def payload_from_ndef(message: bytes) -> bytes:
    """The signed payload bytes from an NDEF message read off a card; raises only PayloadError.

    Other records beside ours (an Android application record a phone app added, say) are ignored;
    two of ours are ambiguous and refused.
    """
    if not isinstance(message, bytes | bytearray | memoryview):
        raise PayloadError("not bytes")
    if len(message) > MAX_MESSAGE_BYTES + 512:
        raise PayloadError("NDEF message too large")
    try:
        # known_types={} keeps ndeflib from decoding other record types with their own parsers.
        records = list(ndef.message_decoder(bytes(message), errors="strict", known_types={}))
    except Exception as error:  # ndeflib raises DecodeError, but also ValueError, UnicodeError… on garbage
        raise PayloadError(f"not an NDEF message: {error}") from error
    ours = [r for r in records if isinstance(r.type, str) and r.type.lower() == MIME_TYPE]
    if len(ours) != 1:
        raise PayloadError("no club card record" if not ours else "more than one club card record")
    return bytes(ours[0].data)


# --- issuing ------------------------------------------------------------------------------------


def sign_card(
    key: IssuingKey,
    *,
    member_id: str,
    card_number: str,
    uid: bytes,
    issued_at_us: int,
    expires_at_us: int | None,
    national_id_last4: str | None = None,
    profile: CardProfile | None = None,
    chip_keyed: bool = False,
) -> bytes:
    """The NDEF message to write on a member's chip card with hardware UID `uid` (for a chip-keyed card,
    app.cards.ntag424.keys.chip_ndef_message adds its key reference: see `card_record`)."""
    if not uid:
        raise ValueError("a chip card needs its UID")
    payload = CardPayload(
        member_id=member_id,
        card_number=card_number,
        key_id=key.key_id,
        issued_at_us=issued_at_us,
        expires_at_us=expires_at_us,
        uid=bytes(uid),
        is_qr=False,
        national_id_last4=national_id_last4,
        profile=profile,
        chip_keyed=chip_keyed,
    )
    return ndef_message(sign_payload(payload, key))
