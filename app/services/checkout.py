# SPDX-License-Identifier: GPL-3.0-or-later
"""Recording a sale: points earned on what was paid, optionally points spent as a discount.

A sale is one `earn` entry (its id is the sale's id, and it is written even when it earns nothing, since
it is also the purchase record), plus a `redeem` entry when points were spent, plus an `override` entry
when a manager let an enrolled terminal spend beyond what it may allow offline (app.services.spending).
Retrying a request with the same entry id returns the first result and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.balance import MemberBalance
from app.domain.errors import ClubError
from app.domain.ids import derived_id, request_entry_id
from app.domain.ledger import EntryDraft, EntryKind, LedgerEntry
from app.domain.money import require_points, require_rials
from app.domain.ports import SpendAuthoriser
from app.domain.staff import Action, Staff
from app.services import spending
from app.services.spending import SpendOverride
from app.services.terminal import Terminal
from app.store import club, ledger, members
from app.store.database import Tx

MAX_INVOICE_LENGTH = 64


@dataclass(frozen=True, slots=True)
class SaleRequest:
    member_id: str
    amount_rials: int
    redeem_points: int = 0
    invoice_ref: str | None = None
    staff: Staff | None = None
    entry_id: str | None = None  # the idempotency key (a UUID); a new one when None
    override: SpendOverride | None = None  # a manager's, for spending beyond the offline grant


@dataclass(frozen=True, slots=True)
class SaleResult:
    sale_id: str
    invoice_ref: str
    entry_ids: list[str]
    amount_rials: int
    discount_rials: int
    paid_rials: int
    points_earned: int
    points_redeemed: int
    balance: MemberBalance
    replayed: bool = False


def record_sale(
    terminal: Terminal, request: SaleRequest, authoriser: SpendAuthoriser | None = None
) -> SaleResult:
    """Record the sale; `authoriser` asks the club server about a redeem (enrolled terminals only)."""
    amount = require_rials(request.amount_rials, "amount", allow_zero=False)
    redeem = require_points(request.redeem_points, "redeem")
    invoice = _clean_invoice(request.invoice_ref)
    if request.staff is not None:
        request.staff.require(Action.RECORD_SALE)
    sale_id = terminal.new_id() if request.entry_id is None else request_entry_id(request.entry_id)
    # the server is asked before the transaction: no lock is held while the network answers
    permit = (
        spending.authorise_online(
            terminal,
            member_id=request.member_id,
            points=redeem,
            redeem_entry_id=str(derived_id(sale_id, 1)),
            authoriser=authoriser,
        )
        if redeem
        else spending.NOTHING_SPENT
    )
    # a sale is the counter's hot path: the bare-driver transaction (see Database.write_driver)
    with terminal.db.write_driver() as conn:
        existing = ledger.get(conn, sale_id)
        if existing is not None:
            return _replay(conn, existing, request)
        member = members.get(conn, request.member_id)
        if member is None:
            raise ClubError("unknown_member", member=request.member_id)
        branch = club.branch(conn, terminal.branch_id)
        tier = club.tier(conn, member.tier_code)
        before = ledger.balance(conn, member.id)
        discount = branch.redemption.check(redeem, amount, before.points) if redeem else 0
        earned = branch.earning.points_for(amount - discount, tier.multiplier_percent)
        at = ledger.head(conn, terminal.device_id)
        if invoice is None:
            invoice = f"{terminal.device_code}-{at[0] + 1:06d}"
        elif ledger.invoice_in_use(conn, invoice):
            raise ClubError("invoice_in_use", invoice=invoice)
        now = terminal.clock.now_us()
        common = {
            "created_at_us": now,
            "branch_id": branch.id,
            "member_id": member.id,
            "staff_id": request.staff.id if request.staff else None,
            "invoice_ref": invoice,
        }
        drafts = [
            EntryDraft(id=sale_id, kind=EntryKind.EARN, points_delta=earned, sale_amount=amount, **common)
        ]
        if redeem:
            drafts.append(
                EntryDraft(
                    id=str(derived_id(sale_id, 1)),
                    kind=EntryKind.REDEEM,
                    points_delta=-redeem,
                    discount_rials=discount,
                    **common,
                )
            )
            drafts += spending.spend_drafts(
                conn, terminal, permit, sale_id=sale_id, redeem=drafts[-1], override=request.override
            )
        entries = ledger.append(conn, terminal.device_id, drafts, at)
        after = before
        for entry in entries:  # what the projection now holds, without reading it back
            after = after.apply(entry)
        return _result(entries, after)


def _clean_invoice(raw: str | None) -> str | None:
    if raw is None:
        return None
    invoice = raw.strip()
    if not invoice or len(invoice) > MAX_INVOICE_LENGTH or not invoice.isprintable():
        raise ClubError("invalid_invoice", invoice=raw)
    return invoice


def _result(entries: list[LedgerEntry], balance: MemberBalance, replayed: bool = False) -> SaleResult:
    sale = entries[0]
    redeem = entries[1] if len(entries) > 1 else None
    discount = redeem.discount_rials if redeem else 0
    return SaleResult(
        sale_id=sale.id,
        invoice_ref=sale.invoice_ref or "",
        entry_ids=[e.id for e in entries],
        amount_rials=sale.sale_amount,
        discount_rials=discount,
        paid_rials=sale.sale_amount - discount,
        points_earned=sale.points_delta,
        points_redeemed=-redeem.points_delta if redeem else 0,
        balance=balance,
        replayed=replayed,
    )


def _replay(conn: Tx, existing: LedgerEntry, request: SaleRequest) -> SaleResult:
    """The same request again: answer as before; a different request under the same id is refused."""
    redeem_entry = ledger.get(conn, str(derived_id(existing.id, 1)))
    redeemed = -redeem_entry.points_delta if redeem_entry else 0
    same = (
        existing.kind is EntryKind.EARN
        and existing.member_id == request.member_id
        and existing.sale_amount == request.amount_rials
        and redeemed == request.redeem_points
        and (request.invoice_ref is None or request.invoice_ref.strip() == existing.invoice_ref)
    )
    if not same:
        raise ClubError("entry_conflict", entry=existing.id)
    override_entry = ledger.get(conn, str(derived_id(existing.id, spending.OVERRIDE_ENTRY)))
    entries = [e for e in (existing, redeem_entry, override_entry) if e is not None]
    return _result(entries, ledger.balance(conn, existing.member_id), replayed=True)
