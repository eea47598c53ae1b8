# SPDX-License-Identifier: GPL-3.0-or-later
"""Tiers that move: up at the sale that crosses a threshold, down after the period and its grace.

What counts towards a tier (the qualifying total) is what sales earned (points basis) or their amounts
(spend basis) within the rolling window, net of returns: earn entries and the reversals of sales. A member's
tier is a projection of the ledger: the last `tier_change` entry (its invoice_ref is the new tier), or
the tier they joined in. A paid membership holds a member in its plan's tier while it runs; the better
of the two is what prices a sale (`effective_tier`).

A tier reached at T is kept until T + window + grace at least; after that, a review (the server's daily
run) moves the member down to the tier their qualifying total still reaches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.programme import US_PER_DAY, QualifyingBasis, RuleSet, TierRule


@dataclass(frozen=True, slots=True)
class Qualifying:
    points: int = 0
    spend_rials: int = 0

    def total(self, basis: QualifyingBasis) -> int:
        return self.points if basis is QualifyingBasis.POINTS else self.spend_rials


@dataclass(frozen=True, slots=True)
class TierStanding:
    """A member's tier as the ledger says: which, and since when (0: since joining)."""

    code: str
    since_us: int = 0


def qualifying(entries: Iterable[LedgerEntry], rules: RuleSet, now_us: int) -> Qualifying:
    """What the member's sales within the window before now add up to: earn entries, and the reversals
    of earn entries (a return, a manager's undo); nothing else moves a tier."""
    entries = list(entries)
    since = now_us - rules.qualification.window_days * US_PER_DAY
    # a return counts against the window its sale counted in (so a window's total never needs a sale
    # made before it: a terminal reads only the window's entries)
    sales = {e.id for e in entries if e.kind is EntryKind.EARN and since < e.created_at_us <= now_us}
    points = spend = 0
    for entry in entries:
        counts = entry.kind is EntryKind.EARN or (
            entry.kind is EntryKind.REVERSAL and entry.reverses in sales
        )
        if counts and since < entry.created_at_us <= now_us:
            points += entry.points_delta
            spend += entry.sale_amount
    return Qualifying(max(0, points), max(0, spend))


def standing(joined_code: str, entries: Iterable[LedgerEntry], joined_at_us: int = 0) -> TierStanding:
    """The member's tier by the ledger: the latest tier change (by time, then id), else where they joined
    (and since when: a member placed in a tier at enrolment holds it from then)."""
    latest: LedgerEntry | None = None
    for entry in entries:
        if entry.kind is EntryKind.TIER_CHANGE and (
            latest is None or (entry.created_at_us, entry.id) > (latest.created_at_us, latest.id)
        ):
            latest = entry
    if latest is None or not latest.invoice_ref:
        return TierStanding(joined_code, joined_at_us)
    return TierStanding(latest.invoice_ref, latest.created_at_us)


def reached(rules: RuleSet, total: int) -> TierRule:
    """The highest tier whose threshold the total meets."""
    best = rules.entry_tier()
    for tier in rules.tiers:
        if total >= tier.threshold:
            best = tier
    return best


def upgrade(rules: RuleSet, current_code: str, total: Qualifying) -> TierRule | None:
    """The tier a sale lifts the member to, or None when it does not cross a higher threshold."""
    target = reached(rules, total.total(rules.qualification.basis))
    current = _known(rules, current_code)
    return target if current is None or target.rank > current.rank else None


def review(
    rules: RuleSet,
    held: TierStanding,
    total: Qualifying,
    now_us: int,
    grace_ago: Qualifying | None = None,
) -> TierRule | None:
    """The tier a member falls to at review, or None while they keep it: within a window and its grace
    of reaching it, or still qualifying now, or (`grace_ago`: the total a grace period ago) qualifying
    then — a member whose total has just dipped has the grace period to come back."""
    current = _known(rules, held.code)
    if current is None:
        return rules.entry_tier()  # a tier the club no longer has
    q = rules.qualification
    if now_us < held.since_us + (q.window_days + q.grace_days) * US_PER_DAY:
        return None
    if grace_ago is not None and grace_ago.total(q.basis) >= current.threshold:
        return None
    target = reached(rules, total.total(q.basis))
    return target if target.rank < current.rank else None


def review_member(
    rules: RuleSet, held: TierStanding, entries: Iterable[LedgerEntry], now_us: int
) -> TierRule | None:
    """`review` from the member's entries, with the grace measured from when the total fell below."""
    entries = list(entries)
    grace_us = rules.qualification.grace_days * US_PER_DAY
    now_total = qualifying(entries, rules, now_us)
    return review(rules, held, now_total, now_us, qualifying(entries, rules, now_us - grace_us))


def keep_by_us(rules: RuleSet, held: TierStanding) -> int:
    """When the grace ends: after this a review may move the member down."""
    q = rules.qualification
    return held.since_us + (q.window_days + q.grace_days) * US_PER_DAY


def next_tier(rules: RuleSet, current_code: str) -> TierRule | None:
    current = _known(rules, current_code)
    rank = -1 if current is None else current.rank
    return next((t for t in rules.tiers if t.rank > rank), None)


def to_next(rules: RuleSet, current_code: str, total: Qualifying) -> int | None:
    """What the member still needs (points or rials, by the basis) for the next tier; None at the top."""
    following = next_tier(rules, current_code)
    if following is None:
        return None
    return max(0, following.threshold - total.total(rules.qualification.basis))


def effective_tier(rules: RuleSet, held_code: str, membership_tier: str | None) -> TierRule:
    """The better of the earned tier and the tier a running paid membership holds the member in."""
    held = _known(rules, held_code) or rules.entry_tier()
    plan_tier = _known(rules, membership_tier) if membership_tier else None
    return plan_tier if plan_tier is not None and plan_tier.rank > held.rank else held


def _known(rules: RuleSet, code: str | None) -> TierRule | None:
    return next((t for t in rules.tiers if t.code == code), None)
