# SPDX-License-Identifier: GPL-3.0-or-later
"""The fraud signals (issue 14, item 3): who and what to look at, each number linked to the entries behind it.

Seven tables, for a period (and optionally a branch):

1. `staff` and `terminals`: each staff member's and terminal's returns, reversals, overrides and adjustments
   per 100 sales (from the aggregate `report_staff_day`; returns from the period's entries, since the
   aggregate keys a return as a reversal), each with its robust z-score among the same branch's staff or
   terminals (app.domain.fraud_signals; flagged at |z| ≥ 3.5).
2. `soon_after`: per staff member, redemptions made within 10 minutes after another sale of the same member
   at the same terminal.
3. `member_returns`: members whose share of returned sales is far above the other members'.
4. `split_sales`: runs of sales (same member, same branch, each within 30 minutes) where a later sale of the
   run lifted the member a tier.
5. `double_admissions`: members admitted twice at one event (app.domain.event's fold, as the event pages).
6. `negative_balances`: members whose points or wallet stand below zero now.
7. `beyond_stock`: rewards a branch gave beyond the stock the rule set gave it, and how many terminals the
   contested units came from (two terminals offline both giving the last unit).

Tables 2 to 5 and 7 read the period's entries (a bounded range of `ix_ledger_entry_created_at_us`, a page at
a time, keyset on (created_at_us, id)), so the report is `slow`: a background job builds it and follows
`progress` (the share of the period read, 0 to 100). Nothing here keeps more than a window's entries in
memory, besides the counts per staff member, terminal, event and reward.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from app.domain.errors import ClubError
from app.domain.fraud_signals import (
    DEFINITIONS,
    MIN_PURCHASES,
    MIN_RETURNED,
    SOON_AFTER_US,
    SPLIT_WINDOW_US,
    THRESHOLD,
    Moment,
    RewardUnit,
    SoonAfter,
    SplitRuns,
    beyond_stock,
    flagged,
    per_100,
    robust_zs,
)
from app.domain.ledger import EntryKind
from app.domain.programme import RuleSet
from app.domain.rewards import PREFIX as REWARD_PREFIX
from sync.server import events
from sync.server import rules as rule_sets
from sync.server.club.access import Permission
from sync.server.club.act import Call, read
from sync.server.club.reports import Period, period
from sync.server.db import one_of
from sync.server.models import (
    BALANCE,
    BRANCH,
    DEVICE,
    ENTRY,
    EVENT,
    MEMBER,
    REPORT_STAFF_DAY,
    STAFF,
    TIER,
)
from sync.server.reports import aggregates
from sync.server.reports.table import (
    MAX_LISTED,
    Cell,
    Column,
    Drill,
    Filters,
    Kind,
    Report,
    Result,
    Table,
)

PAGE = 2_000  # entries a page of the period's stream reads
MAX_ROWS = 500  # a table lists at most this many flagged rows (the most extreme first)
STREAM_KINDS = tuple(
    k.value
    for k in (
        EntryKind.EARN, EntryKind.REDEEM, EntryKind.TIER_CHANGE, EntryKind.REWARD, EntryKind.CHECK_IN,
        EntryKind.REVERSAL,
    )
)  # fmt: skip
RATES = (  # (key, entry kinds behind it, title fa, title en)
    ("returns", ("reversal",), "برگشت از فروش", "Returns"),
    ("reversals", ("reversal",), "ابطال", "Reversals"),
    ("overrides", ("override",), "مجوز مدیر", "Overrides"),
    ("adjustments", ("adjust",), "اصلاح امتیاز", "Adjustments"),
)
Progress = Callable[[int], None]


# ---- what the period's entries give ---------------------------------------------------------------------


@dataclass(slots=True)
class Stream:
    """Everything the report gathers in one pass over the period's entries."""

    soon: SoonAfter
    runs: SplitRuns = field(default_factory=SplitRuns)
    # returns per (branch, terminal, staff member): how many, and the first MAX_LISTED of their ids
    returns: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    returned: dict[tuple[str, str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    events: set[str] = field(default_factory=set)
    rewards: set[tuple[str, str]] = field(default_factory=set)  # (invoice_ref, branch_id)


def _stream(call: Call, within: Period, branch_id: str | None, progress: Progress | None) -> Stream:
    early = max(SOON_AFTER_US, SPLIT_WINDOW_US)  # earns just before the period matter to its first minutes
    got = Stream(SoonAfter(from_us=within.start_us))
    for page in _pages(call, within.start_us - early, within.end_us, branch_id):
        for r in page:
            moment = Moment(r.id, r.created_at_us, r.member_id, r.device_id, r.branch_id, r.staff_id or "",
                            r.kind, r.points_delta)  # fmt: skip
            got.soon.feed(moment)
            got.runs.feed(moment, r.invoice_ref or "")
            if r.created_at_us < within.start_us:
                continue
            if r.kind == EntryKind.REVERSAL.value and r.sale_amount < 0:
                unit = (r.branch_id, r.device_id, r.staff_id or "")
                got.returns[unit] += 1
                if len(got.returned[unit]) < MAX_LISTED:
                    got.returned[unit].append(r.id)
            elif r.kind == EntryKind.CHECK_IN.value and r.invoice_ref:
                got.events.add(r.invoice_ref)
            elif r.kind == EntryKind.REWARD.value and r.invoice_ref:
                got.rewards.add((r.invoice_ref, r.branch_id))
        if progress is not None and page:
            done = page[-1].created_at_us - within.start_us
            progress(max(0, min(99, done * 100 // max(1, within.end_us - within.start_us))))
    got.runs.finish()
    return got


def _pages(call: Call, start_us: int, end_us: int, branch_id: str | None) -> Iterator[list[Any]]:
    """The entries of the kinds the report reads, created in [start_us, end_us), in (created_at, id) order,
    a page at a time, each page in its own short read."""
    columns = (
        ENTRY.c.id, ENTRY.c.created_at_us, ENTRY.c.member_id, ENTRY.c.device_id, ENTRY.c.branch_id,
        ENTRY.c.staff_id, ENTRY.c.kind, ENTRY.c.points_delta, ENTRY.c.sale_amount, ENTRY.c.invoice_ref,
    )  # fmt: skip
    query = (
        select(*columns)
        .where(ENTRY.c.created_at_us < end_us, ENTRY.c.kind.in_(STREAM_KINDS))
        .order_by(ENTRY.c.created_at_us, ENTRY.c.id)
        .limit(PAGE)
    )
    if branch_id is not None:
        query = query.where(ENTRY.c.branch_id == branch_id)
    after: tuple[int, str] | None = None
    while True:
        if after is None:
            page_query = query.where(ENTRY.c.created_at_us >= start_us)
        else:
            at, last_id = after
            page_query = query.where(
                ENTRY.c.created_at_us >= at,  # the index's own bound: the OR alone would scan from the start
                or_(ENTRY.c.created_at_us > at, and_(ENTRY.c.created_at_us == at, ENTRY.c.id > last_id)),
            )
        with call.db.replica_read() as conn:
            rows = conn.execute(page_query).all()
        yield rows
        if len(rows) < PAGE:
            return
        after = (rows[-1].created_at_us, rows[-1].id)


# ---- the report -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Names:
    branches: dict[str, str]  # id: code
    staff: dict[str, str]  # id: name
    devices: dict[str, str]  # id: code
    tiers: dict[str, int]  # code: threshold_points
    rules: RuleSet


def _names(conn: Connection) -> Names:
    return Names(
        {r.id: r.code for r in conn.execute(select(BRANCH.c.id, BRANCH.c.code))},
        {r.id: r.name for r in conn.execute(select(STAFF.c.id, STAFF.c.name))},
        {r.id: r.code for r in conn.execute(select(DEVICE.c.id, DEVICE.c.code))},
        {r.code: r.threshold_points for r in conn.execute(select(TIER.c.code, TIER.c.threshold_points))},
        rule_sets.current(conn),
    )


def build(call: Call, filters: Filters, progress: Progress | None = None) -> Result:
    within = period(call, filters.first, filters.last)
    if within is None:  # Filters always carries both ends; a caller that does not is told so
        raise ClubError("period_needs_both_ends")
    branch_id = None
    with call.db.replica_read() as conn:
        if filters.branch is not None:
            branch_id = conn.execute(select(BRANCH.c.id).where(BRANCH.c.code == filters.branch)).scalar()
            if branch_id is None:
                raise ClubError("unknown_branch", branch=filters.branch)
        names = _names(conn)
        as_of = aggregates.as_of(conn)  # table 1's counts; the rest read the entries themselves
    # staff performance is sensitive: FRAUD_READ, and a branch manager for their own branches only
    read(call, "report.fraud", filters.branch, lambda _conn: None, permission=Permission.FRAUD_READ,
         branch_id=branch_id)  # fmt: skip
    stream = _stream(call, within, branch_id, progress)
    with call.db.replica_read() as conn:
        counts = _staff_counts(conn, within, branch_id)
        tables = [
            _rates_table(within, names, counts.by_staff, stream, by="staff"),
            _rates_table(within, names, counts.by_device, stream, by="device"),
            _soon_table(within, names, stream.soon),
            _member_returns_table(conn, within, names, branch_id, names.rules.local_date(call.now_us)),
            _split_table(conn, within, names, stream.runs),
            _double_admissions_table(conn, within, names, stream.events),
            _negative_table(conn, call, names, branch_id, filters.last),
            _stock_table(conn, within, names, stream.rewards),
        ]
    if progress is not None:
        progress(100)
    return Result(tables, as_of, DEFINITIONS)


def _listed(names: Names, ids: tuple[str, ...], ats: list[int], branch: str | None = None) -> Drill:
    """A drill to entries listed by id, its dates spanning theirs (a listed entry may lie outside the
    report's period: an earn just before it, a reward unit given long ago)."""
    return Drill(
        "entries",
        names.rules.local_date(min(ats)),
        names.rules.local_date(max(ats)),
        branch,
        entry_ids=ids[:MAX_LISTED],
    )


# ---- 1. staff and terminals -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Counts:
    by_staff: dict[tuple[str, str], dict[str, int]]  # (branch, staff): kind: entries
    by_device: dict[tuple[str, str], dict[str, int]]  # (branch, device): kind: entries


def _staff_counts(conn: Connection, within: Period, branch_id: str | None) -> Counts:
    t = REPORT_STAFF_DAY
    query = (
        select(t.c.branch_id, t.c.device_id, t.c.staff_id, t.c.kind, func.sum(t.c.entries).label("n"))
        .where(t.c.day >= within.first.toordinal(), t.c.day <= within.last.toordinal())
        .group_by(t.c.branch_id, t.c.device_id, t.c.staff_id, t.c.kind)
    )
    if branch_id is not None:
        query = query.where(t.c.branch_id == branch_id)
    by_staff: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_device: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in conn.execute(query):
        if r.staff_id:  # entries that name no one are no one's; their terminal still counts them
            by_staff[(r.branch_id, r.staff_id)][r.kind] += int(r.n)
        by_device[(r.branch_id, r.device_id)][r.kind] += int(r.n)
    return Counts(by_staff, by_device)


def _rates_table(
    within: Period, names: Names, counts: dict[tuple[str, str], dict[str, int]], stream: Stream, *, by: str
) -> Table:
    returns: dict[tuple[str, str], int] = defaultdict(int)
    returned: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (branch, device, staff), n in stream.returns.items():
        unit = staff if by == "staff" else device
        if unit:
            returns[(branch, unit)] += n
            returned[(branch, unit)] += stream.returned[(branch, device, staff)]
    units = sorted(set(counts) | set(returns))
    values: dict[tuple[str, str], dict[str, int]] = {}
    for key in units:
        kinds = counts.get(key, {})
        values[key] = {
            "sales": kinds.get("earn", 0),
            "returns": returns.get(key, 0),
            "reversals": kinds.get("reversal", 0),
            "overrides": kinds.get("override", 0),
            "adjustments": kinds.get("adjust", 0),
        }
    # each rate's z-score among the same branch's units
    zs: dict[tuple[str, str], dict[str, Fraction | None]] = {key: {} for key in units}
    for branch in sorted({b for b, _ in units}):
        peers = [key for key in units if key[0] == branch]
        for rate, *_ in RATES:
            rates = [per_100(values[k][rate], values[k]["sales"]) for k in peers]
            for k, z in zip(peers, robust_zs(rates), strict=True):
                zs[k][rate] = z
    rows = []
    for key in units:
        branch, unit = key
        code = names.branches.get(branch, branch)
        who = {"staff_id": unit} if by == "staff" else {"device_id": unit}
        label = names.staff.get(unit, unit) if by == "staff" else names.devices.get(unit, unit)
        v = values[key]
        row: list[Any] = [code, label, Cell(v["sales"], Drill("entries", within.first, within.last, code,
                                                             kinds=("earn",), **who))]  # fmt: skip
        flags = 0
        for rate, kinds, *_ in RATES:
            # the returns listed outright while they fit a drill; else the unit's reversals
            listed = returned.get(key, []) if rate == "returns" and returns.get(key, 0) <= MAX_LISTED else []
            drill = (
                Drill("entries", within.first, within.last, code, entry_ids=tuple(listed))
                if listed and len(listed) <= MAX_LISTED
                else Drill("entries", within.first, within.last, code, kinds=kinds, **who)
            )
            z = zs[key].get(rate)
            flags += flagged(z)
            row += [Cell(v[rate], drill), per_100(v[rate], v["sales"]), z]
        rows.append((flags, code, label, [*row, flags]))
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    columns = [
        Column("branch", "شعبه", "Branch", Kind.TEXT),
        Column("staff", "کارمند", "Staff member", Kind.TEXT)
        if by == "staff"
        else Column("terminal", "پایانه", "Terminal", Kind.TEXT),
        Column("sales", "فروش", "Sales", Kind.COUNT, "fraud_sales"),
    ]
    for rate, _, fa, en in RATES:
        columns += [
            Column(rate, fa, en, Kind.COUNT, f"fraud_{rate}"),
            Column(f"{rate}_per_100", f"{fa} در هر ۱۰۰ فروش", f"{en} per 100 sales", Kind.RATIO,
                   "fraud_per_100_sales"),
            Column(f"{rate}_z", f"امتیاز z مقاوم ({fa})", f"Robust z ({en.lower()})", Kind.Z,
                   "fraud_robust_z"),
        ]  # fmt: skip
    columns.append(Column("flags", "نشانه‌ها", "Flags", Kind.COUNT, "fraud_flags"))
    listed = [tuple(r[3]) for r in rows]
    if by == "staff":
        return Table(
            "staff", "کارکنان در برابر همکاران شعبه", "Staff against their branch peers",
            tuple(columns), listed,
            note_fa="کارمندانی که در شعبه کمتر از ۳ همکار با فروش دارند امتیاز z ندارند.",
            note_en="Staff in a branch with fewer than 3 peers who made sales get no z-score.",
        )  # fmt: skip
    return Table(
        "terminals", "پایانه‌ها در برابر پایانه‌های شعبه", "Terminals against their branch peers",
        tuple(columns), listed,
        note_fa="پایانه‌های شعبه‌ای با کمتر از ۳ پایانهٔ دارای فروش امتیاز z ندارند.",
        note_en="Terminals of a branch with fewer than 3 terminals that made sales get no z-score.",
    )  # fmt: skip


# ---- 2. redemptions soon after earning --------------------------------------------------------------------


def _soon_table(within: Period, names: Names, soon: SoonAfter) -> Table:
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    ats: dict[tuple[str, str], list[int]] = defaultdict(list)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for (branch, _device, staff), examples in soon.examples.items():
        for f in examples:
            found[(branch, staff)] += [f.earn.id, f.redeem.id]
            ats[(branch, staff)] += [f.earn.at_us, f.redeem.at_us]
    for (branch, _device, staff), n in soon.soon.items():
        counts[(branch, staff)] += n
    redemptions: dict[tuple[str, str], int] = defaultdict(int)
    for (branch, _device, staff), n in soon.redemptions.items():
        redemptions[(branch, staff)] += n
    units = sorted(redemptions)
    rates = {k: per_100(counts[k], redemptions[k]) for k in units}
    zs: dict[tuple[str, str], Fraction | None] = {}
    for branch in {b for b, _ in units}:
        peers = [k for k in units if k[0] == branch]
        zs |= dict(zip(peers, robust_zs([rates[k] for k in peers]), strict=True))
    rows = []
    for key in units:
        branch, staff = key
        code = names.branches.get(branch, branch)
        ids = tuple(found.get(key, []))
        label = names.staff.get(staff, staff) if staff else "—"
        rows.append((
            code, label,
            Cell(redemptions[key], Drill("entries", within.first, within.last, code, kinds=("redeem",),
                                         staff_id=staff or None)),
            Cell(counts[key], _listed(names, ids, ats[key], code) if ids else None),
            rates[key], zs.get(key),
        ))  # fmt: skip
    rows.sort(key=lambda r: (-(abs(r[5]) if r[5] is not None else -1), r[0], r[1]))
    return Table(
        "soon_after", "خرج امتیاز بلافاصله پس از کسب", "Redemptions soon after earning",
        (
            Column("branch", "شعبه", "Branch", Kind.TEXT),
            Column("staff", "کارمند", "Staff member", Kind.TEXT),
            Column("redemptions", "خرج امتیاز", "Redemptions", Kind.COUNT, "fraud_redemptions"),
            Column("soon", "بلافاصله پس از کسب", "Soon after earning", Kind.COUNT, "fraud_soon_after"),
            Column("soon_per_100", "در هر ۱۰۰ خرج امتیاز", "Per 100 redemptions", Kind.RATIO,
                   "fraud_soon_per_100"),
            Column("soon_z", "امتیاز z مقاوم", "Robust z", Kind.Z, "fraud_robust_z"),
        ),
        rows,
        note_fa="پنجره: ۱۰ دقیقه پس از فروشی دیگر به همان عضو در همان پایانه. فهرست ورودی‌ها تا ۲۵۰ مورد "
        "از هر پایانه و کارمند را نشان می‌دهد.",
        note_en="Window: 10 minutes after another sale to the same member at the same terminal. The entries "
        "listed are the first 250 of each terminal and staff member.",
    )  # fmt: skip


# ---- 3. members with unusual return patterns --------------------------------------------------------------


def _member_returns_table(
    conn: Connection, within: Period, names: Names, branch_id: str | None, today: date
) -> Table:
    back = ENTRY.alias("back")
    returned = (
        select(-func.coalesce(func.sum(back.c.sale_amount), 0))
        .where(back.c.reverses == ENTRY.c.id, back.c.reverses.is_not(None), back.c.sale_amount < 0)
        .scalar_subquery()
    )
    sales = select(
        ENTRY.c.member_id, ENTRY.c.sale_amount, returned.label("returned")
    ).where(
        ENTRY.c.created_at_us >= within.start_us, ENTRY.c.created_at_us < within.end_us,
        ENTRY.c.kind == EntryKind.EARN.value, ENTRY.c.sale_amount > 0,
    )  # fmt: skip
    if branch_id is not None:
        sales = sales.where(ENTRY.c.branch_id == branch_id)
    s = sales.subquery()
    per_member = (
        select(
            s.c.member_id,
            func.count().label("sales"),
            func.sum(s.c.sale_amount).label("rials"),
            func.sum(case((s.c.returned > 0, 1), else_=0)).label("returned_sales"),
            func.sum(s.c.returned).label("returned_rials"),
        )
        .group_by(s.c.member_id)
        .having(func.count() >= MIN_PURCHASES)
    )
    members = [
        (r.member_id, int(r.sales), int(r.rials), int(r.returned_sales or 0), int(r.returned_rials or 0))
        for r in conn.execute(per_member)
    ]
    shares = [Fraction(n_back, n) for _, n, _, n_back, _ in members]
    zs = robust_zs(shares)
    listed = [
        (m, z)
        for m, z in zip(members, zs, strict=True)
        if z is not None and z >= THRESHOLD and m[3] >= MIN_RETURNED
    ]
    listed.sort(key=lambda mz: (-mz[1], mz[0][0]))
    listed = listed[:MAX_ROWS]
    who = _member_names(conn, [m[0] for m, _ in listed])
    code = names.branches.get(branch_id, None) if branch_id else None
    rows = [
        (
            Cell(who.get(member, member), Drill("members", member_ids=(member,))),
            Cell(n, Drill("entries", within.first, within.last, code, kinds=("earn",), member_id=member)),
            Cell(n_back, Drill("entries", within.first, max(today, within.last), code, kinds=("reversal",),
                               member_id=member)),
            Fraction(n_back, n), Fraction(rials_back, rials), z,
        )
        for (member, n, rials, n_back, rials_back), z in listed
    ]  # fmt: skip
    return Table(
        "member_returns", "اعضا با الگوی برگشت غیرعادی", "Members with unusual return patterns",
        (
            Column("member", "عضو", "Member", Kind.TEXT),
            Column("sales", "فروش", "Sales", Kind.COUNT, "fraud_member_sales"),
            Column("returned", "فروش مرجوع‌شده", "Sales returned", Kind.COUNT, "fraud_member_returned"),
            Column("share", "سهم مرجوعی (تعداد)", "Returned share (count)", Kind.RATE,
                   "fraud_member_returned"),
            Column("share_rials", "سهم مرجوعی (مبلغ)", "Returned share (rials)", Kind.RATE,
                   "fraud_member_returned_rials"),
            Column("z", "امتیاز z مقاوم", "Robust z", Kind.Z, "fraud_member_z"),
        ),
        rows,
        note_fa=f"فقط اعضای دارای دست‌کم {MIN_PURCHASES} فروش در بازه سنجیده می‌شوند.",
        note_en=f"Only members with at least {MIN_PURCHASES} sales in the period are compared.",
    )  # fmt: skip


def _member_names(conn: Connection, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    return {
        r.id: r.name
        for r in conn.execute(select(MEMBER.c.id, MEMBER.c.name).where(one_of(conn, MEMBER.c.id, ids)))
    }


# ---- 4. sales split to cross a tier threshold -------------------------------------------------------------


def _split_table(conn: Connection, within: Period, names: Names, runs: SplitRuns) -> Table:
    found = [f for f in runs.found if f.sales[-1].at_us >= within.start_us]  # crossed in the period
    who = _member_names(conn, sorted({f.sales[0].member_id for f in found}))
    rows = []
    for f in found[:MAX_ROWS]:
        member = f.sales[0].member_id
        code = names.branches.get(f.sales[0].branch_id, f.sales[0].branch_id)
        ids = (*(s.id for s in f.sales), f.upgrade_id)
        minutes = Fraction(f.sales[-1].at_us - f.sales[0].at_us, 60_000_000)
        rows.append((
            Cell(who.get(member, member), Drill("members", member_ids=(member,))), code,
            Cell(len(f.sales), _listed(names, ids, [s.at_us for s in f.sales], code)),
            f.points, f.sales[-1].points, f.tier, names.tiers.get(f.tier), minutes,
        ))  # fmt: skip
    return Table(
        "split_sales", "فروش خردشده برای عبور از آستانهٔ سطح", "Sales split to cross a tier threshold",
        (
            Column("member", "عضو", "Member", Kind.TEXT),
            Column("branch", "شعبه", "Branch", Kind.TEXT),
            Column("sales", "فروش‌های زنجیره", "Sales in the run", Kind.COUNT, "fraud_split"),
            Column("points", "امتیاز زنجیره", "Points of the run", Kind.COUNT, "fraud_split"),
            Column("crossing_points", "امتیاز فروش عبور", "Points of the crossing sale", Kind.COUNT,
                   "fraud_split"),
            Column("tier", "سطح جدید", "New tier", Kind.TEXT),
            Column("threshold", "آستانهٔ سطح", "Tier threshold", Kind.COUNT),
            Column("minutes", "دقیقه", "Minutes", Kind.RATIO),
        ),
        rows,
        note_fa="زنجیره: فروش‌های یک عضو در یک شعبه که هر کدام حداکثر ۳۰ دقیقه پس از قبلی است.",
        note_en="A run: a member's sales at one branch, each within 30 minutes of the one before.",
    )  # fmt: skip


# ---- 5. double admissions ---------------------------------------------------------------------------------


def _double_admissions_table(conn: Connection, within: Period, names: Names, event_ids: set[str]) -> Table:
    folded = events.attendances(conn, sorted(event_ids)) if event_ids else {}
    titles = (
        {
            r.id: r.name
            for r in conn.execute(
                select(EVENT.c.id, EVENT.c.name).where(one_of(conn, EVENT.c.id, list(event_ids)))
            )
        }
        if event_ids
        else {}
    )
    who = _member_names(conn, sorted({m for a in folded.values() for m in a.doubly_admitted}))
    rows = []
    for event_id in sorted(folded):
        attendance = folded[event_id]
        for member in sorted(attendance.doubly_admitted):
            inside = attendance.member_inside(member)
            ids = tuple(c.entry_id for c in inside)
            devices = sorted({names.devices.get(c.device_id, c.device_id) for c in inside})
            rows.append((
                titles.get(event_id, event_id),
                Cell(who.get(member, member), Drill("members", member_ids=(member,))),
                Cell(len(inside), _listed(names, ids, [c.at_us for c in inside])),
                "، ".join(devices),
            ))  # fmt: skip
    return Table(
        "double_admissions", "ورود دوباره به رویداد", "Double admissions",
        (
            Column("event", "رویداد", "Event", Kind.TEXT),
            Column("member", "عضو", "Member", Kind.TEXT),
            Column("admissions", "ورودها", "Admissions", Kind.COUNT, "fraud_double_admission"),
            Column("terminals", "پایانه‌ها", "Terminals", Kind.TEXT),
        ),
        rows,
    )  # fmt: skip


# ---- 6. negative balances ---------------------------------------------------------------------------------


def _negative_table(conn: Connection, call: Call, names: Names, branch_id: str | None, last: date) -> Table:
    query = (
        select(MEMBER.c.id, MEMBER.c.name, MEMBER.c.branch_id, MEMBER.c.joined_at_us,
               BALANCE.c.points, BALANCE.c.wallet_rials)
        .join(MEMBER, MEMBER.c.id == BALANCE.c.member_id)
        .where(or_(BALANCE.c.points < 0, BALANCE.c.wallet_rials < 0))
        .order_by(BALANCE.c.points, BALANCE.c.wallet_rials, MEMBER.c.id)
        .limit(MAX_ROWS)
    )  # fmt: skip
    if branch_id is not None:
        query = query.where(MEMBER.c.branch_id == branch_id)
    today = names.rules.local_date(call.now_us)
    rows = []
    for r in conn.execute(query):
        drill = Drill("entries", names.rules.local_date(r.joined_at_us), max(today, last), member_id=r.id)
        rows.append((Cell(r.name, Drill("members", member_ids=(r.id,))),
                     names.branches.get(r.branch_id, r.branch_id),
                     Cell(r.points, drill), Cell(r.wallet_rials, drill)))  # fmt: skip
    return Table(
        "negative_balances", "مانده‌های منفی", "Negative balances",
        (
            Column("member", "عضو", "Member", Kind.TEXT),
            Column("branch", "شعبهٔ عضو", "Home branch", Kind.TEXT),
            Column("points", "امتیاز", "Points", Kind.COUNT, "fraud_negative_balance"),
            Column("wallet_rials", "کیف پول", "Wallet", Kind.RIALS, "fraud_negative_balance"),
        ),
        rows,
        note_fa="مانده‌ها اکنون، نه در پایان بازه.",
        note_en="Balances now, not at the period's end.",
    )  # fmt: skip


# ---- 7. rewards given beyond their stock ------------------------------------------------------------------


def _reversed(conn: Connection, ids: list[str]) -> set[str]:
    """Which of these entries a reversal undoes (through the partial index on `reverses`)."""
    if not ids:
        return set()
    query = select(ENTRY.c.reverses).where(
        one_of(conn, ENTRY.c.reverses, ids), ENTRY.c.kind == EntryKind.REVERSAL.value
    )
    return {r.reverses for r in conn.execute(query)}


def _units(names: Names, units: list[RewardUnit], made: dict[str, int], code: str) -> Drill:
    return _listed(names, tuple(u.entry_id for u in units), [made[u.entry_id] for u in units], code)


def _stock_table(conn: Connection, within: Period, names: Names, rewards: set[tuple[str, str]]) -> Table:
    rows = []
    for ref, branch in sorted(rewards):
        code = names.branches.get(branch, branch)
        try:
            reward = names.rules.reward(ref.removeprefix(REWARD_PREFIX))
        except ClubError:
            continue  # a reward the current rule set no longer lists: no stock to hold it to
        stock = reward.stock_at(code)
        if stock is None:
            continue
        given = conn.execute(
            select(ENTRY.c.id, ENTRY.c.device_id, ENTRY.c.server_seq, ENTRY.c.created_at_us).where(
                ENTRY.c.kind == EntryKind.REWARD.value,
                ENTRY.c.invoice_ref == ref,
                ENTRY.c.branch_id == branch,
            )
        ).all()
        undone = _reversed(conn, [g.id for g in given])
        made = {g.id: g.created_at_us for g in given}
        units = [RewardUnit(g.id, g.device_id, g.server_seq) for g in given if g.id not in undone]
        contested, beyond = beyond_stock(units, stock)
        if not beyond:
            continue
        devices = sorted({names.devices.get(u.device_id, u.device_id) for u in contested})
        rows.append((
            reward.code, code, stock, len(units),
            Cell(len(beyond), _units(names, beyond, made, code)),
            Cell(len(devices), _units(names, contested, made, code)),
            "، ".join(devices),
        ))  # fmt: skip
    return Table(
        "beyond_stock", "جایزهٔ بیش از موجودی", "Rewards given beyond stock",
        (
            Column("reward", "جایزه", "Reward", Kind.TEXT),
            Column("branch", "شعبه", "Branch", Kind.TEXT),
            Column("stock", "موجودی داده‌شده", "Stock given", Kind.COUNT, "fraud_stock"),
            Column("given", "واگذارشده", "Units given", Kind.COUNT, "fraud_stock"),
            Column("beyond", "بیش از موجودی", "Beyond stock", Kind.COUNT, "fraud_beyond_stock"),
            Column("terminals", "پایانه‌های رقیب", "Contending terminals", Kind.COUNT, "fraud_beyond_stock"),
            Column("terminal_codes", "کد پایانه‌ها", "Terminal codes", Kind.TEXT),
        ),
        rows,
    )  # fmt: skip


REPORTS: list[Report] = [
    Report(
        "fraud",
        "نشانه‌های تقلب",
        "Fraud signals",
        build,
        DEFINITIONS,
        Permission.FRAUD_READ,
        slow=True,
        filters=("period", "branch"),
    )
]
