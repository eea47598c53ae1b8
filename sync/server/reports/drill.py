# SPDX-License-Identifier: GPL-3.0-or-later
"""The drill-down: the ledger entries or the members behind a report's number, a page at a time.

A `Drill` travels in the page's address (`to_query`/`from_query`, every field checked: an address someone
wrote by hand gets a `DrillError`, which the page shows as a 400 with the field it could not read). Its
period, branch and tier are its own, or else the report's filters.

- `entries_page`: the entries matching every field, newest first: by created_at, then server_seq, both
  descending, the order of `ix_ledger_entry_created_at_us`, so a page reads from the period's end and stops
  when it is full however large the ledger (an order by server_seq alone would walk the sequence's index
  from today back to an old period). The cursor is the last line's server_seq. The named set
  "purchases" keeps the sales the summary counts as purchases (not returned in full, at any time).
- `members_page`: members listed outright, or a named set read from the aggregates, by member id (keyset):
  "joined" (members_total: joined on or before the period's last day; home branch, current tier),
  "active" (a purchase in the period at the branch), "repeat" (two or more), "engaged" (an engaging entry
  in the period at the branch, among members_total), as `app.domain.report_summary` defines them.
  Any other name ("recency:61-90", "campaign_holdout:C1", …) belongs to a report: each report module may
  export `members_of(call, named, filters) -> list[str] | None` (None: not one of mine), computed by the
  same functions as the report's number, and the drill asks them in the catalogue's order; a name none
  of them knows is a `DrillError` on "d_named" (a 400). The ids they list are paged by id like the rest.

Both read through `club.act.read` (audited, as they show members) within the actor's branch scope.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection, false, func, or_, select

from app.domain.ledger import EntryKind
from sync.protocol import UUID_PATTERN
from sync.server import rules as rule_sets
from sync.server.club.act import Call, read
from sync.server.models import BRANCH, ENTRY, MEMBER, REPORT_MEMBER_DAY, TIER
from sync.server.reports import filtering
from sync.server.reports.table import MAX_LISTED, Drill, Filters

PAGE = 50
REPEAT = 2  # purchases in the period that make a repeat customer
NAMED = ("joined", "active", "repeat", "engaged")
# the entries' named set: "purchases", the sales the summary counts (earn entries with a sale amount that
# their reversals, at any time, have not returned in full: app.domain.report_summary's definition)
ENTRY_NAMED = ("purchases",)
# a report's own named set: a name, and what it is of (a date, a band, a campaign's code, an event's id)
_REPORT_NAMED = re.compile(r"^[a-z_]{1,40}(:[A-Za-z0-9_.-]{1,80})?$")
TARGETS = ("entries", "members")
UUID_RE = re.compile(UUID_PATTERN)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KINDS = frozenset(k.value for k in EntryKind)
MAX_CODE = 32

# the address's keys: a prefix of their own, so they never meet the filters' (from, to, branch, …)
KEYS = {
    "drill": "target", "d_first": "first", "d_last": "last", "d_branch": "branch", "d_tier": "tier",
    "d_kinds": "kinds", "d_member": "member_id", "d_staff": "staff_id", "d_device": "device_id",
    "d_entries": "entry_ids", "d_members": "member_ids", "d_named": "named",
}  # fmt: skip
_FIELDS = {field: key for key, field in KEYS.items()}


class DrillError(ValueError):
    """An address whose drill-down cannot be read: `field` is the key at fault."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def to_query(drill: Drill) -> str:
    """The drill as query parameters (lists comma-separated, dates ISO), its empty fields left out."""
    pairs: list[tuple[str, str]] = []
    for field, key in _FIELDS.items():
        value = getattr(drill, field)
        if isinstance(value, tuple):
            value = ",".join(value)
        elif isinstance(value, date):
            value = value.isoformat()
        if value:
            pairs.append((key, str(value)))
    return urlencode(pairs)


def from_query(params: Mapping[str, str] | Any) -> Drill:
    """The drill an address names, every field checked; DrillError names the first field at fault. Keys
    other than the drill's (the filters, the page) are left to their readers."""
    multi = getattr(params, "getlist", None)
    values: dict[str, Any] = {}
    for key in params:
        if not (key == "drill" or key.startswith("d_")):
            continue
        if key not in KEYS or (multi is not None and len(multi(key)) != 1):
            raise DrillError(key)
        values[KEYS[key]] = _field(key, str(params[key]))
    target = values.pop("target", None)
    if target is None:
        raise DrillError("drill")
    drill = Drill(target, **values)
    _check(drill)
    return drill


def _field(key: str, text: str) -> Any:  # noqa: PLR0911, PLR0912 -- one reader per kind of field
    if not text or len(text) > 40 * MAX_LISTED:
        raise DrillError(key)
    field = KEYS[key]
    if field == "target":
        return _one_of(key, text, TARGETS)
    if field == "named":
        if text not in NAMED and not _REPORT_NAMED.fullmatch(text):
            raise DrillError(key)
        return text
    if field in {"first", "last"}:
        if not _ISO_DAY.fullmatch(text):
            raise DrillError(key)
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise DrillError(key) from None
    if field in {"branch", "tier"}:
        if len(text) > MAX_CODE or not text.isprintable():
            raise DrillError(key)
        return text
    if field in {"member_id", "staff_id", "device_id"}:
        return _uuid(key, text)
    items = tuple(text.split(","))
    if len(items) > MAX_LISTED or len(set(items)) != len(items):
        raise DrillError(key)
    if field == "kinds":
        if not set(items) <= _KINDS:
            raise DrillError(key)
        return items
    return tuple(_uuid(key, item) for item in items)


def _one_of(key: str, text: str, allowed: tuple[str, ...]) -> str:
    if text not in allowed:
        raise DrillError(key)
    return text


def _uuid(key: str, text: str) -> str:
    if not UUID_RE.fullmatch(text):
        raise DrillError(key)
    return text


def _check(drill: Drill) -> None:
    """What a drill may combine: a period's ends in order (a last day alone: "as of" it); members are a
    named set or a list."""
    if drill.first is not None and drill.last is None:  # a last day alone: as of that day
        raise DrillError("d_last")
    if drill.first is not None and drill.last is not None and drill.last < drill.first:
        raise DrillError("d_last")
    if drill.target == "entries" and (drill.named not in (None, *ENTRY_NAMED) or drill.member_ids):
        raise DrillError("d_named" if drill.named else "d_members")
    if drill.target == "members":
        if drill.kinds or drill.staff_id or drill.device_id or drill.entry_ids:
            raise DrillError(next(_FIELDS[f] for f in ("kinds", "staff_id", "device_id", "entry_ids")
                                  if getattr(drill, f)))  # fmt: skip
        listed = bool(drill.member_ids or drill.member_id)
        # a report may list the members and name their set too (the list when short): the list is read
        if not listed and drill.named is None:
            raise DrillError("d_named")


# ---- the pages ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntryLine:
    id: str
    server_seq: int
    created_at_us: int
    branch: str  # code
    member_id: str
    member_name: str
    kind: str
    points_delta: int
    cash_delta: int
    sale_amount: int
    staff_id: str | None
    device_id: str
    branch_fa: str = ""
    branch_en: str = ""


@dataclass(frozen=True, slots=True)
class EntriesPage:
    lines: list[EntryLine]
    after: int | None  # the next page's cursor: the last line's server_seq; None on the last page


@dataclass(frozen=True, slots=True)
class MemberLine:
    id: str
    name: str
    tier: str  # code
    branch: str  # the home branch's code
    joined_at_us: int
    tier_fa: str = ""
    tier_en: str = ""
    branch_fa: str = ""
    branch_en: str = ""


@dataclass(frozen=True, slots=True)
class MembersPage:
    lines: list[MemberLine]
    after: str | None  # the next page's cursor: the last line's member id; None on the last page


@dataclass(frozen=True, slots=True)
class _Scope:
    first: date
    last: date
    start_us: int
    end_us: int
    branch: str | None
    branch_id: str | None
    tier: str | None


def _scope(call: Call, conn: Connection, drill: Drill, filters: Filters) -> _Scope:
    first, last = _period(drill, filters)
    branch = drill.branch or filters.branch
    branch_id = filtering.branch_id(conn, call, branch)
    club = rule_sets.current(conn)
    tier = drill.tier or filters.tier
    return _Scope(first, last, club.day_start_us(first), club.day_start_us(last + timedelta(days=1)),
                  branch, branch_id, tier)  # fmt: skip


def _period(drill: Drill, filters: Filters) -> tuple[date, date]:
    """The drill's period, else the page's; a drill's last day alone ends the page's period there."""
    if drill.last is None:
        return filters.first, filters.last
    return drill.first or min(filters.first, drill.last), drill.last


def _audit_target(drill: Drill, filters: Filters) -> str:
    return f"{to_query(drill)}&{filtering.query(filters)}"[:200]


def entries_page(
    call: Call, drill: Drill, filters: Filters, after: int | None = None, limit: int = PAGE
) -> EntriesPage:
    """The entries behind a number, newest first, `limit` a page; `after` the previous page's cursor."""
    with call.db.replica_read() as conn:
        scope = _scope(call, conn, drill, filters)

    def work(conn: Connection) -> EntriesPage:
        query = (
            select(ENTRY.c.id, ENTRY.c.server_seq, ENTRY.c.created_at_us, BRANCH.c.code.label("branch"),
                   ENTRY.c.member_id, MEMBER.c.name.label("member_name"), ENTRY.c.kind, ENTRY.c.points_delta,
                   ENTRY.c.cash_delta, ENTRY.c.sale_amount, ENTRY.c.staff_id, ENTRY.c.device_id,
                   BRANCH.c.name_fa.label("branch_fa"), BRANCH.c.name_en.label("branch_en"))
            .join(BRANCH, BRANCH.c.id == ENTRY.c.branch_id)
            .join(MEMBER, MEMBER.c.id == ENTRY.c.member_id)
            .where(ENTRY.c.server_seq.is_not(None),
                   ENTRY.c.created_at_us >= scope.start_us, ENTRY.c.created_at_us < scope.end_us)
            .order_by(ENTRY.c.created_at_us.desc(), ENTRY.c.server_seq.desc())
            .limit(limit + 1)
        )  # fmt: skip
        if scope.branch_id is not None:
            query = query.where(ENTRY.c.branch_id == scope.branch_id)
        if scope.tier is not None:
            query = query.where(MEMBER.c.tier_code == scope.tier)
        for column, wanted in ((ENTRY.c.kind, drill.kinds), (ENTRY.c.id, drill.entry_ids)):
            if wanted:
                query = query.where(column.in_(wanted))
        for column, one in ((ENTRY.c.member_id, drill.member_id), (ENTRY.c.staff_id, drill.staff_id),
                            (ENTRY.c.device_id, drill.device_id)):  # fmt: skip
            if one is not None:
                query = query.where(column == one)
        if drill.named == "purchases":
            query = query.where(*purchases())
        if after is not None:
            query = _after(conn, query, after)
        rows = conn.execute(query).all()
        lines = [EntryLine(**row._mapping) for row in rows[:limit]]
        return EntriesPage(lines, lines[-1].server_seq if len(rows) > limit else None)

    return read(call, "report.drill.entries", _audit_target(drill, filters), work, branch_id=scope.branch_id)


def purchases() -> tuple[Any, ...]:
    """The conditions on ENTRY of a purchase: a sale (earn, a positive amount) whose reversals (found by the
    partial index on `reverses`) have not returned its whole amount."""
    back = ENTRY.alias("back")
    returned = (
        select(func.coalesce(-func.sum(back.c.sale_amount), 0))
        .where(back.c.reverses == ENTRY.c.id, back.c.kind == EntryKind.REVERSAL.value)
        .scalar_subquery()
    )
    return (ENTRY.c.kind == EntryKind.EARN.value, ENTRY.c.sale_amount > 0, returned < ENTRY.c.sale_amount)


def _after(conn: Connection, query: Any, after: int) -> Any:
    """The entries after the one with server_seq `after` in the page's order (newest first by created_at,
    then by server_seq): found by the period's index, however old the period; an unknown cursor ends."""
    at = conn.execute(select(ENTRY.c.created_at_us).where(ENTRY.c.server_seq == after)).scalar()
    if at is None:
        return query.where(false())
    return query.where(
        ENTRY.c.created_at_us <= at,
        or_(ENTRY.c.created_at_us < at, ENTRY.c.server_seq < after),
    )


def members_page(
    call: Call, drill: Drill, filters: Filters, after: str | None = None, limit: int = PAGE
) -> MembersPage:
    """The members behind a number, by id, `limit` a page; `after` the previous page's cursor."""
    with call.db.replica_read() as conn:
        scope = _scope(call, conn, drill, filters)
    reports = None
    if drill.named is not None and drill.named not in NAMED and not (drill.member_ids or drill.member_id):
        # outside the page's read: a report's set is read (and audited) in reads of its own
        reports = report_members(call, drill.named, _drilled(drill, filters))

    def work(conn: Connection) -> MembersPage:
        if reports is not None:
            ids = [i for i in reports if after is None or i > after][: limit + 1]
        else:
            ids = _member_ids(conn, drill, scope, after, limit + 1)
        found = {
            r.id: r
            for r in conn.execute(
                select(MEMBER.c.id, MEMBER.c.name, MEMBER.c.tier_code, MEMBER.c.joined_at_us,
                       BRANCH.c.code.label("branch"), BRANCH.c.name_fa.label("branch_fa"),
                       BRANCH.c.name_en.label("branch_en"), TIER.c.name_fa.label("tier_fa"),
                       TIER.c.name_en.label("tier_en"))
                .join(BRANCH, BRANCH.c.id == MEMBER.c.branch_id)
                .join(TIER, TIER.c.code == MEMBER.c.tier_code)
                .where(MEMBER.c.id.in_(ids[:limit]))
            )
        }  # fmt: skip
        lines = [
            MemberLine(r.id, r.name, r.tier_code, r.branch, r.joined_at_us, r.tier_fa, r.tier_en, r.branch_fa,
                       r.branch_en)
            for r in (found[i] for i in ids[:limit] if i in found)
        ]  # fmt: skip
        return MembersPage(lines, ids[limit - 1] if len(ids) > limit else None)

    return read(call, "report.drill.members", _audit_target(drill, filters), work, branch_id=scope.branch_id)


def _drilled(drill: Drill, filters: Filters) -> Filters:
    """The filters a drill's number was computed under: its own period, branch and tier, else the page's."""
    first, last = _period(drill, filters)
    return Filters(first, last, drill.branch or filters.branch, drill.tier or filters.tier, filters.campaign)


def report_members(call: Call, named: str, filters: Filters) -> list[str]:
    """The members of a report's named set, in id order: each report module's `members_of`, in the
    catalogue's order, is asked until one knows the name; none does: DrillError("d_named")."""
    from sync.server.reports import catalogue  # the reports import this module's Drill helpers

    seen: set[str] = set()
    for report in catalogue.reports():
        module = sys.modules[report.build.__module__]
        members_of = getattr(module, "members_of", None)
        if members_of is None or module.__name__ in seen:
            continue
        seen.add(module.__name__)
        found = members_of(call, named, filters)
        if found is not None:
            return sorted(found)
    raise DrillError("d_named")


def _member_ids(conn: Connection, drill: Drill, scope: _Scope, after: str | None, limit: int) -> list[str]:
    """A page of the drill's member ids, in id order."""
    if drill.named is None or drill.member_ids or drill.member_id:  # a list is read before its name
        listed = sorted(set(drill.member_ids) | ({drill.member_id} if drill.member_id else set()))
        return [i for i in listed if after is None or i > after][:limit]
    if drill.named == "joined":
        query = select(MEMBER.c.id).where(MEMBER.c.joined_at_us < scope.end_us)
        if scope.branch_id is not None:
            query = query.where(MEMBER.c.branch_id == scope.branch_id)
        if scope.tier is not None:
            query = query.where(MEMBER.c.tier_code == scope.tier)
        if after is not None:
            query = query.where(MEMBER.c.id > after)
        return list(conn.execute(query.order_by(MEMBER.c.id).limit(limit)).scalars())
    days = REPORT_MEMBER_DAY
    query = select(days.c.member_id).where(
        days.c.day >= scope.first.toordinal(), days.c.day <= scope.last.toordinal()
    )
    if scope.branch_id is not None:  # where the entries were written
        query = query.where(days.c.branch_id == scope.branch_id)
    members = select(MEMBER.c.id)
    narrowed = scope.tier is not None
    if scope.tier is not None:
        members = members.where(MEMBER.c.tier_code == scope.tier)
    if drill.named == "engaged":  # among members_total: joined by the period's end, at home at the branch
        narrowed = True
        members = members.where(MEMBER.c.joined_at_us < scope.end_us)
        if scope.branch_id is not None:
            members = members.where(MEMBER.c.branch_id == scope.branch_id)
    if narrowed:
        query = query.where(days.c.member_id.in_(members))
    if after is not None:
        query = query.where(days.c.member_id > after)
    having = {
        "active": func.sum(days.c.purchases) > 0,
        "repeat": func.sum(days.c.purchases) >= REPEAT,
        "engaged": func.sum(days.c.engaging) > 0,
    }[drill.named]
    query = query.group_by(days.c.member_id).having(having).order_by(days.c.member_id).limit(limit)
    return list(conn.execute(query).scalars())
