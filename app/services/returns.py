# SPDX-License-Identifier: GPL-3.0-or-later
"""Returning all or part of a sale, by its invoice.

The points the sale earned are taken back in proportion, and the points it spent are given back in
proportion (app.domain.returns). Each return writes `reversal` entries that name the sale's entries, so
what is left to return is always read from the ledger, never from a counter that could drift.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from app.domain.balance import MemberBalance
from app.domain.errors import ClubError
from app.domain.ids import derived_id, request_entry_id
from app.domain.ledger import EntryDraft, EntryKind, LedgerEntry
from app.domain.returns import SaleRecord, settle_return
from app.domain.staff import Action, Staff
from app.services.terminal import Terminal
from app.store import club, ledger, members

RETURN_REASON = "return"


@dataclass(frozen=True, slots=True)
class ReturnRequest:
    invoice_ref: str
    amount_rials: int | None = None  # None: everything not yet returned
    staff: Staff | None = None
    entry_id: str | None = None  # the idempotency key (a UUID); a new one when None


@dataclass(frozen=True, slots=True)
class ReturnResult:
    invoice_ref: str
    member_id: str
    entry_ids: list[str]
    returned_rials: int
    returnable_rials: int  # what is still left to return after this one
    points_clawed_back: int
    points_given_back: int
    balance: MemberBalance
    replayed: bool = False


def return_sale(terminal: Terminal, request: ReturnRequest) -> ReturnResult:
    if request.staff is not None:
        request.staff.require(Action.RETURN_SALE)
    return_id = terminal.new_id() if request.entry_id is None else request_entry_id(request.entry_id)
    with terminal.db.write() as conn:
        existing = ledger.get(conn, return_id)
        if existing is not None:
            return _replay(conn, existing, request)
        sale, redeem, record = sale_record(conn, request.invoice_ref)
        amount = record.returnable_rials if request.amount_rials is None else request.amount_rials
        if amount == 0 and request.amount_rials is None:
            raise ClubError("already_returned", invoice=request.invoice_ref)
        member = members.get(conn, sale.member_id)
        if member is None:
            raise ClubError("unknown_member", member=sale.member_id)
        rule = club.branch(conn, sale.branch_id).earning
        multiplier = club.tier(conn, member.tier_code).multiplier_percent
        settlement = settle_return(record, amount, lambda paid: rule.points_for(paid, multiplier))
        common = {
            "created_at_us": terminal.clock.now_us(),
            "branch_id": terminal.branch_id,
            "member_id": sale.member_id,
            "staff_id": request.staff.id if request.staff else None,
            "invoice_ref": sale.invoice_ref,
            "reason": RETURN_REASON,
            "kind": EntryKind.REVERSAL,
        }
        drafts = [
            EntryDraft(
                id=return_id,
                reverses=sale.id,
                points_delta=-settlement.claw_back_points,
                sale_amount=-settlement.returned_rials,
                **common,
            )
        ]
        if redeem is not None and settlement.give_back_points:
            drafts.append(
                EntryDraft(
                    id=str(derived_id(return_id, 1)),
                    reverses=redeem.id,
                    points_delta=settlement.give_back_points,
                    **common,
                )
            )
        entries = ledger.append(conn, terminal.device_id, drafts)
        return _result(entries, record.returnable_rials - amount, ledger.balance(conn, sale.member_id))


def sale_record(conn: Connection, invoice_ref: str) -> tuple[LedgerEntry, LedgerEntry | None, SaleRecord]:
    """The sale on an invoice, its redemption if any, and what returns have settled so far."""
    entries = ledger.for_invoice(conn, (invoice_ref or "").strip())
    sales = [e for e in entries if e.kind is EntryKind.EARN]
    if len(sales) != 1:
        raise ClubError("unknown_invoice", invoice=invoice_ref)
    sale = sales[0]
    redeem = next((e for e in entries if e.kind is EntryKind.REDEEM), None)
    undo_sale = [e for e in entries if e.reverses == sale.id]
    undo_redeem = [e for e in entries if redeem is not None and e.reverses == redeem.id]
    record = SaleRecord(
        sale_rials=sale.sale_amount,
        discount_rials=redeem.discount_rials if redeem else 0,
        earned_points=sale.points_delta,
        redeemed_points=-redeem.points_delta if redeem else 0,
        returned_rials=-sum(e.sale_amount for e in undo_sale),
        clawed_back_points=-sum(e.points_delta for e in undo_sale),
        given_back_points=sum(e.points_delta for e in undo_redeem),
    )
    return sale, redeem, record


def _result(
    entries: list[LedgerEntry], returnable: int, balance: MemberBalance, replayed: bool = False
) -> ReturnResult:
    main = entries[0]
    give_back = entries[1].points_delta if len(entries) > 1 else 0
    return ReturnResult(
        invoice_ref=main.invoice_ref or "",
        member_id=main.member_id,
        entry_ids=[e.id for e in entries],
        returned_rials=-main.sale_amount,
        returnable_rials=returnable,
        points_clawed_back=-main.points_delta,
        points_given_back=give_back,
        balance=balance,
        replayed=replayed,
    )


def _replay(conn: Connection, existing: LedgerEntry, request: ReturnRequest) -> ReturnResult:
    same = (
        existing.kind is EntryKind.REVERSAL
        and existing.reason == RETURN_REASON
        and existing.invoice_ref == (request.invoice_ref or "").strip()
        and (request.amount_rials is None or -existing.sale_amount == request.amount_rials)
    )
    if not same:
        raise ClubError("entry_conflict", entry=existing.id)
    companion = ledger.get(conn, str(derived_id(existing.id, 1)))
    entries = [existing] + ([companion] if companion else [])
    _, _, record = sale_record(conn, existing.invoice_ref or "")
    return _result(entries, record.returnable_rials, ledger.balance(conn, existing.member_id), replayed=True)
