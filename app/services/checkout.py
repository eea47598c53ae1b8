# SPDX-License-Identifier: GPL-3.0-or-later
"""Recording a sale: points earned on what was paid, optionally points and wallet spent as a discount.

A sale is one `earn` entry (its id is the sale's id, and it is written even when it earns nothing, since
it is also the purchase record), plus a `redeem` entry when points were spent, plus an `override` entry
when a manager let an enrolled terminal spend beyond what it may allow offline (app.services.spending).
Under a published rule set (version ≥ 1; app.domain.programme) the sale also writes, in the same
transaction: a `cashback_spend` for what the wallet paid, a `cashback_credit` for the cashback earned,
a `tier_change` when the sale lifts the member into a higher tier, and the `bonus` entries it triggers
(a birthday in its window; a referred member's first sale, for both sides). Every entry carries the
rule-set version that priced it. Retrying a request with the same entry id returns the first result and
writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.domain import bonus, member_days, pricing, tiering
from app.domain.balance import MemberBalance
from app.domain.branch import Branch
from app.domain.companions import Companion
from app.domain.errors import ClubError
from app.domain.ids import derived_id, request_entry_id
from app.domain.ledger import EntryDraft, EntryKind, LedgerEntry
from app.domain.member import Member
from app.domain.money import require_points, require_rials
from app.domain.ports import SpendAuthoriser
from app.domain.programme import US_PER_DAY, RuleSet
from app.domain.staff import Action, Staff
from app.services import spending
from app.services.programme import Standing, standing_in
from app.services.spending import SpendOverride
from app.services.terminal import Terminal
from app.store import club, ledger, members, programme
from app.store.database import Tx

# derived_id(sale id, n) of the entries a sale may write besides its earn entry (0): app.domain.companions
REDEEM_ENTRY = Companion.REDEEM  # 2 is the override (app.services.spending.OVERRIDE_ENTRY)
WALLET_ENTRY = Companion.WALLET
CASHBACK_ENTRY = Companion.CASHBACK
TIER_ENTRY = Companion.TIER
BIRTHDAY_ENTRY = Companion.BIRTHDAY
REFERRED_ENTRY = Companion.REFERRED
REFERRER_ENTRY = Companion.REFERRER
COMPANIONS = (REDEEM_ENTRY, spending.OVERRIDE_ENTRY, WALLET_ENTRY, CASHBACK_ENTRY, TIER_ENTRY)
COMPANIONS += (BIRTHDAY_ENTRY, REFERRED_ENTRY, REFERRER_ENTRY)

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
    wallet_rials: int = 0  # cashback wallet spent on the sale
    category: str | None = None  # the product category, for campaigns that name one


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
    wallet_spent_rials: int = 0
    cashback_rials: int = 0
    tier_upgrade: str | None = None  # the tier code the sale lifted the member into
    bonuses: tuple[tuple[str, int], ...] = ()  # (key, points) the sale granted this member
    campaigns: tuple[str, ...] = ()
    rules_version: int | None = None


def record_sale(
    terminal: Terminal, request: SaleRequest, authoriser: SpendAuthoriser | None = None
) -> SaleResult:
    """Record the sale; `authoriser` asks the club server about a redeem (enrolled terminals only)."""
    amount = require_rials(request.amount_rials, "amount", allow_zero=False)
    redeem = require_points(request.redeem_points, "redeem")
    wallet = require_rials(request.wallet_rials, "wallet")
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
            redeem_entry_id=str(derived_id(sale_id, REDEEM_ENTRY)),
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
        before = ledger.balance(conn, member.id)
        now = terminal.clock.now_us()
        version = programme.latest_version(conn)
        if version:
            rules = programme.version(conn, version)
            standing = _standing(conn, rules, member, before, branch_code=branch.code, now=now)
            priced = _price(rules, standing, request, before, branch_code=branch.code, now=now)
        else:
            rules, standing = None, None
            priced = _price_by_tables(conn, request, branch, member, before)
        at = ledger.head(conn, terminal.device_id)
        if invoice is None:
            invoice = f"{terminal.device_code}-{at[0] + 1:06d}"
        elif ledger.invoice_in_use(conn, invoice):
            raise ClubError("invoice_in_use", invoice=invoice)
        common = EntryDraft(
            id=sale_id,
            created_at_us=now,
            branch_id=branch.id,
            member_id=member.id,
            kind=EntryKind.EARN,
            staff_id=request.staff.id if request.staff else None,
            invoice_ref=invoice,
            rules_version=version or None,
        )
        drafts = [replace(common, points_delta=priced.points, sale_amount=amount)]
        if redeem:
            drafts.append(
                replace(
                    common,
                    id=str(derived_id(sale_id, REDEEM_ENTRY)),
                    kind=EntryKind.REDEEM,
                    points_delta=-redeem,
                    discount_rials=priced.discount,
                )
            )
            drafts += spending.spend_drafts(
                conn, terminal, permit, sale_id=sale_id, redeem=drafts[-1], override=request.override
            )
        if rules is not None and standing is not None:
            sold = _Sold(common, priced.points, amount, wallet, priced.cashback, before.purchase_count == 0)
            drafts += _programme_drafts(conn, rules, member, standing, sold=sold)
        written = ledger.append(conn, terminal.device_id, drafts, at)
        after = before
        for entry in written:  # what the projection now holds, without reading it back
            if entry.member_id == member.id:
                after = after.apply(entry)
        return _result(written, after, campaigns=priced.campaigns)


@dataclass(frozen=True, slots=True)
class _Priced:
    discount: int  # what the points spent take off
    points: int
    cashback: int = 0
    campaigns: tuple[str, ...] = ()


def _standing(
    conn: Tx, rules: RuleSet, member: Member, before: MemberBalance, *, branch_code: str, now: int
) -> Standing:
    """The member's standing for pricing, from projections kept with the ledger: the tier's window and
    today's cashback from the day buckets (app.domain.member_days), the few kinds folded whole by their
    index, the wallet from the balance. A part dated ahead of now (another device's clock) leaves the
    buckets unable to say: the entries are folded then, as before."""
    moment = member_days.Moment.at(rules, now)
    days = ledger.member_days_at(conn, member.id, moment)
    total = member_days.qualifying(moment, days.inside, days.edge, days.edge_parts)
    if total is None:
        return standing_by_entries(conn, rules, member, before, branch_code=branch_code, now=now)
    pending = member_days.pending_cashback(rules, moment, days.inside, days.cashback_edge, days.credits)
    entries = ledger.programme_entries(conn, member.id)
    return standing_in(
        conn, rules, member, entries, branch_code=branch_code, now_us=now, for_sale=True,
        wallet_rials=before.wallet_rials, held_keys=bonus.granted_keys(entries), qualifying=total,
        pending_rials=pending,
    )  # fmt: skip


def standing_by_entries(
    conn: Tx, rules: RuleSet, member: Member, before: MemberBalance, *, branch_code: str, now: int
) -> Standing:
    """The member's standing for pricing folded from their entries: the entries of the tier's window (a
    day at least: today's cashback) and the few kinds folded whole, read once; the wallet from the
    balance projection. What a sale read before the day buckets, and the reference they must equal."""
    window = max(rules.qualification.window_days, 1) * US_PER_DAY
    entries = ledger.member_entries_since(conn, member.id, now - window)
    return standing_in(
        conn, rules, member, entries, branch_code=branch_code, now_us=now, for_sale=True,
        wallet_rials=before.wallet_rials, held_keys=bonus.granted_keys(entries),
    )  # fmt: skip


def _price(
    rules: RuleSet,
    standing: Standing,
    request: SaleRequest,
    before: MemberBalance,
    *,
    branch_code: str,
    now: int,
) -> _Priced:
    """What the sale earns and credits under the rule set (app.domain.pricing), its spending checked."""
    amount, redeem, wallet = request.amount_rials, request.redeem_points, request.wallet_rials
    redemption = rules.branch_rules(branch_code).redemption
    discount = redemption.check(redeem, amount, before.points) if redeem else 0
    if wallet:
        _check_wallet(rules, standing, wallet, amount - discount)
    context = pricing.SaleContext(
        branch_code, standing.tier.code, amount, discount + wallet, now, request.category, request.member_id
    )
    priced = pricing.price_sale(rules, context)
    return _Priced(discount, priced.points, priced.cashback_rials, priced.campaigns)


def _price_by_tables(
    conn: Tx, request: SaleRequest, branch: Branch, member: Member, before: MemberBalance
) -> _Priced:
    """A club that never published a rule set: the branch's scenario and the tier's multiplier, as
    before rule sets (no wallet to spend, no categories)."""
    if request.wallet_rials:
        raise ClubError("wallet_over_cap", requested=request.wallet_rials, allowed=0)
    if request.category is not None:
        raise ClubError("unknown_category", category=request.category)
    tier = club.tier(conn, member.tier_code)
    redeem, amount = request.redeem_points, request.amount_rials
    discount = branch.redemption.check(redeem, amount, before.points) if redeem else 0
    return _Priced(discount, branch.earning.points_for(amount - discount, tier.multiplier_percent))


def _check_wallet(rules: RuleSet, standing: Standing, wallet: int, payable: int) -> None:
    """The wallet pays at most its share of the sale, what is left to pay, and what is spendable now."""
    allowed = min(pricing.max_wallet_spend(rules, payable, standing.wallet_available_rials), payable)
    if wallet > allowed:
        raise ClubError("wallet_over_cap", requested=wallet, allowed=allowed)


@dataclass(frozen=True, slots=True)
class _Sold:
    """What the programme's entries need to know of the sale."""

    entry: EntryDraft  # the earn entry's common fields (id, time, member, branch, staff, invoice, rules)
    earned: int
    amount: int  # counts towards a spend-based tier, as the sale's earn entry will
    wallet: int
    cashback: int
    first_sale: bool  # the member had bought nothing before (the balance projection's count)


def _programme_drafts(
    conn: Tx, rules: RuleSet, member: Member, standing: Standing, *, sold: _Sold
) -> list[EntryDraft]:
    """The wallet, cashback, tier and bonus entries the sale brings under the rule set."""
    drafts: list[EntryDraft] = []

    def companion(n: int, **fields: object) -> None:
        drafts.append(replace(sold.entry, id=str(derived_id(sold.entry.id, n)), **fields))  # type: ignore[arg-type]

    if sold.wallet:
        companion(
            WALLET_ENTRY, kind=EntryKind.CASHBACK_SPEND, cash_delta=-sold.wallet, discount_rials=sold.wallet
        )
    if sold.cashback:
        companion(CASHBACK_ENTRY, kind=EntryKind.CASHBACK_CREDIT, cash_delta=sold.cashback)
    # the sale counts towards the tier at once: the upgrade happens at the sale that crosses
    total = tiering.Qualifying(
        standing.qualifying.points + sold.earned, standing.qualifying.spend_rials + sold.amount
    )
    lifted = tiering.upgrade(rules, standing.held_tier.code, total)
    if lifted is not None:
        companion(TIER_ENTRY, kind=EntryKind.TIER_CHANGE, invoice_ref=lifted.code, reason="upgrade")
    held = standing.held_keys
    birthday = bonus.birthday(rules, member.birth_date, sold.entry.created_at_us, held)
    if birthday is not None:
        companion(
            BIRTHDAY_ENTRY, kind=EntryKind.BONUS, points_delta=birthday.points, invoice_ref=birthday.key
        )
    if member.referrer_id and sold.first_sale:
        drafts += _referral(conn, rules, member, held, sold.entry)
    return drafts


def _referral(conn: Tx, rules: RuleSet, member: Member, held: set[str], sale: EntryDraft) -> list[EntryDraft]:
    """Both sides of a referral, at the referred member's first sale (the referrer's only when this
    terminal knows the referrer: an entry must name a member the ledger holds)."""
    referrer_id = member.referrer_id or ""
    known = members.get(conn, referrer_id) is not None
    referrer_entries = ledger.member_entries(conn, referrer_id) if known else []
    theirs, ours = bonus.referral(rules, member.id, referrer_entries, held, sale.created_at_us)
    drafts: list[EntryDraft] = []
    if ours is not None:
        drafts.append(
            replace(
                sale,
                id=str(derived_id(sale.id, REFERRED_ENTRY)),
                kind=EntryKind.BONUS,
                points_delta=ours.points,
                invoice_ref=ours.key,
            )
        )
    if theirs is not None and known:
        drafts.append(
            replace(
                sale,
                id=str(derived_id(sale.id, REFERRER_ENTRY)),
                member_id=referrer_id,
                kind=EntryKind.BONUS,
                points_delta=theirs.points,
                invoice_ref=theirs.key,
            )
        )
    return drafts


def _clean_invoice(raw: str | None) -> str | None:
    if raw is None:
        return None
    invoice = raw.strip()
    if not invoice or len(invoice) > MAX_INVOICE_LENGTH or not invoice.isprintable():
        raise ClubError("invalid_invoice", invoice=raw)
    return invoice


def _result(
    entries: list[LedgerEntry],
    balance: MemberBalance,
    *,
    campaigns: tuple[str, ...] = (),
    replayed: bool = False,
) -> SaleResult:
    sale = entries[0]
    by_kind = {e.kind: e for e in entries[1:] if e.member_id == sale.member_id}
    redeem = by_kind.get(EntryKind.REDEEM)
    wallet = by_kind.get(EntryKind.CASHBACK_SPEND)
    points_discount = redeem.discount_rials if redeem else 0
    wallet_spent = wallet.discount_rials if wallet else 0
    cashback = by_kind.get(EntryKind.CASHBACK_CREDIT)
    tier = by_kind.get(EntryKind.TIER_CHANGE)
    return SaleResult(
        sale_id=sale.id,
        invoice_ref=sale.invoice_ref or "",
        entry_ids=[e.id for e in entries],
        amount_rials=sale.sale_amount,
        discount_rials=points_discount + wallet_spent,
        paid_rials=sale.sale_amount - points_discount - wallet_spent,
        points_earned=sale.points_delta,
        points_redeemed=-redeem.points_delta if redeem else 0,
        balance=balance,
        replayed=replayed,
        wallet_spent_rials=wallet_spent,
        cashback_rials=cashback.cash_delta if cashback else 0,
        tier_upgrade=tier.invoice_ref if tier else None,
        bonuses=tuple(
            (e.invoice_ref or "", e.points_delta)
            for e in entries
            if e.kind is EntryKind.BONUS and e.member_id == sale.member_id
        ),
        campaigns=campaigns,
        rules_version=sale.rules_version,
    )


def _replay(conn: Tx, existing: LedgerEntry, request: SaleRequest) -> SaleResult:
    """The same request again: answer as before; a different request under the same id is refused."""
    companions = [ledger.get(conn, str(derived_id(existing.id, n))) for n in COMPANIONS]
    written = [existing] + [e for e in companions if e is not None]
    by_kind = {e.kind: e for e in written[1:]}
    redeemed = -by_kind[EntryKind.REDEEM].points_delta if EntryKind.REDEEM in by_kind else 0
    wallet = by_kind[EntryKind.CASHBACK_SPEND].discount_rials if EntryKind.CASHBACK_SPEND in by_kind else 0
    same = (
        existing.kind is EntryKind.EARN
        and existing.member_id == request.member_id
        and existing.sale_amount == request.amount_rials
        and redeemed == request.redeem_points
        and wallet == request.wallet_rials
        and (request.invoice_ref is None or request.invoice_ref.strip() == existing.invoice_ref)
    )
    if not same:
        raise ClubError("entry_conflict", entry=existing.id)
    return _result(written, ledger.balance(conn, existing.member_id), replayed=True)


@dataclass(frozen=True, slots=True)
class RecordedSale:
    """A sale as it was recorded, for a copy of its receipt: the result the cashier saw (with the balance
    as it stood right after the sale, not today's), its member, who sold it, and what was returned since."""

    result: SaleResult
    member: Member | None
    staff_name: str | None
    returned_rials: int


def recorded_sale(terminal: Terminal, invoice: str) -> RecordedSale:
    """The sale on `invoice`; ClubError `unknown_invoice` when there is none."""
    from app.services.returns import sale_record

    with terminal.db.read() as conn:
        sale, _companions, record = sale_record(conn, invoice)
        written = [sale] + [
            e for n in COMPANIONS if (e := ledger.get(conn, str(derived_id(sale.id, n)))) is not None
        ]
        balance = MemberBalance()
        for entry in ledger.member_entries(conn, sale.member_id):
            if entry.created_at_us <= sale.created_at_us:
                balance = balance.apply(entry)
        member = members.get(conn, sale.member_id)
        staff_name = next((s.name for s in club.all_staff(conn) if s.id == sale.staff_id), None)
    return RecordedSale(_result(written, balance, replayed=True), member, staff_name, record.returned_rials)
