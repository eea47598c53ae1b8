# SPDX-License-Identifier: GPL-3.0-or-later
"""The outbox: a message is queued in the transaction of what caused it, once per member and cause.

`queue` is one INSERT … ON CONFLICT DO NOTHING for a whole batch: the (member_id, cause) unique constraint
keeps a cause's message once whatever retries its cause (a push sent again, a daily run resumed), and a
message is never queued without its cause committed, nor a cause committed without its message.

Statuses (models.MessageRow): queued → sending (a sender claimed it; attempts counted) → sent → delivered,
or failed, cancelled (consent withdrawn, member erased, too old) and skipped (no channel reaches the
member). A message left `sending` by a killed sender is claimed again (sync.server.messages.sender).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, update

from app.domain.ids import uuid7
from sync.server.db import dialect_insert
from sync.server.models import MESSAGE

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
DELIVERED = "delivered"
FAILED = "failed"
CANCELLED = "cancelled"
SKIPPED = "skipped"
FINAL = frozenset({SENT, DELIVERED, FAILED, CANCELLED, SKIPPED})


@dataclass(frozen=True)
class Queued:
    """One message to queue: a kind, its facts, and when it may first go."""

    member_id: str
    cause: str  # unique per member: "sale:<entry id>", "tier:<entry id>", "expiring:<date>", …
    kind: str
    due_at_us: int
    params: dict[str, Any] = field(default_factory=dict)
    marketing: bool = False
    campaign_id: str | None = None


def new_id(now_us: int) -> str:
    return str(uuid7(now_us // 1000, secrets.token_bytes(10)))


def queue(conn: Connection, messages: Iterable[Queued], now_us: int) -> int:
    """Queue the messages whose (member, cause) is new, in the caller's transaction; how many were new
    (a count the caller may log; a retried cause counts 0)."""
    rows = [
        {
            "id": new_id(now_us),
            "member_id": m.member_id,
            "cause": m.cause[:120],
            "kind": m.kind,
            "marketing": m.marketing,
            "params": json.dumps(m.params, ensure_ascii=False, separators=(",", ":")),
            "campaign_id": m.campaign_id,
            "status": QUEUED,
            "attempts": 0,
            "due_at_us": m.due_at_us,
            "created_at_us": now_us,
            "status_at_us": now_us,
            "parts": 0,
            "cost_rials": 0,
        }
        for m in messages
    ]
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        return _queue_pg(conn, rows, now_us)
    statement = dialect_insert(conn, MESSAGE).on_conflict_do_nothing().returning(MESSAGE.c.id)
    return len(conn.execute(statement, rows).all())


# One statement a batch on PostgreSQL, whatever its size: the columns as arrays (binary, %b), unnested into
# rows. A push queues a message per sale in its own transaction; as a many-row VALUES the statement cost
# more than the rest of the push (bench/sync_push.py: ~140 µs an entry, against ~10 this way).
_ARRAYS = (
    ("id", "text"), ("member_id", "text"), ("cause", "text"), ("kind", "text"), ("marketing", "boolean"),
    ("params", "text"), ("campaign_id", "text"), ("due_at_us", "bigint"),
)  # fmt: skip
_QUEUE_PG = (
    f"INSERT INTO message ({', '.join(name for name, _ in _ARRAYS)},"
    " status, attempts, created_at_us, status_at_us, parts, cost_rials)"
    f" SELECT *, '{QUEUED}', 0, %b::bigint, %b::bigint, 0, 0"
    f" FROM unnest({', '.join(f'%b::{kind}[]' for _, kind in _ARRAYS)})"
    " ON CONFLICT DO NOTHING RETURNING id"
)


def _queue_pg(conn: Connection, rows: list[dict[str, Any]], now_us: int) -> int:
    columns = [[row[name] for row in rows] for name, _ in _ARRAYS]
    return len(conn.exec_driver_sql(_QUEUE_PG, (now_us, now_us, *columns)).all())


# ---- privacy (sync.server.club.privacy) ------------------------------------------------------------------

_EXPORTED = ("id", "cause", "kind", "marketing", "status", "attempts", "created_at_us", "status_at_us",
             "due_at_us", "sent_at_us", "channel", "recipient", "language", "subject", "body", "parts",
             "cost_rials", "provider", "provider_answer", "campaign_id")  # fmt: skip


def member_messages(conn: Connection, member_id: str) -> list[dict[str, Any]]:
    """The member's messages for their privacy export: what was (or will be) sent, to where, and when."""
    rows = conn.execute(
        select(MESSAGE)
        .where(MESSAGE.c.member_id == member_id)
        .order_by(MESSAGE.c.created_at_us, MESSAGE.c.id)
    )
    return [{k: getattr(r, k) for k in _EXPORTED} | {"params": json.loads(r.params or "{}")} for r in rows]


def erase_member(conn: Connection, member_id: str, now_us: int) -> int:
    """Empty the member's messages of what names or reaches them (recipient, text, facts, the provider's
    answer), keeping kind, status, times and cost for the club's accounts; what was still to go is
    cancelled. How many rows were touched."""
    conn.execute(
        update(MESSAGE)
        .where(MESSAGE.c.member_id == member_id, MESSAGE.c.status.in_((QUEUED, SENDING)))
        .values(status=CANCELLED, status_at_us=now_us)
    )
    result = conn.execute(
        update(MESSAGE)
        .where(MESSAGE.c.member_id == member_id)
        .values(recipient=None, subject="", body="", params="{}", provider_answer="member_erased")
    )
    return max(result.rowcount, 0)
