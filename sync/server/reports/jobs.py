# SPDX-License-Identifier: GPL-3.0-or-later
"""Reports built in the background: a page never waits for a slow report (issue 14, item 4).

A back-office user queues a job (`queue`: the report's code, the filters, their language); a worker takes
queued jobs one at a time, builds the report as that user (their role and branches, audited as theirs),
and keeps the Result as JSON (sync.server.reports.export). The job page polls `job` for the status and the
progress; the exports read the kept Result.

- One job at a time per worker. On PostgreSQL a worker claims a job with `FOR UPDATE SKIP LOCKED`, so
  several servers on one database share the queue without taking the same job; on SQLite writes take the
  file's lock in turn, so a claim is one writer's.
- Progress: a report's `build` that takes a `progress` keyword is handed a callback (0 to 100); each new
  value is written with a heartbeat. The serving process's worker also beats every HEARTBEAT_S while a
  build runs, whether or not the build reports progress.
- A crash: a job `running` whose heartbeat is older than STALE_US was left by a worker that died; it is
  queued again (at most MAX_ATTEMPTS runs, then it fails saying so). A worker that finishes a job another
  server has since re-queued does not write over it.
- Finished jobs (done or failed) are deleted a week after they finish (KEEP_US): results are snapshots,
  and the aggregates move on.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from app.domain.errors import ClubError
from app.domain.ids import uuid7
from app.format import number
from app.messages import message as club_message
from sync.server.chore import Chore
from sync.server.clock import Clock
from sync.server.club import users
from sync.server.club.access import CONSOLE, Actor
from sync.server.club.act import Act, Call, change, read
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.models import BRANCH, REPORT_JOB
from sync.server.reports import catalogue, filtering
from sync.server.reports.export import render, result_from_json, result_to_json
from sync.server.reports.table import Filters, Progress, Report, Result

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUSES = (QUEUED, RUNNING, DONE, FAILED)
US = 1_000_000
KEEP_US = 7 * 86_400 * US  # a finished job's result is kept a week
HEARTBEAT_S = 20.0  # a running job's worker writes a heartbeat this often
STALE_US = 5 * 60 * US  # no heartbeat for this long: its worker died, the job is queued again
MAX_ATTEMPTS = 3
POLL_S = 2.0  # the worker looks for queued jobs this often
RETRY_S = 30.0  # after the database failed the worker
EXPIRE_EVERY_S = 3600.0  # the worker deletes week-old jobs this often

# The jobs' own messages, in the requester's language: (English, Persian).
MESSAGES: dict[str, tuple[str, str]] = {
    "requeued": (
        "The worker building this report stopped; it was queued again.",
        "کارگری که این گزارش را می‌ساخت متوقف شد؛ گزارش دوباره در صف قرار گرفت.",
    ),
    "gave_up": (
        "The worker building this report stopped {n} times; it was not tried again.",
        "کارگری که این گزارش را می‌ساخت {n} بار متوقف شد؛ دیگر تلاش نشد.",
    ),
    "no_report": ("There is no report {code} any more.", "گزارش {code} دیگر وجود ندارد."),
    "no_user": (
        "The user who asked for this report no longer has an active account.",
        "کاربری که این گزارش را خواست دیگر حساب فعالی ندارد.",
    ),
    "failed": ("The report could not be built: {error}", "گزارش ساخته نشد: {error}"),
}


def _text(key: str, lang: str, **params: Any) -> str:
    english, persian = MESSAGES[key]
    return (persian if lang == "fa" else english).format(**params)


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    report: str
    filters: Filters
    lang: str
    requested_by: str
    status: str
    progress: int
    message: str
    attempts: int
    created_at_us: int
    started_at_us: int | None
    finished_at_us: int | None
    result_json: str | None

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    @property
    def result(self) -> Result | None:
        return None if self.result_json is None else result_from_json(self.result_json)


def _job(row: Any) -> Job:
    return Job(
        row.id, row.report, filtering.from_json(json.loads(row.filters)), row.lang, row.requested_by,
        row.status, row.progress, row.message, row.attempts, row.created_at_us, row.started_at_us,
        row.finished_at_us, row.result,
    )  # fmt: skip


def filters_key(filters: Filters) -> str:
    """The filters as canonical JSON: equal filters, equal text (the latest job for them is found by it)."""
    return json.dumps(filtering.to_json(filters), sort_keys=True, separators=(",", ":"))


def report_of(code: str) -> Report:
    report = catalogue.by_code(code)
    if report is None:
        raise ApiError(404, "unknown_report", f"no report {code}")
    return report


def branch_id_of(conn: Connection, code: str | None) -> str | None:
    if code is None:
        return None
    found = conn.execute(select(BRANCH.c.id).where(BRANCH.c.code == code)).scalar()
    if found is None:
        raise ClubError("unknown_branch", branch=code)
    return str(found)


# ---- asking and looking ---------------------------------------------------------------------------------


def queue(call: Call, code: str, filters: Filters, lang: str) -> str:
    """Queue the report for a background build as the call's actor; the job's id. Refused (like the report
    itself) to an actor without the report's permission for the filters' branch. Audited."""
    report = report_of(code)
    with call.db.read() as conn:
        branch_id = branch_id_of(conn, filters.branch)
    job_id = str(uuid7(call.now_us // 1_000, os.urandom(10)))

    def work(act: Act) -> str:
        row = {
            "id": job_id, "report": code, "filters": filters_key(filters), "lang": lang,
            "requested_by": act.actor.id, "status": QUEUED, "progress": 0, "message": "", "attempts": 0,
            "created_at_us": act.now_us,
        }  # fmt: skip
        act.conn.execute(insert(REPORT_JOB).values(row))
        act.after = {"job": job_id, "report": code, "filters": filtering.to_json(filters)}
        return job_id

    return change(call, report.permission, "report.run", code, work, branch_id=branch_id)


def may_see(actor: Actor, job: Job) -> bool:
    """A job is its requester's (and an owner's): its result is built with the requester's scope."""
    return job.requested_by == actor.id or actor.role == "owner"


def job(call: Call, job_id: str) -> Job:
    """The job, for its requester or an owner; 404 for anyone else, as for a job that is not there."""
    with call.db.read() as conn:
        row = conn.execute(select(REPORT_JOB).where(REPORT_JOB.c.id == job_id)).first()
    found = None if row is None else _job(row)
    if found is None or not may_see(call.actor, found):
        raise ApiError(404, "unknown_job", "no such report job (finished jobs are kept a week)")
    return found


def latest_done(call: Call, code: str, filters: Filters) -> Job | None:
    """The latest finished-and-done job of the report for exactly these filters that the actor may use: their
    own, or anyone's when the actor sees the whole club (no branch scope)."""
    query = (
        select(REPORT_JOB)
        .where(
            REPORT_JOB.c.report == code,
            REPORT_JOB.c.filters == filters_key(filters),
            REPORT_JOB.c.status == DONE,
        )
        .order_by(REPORT_JOB.c.finished_at_us.desc())
        .limit(1)
    )
    if call.actor.branch_ids is not None:
        query = query.where(REPORT_JOB.c.requested_by == call.actor.id)
    with call.db.read() as conn:
        row = conn.execute(query).first()
    return None if row is None else _job(row)


def export_file(
    call: Call, report: Report, filters: Filters, result: Result, *, kind: str, lang: str
) -> bytes:
    """The result as a file (csv | xlsx | pdf): an audited read under the report's permission, for the
    filters' branch (a branch manager's scope)."""
    with call.db.read() as conn:
        branch_id = branch_id_of(conn, filters.branch)
    target = f"{report.code}.{kind}"
    read(call, "report.export", target, lambda _conn: None, permission=report.permission, branch_id=branch_id)
    return render(kind, result, report, filters, lang)


# ---- the worker ---------------------------------------------------------------------------------------


def build(report: Report, call: Call, filters: Filters, progress: Progress | None = None) -> Result:
    """Run the report's build, handing it `progress` when it takes that keyword."""
    if progress is not None and _takes_progress(report.build):
        return report.build(call, filters, progress=progress)  # type: ignore[call-arg]
    return report.build(call, filters)


def _takes_progress(function: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return "progress" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def requeue_stale(conn: Connection, now_us: int) -> int:
    """Queue again the jobs whose worker stopped beating (or fail them after MAX_ATTEMPTS runs)."""
    beat = func.coalesce(REPORT_JOB.c.heartbeat_at_us, REPORT_JOB.c.started_at_us, REPORT_JOB.c.created_at_us)
    stale = and_(REPORT_JOB.c.status == RUNNING, beat < now_us - STALE_US)
    rows = conn.execute(select(REPORT_JOB.c.id, REPORT_JOB.c.lang, REPORT_JOB.c.attempts).where(stale)).all()
    for row in rows:
        values: dict[str, Any]
        if row.attempts >= MAX_ATTEMPTS:
            message = _text("gave_up", row.lang, n=number(row.attempts, row.lang))
            values = {"status": FAILED, "message": message, "finished_at_us": now_us}
        else:
            values = {"status": QUEUED, "message": _text("requeued", row.lang), "progress": 0}
        conn.execute(update(REPORT_JOB).where(REPORT_JOB.c.id == row.id, stale).values(values))
    return len(rows)


def expire(conn: Connection, now_us: int) -> int:
    """Delete the jobs that finished more than a week ago."""
    old = and_(REPORT_JOB.c.status.in_((DONE, FAILED)), REPORT_JOB.c.finished_at_us < now_us - KEEP_US)
    return int(conn.execute(delete(REPORT_JOB).where(old)).rowcount or 0)


def _claim(conn: Connection, now_us: int) -> _Claimed | None:
    """The oldest queued job, now running; None when none waits. SKIP LOCKED: a job another server is
    claiming at this moment is passed over, not waited for (SQLite has no row locks and one writer)."""
    row = conn.execute(
        select(REPORT_JOB)
        .where(REPORT_JOB.c.status == QUEUED)
        .order_by(REPORT_JOB.c.created_at_us, REPORT_JOB.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if row is None:
        return None
    attempts = row.attempts + 1
    conn.execute(
        update(REPORT_JOB)
        .where(REPORT_JOB.c.id == row.id)
        .values(status=RUNNING, started_at_us=now_us, heartbeat_at_us=now_us, attempts=attempts, progress=0)
    )
    return _Claimed(row.id, row.report, row.filters, row.lang, row.requested_by, attempts)


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: str
    report: str
    filters: str
    lang: str
    requested_by: str
    attempts: int


def _mine(job_id: str, attempts: int) -> Any:
    """The job as this worker claimed it: not since re-queued and claimed again elsewhere."""
    return and_(REPORT_JOB.c.id == job_id, REPORT_JOB.c.status == RUNNING, REPORT_JOB.c.attempts == attempts)


def _actor_of(conn: Connection, user_id: str) -> Actor | None:
    if user_id == CONSOLE.id:
        return CONSOLE
    user = users.by_id(conn, user_id)
    if user is None or user.disabled_at_us is not None:
        return None
    return user.actor


def _failure(error: Exception, lang: str) -> str:
    if isinstance(error, ClubError):
        return club_message(error, lang)
    if isinstance(error, ApiError):
        return _text("failed", lang, error=error.message)
    return _text("failed", lang, error=f"{type(error).__name__}: {error}"[:500])


def run_one(
    db: Database, now_us: int, clock: Callable[[], int] | None = None, heartbeat_s: float | None = None
) -> bool:
    """Claim and run one queued job; False when none waits. `clock` stamps progress and the finish (the
    claim's time by default); `heartbeat_s`: beat that often from a thread while the build runs."""
    stamp = clock or (lambda: now_us)

    def claim(conn: Connection) -> _Claimed | None:
        requeue_stale(conn, now_us)
        return _claim(conn, now_us)

    row = db.write(claim)
    if row is None:
        return False
    mine = _mine(row.id, row.attempts)
    shown = {"progress": 0}

    def progress(percent: int) -> None:
        percent = max(0, min(99, int(percent)))  # 100 is for done
        if percent == shown["progress"]:
            return
        shown["progress"] = percent
        db.write(
            lambda c: c.execute(
                update(REPORT_JOB).where(mine).values(progress=percent, heartbeat_at_us=stamp())
            )
        )

    def finish(values: dict[str, Any]) -> None:
        done = db.write(
            lambda c: (
                c.execute(update(REPORT_JOB).where(mine).values(finished_at_us=stamp(), **values)).rowcount
            )
        )
        if not done:
            log.warning("report job %s was taken over by another worker; its result is not kept", row.id)

    try:
        report = catalogue.by_code(row.report)
        with db.read() as conn:
            actor = _actor_of(conn, row.requested_by)
        if report is None:
            finish({"status": FAILED, "message": _text("no_report", row.lang, code=row.report)})
        elif actor is None:
            finish({"status": FAILED, "message": _text("no_user", row.lang)})
        else:
            filters = filtering.from_json(json.loads(row.filters))
            with _beating(db, mine, stamp, heartbeat_s):
                result = build(report, Call(db, stamp(), actor), filters, progress)
            finish({"status": DONE, "progress": 100, "message": "", "result": result_to_json(result)})
    except Exception as error:  # a report's failure is the job's, told on its page; the worker goes on
        log.exception("report job %s (%s) failed", row.id, row.report)
        finish({"status": FAILED, "message": _failure(error, row.lang)})
    return True


@contextmanager
def _beating(db: Database, mine: Any, stamp: Callable[[], int], every_s: float | None) -> Iterator[None]:
    """While the block runs, write the job's heartbeat every `every_s` seconds (None: not at all)."""
    if every_s is None:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every_s):
            try:
                db.write(lambda c: c.execute(update(REPORT_JOB).where(mine).values(heartbeat_at_us=stamp())))
            except Exception:  # a missed beat is retried; STALE_US is many beats long
                log.exception("a report job's heartbeat failed")

    thread = threading.Thread(target=beat, name="report-job-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


def run_pending(db: Database, now_us: int, *, clock: Callable[[], int] | None = None,
                heartbeat_s: float | None = None, limit: int | None = None) -> int:  # fmt: skip
    """Run queued jobs one at a time until none waits (or `limit` ran), after re-queueing stale ones and
    deleting expired ones; the number run. Tests call it directly with their time; the worker thread too."""
    db.write(lambda conn: expire(conn, now_us))
    ran = 0
    while limit is None or ran < limit:
        at = clock() if clock else now_us
        if not run_one(db, at, clock, heartbeat_s):
            break
        ran += 1
    return ran


class Worker(Chore):
    """The serving process's report worker (a sync.server.chore.Chore): runs queued jobs, then looks again
    every POLL_S. `bashgah-server serve` starts it and stops it on exit."""

    name = "report-jobs"
    retry_s = RETRY_S

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        super().__init__(db, clock)
        self.ran = 0
        self._expired_at = 0.0

    def round(self) -> float:
        now_us = self.clock.now_us()
        if time.monotonic() - self._expired_at > EXPIRE_EVERY_S:
            self.db.write(lambda conn: expire(conn, now_us))
            self._expired_at = time.monotonic()
        if self._work_waits(now_us):  # a read first: an idle server takes no write lock to poll
            self.ran += run_one(self.db, now_us, self.clock.now_us, HEARTBEAT_S)
            return 0
        return POLL_S

    def _work_waits(self, now_us: int) -> bool:
        """A queued job, or a running one whose worker stopped beating."""
        beat = func.coalesce(REPORT_JOB.c.heartbeat_at_us, REPORT_JOB.c.started_at_us)
        waiting = or_(
            REPORT_JOB.c.status == QUEUED, and_(REPORT_JOB.c.status == RUNNING, beat < now_us - STALE_US)
        )
        with self.db.read() as conn:
            return conn.execute(select(REPORT_JOB.c.id).where(waiting).limit(1)).first() is not None


def ahead(call: Call, job_: Job) -> int:
    """Jobs queued before this one (the job page says how many wait ahead of it)."""
    before = or_(
        REPORT_JOB.c.created_at_us < job_.created_at_us,
        and_(REPORT_JOB.c.created_at_us == job_.created_at_us, REPORT_JOB.c.id < job_.id),
    )
    with call.db.read() as conn:
        query = select(func.count()).select_from(REPORT_JOB).where(REPORT_JOB.c.status == QUEUED, before)
        return int(conn.execute(query).scalar_one())
