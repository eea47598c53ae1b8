# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo club's chip cards: an issuing key, a pretend chip UID on every card, and signed taps.

`make run` has no card reader; the simulated reader taps these cards with payloads signed exactly as a
real card's, so the demo exercises the same verification path a real tap does.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from app.cards.payload import sign_card
from app.domain.card import CardKind, CardStatus
from app.domain.errors import ClubError
from app.services.issuing_key import create_issuing_key, load_issuing_key
from app.services.terminal import Terminal
from app.store import cards, members
from app.store.members import CARD

DEMO_KEY_ID = 1


def demo_uid(card_number: str) -> bytes:
    """A 7-byte NXP-style UID (0x04 manufacturer byte) that is the same for a card number every time."""
    return b"\x04" + hashlib.sha256(card_number.encode()).digest()[:6]


def equip_demo_cards(terminal: Terminal) -> int:
    """Create the demo's issuing key and bind a chip UID to every active chip card; returns how many."""
    create_issuing_key(terminal, DEMO_KEY_ID)
    with terminal.db.write() as conn:
        numbers = (
            conn.execute(
                select(CARD.c.number).where(
                    CARD.c.kind == CardKind.CARD.value,
                    CARD.c.status == CardStatus.ACTIVE.value,
                    CARD.c.uid.is_(None),
                )
            )
            .scalars()
            .all()
        )
        for number in numbers:
            cards.bind_uid(conn, number, demo_uid(number).hex())
    return len(numbers)


def demo_tap(terminal: Terminal, card_number: str) -> tuple[bytes, bytes]:
    """(UID, NDEF message) of a demo card, as its chip would answer a reader."""
    key = load_issuing_key(terminal)
    with terminal.db.read() as conn:
        card = cards.card(conn, card_number)
        if card is None or card.uid is None:
            raise ClubError("unknown_card", card=card_number)
        member = members.get(conn, card.member_id)
    assert member is not None  # a card row always names a member (foreign key)
    uid = bytes.fromhex(card.uid)
    ndef = sign_card(
        key,
        member_id=member.id,
        card_number=card.number,
        uid=uid,
        issued_at_us=card.issued_at_us,
        expires_at_us=card.expires_at_us or 0,
        national_id_last4=member.national_id_last4,
    )
    return uid, ndef


def demo_card_numbers(terminal: Terminal, limit: int = 50) -> list[str]:
    """Active demo chip cards, in a stable order, for the simulated reader to tap in turn."""
    with terminal.db.read() as conn:
        return list(
            conn.execute(
                select(CARD.c.number)
                .where(CARD.c.uid.is_not(None), CARD.c.status == CardStatus.ACTIVE.value)
                .order_by(CARD.c.number)
                .limit(limit)
            ).scalars()
        )
