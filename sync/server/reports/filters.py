# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports' filters from a request's query: `from`, `to` (a day typed Jalali or Gregorian, Persian or
Latin digits: app.format.parse_day), `branch`, `tier` and `campaign` (codes). One parser for the pages, the
exports and the jobs, so a link from a page to its export asks for the same numbers.

Without `from` and `to` the period is this month so far: from the first day of the current Jalali month
(the club's months: its people count in them) to today, both in the club's calendar (the current rule
set's time zone). With one end only, the other is that same default's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import jdatetime
from sqlalchemy import select

from app.domain.errors import ClubError
from app.domain.programme import MAX_CODE
from app.format import parse_day
from sync.server import rules as rule_sets
from sync.server.club.act import Call
from sync.server.models import BRANCH, TIER
from sync.server.reports.table import Filters


def month_so_far(today: date) -> tuple[date, date]:
    """The first day of `today`'s Jalali month, and today."""
    jalali = jdatetime.date.fromgregorian(date=today)
    return jdatetime.date(jalali.year, jalali.month, 1).togregorian(), today


def _day(params: Mapping[str, str], key: str) -> date | None:
    text = (params.get(key) or "").strip()
    if not text:
        return None
    found = parse_day(text)
    if found is None:
        raise ClubError("not_a_day", text=text[:40])
    return found


def _code(params: Mapping[str, str], key: str) -> str | None:
    text = (params.get(key) or "").strip()
    if not text:
        return None
    if len(text) > MAX_CODE:
        raise ClubError(f"unknown_{key}", **{key: text[:MAX_CODE] + "…"})
    return text


def filters_from_query(params: Mapping[str, str], call: Call) -> Filters:
    """The Filters a query asks for; ClubError (shown to the user in their language) for a day that is not
    one, a period that ends before it starts, or a branch or tier the club does not have."""
    first, last = _day(params, "from"), _day(params, "to")
    branch, tier, campaign = _code(params, "branch"), _code(params, "tier"), _code(params, "campaign")
    with call.db.read() as conn:
        if first is None or last is None:
            default_first, today = month_so_far(rule_sets.current(conn).local_date(call.now_us))
            first = first or (default_first if last is None or last >= default_first else last)
            last = last or max(today, first)
        if (
            branch is not None
            and conn.execute(select(BRANCH.c.id).where(BRANCH.c.code == branch)).first() is None
        ):
            raise ClubError("unknown_branch", branch=branch)
        if tier is not None and conn.execute(select(TIER.c.code).where(TIER.c.code == tier)).first() is None:
            raise ClubError("unknown_tier", tier=tier)
    if last < first:
        raise ClubError("period_ends_before_it_starts", first=first.isoformat(), last=last.isoformat())
    return Filters(first, last, branch, tier, campaign)


def filters_to_query(filters: Filters) -> dict[str, str]:
    """The query that asks for these filters again (ISO days): for links to exports and jobs."""
    query = {"from": filters.first.isoformat(), "to": filters.last.isoformat()}
    for key, value in (("branch", filters.branch), ("tier", filters.tier), ("campaign", filters.campaign)):
        if value:
            query[key] = value
    return query


def filters_to_json(filters: Filters) -> dict[str, str | None]:
    return {
        "first": filters.first.isoformat(), "last": filters.last.isoformat(), "branch": filters.branch,
        "tier": filters.tier, "campaign": filters.campaign,
    }  # fmt: skip


def filters_from_json(data: Mapping[str, str | None]) -> Filters:
    first, last = data["first"], data["last"]
    assert first is not None and last is not None
    return Filters(
        date.fromisoformat(first), date.fromisoformat(last), data.get("branch"), data.get("tier"),
        data.get("campaign"),
    )  # fmt: skip
