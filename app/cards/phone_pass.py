# SPDX-License-Identifier: GPL-3.0-or-later
"""The member's phone as a card: a club certificate over the phone's own key, and the rotating code the
phone shows, which a terminal verifies offline with public keys only.

The member page (sync/server/portal) makes an ECDSA P-256 key pair in the browser (WebCrypto, the private
half not extractable) and the server certifies its public half for the member: the certificate is the
club's Ed25519 signature over who and which key. Each certified phone is a card of kind "phone" with a
number of its own, so losing the phone revokes that number through the revocations terminals already pull.
Every 30 seconds the page shows a new code: the certificate, the time step, and the phone's signature over
both. A copy of a code (a screenshot, a photo) is worth one time step either side of the terminal's clock:
at most a minute; a terminal admits or sells once per code (its replay cache).

Layout, version 1 (integers unsigned big-endian):

    offset  size  field
    0       2     key id of the club key that signed the certificate (the server's "phone" key)
    2       16    member id (UUID bytes)
    18      7     card number (16 decimal digits as an integer)
    25      33    the phone's public key: a compressed P-256 point (0x02/0x03 + X)
    58      2     certificate valid until: days since 1970-01-01 UTC (valid while now < that day's 00:00)
    60      64    Ed25519 signature over CERTIFICATE_CONTEXT + bytes 0..59  (the club's)
    --- the certificate ends here: 124 bytes
    124     3     time step: (unix seconds // 30) mod 2^24, read as the step nearest the terminal's clock
    127     64    ECDSA P-256 / SHA-256 signature, r || s (WebCrypto's form), over
                  CODE_CONTEXT + bytes 0..126  (the phone's)
    --- 191 bytes

The text is `8` then the 191 bytes as one big-endian integer in exactly 460 decimal digits: 461 digits.
Digits only, because a keyboard-wedge scanner types digits intact on any keyboard layout (a Persian layout
turns them into Persian digits, which are read back) while letters arrive garbled; and 461 digits are what
a version 8 QR code holds in numeric mode at error correction level L (49×49 modules): the smallest QR
this much signed data fits. The leading `8` is the version, and tells the code from a card number or a
barcode by its length.

Parsing never raises anything but PayloadError, for any text.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.cards.payload import IssuingKey, PayloadError
from app.domain.digits import to_latin_digits

VERSION_DIGIT = "8"
CERTIFICATE_CONTEXT = b"bashgah phone certificate\x00"
CODE_CONTEXT = b"bashgah phone code\x00"
STEP_SECONDS = 30
# How many steps a code may be behind or ahead of the terminal's clock: a code is good for its own step
# and the next (a screenshot is worth at most a minute), and a phone's clock a step ahead is tolerated.
STEPS_BEHIND = 1
STEPS_AHEAD = 1
STEP_MODULUS = 1 << 24

_CERT_BODY = struct.Struct(">H16s7s33sH")
CERTIFICATE_BODY_LENGTH = _CERT_BODY.size  # 60
SIGNATURE_LENGTH = 64
CERTIFICATE_LENGTH = CERTIFICATE_BODY_LENGTH + SIGNATURE_LENGTH  # 124
CODE_LENGTH = CERTIFICATE_LENGTH + 3 + SIGNATURE_LENGTH  # 191
DIGITS = 460  # 10**460 > 2**(8 * 191)
TEXT_LENGTH = 1 + DIGITS
_US = 1_000_000
_DAY_US = 86_400 * _US
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class CodeReason(StrEnum):
    """Why a phone code is refused, first failing check first (app.cards.verify maps these to verdicts)."""

    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"  # the club's signature over the certificate
    BAD_PHONE_SIGNATURE = "bad_phone_signature"  # the phone's signature over the code
    CERTIFICATE_EXPIRED = "expired"
    CODE_EXPIRED = "code_expired"  # its time step is behind the terminal's clock by more than the window
    CLOCK_OFF = "clock_off"  # its time step is ahead of the terminal's clock by more than the window


@dataclass(frozen=True, slots=True)
class PhoneCertificate:
    key_id: int
    member_id: str
    card_number: str
    public_key: bytes  # compressed P-256 point, 33 bytes
    expires_day: int  # days since 1970-01-01 UTC

    @property
    def expires_at_us(self) -> int:
        return self.expires_day * _DAY_US


@dataclass(frozen=True, slots=True)
class PhoneCode:
    """A parsed code; nothing in it is trusted until `verify_phone_code` says so."""

    certificate: PhoneCertificate
    certificate_body: bytes
    club_signature: bytes
    step: int  # mod 2^24, as carried
    signed: bytes  # bytes 0..126: what the phone signed (after CODE_CONTEXT)
    phone_signature: bytes  # r || s


# --- the certificate (the server makes it) -------------------------------------------------------


def compressed_point(public_key: bytes) -> bytes:
    """The 33-byte compressed form of a P-256 public key given compressed or uncompressed (WebCrypto's raw
    export is the 65-byte uncompressed form); ValueError when it is not a point on the curve."""
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes(public_key))
    return key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)


def expires_day(expires_at_us: int) -> int:
    """The certificate's day field for a validity end (rounded down to a day boundary)."""
    return max(0, min(0xFFFF, expires_at_us // _DAY_US))


def certificate_body(certificate: PhoneCertificate) -> bytes:
    if len(certificate.card_number) != 16 or not certificate.card_number.isdigit():
        raise ValueError("a card number is 16 digits")
    return _CERT_BODY.pack(
        certificate.key_id,
        uuid.UUID(certificate.member_id).bytes,
        int(certificate.card_number).to_bytes(7, "big"),
        compressed_point(certificate.public_key),
        certificate.expires_day,
    )


def sign_certificate(key: IssuingKey, certificate: PhoneCertificate) -> bytes:
    """The 124 certificate bytes: body and the club's signature (what the page keeps and puts in codes)."""
    if certificate.key_id != key.key_id:
        raise ValueError("the certificate names another key id than the key signing it")
    body = certificate_body(certificate)
    return body + Ed25519PrivateKey.from_private_bytes(key.private).sign(CERTIFICATE_CONTEXT + body)


def parse_certificate(data: bytes) -> PhoneCertificate:
    if len(data) < CERTIFICATE_BODY_LENGTH:
        raise PayloadError("certificate too short")
    key_id, member, number, point, day = _CERT_BODY.unpack(bytes(data[:CERTIFICATE_BODY_LENGTH]))
    serial = int.from_bytes(number, "big")
    if serial >= 10**16:
        raise PayloadError("card number out of range")
    if point[0] not in (2, 3):
        raise PayloadError("not a compressed point")
    return PhoneCertificate(key_id, str(uuid.UUID(bytes=member)), str(serial).zfill(16), point, day)


# --- the code (the phone makes it; Python makes it too, for tests and tools) ----------------------


def time_step(at_us: int) -> int:
    """The full time step of a moment (not reduced mod 2^24)."""
    return at_us // (STEP_SECONDS * _US)


def sign_code(certificate: bytes, private_key: ec.EllipticCurvePrivateKey, at_us: int) -> str:
    """The text of the code a phone holding `private_key` shows at `at_us` (what the page's script does)."""
    if len(certificate) != CERTIFICATE_LENGTH:
        raise ValueError("a certificate is 124 bytes")
    signed = bytes(certificate) + (time_step(at_us) % STEP_MODULUS).to_bytes(3, "big")
    r, s = decode_dss_signature(private_key.sign(CODE_CONTEXT + signed, ec.ECDSA(hashes.SHA256())))
    return code_text(signed + r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def code_text(data: bytes) -> str:
    if len(data) != CODE_LENGTH:
        raise ValueError("a code is 191 bytes")
    return VERSION_DIGIT + str(int.from_bytes(data, "big")).zfill(DIGITS)


def is_phone_code_text(text: object) -> bool:
    """Whether a scanned text is shaped as a phone code (a cheap test, before parsing)."""
    if not isinstance(text, str):
        return False
    text = to_latin_digits(text.strip())
    return len(text) == TEXT_LENGTH and text.isascii() and text.isdigit() and text[0] == VERSION_DIGIT


def parse_phone_code(text: str) -> PhoneCode:
    """The code a scanned text carries (Persian digits read back, white space around it ignored)."""
    if not is_phone_code_text(text):
        raise PayloadError("not a phone code")
    value = int(to_latin_digits(text.strip())[1:])
    if value >= 1 << (8 * CODE_LENGTH):
        raise PayloadError("out of range")
    data = value.to_bytes(CODE_LENGTH, "big")
    certificate = parse_certificate(data)
    return PhoneCode(
        certificate=certificate,
        certificate_body=data[:CERTIFICATE_BODY_LENGTH],
        club_signature=data[CERTIFICATE_BODY_LENGTH:CERTIFICATE_LENGTH],
        step=int.from_bytes(data[CERTIFICATE_LENGTH : CERTIFICATE_LENGTH + 3], "big"),
        signed=data[: CERTIFICATE_LENGTH + 3],
        phone_signature=data[CERTIFICATE_LENGTH + 3 :],
    )


# --- verification (the terminal, offline) ---------------------------------------------------------


def resolve_step(carried: int, now_us: int) -> int:
    """The full time step a code's 24-bit step stands for: the one nearest the terminal's clock."""
    now = time_step(now_us)
    delta = (carried - now + STEP_MODULUS // 2) % STEP_MODULUS - STEP_MODULUS // 2
    return now + delta


def window_refusal(step: int, now_us: int) -> CodeReason | None:
    """None when a code of this full step is within the window of the terminal's clock."""
    delta = step - time_step(now_us)
    if delta < -STEPS_BEHIND:
        return CodeReason.CODE_EXPIRED
    if delta > STEPS_AHEAD:
        return CodeReason.CLOCK_OFF
    return None


@dataclass(frozen=True, slots=True)
class VerifiedCode:
    certificate: PhoneCertificate
    step: int  # the full time step: with the card number, the replay cache's key


class PhoneCodeError(Exception):
    """A code refused for `reason`; `certificate` is set once the club's signature held (for the log)."""

    def __init__(self, reason: CodeReason, certificate: PhoneCertificate | None = None, detail: str = ""):
        super().__init__(detail or reason.value)
        self.reason = reason
        self.certificate = certificate


def verify_phone_code(text: str, public_keys: Mapping[int, bytes], now_us: int) -> VerifiedCode:
    """The verified code, or PhoneCodeError naming the first check that failed, in this order: the
    shape, the club key, the club's signature, the phone's signature, the certificate's expiry, the time
    window. Revocation, the replay cache and whether the member is known are the caller's (they need the
    terminal's store)."""
    try:
        code = parse_phone_code(text)
    except PayloadError as error:
        raise PhoneCodeError(CodeReason.MALFORMED, detail=str(error)) from None
    certificate = code.certificate
    club_key = public_keys.get(certificate.key_id)
    if club_key is None:
        raise PhoneCodeError(CodeReason.UNKNOWN_KEY, detail=f"key id {certificate.key_id}")
    try:
        Ed25519PublicKey.from_public_bytes(bytes(club_key)).verify(
            code.club_signature, CERTIFICATE_CONTEXT + code.certificate_body
        )
    except (InvalidSignature, ValueError, TypeError):
        raise PhoneCodeError(CodeReason.BAD_SIGNATURE, detail=f"key id {certificate.key_id}") from None
    if not _phone_signature_holds(code):
        raise PhoneCodeError(CodeReason.BAD_PHONE_SIGNATURE, certificate)
    if now_us >= certificate.expires_at_us:
        raise PhoneCodeError(CodeReason.CERTIFICATE_EXPIRED, certificate)
    step = resolve_step(code.step, now_us)
    refusal = window_refusal(step, now_us)
    if refusal is not None:
        raise PhoneCodeError(refusal, certificate, detail=f"step {step}, now {time_step(now_us)}")
    return VerifiedCode(certificate, step)


def _phone_signature_holds(code: PhoneCode) -> bool:
    r = int.from_bytes(code.phone_signature[:32], "big")
    s = int.from_bytes(code.phone_signature[32:], "big")
    if not (0 < r < _P256_ORDER and 0 < s < _P256_ORDER):
        return False
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), code.certificate.public_key)
        key.verify(encode_dss_signature(r, s), CODE_CONTEXT + code.signed, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
