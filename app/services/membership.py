# SPDX-License-Identifier: GPL-3.0-or-later
"""Buying a paid membership card at the counter, optionally with points off (app.domain.membership).

One `membership_purchase` entry (invoice_ref the plan; sale_amount what was paid; discount_rials what the
points took off) and, when points were used, a `redeem` entry: the offline grant and the server's
authorisation see it like any other spending (app.services.spending). Idempotent by request id.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain import membership
from app.domain.errors import ClubError
from app.domain.ids import derived_id, request_entry_id
from app.domain.ledger import EntryDraft, EntryKind
from app.domain.membership import PlanPrice, Term
from app.domain.ports import SpendAuthoriser
from app.domain.staff import Action, Staff
from app.services import spending
from app.services.spending import SpendOverride
from app.services.terminal import Terminal
from app.store import ledger, members, programme
from app.store.database import Tx


@dataclass(frozen=True, slots=True)
class MembershipResult:
    entry_id: str
    price: PlanPrice
    term: Term  # the running term after this purchase (a renewal shows the extended end)
    points_balance: int
    replayed: bool = False


def quote(terminal: Terminal, member_id: str, plan_code: str, points: int) -> PlanPrice:
    """What the member would pay for the plan with these points (nothing is written)."""
    with terminal.db.read() as conn:
        plan = programme.current(conn).plan(plan_code)
        return membership.price(plan, points, ledger.balance(conn, member_id).points)


def buy_membership(
    terminal: Terminal,
    member_id: str,
    plan_code: str,
    *,
    points: int = 0,
    staff: Staff | None = None,
    request_id: str | None = None,
    override: SpendOverride | None = None,
    authoriser: SpendAuthoriser | None = None,
) -> MembershipResult:
    if staff is not None:
        staff.require(Action.RECORD_SALE)
    entry_id = terminal.new_id() if request_id is None else request_entry_id(request_id)
    permit = (
        spending.authorise_online(
            terminal,
            member_id=member_id,
            points=points,
            redeem_entry_id=str(derived_id(entry_id, 1)),
            authoriser=authoriser,
        )
        if points
        else spending.NOTHING_SPENT
    )
    with terminal.db.write_driver() as conn:
        existing = ledger.get(conn, entry_id)
        if existing is not None:
            same = existing.kind is EntryKind.MEMBERSHIP_PURCHASE and existing.member_id == member_id
            if not same or existing.invoice_ref != plan_code:
                raise ClubError("entry_conflict", entry=entry_id)
            return _result(conn, entry_id, member_id, replayed=True)
        if members.get(conn, member_id) is None:
            raise ClubError("unknown_member", member=member_id)
        rules = programme.current(conn)
        price = membership.price(rules.plan(plan_code), points, ledger.balance(conn, member_id).points)
        purchase = EntryDraft(
            id=entry_id,
            created_at_us=terminal.clock.now_us(),
            branch_id=terminal.branch_id,
            member_id=member_id,
            kind=EntryKind.MEMBERSHIP_PURCHASE,
            staff_id=staff.id if staff else None,
            sale_amount=price.pay_rials,
            discount_rials=price.discount_rials,
            invoice_ref=plan_code,
            rules_version=rules.version or None,
        )
        drafts = [purchase]
        drafts += spending.redeem_drafts(
            conn,
            terminal,
            permit,
            primary=purchase,
            points=price.points_used,
            discount_rials=price.discount_rials,
            override=override,
        )
        ledger.append(conn, terminal.device_id, drafts)
        return _result(conn, entry_id, member_id)


def _result(conn: Tx, entry_id: str, member_id: str, *, replayed: bool = False) -> MembershipResult:
    purchase = ledger.get(conn, entry_id)
    redeem = ledger.get(conn, str(derived_id(entry_id, 1)))
    if purchase is None:
        raise ClubError("unknown_entry", entry=entry_id)
    entries = ledger.member_entries(conn, member_id)
    terms = membership.terms(entries, lambda v: programme.version(conn, v))
    term = membership.current(terms, purchase.created_at_us) or terms[-1]
    points_used = -redeem.points_delta if redeem else 0
    price = PlanPrice(
        purchase.invoice_ref or "",
        purchase.sale_amount + purchase.discount_rials,
        points_used,
        purchase.discount_rials,
    )
    balance = ledger.balance(conn, member_id).points
    return MembershipResult(entry_id, price, term, balance, replayed)
