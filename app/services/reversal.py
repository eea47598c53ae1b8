# SPDX-License-Identifier: GPL-3.0-or-later
"""A manager reverses an entry: a new entry that undoes what is left of it, with a reason.

What is left is the entry's effect less every reversal already written against it (returns included),
so an entry can never be undone twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.domain.balance import MemberBalance
from app.domain.errors import ClubError
from app.domain.ids import derived_id, request_entry_id
from app.domain.ledger import EntryDraft, EntryKind, LedgerEntry, clean_reason
from app.domain.staff import Action, Staff
from app.services.terminal import Terminal
from app.store import ledger
from app.store.database import Tx


@dataclass(frozen=True, slots=True)
class ReversalResult:
    entry_id: str
    reverses: str
    member_id: str
    points_delta: int
    cash_delta: int
    sale_amount: int
    balance: MemberBalance
    replayed: bool = False


def reverse_entry(
    terminal: Terminal, entry_id: str, reason: str, staff: Staff, request_id: str | None = None
) -> ReversalResult:
    """Reverse what remains of entry_id. `staff` must already be authenticated; `request_id` (a UUID)
    is the idempotency key."""
    staff.require(Action.REVERSE_ENTRY)
    reason = clean_reason(reason)
    reversal_id = terminal.new_id() if request_id is None else request_entry_id(request_id)
    with terminal.db.write() as conn:
        existing = ledger.get(conn, reversal_id)
        if existing is not None:
            if existing.reverses != entry_id or existing.kind is not EntryKind.REVERSAL:
                raise ClubError("entry_conflict", entry=reversal_id)
            return _result(existing, ledger.balance(conn, existing.member_id), replayed=True)
        target = ledger.get(conn, entry_id)
        if target is None:
            raise ClubError("unknown_entry", entry=entry_id)
        if target.kind is EntryKind.REVERSAL:
            raise ClubError("cannot_reverse_reversal", entry=entry_id)
        template = EntryDraft(
            id=reversal_id,
            created_at_us=terminal.clock.now_us(),
            branch_id=terminal.branch_id,
            member_id=target.member_id,
            kind=EntryKind.REVERSAL,
            staff_id=staff.id,
            reason=reason,
        )
        draft = _undo(conn, target, template)
        if draft is None:
            raise ClubError("already_reversed", entry=entry_id)
        drafts = [draft]
        companion = _paid_with_points(conn, target)
        if companion is not None:  # the points that paid for a reward or a card come back with it
            back = _undo(conn, companion, replace(template, id=str(derived_id(reversal_id, 1))))
            drafts += [back] if back is not None else []
        entry = ledger.append(conn, terminal.device_id, drafts)[0]
        return _result(entry, ledger.balance(conn, entry.member_id))


def _undo(conn: Tx, target: LedgerEntry, template: EntryDraft) -> EntryDraft | None:
    """The reversal (`template` gives its id, time, staff and reason) of what is left of `target`, or
    None when nothing is. An entry with no amounts of its own (a reward's unit taken) is undone once."""
    undone = ledger.reversals_of(conn, target.id)
    points = target.points_delta + sum(e.points_delta for e in undone)
    cash = target.cash_delta + sum(e.cash_delta for e in undone)
    sale = target.sale_amount + sum(e.sale_amount for e in undone)
    had_effect = (target.points_delta, target.cash_delta, target.sale_amount) != (0, 0, 0)
    if (points, cash, sale) == (0, 0, 0) and (undone or had_effect):
        return None
    return replace(
        template,
        member_id=target.member_id,
        points_delta=-points,
        cash_delta=-cash,
        sale_amount=-sale,
        invoice_ref=target.invoice_ref,
        reverses=target.id,
    )


def _paid_with_points(conn: Tx, target: LedgerEntry) -> LedgerEntry | None:
    """The redeem entry that paid for a reward or a membership card (app.services.spending)."""
    if target.kind not in (EntryKind.REWARD, EntryKind.MEMBERSHIP_PURCHASE):
        return None
    companion = ledger.get(conn, str(derived_id(target.id, 1)))
    return companion if companion is not None and companion.kind is EntryKind.REDEEM else None


def _result(entry: LedgerEntry, balance: MemberBalance, replayed: bool = False) -> ReversalResult:
    return ReversalResult(
        entry_id=entry.id,
        reverses=entry.reverses,
        member_id=entry.member_id,
        points_delta=entry.points_delta,
        cash_delta=entry.cash_delta,
        sale_amount=entry.sale_amount,
        balance=balance,
        replayed=replayed,
    )
