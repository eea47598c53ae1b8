# SPDX-License-Identifier: GPL-3.0-or-later
"""Who did it: the staff member an entry names must exist on the server, be active, belong to the
terminal's branch (or to every branch) and have a role that allows the act; a manager's act must name one.

The terminal checked the PIN; the server cannot, but it can refuse a name that could not have done it, so
a stolen terminal cannot pass its own grants off as a manager's (app.domain.staff holds the roles).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from app.domain.bonus import kind_of
from app.domain.ledger import EntryKind
from app.domain.returns import RETURN_REASON
from app.domain.staff import ADJUST_LIMITS, PERMISSIONS, Action, Role
from sync.protocol import WireEntry
from sync.server.db import one_of
from sync.server.models import STAFF
from sync.server.vetting.batch import Batch

# what each kind of entry is, as an act; True: it must name the member of staff who did it
_ACTS: dict[EntryKind, tuple[Action, bool]] = {
    EntryKind.EARN: (Action.RECORD_SALE, False),
    EntryKind.REDEEM: (Action.RECORD_SALE, False),
    EntryKind.CASHBACK_CREDIT: (Action.RECORD_SALE, False),
    EntryKind.CASHBACK_SPEND: (Action.RECORD_SALE, False),
    EntryKind.MEMBERSHIP_PURCHASE: (Action.RECORD_SALE, False),
    EntryKind.REWARD: (Action.RECORD_SALE, False),
    EntryKind.TIER_CHANGE: (Action.RECORD_SALE, False),
    EntryKind.ADJUST: (Action.ADJUST_BALANCE, True),
    EntryKind.OVERRIDE: (Action.OVERRIDE_SPEND, True),
    EntryKind.CHECK_IN: (Action.CHECK_IN, False),
    EntryKind.GUEST_CHECK_IN: (Action.CHECK_IN, False),
}
_CHECK_INS = (EntryKind.CHECK_IN, EntryKind.GUEST_CHECK_IN)


class Staffing:
    def __init__(self, conn: Connection, branch_id: str, entries: list[WireEntry]) -> None:
        self.branch_id = branch_id
        named = {e.staff_id for e in entries if e.staff_id}
        rows = conn.execute(select(STAFF).where(one_of(conn, STAFF.c.id, named))) if named else []
        self._staff: dict[str, Any] = {r.id: r for r in rows}

    def refusal(self, entry: WireEntry, batch: Batch) -> str | None:
        action, required = act(entry, batch)
        if entry.staff_id is None:
            return "staff_required" if required else None
        member = self._staff.get(entry.staff_id)
        standing = _standing(member, self.branch_id)
        if standing is not None:
            return standing
        role = Role(member.role)
        if action not in PERMISSIONS[role]:
            return "staff_not_permitted"
        if entry.kind is EntryKind.ADJUST and abs(entry.points_delta) > ADJUST_LIMITS.get(role, 0):
            return "staff_not_permitted"  # beyond what the role may adjust (app.services.adjust)
        return None


def _standing(member: Any, branch_id: str) -> str | None:
    """Why this member of staff could not have done anything at this branch (None: they could)."""
    if member is None:
        return "staff_unknown"
    if not member.active:
        return "staff_inactive"
    if member.branch_id is not None and member.branch_id != branch_id:
        return "staff_other_branch"
    return None


def staff_refusal(conn: Connection, branch_id: str, staff_id: str | None, action: Action) -> str | None:
    """An act outside the ledger (a revocation) must name a member of staff who may do it here."""
    if staff_id is None:
        return "staff_required"
    member = conn.execute(select(STAFF).where(STAFF.c.id == staff_id)).first()
    standing = _standing(member, branch_id)
    if standing is not None:
        return standing
    return None if action in PERMISSIONS[Role(member.role)] else "staff_not_permitted"


def act(entry: WireEntry, batch: Batch) -> tuple[Action, bool]:
    """The act an entry records, and whether it must name who did it."""
    if entry.kind is EntryKind.BONUS:
        if kind_of(entry.invoice_ref or "") == "ambassador":  # a manager's grant
            return Action.ADJUST_BALANCE, True
        return Action.RECORD_SALE, False
    if entry.kind is EntryKind.REVERSAL:
        return _reversal_act(entry, batch)
    return _ACTS.get(entry.kind, (Action.RECORD_SALE, False))


def _reversal_act(entry: WireEntry, batch: Batch) -> tuple[Action, bool]:
    if entry.reason == RETURN_REASON:  # a return at the counter: a cashier's (its amounts are bounded)
        return Action.RETURN_SALE, False
    target = batch.get(entry.reverses or "")
    if target is not None and target.entry.kind in _CHECK_INS:
        return Action.MANAGE_EVENTS, True  # a manager undoes an admission at the door
    return Action.REVERSE_ENTRY, True
