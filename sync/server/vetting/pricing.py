# SPDX-License-Identifier: GPL-3.0-or-later
"""The amounts on a terminal's entries, re-computed: the server prices every priced entry under the
rule-set version it names (app.domain: the terminal's own arithmetic) and sets aside what does not match.

What the server cannot know, it allows for, never more:
- the member's tier at the sale: any tier up to the highest the member has held (the member's tier, the
  tiers its tier changes named, the tiers of the paid memberships it bought), since a terminal offline may
  not have seen a later move; the likeliest tier is tried first;
- the product category (not on the entry): any of the rule set's, or none;
- a sale's discount, when its redeem and wallet entries are not in sight yet (the sale was the last entry
  of a batch): then the points may be anything up to what the undiscounted sale earns;
- version 0 (a club with no rule set): the branch's scenario and the tiers' multipliers as they are now or
  as the club published them before (an admin's edit may not have reached the terminal yet).

The sale amount itself is what the till says: no server can see the goods. What a stolen terminal can do
with made-up sales is bounded by the velocity limits (sync.server.vetting.velocity).

Reasons: `unknown_rules_version`, `price_mismatch` (the amounts are not what the rules give for any context
above), `no_primary_entry` (a companion without its sale), `tier_not_earned` (an upgrade the member's
qualifying total does not reach), `reverses_unknown` (a reversal of an entry the server does not count),
`reversal_exceeds` (it undoes more than is left, or adds where it should take away).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from app.domain import bonus, membership, pricing, tiering
from app.domain.companions import MAX_DISTANCE, Companion
from app.domain.errors import ClubError
from app.domain.ids import derived_id
from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.money import MAX_POINTS
from app.domain.programme import US_PER_DAY, BranchRules, RuleSet, TierRule
from app.domain.rewards import reward_ref
from sync.protocol import WireBranch, WireTier
from sync.server import rules as server_rules
from sync.server.alerts import raise_alert
from sync.server.db import one_of
from sync.server.models import CHANGE, ENTRY, MEMBER
from sync.server.vetting.batch import Batch, Link, entries_of

MISMATCH = "price_mismatch"
_PROGRAMME_TABLES = ("tier", "branch")


@dataclass(slots=True)
class _Member:
    """What the server knows of a member that pricing needs."""

    tier_code: str | None
    birth_date: date | None
    referrer_id: str | None
    tier_refs: list[tuple[EntryKind, str, int | None]] | None = None  # (kind, ref, version), when read


class Pricing:
    def __init__(self, conn: Connection, batch: Batch, branch_code: str, now_us: int) -> None:
        self.conn = conn
        self.batch = batch
        self.branch_code = branch_code
        self.now_us = now_us
        self._rules: dict[int, RuleSet | None] = {}
        self._members: dict[str, _Member | None] = {}
        self._history: list[BranchRules] | None = None
        self._multipliers: dict[str, set[int]] | None = None

    def refusal(self, i: int) -> str | None:
        check = _CHECKS.get(self.batch.entries[i].kind)
        return None if check is None else check(self, i)

    # ---- what the checks read ---------------------------------------------------------------------

    def rules(self, version: int | None) -> RuleSet | None:
        key = version or 0
        if key not in self._rules:
            try:
                self._rules[key] = server_rules.get(self.conn, key)
            except ClubError:
                self._rules[key] = None
        return self._rules[key]

    def member(self, member_id: str) -> _Member | None:
        if member_id not in self._members:
            self.prefetch({member_id})
        return self._members[member_id]

    def prefetch(self, member_ids: set[str]) -> None:
        """What pricing needs of these members, in one query (a batch names up to a thousand)."""
        wanted = member_ids - set(self._members)
        if not wanted:
            return
        columns = (MEMBER.c.id, MEMBER.c.tier_code, MEMBER.c.birth_date, MEMBER.c.referrer_id)
        rows = self.conn.execute(select(*columns).where(one_of(self.conn, MEMBER.c.id, wanted)))
        self._members.update({r.id: _Member(r.tier_code, r.birth_date, r.referrer_id) for r in rows})
        self._members.update(dict.fromkeys(wanted - set(self._members)))

    def _tier_refs(self, member_id: str) -> list[tuple[EntryKind, str, int | None]]:
        facts = self.member(member_id)
        if facts is None:
            return []
        if facts.tier_refs is None:
            kinds = (EntryKind.TIER_CHANGE.value, EntryKind.MEMBERSHIP_PURCHASE.value)
            refs = self.conn.execute(
                select(ENTRY.c.kind, ENTRY.c.invoice_ref, ENTRY.c.rules_version).where(
                    ENTRY.c.member_id == member_id, ENTRY.c.kind.in_(kinds)
                )
            )
            facts.tier_refs = [(EntryKind(r.kind), r.invoice_ref or "", r.rules_version) for r in refs]
        return facts.tier_refs

    def held_tier(self, rules: RuleSet, member_id: str) -> TierRule:
        """The tier the server holds the member in now, in this rule set's terms: the likeliest."""
        facts = self.member(member_id)
        return _known(rules, facts.tier_code if facts else None) or rules.entry_tier()

    def other_tiers(self, rules: RuleSet, member_id: str, i: int) -> list[TierRule]:
        """The other tiers the member may have been priced in: up to the highest the member has held (its
        tier changes, the tiers of the memberships it bought)."""
        held = self.held_tier(rules, member_id)
        codes = {held.code}
        refs = list(self._tier_refs(member_id))
        refs += [
            (e.kind, e.invoice_ref or "", e.rules_version)
            for e in self.batch.member_entries_before(member_id, i)
            if e.kind in (EntryKind.TIER_CHANGE, EntryKind.MEMBERSHIP_PURCHASE)
        ]
        for kind, ref, version in refs:
            codes.add(ref if kind is EntryKind.TIER_CHANGE else self._plan_tier(ref, version) or "")
        highest = max(t.rank for t in rules.tiers if t.code in codes)
        return [t for t in rules.tiers if t.rank <= highest and t.code != held.code]

    def tiers(self, rules: RuleSet, member_id: str, i: int) -> Iterator[TierRule]:
        """The tiers the member may have been priced in, the likeliest first (the others looked up only
        when it is needed)."""
        yield self.held_tier(rules, member_id)
        yield from self.other_tiers(rules, member_id, i)

    def _plan_tier(self, plan_code: str, version: int | None) -> str | None:
        rules = self.rules(version)
        try:
            return None if rules is None else rules.plan(plan_code).tier_code
        except ClubError:
            return None

    def sale_discount(self, sale: LedgerEntry) -> int | None:
        """What the sale's points and wallet took off; None while its companions may still be on their way.

        Companions follow their sale in the device's chain, so a new sale's are in this batch or not
        pushed yet: the batch reaching past them settles it."""
        found = [self.batch.companion(sale.id, n) for n in (Companion.REDEEM, Companion.WALLET)]
        if all(link is not None for link in found) or self.companions_settled(sale):
            return sum(link.entry.discount_rials for link in found if link is not None)
        return None

    def discount_before(self, sale: LedgerEntry) -> int:
        """What the sale's points and wallet took off, as seen from a companion written after them (its
        cashback credit): the redeem and the wallet payment come first in the device's chain, so each is in
        the batch or stored already, or there is none."""
        found = (self.batch.get(str(derived_id(sale.id, n))) for n in (Companion.REDEEM, Companion.WALLET))
        return sum(link.entry.discount_rials for link in found if link is not None)

    def companions_settled(self, entry: LedgerEntry) -> bool:
        """Whether the batch reaches past every place a companion of the entry could be."""
        return self.batch.in_batch(entry.device_seq + MAX_DISTANCE)

    def earnings(self, rules: RuleSet) -> list[BranchRules]:
        """The branch's scenario: the rule set's; in version 0 also each one the club published before."""
        current = rules.branch_rules(self.branch_code)
        if rules.version:
            return [current]
        if self._history is None:
            self._load_history()
        return [current, *(h for h in self._history or [] if h != current)]

    def multipliers(self, rules: RuleSet, tier: TierRule) -> set[int]:
        if rules.version:
            return {tier.multiplier_percent}
        if self._multipliers is None:
            self._load_history()
        return {tier.multiplier_percent} | (self._multipliers or {}).get(tier.code, set())

    def _load_history(self) -> None:
        """Version 0's earlier tables, from the change log (a partial index holds just these rows)."""
        rows = self.conn.execute(
            select(CHANGE.c.kind, CHANGE.c.body).where(CHANGE.c.kind.in_(_PROGRAMME_TABLES))
        )
        history: list[BranchRules] = []
        multipliers: dict[str, set[int]] = {}
        for row in rows:
            body = json.loads(row.body)
            if row.kind == "branch":
                branch = WireBranch.model_validate(body["branch"])
                if branch.code == self.branch_code:
                    history.append(server_rules.branch_rules(branch))
            else:
                tier = WireTier.model_validate(body["tier"])
                multipliers.setdefault(tier.code, set()).add(tier.multiplier_percent)
        self._history, self._multipliers = history, multipliers

    def qualifying_entries(self, member_id: str, since_us: int, i: int) -> list[LedgerEntry]:
        """The member's sales and reversals the server counts since a moment, and the batch's before i."""
        kinds = (EntryKind.EARN.value, EntryKind.REVERSAL.value)
        rows = self.conn.execute(
            select(ENTRY).where(
                ENTRY.c.member_id == member_id, ENTRY.c.kind.in_(kinds), ENTRY.c.created_at_us > since_us
            )
        )
        return entries_of(rows) + self.batch.member_entries_before(member_id, i)

    def member_bonuses(self, member_id: str, i: int) -> list[LedgerEntry]:
        rows = self.conn.execute(
            select(ENTRY).where(ENTRY.c.member_id == member_id, ENTRY.c.kind == EntryKind.BONUS.value)
        )
        return entries_of(rows) + self.batch.member_entries_before(member_id, i)


def _known(rules: RuleSet, code: str | None) -> TierRule | None:
    return next((t for t in rules.tiers if t.code == code), None)


def _points(rules: RuleSet, context: pricing.SaleContext) -> int | None:
    try:
        return pricing.price_sale(rules, context).points
    except ClubError:
        return None


# ---- sales --------------------------------------------------------------------------------------------


def _earn(p: Pricing, i: int) -> str | None:
    e = p.batch.entry(i)
    if e.points_delta < 0 or e.sale_amount < 0 or e.cash_delta or e.discount_rials:
        return MISMATCH
    rules = p.rules(e.rules_version)
    if rules is None:
        return "unknown_rules_version"
    discount = p.sale_discount(e)
    categories: list[str | None] = [None, *rules.categories] if rules.campaigns else [None]
    prices = (
        _earned(p, rules, e, tier, category=category, discount=discount or 0)
        for tier in p.tiers(rules, e.member_id, i)
        for category in categories
    )
    if discount is None:  # the discount is not in sight: no more than the whole sale would earn
        return None if e.points_delta <= max(max(found, default=0) for found in prices) else MISMATCH
    return None if any(e.points_delta in found for found in prices) else MISMATCH


def _earned(
    p: Pricing, rules: RuleSet, e: LedgerEntry, tier: TierRule, *, category: str | None, discount: int
) -> set[int]:
    """What the sale earns in one context (version 0: under each scenario and multiplier it may have had)."""
    if rules.version:
        context = pricing.SaleContext(
            p.branch_code, tier.code, e.sale_amount, discount, e.created_at_us, category, e.member_id
        )
        found = _points(rules, context)
        return set() if found is None else {found}
    if category is not None or discount > e.sale_amount:
        return set()
    paid = e.sale_amount - discount
    return {
        scenario.earning.points_for(paid, multiplier)
        for scenario in p.earnings(rules)
        for multiplier in p.multipliers(rules, tier)
    }


def _primary(p: Pricing, i: int, *kinds: EntryKind) -> Link | None:
    link = p.batch.primary(i)
    return link if link is not None and link.entry.kind in kinds else None


def _cashback_credit(p: Pricing, i: int) -> str | None:
    e = p.batch.entry(i)
    sale = _primary(p, i, EntryKind.EARN)
    if sale is None:
        return "no_primary_entry"
    rules = p.rules(e.rules_version)
    discount = p.discount_before(sale.entry)
    if rules is None or e.points_delta or e.cash_delta <= 0:
        return MISMATCH
    paid = sale.entry.sale_amount - discount
    tiers = p.tiers(rules, e.member_id, i)
    return None if any(e.cash_delta == pricing.cashback_for(rules, t.code, paid) for t in tiers) else MISMATCH


def _cashback_spend(p: Pricing, i: int) -> str | None:
    e = p.batch.entry(i)
    sale = _primary(p, i, EntryKind.EARN)
    if sale is None:
        return "no_primary_entry"
    rules = p.rules(e.rules_version)
    if rules is None or e.points_delta or e.cash_delta >= 0 or e.discount_rials != -e.cash_delta:
        return MISMATCH
    redeem = p.batch.companion(sale.entry.id, Companion.REDEEM)
    payable = sale.entry.sale_amount - (redeem.entry.discount_rials if redeem else 0)
    allowed = pricing.max_wallet_spend(rules, payable, MAX_POINTS * 1000)
    return None if e.discount_rials <= min(allowed, payable) else MISMATCH


def _redeem(p: Pricing, i: int) -> str | None:
    e = p.batch.entry(i)
    primary = _primary(p, i, EntryKind.EARN, EntryKind.MEMBERSHIP_PURCHASE, EntryKind.REWARD)
    if primary is None:
        return "no_primary_entry"
    rules = p.rules(e.rules_version)
    points = -e.points_delta
    if rules is None or points <= 0 or e.cash_delta or e.sale_amount:
        return MISMATCH
    sold = primary.entry
    try:
        if sold.kind is EntryKind.EARN:
            ok = any(
                e.discount_rials == scenario.redemption.discount_for(points)
                and points <= scenario.redemption.max_points(sold.sale_amount, MAX_POINTS)
                for scenario in p.earnings(rules)
            )
        elif sold.kind is EntryKind.MEMBERSHIP_PURCHASE:
            price = membership.price(rules.plan(sold.invoice_ref or ""), points, MAX_POINTS)
            ok = e.discount_rials == price.discount_rials == sold.discount_rials
        else:
            ok = e.discount_rials == 0 and reward_ref(_reward_code(sold)) == sold.invoice_ref
            ok = ok and points == rules.reward(_reward_code(sold)).points
    except ClubError:
        return MISMATCH
    return None if ok else MISMATCH


def _reward_code(entry: LedgerEntry) -> str:
    return (entry.invoice_ref or "").removeprefix("reward:")


def _membership(p: Pricing, i: int) -> str | None:
    e = p.batch.entry(i)
    rules = p.rules(e.rules_version)
    if rules is None:
        return "unknown_rules_version"
    if e.points_delta or e.cash_delta or e.sale_amount < 0:
        return MISMATCH
    try:
        plan = rules.plan(e.invoice_ref or "")
        redeem = p.batch.companion(e.id, Companion.REDEEM)
        if redeem is not None or p.companions_settled(e):
            used = -redeem.entry.points_delta if redeem else 0
            steps = [used]
        else:  # its redeem entry is not in sight yet: any whole number of steps the plan allows
            steps = list(range(0, membership.max_points(plan, MAX_POINTS) + 1, plan.points_step))
        prices = [membership.price(plan, points, MAX_POINTS) for points in steps]
    except ClubError:
        return MISMATCH
    ok = any((e.sale_amount, e.discount_rials) == (price.pay_rials, price.discount_rials) for price in prices)
    return None if ok else MISMATCH


def _reward(p: Pricing, i: int) -> str | None:
    e = p.batch.entry(i)
    rules = p.rules(e.rules_version)
    if rules is None:
        return "unknown_rules_version"
    if e.points_delta or e.cash_delta or e.sale_amount or e.discount_rials:
        return MISMATCH
    try:
        reward = rules.reward(_reward_code(e))
    except ClubError:
        return MISMATCH
    offered = reward.stock_at(p.branch_code) is not None and reward_ref(reward.code) == e.invoice_ref
    return None if offered else MISMATCH


def _tier_change(p: Pricing, i: int) -> str | None:
    """Terminals move a member up only, at the sale that crosses the threshold (app.services.checkout)."""
    e = p.batch.entry(i)
    if _primary(p, i, EntryKind.EARN) is None:
        return "no_primary_entry"
    rules = p.rules(e.rules_version)
    if rules is None or not rules.version:
        return "unknown_rules_version" if rules is None else MISMATCH
    target = _known(rules, e.invoice_ref)
    if target is None or e.reason != "upgrade" or e.points_delta or e.cash_delta or e.sale_amount:
        return MISMATCH
    since = e.created_at_us - rules.qualification.window_days * US_PER_DAY
    total = tiering.qualifying(p.qualifying_entries(e.member_id, since, i), rules, e.created_at_us)
    reached = tiering.reached(rules, total.total(rules.qualification.basis))
    return None if reached.rank >= target.rank else "tier_not_earned"


# ---- bonuses ------------------------------------------------------------------------------------------


def _bonus(p: Pricing, i: int) -> str | None:
    e = p.batch.entry(i)
    rules = p.rules(e.rules_version)
    if rules is None:
        return "unknown_rules_version"
    if e.points_delta < 0 or e.cash_delta or e.sale_amount or e.discount_rials:
        return MISMATCH
    key = e.invoice_ref or ""
    check = _BONUS_CHECKS.get(bonus.kind_of(key))
    try:
        ok = check is not None and check(p, rules, e, i)
    except ClubError:
        ok = False
    return None if ok else MISMATCH


def _signup(p: Pricing, rules: RuleSet, e: LedgerEntry, i: int) -> bool:
    return e.invoice_ref == bonus.SIGNUP and e.points_delta == rules.bonuses.signup_points


def _birthday(p: Pricing, rules: RuleSet, e: LedgerEntry, i: int) -> bool:
    facts = p.member(e.member_id)
    if facts is None or facts.birth_date is None:
        return False
    window = rules.bonuses.birthday_window_days
    day = bonus.birthday_occurrence(facts.birth_date, rules.local_date(e.created_at_us), window)
    return (
        day is not None
        and e.invoice_ref == bonus.birthday_key(day.year)
        and e.points_delta == rules.bonuses.birthday_points
    )


def _referral(p: Pricing, rules: RuleSet, e: LedgerEntry, i: int) -> bool:
    referred = p.member((e.invoice_ref or "").removeprefix("referral:"))
    return (
        referred is not None
        and referred.referrer_id == e.member_id
        and e.points_delta == rules.bonuses.referral_referrer_points
    )


def _referred(p: Pricing, rules: RuleSet, e: LedgerEntry, i: int) -> bool:
    facts = p.member(e.member_id)
    return (
        facts is not None
        and facts.referrer_id is not None
        and e.invoice_ref == bonus.REFERRED
        and e.points_delta == rules.bonuses.referral_referred_points
    )


def _survey(p: Pricing, rules: RuleSet, e: LedgerEntry, i: int) -> bool:
    sale = p.batch.get((e.invoice_ref or "").removeprefix("survey:"))
    return (
        sale is not None
        and sale.counted
        and sale.entry.kind is EntryKind.EARN
        and sale.entry.member_id == e.member_id
        and e.points_delta in (0, rules.bonuses.survey_points)
    )


def _ambassador(p: Pricing, rules: RuleSet, e: LedgerEntry, i: int) -> bool:
    """A manager's grant: its own key, within the per-grant and the member's 30-day caps."""
    granted = bonus.ambassador(rules, e.id, e.points_delta, p.member_bonuses(e.member_id, i), e.created_at_us)
    return e.invoice_ref == granted.key


_BONUS_CHECKS: dict[str, Callable[[Pricing, RuleSet, LedgerEntry, int], bool]] = {
    "signup": _signup,
    "birthday": _birthday,
    "referral": _referral,
    "referred": _referred,
    "survey": _survey,
    "ambassador": _ambassador,
}


# ---- acts without amounts, and reversals -------------------------------------------------------------


def _no_amounts(p: Pricing, i: int) -> str | None:
    e = p.batch.entry(i)
    return MISMATCH if e.points_delta or e.cash_delta or e.sale_amount or e.discount_rials else None


def _override(p: Pricing, i: int) -> str | None:
    if _primary(p, i, EntryKind.EARN, EntryKind.MEMBERSHIP_PURCHASE, EntryKind.REWARD) is None:
        return "no_primary_entry"
    return _no_amounts(p, i)


def _adjust(p: Pricing, i: int) -> str | None:
    e = p.batch.entry(i)  # the staff member's limit is sync.server.vetting.staffing's
    return MISMATCH if e.cash_delta or e.sale_amount or e.discount_rials or not e.points_delta else None


def _reversal(p: Pricing, i: int) -> str | None:
    """A reversal undoes what is left of an entry the server counts, in the opposite direction: it can
    never make points or wallet out of nothing."""
    e = p.batch.entry(i)
    target = p.batch.get(e.reverses or "")
    if target is None or not target.counted or target.entry.kind is EntryKind.REVERSAL:
        return "reverses_unknown"
    if target.entry.member_id != e.member_id:
        return "reverses_unknown"
    done = p.batch.reversals_before(target.entry.id, i)
    if not _within(target.entry, [r for r in done if r.device_id == e.device_id], e):
        return "reversal_exceeds"  # more than this terminal itself could ever have undone
    if not _within(target.entry, done, e):
        # two tills undid one entry offline (a sale returned twice): both happened, so both stand, and
        # the club looks at it (a return made twice is what a fraud looks like)
        raise_alert(
            p.conn, p.now_us, "reversed_twice", device_id=e.device_id, member_id=e.member_id,
            subject=target.entry.id, reversal=e.id,
        )  # fmt: skip
    return None


def _within(target: LedgerEntry, done: Iterable[LedgerEntry], reversal: LedgerEntry) -> bool:
    done = list(done)
    amounts = ("points_delta", "cash_delta", "sale_amount")
    if not any(getattr(target, name) for name in amounts):  # a unit (a reward, an admission): undone once
        return not done and not any(getattr(reversal, name) for name in amounts)
    for name in amounts:
        whole = getattr(target, name)
        undone = sum(getattr(r, name) for r in done) + getattr(reversal, name)
        step = getattr(reversal, name)
        if whole >= 0 and not (-whole <= undone <= 0 and step <= 0):
            return False
        if whole < 0 and not (0 <= undone <= -whole and step >= 0):
            return False
    return True


_CHECKS: dict[EntryKind, Callable[[Pricing, int], str | None]] = {
    EntryKind.EARN: _earn,
    EntryKind.REDEEM: _redeem,
    EntryKind.CASHBACK_CREDIT: _cashback_credit,
    EntryKind.CASHBACK_SPEND: _cashback_spend,
    EntryKind.MEMBERSHIP_PURCHASE: _membership,
    EntryKind.REWARD: _reward,
    EntryKind.TIER_CHANGE: _tier_change,
    EntryKind.BONUS: _bonus,
    EntryKind.ADJUST: _adjust,
    EntryKind.OVERRIDE: _override,
    EntryKind.CHECK_IN: _no_amounts,
    EntryKind.GUEST_CHECK_IN: _no_amounts,
    EntryKind.REVERSAL: _reversal,
}
