# SPDX-License-Identifier: GPL-3.0-or-later
"""A member's phone as a card (app.cards.phone_pass) for tests: the club's phone key registered on a
terminal as the server's key pull would, the phone's card pulled as the server publishes it, and the codes
the phone shows (signed with a real P-256 key, as the member page's WebCrypto key signs them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.cards import phone_pass
from app.cards.payload import IssuingKey, generate_issuing_key
from app.services.terminal import Terminal
from app.store import cards, replica
from sync.protocol import CardChange, RevocationChange, WireCard, WireRevocation
from sync.translate import changes_from_wire

PHONE_KEY_ID = 40  # the server's key of purpose "phone": a club key like the card keys
DAY_US = 86_400 * 1_000_000
_SEQ = iter(range(1_000_000, 2_000_000))


def phone_key(key_id: int = PHONE_KEY_ID) -> IssuingKey:
    return generate_issuing_key(key_id)


def register_key(terminal: Terminal, key: IssuingKey) -> None:
    """The club key in the terminal's club_key table, as a pulled KeyChange leaves it."""
    with terminal.db.write() as conn:
        cards.put_key(conn, key.key_id, key.public, terminal.clock.now_us(), purpose="phone")


@dataclass
class Phone:
    """One certified phone: its card number, its member, its key pair and the club's certificate."""

    member_id: str
    card_number: str
    certificate: bytes
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)

    def code(self, at_us: int) -> str:
        """The 461 digits the phone shows at `at_us` (its clock)."""
        return phone_pass.sign_code(self.certificate, self.private_key, at_us)


def make_phone(
    key: IssuingKey, member_id: str, card_number: str, *, expires_at_us: int, private_key=None
) -> Phone:
    private_key = private_key or ec.generate_private_key(ec.SECP256R1())
    point = private_key.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    certificate = phone_pass.sign_certificate(
        key,
        phone_pass.PhoneCertificate(
            key.key_id, str(uuid.UUID(member_id)), card_number, point, phone_pass.expires_day(expires_at_us)
        ),
    )
    return Phone(member_id, card_number, certificate, private_key)


def pull_phone_card(terminal: Terminal, phone: Phone, issued_at_us: int) -> None:
    """The phone's card of kind "phone" arriving by pull, as the server publishes it."""
    change = CardChange(
        seq=next(_SEQ),
        card=WireCard(
            number=phone.card_number, kind="phone", member_id=phone.member_id, issued_at_us=issued_at_us
        ),
    )
    _apply(terminal, change)


def pull_revocation(terminal: Terminal, card_number: str, revocation_id: str, at_us: int) -> None:
    """The member removed the phone on the member page: its revocation arriving by pull."""
    change = RevocationChange(
        seq=next(_SEQ),
        revocation=WireRevocation(
            id=revocation_id, card_number=card_number, status="revoked", reason="by the member", at_us=at_us
        ),
    )
    _apply(terminal, change)


def _apply(terminal: Terminal, change: CardChange | RevocationChange) -> None:
    with terminal.db.write() as conn:
        changes, at_us = changes_from_wire([change]), terminal.clock.now_us()
        replica.apply_changes(conn, changes, self_device_id=terminal.device_id, at_us=at_us)
