# SPDX-License-Identifier: GPL-3.0-or-later
"""Membership cards: the printed number (Luhn-checked) and the card's life cycle."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.domain.digits import to_latin_digits

CARD_NUMBER_LENGTH = 16


class CardStatus(StrEnum):
    ACTIVE = "active"
    LOST = "lost"
    REVOKED = "revoked"


class CardKind(StrEnum):
    CARD = "card"  # a PVC/NFC card with a chip UID
    QR = "qr"  # a member QR: no chip, bound to its own number
    PHONE = "phone"  # a member's phone showing rotating codes (app.cards.phone_pass); the server makes it


@dataclass(frozen=True, slots=True)
class Card:
    number: str
    member_id: str
    issued_at_us: int
    expires_at_us: int | None
    status: CardStatus = CardStatus.ACTIVE
    uid: str | None = None  # hardware UID, hex, when the card has a chip
    payload_version: int = 1
    kind: CardKind = CardKind.CARD


def luhn_check_digit(body: str) -> str:
    """The digit that makes body + digit pass the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def normalize_card_number(raw: str) -> str:
    """Digits only (spaces and dashes as printed are dropped; Persian digits accepted)."""
    return "".join(ch for ch in to_latin_digits(raw or "") if ch.isdigit())


def is_valid_card_number(raw: str) -> bool:
    """True for a 16-digit number (spaces and dashes allowed) whose last digit is its Luhn check."""
    text = to_latin_digits(raw or "").strip()
    if not text or any(ch not in "0123456789 -" for ch in text):
        return False
    number = normalize_card_number(text)
    return len(number) == CARD_NUMBER_LENGTH and luhn_check_digit(number[:-1]) == number[-1]


def card_number(prefix: str, serial: int) -> str:
    """A printable card number: the club prefix, a zero-padded serial, and the check digit."""
    body = prefix + str(serial).zfill(CARD_NUMBER_LENGTH - 1 - len(prefix))
    if len(body) != CARD_NUMBER_LENGTH - 1 or not body.isdigit():
        raise ValueError("card serial does not fit the card number")
    return body + luhn_check_digit(body)
