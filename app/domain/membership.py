# SPDX-License-Identifier: GPL-3.0-or-later
"""Paid membership cards: the price after points, and the term each purchase buys.

Points buy a plan down in whole steps (the seed: each 100 points take 10 % off a 10,000,000-Toman silver
card; 300 points make it 7,000,000), up to the plan's cap. A purchase is a `membership_purchase` entry:
invoice_ref the plan, sale_amount what was paid, discount_rials what the points took off, points_delta
the points used. A purchase of the plan the member holds renews it from the end of the running term;
another plan starts now and replaces it. Terms are folded from the entries with each entry's own rule
set version, so a later change of a plan's duration never rewrites a term already sold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.domain.errors import ClubError
from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.money import require_points
from app.domain.programme import US_PER_DAY, MembershipPlan, RuleSet


@dataclass(frozen=True, slots=True)
class PlanPrice:
    plan_code: str
    list_rials: int
    points_used: int
    discount_rials: int

    @property
    def pay_rials(self) -> int:
        return self.list_rials - self.discount_rials


@dataclass(frozen=True, slots=True)
class Term:
    plan_code: str
    starts_us: int
    ends_us: int
    tier_code: str | None

    def running(self, now_us: int) -> bool:
        return self.starts_us <= now_us < self.ends_us


def max_points(plan: MembershipPlan, balance_points: int) -> int:
    """The most points (whole steps) that may go towards the plan."""
    steps_cap = plan.max_discount_percent // plan.percent_per_step if plan.percent_per_step else 0
    steps = min(max(0, balance_points) // plan.points_step, steps_cap)
    return steps * plan.points_step


def price(plan: MembershipPlan, points: int, balance_points: int) -> PlanPrice:
    """The plan's price with `points` spent on it, or a refusal naming the broken limit."""
    require_points(points, "points")
    if points % plan.points_step:
        raise ClubError("points_not_whole_steps", step=plan.points_step)
    if points and points > balance_points:
        raise ClubError("insufficient_points", requested=points, balance=balance_points)
    allowed = max_points(plan, balance_points)
    if points > allowed:
        raise ClubError("redeem_over_cap", requested=points, allowed=allowed)
    percent = points // plan.points_step * plan.percent_per_step
    discount = plan.price_rials * percent // 100
    return PlanPrice(plan.code, plan.price_rials, points, discount)


def terms(entries: Iterable[LedgerEntry], rules_for: Callable[[int | None], RuleSet]) -> list[Term]:
    """Every term the member bought, in order; `rules_for(version)` gives the rule set of an entry."""
    entries = list(entries)
    reversed_ids = {e.reverses for e in entries if e.kind is EntryKind.REVERSAL}
    purchases = sorted(
        (e for e in entries if e.kind is EntryKind.MEMBERSHIP_PURCHASE and e.id not in reversed_ids),
        key=lambda e: (e.created_at_us, e.id),
    )
    out: list[Term] = []
    for entry in purchases:
        plan = _plan_of(rules_for(entry.rules_version), entry.invoice_ref or "")
        if plan is None:
            continue
        last = out[-1] if out else None
        renewing = last is not None and last.plan_code == plan.code and last.ends_us > entry.created_at_us
        start = last.ends_us if renewing and last is not None else entry.created_at_us
        out.append(Term(plan.code, start, start + plan.duration_days * US_PER_DAY, plan.tier_code))
    return out


def current(all_terms: list[Term], now_us: int) -> Term | None:
    """The term that holds now: the latest bought that has started and not ended (a renewal queued
    after a running term is not current yet)."""
    running = [t for t in all_terms if t.running(now_us)]
    if not running:
        return None
    latest = running[-1]
    # a renewal extends the running term: show the end of the chain of renewals
    end = latest.ends_us
    for term in all_terms:
        if term.plan_code == latest.plan_code and term.starts_us == end:
            end = term.ends_us
    return Term(latest.plan_code, latest.starts_us, end, latest.tier_code)


def _plan_of(rules: RuleSet, code: str) -> MembershipPlan | None:
    return next((p for p in rules.memberships if p.code == code), None)
