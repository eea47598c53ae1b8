# SPDX-License-Identifier: GPL-3.0-or-later
"""The member's phones as cards (app.cards.phone_pass): certify a phone's key, list them, revoke one.

Each certified phone is a card of kind "phone" with its own number from the server's card series
(sync.server.card_key: the series and its lock, shared with the office's QR cards), its key and label on
the card row, published as a card change so terminals learn it; its certificate is signed with the
server's key of purpose "phone" (card_key.signing_key: private seed in `server_key`, public half a
published `club_key`). A certificate and its card run one year (`VALIDITY_DAYS`), ending on a day
boundary (the certificate counts days), the same moment on both. Revoking is the office's card revocation
(sync.server.club.member_file.revoke_card), so terminals refuse the phone after their next pull.
"""

from __future__ import annotations

import base64
import binascii
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, update

from app.cards import phone_pass
from app.domain.card import CardStatus
from sync.protocol import WireCard
from sync.server import card_key, members
from sync.server.club import member_file
from sync.server.club.access import Permission
from sync.server.club.act import Act, Call, change, read
from sync.server.errors import ApiError
from sync.server.models import CARD, MEMBER

PURPOSE = "phone"
KIND = "phone"
MAX_ACTIVE = 5
VALIDITY_DAYS = 365
LABEL_MAX = 80
REVOKED_BY_MEMBER = "revoked by the member on the member page"
_DAY_US = 86_400 * 1_000_000


@dataclass(frozen=True, slots=True)
class Certified:
    card_number: str
    certificate: bytes  # 124 bytes (phone_pass)
    expires_at_us: int


@dataclass(frozen=True, slots=True)
class Phone:
    card_number: str
    label: str
    issued_at_us: int
    expires_at_us: int | None
    status: str  # active, revoked, lost, or expired (active but past its end)


def b64url_decode(text: str) -> bytes:
    """base64url with or without padding (standard base64 too); ValueError for anything else."""
    if not isinstance(text, str) or len(text) > 200:
        raise ValueError("not base64")
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def clean_label(label: object) -> str:
    """The member's name for the phone: one line, no control or format characters, at most 80."""
    text = str(label or "")
    kept = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    return " ".join(kept.split())[:LABEL_MAX]


def public_point(public_key: str) -> bytes:
    """The 33-byte compressed point of a raw P-256 key (65 or 33 bytes, base64url); ApiError key_invalid
    when it is not one, or not on the curve."""
    try:
        raw = b64url_decode(public_key)
        if len(raw) not in (33, 65):
            raise ValueError("a P-256 public key is 65 or 33 bytes")
        return phone_pass.compressed_point(raw)
    except ValueError:
        raise ApiError(400, "key_invalid", "not a P-256 public key") from None


def _active_count(conn: Connection, member_id: str, now_us: int) -> int:
    return int(
        conn.execute(
            select(func.count()).where(
                CARD.c.member_id == member_id,
                CARD.c.kind == KIND,
                CARD.c.status == CardStatus.ACTIVE.value,
                CARD.c.expires_at_us > now_us,
            )
        ).scalar_one()
    )


def certify(call: Call, member_id: str, public_key: str, label: object) -> Certified:
    """Certify the phone's key as a new card of the member's; 409 too_many_phones at the fifth active."""
    point = public_point(public_key)
    name = clean_label(label)

    def work(act: Act) -> Certified:
        erased = act.conn.execute(select(MEMBER.c.erased_at_us).where(MEMBER.c.id == member_id)).first()
        if erased is None or erased.erased_at_us is not None:
            raise ApiError(409, "member_erased", "this member's personal data was erased")
        prefix = card_key.take_series(act.conn, act.pub)  # the server device's lock: one card at a time
        if _active_count(act.conn, member_id, act.now_us) >= MAX_ACTIVE:
            raise ApiError(409, "too_many_phones", f"at most {MAX_ACTIVE} active phones")
        key = card_key.signing_key(act.conn, act.pub, PURPOSE)
        day = phone_pass.expires_day(act.now_us + VALIDITY_DAYS * _DAY_US)
        number = card_key.next_card_number(act.conn, prefix)
        certificate = phone_pass.sign_certificate(
            key, phone_pass.PhoneCertificate(key.key_id, member_id, number, point, day)
        )
        card = WireCard(number=number, kind=KIND, member_id=member_id, issued_at_us=act.now_us,
                        expires_at_us=day * _DAY_US)  # fmt: skip
        members.put_card(act.conn, act.pub, card)
        act.conn.execute(
            update(CARD)
            .where(CARD.c.number == number)
            .values(public_key=base64.b64encode(point).decode(), label=name or None)
        )
        act.after = {"number": number, "kind": KIND, "key_id": key.key_id, "label": name}
        return Certified(number, certificate, card.expires_at_us or 0)

    return change(call, Permission.CARD_MANAGE, "card.issue_phone", member_id, work)


def _status(row: Any, now_us: int) -> str:
    ended = row.expires_at_us is not None and row.expires_at_us <= now_us
    return "expired" if row.status == CardStatus.ACTIVE.value and ended else str(row.status)


def phones_of(conn: Connection, member_id: str, now_us: int) -> list[Phone]:
    rows = conn.execute(
        select(CARD)
        .where(CARD.c.member_id == member_id, CARD.c.kind == KIND)
        .order_by(CARD.c.issued_at_us.desc(), CARD.c.number)
    )
    return [Phone(r.number, r.label or "", r.issued_at_us, r.expires_at_us, _status(r, now_us)) for r in rows]


def listing(call: Call, member_id: str) -> list[Phone]:
    return read(call, "member.phones", member_id, lambda conn: phones_of(conn, member_id, call.now_us),
                audited=False)  # fmt: skip


def revoke(call: Call, member_id: str, card_number: str) -> None:
    """Revoke one of the member's own phones (another's card, or a card that is no phone: 404)."""
    with call.db.read() as conn:
        row = conn.execute(select(CARD.c.member_id, CARD.c.kind).where(CARD.c.number == card_number)).first()
    if row is None or row.member_id != member_id or row.kind != KIND:
        raise ApiError(404, "unknown_phone", "no such phone of this member")
    try:
        member_file.revoke_card(
            call, card_number, CardStatus.REVOKED.value, REVOKED_BY_MEMBER, member_id=member_id
        )
    except ApiError as error:
        if error.code == "card_not_active":
            raise ApiError(409, "phone_not_active", "this phone is revoked already") from None
        if error.code == "unknown_card":
            raise ApiError(404, "unknown_phone", "no such phone of this member") from None
        raise
