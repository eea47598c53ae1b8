# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a member stands in the club's programme, as the counter shows it: tier and privileges, the
paid membership, progress to the next tier and how long the tier is kept, points about to expire, and
the wallet (what is spendable now and what only from tomorrow). Read from this terminal's ledger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain import bonus, expiry, membership, tiering
from app.domain.errors import ClubError
from app.domain.expiry import Expiring
from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.member import Member
from app.domain.membership import Term
from app.domain.pricing import SaleContext, applicable_campaigns
from app.domain.programme import Campaign, MembershipPlan, QualifyingBasis, RuleSet, TierRule
from app.domain.tiering import Qualifying
from app.services.terminal import Terminal
from app.store import club, ledger, members, programme
from app.store.database import Tx


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's place in the programme now (every amount from this terminal's ledger)."""

    rules: RuleSet
    held_tier: TierRule  # earned
    tier: TierRule  # what prices a sale: the better of the earned tier and the membership's
    membership: Term | None
    plan: MembershipPlan | None
    qualifying: Qualifying
    next_tier: TierRule | None
    to_next: int | None  # points or rials by the basis; None at the top
    keep_by_us: int | None  # the earned tier is safe until then (None: the entry tier)
    expiring: Expiring | None
    wallet_rials: int
    wallet_available_rials: int
    campaigns: tuple[Campaign, ...]  # running now at this branch for this tier
    held_keys: frozenset[str] = frozenset()  # the bonus keys the member holds (app.domain.bonus)

    @property
    def basis(self) -> QualifyingBasis:
        return self.rules.qualification.basis


def standing_in(
    conn: Tx,
    rules: RuleSet,
    member: Member,
    entries: Sequence[LedgerEntry],
    *,
    branch_code: str,
    now_us: int,
    for_sale: bool = False,
    wallet_rials: int | None = None,
    held_keys: set[str] | None = None,
    qualifying: Qualifying | None = None,
    pending_rials: int | None = None,
) -> Standing:
    """The member's standing from entries already read (a sale reads them once for everything).
    `for_sale`: only what pricing a sale needs (no expiry lots, no list of campaigns: the counter's
    hot path); `wallet_rials`: the balance projection's, when `entries` are not the whole history;
    `qualifying` and `pending_rials` (the cashback not spendable before tomorrow): the day buckets', when
    `entries` hold only the kinds folded whole (app.domain.member_days)."""
    held = tiering.standing(member.tier_code, entries, member.joined_at_us)
    held_rule = _tier_or_entry(rules, member.tier_code)
    terms = membership.terms(entries, lambda v: programme.version(conn, v))
    term = membership.current(terms, now_us)
    plan = next((p for p in rules.memberships if term and p.code == term.plan_code), None)
    tier = tiering.effective_tier(rules, held_rule.code, term.tier_code if term else None)
    total = tiering.qualifying(entries, rules, now_us) if qualifying is None else qualifying
    wallet = sum(e.cash_delta for e in entries) if wallet_rials is None else wallet_rials
    pending = pending_cashback(rules, entries, now_us) if pending_rials is None else pending_rials
    # the member's own: a campaign that holds the member out is not listed (the counter shows no line for
    # it, and nothing tells the member they were left out)
    context = SaleContext(branch_code, tier.code, 0, 0, now_us, member_id=member.id)
    return Standing(
        rules=rules,
        held_tier=held_rule,
        tier=tier,
        membership=term,
        plan=plan,
        qualifying=total,
        next_tier=tiering.next_tier(rules, held_rule.code),
        to_next=tiering.to_next(rules, held_rule.code, total),
        keep_by_us=tiering.keep_by_us(rules, held) if held_rule.rank > rules.entry_tier().rank else None,
        expiring=None if for_sale else _expiring(conn, rules, entries, now_us),
        wallet_rials=wallet,
        wallet_available_rials=max(0, wallet - pending),
        campaigns=()
        if for_sale
        else tuple(c for c in applicable_campaigns(rules, context) if not c.categories)
        + tuple(c for c in _category_campaigns(rules, context)),
        held_keys=frozenset(bonus.granted_keys(entries) if held_keys is None else held_keys),
    )


def _expiring(conn: Tx, rules: RuleSet, entries: Sequence[LedgerEntry], now_us: int) -> Expiring | None:
    """Points already due (the server writes their expiry at its next run: shown as due now), else the
    next points to expire. Each expire entry took what its own rule set made due (app.domain.expiry)."""

    def days_of(version: int) -> int | None:
        return programme.version(conn, version).expiry_days

    due = expiry.due(entries, rules.expiry_days, now_us, days_of=days_of)
    if due:
        return Expiring(due, now_us)
    return expiry.next_expiring(entries, rules.expiry_days, now_us, days_of=days_of)


def _category_campaigns(rules: RuleSet, context: SaleContext) -> list[Campaign]:
    """Campaigns on a product category that run now here: shown so the cashier can name the category."""
    found: list[Campaign] = []
    for category in rules.categories:
        for c in applicable_campaigns(rules, _with_category(context, category)):
            if c.categories and c not in found:
                found.append(c)
    return found


def _with_category(context: SaleContext, category: str) -> SaleContext:
    return SaleContext(
        context.branch_code, context.tier_code, 0, 0, context.at_us, category, member_id=context.member_id
    )


def pending_cashback(rules: RuleSet, entries: Sequence[LedgerEntry], now_us: int) -> int:
    """Cashback credited today that only tomorrow can spend (when the club says so)."""
    if not rules.cashback.from_next_day:
        return 0
    today = rules.day_start_us(rules.local_date(now_us))
    return sum(
        e.cash_delta for e in entries if e.kind is EntryKind.CASHBACK_CREDIT and e.created_at_us >= today
    )


def _tier_or_entry(rules: RuleSet, code: str) -> TierRule:
    try:
        return rules.tier(code)
    except ClubError:  # a tier the club's rules no longer have
        return rules.entry_tier()


def standing(terminal: Terminal, member_id: str) -> Standing:
    """The member's standing now at this terminal's branch."""
    with terminal.db.read() as conn:
        member = members.get(conn, member_id)
        if member is None:
            raise ClubError("unknown_member", member=member_id)
        rules = programme.current(conn)
        branch = club.branch(conn, terminal.branch_id)
        entries = ledger.member_entries(conn, member_id)
        return standing_in(
            conn, rules, member, entries, branch_code=branch.code, now_us=terminal.clock.now_us()
        )
