# SPDX-License-Identifier: GPL-3.0-or-later
"""What the insight reports share: the filters resolved against the database (`Scope`), one audited read
per report, the members a report counts, and the periods in the club's calendar as day and month numbers
(sync.server.reports.aggregates)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, case, select

from app.domain.errors import ClubError
from app.domain.programme import RuleSet
from sync.server import rules as rule_sets
from sync.server.club.act import Call, read
from sync.server.club.reports import rules_at
from sync.server.db import Database
from sync.server.models import BRANCH, MEMBER, TIER
from sync.server.reports.aggregates import as_of, day_of, month_first, month_of
from sync.server.reports.table import Filters, Result

T = TypeVar("T")
Progress = Callable[[int], None] | None
CHUNK = 1_000  # members a slow report reads at once


@dataclass(frozen=True, slots=True)
class Scope:
    """The filters as a report reads them: days and months are the aggregates' numbers."""

    filters: Filters
    calendar: RuleSet  # the current rule set: the club's calendar
    at_end: RuleSet  # the rule set in force at the period's end
    start_us: int
    end_us: int
    first_day: int  # date.toordinal of the first local day
    last_day: int
    branch_id: str | None
    branches: dict[str, str]  # id: code, every branch

    @property
    def first_month(self) -> int:
        return month_of(self.filters.first)

    @property
    def last_month(self) -> int:
        return month_of(self.filters.last)

    def month_start_us(self, month: int) -> int:
        return self.calendar.day_start_us(month_first(month))

    def code(self, branch_id: str | None) -> str:
        return "" if branch_id is None else self.branches.get(branch_id, branch_id)

    def members(self, query: Select[Any], joined_by_end: bool = True) -> Select[Any]:
        """`query` narrowed to the members the filters choose: home branch, current tier, and (unless
        told otherwise) joined before the period's end."""
        if self.branch_id is not None:
            query = query.where(MEMBER.c.branch_id == self.branch_id)
        if self.filters.tier is not None:
            query = query.where(MEMBER.c.tier_code == self.filters.tier)
        if joined_by_end:
            query = query.where(MEMBER.c.joined_at_us < self.end_us)
        return query


def scope(conn: Connection, filters: Filters) -> Scope:
    """The filters checked (a known branch and tier, a period that ends after it starts) and resolved."""
    if filters.last < filters.first:
        raise ClubError(
            "period_ends_before_it_starts", first=filters.first.isoformat(), last=filters.last.isoformat()
        )
    branches = {r.id: r.code for r in conn.execute(select(BRANCH.c.id, BRANCH.c.code))}
    branch_id = None
    if filters.branch is not None:
        branch_id = next((i for i, c in branches.items() if c == filters.branch), None)
        if branch_id is None:
            raise ClubError("unknown_branch", branch=filters.branch)
    tier = filters.tier
    if tier is not None and conn.execute(select(TIER.c.code).where(TIER.c.code == tier)).first() is None:
        raise ClubError("unknown_tier", tier=tier)
    calendar = rule_sets.current(conn)
    end_us = calendar.day_start_us(filters.last + timedelta(days=1))
    return Scope(
        filters=filters,
        calendar=calendar,
        at_end=rules_at(conn, end_us),
        start_us=calendar.day_start_us(filters.first),
        end_us=end_us,
        first_day=filters.first.toordinal(),
        last_day=filters.last.toordinal(),
        branch_id=branch_id,
        branches=branches,
    )


def branch_id_of(call: Call, filters: Filters) -> str | None:
    """The filter's branch id (for the permission check before anything is read), None for the club."""
    if filters.branch is None:
        return None
    with call.db.replica_read() as conn:
        found = conn.execute(select(BRANCH.c.id).where(BRANCH.c.code == filters.branch)).scalar()
    if found is None:
        raise ClubError("unknown_branch", branch=filters.branch)
    return str(found)


def run(call: Call, code: str, filters: Filters, work: Callable[[Connection, Scope], Result]) -> Result:
    """Build a report in one audited read as the call's actor: a branch manager may read their own
    branches' numbers only (sync.server.club.access). The result carries the aggregates' as-of."""

    def build(conn: Connection) -> Result:
        result = work(conn, scope(conn, filters))
        return Result(result.tables, as_of(conn), result.definitions)

    return read(call, f"report.{code}", filters.branch, build, branch_id=branch_id_of(call, filters))


def run_slow(
    call: Call,
    code: str,
    filters: Filters,
    work: Callable[[Database, Scope, Progress], Result],
    progress: Progress,
) -> Result:
    """Build a slow report: the actor's permission checked and the read audited first, then `work` reads
    a chunk at a time in reads of its own and reports progress between them, never inside one (the jobs'
    callback writes the job's row: on SQLite, inside another transaction it would wait forever). The
    numbers are as of the aggregates' count when the build started."""
    read(call, f"report.{code}", filters.branch, lambda _conn: None, branch_id=branch_id_of(call, filters))
    with call.db.replica_read() as conn:
        chosen = scope(conn, filters)
        counted = as_of(conn)
    result = work(call.db, chosen, progress)
    if progress is not None:
        progress(100)
    return Result(result.tables, counted, result.definitions)


def ratio(numerator: int, denominator: int) -> Fraction:
    """A rate; 0 when nothing to divide by."""
    return Fraction(numerator, denominator) if denominator else Fraction(0)


def month_case(column: Any, starts_us: Sequence[int]) -> Any:
    """An SQL expression numbering the half-open ranges [starts_us[i], starts_us[i + 1]) by i (the last
    start closes the last range); NULL outside them. The club's months as UTC microseconds."""
    return case(
        *((column < start, i - 1) for i, start in enumerate(starts_us) if i > 0),
        else_=None,
    )


def months(first: int, last: int) -> list[int]:
    return list(range(first, last + 1))


def day_date(day: int) -> date:
    return date.fromordinal(day)


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


__all__ = ["day_of", "month_first", "month_of"]
