# SPDX-License-Identifier: GPL-3.0-or-later
"""Points: issued, redeemed and expired over time, what will expire when, and the liability per branch
with what branches owe each other (points earned at one branch and spent at another).

How points expire (app.domain.expiry, sync.server.programme): every entry that adds points is a lot dated
by its creation; every entry that takes points uses up the oldest lots first (FIFO); what is left of a lot
`expiry_days` after it was earned is expired by the daily run. Under FIFO what a member still holds is
always the newest of their earnings: walking back from the newest lot until the balance is made up gives
exactly the lots still standing. `_expiry` does that per member from report_member_day (day lots) and the
balance; `_liability` replays each member's months first-in-first-out from report_member_month.
"""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from app.domain.ledger import EntryKind
from app.domain.report_summary import NOT_ISSUED_KINDS, SPENDING_KINDS
from sync.server.club.access import Permission
from sync.server.club.act import Call, read
from sync.server.db import Database, one_of
from sync.server.models import MEMBER, REPORT_DAY, REPORT_MEMBER_DAY, REPORT_MEMBER_MONTH
from sync.server.reports.aggregates import month_first, month_of
from sync.server.reports.insights_common import Progress, Scope, branch_id_of, chunks, ratio, run, run_slow
from sync.server.reports.insights_common import scope as scope_of
from sync.server.reports.table import Cell, Chart, Column, Drill, Filters, Kind, Report, Result, Table

DAILY_UP_TO = 62  # a period this many days or shorter is shown day by day, longer ones month by month
EXPIRING_WITHIN = (30, 60, 90)
_SPENDING = tuple(sorted(k.value for k in SPENDING_KINDS))
_EXPIRE = EntryKind.EXPIRE.value
_REVERSAL = EntryKind.REVERSAL.value
_NOT_ISSUED = tuple(sorted(k.value for k in NOT_ISSUED_KINDS))

# ---- points over time ---------------------------------------------------------------------------------

POINTS_DEFINITIONS: dict[str, tuple[str, str]] = {
    "points_issued": (
        "Positive point changes of any kind but reversal and expiry given back, in the day, month or period"
        " (as the summary).",
        "جمع تغییرات مثبت امتیاز از هر نوع جز برگشت و بازگشت امتیاز منقضی‌شده، در روز، ماه یا بازه (همانند"
        " خلاصه).",
    ),
    "points_redeemed": (
        "Points spent by redeem, reward and membership purchase entries (as the summary).",
        "امتیازهای خرج‌شده در ورودی‌های خرج امتیاز، جایزه و خرید عضویت (همانند خلاصه).",
    ),
    "points_expired": (
        "Points taken by expiry entries (as the summary).",
        "امتیازهای منقضی‌شده (همانند خلاصه).",
    ),
    "redemption_rate": (
        "Points redeemed in the period ÷ points issued in the period (0 when none were issued). The points "
        "spent need not be those issued in the period.",
        "امتیازهای خرج‌شدهٔ بازه تقسیم بر امتیازهای صادرشدهٔ بازه (۰ اگر امتیازی صادر نشده). امتیازهای "
        "خرج‌شده لزوماً همان صادرشده‌های بازه نیستند.",
    ),
    "breakage_rate": (
        "Realized breakage: points expired in the period ÷ points issued in the period (0 when none were "
        "issued). The industry's breakage is the share of issued points that will never be redeemed; that "
        "needs a forecast, and this is its observed part.",
        "شکست تحقق‌یافته: امتیازهای منقضی‌شدهٔ بازه تقسیم بر امتیازهای صادرشدهٔ بازه (۰ اگر امتیازی صادر "
        "نشده). در صنعت، شکست سهم امتیازهای صادرشده‌ای است که هرگز خرج نمی‌شوند؛ آن پیش‌بینی می‌خواهد و این "
        "بخش دیده‌شدهٔ آن است.",
    ),
    "points_filters": (
        "Branch: the entries written at the branch; tier: the members whose current tier it is.",
        "شعبه: ورودی‌های ثبت‌شده در شعبه؛ سطح: اعضایی که سطح کنونی‌شان آن است.",
    ),
}


def _points(conn: Connection, scope: Scope) -> Result:
    f = scope.filters
    daily = scope.last_day - scope.first_day + 1 <= DAILY_UP_TO
    by: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    if f.tier is None:
        day = REPORT_DAY.c
        query = select(
            day.day,
            func.sum(func.coalesce(day.points_plus, 0)).filter(day.kind.not_in(_NOT_ISSUED)).label("issued"),
            func.sum(-day.points_delta).filter(day.kind.in_(_SPENDING)).label("redeemed"),
            func.sum(-day.points_delta).filter(day.kind == _EXPIRE).label("expired"),
        ).where(day.day >= scope.first_day, day.day <= scope.last_day)
        if scope.branch_id is not None:
            query = query.where(day.branch_id == scope.branch_id)
        query = query.group_by(day.day)
    else:
        md = REPORT_MEMBER_DAY.c
        query = (
            select(md.day, func.sum(md.points_issued).label("issued"),
                   func.sum(md.points_redeemed).label("redeemed"),
                   func.sum(md.points_expired).label("expired"))
            .select_from(REPORT_MEMBER_DAY.join(MEMBER, MEMBER.c.id == md.member_id))
            .where(md.day >= scope.first_day, md.day <= scope.last_day, MEMBER.c.tier_code == f.tier)
        )  # fmt: skip
        if scope.branch_id is not None:
            query = query.where(md.branch_id == scope.branch_id)
        query = query.group_by(md.day)
    for r in conn.execute(query):
        key = r.day if daily else month_of(r.day)
        sums = by[key]
        sums[0] += int(r.issued or 0)
        sums[1] += int(r.redeemed or 0)
        sums[2] += int(r.expired or 0)
    if daily:
        keys = list(range(scope.first_day, scope.last_day + 1))
    else:
        keys = list(range(scope.first_month, scope.last_month + 1))
    rows = []
    for key in keys:
        issued, redeemed, expired = by.get(key, (0, 0, 0))
        when = date.fromordinal(key) if daily else month_first(key)
        upto = when if daily else min(month_first(key + 1) - timedelta(days=1), f.last)
        start = when if daily else max(when, f.first)

        def drill(kinds: tuple[str, ...], start: date = start, upto: date = upto) -> Drill:
            return Drill("entries", start, upto, f.branch, f.tier, kinds=kinds)

        rows.append((when, Cell(issued), Cell(redeemed, drill(_SPENDING)), Cell(expired, drill((_EXPIRE,)))))
    issued, redeemed, expired = (sum(by[k][i] for k in by) for i in range(3))
    kind = Kind.DAY if daily else Kind.MONTH
    over_time = Table(
        "points_over_time", "امتیازها در گذر زمان", "Points over time",
        (Column("day" if daily else "month", "روز" if daily else "ماه", "Day" if daily else "Month", kind),
         Column("issued", "صادرشده", "Issued", Kind.COUNT, "points_issued"),
         Column("redeemed", "خرج‌شده", "Redeemed", Kind.COUNT, "points_redeemed"),
         Column("expired", "منقضی", "Expired", Kind.COUNT, "points_expired")),
        rows, Chart("line", "day" if daily else "month", ("issued", "redeemed", "expired")),
    )  # fmt: skip
    totals = Table(
        "points_totals", "امتیازهای بازه", "Points in the period",
        (Column("issued", "صادرشده", "Issued", Kind.COUNT, "points_issued"),
         Column("redeemed", "خرج‌شده", "Redeemed", Kind.COUNT, "points_redeemed"),
         Column("expired", "منقضی", "Expired", Kind.COUNT, "points_expired"),
         Column("redemption_rate", "نرخ خرج", "Redemption rate", Kind.RATE, "redemption_rate"),
         Column("breakage_rate", "نرخ شکست", "Breakage rate", Kind.RATE, "breakage_rate")),
        [(issued, redeemed, expired, ratio(redeemed, issued), ratio(expired, issued))],
    )  # fmt: skip
    return Result([over_time, totals], definitions=POINTS_DEFINITIONS)


def build_points(call: Call, filters: Filters) -> Result:
    return run(call, "points", filters, _points)


# ---- outstanding points by expiry ----------------------------------------------------------------------

EXPIRY_DEFINITIONS: dict[str, tuple[str, str]] = {
    "outstanding_points": (
        "Every point change up to the period's last day, per member, added up; members whose total is "
        "above zero (a member below zero owes points and has nothing to expire).",
        "جمع همهٔ تغییرات امتیاز هر عضو تا آخرین روز بازه؛ اعضایی که جمعشان بالای صفر است (عضو زیر صفر "
        "بدهکار است و امتیازی برای انقضا ندارد).",
    ),
    "expiry_day": (
        "Points expire expiry_days after they were earned (the rule set in force at the period's end), "
        "oldest first: the points a member still holds are the newest they earned, so each member's balance "
        "is matched against their earnings (positive changes but reversals) day by day from the newest "
        "back; points earned on day d expire on day d + expiry_days. A balance older than the expiry window "
        "(the daily run has not taken it yet, or points a reversal gave back) is due now.",
        "امتیازها expiry_days روز پس از کسب منقضی می‌شوند (قواعد جاری در پایان بازه)، قدیمی‌ترها نخست: "
        "آنچه عضو هنوز دارد تازه‌ترین امتیازهای کسب‌شدهٔ اوست، پس مانده با کسب‌های عضو (تغییرات مثبت جز "
        "برگشت) روز به روز از تازه‌ترین به عقب جور می‌شود؛ امتیاز کسب‌شده در روز d در روز d + expiry_days "
        "منقضی می‌شود. مانده‌ای کهنه‌تر از پنجرهٔ انقضا (که اجرای روزانه هنوز برنداشته، یا امتیازی که برگشتی "
        "پس داده) اکنون سررسیده است.",
    ),
    "expiring_within": (
        "Outstanding points whose expiry day is 1 to N days after the period's last day.",
        "امتیازهای مانده‌ای که روز انقضایشان ۱ تا N روز پس از آخرین روز بازه است.",
    ),
    "expiry_filters": (
        "Branch: the members whose home branch it is (a member's points expire oldest first whatever "
        "branch gave them); tier: their current tier.",
        "شعبه: اعضایی که شعبهٔ اصلی‌شان آن است (امتیازهای عضو، از هر شعبه، قدیمی‌ترها نخست منقضی می‌شوند)؛ "
        "سطح: سطح کنونی.",
    ),
}


def _member_ids(conn: Connection, scope: Scope, *, home: bool = True) -> list[str]:
    """The members the filters choose, in id order; `home`: narrowed to the branch filter's members."""
    query = select(MEMBER.c.id).where(MEMBER.c.joined_at_us < scope.end_us).order_by(MEMBER.c.id)
    if home and scope.branch_id is not None:
        query = query.where(MEMBER.c.branch_id == scope.branch_id)
    if scope.filters.tier is not None:
        query = query.where(MEMBER.c.tier_code == scope.filters.tier)
    return list(conn.execute(query).scalars())


def _balances(conn: Connection, ids: Any, end_day: int) -> dict[str, int]:
    """Each member's points up to the end of `end_day`: whole months from report_member_month, the last
    month's days from report_member_day."""
    end_month = month_of(end_day)
    month_start = month_first(end_month).toordinal()
    mm, md = REPORT_MEMBER_MONTH.c, REPORT_MEMBER_DAY.c
    balance: dict[str, int] = defaultdict(int)
    months_q = (
        select(mm.member_id, func.sum(mm.points_delta))
        .where(one_of(conn, mm.member_id, ids), mm.month < end_month)
        .group_by(mm.member_id)
    )
    days_q = (
        select(md.member_id, func.sum(md.points_delta))
        .where(one_of(conn, md.member_id, ids), md.day >= month_start, md.day <= end_day)
        .group_by(md.member_id)
    )
    for query in (months_q, days_q):
        for member_id, points in conn.execute(query):
            balance[member_id] += int(points or 0)
    return balance


def _expiring_of(conn: Connection, part: Any, end: int, days: int | None) -> tuple[int, int, dict[int, int]]:
    """Some members' points at the end of day `end`: outstanding, due now, and by expiry day."""
    held, due, per_member = _expiring_per_member(conn, part, end, days)
    by_day: dict[int, int] = defaultdict(int)
    for expiring in per_member.values():
        for day, points in expiring.items():
            by_day[day] += points
    return sum(held.values()), sum(due.values()), by_day


def _expiring_per_member(
    conn: Connection, part: Any, end: int, days: int | None
) -> tuple[dict[str, int], dict[str, int], dict[str, dict[int, int]]]:
    """Each of some members' points at the end of day `end`: outstanding, due now, and by expiry day."""
    md = REPORT_MEMBER_DAY.c
    held = {m: b for m, b in _balances(conn, part, end).items() if b > 0}
    per_member: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    due: dict[str, int] = {}
    if days is None or not held:
        return held, due, per_member
    lots: dict[str, list[tuple[int, int]]] = defaultdict(list)
    query = (
        select(md.member_id, md.day, func.sum(md.points_issued).label("issued"))
        .where(one_of(conn, md.member_id, held), md.day > end - days, md.day <= end, md.points_issued > 0)
        .group_by(md.member_id, md.day)
    )
    for r in conn.execute(query):
        lots[r.member_id].append((r.day, int(r.issued)))
    for member_id, balance in held.items():
        left = balance  # matched against the newest earnings first: what FIFO leaves standing
        for day, points in sorted(lots.get(member_id, ()), reverse=True):
            take = min(left, points)
            per_member[member_id][day + days] += take
            left -= take
            if not left:
                break
        due[member_id] = left
    return held, due, per_member


def _percent(done: int, total: int) -> int:
    return min(99, done * 100 // max(1, total))


def _expiry(db: Database, scope: Scope, progress: Progress) -> Result:
    end = scope.last_day
    days = scope.at_end.expiry_days
    f = scope.filters
    due_now = outstanding = 0
    by_day: dict[int, int] = defaultdict(int)  # expiry day: points
    with db.replica_read() as conn:
        ids = _member_ids(conn, scope)
    done = 0
    for part in chunks(ids):
        with db.replica_read() as conn:
            held, due, expiring = _expiring_of(conn, part, end, days)
        outstanding += held
        due_now += due
        for day, points in expiring.items():
            by_day[day] += points
        done += len(part)
        if progress is not None:  # between reads: the callback writes
            progress(_percent(done, len(ids)))
    within = [sum(p for d, p in by_day.items() if d - end <= n) for n in EXPIRING_WITHIN]
    later = sum(by_day.values()) - within[-1]
    summary = Table(
        "expiring", "امتیازهای در آستانهٔ انقضا", "Points about to expire",
        (Column("outstanding", "امتیاز مانده", "Outstanding", Kind.COUNT, "outstanding_points"),
         Column("due_now", "سررسیده", "Due now", Kind.COUNT, "expiry_day"),
         *(Column(f"within_{n}", f"تا {n} روز", f"Within {n} days", Kind.COUNT, "expiring_within")
           for n in EXPIRING_WITHIN),
         Column("later", "پس از آن", "Later", Kind.COUNT, "expiry_day")),
        [(outstanding, due_now, *within, later)],
        note_fa="امتیازها در این باشگاه منقضی نمی‌شوند." if days is None else f"انقضا: {days} روز پس از کسب.",
        note_en="Points never expire in this club." if days is None else f"Expiry: {days} days after earned.",
    )  # fmt: skip
    by_month: dict[int, int] = defaultdict(int)
    for day, points in by_day.items():
        by_month[month_of(day)] += points
    month_rows = [
        (month_first(m), Cell(p, Drill("members", f.first, f.last, f.branch, f.tier,
                                       named=f"expiring:{month_first(m).isoformat()}")))
        for m, p in sorted(by_month.items())
    ]  # fmt: skip
    months_table = Table(
        "expiring_by_month", "امتیازهای مانده بر پایهٔ ماه انقضا", "Outstanding points by expiry month",
        (Column("month", "ماه انقضا", "Expiry month", Kind.MONTH, "expiry_day"),
         Column("points", "امتیاز", "Points", Kind.COUNT, "expiry_day")),
        month_rows, Chart("bar", "month", ("points",)),
    )  # fmt: skip
    return Result([summary, months_table], definitions=EXPIRY_DEFINITIONS)


def build_expiry(call: Call, filters: Filters, progress: Progress = None) -> Result:
    return run_slow(call, "points_expiry", filters, _expiry, progress)


def members_of(call: Call, named: str, filters: Filters) -> list[str] | None:
    """The members behind "expiring:<a month's first day>": those with outstanding points whose expiry
    day falls in that month of the club's calendar, matched as the report matches them. None: not mine."""
    kind, _, arg = named.partition(":")
    if kind != "expiring":
        return None
    try:
        month = month_of(date.fromisoformat(arg))
    except ValueError:
        return None
    read(call, "report.members.expiring", named, lambda _conn: None, branch_id=branch_id_of(call, filters))
    with call.db.replica_read() as conn:
        chosen = scope_of(conn, filters)
        ids = _member_ids(conn, chosen)
    found: list[str] = []
    for part in chunks(ids):
        with call.db.replica_read() as conn:
            _held, _due, per_member = _expiring_per_member(
                conn, part, chosen.last_day, chosen.at_end.expiry_days
            )
        found += [m for m, by_day in per_member.items() if any(month_of(d) == month for d in by_day)]
    return sorted(found)


# ---- liability per branch: what branches owe each other --------------------------------------------------

UNBACKED = ""  # spending no earlier earning covers (a balance below zero after an override)

LIABILITY_DEFINITIONS: dict[str, tuple[str, str]] = {
    "earned_at_spent_at": (
        "Points spent (redeemed, reward, membership purchase) in the period's months at the column's "
        "branch, attributed to the row's branch where the member earned them: each member's months are "
        "replayed in order, earnings (positive changes but reversals) are lots at the branch that gave "
        "them, and every taking (spending, expiry, any other negative change) uses up the oldest lots first "
        "(first-in-first-out, as points expire). Whole months of the club's (Jalali) calendar from "
        "report_member_month: within a month, earnings come before takings, branches in id order. Spending "
        "no earning covers is 'unbacked'.",
        "امتیازهای خرج‌شده (خرج امتیاز، جایزه، خرید عضویت) در ماه‌های بازه در شعبهٔ ستون، نسبت‌داده‌شده به "
        "شعبهٔ سطر که عضو آن‌ها را آنجا کسب کرده: ماه‌های هر عضو به ترتیب بازپخش می‌شوند، کسب‌ها (تغییرات "
        "مثبت جز برگشت) دسته‌هایی در شعبهٔ دهنده‌اند و هر کاهش (خرج، انقضا، هر تغییر منفی دیگر) قدیمی‌ترین "
        "دسته‌ها را نخست مصرف می‌کند (اولین ورودی، اولین خروجی، همانند انقضا). ماه‌های کامل خورشیدی تقویم "
        "باشگاه از report_member_month: در یک ماه، کسب‌ها پیش از کاهش‌ها و شعبه‌ها به ترتیب شناسه. خرجی که "
        "کسبی پشتش نیست «بی‌پشتوانه» است.",
    ),
    "owed_rials": (
        "Points earned at one branch and spent at another, times the rials a point is worth at the "
        "spending branch (its redemption rate in the rule set in force at the period's end): what the "
        "earning branch owes the spending branch.",
        "امتیازهایی که در یک شعبه کسب و در شعبهٔ دیگر خرج شده، ضرب در ارزش ریالی هر امتیاز در شعبهٔ خرج "
        "(نرخ خرج آن در قواعد جاری در پایان بازه): بدهی شعبهٔ کسب به شعبهٔ خرج.",
    ),
    "branch_outstanding": (
        "Points still held at the period's last month's end, by the branch that gave them (the lots left "
        "after the replay), and their value at that branch's redemption rate: each branch's liability.",
        "امتیازهای مانده در پایان آخرین ماه بازه، بر پایهٔ شعبه‌ای که آن‌ها را داده (دسته‌های مانده پس از "
        "بازپخش)، و ارزش آن‌ها به نرخ خرج همان شعبه: بدهی هر شعبه.",
    ),
    "liability_filters": (
        "Tier: the members whose current tier it is. Branch: the rows and columns of that branch.",
        "سطح: اعضایی که سطح کنونی‌شان آن است. شعبه: سطر و ستون همان شعبه.",
    ),
}


def replay(months_rows: list[Any], first_month: int, matrix: dict[tuple[str, str], int]) -> dict[str, int]:
    """One member's months (month, branch_id, points_issued, points_redeemed, points_expired, points_delta;
    in order) replayed first-in-first-out: spending in months from `first_month` on is added to
    `matrix[(earned at, spent at)]`; the lots left, by branch."""
    lots: deque[list[Any]] = deque()  # [branch, points], oldest first

    def take(points: int, spent_at: str | None, counted: bool) -> None:
        while points > 0:
            if not lots:
                if spent_at is not None and counted:
                    matrix[(UNBACKED, spent_at)] += points
                return
            lot = lots[0]
            used = min(points, lot[1])
            if spent_at is not None and counted:
                matrix[(lot[0], spent_at)] += used
            lot[1] -= used
            points -= used
            if not lot[1]:
                lots.popleft()

    by_month: dict[int, list[Any]] = defaultdict(list)
    for r in months_rows:
        by_month[r.month].append(r)
    for month in sorted(by_month):
        rows = sorted(by_month[month], key=lambda r: r.branch_id)
        counted = month >= first_month
        for r in rows:
            # what is neither issued, spent nor expired: positive reversals give points back (a lot),
            # negative ones and adjustments take them
            other = r.points_delta - r.points_issued + r.points_redeemed + r.points_expired
            gained = r.points_issued + max(0, other)
            if gained:
                lots.append([r.branch_id, gained])
        for r in rows:
            other = r.points_delta - r.points_issued + r.points_redeemed + r.points_expired
            take(r.points_redeemed, r.branch_id, counted)
            take(r.points_expired + max(0, -other), None, counted)
    left: dict[str, int] = defaultdict(int)
    for branch, points in lots:
        left[branch] += points
    return left


Matrix = dict[tuple[str, str], int]  # (earned at, spent at): points


def _replay_all(db: Database, scope: Scope, progress: Progress) -> tuple[Matrix, dict[str, int]]:
    """Every chosen member's months replayed (`replay`), a chunk of members a read: the matrix of the
    period's spending by (earned at, spent at), and the points still held by the branch that gave them."""
    with db.replica_read() as conn:
        ids = _member_ids(conn, scope, home=False)
    matrix: Matrix = defaultdict(int)
    held: dict[str, int] = defaultdict(int)
    mm = REPORT_MEMBER_MONTH.c
    done = 0
    for part in chunks(ids):
        per_member: dict[str, list[Any]] = defaultdict(list)
        with db.replica_read() as conn:
            query = (
                select(mm.member_id, mm.month, mm.branch_id, mm.points_issued, mm.points_redeemed,
                       mm.points_expired, mm.points_delta)
                .where(one_of(conn, mm.member_id, part), mm.month <= scope.last_month)
                .order_by(mm.member_id, mm.month, mm.branch_id)
            )  # fmt: skip
            for r in conn.execute(query):
                per_member[r.member_id].append(r)
        for rows in per_member.values():
            for branch, points in replay(rows, scope.first_month, matrix).items():
                held[branch] += points
        done += len(part)
        if progress is not None:  # between reads: the callback writes
            progress(_percent(done, len(ids)))
    return matrix, held


def _liability(db: Database, scope: Scope, progress: Progress) -> Result:
    matrix, held = _replay_all(db, scope, progress)
    branch_ids = sorted(scope.branches, key=lambda b: scope.branches[b])
    shown_rows = [*branch_ids, UNBACKED] if any(k[0] == UNBACKED for k in matrix) else branch_ids
    if scope.branch_id is not None:  # the branch's row, and the rows of what others' lots paid there
        shown_rows = [scope.branch_id] + [
            b for b in branch_ids if b != scope.branch_id and matrix.get((b, scope.branch_id), 0)
        ]

    def rate(branch_id: str) -> int:
        return scope.at_end.branch_rules(scope.code(branch_id)).redemption.rials_per_point

    columns = [Column("earned_at", "شعبهٔ کسب", "Earned at", Kind.TEXT, "earned_at_spent_at")]
    columns += [Column(f"spent_at_{scope.code(b)}", f"خرج در {scope.code(b)}", f"Spent at {scope.code(b)}",
                       Kind.COUNT, "earned_at_spent_at") for b in branch_ids]  # fmt: skip
    columns += [Column("spent_total", "جمع خرج", "Spent in all", Kind.COUNT, "earned_at_spent_at")]
    matrix_rows = []
    for earned in shown_rows:
        cells = [matrix.get((earned, spent), 0) for spent in branch_ids]
        matrix_rows.append((scope.code(earned) if earned != UNBACKED else "—", *cells, sum(cells)))
    earned_spent = Table(
        "earned_spent", "امتیاز کسب‌شده در یک شعبه و خرج‌شده در شعبه‌ای دیگر",
        "Points earned at a branch and spent at another", tuple(columns), matrix_rows,
        Chart("heatmap", "earned_at", tuple(c.key for c in columns[1:-1])),
        note_fa="ماه‌های کامل خورشیدی بازه.", note_en="Whole (Jalali) months of the period.",
    )  # fmt: skip
    owes: dict[str, list[int]] = {b: [0, 0] for b in branch_ids}  # owed to others, owed by others (rials)
    for (earned, spent), points in matrix.items():
        if earned in owes and spent in owes and earned != spent:
            value = points * rate(spent)
            owes[earned][0] += value
            owes[spent][1] += value
    shown = [scope.branch_id] if scope.branch_id is not None else branch_ids
    branch_rows = [
        (scope.code(b), held.get(b, 0), held.get(b, 0) * rate(b), owes[b][0], owes[b][1],
         owes[b][1] - owes[b][0])
        for b in shown
    ]  # fmt: skip
    per_branch = Table(
        "branch_liability", "بدهی امتیازی هر شعبه", "Points liability per branch",
        (Column("branch", "شعبه", "Branch", Kind.TEXT),
         Column("outstanding", "امتیاز مانده", "Outstanding points", Kind.COUNT, "branch_outstanding"),
         Column("liability_rials", "بدهی", "Liability", Kind.RIALS, "branch_outstanding"),
         Column("owes_rials", "بدهی به شعب دیگر", "Owes other branches", Kind.RIALS, "owed_rials"),
         Column("owed_rials", "طلب از شعب دیگر", "Owed by other branches", Kind.RIALS, "owed_rials"),
         Column("net_rials", "خالص طلب", "Net owed to it", Kind.RIALS, "owed_rials")),
        branch_rows, Chart("bar", "branch", ("liability_rials",)),
    )  # fmt: skip
    return Result([earned_spent, per_branch], definitions=LIABILITY_DEFINITIONS)


def build_liability(call: Call, filters: Filters, progress: Progress = None) -> Result:
    return run_slow(call, "branch_liability", filters, _liability, progress)


REPORTS = [
    Report("points", "امتیازها در گذر زمان", "Points over time", build_points, POINTS_DEFINITIONS,
           Permission.READ),
    Report("points_expiry", "امتیازهای مانده بر پایهٔ انقضا", "Outstanding points by expiry", build_expiry,
           EXPIRY_DEFINITIONS, Permission.READ, slow=True),
    Report("branch_liability", "بدهی امتیازی شعبه‌ها به یکدیگر", "Liability per branch and between branches",
           build_liability, LIABILITY_DEFINITIONS, Permission.READ, slow=True),
]  # fmt: skip
