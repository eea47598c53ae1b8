# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports' summary (issue 14), computed directly from the raw ledger: the reference computation.

Whatever the server keeps incrementally for its reports must equal `summarize` run over the ledger's
entries. Every key's meaning is written once, in `DEFINITIONS` (English and Persian), which the docs and
the pages print beside the numbers.

Choices the issue leaves open, made here:

- The period is [period_start_us, period_end_us): the first local day's midnight to the midnight after
  the last day, in the club's time zone (`RuleSet.day_start_us`), on the entries' `created_at`.
- A purchase's reversals count "at any time": a sale returned in full after the period stops being a
  purchase of that period, so a past period's summary is as of the entries given (normally: now).
- Filter by tier: the member's *current* tier (the member list's tier), not the tier held in the period.
- Filter by branch: the entries written at the branch; `members_total` counts the members whose home
  branch it is, and the engaged members are counted among those (so the rate stays within 0 and 1).
- The rials one point is worth: the redemption rate (`rials_per_point`) of the rule set in force at the
  period's end: the club's default, or the branch's own when the summary is for a branch.
- A rate whose denominator is zero is 0; `average_basket_rials` with no purchase is 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from app.domain.ledger import EntryKind

ENGAGING_KINDS = frozenset(
    {EntryKind.EARN, EntryKind.REDEEM, EntryKind.REWARD, EntryKind.MEMBERSHIP_PURCHASE, EntryKind.CHECK_IN}
)
SPENDING_KINDS = frozenset({EntryKind.REDEEM, EntryKind.REWARD, EntryKind.MEMBERSHIP_PURCHASE})
# positive point changes that issue nothing: a reversal undoes an entry, and an expire entry of positive
# points gives back what an expiry took too early (app.domain.expiry): it counts as expired, net
NOT_ISSUED_KINDS = frozenset({EntryKind.REVERSAL, EntryKind.EXPIRE})


@dataclass(frozen=True, slots=True)
class ReportEntry:
    """The ledger entry's fields a report reads (the columns of `ledger export` carry them all)."""

    id: str
    created_at_us: int
    branch: str  # the branch's code
    member_id: str
    kind: EntryKind
    points_delta: int = 0
    cash_delta: int = 0
    sale_amount: int = 0
    reverses: str | None = None


# `bashgah-server ledger export --format csv`: its header row, in this order
EXPORT_COLUMNS = (
    "id", "device_id", "device_seq", "server_seq", "created_at", "branch", "member_id", "kind",
    "points_delta", "cash_delta", "sale_amount", "discount_rials", "invoice_ref", "reverses", "staff_id",
    "rules_version",
)  # fmt: skip
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso_utc(at_us: int) -> str:
    """An entry's time as the export writes it: ISO 8601, UTC, microseconds: 2026-12-06T09:30:00.000001Z."""
    moment = _EPOCH + timedelta(microseconds=at_us)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_iso_utc(text: str) -> int:
    """UTC microseconds of an ISO 8601 time with its offset (as `iso_utc` writes it)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment - _EPOCH) // timedelta(microseconds=1)


def entry_from_export(row: Mapping[str, str]) -> ReportEntry:
    """A row of the ledger export (a csv.DictReader's) as the entry a report reads."""
    return ReportEntry(
        id=row["id"],
        created_at_us=parse_iso_utc(row["created_at"]),
        branch=row["branch"],
        member_id=row["member_id"],
        kind=EntryKind(row["kind"]),
        points_delta=int(row["points_delta"]),
        cash_delta=int(row["cash_delta"]),
        sale_amount=int(row["sale_amount"]),
        reverses=row["reverses"] or None,
    )


@dataclass(frozen=True, slots=True)
class ReportMember:
    id: str
    joined_at_us: int
    branch: str  # home branch's code
    tier: str  # current tier's code


@dataclass(frozen=True, slots=True)
class Summary:
    members_total: int
    members_active: int
    engagement_rate: Fraction
    repeat_customer_rate: Fraction
    purchase_frequency: Fraction
    net_sales_rials: int
    average_basket_rials: int
    points_issued: int
    points_redeemed: int
    points_expired: int
    points_outstanding: int
    liability_rials: int
    wallet_outstanding_rials: int

    def as_json(self) -> dict[str, int | float]:
        """The keys `report summary --json` prints: integers as they are, ratios as floats (only here)."""
        return {
            key: float(value) if isinstance(value, Fraction) else value
            for key, value in ((k, getattr(self, k)) for k in SUMMARY_KEYS)
        }


SUMMARY_KEYS = tuple(Summary.__dataclass_fields__)

# key: (English, Persian). Printed beside the numbers in the page, the PDF and docs/reports.md.
DEFINITIONS: dict[str, tuple[str, str]] = {
    "purchase": (
        "A sale entry (earn with a positive sale amount) made in the period that has not been returned in "
        "full: its reversals, at any time, do not add up to its whole amount.",
        "یک ورودی فروش (کسب امتیاز با مبلغ فروش مثبت) در بازه که به‌طور کامل مرجوع نشده باشد: برگشت‌های آن، "
        "در هر زمان، به کل مبلغش نرسد.",
    ),
    "members_total": (
        "Members who joined on or before the period's last day.",
        "اعضایی که تا پایان آخرین روز بازه عضو شده‌اند.",
    ),
    "members_active": (
        "Members with at least one purchase in the period.",
        "اعضایی که در بازه دست‌کم یک خرید داشته‌اند.",
    ),
    "engagement_rate": (
        "Members with at least one entry of kind earn, redeem, reward, membership purchase or check-in in "
        "the period, divided by members_total.",
        "اعضایی که در بازه دست‌کم یک ورودی از نوع کسب امتیاز، خرج امتیاز، جایزه، خرید عضویت یا ورود به "
        "رویداد داشته‌اند، تقسیم بر کل اعضا.",
    ),
    "repeat_customer_rate": (
        "Members with two or more purchases in the period, divided by members_active.",
        "اعضایی که در بازه دو خرید یا بیشتر داشته‌اند، تقسیم بر اعضای فعال.",
    ),
    "purchase_frequency": (
        "Purchases divided by members_active.",
        "تعداد خریدها تقسیم بر اعضای فعال.",
    ),
    "net_sales_rials": (
        "The purchases' sale amounts plus their partial returns' (negative) amounts, in rials.",
        "جمع مبلغ خریدها به‌اضافهٔ مبلغ (منفی) برگشت‌های جزئی آن‌ها، به ریال.",
    ),
    "average_basket_rials": (
        "net_sales_rials divided by the number of purchases, rounded down.",
        "فروش خالص تقسیم بر تعداد خریدها، گرد به پایین.",
    ),
    "points_issued": (
        "Positive point changes of any kind but reversal and expiry given back, in the period.",
        "جمع تغییرات مثبت امتیاز از هر نوع جز برگشت و بازگشت امتیاز منقضی‌شده، در بازه.",
    ),
    "points_redeemed": (
        "Points spent by redeem, reward and membership purchase entries in the period.",
        "امتیازهای خرج‌شده در ورودی‌های خرج امتیاز، جایزه و خرید عضویت در بازه.",
    ),
    "points_expired": (
        "Points taken by expiry entries in the period, net of expired points given back.",
        "امتیازهای منقضی‌شده در بازه، منهای امتیازهای منقضی‌شدهٔ بازگشته.",
    ),
    "points_outstanding": (
        "Every point change up to the period's end, added up.",
        "جمع همهٔ تغییرات امتیاز تا پایان بازه.",
    ),
    "liability_rials": (
        "points_outstanding times the rials one point is worth (the redemption rate) under the rule set in "
        "force at the period's end: the club's default, or the branch's own for a branch.",
        "امتیازهای مانده ضرب در ارزش ریالی هر امتیاز (نرخ خرج امتیاز) در قواعد جاری در پایان بازه: "
        "نرخ پیش‌فرض باشگاه، یا نرخ خود شعبه برای گزارش یک شعبه.",
    ),
    "wallet_outstanding_rials": (
        "Every cashback wallet change up to the period's end, added up, in rials.",
        "جمع همهٔ تغییرات کیف پول بازگشت نقدی تا پایان بازه، به ریال.",
    ),
    "period": (
        "By local date in the club's time zone, from the first day 00:00 to the end of the last day, on "
        "the entries' created_at.",
        "بر پایهٔ تاریخ محلی در منطقهٔ زمانی باشگاه، از ساعت ۰۰:۰۰ روز نخست تا پایان روز آخر، بر اساس زمان "
        "ثبت ورودی‌ها.",
    ),
    "branch_filter": (
        "For one branch: the entries written at that branch; members_total counts the members whose home "
        "branch it is, and the engaged members are counted among them.",
        "برای یک شعبه: ورودی‌های ثبت‌شده در آن شعبه؛ کل اعضا اعضایی‌اند که شعبهٔ اصلی‌شان آن شعبه است و "
        "اعضای درگیر از میان همان‌ها شمرده می‌شوند.",
    ),
    "tier_filter": (
        "For one tier: the members whose current tier it is, and their entries.",
        "برای یک سطح: اعضایی که سطح کنونی‌شان آن سطح است، و ورودی‌هایشان.",
    ),
}


def _ratio(numerator: int, denominator: int) -> Fraction:
    return Fraction(numerator, denominator) if denominator else Fraction(0)


def summarize(
    entries: Iterable[ReportEntry],
    members: Iterable[ReportMember],
    period_start_us: int,
    period_end_us: int,
    point_value_rials: int,
    *,
    branch: str | None = None,
    tier: str | None = None,
) -> Summary:
    """The summary for [period_start_us, period_end_us) by the definitions in `DEFINITIONS`.

    `entries` is the ledger (at least up to the period's end, and every reversal of the period's sales,
    whenever made); `members` every member. `branch` and `tier` are codes to filter by.
    """
    members = [m for m in members if tier is None or m.tier == tier]
    in_tier = {m.id for m in members}
    counted = {
        m.id for m in members if m.joined_at_us < period_end_us and (branch is None or m.branch == branch)
    }
    returned: Counter[str] = Counter()  # by sale id: rials returned (positive), at any time
    kept: list[ReportEntry] = []
    for entry in entries:
        if entry.kind is EntryKind.REVERSAL and entry.reverses is not None:
            returned[entry.reverses] -= entry.sale_amount
        if entry.member_id in in_tier and (branch is None or entry.branch == branch):
            kept.append(entry)

    def within(entry: ReportEntry) -> bool:
        return period_start_us <= entry.created_at_us < period_end_us

    purchases: Counter[str] = Counter()  # by member
    net_sales = issued = redeemed = expired = outstanding = wallet = 0
    engaged: set[str] = set()
    for entry in kept:
        if entry.created_at_us < period_end_us:
            outstanding += entry.points_delta
            wallet += entry.cash_delta
        if not within(entry):
            continue
        if entry.kind in ENGAGING_KINDS:
            engaged.add(entry.member_id)
        if entry.kind not in NOT_ISSUED_KINDS and entry.points_delta > 0:
            issued += entry.points_delta
        if entry.kind in SPENDING_KINDS:
            redeemed -= entry.points_delta
        if entry.kind is EntryKind.EXPIRE:
            expired -= entry.points_delta
        if entry.kind is EntryKind.EARN and entry.sale_amount > 0 and returned[entry.id] < entry.sale_amount:
            purchases[entry.member_id] += 1
            net_sales += entry.sale_amount - returned[entry.id]
    active = len(purchases)
    count = sum(purchases.values())
    return Summary(
        members_total=len(counted),
        members_active=active,
        engagement_rate=_ratio(len(engaged & counted), len(counted)),
        repeat_customer_rate=_ratio(sum(1 for n in purchases.values() if n >= 2), active),
        purchase_frequency=_ratio(count, active),
        net_sales_rials=net_sales,
        average_basket_rials=net_sales // count if count else 0,
        points_issued=issued,
        points_redeemed=redeemed,
        points_expired=expired,
        points_outstanding=outstanding,
        liability_rials=outstanding * point_value_rials,
        wallet_outstanding_rials=wallet,
    )
