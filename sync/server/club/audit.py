# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading the audit log: who did what, when, to what, and what it was before and after.

Owners and auditors read it (Permission.AUDIT_READ), filtered by who, what and when, newest first in
pages of a fixed size (keyset on the row id: the log only grows). Reading it is itself audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from sync.server.club.access import Permission
from sync.server.club.act import Call, read
from sync.server.models import AUDIT

PAGE = 50


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str = ""  # a part of the actor's name ("user:sara", "cli", "admin:…")
    action: str = ""  # exactly ("member.adjust_points") or a prefix ending in "." ("member.")
    target: str = ""  # exactly: a member, entry or user id, a card number
    since_us: int | None = None
    until_us: int | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at_us: int
    actor: str
    action: str
    target: str | None
    detail: dict[str, Any]

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) for each field the change touched, from the detail's before and after."""
        before, after = self.detail.get("before"), self.detail.get("after")
        if not isinstance(before, dict) and not isinstance(after, dict):
            return []
        before = before if isinstance(before, dict) else {}
        after = after if isinstance(after, dict) else {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


@dataclass(frozen=True, slots=True)
class AuditPage:
    records: list[AuditRecord]
    next_before_id: int | None


def _detail(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {"raw": text}
    return value if isinstance(value, dict) else {"value": value}


def page(call: Call, wanted: AuditFilter, before_id: int | None = None, limit: int = PAGE) -> AuditPage:
    def work(conn: Connection) -> AuditPage:
        query = select(AUDIT).order_by(AUDIT.c.id.desc()).limit(limit + 1)
        if before_id is not None:
            query = query.where(AUDIT.c.id < before_id)
        if wanted.actor:
            query = query.where(AUDIT.c.actor.contains(wanted.actor, autoescape=True))
        if wanted.action.endswith("."):
            query = query.where(AUDIT.c.action.startswith(wanted.action, autoescape=True))
        elif wanted.action:
            query = query.where(AUDIT.c.action == wanted.action)
        if wanted.target:
            query = query.where(AUDIT.c.target == wanted.target)
        if wanted.since_us is not None:
            query = query.where(AUDIT.c.at_us >= wanted.since_us)
        if wanted.until_us is not None:
            query = query.where(AUDIT.c.at_us < wanted.until_us)
        rows = conn.execute(query).all()
        records = [
            AuditRecord(r.id, r.at_us, r.actor, r.action, r.target, _detail(r.detail)) for r in rows[:limit]
        ]
        return AuditPage(records, records[-1].id if len(rows) > limit else None)

    return read(call, "audit.read", wanted.target or None, work, permission=Permission.AUDIT_READ)
