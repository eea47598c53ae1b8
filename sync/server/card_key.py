# SPDX-License-Identifier: GPL-3.0-or-later
"""The member QR cards the club office issues: the server's card-signing key and its card series.

A terminal issues cards from its own series (the club prefix + its three-digit device number, then a
serial) and signs them with its own key. The server had neither, so it takes both the way a terminal
does, on the first card it issues:
- its series: the server's own device (sync.server.programme, code SERVER, number -1 until now) takes the
  next free device number (sync.server.enrolment.next_device_number, under the counter row as enrolments
  take it), and keeps the prefix it makes in its `card_prefix`, as an enrolled terminal does. No terminal
  can be given that number afterwards, so no terminal's card can have a server card's number;
- its key: a signing key of purpose "card" in `server_key` (the private seed stays there, never published
  nor listed), its public half a `club_key` row published like every terminal's key, so every terminal
  and door verifies the server's cards offline as it verifies its own. It is not the invitation key
  (sync.server.invitation_key): a key signs one kind of thing.

The QR text is the terminal's own format (app.cards.qr): one codec on both ends. Ed25519 signatures are
deterministic, so a card's QR text can be made again from its row (to print it again) and is the same text.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select, update

from app.cards.payload import IssuingKey, generate_issuing_key, issuing_key_from_private
from app.cards.qr import sign_qr_card
from app.domain.card import CARD_NUMBER_LENGTH, card_number
from sync.protocol import WireKey, b64decode, b64encode
from sync.server import club, enrolment, programme
from sync.server.errors import ApiError
from sync.server.models import CARD, COUNTER, DEVICE, SERVER_KEY
from sync.server.sequence import COUNTER_ID, Publisher

PURPOSE = "card"
# as long as a terminal's cards last (app.services.enroll.CARD_VALIDITY_US; a test holds them equal)
CARD_VALIDITY_US = 3 * 365 * 24 * 3600 * 1_000_000


def _take_counter(conn: Connection) -> None:
    """The counter row's lock, as enrolments take it: key ids and device numbers one at a time."""
    conn.execute(update(COUNTER).where(COUNTER.c.id == COUNTER_ID).values(value=COUNTER.c.value))


def current_key(conn: Connection, purpose: str = PURPOSE) -> IssuingKey | None:
    row = conn.execute(
        select(SERVER_KEY.c.key_id, SERVER_KEY.c.private_key)
        .where(SERVER_KEY.c.purpose == purpose, SERVER_KEY.c.retired_at_us.is_(None))
        .order_by(SERVER_KEY.c.key_id.desc())
        .limit(1)
    ).first()
    return None if row is None else issuing_key_from_private(row.key_id, b64decode(row.private_key))


def signing_key(conn: Connection, pub: Publisher, purpose: str = PURPOSE) -> IssuingKey:
    """The server's current key for `purpose`, made (its public half published) if it has none yet."""
    key = current_key(conn, purpose)
    if key is not None:
        return key
    _take_counter(conn)
    key = current_key(conn, purpose)  # made by the transaction this one waited for
    if key is not None:
        return key
    key = generate_issuing_key(club.next_key_id(conn))
    conn.execute(
        SERVER_KEY.insert().values(
            key_id=key.key_id, purpose=purpose, private_key=b64encode(key.private), created_at_us=pub.at_us
        )
    )
    wire = WireKey(
        key_id=key.key_id, public_key=b64encode(key.public), created_at_us=pub.at_us, purpose=purpose
    )
    club.put_key(conn, pub, wire, None)
    return key


def series_prefix(conn: Connection) -> str | None:
    """The server's card series (club prefix + device number), or None before its first card."""
    prefix = conn.execute(
        select(DEVICE.c.card_prefix).where(DEVICE.c.id == programme.SERVER_DEVICE_ID)
    ).scalar_one_or_none()
    return prefix or None


def take_series(conn: Connection, pub: Publisher) -> str:
    """The server's card series, its device row locked for the rest of the transaction (so two cards
    issued at once get two serials); given a device number on first use."""
    if programme.lock_server_device(conn, pub, pub.at_us) is None:
        raise ApiError(409, "club_not_set_up", "the club has no branch yet")
    prefix = series_prefix(conn)
    if prefix is not None:
        return prefix
    _take_counter(conn)
    number = enrolment.next_device_number(conn)
    prefix = club.setting(conn, "club_card_prefix") + f"{number:03d}"
    conn.execute(
        update(DEVICE)
        .where(DEVICE.c.id == programme.SERVER_DEVICE_ID)
        .values(number=number, card_prefix=prefix)
    )
    return prefix


def next_card_number(conn: Connection, prefix: str) -> str:
    """The series' next number: after the highest card with this prefix (the caller holds the series)."""
    highest = conn.execute(
        select(func.max(CARD.c.number)).where(
            CARD.c.number.startswith(prefix, autoescape=True),
            func.length(CARD.c.number) == CARD_NUMBER_LENGTH,
        )
    ).scalar_one_or_none()
    serial = 1 if highest is None else int(highest[len(prefix) : -1]) + 1
    try:
        return card_number(prefix, serial)
    except ValueError:
        raise ApiError(409, "card_series_full", "the server's card series is used up") from None


def is_ours(prefix: str | None, number: str) -> bool:
    return prefix is not None and number.startswith(prefix) and len(number) == CARD_NUMBER_LENGTH


def qr_text(key: IssuingKey, card: Any, national_id_last4: str | None) -> str:
    """The member QR's text for a card row (number, member_id, issued_at_us, expires_at_us)."""
    return sign_qr_card(
        key,
        member_id=card.member_id,
        card_number=card.number,
        issued_at_us=card.issued_at_us,
        expires_at_us=card.expires_at_us or 0,
        national_id_last4=national_id_last4,
    )
