# SPDX-License-Identifier: GPL-3.0-or-later
"""Bonuses that are not a sale's: the signup bonus at enrolment, a survey answered after a purchase, and
a manager's "brand ambassador" grant (app.domain.bonus decides; each is a `bonus` entry whose
invoice_ref is its key, so the server can keep each once-only key once across terminals).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain import bonus
from app.domain.errors import ClubError
from app.domain.ids import request_entry_id
from app.domain.ledger import EntryDraft, EntryKind, clean_reason
from app.domain.programme import RuleSet
from app.domain.staff import Action, Staff
from app.services.terminal import Terminal
from app.store import ledger, programme
from app.store.database import Tx


@dataclass(frozen=True, slots=True)
class BonusResult:
    entry_id: str | None  # None: the club gives nothing for it (a survey still counts as answered)
    key: str
    points: int
    points_balance: int


def signup_draft(
    conn: Tx, entry_id: str, *, member_id: str, branch_id: str, now_us: int
) -> EntryDraft | None:
    """The signup bonus for a member enrolled in this transaction, if the club gives one."""
    rules = programme.current(conn)
    grant = bonus.signup(rules, set()) if rules.version else None
    if grant is None:
        return None
    return _draft(
        rules, entry_id, grant, member_id=member_id, branch_id=branch_id, now_us=now_us, staff_id=None
    )


def _draft(
    rules: RuleSet,
    entry_id: str,
    grant: bonus.BonusGrant,
    *,
    member_id: str,
    branch_id: str,
    now_us: int,
    staff_id: str | None,
    reason: str | None = None,
) -> EntryDraft:
    return EntryDraft(
        id=entry_id,
        created_at_us=now_us,
        branch_id=branch_id,
        member_id=member_id,
        kind=EntryKind.BONUS,
        staff_id=staff_id,
        points_delta=grant.points,
        invoice_ref=grant.key,
        reason=reason,
        rules_version=rules.version or None,
    )


def rate_sale(terminal: Terminal, sale_id: str, rating: int, staff: Staff | None = None) -> BonusResult:
    """The member's rating (1–5) of a purchase, with the club's survey bonus; once per sale.

    The rating is kept as the bonus entry's reason ("rating 4"), so the club's reports read it from the
    ledger; when the club gives no survey bonus (or today's cap is reached) a zero-point entry is written,
    so the rating is not lost and the sale cannot be rated again."""
    if staff is not None:
        staff.require(Action.RECORD_SALE)
    with terminal.db.write() as conn:
        sale = ledger.get(conn, sale_id)
        if sale is None or sale.kind is not EntryKind.EARN:
            raise ClubError("unknown_entry", entry=sale_id)
        rules = programme.current(conn)
        now = terminal.clock.now_us()
        entries = ledger.member_entries(conn, sale.member_id)
        grant = bonus.survey(rules, sale_id, rating, entries, now)
        key = bonus.survey_key(sale_id)
        given = grant or bonus.BonusGrant(key, 0)
        draft = _draft(
            rules,
            terminal.new_id(),
            given,
            member_id=sale.member_id,
            branch_id=terminal.branch_id,
            now_us=now,
            staff_id=staff.id if staff else None,
            reason=f"rating {rating}",
        )
        (entry,) = ledger.append(conn, terminal.device_id, [draft])
        return BonusResult(entry.id, key, given.points, ledger.balance(conn, sale.member_id).points)


def grant_ambassador(
    terminal: Terminal,
    member_id: str,
    points: int,
    reason: str,
    staff: Staff,
    *,
    request_id: str | None = None,
) -> BonusResult:
    """A manager's grant to a brand ambassador: capped per grant and per member per 30 days, with a
    reason and the manager's name on the entry (the audit)."""
    staff.require(Action.ADJUST_BALANCE)
    reason = clean_reason(reason)
    entry_id = terminal.new_id() if request_id is None else request_entry_id(request_id)
    with terminal.db.write() as conn:
        existing = ledger.get(conn, entry_id)
        if existing is not None:
            if existing.kind is not EntryKind.BONUS or existing.points_delta != points:
                raise ClubError("entry_conflict", entry=entry_id)
            balance = ledger.balance(conn, member_id).points
            return BonusResult(entry_id, existing.invoice_ref or "", points, balance)
        rules = programme.current(conn)
        now = terminal.clock.now_us()
        grant = bonus.ambassador(rules, entry_id, points, ledger.member_entries(conn, member_id), now)
        draft = _draft(
            rules,
            entry_id,
            grant,
            member_id=member_id,
            branch_id=terminal.branch_id,
            now_us=now,
            staff_id=staff.id,
            reason=reason,
        )
        (entry,) = ledger.append(conn, terminal.device_id, [draft])
        return BonusResult(entry.id, grant.key, grant.points, ledger.balance(conn, member_id).points)
