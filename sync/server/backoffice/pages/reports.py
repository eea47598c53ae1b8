# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports section: the list of reports, a report with its filter bar (period, branch, tier, campaign),
its tables, charts and definitions and how far its numbers have counted, and the drill-down from a number
to the members or entries behind it. The reports themselves are sync.server.reports's; this module only
reads the request and shows what they return (sync.server.reports.shown).

A refused filter (a date that is none, a period ending before it starts, an unknown branch, a branch the
user does not run) is shown in the page, above the filter bar that typed it. A drill-down's address that
cannot be read is a 400 that says which part. The export links (CSV, XLSX, PDF) and a slow report's
"run" button point at routes that sync.server.backoffice.pages.report_exports serves.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from app.domain.errors import ClubError
from app.domain.ledger import EntryKind
from sync.server.backoffice.desk import PREFIX, Desk, Needs, NotPermittedError
from sync.server.backoffice.pages.members import refusal_text, render_day
from sync.server.backoffice.texts import ENTRY_KINDS, error_text
from sync.server.backoffice.web import is_htmx, render
from sync.server.club.access import Permission
from sync.server.club.act import read
from sync.server.errors import ApiError
from sync.server.reports import catalogue, drill, filtering, jobs, shown
from sync.server.reports.table import Drill, Filters, Report

router = APIRouter(prefix=PREFIX + "/reports")
Reader = Annotated[Desk, Depends(Needs(Permission.READ))]
Code = Annotated[str, Path(pattern=r"^[a-z0-9_-]{1,40}$")]
FILTER_KEYS = ("from", "to", "branch", "tier", "campaign")
EXPORTS = ("csv", "xlsx", "pdf")
_SEQ = re.compile(r"^[1-9][0-9]{0,18}$")

# what a named set of members is, as the drill-down's heading says it (each an `_()` text)
NAMED = {
    "joined": "Members who joined by the period's last day",
    "active": "Members with a purchase in the period",
    "repeat": "Members with two or more purchases in the period",
    "engaged": "Members who took part in the period",
    # the reports' own sets, by the part of their name before ":"
    "cohort": "Members who joined in the period's months",
    "cohort_active": "Members of the joining month with a purchase in this month",
    "recency": "Members by their last purchase",
    "churned": "Members active in the previous period with no purchase in this one",
    "expiring": "Members with points expiring in this month",
    "admitted": "Members the event admitted",
    "campaign_treated": "The campaign's treated members",
    "campaign_holdout": "The campaign's held-out members",
    "campaign_treated_bought": "The campaign's treated members who bought",
    "campaign_holdout_bought": "The campaign's held-out members who bought",
}


def _report(desk: Desk, code: str) -> Report:
    report = catalogue.by_code(code)
    if report is None:
        raise HTTPException(404)
    if not desk.may(report.permission):
        raise NotPermittedError(report.permission, desk.lang)
    return report


def _typed(desk: Desk) -> dict[str, str]:
    params = desk.request.query_params
    return {key: str(params.get(key, ""))[: filtering.MAX_TYPED * 2] for key in FILTER_KEYS}


def drill_href(code: str, filters: Filters, wanted: Drill) -> str:
    return f"{PREFIX}/reports/{code}/drill?{filtering.query(filters)}&{drill.to_query(wanted)}"


@router.get("")
def reports_index(desk: Reader) -> Response:
    listed = [r for r in catalogue.reports() if desk.may(r.permission)]
    return render(desk, "reports/index.html", page="reports", reports=listed)


def _export_links(code: str, filters: Filters | None, built: jobs.Job | None) -> list[tuple[str, str]]:
    """Each file's link: a job's own result, else the report for the filters."""
    if built is not None:
        return [(ext, f"{PREFIX}/reports/jobs/{built.id}/export.{ext}") for ext in EXPORTS]
    query = "" if filters is None else filtering.query(filters)
    return [(ext, f"{PREFIX}/reports/{code}/export.{ext}?{query}") for ext in EXPORTS]


def _built(desk: Desk, report: Report, filters: Filters) -> jobs.Job | None:
    """A slow report's result to show: the job the address names (`job`: its requester's or an owner's, as
    jobs.job checks; its filters are the page's), else the latest done job for the filters, else None."""
    asked = str(desk.request.query_params.get("job", ""))
    if not asked:
        return jobs.latest_done(desk.call, report.code, filters)
    if drill.UUID_RE.fullmatch(asked) is None:
        raise ApiError(404, "unknown_job", "no such report job")
    found = jobs.job(desk.call, asked)
    if found.report != report.code:
        raise ApiError(404, "unknown_job", "no such report job")
    return found


@router.get("/{code}")
def report_page(desk: Reader, code: Code) -> Response:
    report = _report(desk, code)
    typed = _typed(desk)
    status, error = 200, ""
    filters: Filters | None = None
    tables: list[shown.ShownTable] = []
    as_of = None
    general: list[str] = []
    built: jobs.Job | None = None
    try:
        filters = filtering.parse(desk.call, typed)
        found = None
        if not report.slow:
            found = report.build(desk.call, filters)
        else:
            built = _built(desk, report, filters)
            if built is not None and built.status != jobs.DONE:  # still running, or failed: its own page
                return RedirectResponse(f"{PREFIX}/reports/jobs/{built.id}", status_code=303)
            if built is not None:
                filters = built.filters  # the job's own: its numbers are for them, and the bar shows them
                typed = {**typed, **_typed_from(filters, desk.lang)}
                found = built.result
                with desk.call.db.read() as conn:
                    branch_id = jobs.branch_id_of(conn, filters.branch)
                read(desk.call, "report.job", built.id, lambda _conn: None, permission=report.permission,
                     branch_id=branch_id)  # fmt: skip
        if found is not None:
            shown_filters = filters
            tables = shown.result(found, desk.lang, lambda d: drill_href(code, shown_filters, d))
            as_of = found.as_of
            general = shown.general_definitions(found, desk.lang)
    except (ClubError, ApiError) as refused:
        if isinstance(refused, ApiError) and refused.status not in (403, 404, 422):
            raise
        status = refused.status if isinstance(refused, ApiError) else 422
        error = refusal_text(desk, refused)
    if filters is not None and not typed["from"] and not typed["to"]:
        typed = {
            **typed,
            "from": render_day(filters.first, desk.lang),
            "to": render_day(filters.last, desk.lang),
        }
    if filters is not None and not typed["branch"] and filters.branch:
        typed = {**typed, "branch": filters.branch}
    return render(
        desk, "reports/report.html", status=status, page="reports", report=report, typed=typed, error=error,
        filters=filters, query="" if filters is None else filtering.query(filters), tables=tables,
        as_of=as_of, general=general, choices=filtering.choices(desk.call), exports=EXPORTS, built=built,
        export_links=_export_links(code, filters, built),
        built_minutes=None if built is None else _minutes_since(desk, built.finished_at_us),
    )  # fmt: skip


def _typed_from(filters: Filters, lang: str) -> dict[str, str]:
    """The filter bar's fields as if these filters had been typed."""
    return {
        "from": render_day(filters.first, lang), "to": render_day(filters.last, lang),
        "branch": filters.branch or "", "tier": filters.tier or "", "campaign": filters.campaign or "",
    }  # fmt: skip


def _minutes_since(desk: Desk, at_us: int | None) -> int:
    return max(0, (desk.call.now_us - (at_us or desk.call.now_us)) // 60_000_000)


def _bad_address(desk: Desk, report: Report, field: str) -> Response:
    message = error_text("invalid_drill", desk.lang, "").format(field=field)
    return render(desk, "reports/drill.html", status=400, page="reports", report=report, error=message,
                  wanted=None, found=None, heading="", back="", more="")  # fmt: skip


@router.get("/{code}/drill")
def drill_page(desk: Reader, code: Code) -> Response:
    """The members or entries behind a number: a page of them, and a link to the next."""
    report = _report(desk, code)
    params = desk.request.query_params
    try:
        wanted = drill.from_query(params)
    except drill.DrillError as bad:
        return _bad_address(desk, report, bad.field)
    after_text = str(params.get("after", ""))
    after: Any = None
    if after_text:
        good = (
            _SEQ.fullmatch(after_text) if wanted.target == "entries" else drill.UUID_RE.fullmatch(after_text)
        )
        if good is None:
            return _bad_address(desk, report, "after")
        after = int(after_text) if wanted.target == "entries" else after_text
    try:
        filters = filtering.parse(desk.call, _typed(desk))
        if wanted.target == "entries":
            found: Any = drill.entries_page(desk.call, wanted, filters, after)
        else:
            found = drill.members_page(desk.call, wanted, filters, after)
    except drill.DrillError as bad:  # a named set no report knows
        return _bad_address(desk, report, bad.field)
    except (ClubError, ApiError) as refused:
        if isinstance(refused, ApiError) and refused.code != "forbidden":  # refused, not broken
            raise
        status = refused.status if isinstance(refused, ApiError) else 400
        return render(desk, "reports/drill.html", status=status, page="reports", report=report,
                      error=refusal_text(desk, refused), wanted=None, found=None, heading="", back="",
                      more="")  # fmt: skip
    here = f"{PREFIX}/reports/{code}/drill?{filtering.query(filters)}&{drill.to_query(wanted)}"
    more = "" if found.after is None else f"{here}&after={found.after}"
    template = "reports/_drill_rows.html" if is_htmx(desk) and after is not None else "reports/drill.html"
    return render(
        desk, template, page="reports", report=report, error="", wanted=wanted, found=found,
        heading=_heading(desk, wanted), back=f"{PREFIX}/reports/{code}?{filtering.query(filters)}", more=more,
        filters=filters, kinds=ENTRY_KINDS,
    )  # fmt: skip


def _heading(desk: Desk, wanted: Drill) -> str:
    _ = desk.gettext
    if wanted.target == "members":
        kind = (wanted.named or "").partition(":")[0]
        return _(NAMED[kind]) if kind in NAMED else _("Members")
    if wanted.named == "purchases":
        return _("Purchases: sales not returned in full")
    names = [_(ENTRY_KINDS[EntryKind(k)]) for k in wanted.kinds]
    comma = "، " if desk.lang == "fa" else ", "
    return _("Ledger entries") + (": " + comma.join(names) if names else "")
