# SPDX-License-Identifier: GPL-3.0-or-later
"""Returning all or part of a sale, by its invoice.

The points the sale earned are taken back in proportion, and the points it spent are given back in
proportion (app.domain.returns). Each return writes `reversal` entries that name the sale's entries, so
what is left to return is always read from the ledger, never from a counter that could drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from app.domain.balance import MemberBalance
from app.domain.errors import ClubError
from app.domain.ids import derived_id, request_entry_id
from app.domain.ledger import EntryDraft, EntryKind, LedgerEntry
from app.domain.pricing import SaleContext, price_sale
from app.domain.returns import RETURN_REASON, ReturnSettlement, SaleRecord, settle_return
from app.domain.staff import Action, Staff
from app.services.terminal import Terminal
from app.store import club, ledger, members, programme


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
    cashback_clawed_back: int = 0
    wallet_given_back: int = 0


def return_sale(terminal: Terminal, request: ReturnRequest) -> ReturnResult:
    if request.staff is not None:
        request.staff.require(Action.RETURN_SALE)
    return_id = terminal.new_id() if request.entry_id is None else request_entry_id(request.entry_id)
    with terminal.db.write() as conn:
        existing = ledger.get(conn, return_id)
        if existing is not None:
            return _replay(conn, existing, request)
        sale, companions, record = sale_record(conn, request.invoice_ref)
        redeem = companions.get(EntryKind.REDEEM)
        amount = record.returnable_rials if request.amount_rials is None else request.amount_rials
        if amount == 0 and request.amount_rials is None:
            raise ClubError("already_returned", invoice=request.invoice_ref)
        member = members.get(conn, sale.member_id)
        if member is None:
            raise ClubError("unknown_member", member=sale.member_id)
        settlement = settle_return(record, amount, _repricer(conn, sale, member.tier_code))
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
        drafts += _wallet_drafts(return_id, companions, settlement, common)
        entries = ledger.append(conn, terminal.device_id, drafts)
        return _result(entries, record.returnable_rials - amount, ledger.balance(conn, sale.member_id))


def _repricer(conn: Connection, sale: LedgerEntry, tier_code: str) -> Callable[[int], int]:
    """What a payment earns under the rule set that priced the sale, at the sale's time."""
    rules = programme.version(conn, sale.rules_version)
    code = club.branch(conn, sale.branch_id).code
    tier = tier_code if any(t.code == tier_code for t in rules.tiers) else rules.entry_tier().code
    member = sale.member_id
    return lambda paid: (
        price_sale(rules, SaleContext(code, tier, paid, 0, sale.created_at_us, member_id=member)).points
    )


def _wallet_drafts(
    return_id: str,
    companions: dict[EntryKind, LedgerEntry],
    settlement: ReturnSettlement,
    common: dict[str, object],
) -> list[EntryDraft]:
    """The cashback the returned part earned leaves the wallet; the wallet that paid for it comes back."""
    drafts = []
    for n, kind, delta in (
        (2, EntryKind.CASHBACK_CREDIT, -settlement.claw_back_cashback),
        (3, EntryKind.CASHBACK_SPEND, settlement.give_back_wallet),
    ):
        original = companions.get(kind)
        if original is not None and delta:
            drafts.append(
                EntryDraft(id=str(derived_id(return_id, n)), reverses=original.id, cash_delta=delta, **common)  # type: ignore[arg-type]
            )
    return drafts


_COMPANION_KINDS = (EntryKind.REDEEM, EntryKind.CASHBACK_CREDIT, EntryKind.CASHBACK_SPEND)


def sale_record(
    conn: Connection, invoice_ref: str
) -> tuple[LedgerEntry, dict[EntryKind, LedgerEntry], SaleRecord]:
    """The sale on an invoice, its redeem / cashback / wallet entries, and what returns have settled."""
    entries = ledger.for_invoice(conn, (invoice_ref or "").strip())
    sales = [e for e in entries if e.kind is EntryKind.EARN]
    if len(sales) != 1:
        raise ClubError("unknown_invoice", invoice=invoice_ref)
    sale = sales[0]
    companions = {e.kind: e for e in entries if e.kind in _COMPANION_KINDS and e.member_id == sale.member_id}

    def undone(kind: EntryKind, field: str) -> int:
        original = companions.get(kind)
        ids = {sale.id} if kind is EntryKind.EARN else {original.id} if original else set()
        return sum(getattr(e, field) for e in entries if e.reverses in ids)

    redeem = companions.get(EntryKind.REDEEM)
    credit = companions.get(EntryKind.CASHBACK_CREDIT)
    wallet = companions.get(EntryKind.CASHBACK_SPEND)
    record = SaleRecord(
        sale_rials=sale.sale_amount,
        discount_rials=(redeem.discount_rials if redeem else 0) + (wallet.discount_rials if wallet else 0),
        earned_points=sale.points_delta,
        redeemed_points=-redeem.points_delta if redeem else 0,
        returned_rials=-undone(EntryKind.EARN, "sale_amount"),
        clawed_back_points=-undone(EntryKind.EARN, "points_delta"),
        given_back_points=undone(EntryKind.REDEEM, "points_delta"),
        cashback_rials=credit.cash_delta if credit else 0,
        wallet_rials=wallet.discount_rials if wallet else 0,
        clawed_back_cashback=-undone(EntryKind.CASHBACK_CREDIT, "cash_delta"),
        given_back_wallet=undone(EntryKind.CASHBACK_SPEND, "cash_delta"),
    )
    return sale, companions, record


def _result(
    entries: list[LedgerEntry], returnable: int, balance: MemberBalance, replayed: bool = False
) -> ReturnResult:
    main = entries[0]
    give_back = sum(e.points_delta for e in entries[1:])
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
        cashback_clawed_back=-sum(min(0, e.cash_delta) for e in entries[1:]),
        wallet_given_back=sum(max(0, e.cash_delta) for e in entries[1:]),
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
    companions = [ledger.get(conn, str(derived_id(existing.id, n))) for n in (1, 2, 3)]
    entries = [existing] + [e for e in companions if e is not None]
    _, _, record = sale_record(conn, existing.invoice_ref or "")
    return _result(entries, record.returnable_rials, ledger.balance(conn, existing.member_id), replayed=True)
