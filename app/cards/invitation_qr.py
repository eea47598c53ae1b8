# SPDX-License-Identifier: GPL-3.0-or-later
"""An event invitation as a QR code, for guests without a card: signed like the card payload.

The text is PREFIX followed by the signed bytes in base64url without padding, e.g. `BGI1:AQD…`.
Layout, version 1 (integers unsigned big-endian):

    offset  size  field
    0       1     version = 1
    1       2     key id of the club key that signed it (a card issuing key, or the server's own)
    3       16    invitation id (UUID bytes)
    19      16    event id
    35      16    member id
    51      4     valid until, seconds since 1970-01-01 UTC (the event's end)
    55      64    Ed25519 signature over SIGNING_CONTEXT + bytes 0..54

SIGNING_CONTEXT differs from the card's, so a card signature can never pass as an invitation's or the
reverse. The door checks the signature by key id against the club's keys, the member and event against
its guest list, and admits once: a forwarded QR shows the invited member's photo to the host.
Parsing never raises anything but PayloadError, for any text.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.cards.payload import IssuingKey, PayloadError

PREFIX = "BGI1:"
VERSION = 1
SIGNING_CONTEXT = b"bashgah invitation\x00"
_BODY = struct.Struct(">BH16s16s16sI")
_SIGNATURE = 64
_LENGTH = _BODY.size + _SIGNATURE
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
_US = 1_000_000


@dataclass(frozen=True, slots=True)
class InvitationPass:
    invitation_id: str
    event_id: str
    member_id: str
    key_id: int
    valid_until_us: int


def invitation_qr_text(key: IssuingKey, invitation: InvitationPass) -> str:
    """The QR text for an invitation, signed by `key` (whose key id the pass must name)."""
    if invitation.key_id != key.key_id:
        raise ValueError("the pass names another key id than the key signing it")
    body = _BODY.pack(
        VERSION,
        key.key_id,
        uuid.UUID(invitation.invitation_id).bytes,
        uuid.UUID(invitation.event_id).bytes,
        uuid.UUID(invitation.member_id).bytes,
        min(invitation.valid_until_us // _US, 0xFFFFFFFF),
    )
    signature = Ed25519PrivateKey.from_private_bytes(key.private).sign(SIGNING_CONTEXT + body)
    return PREFIX + base64.urlsafe_b64encode(body + signature).rstrip(b"=").decode("ascii")


def is_invitation_text(text: str) -> bool:
    return isinstance(text, str) and text.strip().startswith(PREFIX)


def parse_invitation_qr(text: str) -> tuple[InvitationPass, bytes, bytes]:
    """(pass, signed bytes, signature) from a scanned text; nothing in it is trusted yet."""
    if not isinstance(text, str):
        raise PayloadError("not text")
    text = text.strip()
    body = text[len(PREFIX) :]
    if not text.startswith(PREFIX) or len(body) > 200 or not _ALPHABET.fullmatch(body):
        raise PayloadError("not an invitation QR code")
    try:
        data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as error:
        raise PayloadError("not base64url") from error
    if len(data) != _LENGTH:
        raise PayloadError("wrong length")
    version, key_id, invitation, event, member, until = _BODY.unpack(data[: _BODY.size])
    if version != VERSION:
        raise PayloadError(f"unknown version {version}")
    found = InvitationPass(
        str(uuid.UUID(bytes=invitation)),
        str(uuid.UUID(bytes=event)),
        str(uuid.UUID(bytes=member)),
        key_id,
        until * _US,
    )
    return found, data[: _BODY.size], data[_BODY.size :]


def verify_invitation_qr(text: str, public_keys: Mapping[int, bytes], now_us: int) -> InvitationPass:
    """The pass a scanned text carries, once its signature and validity hold; else PayloadError whose
    message is one of: malformed · unknown_key · bad_signature · expired."""
    try:
        found, signed, signature = parse_invitation_qr(text)
    except PayloadError as error:
        raise PayloadError("malformed") from error
    key = public_keys.get(found.key_id)
    if key is None:
        raise PayloadError("unknown_key")
    try:
        Ed25519PublicKey.from_public_bytes(bytes(key)).verify(signature, SIGNING_CONTEXT + signed)
    except (InvalidSignature, ValueError, TypeError):
        raise PayloadError("bad_signature") from None
    if now_us > found.valid_until_us:
        raise PayloadError("expired")
    return found
