# SPDX-License-Identifier: GPL-3.0-or-later
"""Who stays: retention by join-month cohort, lapsed members and churn, historical lifetime value.

All three read the per-member aggregates (report_member_month, report_member_day) with the member table,
grouped in SQL; the members a filter chooses are by home branch and current tier (as the summary's
members_total), their purchases are counted wherever they were made.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Select, and_, case, func, select, union

from app.domain.digits import to_persian_digits
from sync.server.club.access import Permission
from sync.server.club.act import Call, read
from sync.server.db import Database
from sync.server.models import MEMBER, REPORT_MEMBER_DAY, REPORT_MEMBER_MONTH
from sync.server.reports.aggregates import day_of, month_first, month_of
from sync.server.reports.insights_common import (
    Progress,
    Scope,
    branch_id_of,
    month_case,
    months,
    ratio,
    run,
    run_slow,
)
from sync.server.reports.insights_common import scope as scope_of
from sync.server.reports.table import (
    MAX_LISTED,
    Cell,
    Chart,
    Column,
    Drill,
    Filters,
    Kind,
    Report,
    Result,
    Table,
)

MM = REPORT_MEMBER_MONTH
MD = REPORT_MEMBER_DAY
MAX_MONTHS_AFTER = 24  # the retention table's last column: months since joining


def _month_last(month: int) -> date:
    return month_first(month + 1) - timedelta(days=1)


def _cohort_starts(scope: Scope) -> list[int]:
    """The cohorts' bounds: every month of the club's (Jalali) calendar the period touches, whole, as UTC
    microseconds."""
    return [scope.month_start_us(m) for m in months(scope.first_month, scope.last_month + 1)]


# ---- retention ---------------------------------------------------------------------------------------

RETENTION_DEFINITIONS: dict[str, tuple[str, str]] = {
    "cohort": (
        "The members who joined in one month of the club's calendar (Jalali months, as the aggregates "
        "count them; member.joined_at). The period chooses the cohorts: every month it touches, whole. "
        "Branch: the members' home branch; tier: their current tier.",
        "اعضایی که در یک ماه از تقویم باشگاه (ماه‌های خورشیدی، همان‌گونه که تجمیع‌ها می‌شمارند) عضو "
        "شده‌اند (زمان عضویت). بازه، گروه‌ها را برمی‌گزیند: هر ماهی که بازه به آن می‌رسد، به‌طور کامل. شعبه: "
        "شعبهٔ اصلی عضو؛ سطح: سطح کنونی عضو.",
    ),
    "cohort_size": (
        "Members in the cohort.",
        "تعداد اعضای گروه.",
    ),
    "retention": (
        "Month k: the share of the cohort with at least one purchase (as the summary defines it, at any "
        "branch) in the k-th month of the club's calendar after the joining month (month 0 is the joining "
        "month itself). Months still to come are blank; the current month is counted so far.",
        "ماه k: سهمی از گروه که در k-امین ماه تقویم باشگاه پس از ماه عضویت (ماه ۰ همان ماه عضویت است) "
        "دست‌کم یک خرید (به تعریف خلاصه، در هر شعبه) داشته‌اند. ماه‌های نیامده خالی‌اند؛ ماه جاری تا امروز "
        "شمرده می‌شود.",
    ),
}


def _cohorts(scope: Scope, starts: list[int]) -> Any:
    """The members of the cohorts that `starts` bound (home branch, current tier), numbered by cohort."""
    joined = and_(MEMBER.c.joined_at_us >= starts[0], MEMBER.c.joined_at_us < starts[-1])
    cohort = month_case(MEMBER.c.joined_at_us, starts).label("cohort")
    return scope.members(select(MEMBER.c.id, cohort).where(joined), joined_by_end=False).subquery()


def _cohort_buyers(members: Any, first_month: int, last_month: int) -> Select[Any]:
    """Each cohort member's months from `first_month` to `last_month` with at least one purchase."""
    return (
        select(members.c.cohort, MM.c.month, MM.c.member_id)
        .select_from(members.join(MM, MM.c.member_id == members.c.id))
        .where(MM.c.purchases > 0, MM.c.month >= first_month, MM.c.month <= last_month)
    )


def _retention(call: Call, conn: Connection, scope: Scope) -> Result:
    starts = _cohort_starts(scope)
    first = scope.first_month
    now_month = month_of(day_of(scope.calendar, call.now_us))
    span = max(0, min(now_month - first, MAX_MONTHS_AFTER))
    members = _cohorts(scope, starts)
    sizes = {
        r.cohort: r.n
        for r in conn.execute(select(members.c.cohort, func.count().label("n")).group_by(members.c.cohort))
    }
    bought = _cohort_buyers(members, first, first + len(starts) - 2 + span).subquery()
    buyers = select(
        bought.c.cohort, bought.c.month, func.count(func.distinct(bought.c.member_id)).label("n")
    ).group_by(bought.c.cohort, bought.c.month)
    active = {(r.cohort, r.month): r.n for r in conn.execute(buyers)}
    columns = [
        Column("cohort", "ماه عضویت", "Joining month", Kind.MONTH, "cohort"),
        Column("members", "اعضای گروه", "Cohort size", Kind.COUNT, "cohort_size"),
    ]
    columns += [
        Column(f"m{k}", f"ماه {to_persian_digits(str(k))}", f"Month {k}", Kind.RATE, "retention")
        for k in range(span + 1)
    ]
    rows: list[tuple[Any, ...]] = []
    for i, month in enumerate(months(first, scope.last_month)):
        size = sizes.get(i, 0)
        drill = Drill("members", month_first(month), _month_last(month), scope.filters.branch,
                      scope.filters.tier, named="cohort")  # fmt: skip
        cells: list[Any] = [month_first(month), Cell(size, drill)]
        for k in range(span + 1):
            later = month + k
            if later > now_month or size == 0:  # months to come, and a cohort of nobody, have no share
                cells.append(None)
                continue
            named = f"cohort_active:{month_first(month).isoformat()}"
            bought = Drill("members", month_first(later), _month_last(later), scope.filters.branch,
                           scope.filters.tier, named=named)  # fmt: skip
            cells.append(Cell(ratio(active.get((i, later), 0), size), bought))
        rows.append(tuple(cells))
    table = Table(
        "retention", "ماندگاری گروه‌های عضویت", "Retention by joining month", tuple(columns), rows,
        Chart("heatmap", "cohort", tuple(c.key for c in columns[2:])),
        note_fa="هر خانه: سهم گروه با دست‌کم یک خرید در آن ماه پس از عضویت.",
        note_en="Each cell: the share of the cohort with a purchase that many months after joining.",
    )  # fmt: skip
    return Result([table], definitions=RETENTION_DEFINITIONS)


def build_retention(call: Call, filters: Filters) -> Result:
    return run(call, "retention", filters, lambda conn, scope: _retention(call, conn, scope))


# ---- lapsed members and churn ------------------------------------------------------------------------

BANDS = (
    ("0-30", "۰ تا ۳۰ روز", "0–30 days", 30),
    ("31-60", "۳۱ تا ۶۰ روز", "31–60 days", 60),
    ("61-90", "۶۱ تا ۹۰ روز", "61–90 days", 90),
    ("91-180", "۹۱ تا ۱۸۰ روز", "91–180 days", 180),
    ("181-365", "۱۸۱ تا ۳۶۵ روز", "181–365 days", 365),
)
OVER_A_YEAR = ("over_365", "بیش از ۳۶۵ روز", "Over 365 days")
NEVER = ("never", "هرگز", "Never")

LAPSED_DEFINITIONS: dict[str, tuple[str, str]] = {
    "recency_band": (
        "Days from a member's last purchase (as the summary defines it, at any branch) to the period's last "
        "day, both local dates: 0–30, 31–60, 61–90, 91–180, 181–365, over 365, or never. Members: those who "
        "joined on or before the period's last day; branch: home branch; tier: current tier.",
        "روزهای میان آخرین خرید عضو (به تعریف خلاصه، در هر شعبه) و آخرین روز بازه، هر دو به تاریخ محلی: "
        "۰ تا ۳۰، ۳۱ تا ۶۰، ۶۱ تا ۹۰، ۹۱ تا ۱۸۰، ۱۸۱ تا ۳۶۵، بیش از ۳۶۵، یا هرگز. اعضا: آن‌ها که تا آخرین روز "
        "بازه عضو شده‌اند؛ شعبه: شعبهٔ اصلی؛ سطح: سطح کنونی.",
    ),
    "members_in_band": ("Members in the band.", "تعداد اعضای هر دسته."),
    "share_in_band": ("Members in the band ÷ every member counted.", "اعضای دسته تقسیم بر همهٔ اعضای شمرده."),
    "previous_period": (
        "The period of equal length just before the chosen one: as many days, ending the day before it "
        "starts.",
        "بازه‌ای هم‌اندازه درست پیش از بازهٔ برگزیده: همان شمار روز، که روز پیش از آغاز آن پایان می‌یابد.",
    ),
    "active_before": (
        "Members with at least one purchase in the previous period.",
        "اعضایی که در بازهٔ پیشین دست‌کم یک خرید داشته‌اند.",
    ),
    "active_now": (
        "Members with at least one purchase in the period.",
        "اعضایی که در بازه دست‌کم یک خرید داشته‌اند.",
    ),
    "churned": (
        "Members active in the previous period with no purchase in this one.",
        "اعضای فعال بازهٔ پیشین که در این بازه خریدی نداشته‌اند.",
    ),
    "churn_rate": (
        "churned ÷ active_before (0 when no member was active before).",
        "ریزش‌کرده‌ها تقسیم بر فعال‌های بازهٔ پیشین (۰ اگر کسی پیش‌تر فعال نبوده).",
    ),
}


def _recency(scope: Scope) -> Any:
    """Every member the filters choose with their recency band's code (`band`)."""
    end = scope.last_day
    end_month = month_of(end)
    month_start_day = month_first(end_month).toordinal()
    recent = (
        select(MD.c.member_id, func.max(MD.c.day).label("last"))
        .where(MD.c.purchases > 0, MD.c.day >= end - 365, MD.c.day <= end)
        .group_by(MD.c.member_id)
        .subquery()
    )
    ever = union(
        select(MM.c.member_id).where(MM.c.purchases > 0, MM.c.month < end_month),
        select(MD.c.member_id).where(MD.c.purchases > 0, MD.c.day >= month_start_day, MD.c.day <= end),
    ).subquery()
    band = case(
        *((recent.c.last >= end - upto, code) for code, _fa, _en, upto in BANDS),
        (ever.c.member_id.is_not(None), OVER_A_YEAR[0]),
        else_=NEVER[0],
    ).label("band")
    return scope.members(
        select(MEMBER.c.id, band).select_from(
            MEMBER.outerjoin(recent, recent.c.member_id == MEMBER.c.id).outerjoin(
                ever, ever.c.member_id == MEMBER.c.id
            )
        )
    ).subquery()


def _lapsed(conn: Connection, scope: Scope) -> Result:
    per_member = _recency(scope)
    counts = {
        r.band: r.n
        for r in conn.execute(select(per_member.c.band, func.count().label("n")).group_by(per_member.c.band))
    }
    total = sum(counts.values())
    labels = [(code, fa, en) for code, fa, en, _ in BANDS] + [OVER_A_YEAR, NEVER]
    band_rows: list[tuple[Any, ...]] = [
        (Cell(code), fa, en,
         Cell(counts.get(code, 0), Drill("members", scope.filters.first, scope.filters.last,
                                         scope.filters.branch, scope.filters.tier, named=f"recency:{code}")),
         ratio(counts.get(code, 0), total))
        for code, fa, en in labels
    ]  # fmt: skip
    bands = Table(
        "recency", "اعضا بر پایهٔ آخرین خرید", "Members by their last purchase",
        (Column("band", "دسته", "Band", Kind.TEXT, "recency_band"),
         Column("band_fa", "دسته", "Band (fa)", Kind.TEXT),
         Column("band_en", "دسته (انگلیسی)", "Band (en)", Kind.TEXT),
         Column("members", "اعضا", "Members", Kind.COUNT, "members_in_band"),
         Column("share", "سهم", "Share", Kind.RATE, "share_in_band")),
        band_rows, Chart("bar", "band_en", ("members",)),
        note_fa=f"تا پایان {scope.filters.last.isoformat()}.",
        note_en=f"As of the end of {scope.filters.last.isoformat()}.",
    )  # fmt: skip
    return Result([bands, _churn(conn, scope)], definitions=LAPSED_DEFINITIONS)


def _churn_per(scope: Scope) -> tuple[Any, Any, Any]:
    """Per member with a purchase in the previous period or this one: bought `before`, bought `now`; the
    join with the member table, and the condition of the churned (before, not now)."""
    first, last = scope.first_day, scope.last_day
    length = last - first + 1
    per = (
        select(
            MD.c.member_id,
            func.max(case((MD.c.day < first, 1), else_=0)).label("before"),
            func.max(case((MD.c.day >= first, 1), else_=0)).label("now"),
        )
        .where(MD.c.purchases > 0, MD.c.day >= first - length, MD.c.day <= last)
        .group_by(MD.c.member_id)
        .subquery()
    )
    joined = per.join(MEMBER, MEMBER.c.id == per.c.member_id)
    return per, joined, and_(per.c.before == 1, per.c.now == 0)


def _churned(scope: Scope) -> Select[Any]:
    per, joined, lost = _churn_per(scope)
    return scope.members(select(per.c.member_id).select_from(joined).where(lost))


def _churn(conn: Connection, scope: Scope) -> Table:
    first, last = scope.first_day, scope.last_day
    length = last - first + 1
    per, joined, lost = _churn_per(scope)
    totals = conn.execute(
        scope.members(
            select(
                func.coalesce(func.sum(per.c.before), 0).label("before"),
                func.coalesce(func.sum(per.c.now), 0).label("now"),
                func.coalesce(func.sum(case((lost, 1), else_=0)), 0).label("lost"),
            ).select_from(joined)
        )
    ).one()
    listed: tuple[str, ...] = ()
    if 0 < totals.lost <= MAX_LISTED:
        listed = tuple(sorted(conn.execute(_churned(scope)).scalars()))
    before_first = date.fromordinal(first - length)
    before_last = date.fromordinal(first - 1)
    f = scope.filters
    row = (
        before_first,
        before_last,
        Cell(int(totals.before),
             Drill("members", before_first, before_last, f.branch, f.tier, named="active")),
        Cell(int(totals.now), Drill("members", f.first, f.last, f.branch, f.tier, named="active")),
        Cell(int(totals.before - totals.lost)),
        Cell(int(totals.lost), Drill("members", f.first, f.last, f.branch, f.tier, member_ids=listed,
                                     named="churned") if totals.lost else None),
        ratio(int(totals.lost), int(totals.before)),
    )  # fmt: skip
    return Table(
        "churn", "ریزش", "Churn",
        (Column("previous_first", "آغاز بازهٔ پیشین", "Previous period from", Kind.DAY, "previous_period"),
         Column("previous_last", "پایان بازهٔ پیشین", "Previous period to", Kind.DAY, "previous_period"),
         Column("active_before", "فعال در بازهٔ پیشین", "Active before", Kind.COUNT, "active_before"),
         Column("active_now", "فعال در بازه", "Active now", Kind.COUNT, "active_now"),
         Column("retained", "مانده", "Retained", Kind.COUNT, "active_before"),
         Column("churned", "ریزش‌کرده", "Churned", Kind.COUNT, "churned"),
         Column("churn_rate", "نرخ ریزش", "Churn rate", Kind.RATE, "churn_rate")),
        [row],
    )  # fmt: skip


def build_lapsed(call: Call, filters: Filters, progress: Progress = None) -> Result:
    return run_slow(call, "lapsed", filters, _in_one_read(_lapsed), progress)


def _in_one_read(
    work: Callable[[Connection, Scope], Result],
) -> Callable[[Database, Scope, Progress], Result]:
    """A slow report that is one query: read in one transaction, progress only at its end."""

    def run_once(db: Database, scope: Scope, _progress: Progress) -> Result:
        with db.replica_read() as conn:
            return work(conn, scope)

    return run_once


# ---- lifetime value ----------------------------------------------------------------------------------

LTV_DEFINITIONS: dict[str, tuple[str, str]] = {
    "ltv_members": (
        "Members who joined in the months of the club's (Jalali) calendar the period touches (whole "
        "months), by home branch and current tier.",
        "اعضایی که در ماه‌های خورشیدی تقویم باشگاه که بازه به آن‌ها می‌رسد (ماه‌های کامل) عضو شده‌اند، بر "
        "پایهٔ شعبهٔ اصلی و سطح کنونی.",
    ),
    "ltv_purchases": (
        "Their purchases (as the summary defines them, at any branch) from joining to the last count.",
        "خریدهای آنان (به تعریف خلاصه، در هر شعبه) از عضویت تا آخرین شمارش.",
    ),
    "ltv_net_sales": (
        "Their net sales in rials (sales less partial returns, as the summary defines them) from joining "
        "to the last count.",
        "فروش خالص آنان به ریال (فروش منهای برگشت‌های جزئی، به تعریف خلاصه) از عضویت تا آخرین شمارش.",
    ),
    "ltv_average_purchases": (
        "Purchases ÷ members (members without a purchase count as zero).",
        "خریدها تقسیم بر اعضا (اعضای بی‌خرید صفر به شمار می‌آیند).",
    ),
    "ltv_average_net_sales": (
        "Net sales ÷ members, rounded down: the historical lifetime value per member.",
        "فروش خالص تقسیم بر اعضا، گرد به پایین: ارزش طول عمر تاریخی هر عضو.",
    ),
}

PREDICTIVE_NOTE_EN = (
    "Historical only. A predictive value (expected purchases and spend, BG/NBD with Gamma-Gamma) is left "
    "out: lifetimes is unmaintained since 2020 and its successor btyd is an abandoned beta; pymc-marketing "
    "is maintained and does it well, but brings PyMC and PyTensor (a C compiler at run time) and a fit "
    "that is a batch job in itself — too heavy for the club server. See docs/reports.md."
)
PREDICTIVE_NOTE_FA = (
    "فقط تاریخی. ارزش پیش‌بینی‌شده (خرید و هزینهٔ مورد انتظار با مدل BG/NBD و Gamma-Gamma) کنار گذاشته شد: "
    "کتابخانهٔ lifetimes از ۲۰۲۰ نگهداری نمی‌شود و جانشین آن btyd نسخهٔ آزمایشی رهاشده است؛ pymc-marketing "
    "نگهداری می‌شود و کار را خوب می‌کند، اما PyMC و PyTensor (کامپایلر C در زمان اجرا) و برازشی را می‌آورد "
    "که خود کاری سنگین است — برای سرور باشگاه بیش از اندازه. نگاه کنید به docs/reports.md."
)


def _ltv(conn: Connection, scope: Scope) -> Result:
    starts = _cohort_starts(scope)
    joined = and_(MEMBER.c.joined_at_us >= starts[0], MEMBER.c.joined_at_us < starts[-1])
    totals = scope.members(
        select(
            MM.c.member_id,
            func.sum(MM.c.purchases).label("purchases"),
            func.sum(MM.c.net_sales_rials).label("net"),
        )
        .select_from(MM.join(MEMBER, MEMBER.c.id == MM.c.member_id))
        .where(joined)
        .group_by(MM.c.member_id),
        joined_by_end=False,
    ).subquery()
    per_member = scope.members(
        select(
            month_case(MEMBER.c.joined_at_us, starts).label("cohort"),
            MEMBER.c.branch_id,
            MEMBER.c.tier_code,
            func.coalesce(totals.c.purchases, 0).label("purchases"),
            func.coalesce(totals.c.net, 0).label("net"),
        )
        .select_from(MEMBER.outerjoin(totals, totals.c.member_id == MEMBER.c.id))
        .where(joined),
        joined_by_end=False,
    ).subquery()
    grouped = select(
        per_member.c.cohort, per_member.c.branch_id, per_member.c.tier_code, func.count().label("members"),
        func.sum(per_member.c.purchases).label("purchases"), func.sum(per_member.c.net).label("net"),
    ).group_by(per_member.c.cohort, per_member.c.branch_id, per_member.c.tier_code)  # fmt: skip
    by: dict[str, dict[Any, list[int]]] = {"cohort": defaultdict(lambda: [0, 0, 0]),
                                           "branch": defaultdict(lambda: [0, 0, 0]),
                                           "tier": defaultdict(lambda: [0, 0, 0])}  # fmt: skip
    for r in conn.execute(grouped):
        keys = {"cohort": month_first(scope.first_month + r.cohort), "branch": scope.code(r.branch_id),
                "tier": r.tier_code}  # fmt: skip
        for dimension, key in keys.items():
            sums = by[dimension][key]
            sums[0] += r.members
            sums[1] += int(r.purchases)
            sums[2] += int(r.net)
    f = scope.filters
    titles = {
        "cohort": ("ارزش طول عمر بر پایهٔ ماه عضویت", "Lifetime value by joining month", Kind.MONTH,
                   "ماه عضویت", "Joining month"),
        "branch": ("ارزش طول عمر بر پایهٔ شعبهٔ اصلی", "Lifetime value by home branch", Kind.TEXT,
                   "شعبه", "Branch"),
        "tier": ("ارزش طول عمر بر پایهٔ سطح کنونی", "Lifetime value by current tier", Kind.TEXT,
                 "سطح", "Tier"),
    }  # fmt: skip
    tables = []
    for dimension, (title_fa, title_en, kind, key_fa, key_en) in titles.items():
        rows = []
        for key in sorted(by[dimension]):
            members, purchases, net = by[dimension][key]
            drill = Drill("members", f.first, f.last, key if dimension == "branch" else f.branch,
                          key if dimension == "tier" else f.tier, named="cohort")  # fmt: skip
            if dimension == "cohort":
                drill = Drill("members", key, _month_last(month_of(key)), f.branch, f.tier, named="cohort")
            rows.append((key, Cell(members, drill), purchases, net, ratio(purchases, members),
                         net // members if members else 0))  # fmt: skip
        columns = (
            Column(dimension, key_fa, key_en, kind),
            Column("members", "اعضا", "Members", Kind.COUNT, "ltv_members"),
            Column("purchases", "خریدها", "Purchases", Kind.COUNT, "ltv_purchases"),
            Column("net_sales_rials", "فروش خالص", "Net sales", Kind.RIALS, "ltv_net_sales"),
            Column("average_purchases", "میانگین خرید هر عضو", "Purchases per member", Kind.RATIO,
                   "ltv_average_purchases"),
            Column("average_net_sales_rials", "ارزش طول عمر هر عضو", "Lifetime value per member", Kind.RIALS,
                   "ltv_average_net_sales"),
        )  # fmt: skip
        tables.append(Table(f"ltv_{dimension}", title_fa, title_en, columns, rows,
                            Chart("bar", dimension, ("average_net_sales_rials",)),
                            note_fa=PREDICTIVE_NOTE_FA, note_en=PREDICTIVE_NOTE_EN))  # fmt: skip
    return Result(tables, definitions=LTV_DEFINITIONS)


def build_ltv(call: Call, filters: Filters, progress: Progress = None) -> Result:
    return run_slow(call, "lifetime_value", filters, _in_one_read(_ltv), progress)


# ---- the members behind the numbers ----------------------------------------------------------------------


def members_of(call: Call, named: str, filters: Filters) -> list[str] | None:
    """The members of a named set these reports' drills give, by the same queries as their numbers:
    "cohort" (the members who joined in the months the filters' period touches, whole),
    "cohort_active:<the cohort's first day>" (the cohort's members with a purchase in the filters'
    month), "recency:<band>", "churned". None: not one of these reports' sets."""
    kind, _, arg = named.partition(":")

    def cohort_active(conn: Connection, scope: Scope) -> Select[Any]:
        cohort = month_of(date.fromisoformat(arg))
        members = _cohorts(scope, [scope.month_start_us(cohort), scope.month_start_us(cohort + 1)])
        bought = _cohort_buyers(members, scope.first_month, scope.first_month)
        return select(bought.subquery().c.member_id).distinct()

    def recency(conn: Connection, scope: Scope) -> Select[Any]:
        per_member = _recency(scope)
        return select(per_member.c.id).where(per_member.c.band == arg)

    def cohort(conn: Connection, scope: Scope) -> Select[Any]:
        return select(_cohorts(scope, _cohort_starts(scope)).c.id)

    queries = {"cohort_active": cohort_active, "recency": recency, "churned": lambda _c, s: _churned(s),
               "cohort": cohort}  # fmt: skip
    if kind not in queries or (kind in ("churned", "cohort")) != (not arg):
        return None
    if kind == "cohort_active" and not _iso_day(arg):
        return None
    if kind == "recency" and arg not in {b[0] for b in BANDS} | {OVER_A_YEAR[0], NEVER[0]}:
        return None

    def ids(conn: Connection) -> list[str]:
        return sorted(conn.execute(queries[kind](conn, scope_of(conn, filters))).scalars())

    return read(call, f"report.members.{kind}", named, ids, branch_id=branch_id_of(call, filters))


def _iso_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == len("2026-12-06")


REPORTS = [
    Report("retention", "ماندگاری گروه‌های عضویت", "Retention by joining month", build_retention,
           RETENTION_DEFINITIONS, Permission.READ),
    Report("lapsed", "اعضای خاموش و ریزش", "Lapsed members and churn", build_lapsed, LAPSED_DEFINITIONS,
           Permission.READ, slow=True),
    Report("lifetime_value", "ارزش طول عمر عضو", "Member lifetime value", build_ltv, LTV_DEFINITIONS,
           Permission.READ, slow=True),
]  # fmt: skip
