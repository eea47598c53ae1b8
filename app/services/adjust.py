# SPDX-License-Identifier: GPL-3.0-or-later
"""A manual adjustment of a member's points, with a reason, within what the staff member's role allows."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.balance import MemberBalance
from app.domain.errors import ClubError
from app.domain.ids import request_entry_id
from app.domain.ledger import EntryDraft, EntryKind, clean_reason
from app.domain.staff import ADJUST_LIMITS, Action, Staff
from app.services.terminal import Terminal
from app.store import ledger, members

__all__ = ["ADJUST_LIMITS", "AdjustResult", "adjust_points"]


@dataclass(frozen=True, slots=True)
class AdjustResult:
    entry_id: str
    points_delta: int
    balance: MemberBalance
    replayed: bool = False


def adjust_points(
    terminal: Terminal,
    member_id: str,
    points_delta: int,
    reason: str,
    staff: Staff,
    *,
    request_id: str | None = None,
) -> AdjustResult:
    staff.require(Action.ADJUST_BALANCE)
    if not isinstance(points_delta, int) or isinstance(points_delta, bool) or points_delta == 0:
        raise ClubError("invalid_points", field="adjust", value=points_delta)
    limit = ADJUST_LIMITS.get(staff.role, 0)
    if abs(points_delta) > limit:
        raise ClubError("adjust_over_limit", requested=abs(points_delta), limit=limit, role=staff.role.value)
    reason = clean_reason(reason)
    entry_id = terminal.new_id() if request_id is None else request_entry_id(request_id)
    with terminal.db.write() as conn:
        existing = ledger.get(conn, entry_id)
        if existing is not None:
            if existing.kind is not EntryKind.ADJUST or existing.points_delta != points_delta:
                raise ClubError("entry_conflict", entry=entry_id)
            return AdjustResult(entry_id, points_delta, ledger.balance(conn, member_id), replayed=True)
        if members.get(conn, member_id) is None:
            raise ClubError("unknown_member", member=member_id)
        before = ledger.balance(conn, member_id)
        if before.points + points_delta < 0:
            raise ClubError("insufficient_points", requested=-points_delta, balance=before.points)
        draft = EntryDraft(
            id=entry_id,
            created_at_us=terminal.clock.now_us(),
            branch_id=terminal.branch_id,
            member_id=member_id,
            kind=EntryKind.ADJUST,
            staff_id=staff.id,
            points_delta=points_delta,
            reason=reason,
        )
        (entry,) = ledger.append(conn, terminal.device_id, [draft])
        return AdjustResult(entry.id, points_delta, before.apply(entry))
