# SPDX-License-Identifier: GPL-3.0-or-later
"""The member's QR code: the same signed payload as a card, as text a scanner types.

The text is PREFIX followed by the signed payload in base64url without padding, e.g. `BG1:AQEAA…`.
The prefix makes a scanner's typed line recognisable as ours; base64url keeps the text within the
characters a keyboard-wedge scanner types reliably (no `+` `/` `=`, which some layouts move). A QR
card's payload has the QR flag and no UID (see payload.py): it is its own card, revocable on its own.
Parsing never raises anything but PayloadError, for any text.
"""

from __future__ import annotations

import base64
import binascii
import re

from app.cards.payload import (
    MAX_MESSAGE_BYTES,
    CardPayload,
    CardProfile,
    IssuingKey,
    PayloadError,
    sign_payload,
)
from app.domain.errors import ClubError

PREFIX = "BG1:"
# A QR code much beyond this is too dense for a phone screen and a cheap scanner (version ~25 at
# error correction level L); a profile with a photo does not fit and belongs on a chip card.
MAX_QR_TEXT = 1000
_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")
_MAX_TEXT = len(PREFIX) + (MAX_MESSAGE_BYTES * 4 + 2) // 3


def qr_text(signed_payload: bytes) -> str:
    """The text to put in a QR code for these signed payload bytes."""
    return PREFIX + base64.urlsafe_b64encode(bytes(signed_payload)).rstrip(b"=").decode("ascii")


def payload_from_qr_text(text: str) -> bytes:
    """The signed payload bytes from a scanned text; raises only PayloadError.

    White space around the text is ignored (scanners end a scan with Enter or Tab). The base64 must be
    canonical, so each payload has exactly one text.
    """
    if not isinstance(text, str):
        raise PayloadError("not text")
    text = text.strip()
    if len(text) > _MAX_TEXT:
        raise PayloadError("text too long")
    if not text.startswith(PREFIX):
        raise PayloadError("not a club QR code")
    body = text[len(PREFIX) :]
    if not _ALPHABET.fullmatch(body) or len(body) % 4 == 1:
        raise PayloadError("not base64url")
    try:
        data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as error:
        raise PayloadError("not base64url") from error
    if qr_text(data) != PREFIX + body:
        raise PayloadError("non-canonical base64url")
    return data


def sign_qr_card(
    key: IssuingKey,
    *,
    member_id: str,
    card_number: str,
    issued_at_us: int,
    expires_at_us: int | None,
    national_id_last4: str | None = None,
    profile: CardProfile | None = None,
) -> str:
    """The QR text for a member's QR card. `card_number` is the QR's own number, not a chip card's,
    so that losing the phone or a printout revokes only the QR."""
    payload = CardPayload(
        member_id=member_id,
        card_number=card_number,
        key_id=key.key_id,
        issued_at_us=issued_at_us,
        expires_at_us=expires_at_us,
        uid=b"",
        is_qr=True,
        national_id_last4=national_id_last4,
        profile=profile,
    )
    text = qr_text(sign_payload(payload, key))
    if len(text) > MAX_QR_TEXT:
        raise ClubError("card_qr_too_large", size=len(text), limit=MAX_QR_TEXT)
    return text
