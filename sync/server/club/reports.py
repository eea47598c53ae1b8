# SPDX-License-Identifier: GPL-3.0-or-later
"""The ledger export and the reports' reference computation (issue 14).

`export_csv` writes the ledger as CSV in server order, a page at a time (keyset on `server_seq`), so
the whole table is never in memory. `summary` answers from the reports' aggregates
(sync.server.reports.aggregates); `direct_summary` reads the ledger and the member list and runs
`app.domain.report_summary.summarize` over them: the direct computation from raw entries that the
aggregates must equal, and that anyone can repeat over the export.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TextIO

from sqlalchemy import Connection, or_, select

from app.domain.errors import ClubError
from app.domain.ledger import EntryKind
from app.domain.programme import RuleSet
from app.domain.report_summary import EXPORT_COLUMNS, ReportEntry, ReportMember, Summary, iso_utc, summarize
from sync.server import rules as rule_sets
from sync.server.club.access import Permission
from sync.server.club.act import Call, read
from sync.server.models import BRANCH, ENTRY, MEMBER, TIER
from sync.server.reports import aggregates, summary_cache
from sync.server.reports.table import AsOf

PAGE = 1_000  # entries a page of the export reads


@dataclass(frozen=True, slots=True)
class Period:
    """Local dates, both inclusive, as UTC microseconds: [start_us, end_us)."""

    first: date
    last: date
    start_us: int
    end_us: int


def period(call: Call, first: date | None, last: date | None) -> Period | None:
    """The period of local dates in the club's time zone (the current rule set's); None for all time.
    Both or neither: a period needs its two ends."""
    if first is None and last is None:
        return None
    if first is None or last is None:
        raise ClubError("period_needs_both_ends")
    if last < first:
        raise ClubError("period_ends_before_it_starts", first=first.isoformat(), last=last.isoformat())
    with call.db.read() as conn:
        club_rules = rule_sets.current(conn)
    end_us = club_rules.day_start_us(last + timedelta(days=1))
    return Period(first, last, club_rules.day_start_us(first), end_us)


def export_csv(call: Call, out: TextIO, within: Period | None = None, page: int = PAGE) -> int:
    """Write the ledger (or the entries whose created_at falls in `within`) to `out` as CSV with the header
    row `EXPORT_COLUMNS`, in server order; the number of entries written. Audited as one read."""
    read(call, "ledger.export", None, lambda _conn: None)  # every branch: the club's own actors only
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in _entries(call, within, page):
        writer.writerow(
            (row.id, row.device_id, row.device_seq, row.server_seq, iso_utc(row.created_at_us), row.branch,
             row.member_id, row.kind, row.points_delta, row.cash_delta, row.sale_amount, row.discount_rials,
             row.invoice_ref or "", row.reverses or "", row.staff_id or "",
             "" if row.rules_version is None else row.rules_version)
        )  # fmt: skip
        count += 1
    return count


def _entries(call: Call, within: Period | None, page: int) -> Iterator[object]:
    """The ledger in server order, page by page, each page in its own short read (keyset on server_seq)."""
    query = (
        select(ENTRY, BRANCH.c.code.label("branch"))
        .join(BRANCH, BRANCH.c.id == ENTRY.c.branch_id)
        .where(ENTRY.c.server_seq.is_not(None))
        .order_by(ENTRY.c.server_seq)
        .limit(page)
    )
    if within is not None:
        query = query.where(ENTRY.c.created_at_us >= within.start_us, ENTRY.c.created_at_us < within.end_us)
    after = 0
    while True:
        # the replica's when there is one: numbers are visible there in order too, so no page skips a row
        with call.db.replica_read() as conn:
            rows = conn.execute(query.where(ENTRY.c.server_seq > after)).all()
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1].server_seq


@dataclass(frozen=True, slots=True)
class Counted:
    """A summary and how far the aggregates it came from had counted."""

    summary: Summary
    as_of: AsOf


def summary(
    call: Call,
    within: Period,
    branch: str | None = None,
    tier: str | None = None,
    *,
    catch_up: int | None = None,
) -> Summary:
    """The summary for the period by `DEFINITIONS`, from the reports' aggregates (never a scan of the
    ledger). `catch_up`: first count up to about that many entries the aggregates have not (None: all of
    them, as the command line does; 0: none, as a page does, which shows `as_of` instead)."""
    return counted_summary(call, within, branch, tier, catch_up=catch_up).summary


def counted_summary(
    call: Call,
    within: Period,
    branch: str | None = None,
    tier: str | None = None,
    *,
    catch_up: int | None = None,
    fresh_s: int | None = None,
) -> Counted:
    """`summary` with how far it counts. `fresh_s`: a summary kept from less than that many seconds ago
    answers (sync.server.reports.summary_cache; default: exact after counting everything when `catch_up`
    is None, as the command line asks, else the cache's freshness, as a page asks). Audited as one read."""
    if catch_up != 0:
        aggregates.catch_up(call.db, call.now_us, most=catch_up)
    with call.db.read() as conn:
        branch_id, in_force = _filters(conn, within, branch, tier)
    call.actor.require(Permission.READ, branch_id)  # before any work
    redemption = in_force.redemption if branch is None else in_force.branch_rules(branch).redemption
    fresh = fresh_s if fresh_s is not None else (0 if catch_up is None else summary_cache.FRESH_S)
    numbers, as_of = summary_cache.counted(
        call.db, call.now_us, within.first, within.last, redemption.rials_per_point, branch_id=branch_id,
        tier=tier, fresh_s=fresh,
    )  # fmt: skip
    read(call, "report.summary", branch, lambda _conn: None, branch_id=branch_id)
    return Counted(numbers, as_of)


def _filters(
    conn: Connection, within: Period, branch: str | None, tier: str | None
) -> tuple[str | None, RuleSet]:
    """The branch's id (None: the whole club) and the rule set in force at the period's end; a branch or a
    tier that does not exist is refused."""
    branch_id = None
    if branch is not None:
        branch_id = conn.execute(select(BRANCH.c.id).where(BRANCH.c.code == branch)).scalar()
        if branch_id is None:
            raise ClubError("unknown_branch", branch=branch)
    if tier is not None and conn.execute(select(TIER.c.code).where(TIER.c.code == tier)).first() is None:
        raise ClubError("unknown_tier", tier=tier)
    return branch_id, rules_at(conn, within.end_us)


def direct_summary(
    call: Call, within: Period, branch: str | None = None, tier: str | None = None, page: int = PAGE
) -> Summary:
    """The summary computed directly from the raw ledger by `summarize`: THE REFERENCE COMPUTATION, which
    the aggregates must equal for every period and filter (`report summary --direct`).

    It reads every entry made before the period's end and every reversal whenever made (a purchase
    returned in full after the period is no purchase of it), and every member. Audited as one read.
    """
    with call.db.read() as conn:
        branch_id, in_force = _filters(conn, within, branch, tier)
        members = [
            ReportMember(r.id, r.joined_at_us, r.branch, r.tier_code)
            for r in conn.execute(
                select(
                    MEMBER.c.id, MEMBER.c.joined_at_us, MEMBER.c.tier_code, BRANCH.c.code.label("branch")
                ).join(BRANCH, BRANCH.c.id == MEMBER.c.branch_id)
            )
        ]
    # a branch manager may see their own branches' summary only
    read(call, "report.summary", branch, lambda _conn: None, branch_id=branch_id)
    redemption = in_force.redemption if branch is None else in_force.branch_rules(branch).redemption
    return summarize(
        _report_entries(call, within.end_us, page),
        members,
        within.start_us,
        within.end_us,
        redemption.rials_per_point,
        branch=branch,
        tier=tier,
    )


def _report_entries(call: Call, end_us: int, page: int) -> Iterator[ReportEntry]:
    columns = (
        ENTRY.c.id, ENTRY.c.server_seq, ENTRY.c.created_at_us, BRANCH.c.code.label("branch"),
        ENTRY.c.member_id, ENTRY.c.kind, ENTRY.c.points_delta, ENTRY.c.cash_delta, ENTRY.c.sale_amount,
        ENTRY.c.reverses,
    )  # fmt: skip
    query = (
        select(*columns)
        .join(BRANCH, BRANCH.c.id == ENTRY.c.branch_id)
        .where(
            ENTRY.c.server_seq.is_not(None),
            or_(ENTRY.c.created_at_us < end_us, ENTRY.c.kind == EntryKind.REVERSAL.value),
        )
        .order_by(ENTRY.c.server_seq)
        .limit(page)
    )
    after = 0
    while True:
        # the replica's when there is one: numbers are visible there in order too, so no page skips a row
        with call.db.replica_read() as conn:
            rows = conn.execute(query.where(ENTRY.c.server_seq > after)).all()
        for r in rows:
            yield ReportEntry(r.id, r.created_at_us, r.branch, r.member_id, EntryKind(r.kind), r.points_delta,
                              r.cash_delta, r.sale_amount, r.reverses)  # fmt: skip
        if len(rows) < page:
            return
        after = rows[-1].server_seq


def rules_at(conn: Connection, at_us: int) -> RuleSet:
    """The rule set in force at a moment (sync.server.rules.in_force_at)."""
    return rule_sets.in_force_at(conn, at_us)
