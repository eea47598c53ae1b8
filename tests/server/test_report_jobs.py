# SPDX-License-Identifier: GPL-3.0-or-later
"""Reports built in the background and exported from the back office, on both databases: a job runs to
done with its progress written as it goes; a job a dead worker left running is run again; only its
requester (and an owner) sees a job; a slow report is never built in a request; the filters' parser."""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from collections.abc import Callable
from datetime import date
from fractions import Fraction
from typing import Any
from urllib.parse import unquote

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.domain.errors import ClubError
from app.messages import message as club_message
from sync.server.club.access import CONSOLE, Permission
from sync.server.club.act import Call, read
from sync.server.db import Database
from sync.server.models import AUDIT, BRANCH, REPORT_JOB
from sync.server.reports import catalogue, jobs
from sync.server.reports.filtering import parse
from sync.server.reports.table import AsOf, Cell, Column, Drill, Filters, Kind, Report, Result, Table
from tests.server.club import T0, FakeClock
from tests.server.office import add_user, sign_in

DEFINITIONS = {"branches": ("The club's branches, by code.", "شعبه‌های باشگاه، به ترتیب کد.")}
COLUMNS = (
    Column("code", "کد", "Code", Kind.TEXT, "branches"),
    Column("share", "سهم", "Share", Kind.RATE),
    Column("day", "روز", "Day", Kind.DAY),
)
SEEN: list[int] = []  # the job's progress as the database held it while the build ran


def _branches(call: Call, filters: Filters) -> Result:
    def work(conn: Any) -> list[str]:
        query = select(BRANCH.c.code).order_by(BRANCH.c.code)
        if filters.branch:
            query = query.where(BRANCH.c.code == filters.branch)
        return list(conn.execute(query).scalars())

    codes = read(call, "report.test", filters.branch, work)
    rows = [
        (Cell(code, Drill("entries", branch=code)), Fraction(1, len(codes)), filters.first) for code in codes
    ]
    table = Table("branches", "شعبه‌ها", "Branches", COLUMNS, rows)  # type: ignore[arg-type]
    return Result([table], AsOf(T0, 7, 0), DEFINITIONS)


def _slow(call: Call, filters: Filters, progress: Callable[[int], None] | None = None) -> Result:
    assert progress is not None, "a build that takes `progress` is handed it"
    progress(40)
    with call.db.read() as conn:
        SEEN.append(conn.execute(select(func.max(REPORT_JOB.c.progress))).scalar_one())
    return _branches(call, filters)


def _broken(call: Call, filters: Filters) -> Result:
    raise ClubError("unknown_tier", tier="gold")


FAST = Report("test_fast", "شعبه‌ها همین حالا", "Branches now", _branches, DEFINITIONS, Permission.READ)
SLOW = Report(
    "test_slow", "شعبه‌ها با حوصله", "Branches slowly", _slow, DEFINITIONS, Permission.READ, slow=True
)
BROKEN = Report("test_broken", "گزارش خراب", "Broken", _broken, {}, Permission.READ, slow=True)
# a report under a permission a branch manager holds only for their branches (THR)
SCOPED = Report("test_scoped", "شعبه", "Branch", _branches, DEFINITIONS, Permission.REVIEW_RESOLVE)
PERIOD = {"from": "۱۴۰۴/۰۳/۰۱", "to": "2025-06-15"}  # Jalali in Persian digits, and Gregorian


@pytest.fixture(autouse=True)
def test_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalogue, "reports", lambda: [FAST, SLOW, BROKEN, SCOPED])
    SEEN.clear()


def _job_id(answer: Any) -> str:
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/admin/reports/jobs/([0-9a-f-]{36})", answer.headers["location"])
    assert found, answer.headers["location"]
    return found.group(1)


def _run(client: TestClient, csrf: str, code: str, **fields: str) -> str:
    data = {"csrf_token": csrf, **PERIOD, **fields}
    return _job_id(client.post(f"/admin/reports/{code}/run", data=data, follow_redirects=False))


def _status(client: TestClient, job_id: str) -> str:
    page = client.get(f"/admin/reports/jobs/{job_id}", headers={"HX-Request": "true"})
    assert page.status_code == 200, page.text
    return re.search(r'data-status="(\w+)"', page.text).group(1)  # type: ignore[union-attr]


def _csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _audited(db: Database, action: str) -> int:
    with db.read() as conn:
        return conn.execute(
            select(func.count()).select_from(AUDIT).where(AUDIT.c.action == action)
        ).scalar_one()


def test_a_slow_report_runs_in_the_background_with_progress(client: TestClient, club_db: Database):
    add_user(club_db, "boss", "owner")
    csrf = sign_in(client, "boss")
    query = {**PERIOD, "branch": "THR"}
    refused = client.get("/admin/reports/test_slow/export.csv", params=query)
    assert refused.status_code == 409  # never built in a request: run it first
    assert 'action="/admin/reports/test_slow/run"' in refused.text and 'value="THR"' in refused.text

    job_id = _run(client, csrf, "test_slow", branch="THR")
    page = client.get(f"/admin/reports/jobs/{job_id}")
    assert page.status_code == 200 and 'data-status="queued"' in page.text
    assert f'hx-get="/admin/reports/jobs/{job_id}" hx-trigger="every 2s"' in page.text  # polls until done
    assert jobs.run_pending(club_db, T0) == 1
    assert SEEN == [40]  # the progress was written while the build ran

    fragment = client.get(f"/admin/reports/jobs/{job_id}", headers={"HX-Request": "true"})
    assert 'data-status="done"' in fragment.text and "hx-trigger" not in fragment.text  # polling stops
    assert "<html" not in fragment.text and 'value="100"' in fragment.text
    for kind in ("csv", "xlsx", "pdf"):
        assert f'href="/admin/reports/jobs/{job_id}/export.{kind}"' in fragment.text
    assert f"/admin/reports/test_slow?from=2025-05-22&amp;to=2025-06-15&amp;branch=THR&amp;job={job_id}" in (
        fragment.text
    )

    exported = client.get(f"/admin/reports/jobs/{job_id}/export.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = _csv(exported.content)
    assert ["THR", "1", "2025-05-22"] in rows and not any(r[:1] == ["ISF"] for r in rows)
    # the same filters' export now answers with the job's result
    again = client.get("/admin/reports/test_slow/export.csv", params=query)
    assert again.status_code == 200 and again.content == exported.content
    disposition = again.headers["content-disposition"]
    assert disposition.startswith(
        "attachment; filename=\"test_slow-2025-05-22-2025-06-15.csv\"; filename*=UTF-8''"
    )
    assert unquote(disposition.split("''", 1)[1]) == "شعبه‌ها با حوصله 2025-05-22 2025-06-15.csv"
    assert _audited(club_db, "report.run") == 1 and _audited(club_db, "report.export") == 2
    assert _audited(club_db, "report.test") == 1  # built once, by the job, as the user who asked


def test_a_fast_report_exports_at_once_for_this_month_so_far(client: TestClient, club_db: Database):
    add_user(club_db, "boss", "owner")
    sign_in(client, "boss")
    answer = client.get("/admin/reports/test_fast/export.xlsx")
    assert answer.status_code == 200, answer.text
    assert 'filename="test_fast-2025-05-22-2025-06-15.xlsx"' in answer.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = book.worksheets[0]
    assert sheet.sheet_view.rightToLeft  # the owner reads Persian (the default language)
    assert [c.value for c in sheet[6]][:2] == ["ISF", 0.5] and sheet.cell(6, 2).number_format == "0.0%"
    pdf = client.get("/admin/reports/test_fast/export.pdf", params={"tier": "silver"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    bad = client.get("/admin/reports/test_fast/export.csv", params={"from": "1404/13/01"})
    assert bad.status_code == 422 and "1404/13/01" in bad.text
    assert client.get("/admin/reports/nothing/export.csv").status_code == 404
    assert client.get("/admin/reports/test_fast/export.doc").status_code == 422


def test_only_the_requester_or_an_owner_sees_a_job(client: TestClient, club_db: Database):
    for name, role in (("mina", "manager"), ("omid", "marketing"), ("boss", "owner")):
        add_user(club_db, name, role)
    job_id = _run(client, sign_in(client, "mina"), "test_slow")
    jobs.run_pending(club_db, T0)
    assert _status(client, job_id) == "done"
    sign_in(client, "omid")
    assert client.get(f"/admin/reports/jobs/{job_id}").status_code == 404
    assert client.get(f"/admin/reports/jobs/{job_id}/export.csv").status_code == 404
    sign_in(client, "boss")
    assert _status(client, job_id) == "done"
    assert client.get(f"/admin/reports/jobs/{job_id}/export.csv").status_code == 200


def test_exports_keep_to_the_report_permission_and_branch_scope(client: TestClient, club_db: Database):
    add_user(club_db, "bm", "branch-manager")  # manages THR
    csrf = sign_in(client, "bm")
    assert client.get("/admin/reports/test_scoped/export.csv", params={"branch": "THR"}).status_code == 200
    assert client.get("/admin/reports/test_scoped/export.csv", params={"branch": "ISF"}).status_code == 403
    # no branch chosen: a branch manager's reports are their first branch's, never the whole club's
    assert client.get("/admin/reports/test_scoped/export.csv").content == client.get(
        "/admin/reports/test_scoped/export.csv", params={"branch": "THR"}
    ).content
    refused = client.post("/admin/reports/test_scoped/run", data={"csrf_token": csrf, "branch": "ISF"})
    assert refused.status_code == 403
    no_csrf = client.post("/admin/reports/test_slow/run", data={}, follow_redirects=False)
    assert no_csrf.status_code == 403
    with club_db.read() as conn:
        assert conn.execute(select(func.count()).select_from(REPORT_JOB)).scalar_one() == 0


def test_a_branch_manager_uses_only_their_own_jobs(club_db: Database):
    manager = add_user(club_db, "bm", "branch-manager").actor
    owner_job = jobs.queue(Call(club_db, T0, CONSOLE), "test_slow", _filters(), "en")
    jobs.run_pending(club_db, T0)
    assert jobs.latest_done(Call(club_db, T0, CONSOLE), "test_slow", _filters()).id == owner_job  # type: ignore[union-attr]
    assert jobs.latest_done(Call(club_db, T0, manager), "test_slow", _filters()) is None
    with pytest.raises(Exception, match="unknown_job"):
        jobs.job(Call(club_db, T0, manager), owner_job)


def _filters(**fields: Any) -> Filters:
    return Filters(date(2025, 6, 1), date(2025, 6, 15), **fields)


def _row(db: Database, job_id: str) -> Any:
    with db.read() as conn:
        return conn.execute(select(REPORT_JOB).where(REPORT_JOB.c.id == job_id)).one()


def test_a_job_left_running_by_a_dead_worker_is_run_again(club_db: Database):
    call = Call(club_db, T0, CONSOLE)
    job_id = jobs.queue(call, "test_slow", _filters(), "fa")
    claimed = club_db.write(lambda conn: jobs._claim(conn, T0))  # a worker takes it, then dies
    assert claimed is not None and claimed.id == job_id
    assert jobs.run_pending(club_db, T0 + 60 * jobs.US) == 0  # its heartbeat is fresh: left alone
    assert _row(club_db, job_id).status == jobs.RUNNING
    later = T0 + jobs.STALE_US + 1
    assert jobs.run_pending(club_db, later) == 1
    row = _row(club_db, job_id)
    assert (row.status, row.attempts, row.progress, row.finished_at_us) == (jobs.DONE, 2, 100, later)
    assert jobs.job(call, job_id).result.tables[0].rows[0][0] == Cell("ISF", Drill("entries", branch="ISF"))  # type: ignore[union-attr]


def test_a_job_that_keeps_killing_its_worker_fails_saying_so(club_db: Database):
    job_id = jobs.queue(Call(club_db, T0, CONSOLE), "test_slow", _filters(), "fa")
    club_db.write(lambda conn: conn.execute(
        update(REPORT_JOB).where(REPORT_JOB.c.id == job_id)
        .values(status=jobs.RUNNING, attempts=jobs.MAX_ATTEMPTS, started_at_us=T0, heartbeat_at_us=T0)
    ))  # fmt: skip
    assert jobs.run_pending(club_db, T0 + jobs.STALE_US + 1) == 0
    row = _row(club_db, job_id)
    assert row.status == jobs.FAILED and row.finished_at_us == T0 + jobs.STALE_US + 1
    assert row.message == "کارگری که این گزارش را می‌ساخت ۳ بار متوقف شد؛ دیگر تلاش نشد."


def test_a_failed_job_keeps_a_clear_message_and_finished_jobs_expire(client: TestClient, club_db: Database):
    add_user(club_db, "boss", "owner")
    csrf = sign_in(client, "boss")
    job_id = _run(client, csrf, "test_broken")
    assert jobs.run_pending(club_db, T0) == 1
    row = _row(club_db, job_id)
    expected = club_message(ClubError("unknown_tier", tier="gold"), "fa")
    assert row.status == jobs.FAILED and row.message == expected
    page = client.get(f"/admin/reports/jobs/{job_id}")
    assert 'data-status="failed"' in page.text and expected in page.text
    assert 'action="/admin/reports/test_broken/run"' in page.text  # try again, same filters
    assert client.get(f"/admin/reports/jobs/{job_id}/export.csv").status_code == 409
    jobs.run_pending(club_db, T0 + jobs.KEEP_US)  # a week to the microsecond: kept
    assert _status(client, job_id) == "failed"
    jobs.run_pending(club_db, T0 + jobs.KEEP_US + 1)
    assert client.get(f"/admin/reports/jobs/{job_id}").status_code == 404


def test_claims_never_take_the_same_job(club_db: Database):
    """Two workers: on PostgreSQL a job another transaction is claiming is skipped (SKIP LOCKED), not
    waited for; on SQLite claims take turns on the file's lock."""
    call = Call(club_db, T0, CONSOLE)
    first = jobs.queue(call, "test_slow", _filters(), "en")
    second = jobs.queue(Call(club_db, T0 + 1_000, CONSOLE), "test_slow", _filters(branch="THR"), "en")
    if club_db.dialect == "postgresql":
        with club_db.engine.connect() as holder, holder.begin():
            locked = holder.execute(
                select(REPORT_JOB.c.id).where(REPORT_JOB.c.id == first).with_for_update()
            ).scalar_one()
            assert locked == first
            taken = club_db.write(lambda conn: jobs._claim(conn, T0))
            assert taken is not None and taken.id == second  # the locked one passed over
        assert club_db.write(lambda conn: jobs._claim(conn, T0)).id == first  # type: ignore[union-attr]
    else:
        claims = [club_db.write(lambda conn: jobs._claim(conn, T0)) for _ in range(3)]
        assert [c.id if c else None for c in claims] == [first, second, None]


def test_the_worker_thread_builds_queued_jobs(club_db: Database):
    job_id = jobs.queue(Call(club_db, T0, CONSOLE), "test_slow", _filters(), "en")
    worker = jobs.Worker(club_db, FakeClock(T0 + 5))
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while _row(club_db, job_id).status != jobs.DONE and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert _row(club_db, job_id).status == jobs.DONE and worker.ran == 1
    assert not any(t.name == "report-jobs" for t in threading.enumerate())


def test_the_filters_parse_from_a_query(club_db: Database):
    """One parser for the page, the exports and the jobs (sync.server.reports.filtering.parse)."""
    call = Call(club_db, T0, CONSOLE)
    today = date(2025, 6, 15)  # T0 in Tehran
    assert parse(call, {}) == Filters(date(2025, 5, 22), today)  # 1 Khordad 1404 to today
    asked = {"from": "1404/03/10", "to": "۲۰۲۵-۰۶-۰۲", "branch": "ISF", "tier": "silver"}
    assert parse(call, asked) == Filters(date(2025, 5, 31), date(2025, 6, 2), "ISF", "silver")
    for bad, code in (
        ({"from": "yesterday", "to": "2025-06-01"}, "invalid_report_date"),
        ({"from": "2025-06-10"}, "period_needs_both_ends"),
        ({"from": "2025-06-10", "to": "2025-06-01"}, "period_ends_before_it_starts"),
        ({"branch": "NOPE"}, "unknown_branch"),
        ({"tier": "gold"}, "unknown_tier"),
        ({"campaign": "yalda"}, "unknown_campaign"),
    ):
        with pytest.raises(ClubError) as refused:
            parse(call, bad)
        assert refused.value.code == code


def test_serve_runs_the_report_worker(db_url: str, server_process_factory: Any):
    """`bashgah-server serve` builds queued jobs in its own thread (the server process knows none of this
    test's reports, so the job fails, saying which report it could not find)."""
    db = Database(db_url)
    try:
        row = {
            "id": "00000000-0000-7000-8000-00000000a001", "report": "gone",
            "filters": jobs.filters_key(_filters()), "lang": "en", "requested_by": CONSOLE.id,
            "status": jobs.QUEUED, "progress": 0, "message": "", "attempts": 0, "created_at_us": T0,
        }  # fmt: skip
        db.write(lambda conn: conn.execute(REPORT_JOB.insert().values(row)))
        server_process_factory(db_url)
        deadline = time.monotonic() + 30
        while _row(db, row["id"]).status == jobs.QUEUED and time.monotonic() < deadline:
            time.sleep(0.1)
        done = _row(db, row["id"])
        assert (done.status, done.message) == (jobs.FAILED, "There is no report gone any more.")
    finally:
        db.dispose()
