# SPDX-License-Identifier: GPL-3.0-or-later
"""A report as a file (CSV, XLSX, PDF), and reports built in the background (sync.server.reports.jobs).

- `GET /admin/reports/{code}/export.{csv,xlsx,pdf}?from=…&to=…&branch=…&tier=…&campaign=…`: a fast
  report is built for the request and exported; a slow one is never built in a request: the latest done
  job for exactly those filters is exported, else 409 with a button that runs it.
- `POST /admin/reports/{code}/run`: queues a job (the filters from the form or the query) and shows its page.
- `GET /admin/reports/jobs/{id}`: status and progress, polled by htmx every 2 s until it finishes, then
  links to view and export it. Only the requester (and an owner) sees a job.
- `GET /admin/reports/jobs/{id}/export.{csv,xlsx,pdf}`: the job's result as a file.

Every export is an audited read under the report's permission; the file's name is ASCII
(`overview-2026-12-01-2026-12-06.csv`), with the title in the user's language as RFC 5987 `filename*`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response

from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.backoffice.web import is_htmx, render
from sync.server.club.access import Permission
from sync.server.reports import filtering, jobs
from sync.server.reports.export import MEDIA_TYPES, filename
from sync.server.reports.table import Filters, Report

router = APIRouter(prefix=PREFIX + "/reports")
FileKind = Literal["csv", "xlsx", "pdf"]
FILTER_KEYS = ("from", "to", "branch", "tier", "campaign")
MAX_FILTER = 64  # longer than any day or code


def disposition(report: Report, filters: Filters, kind: str, lang: str) -> str:
    """`attachment` with a safe ASCII name and, for a title in Persian, its RFC 5987 `filename*`."""
    ascii_name = filename(report, filters, kind)
    title = report.title_fa if lang == "fa" else report.title_en
    local = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", title).strip() or report.code
    full = f"{local} {filters.first.isoformat()} {filters.last.isoformat()}.{kind}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(full, safe='')}"


def _file(desk: Desk, report: Report, filters: Filters, body: bytes, kind: str) -> Response:
    headers = {"Content-Disposition": disposition(report, filters, kind, desk.lang)}
    return Response(body, media_type=MEDIA_TYPES[kind], headers=headers)


def _params(desk: Desk, form: dict[str, str] | None = None) -> dict[str, str]:
    """The filters asked for: the query's, overridden by a form's fields; each at most MAX_FILTER long."""
    found = {k: v for k, v in desk.request.query_params.items() if k in FILTER_KEYS}
    found.update({k: v for k, v in (form or {}).items() if k in FILTER_KEYS})
    return {k: v[:MAX_FILTER] for k, v in found.items()}


def _job_page(desk: Desk, found: jobs.Job, status: int = 200, error: str = "") -> Response:
    ahead = jobs.ahead(desk.call, found) if found.status == jobs.QUEUED else 0
    template = "report_jobs/_status.html" if is_htmx(desk) and not error else "report_jobs/job.html"
    return render(
        desk, template, status=status, job=found, report=jobs.report_of(found.report), ahead=ahead,
        query=filtering.query(found.filters), error=error, page="reports",
    )  # fmt: skip


@router.get("/jobs/{job_id:uuid}")
def job_page(desk: Annotated[Desk, Depends(Needs(Permission.READ))], job_id: UUID) -> Response:
    return _job_page(desk, jobs.job(desk.call, str(job_id)))


@router.get("/jobs/{job_id:uuid}/export.{kind}")
def job_export(
    desk: Annotated[Desk, Depends(Needs(Permission.READ))], job_id: UUID, kind: FileKind
) -> Response:
    found = jobs.job(desk.call, str(job_id))
    report = jobs.report_of(found.report)
    result = found.result
    if found.status != jobs.DONE or result is None:
        return _job_page(desk, found, 409, desk.gettext("This report is not ready yet."))
    body = jobs.export_file(desk.call, report, found.filters, result, kind=kind, lang=desk.lang)
    return _file(desk, report, found.filters, body, kind)


@router.get("/{code}/export.{kind}")
def report_export(
    desk: Annotated[Desk, Depends(Needs(Permission.READ))], code: str, kind: FileKind
) -> Response:
    report = jobs.report_of(code)
    filters = filtering.parse(desk.call, _params(desk))
    if report.slow:
        done = jobs.latest_done(desk.call, code, filters)
        if done is None or done.result is None:
            return render(
                desk, "report_jobs/not_ready.html", status=409, report=report, filters=filters,
                fields=filtering.fields(filters), page="reports",
            )  # fmt: skip
        result = done.result
    else:
        result = jobs.build(report, desk.call, filters)
    body = jobs.export_file(desk.call, report, filters, result, kind=kind, lang=desk.lang)
    return _file(desk, report, filters, body, kind)


FilterField = Annotated[str, Form(max_length=MAX_FILTER)]


@router.post("/{code}/run")
def run_report(
    *,
    desk: Annotated[Desk, Depends(Needs(Permission.READ))],
    code: str,
    first: Annotated[str, Form(alias="from", max_length=MAX_FILTER)] = "",
    to: FilterField = "",
    branch: FilterField = "",
    tier: FilterField = "",
    campaign: FilterField = "",
) -> Response:
    fields = {"from": first, "to": to, "branch": branch, "tier": tier, "campaign": campaign}
    report = jobs.report_of(code)
    filters = filtering.parse(desk.call, _params(desk, {k: v for k, v in fields.items() if v}))
    job_id = jobs.queue(desk.call, report.code, filters, desk.lang)
    return RedirectResponse(f"{PREFIX}/reports/jobs/{job_id}", status_code=303)
