# SPDX-License-Identifier: GPL-3.0-or-later
"""One change to the club: permission checked, one transaction, its audit row (before and after) and the
changes terminals need, published just before commit. Every back-office form and admin-API call that
changes something comes through `change`; reads of personal data come through `read`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection

from sync.server.alerts import audit
from sync.server.club.access import Actor, Permission
from sync.server.db import Database
from sync.server.sequence import Publisher

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call:
    """Where and by whom a use case runs: the database, the time of the request and the actor."""

    db: Database
    now_us: int
    actor: Actor


@dataclass(slots=True)
class Act:
    """What a use case's work gets: the transaction, the publisher, the time and who is acting. The work
    fills `before` and `after` (JSON-able) for the audit log."""

    conn: Connection
    pub: Publisher
    now_us: int
    actor: Actor
    before: Any = None
    after: Any = None
    detail: dict[str, Any] = field(default_factory=dict)


def change(
    call: Call,
    permission: Permission,
    action: str,
    target: str | None,
    work: Callable[[Act], T],
    *,
    branch_id: str | None = None,
) -> T:
    """Run `work` as the call's actor if they may, audited with what it changed, in one transaction."""
    db, now_us, actor = call.db, call.now_us, call.actor
    actor.require(permission, branch_id)

    def run(conn: Connection) -> T:
        act = Act(conn, Publisher(now_us), now_us, actor)
        result = work(act)
        audit(
            conn,
            now_us,
            actor.audit_name,
            action,
            target,
            role=actor.role,
            before=act.before,
            after=act.after,
            **act.detail,
        )
        act.pub.flush(conn)
        return result

    return db.write(run)  # type: ignore[no-any-return]


def read(
    call: Call,
    action: str,
    target: str | None,
    work: Callable[[Connection], T],
    *,
    permission: Permission = Permission.READ,
    branch_id: str | None = None,
    audited: bool = True,
) -> T:
    """A read as the call's actor; one that shows personal data is audited (`audited`), in its own write."""
    db, now_us, actor = call.db, call.now_us, call.actor
    actor.require(permission, branch_id)
    if not audited:
        with db.read() as conn:
            return work(conn)

    def run(conn: Connection) -> T:
        result = work(conn)
        audit(conn, now_us, actor.audit_name, action, target, role=actor.role)
        return result

    return db.write(run)  # type: ignore[no-any-return]
