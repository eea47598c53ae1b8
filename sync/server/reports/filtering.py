# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports section's filter bar: what a request typed, read as `Filters`; the choices the bar offers;
and the branch scope every report and drill-down keeps.

- The period is typed as dates, Jalali (1405/09/01) or Gregorian (2026-11-22), in either digits
  (`app.format.parse_day`). With neither end typed it is this month so far, by the Persian (Jalali)
  calendar in the club's time zone: the club's month is the one its members and staff live by.
- Branch scope: a branch manager sees the reports of the branches they run and nothing club-wide (a club's
  totals would tell them every other branch's); one who chooses no branch gets their first branch. The
  check is here rather than in `club.access`, where READ is club-wide on purpose (a member shops at every
  branch, so their file is read anywhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from sqlalchemy import Connection, select

from app.domain.errors import ClubError
from app.format import parse_day
from sync.server import rules as rule_sets
from sync.server.club.act import Call
from sync.server.errors import ApiError
from sync.server.models import BRANCH, TIER
from sync.server.reports import aggregates
from sync.server.reports.table import Filters

MAX_TYPED = 40  # characters a filter's field may carry
MAX_DAYS = 3_700  # about ten years: a longer period is a typing slip, and its daily table would be huge


@dataclass(frozen=True, slots=True)
class Option:
    code: str
    name_fa: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Choices:
    """What the filter bar's selects offer this user."""

    branches: list[Option]
    tiers: list[Option]
    campaigns: list[Option]
    every_branch: bool  # whether "every branch" may be chosen (not for a branch manager)


def this_month(call: Call) -> tuple[date, date]:
    """From the first of this Jalali month to today, in the club's calendar."""
    with call.db.replica_read() as conn:
        today = rule_sets.current(conn).local_date(call.now_us)
    return aggregates.this_month(today)


def _day(text: str, field: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    found = parse_day(text) if len(text) <= MAX_TYPED else None
    if found is None:
        raise ClubError("invalid_report_date", field=field, date=text[:MAX_TYPED])
    return found


def _code(typed: Mapping[str, str], key: str) -> str | None:
    text = typed.get(key, "").strip()
    if len(text) > MAX_TYPED:
        raise ClubError(f"unknown_{key}", **{key: text[:MAX_TYPED]})
    return text or None


def parse(call: Call, typed: Mapping[str, str]) -> Filters:
    """The filters a request typed (`from`, `to`, `branch`, `tier`, `campaign`), checked: a date that is
    none, a period ending before it starts, an unknown branch, tier or campaign is a ClubError, a branch
    outside the user's scope an ApiError 403. A branch manager who chose no branch gets their first."""
    first, last = _day(typed.get("from", ""), "from"), _day(typed.get("to", ""), "to")
    if first is None and last is None:
        first, last = this_month(call)
    elif first is None or last is None:
        raise ClubError("period_needs_both_ends")
    if last < first:
        raise ClubError("period_ends_before_it_starts", first=first.isoformat(), last=last.isoformat())
    if (last - first).days > MAX_DAYS:
        raise ClubError("period_too_long", days=MAX_DAYS)
    branch, tier, campaign = _code(typed, "branch"), _code(typed, "tier"), _code(typed, "campaign")
    with call.db.replica_read() as conn:
        if branch is None and call.actor.branch_ids is not None:
            branch = _first_branch(conn, call)
        branch_id(conn, call, branch)
        if tier is not None and conn.execute(select(TIER.c.code).where(TIER.c.code == tier)).first() is None:
            raise ClubError("unknown_tier", tier=tier)
        if campaign is not None and campaign not in {c.code for c in rule_sets.current(conn).campaigns}:
            raise ClubError("unknown_campaign", campaign=campaign)
    return Filters(first, last, branch, tier, campaign)


def _first_branch(conn: Connection, call: Call) -> str | None:
    ids = sorted(call.actor.branch_ids or ())
    return conn.execute(
        select(BRANCH.c.code).where(BRANCH.c.id.in_(ids)).order_by(BRANCH.c.code).limit(1)
    ).scalar()


def branch_id(conn: Connection, call: Call, code: str | None) -> str | None:
    """The branch's id (None: every branch), within the actor's scope: an unknown code is a ClubError, a
    branch the actor does not run (or the whole club, for a branch manager) an ApiError 403."""
    found = None
    if code is not None:
        found = conn.execute(select(BRANCH.c.id).where(BRANCH.c.code == code)).scalar()
        if found is None:
            raise ClubError("unknown_branch", branch=code)
    scope = call.actor.branch_ids
    if scope is not None and (found is None or found not in scope):
        where = f" at branch {code}" if code else " for the whole club"
        raise ApiError(403, "forbidden", f"the {call.actor.role} role may not read reports{where}")
    return found


def choices(call: Call) -> Choices:
    """The branches (those in the user's scope), tiers and current campaigns the filter bar offers."""
    scope = call.actor.branch_ids
    with call.db.replica_read() as conn:
        branches = [
            Option(r.code, r.name_fa, r.name_en)
            for r in conn.execute(
                select(BRANCH.c.id, BRANCH.c.code, BRANCH.c.name_fa, BRANCH.c.name_en).order_by(BRANCH.c.code)
            )
            if scope is None or r.id in scope
        ]
        tiers = [
            Option(r.code, r.name_fa, r.name_en)
            for r in conn.execute(select(TIER.c.code, TIER.c.name_fa, TIER.c.name_en).order_by(TIER.c.rank))
        ]
        campaigns = [Option(c.code, c.name_fa, c.name_en) for c in rule_sets.current(conn).campaigns]
    return Choices(branches, tiers, campaigns, every_branch=scope is None)


def fields(filters: Filters) -> dict[str, str]:
    """The filters as the fields that chose them (dates in ISO): a form's hidden fields, a query."""
    found = {"from": filters.first.isoformat(), "to": filters.last.isoformat()}
    for key, value in (("branch", filters.branch), ("tier", filters.tier), ("campaign", filters.campaign)):
        if value:
            found[key] = value
    return found


def query(filters: Filters) -> str:
    """The filters as the query string that chose them, for links that keep them: the drill-down, the
    exports, the next page."""
    return urlencode(fields(filters))


def to_json(filters: Filters) -> dict[str, str | None]:
    """As a job stores them."""
    return {
        "first": filters.first.isoformat(), "last": filters.last.isoformat(), "branch": filters.branch,
        "tier": filters.tier, "campaign": filters.campaign,
    }  # fmt: skip


def from_json(data: Mapping[str, str | None]) -> Filters:
    first, last = data["first"], data["last"]
    assert first is not None and last is not None
    return Filters(
        date.fromisoformat(first), date.fromisoformat(last), data.get("branch"), data.get("tier"),
        data.get("campaign"),
    )  # fmt: skip


def days(filters: Filters) -> list[date]:
    """Every day of the period, in order."""
    return [filters.first + timedelta(days=n) for n in range((filters.last - filters.first).days + 1)]
