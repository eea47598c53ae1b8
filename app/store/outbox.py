# SPDX-License-Identifier: GPL-3.0-or-later
"""The outbox of things this terminal made besides ledger entries, and the server's answers to them.

An item is added in the same transaction as the member, card or revocation it carries, so a thing exists
exactly when its item does. An item without an `outbox_ack` row still has to reach the server; the answer
(accepted · duplicate · rejected · conflict) is written beside it, never over it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.store.schema import OutboxAckRow, OutboxItemRow

ITEM = OutboxItemRow.__table__
ACK = OutboxAckRow.__table__

MEMBER = "member"
CARD = "card"
CARD_REVOCATION = "card_revocation"
EVENT = "event"
INVITATION = "invitation"
PHONE_CODE = "phone_code"  # a phone's code accepted here (app.services.cards.accept_phone_code)
CARD_TAP = "card_tap"  # a chip card accepted here (app.services.cards.record_card_tap): clone detection
PHOTO = "photo"  # local only: photos upload on their own, resumably
PUSHED_KINDS = (MEMBER, CARD, CARD_REVOCATION, EVENT, INVITATION, PHONE_CODE, CARD_TAP)
SET_ASIDE = ("rejected", "conflict")  # outcomes that need a person to look, not a retry
SUPERSEDED = "superseded"  # a photo replaced by a newer one before it was uploaded


class WireBody(Protocol):
    """An item as the wire carries it (a sync.protocol model: the store does not import the wire)."""

    def model_dump_json(self) -> str: ...


@dataclass(frozen=True, slots=True)
class OutboxItem:
    position: int
    id: str
    kind: str
    subject: str
    body: str
    created_at_us: int

    def data(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


def add(
    conn: Connection, item_id: str, kind: str, subject: str, body: WireBody | dict[str, Any], *, at_us: int
) -> None:
    """Queue an item for the server, in the caller's transaction (the one writing the thing itself)."""
    text = json.dumps(body, sort_keys=True) if isinstance(body, dict) else body.model_dump_json()
    conn.execute(insert(ITEM).values(id=item_id, kind=kind, subject=subject, body=text, created_at_us=at_us))


def _unanswered(kinds: tuple[str, ...]) -> Any:
    return (
        select(ITEM)
        .outerjoin(ACK, ACK.c.item_id == ITEM.c.id)
        .where(ACK.c.item_id.is_(None), ITEM.c.kind.in_(kinds))
    )


def pending(conn: Connection, kinds: tuple[str, ...] = PUSHED_KINDS, limit: int = 500) -> list[OutboxItem]:
    """Items the server has not answered yet, oldest first."""
    rows = conn.execute(_unanswered(kinds).order_by(ITEM.c.position).limit(limit))
    return [OutboxItem(**dict(r._mapping)) for r in rows]


def has_pending(conn: Connection, subject: str, kinds: tuple[str, ...]) -> bool:
    """Whether this terminal still holds an unsent change to the member or card `subject`."""
    query = _unanswered(kinds).where(ITEM.c.subject == subject).limit(1)
    return conn.execute(query).first() is not None


def was_set_aside(conn: Connection, subject: str, kinds: tuple[str, ...]) -> bool:
    """Whether the server rejected (or found conflicting) an item of this terminal about `subject`."""
    query = (
        select(ITEM.c.id)
        .join(ACK, ACK.c.item_id == ITEM.c.id)
        .where(ITEM.c.subject == subject, ITEM.c.kind.in_(kinds), ACK.c.outcome.in_(SET_ASIDE))
        .limit(1)
    )
    return conn.execute(query).first() is not None


def acknowledge(
    conn: Connection,
    item_id: str,
    outcome: str,
    *,
    at_us: int,
    reason: str | None = None,
    server_seq: int | None = None,
) -> bool:
    """Record the server's answer to an item; False if it had one already (a re-sent batch)."""
    result = conn.execute(
        sqlite_insert(ACK)
        .values(
            item_id=item_id, outcome=outcome, reason=reason, server_seq=server_seq, acknowledged_at_us=at_us
        )
        .on_conflict_do_nothing(index_elements=[ACK.c.item_id])
    )
    return result.rowcount > 0


def answer(conn: Connection, item_id: str) -> tuple[str, str | None] | None:
    row = conn.execute(select(ACK.c.outcome, ACK.c.reason).where(ACK.c.item_id == item_id)).first()
    return None if row is None else (row.outcome, row.reason)


def about(conn: Connection, subject: str, kinds: tuple[str, ...]) -> list[OutboxItem]:
    """Every item of these kinds about `subject` (answered or not), oldest first."""
    rows = conn.execute(
        select(ITEM).where(ITEM.c.subject == subject, ITEM.c.kind.in_(kinds)).order_by(ITEM.c.position)
    )
    return [OutboxItem(**dict(r._mapping)) for r in rows]


def rewrite(conn: Connection, item_id: str, body: str) -> None:
    """Replace an item's body: only to take personal data out of it (an erased member's record)."""
    conn.execute(ITEM.update().where(ITEM.c.id == item_id).values(body=body))


def pending_count(conn: Connection, kinds: tuple[str, ...] = (*PUSHED_KINDS, PHOTO)) -> int:
    return conn.execute(select(func.count()).select_from(_unanswered(kinds).subquery())).scalar_one()


def set_aside(conn: Connection, limit: int = 100) -> list[tuple[OutboxItem, str, str | None]]:
    """Items the server rejected or found conflicting, with outcome and reason, newest first."""
    rows = conn.execute(
        select(ITEM, ACK.c.outcome, ACK.c.reason)
        .join(ACK, ACK.c.item_id == ITEM.c.id)
        .where(ACK.c.outcome.in_(SET_ASIDE))
        .order_by(ITEM.c.position.desc())
        .limit(limit)
    )
    result = []
    for r in rows:
        data = dict(r._mapping)
        outcome, reason = data.pop("outcome"), data.pop("reason")
        result.append((OutboxItem(**data), outcome, reason))
    return result


def set_aside_count(conn: Connection) -> int:
    return conn.execute(
        select(func.count()).select_from(ACK).where(ACK.c.outcome.in_(SET_ASIDE))
    ).scalar_one()


def highest_server_seq(conn: Connection) -> int:
    return conn.execute(select(func.coalesce(func.max(ACK.c.server_seq), 0))).scalar_one()
