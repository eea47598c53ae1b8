# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports' aggregates, kept from the ledger past a watermark (DESIGN §8; issue 14, item 5).

The ledger's `server_seq` becomes visible in number order (sync.server.sequence), so "every entry with
server_seq <= watermark" is a set that never gains a member behind our back: `catch_up` reads the entries
past the watermark in server order, adds them into the tables below and moves the watermark, in one
transaction. An entry is counted once, however late its terminal pushed it, into the day it was made
(its `created_at`, in the club's calendar).

A purchase depends on returns made at any time (app.domain.report_summary): a sale counts as a purchase
while its returns do not add up to its whole amount. So a return corrects its sale's own rows when it is
counted after the sale; a sale counted after some of its returns (another terminal pushed the return first)
starts from them. Either way the rows end where a direct computation over the ledger ends.

The tables (sync.server.models): `report_day` (day × branch × kind), `report_staff_day` (… × terminal × staff
member), `report_member_day` and `report_member_month` (per member, where the entries were written). The
days are those of the club's calendar when they were counted; a rule set that moves the club's UTC offset
makes `catch_up` count everything again in the new calendar.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import cache
from typing import Any

import jdatetime
from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)

from app.domain.digits import to_persian_digits
from app.domain.ledger import EntryKind
from app.domain.programme import RuleSet
from app.domain.report_summary import ENGAGING_KINDS, NOT_ISSUED_KINDS, SPENDING_KINDS, Summary
from sync.server import rules as rule_sets
from sync.server.db import Database, dialect_insert, one_of
from sync.server.models import (
    ENTRY,
    MEMBER,
    REPORT_DAY,
    REPORT_MEMBER_DAY,
    REPORT_MEMBER_MONTH,
    REPORT_STAFF_DAY,
    REPORT_WATERMARK,
)
from sync.server.reports.table import AsOf

WATERMARK_ID = 1
BATCH = 5_000  # entries one transaction of `catch_up` counts
DAY_US = 86_400_000_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_REVERSAL = EntryKind.REVERSAL.value
_EARN = EntryKind.EARN.value
_ENGAGING = frozenset(k.value for k in ENGAGING_KINDS)
_SPENDING = frozenset(k.value for k in SPENDING_KINDS)
_EXPIRE = EntryKind.EXPIRE.value
_NOT_ISSUED = tuple(sorted(k.value for k in NOT_ISSUED_KINDS))

TABLES = (REPORT_DAY, REPORT_STAFF_DAY, REPORT_MEMBER_DAY, REPORT_MEMBER_MONTH)

# ---- the club's calendar as integers -----------------------------------------------------------------


def day_of(calendar: RuleSet | int, at_us: int) -> int:
    """The local date's ordinal (`date.toordinal`) of a moment in the club's calendar: a rule set's, or
    `calendar` minutes from UTC."""
    offset = calendar if isinstance(calendar, int) else calendar.utc_offset_minutes
    return _EPOCH_ORDINAL + (at_us + offset * 60_000_000) // DAY_US


@cache
def _month_of_day(day: int) -> int:
    jalali = jdatetime.date.fromgregorian(date=date.fromordinal(day))
    return jalali.year * 12 + jalali.month - 1


def month_of(day: date | int) -> int:
    """The club's month of a date or a day ordinal: Jalali, as Iranian businesses keep their books, numbered
    year * 12 + month - 1 (1405/09 is 1405 * 12 + 8)."""
    return _month_of_day(day if isinstance(day, int) else day.toordinal())


def month_first(month: int) -> date:
    """The (Gregorian) date of the first day of the Jalali month `month_of` numbers."""
    return jdatetime.date(month // 12, month % 12 + 1, 1).togregorian()  # type: ignore[no-any-return]


def month_label(month: int, language: str) -> str:
    """ "آذر ۱۴۰۵" / "Azar 1405"."""
    name = (JALALI_MONTHS_FA if language == "fa" else JALALI_MONTHS_EN)[month % 12]
    year = str(month // 12)
    return f"{name} {to_persian_digits(year)}" if language == "fa" else f"{name} {year}"


JALALI_MONTHS_FA = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
JALALI_MONTHS_EN = (
    "Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar", "Mehr", "Aban", "Azar", "Dey",
    "Bahman", "Esfand",
)  # fmt: skip


# ---- what one entry adds ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    id: str
    server_seq: int
    created_at_us: int
    branch_id: str
    device_id: str
    staff_id: str
    member_id: str
    kind: str
    points_delta: int
    cash_delta: int
    sale_amount: int
    discount_rials: int
    reverses: str | None

    @property
    def is_sale(self) -> bool:
        return self.kind == _EARN and self.sale_amount > 0


def _purchase(sale_amount: int, returned: int) -> tuple[int, int]:
    """(purchases, net sales) a sale of `sale_amount` adds once `returned` rials of it came back."""
    return (1, sale_amount - returned) if returned < sale_amount else (0, 0)


class _Sums:
    """The additions of one batch, by table and key, written with one upsert a table."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.rows: dict[Table, dict[tuple[Any, ...], defaultdict[str, int]]] = {t: {} for t in TABLES}

    def _row(self, table: Table, key: tuple[Any, ...]) -> defaultdict[str, int]:
        rows = self.rows[table]
        if key not in rows:
            rows[key] = defaultdict(int)
        return rows[key]

    def _keys(self, entry: _Entry) -> tuple[tuple[Any, ...], ...]:
        day = day_of(self.offset, entry.created_at_us)
        return (
            (day, entry.branch_id, entry.kind),
            (day, entry.branch_id, entry.device_id, entry.staff_id, entry.kind),
            (entry.member_id, day, entry.branch_id),
            (entry.member_id, month_of(day), entry.branch_id),
        )

    def entry(self, entry: _Entry, returned_before: int) -> None:
        day_key, staff_key, member_day_key, member_month_key = self._keys(entry)
        day = self._row(REPORT_DAY, day_key)
        staff = self._row(REPORT_STAFF_DAY, staff_key)
        member_rows = (
            self._row(REPORT_MEMBER_DAY, member_day_key),
            self._row(REPORT_MEMBER_MONTH, member_month_key),
        )
        points_plus = entry.points_delta if entry.points_delta > 0 else 0
        for row in (day, staff, *member_rows):
            row["entries"] += 1
            row["points_delta"] += entry.points_delta
        for row in (day, staff):
            row["sale_amount"] += entry.sale_amount
            row["returns"] += entry.kind == _REVERSAL and entry.sale_amount < 0
        day["points_plus"] += points_plus
        day["cash_delta"] += entry.cash_delta
        day["discount_rials"] += entry.discount_rials
        for row in member_rows:
            row["cash_delta"] += entry.cash_delta
            row["engaging"] += entry.kind in _ENGAGING
            row["points_issued"] += points_plus if entry.kind not in _NOT_ISSUED else 0
            row["points_redeemed"] -= entry.points_delta if entry.kind in _SPENDING else 0
            row["points_expired"] -= entry.points_delta if entry.kind == _EXPIRE else 0
        if entry.is_sale:  # what sale_change(entry, (0, 0), …) adds, on the rows in hand
            purchases, net = _purchase(entry.sale_amount, returned_before)
            for row in (day, staff, *member_rows):
                row["purchases"] += purchases
                row["net_sales_rials"] += net

    def sale_change(self, sale: _Entry, before: tuple[int, int], after: tuple[int, int]) -> None:
        """A sale's (purchases, net sales) went from `before` to `after`: correct its own rows."""
        purchases, net = after[0] - before[0], after[1] - before[1]
        if purchases == 0 and net == 0:
            return
        for table, key in zip(self.rows, self._keys(sale), strict=True):
            row = self._row(table, key)
            row["purchases"] += purchases
            row["net_sales_rials"] += net

    def write(self, conn: Connection) -> None:
        for table, rows in self.rows.items():
            if not rows:
                continue
            key_columns = [c.name for c in table.primary_key.columns]
            sums = [c.name for c in table.columns if c.name not in key_columns]
            if conn.dialect.name == "postgresql":
                _upsert_pg(conn, table, key_columns, sums, rows)
                continue
            values = [
                dict(zip(key_columns, key, strict=True)) | {name: row.get(name, 0) for name in sums}
                for key, row in rows.items()
            ]
            insert = dialect_insert(conn, table)
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=key_columns,
                    set_={name: table.c[name] + insert.excluded[name] for name in sums},
                ),
                values,
            )


def _upsert_pg(
    conn: Connection,
    table: Table,
    key_columns: list[str],
    sums: list[str],
    rows: dict[tuple[Any, ...], defaultdict[str, int]],
) -> None:
    """A table's additions as one INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE, the columns as
    binary arrays: the statement a row of executemany cost the serving process as much CPU as the push
    whose entries it counted (the keys are distinct, so no row is updated twice)."""
    keys = list(rows)
    columns = [[key[i] for key in keys] for i in range(len(key_columns))]
    columns += [[row.get(name, 0) for row in rows.values()] for name in sums]
    names = [*key_columns, *sums]
    arrays = ", ".join(f"%b::{_array_type(table.c[name])}" for name in names)
    added = ", ".join(f'"{name}" = {table.name}."{name}" + EXCLUDED."{name}"' for name in sums)
    quoted = ", ".join(f'"{name}"' for name in names)
    keyed = ", ".join(f'"{name}"' for name in key_columns)
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({quoted}) SELECT * FROM unnest({arrays})"
        f" ON CONFLICT ({keyed}) DO UPDATE SET {added}",
        tuple(columns),
    )


def _array_type(column: Any) -> str:
    if isinstance(column.type, BigInteger):
        return "bigint[]"
    return "integer[]" if isinstance(column.type, Integer) else "text[]"


# ---- counting -----------------------------------------------------------------------------------------

_COLUMNS = (
    ENTRY.c.id, ENTRY.c.server_seq, ENTRY.c.created_at_us, ENTRY.c.branch_id, ENTRY.c.device_id,
    ENTRY.c.staff_id, ENTRY.c.member_id, ENTRY.c.kind, ENTRY.c.points_delta, ENTRY.c.cash_delta,
    ENTRY.c.sale_amount, ENTRY.c.discount_rials, ENTRY.c.reverses,
)  # fmt: skip


def _entries(rows: Iterable[Any]) -> list[_Entry]:
    return [
        _Entry(r.id, r.server_seq, r.created_at_us, r.branch_id, r.device_id, r.staff_id or "", r.member_id,
               r.kind, r.points_delta, r.cash_delta, r.sale_amount, r.discount_rials, r.reverses)
        for r in rows
    ]  # fmt: skip


def _returns_of(conn: Connection, sale_ids: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
    """Every return of these sales, counted or not: sale id → [(server_seq, rials returned)]."""
    returns: dict[str, list[tuple[int, int]]] = defaultdict(list)
    if sale_ids:
        for r in conn.execute(
            select(ENTRY.c.reverses, ENTRY.c.server_seq, ENTRY.c.sale_amount).where(
                one_of(conn, ENTRY.c.reverses, sale_ids),
                ENTRY.c.kind == _REVERSAL,
                ENTRY.c.server_seq.is_not(None),
            )
        ):
            returns[r.reverses].append((r.server_seq, -r.sale_amount))
    return returns


def _returned_before(returns: list[tuple[int, int]], seq: int) -> int:
    return sum(amount for at, amount in returns if at < seq)


def _count(conn: Connection, batch: list[_Entry], offset: int) -> None:
    """Add a batch of entries (in server order) into the tables."""
    in_batch = {e.id: e for e in batch}
    returned = [e for e in batch if e.kind == _REVERSAL and e.reverses is not None]
    missing = [e.reverses for e in returned if e.reverses not in in_batch]
    sales = {e.id: e for e in batch if e.is_sale}
    if missing:
        rows = conn.execute(
            select(*_COLUMNS).where(one_of(conn, ENTRY.c.id, set(missing)), ENTRY.c.server_seq.is_not(None))
        )
        sales |= {e.id: e for e in _entries(rows) if e.is_sale}
    returns = _returns_of(conn, list(sales))
    sums = _Sums(offset)
    for entry in batch:
        sums.entry(entry, _returned_before(returns[entry.id], entry.server_seq) if entry.is_sale else 0)
        sale = sales.get(entry.reverses) if entry.kind == _REVERSAL and entry.reverses else None
        if sale is not None and sale.server_seq < entry.server_seq:  # else the sale, counted later, sees it
            before = _returned_before(returns[sale.id], entry.server_seq)
            sums.sale_change(
                sale,
                _purchase(sale.sale_amount, before),
                _purchase(sale.sale_amount, before - entry.sale_amount),
            )
    sums.write(conn)


def _watermark(conn: Connection, offset: int, now_us: int) -> int:
    """The watermark, locked for this transaction; started (or restarted, when the club's calendar moved)."""
    row = conn.execute(
        select(REPORT_WATERMARK).where(REPORT_WATERMARK.c.id == WATERMARK_ID).with_for_update()
    ).first()
    if row is None:
        conn.execute(
            dialect_insert(conn, REPORT_WATERMARK).on_conflict_do_nothing(),
            {"id": WATERMARK_ID, "server_seq": 0, "counted_at_us": now_us, "utc_offset_minutes": offset},
        )
        row = conn.execute(
            select(REPORT_WATERMARK).where(REPORT_WATERMARK.c.id == WATERMARK_ID).with_for_update()
        ).one()
    if row.utc_offset_minutes != offset:  # every day moved: count the ledger again in the new calendar
        for table in TABLES:
            conn.execute(delete(table))
        conn.execute(
            update(REPORT_WATERMARK)
            .where(REPORT_WATERMARK.c.id == WATERMARK_ID)
            .values(server_seq=0, utc_offset_minutes=offset)
        )
        return 0
    return row.server_seq


def catch_up_once(conn: Connection, now_us: int, batch: int = BATCH) -> int:
    """Count up to `batch` entries past the watermark in this transaction; how many it counted."""
    offset = rule_sets.current(conn).utc_offset_minutes
    after = _watermark(conn, offset, now_us)
    entries = _entries(
        conn.execute(
            select(*_COLUMNS).where(ENTRY.c.server_seq > after).order_by(ENTRY.c.server_seq).limit(batch)
        )
    )
    if entries:
        _count(conn, entries, offset)
        after = entries[-1].server_seq
    conn.execute(
        update(REPORT_WATERMARK)
        .where(REPORT_WATERMARK.c.id == WATERMARK_ID)
        .values(server_seq=after, counted_at_us=now_us)
    )
    return len(entries)


def catch_up(db: Database, now_us: int, batch: int = BATCH, most: int | None = None) -> int:
    """Count every entry past the watermark (or about `most` of them), a batch a transaction; how many.

    Several servers may call it at once: the watermark's row lock makes them take turns, and the later
    finds the entries counted."""
    counted = 0
    while most is None or counted < most:
        done = db.write(lambda conn: catch_up_once(conn, now_us, batch))
        counted += done
        if done < batch:
            break
    return counted


def this_month(today: date) -> tuple[date, date]:
    """The first day of today's (Jalali) month, and today: the reports' default period."""
    return month_first(month_of(today)), today


def behind(conn: Connection, server_seq: int) -> int:
    """Entries the server holds past `server_seq`."""
    return conn.execute(
        select(func.count()).select_from(ENTRY).where(ENTRY.c.server_seq > server_seq)
    ).scalar_one()


def as_of(conn: Connection) -> AsOf:
    """When the aggregates last counted, up to which server_seq, and how many entries wait past it."""
    row = conn.execute(select(REPORT_WATERMARK).where(REPORT_WATERMARK.c.id == WATERMARK_ID)).first()
    seq, at = (row.server_seq, row.counted_at_us) if row is not None else (0, 0)
    return AsOf(counted_at_us=at, server_seq=seq, behind=behind(conn, seq))


# ---- the summary, from the aggregates -----------------------------------------------------------------


def summary(
    conn: Connection,
    first: date,
    last: date,
    end_us: int,
    point_value_rials: int,
    *,
    branch_id: str | None = None,
    tier: str | None = None,
) -> Summary:
    """`app.domain.report_summary.summarize` for the local days first..last (ending at `end_us`), from the
    aggregates as far as they have counted. Without a tier it reads the day rows; a tier (the member's
    current one) needs the member rows, joined to the member list."""
    d1, d2 = first.toordinal(), last.toordinal()
    members = select(func.count()).select_from(MEMBER).where(MEMBER.c.joined_at_us < end_us)
    if branch_id is not None:
        members = members.where(MEMBER.c.branch_id == branch_id)
    if tier is not None:
        members = members.where(MEMBER.c.tier_code == tier)
    totals = _totals_by_tier(conn, d1, d2, branch_id, tier) if tier else _totals(conn, d1, d2, branch_id)
    active, repeat, engaged = _members(conn, d1, d2, end_us, branch_id=branch_id, tier=tier)
    counted = conn.execute(members).scalar_one()
    purchases, net_sales = totals["purchases"], totals["net_sales"]
    return Summary(
        members_total=counted,
        members_active=active,
        engagement_rate=_ratio(engaged, counted),
        repeat_customer_rate=_ratio(repeat, active),
        purchase_frequency=_ratio(purchases, active),
        net_sales_rials=net_sales,
        average_basket_rials=net_sales // purchases if purchases else 0,
        points_issued=totals["issued"],
        points_redeemed=totals["redeemed"],
        points_expired=totals["expired"],
        points_outstanding=totals["outstanding"],
        liability_rials=totals["outstanding"] * point_value_rials,
        wallet_outstanding_rials=totals["wallet"],
    )


def _ratio(numerator: int, denominator: int) -> Fraction:
    return Fraction(numerator, denominator) if denominator else Fraction(0)


def _sum(column: Any, condition: Any = None) -> Any:
    value = column if condition is None else case((condition, column), else_=0)
    return func.coalesce(func.sum(value), 0)


def _totals(conn: Connection, d1: int, d2: int, branch_id: str | None) -> dict[str, int]:
    day = REPORT_DAY.c
    within = and_(day.day >= d1, day.day <= d2)
    query = select(
        _sum(day.purchases, within).label("purchases"),
        _sum(day.net_sales_rials, within).label("net_sales"),
        _sum(day.points_plus, and_(within, day.kind.not_in(_NOT_ISSUED))).label("issued"),
        (-_sum(day.points_delta, and_(within, day.kind.in_(sorted(_SPENDING))))).label("redeemed"),
        (-_sum(day.points_delta, and_(within, day.kind == _EXPIRE))).label("expired"),
        _sum(day.points_delta).label("outstanding"),
        _sum(day.cash_delta).label("wallet"),
    ).where(day.day <= d2)
    if branch_id is not None:
        query = query.where(day.branch_id == branch_id)
    return {k: int(v) for k, v in conn.execute(query).one()._mapping.items()}


def _totals_by_tier(conn: Connection, d1: int, d2: int, branch_id: str | None, tier: str) -> dict[str, int]:
    """The sums for one tier's members: their day rows in the period, and for the balances up to its end
    their month rows before the last day's month and their day rows within it."""
    day, month = REPORT_MEMBER_DAY.c, REPORT_MEMBER_MONTH.c
    last_month = month_of(d2)
    month_start = month_first(last_month).toordinal()
    in_tier = MEMBER.c.tier_code == tier
    within = and_(day.day >= d1, day.day <= d2)
    days = (
        select(
            _sum(day.purchases, within).label("purchases"),
            _sum(day.net_sales_rials, within).label("net_sales"),
            _sum(day.points_issued, within).label("issued"),
            _sum(day.points_redeemed, within).label("redeemed"),
            _sum(day.points_expired, within).label("expired"),
            _sum(day.points_delta, day.day >= month_start).label("outstanding"),
            _sum(day.cash_delta, day.day >= month_start).label("wallet"),
        )
        .join_from(REPORT_MEMBER_DAY, MEMBER, MEMBER.c.id == day.member_id)
        .where(in_tier, day.day >= min(d1, month_start), day.day <= d2)
    )
    months = (
        select(_sum(month.points_delta), _sum(month.cash_delta))
        .join_from(REPORT_MEMBER_MONTH, MEMBER, MEMBER.c.id == month.member_id)
        .where(in_tier, month.month < last_month)
    )
    if branch_id is not None:
        days = days.where(day.branch_id == branch_id)
        months = months.where(month.branch_id == branch_id)
    totals = {k: int(v) for k, v in conn.execute(days).one()._mapping.items()}
    earlier_points, earlier_wallet = conn.execute(months).one()
    totals["outstanding"] += int(earlier_points)
    totals["wallet"] += int(earlier_wallet)
    return totals


def _members(
    conn: Connection, d1: int, d2: int, end_us: int, *, branch_id: str | None, tier: str | None
) -> tuple[int, int, int]:
    """Members with a purchase in the period, those with two or more, and those with an engaging entry
    among the members counted in members_total: one pass over the period's member rows."""
    day = REPORT_MEMBER_DAY.c
    counted = day.engaging
    per_member = select(day.member_id, func.sum(day.purchases).label("purchases")).where(
        day.day >= d1, day.day <= d2, or_(day.purchases != 0, day.engaging > 0)
    )
    if branch_id is not None or tier is not None:
        per_member = per_member.join_from(REPORT_MEMBER_DAY, MEMBER, MEMBER.c.id == day.member_id)
        home = MEMBER.c.joined_at_us < end_us
        if branch_id is not None:
            per_member = per_member.where(day.branch_id == branch_id)
            home = and_(home, MEMBER.c.branch_id == branch_id)
        if tier is not None:
            per_member = per_member.where(MEMBER.c.tier_code == tier)
        counted = case((home, day.engaging), else_=0)
    counts = per_member.add_columns(func.sum(counted).label("engaging")).group_by(day.member_id).subquery()
    active, repeat, engaged = conn.execute(
        select(
            _sum(case((counts.c.purchases > 0, 1), else_=0)),
            _sum(case((counts.c.purchases >= 2, 1), else_=0)),
            _sum(case((counts.c.engaging > 0, 1), else_=0)),
        )
    ).one()
    if branch_id is None and tier is None:
        # the whole club: no join of the period's rows with the member list; those who joined after the
        # period (few, by the index on joined_at) are taken out instead
        engaged -= conn.execute(
            select(func.count())
            .select_from(MEMBER)
            .where(
                MEMBER.c.joined_at_us >= end_us,
                exists().where(day.member_id == MEMBER.c.id, day.day >= d1, day.day <= d2, day.engaging > 0),
            )
        ).scalar_one()
    return int(active), int(repeat), int(engaged)
