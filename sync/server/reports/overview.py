# SPDX-License-Identifier: GPL-3.0-or-later
"""The overview: the summary's numbers for the period (app.domain.report_summary, from the aggregates), each
with its definition and a drill-down to the members or entries behind it, and the period day by day.

The summary is one row whose columns are the summary's keys (each number shown by its own kind: a count,
Toman, a percentage), which the page shows as a list; the daily table reads `report_day`, or the member
rows with a tier (the day rows have no tier).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from sqlalchemy import Connection, and_, case, func, select

from app.domain.ledger import EntryKind
from app.domain.report_summary import DEFINITIONS, NOT_ISSUED_KINDS, SPENDING_KINDS, SUMMARY_KEYS, Summary
from sync.server.club import reports as club_reports
from sync.server.club.access import Permission
from sync.server.club.act import Call, read
from sync.server.models import MEMBER, REPORT_DAY, REPORT_MEMBER_DAY
from sync.server.reports import filtering
from sync.server.reports.table import Cell, Chart, Column, Drill, Filters, Kind, Report, Result, Table

# key: (Persian title, English title, kind)
TITLES: dict[str, tuple[str, str, Kind]] = {
    "members_total": ("کل اعضا", "Members", Kind.COUNT),
    "members_active": ("اعضای فعال", "Active members", Kind.COUNT),
    "engagement_rate": ("نرخ مشارکت", "Engagement rate", Kind.RATE),
    "repeat_customer_rate": ("نرخ مشتریان تکراری", "Repeat customer rate", Kind.RATE),
    "purchase_frequency": ("تعداد خرید هر عضو فعال", "Purchase frequency", Kind.RATIO),
    "net_sales_rials": ("فروش خالص (تومان)", "Net sales (Toman)", Kind.RIALS),
    "average_basket_rials": ("میانگین سبد خرید (تومان)", "Average basket (Toman)", Kind.RIALS),
    "points_issued": ("امتیاز داده‌شده", "Points issued", Kind.COUNT),
    "points_redeemed": ("امتیاز خرج‌شده", "Points redeemed", Kind.COUNT),
    "points_expired": ("امتیاز منقضی‌شده", "Points expired", Kind.COUNT),
    "points_outstanding": ("امتیاز مانده", "Points outstanding", Kind.COUNT),
    "liability_rials": ("بدهی امتیازها (تومان)", "Points liability (Toman)", Kind.RIALS),
    "wallet_outstanding_rials": ("مانده کیف پول (تومان)", "Wallet outstanding (Toman)", Kind.RIALS),
}
assert tuple(TITLES) == SUMMARY_KEYS

_EARN = (EntryKind.EARN.value,)
_SPENDING = tuple(sorted(k.value for k in SPENDING_KINDS))
_REVERSAL = EntryKind.REVERSAL.value
_NOT_ISSUED = tuple(sorted(k.value for k in NOT_ISSUED_KINDS))
# the members or entries behind each number (the period is the page's)
_DRILLS: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "members_total": ("members", "joined", ()),
    "members_active": ("members", "active", ()),
    "engagement_rate": ("members", "engaged", ()),
    "repeat_customer_rate": ("members", "repeat", ()),
    "purchase_frequency": ("entries", "purchases", _EARN),
    "net_sales_rials": ("entries", "purchases", _EARN),
    "average_basket_rials": ("entries", "purchases", _EARN),
    "points_redeemed": ("entries", None, _SPENDING),
    "points_expired": ("entries", None, (EntryKind.EXPIRE.value,)),
}

DAILY_COLUMNS = (
    Column("day", "روز", "Day", Kind.DAY),
    Column("purchases", "خریدها", "Purchases", Kind.COUNT, "purchase"),
    Column("net_sales_rials", "فروش خالص (تومان)", "Net sales (Toman)", Kind.RIALS, "net_sales_rials"),
    Column("points_issued", "امتیاز داده‌شده", "Points issued", Kind.COUNT, "points_issued"),
    Column("points_redeemed", "امتیاز خرج‌شده", "Points redeemed", Kind.COUNT, "points_redeemed"),
)


def _drill(key: str, filters: Filters, first: date | None = None) -> Drill | None:
    found = _DRILLS.get(key)
    if found is None:
        return None
    target, named, kinds = found
    return Drill(target, first=first, last=first, branch=filters.branch, tier=filters.tier, kinds=kinds,
                 named=named)  # fmt: skip


def summary_table(numbers: Summary, filters: Filters) -> Table:
    columns = tuple(Column(k, fa, en, kind, k) for k, (fa, en, kind) in TITLES.items())
    # a zero leads nowhere: nothing is behind it
    row = tuple(
        Cell(v, _drill(k, filters) if v else None)
        for k, v in ((k, getattr(numbers, k)) for k in SUMMARY_KEYS)
    )
    return Table(
        "summary", "خلاصه", "Summary", columns, [row],
        note_fa="بازه بر پایهٔ تاریخ محلی باشگاه است؛ سطح، سطح کنونی عضو است.",
        note_en="The period is by the club's local date; the tier is the member's current tier.",
    )  # fmt: skip


def daily_table(conn: Connection, filters: Filters, branch_id: str | None) -> Table:
    """Each day of the period: purchases, net sales, points issued and redeemed (zeros on a quiet day)."""
    d1, d2 = filters.first.toordinal(), filters.last.toordinal()
    if filters.tier is None:
        day = REPORT_DAY.c
        query = select(
            day.day,
            func.sum(day.purchases).label("purchases"),
            func.sum(day.net_sales_rials).label("net_sales"),
            func.sum(case((day.kind.not_in(_NOT_ISSUED), day.points_plus), else_=0)).label("issued"),
            -func.sum(case((day.kind.in_(_SPENDING), day.points_delta), else_=0)).label("redeemed"),
        ).where(day.day >= d1, day.day <= d2)
    else:
        day = REPORT_MEMBER_DAY.c
        query = select(
            day.day,
            func.sum(day.purchases).label("purchases"),
            func.sum(day.net_sales_rials).label("net_sales"),
            func.sum(day.points_issued).label("issued"),
            func.sum(day.points_redeemed).label("redeemed"),
        ).join_from(REPORT_MEMBER_DAY, MEMBER, and_(MEMBER.c.id == day.member_id,
                                                    MEMBER.c.tier_code == filters.tier))  # fmt: skip
        query = query.where(day.day >= d1, day.day <= d2)
    if branch_id is not None:
        query = query.where(day.branch_id == branch_id)
    found = {r.day: r for r in conn.execute(query.group_by(day.day))}
    rows: list[tuple[Cell | int | Fraction | float | str | date | None, ...]] = []
    for when in filtering.days(filters):
        r = found.get(when.toordinal())
        numbers = (0, 0, 0, 0) if r is None else (r.purchases, r.net_sales, r.issued, r.redeemed)
        purchases, net_sales, issued, redeemed = (int(n or 0) for n in numbers)
        behind = _drill("purchase_frequency", filters, when) if purchases else None
        rows.append((when, Cell(purchases, behind), net_sales, issued, redeemed))
    return Table(
        "daily", "روز به روز", "Day by day", DAILY_COLUMNS, rows,
        chart=Chart("line", "day", ("purchases", "net_sales_rials", "points_issued", "points_redeemed")),
    )  # fmt: skip


def build(call: Call, filters: Filters) -> Result:
    """The overview for the filters: the summary and the daily table, as far as the aggregates counted
    (the page never waits for them to catch up: it says how far behind they are)."""
    with call.db.replica_read() as conn:
        branch_id = filtering.branch_id(conn, call, filters.branch)
    within = club_reports.period(call, filters.first, filters.last)
    assert within is not None
    counted = club_reports.counted_summary(call, within, filters.branch, filters.tier, catch_up=0)
    daily = read(call, "report.overview", filters.branch, lambda conn: daily_table(conn, filters, branch_id),
                 branch_id=branch_id, audited=False)  # fmt: skip
    return Result([summary_table(counted.summary, filters), daily], counted.as_of, DEFINITIONS)


REPORTS = [
    Report("overview", "نمای کلی", "Overview", build, DEFINITIONS, Permission.READ),
]
