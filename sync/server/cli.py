# SPDX-License-Identifier: GPL-3.0-or-later
"""The `bashgah-server` command: the club server and its chores.

    bashgah-server [--db URL] db upgrade
    bashgah-server [--db URL] serve [--host 127.0.0.1] [--port 8750] [--workers N]
                                    [--db-pool N] [--db-overflow N] [--db-pool-timeout S]
    bashgah-server [--db URL] enrollment-code --branch CODE [--ttl-hours 24]
    bashgah-server [--db URL] admin create --name NAME --role admin|manager|viewer
    bashgah-server [--db URL] admin list
    bashgah-server [--db URL] admin revoke TOKEN_ID
    bashgah-server [--db URL] demo seed [--if-empty]
    bashgah-server [--db URL] event create --name N --starts ISO --ends ISO [--venue V] [--capacity N]
                                           [--tier CODE ...] [--plus-ones N] [--id UUID]
    bashgah-server [--db URL] event list | show ID | cancel ID
    bashgah-server [--db URL] event invite ID (--member ID | --phone P)... [--plus-ones N]
    bashgah-server [--db URL] event uninvite ID --member ID
    bashgah-server [--db URL] event attendance ID [--csv]
    bashgah-server [--db URL] event qr ID --member ID [--png FILE]
    bashgah-server [--db URL] rules export [FILE] [--format yaml|json] [--version N]
    bashgah-server [--db URL] rules import FILE [--format yaml|json]
    bashgah-server [--db URL] rules show [--version N] [--json]
    bashgah-server [--db URL] rules versions
    bashgah-server [--db URL] programme run [--now ISO]
    bashgah-server [--db URL] ledger export [--from YYYY-MM-DD --to YYYY-MM-DD] --format csv [--out FILE]
    bashgah-server [--db URL] report summary --from YYYY-MM-DD --to YYYY-MM-DD [--branch CODE] [--tier CODE]
    bashgah-server [--db URL] messages test --to EMAIL_OR_PHONE [--text TEXT]
    bashgah-server [--db URL] set-aside list [--reason R] | accept ID --why W | refuse ID --why W
    bashgah-server [--db URL] chip-keys list --branch CODE | retire --branch CODE --generation N --why W

The database is --db (a SQLAlchemy URL: postgresql+psycopg://user@host/db, sqlite:///FILE), else env
BASHGAH_SERVER_DB, else a SQLite file in the user data dir. `--json` prints one JSON object. A refusal
prints one line on stderr and exits 2 (so does an argument that is not valid text, before anything is
parsed: app.argv); a database that cannot be opened exits 3. Event times are ISO 8601:
`2026-12-01T18:00` is the server's local time, `2026-12-01T18:00+03:30` names its offset.

The programme (rule sets, sync.server.rules): `rules export` writes the current version (or --version N)
as YAML or JSON (the format from FILE's suffix, else --format; stdout without FILE); an admin edits it
and `rules import` saves it as the next version, published to every terminal. A file is refused whole,
nothing saved, with `FILE:LINE: path: reason` on stderr (exit 2). `programme run` writes what is due now
(points that expire, tiers lost at review: sync.server.programme); `serve` runs it once at start and then
every day just after the club's local midnight, in a background thread of the serving process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import exc

from app.argv import argument_refusal, whole
from app.domain.errors import ClubError
from app.messages import language, message
from sync.server import migrate
from sync.server.cli_chip_keys import add_chip_key_commands, print_chip_keys_command
from sync.server.cli_reports import add_report_commands, print_report_command
from sync.server.cli_users import PasswordInputError, add_user_commands, print_user_command
from sync.server.clock import SystemClock
from sync.server.db import (
    DB_ENV,
    DB_READ_ENV,
    OVERFLOW_ENV,
    POOL_ENV,
    POOL_TIMEOUT_ENV,
    Database,
    resolve_read_url,
    resolve_url,
)
from sync.server.errors import ApiError

EXIT_REFUSED = 2
EXIT_STORAGE = 3
DEFAULT_PORT = 8750
VERSION = whole(0, 2**31)  # a rule-set version, as the wire bounds it


class RefusedError(Exception):
    """A one-line reason the command did nothing."""


# ---- commands -------------------------------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from alembic.util.exc import CommandError

    try:
        added = migrate.upgrade(db, SystemClock().now_us())
    except CommandError as error:  # e.g. a terminal's data file, whose revisions are not the server's
        raise RefusedError(f"{db.display_url} holds another schema than the server's: {error}") from None
    return {"database": db.display_url, "revision": migrate.current_revision(db), "settings_added": added}


def _require_upgraded(db: Database) -> None:
    if not migrate.is_current(db):
        raise RefusedError(
            f"the database {db.display_url} is not upgraded; run `bashgah-server --db URL db upgrade`"
        )


def _pooled(args: argparse.Namespace, db: Database) -> Database:
    """The database with the pool `serve` was given (each worker builds its own from the environment,
    which is set here); `db` itself when no pool option was given."""
    given = {
        POOL_ENV: args.db_pool,
        OVERFLOW_ENV: args.db_overflow,
        POOL_TIMEOUT_ENV: args.db_pool_timeout,
    }
    if all(value is None for value in given.values()):
        return db
    for env, value in given.items():
        if value is not None:
            os.environ[env] = str(value)
    try:
        pooled = Database(db.url.render_as_string(hide_password=False))
    except ValueError as error:
        raise RefusedError(str(error)) from None
    db.dispose()
    return pooled


def cmd_serve(args: argparse.Namespace, db: Database) -> None:
    _require_upgraded(db)
    if args.workers < 1:
        raise RefusedError("--workers must be at least 1")
    # before prometheus_client is first imported: every worker writes its counts there (observability.py)
    metrics_dir, made = _fresh_metrics_dir()
    try:
        _serve(args, db)
    finally:
        if made:
            shutil.rmtree(metrics_dir, ignore_errors=True)
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


def _serve(args: argparse.Namespace, db: Database) -> None:
    import logging.config

    import uvicorn

    from sync.server import observability

    db = _pooled(args, db)
    logs = observability.log_config(args.log_format, args.log_level)
    logging.config.dictConfig(logs)  # this process's chores log as the workers do
    if args.metrics_allow is not None:  # read by each worker's app (observability.MetricsAccess)
        os.environ[observability.METRICS_ALLOW_ENV] = args.metrics_allow
    from sync.server.programme import Daily
    from sync.server.reports.counting import Counting
    from sync.server.reports.jobs import Worker

    print(f"bashgah-server: serving http://{args.host}:{args.port} on {db.display_url}", file=sys.stderr)
    read_url = _attach_replica(args, db)
    # the programme's daily run: one thread in this process, however many workers serve requests
    daily_db = (
        db if args.workers == 1 else Database(db.url.render_as_string(hide_password=False), read_url=read_url)
    )
    daily = Daily(daily_db, batch=args.daily_batch)
    if not args.no_daily:
        daily.start()
    # the reports' aggregates, counted as entries arrive (sync.server.reports.counting), on the same engine
    counting = Counting(daily.db)
    if not args.no_counting:
        counting.start()
    # the reports' background jobs: one worker thread in this process (several servers share the queue)
    reports = Worker(daily.db)
    if not args.no_report_jobs:
        reports.start()
    sender = _message_sender(daily.db, enabled=not args.no_sender)  # messages to members (issue 17)
    # X-Forwarded-For names the client only when it comes from a proxy named here (uvicorn's own check);
    # otherwise it is ignored, so a client cannot choose the address its failed attempts count against
    proxies: dict[str, Any] = {
        "proxy_headers": bool(args.forwarded_allow_ips),
        "forwarded_allow_ips": args.forwarded_allow_ips or None,
    }
    try:
        if args.workers == 1:
            from sync.server.app import create_app

            uvicorn.run(
                create_app(db),
                host=args.host,
                port=args.port,
                log_level=args.log_level,
                log_config=logs,
                **proxies,
            )
            return
        # each worker process builds its own app (and engine) from the environment
        os.environ[DB_ENV] = db.url.render_as_string(hide_password=False)
        if read_url is not None:
            os.environ[DB_READ_ENV] = read_url
        db.dispose()
        uvicorn.run(
            "sync.server.app:create_app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            log_config=logs,
            **proxies,
        )
    finally:
        if sender is not None:
            sender.stop()
        counting.stop()
        reports.stop()
        daily.stop()
        if daily.db is not db:
            daily.db.dispose()


def _attach_replica(args: argparse.Namespace, db: Database) -> str | None:
    """`serve --db-read URL` (or BASHGAH_SERVER_DB_READ): pulls and reports read a streaming replica."""
    read_url = resolve_read_url(args.db_read)
    if read_url is None:
        return None
    try:
        db.attach_replica(read_url)
    except ValueError as error:
        raise RefusedError(str(error)) from None
    assert db.read_url is not None
    shown = db.read_url.render_as_string(hide_password=True)
    print(f"bashgah-server: pulls and reports read the replica {shown}", file=sys.stderr)
    return read_url


def _fresh_metrics_dir() -> tuple[str, bool]:
    """An empty directory for prometheus-client's multiprocess files, named in PROMETHEUS_MULTIPROC_DIR
    for the workers, and whether it was made here (then removed at exit). A directory the operator named
    is emptied of its files: old workers' counts are not this run's."""
    import tempfile

    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        os.makedirs(given, exist_ok=True)
        for name in os.listdir(given):
            if name.endswith(".db"):
                os.remove(os.path.join(given, name))
        return given, False
    made = tempfile.mkdtemp(prefix="bashgah-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    return made, True


def cmd_enrollment_code(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.server.club import terminals
    from sync.server.club.access import CONSOLE
    from sync.server.club.act import Call

    _require_upgraded(db)
    call = Call(db, SystemClock().now_us(), CONSOLE)
    issued = terminals.new_enrolment_code(call, terminals.branch_id_of(call, args.branch), args.ttl_hours)
    return {"code": issued.code, "branch": issued.branch_code, "expires_at_us": issued.expires_at_us}


def cmd_admin_create(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.server.alerts import audit
    from sync.server.auth import create_admin_token

    _require_upgraded(db)
    name = " ".join(args.name.split())
    if not name or len(name) > 120:
        raise RefusedError("--name must be 1 to 120 characters")
    now = SystemClock().now_us()

    def work(conn: Any) -> tuple[Any, str]:
        admin, token = create_admin_token(conn, name, args.role, now)
        audit(conn, now, "cli", "create_admin_token", admin.id, name=name, role=args.role)
        return admin, token

    admin, token = db.write(work)
    return {"id": admin.id, "name": admin.name, "role": admin.role, "token": token}


def cmd_admin_list(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.server.models import ADMIN_TOKEN

    _require_upgraded(db)
    with db.read() as conn:
        rows = conn.execute(
            ADMIN_TOKEN.select().order_by(ADMIN_TOKEN.c.created_at_us, ADMIN_TOKEN.c.id)
        ).all()
    keys = ("id", "name", "role", "created_at_us", "revoked_at_us")
    return {"tokens": [{key: getattr(row, key) for key in keys} for row in rows]}


def cmd_admin_revoke(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    """A leaked or departed admin's token stops working at once (its next request is a 401)."""
    from sqlalchemy import update

    from sync.server.alerts import audit
    from sync.server.models import ADMIN_TOKEN

    _require_upgraded(db)
    now = SystemClock().now_us()

    def work(conn: Any) -> dict[str, Any]:
        row = conn.execute(ADMIN_TOKEN.select().where(ADMIN_TOKEN.c.id == args.token_id)).first()
        if row is None:
            raise RefusedError(f"no admin token with id {args.token_id!r} (see `bashgah-server admin list`)")
        revoked = {"id": row.id, "name": row.name, "role": row.role, "revoked_at_us": row.revoked_at_us}
        if row.revoked_at_us is not None:
            return revoked  # already: saying so is enough, and a retried command must not fail
        conn.execute(update(ADMIN_TOKEN).where(ADMIN_TOKEN.c.id == row.id).values(revoked_at_us=now))
        audit(conn, now, "cli", "revoke_admin_token", row.id, name=row.name, role=row.role)
        return revoked | {"revoked_at_us": now}

    return db.write(work)


def cmd_messages_test(args: argparse.Namespace, _db: Database) -> dict[str, Any]:
    from sync.server.messages import trial

    try:
        return trial.send_test(trial.providers_from_env(os.environ), args.to, args.text)
    except trial.TrialError as error:
        raise RefusedError(str(error)) from None


def cmd_demo_seed(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.server import demo

    _require_upgraded(db)
    if args.if_empty:
        with db.read() as conn:
            if not demo.is_empty(conn):
                return {"seeded": False, "reason": "the database already holds a club"}
    try:
        summary = demo.seed(db, SystemClock().now_us(), members_count=args.members, seed_value=args.seed)
    except demo.ClubNotEmptyError as error:
        raise RefusedError(f"{error}; use an empty database (or --if-empty)") from None
    return {"seeded": True} | summary


# ---- events ---------------------------------------------------------------------------------------


def _parse_time(text: str, flag: str) -> int:
    """UTC microseconds of a typed date and time, Jalali or Gregorian (app.typed_time); one without an
    offset is the server's local time."""
    from app.typed_time import typed_moment_us

    moment = typed_moment_us(text)
    if moment is None:
        example = "1405/09/30T18:00 (Jalali), 2026-12-21T18:00 or 2026-12-21T18:00+03:30"
        raise RefusedError(f"{flag}: {text!r} is not a time like {example}")
    return moment


def _event_call(db: Database) -> Any:
    """The use cases' Call for this host's console (sync.server.club.events: one path for every change)."""
    from sync.server.club.access import CONSOLE
    from sync.server.club.act import Call

    _require_upgraded(db)
    return Call(db, SystemClock().now_us(), CONSOLE)


def _event_id(text: str) -> str:
    import re

    from sync.protocol import UUID_PATTERN

    if not re.fullmatch(UUID_PATTERN, text):
        raise RefusedError(f"{text!r} is not an event id (see `bashgah-server event list`)")
    return text


def cmd_event_create(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from pydantic import ValidationError

    from sync.protocol import WireEvent
    from sync.server import events
    from sync.server.club import events as club_events

    event_id = args.id or events.new_id(SystemClock().now_us())
    try:
        event = WireEvent(
            id=event_id,
            name=args.name,
            venue=args.venue,
            starts_at_us=_parse_time(args.starts, "--starts"),
            ends_at_us=_parse_time(args.ends, "--ends"),
            capacity=args.capacity,
            invited_tiers=args.tier,
            plus_ones=args.plus_ones,
        )
    except ValidationError as error:
        raise RefusedError(_validation_line(error)) from None
    return dict(club_events.create(_event_call(db), event).model_dump(mode="json"))


# the wire's field names as the options that set them: a refusal names what the manager typed
_EVENT_OPTIONS = {"starts_at_us": "--starts", "ends_at_us": "--ends", "invited_tiers": "--tier"}


def _validation_line(error: Any) -> str:
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    if not field:  # a rule across fields (ends before it starts)
        return str(first["msg"])
    where = _EVENT_OPTIONS.get(field) or "--" + field.replace("_", "-")
    return f"{where}: {first['msg']}"


def cmd_event_list(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.server.club import events as club_events

    if not 1 <= args.limit <= 10_000:
        raise RefusedError("--limit must be between 1 and 10000")
    page = club_events.listing(_event_call(db), limit=args.limit)
    return {"events": [s.event.model_dump(mode="json") for s in page.events]}


def cmd_event_show(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.server.club import events as club_events

    return dict(club_events.view(_event_call(db), _event_id(args.event_id)).model_dump(mode="json"))


def cmd_event_cancel(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.server.club import events as club_events

    return dict(club_events.cancel(_event_call(db), _event_id(args.event_id)).model_dump(mode="json"))


def cmd_event_invite(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from app.domain.event import MAX_PLUS_ONES
    from sync.server.club import events as club_events

    event_id = _event_id(args.event_id)
    members, phones = args.member or [], args.phone or []
    if not members and not phones:
        raise RefusedError("name the guests: --member ID or --phone PHONE, as often as needed")
    for member_id in members:
        _member_id(member_id)
    if args.plus_ones is not None and not 0 <= args.plus_ones <= MAX_PLUS_ONES:
        raise RefusedError(f"--plus-ones must be between 0 and {MAX_PLUS_ONES}")
    invited = club_events.invite(
        _event_call(db),
        event_id,
        member_ids=members,
        phones=phones,
        plus_ones=args.plus_ones,
        set_plus_ones=args.plus_ones is not None,
    )
    if any(r.outcome not in _INVITED for r in invited.results):  # a script must not take it for done
        args.exit_code = EXIT_REFUSED
    return {"event_id": event_id, "results": [r.model_dump(mode="json") for r in invited.results]}


_INVITED = frozenset({"invited", "updated", "unchanged"})


def _member_id(text: str) -> str:
    import re

    from sync.protocol import UUID_PATTERN

    if not re.fullmatch(UUID_PATTERN, text):
        raise RefusedError(f"--member: {text!r} is not a member id")
    return text


def cmd_event_uninvite(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.server.club import events as club_events

    event_id, member_id = _event_id(args.event_id), _member_id(args.member)
    invitation = club_events.uninvite(_event_call(db), event_id, member_id=member_id)
    assert invitation is not None
    return dict(invitation.model_dump(mode="json"))


def cmd_event_attendance(args: argparse.Namespace, db: Database) -> dict[str, Any] | None:
    from sync.server import events
    from sync.server.club import events as club_events

    view = club_events.attendance(_event_call(db), _event_id(args.event_id))
    if args.csv:
        sys.stdout.write(events.attendance_csv(view))
        return None
    return dict(view.model_dump(mode="json"))


def cmd_event_qr(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from pathlib import Path

    from sync.server.club import events as club_events
    from sync.server.invitation_sheet import qr_png

    event_id, member_id = _event_id(args.event_id), _member_id(args.member)
    code = club_events.invitation_qr(_event_call(db), event_id, member_id)
    if args.png:
        try:
            Path(args.png).write_bytes(qr_png(code.text))
        except OSError as error:
            raise RefusedError(f"--png: cannot write {args.png}: {error.strerror or error}") from None
    return dict(code.model_dump(mode="json")) | {"png": args.png}


# ---- the programme ----------------------------------------------------------------------------------


class RulesFileRefusedError(Exception):
    """A rule-set file refused; its message is `FILE:LINE: path: reason`, printed as it is."""


def cmd_rules_export(args: argparse.Namespace, db: Database) -> dict[str, Any] | None:
    from sync import rules_file
    from sync.server import rules as rule_sets

    _require_upgraded(db)
    fmt = args.format or (rules_file.format_of(args.file) if args.file else "yaml")

    def read(conn: Any) -> Any:
        return rule_sets.current(conn) if args.version is None else rule_sets.get(conn, args.version)

    try:
        with db.read() as conn:
            rules = read(conn)
    except ClubError:
        raise RefusedError(
            f"no rule-set version {args.version} (see `bashgah-server rules versions`)"
        ) from None
    text = rules_file.dump(rules, fmt)
    if args.file is None:
        sys.stdout.write(text)
        return None
    try:
        with open(args.file, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as error:
        raise RefusedError(f"cannot write {args.file}: {error.strerror or error}") from None
    return {"version": rules.version, "file": args.file, "format": fmt}


def cmd_rules_import(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync import rules_file
    from sync.server.club import programme
    from sync.server.club.access import CONSOLE
    from sync.server.club.act import Call

    _require_upgraded(db)
    fmt = args.format or rules_file.format_of(args.file)
    try:
        text = rules_file.read_text(args.file)
        rules = rules_file.parse(text, fmt=fmt, name=args.file)
    except rules_file.RulesFileError as error:
        raise RulesFileRefusedError(str(error)) from None
    unchanged = _same_as_current(db, rules)
    if unchanged is not None:  # a new version would publish nothing new to every terminal
        return {"version": unchanged, "file": args.file, "unchanged": True}
    call = Call(db, SystemClock().now_us(), CONSOLE)
    try:  # the one way a rule set is saved (sync.server.club.programme), as the command line's actor
        saved = programme.publish(call, rules, f"imported from {args.file}"[: programme.MAX_NOTE])
    except programme.RulesRefusedError as refused:  # what the server's tables cannot hold
        error = ClubError("invalid_rules", **refused.problems[0].params)
        raise RulesFileRefusedError(str(rules_file.refusal(text, error, fmt=fmt, name=args.file))) from None
    return {"version": saved.version, "file": args.file, "unchanged": False}


def _same_as_current(db: Database, rules: Any) -> int | None:
    """The current version's number when `rules` says exactly what it says (the file's own `version` line
    aside), else None."""
    from dataclasses import replace

    from sync.server import rules as rule_sets

    with db.read() as conn:
        if rule_sets.latest_version(conn) == 0:
            return None
        current = rule_sets.current(conn)
    return current.version if replace(rules, version=current.version) == current else None


def cmd_rules_show(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.rules import to_body
    from sync.server import rules as rule_sets

    _require_upgraded(db)
    with db.read() as conn:
        try:
            rules = rule_sets.current(conn) if args.version is None else rule_sets.get(conn, args.version)
        except ClubError:
            raise RefusedError(
                f"no rule-set version {args.version} (see `bashgah-server rules versions`)"
            ) from None
        info = next((v for v in rule_sets.versions(conn) if v.version == rules.version), None)
    return {
        "version": rules.version,
        "created_at_us": info.created_at_us if info else None,
        "created_by": info.created_by if info else None,
        "body": to_body(rules),
    }


def cmd_rules_versions(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.server import rules as rule_sets

    _require_upgraded(db)
    with db.read() as conn:
        found = rule_sets.versions(conn)
    listed = [
        {"version": v.version, "created_at_us": v.created_at_us, "created_by": v.created_by} for v in found
    ]
    return {"current": found[-1].version if found else 0, "versions": listed}


def cmd_programme_run(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.server import programme
    from sync.server.alerts import audit

    _require_upgraded(db)
    now = SystemClock().now_us() if args.now is None else _parse_time(args.now, "--now")
    # in batches, each its own transaction, resumed where a killed run stopped (sync.server.programme)
    summary = programme.run_daily(db, now, batch=args.batch)
    if summary.entries:
        v, n = f"v{summary.rules_version}", len(summary.entries)
        db.write(lambda conn: audit(conn, now, "cli", "programme_run", v, entries=n))
    return summary.as_dict() | {"now_us": now}


def _console_call(db: Database) -> Any:
    from sync.server.club.access import CONSOLE
    from sync.server.club.act import Call

    return Call(db, SystemClock().now_us(), CONSOLE)


def cmd_set_aside_list(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.server.club import review

    _require_upgraded(db)
    found = review.set_aside_queue(_console_call(db), args.reason, limit=args.limit)
    return {"set_aside": [_set_aside(f) for f in found.items]}


def cmd_set_aside_accept(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.server.club import review

    _require_upgraded(db)
    return _set_aside(review.accept(_console_call(db), args.entry, args.why))


def cmd_set_aside_refuse(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.server.club import review

    _require_upgraded(db)
    return _set_aside(review.refuse(_console_call(db), args.entry, args.why))


def _set_aside(found: Any) -> dict[str, Any]:
    entry = found.entry
    return {
        "entry_id": entry.id,
        "reason": found.reason,
        "device": found.place.device_code,
        "device_seq": entry.device_seq,
        "kind": entry.kind.value,
        "member_id": entry.member_id,
        "points_delta": entry.points_delta,
        "cash_delta": entry.cash_delta,
        "sale_amount": entry.sale_amount,
        "received_at_us": found.received_at_us,
        "decision": found.decision,
        "decided_at_us": found.decided_at_us,
        "decided_by": found.decided_by,
        "note": found.note,
    }


def _print_set_aside(command: str, result: dict[str, Any]) -> None:
    rows = result["set_aside"] if command == "set-aside list" else [result]
    for row in rows:
        print(
            f"{row['entry_id']}  {row['device']}#{row['device_seq']}  {row['kind']:<16} "
            f"{row['points_delta']:>+10} pts {row['cash_delta']:>+12} rials  {row['reason']}"
            + (f"  ({row['decision']})" if row["decision"] else "")
        )
    if command == "set-aside accept":
        print("accepted: it counts now, and terminals learn so at their next pull", file=sys.stderr)
    elif command == "set-aside refuse":
        print("refused: it counts nowhere, for good; terminals learn so at their next pull", file=sys.stderr)


def _print_rules(command: str, result: dict[str, Any]) -> None:
    if command == "rules export":
        print(f"rule set version {result['version']} written to {result['file']} ({result['format']})")
    elif command == "rules import":
        print(result["version"])
        saved = "unchanged: still" if result.get("unchanged") else "saved as"
        print(f"{result['file']}: {saved} rule-set version {result['version']}", file=sys.stderr)
    elif command == "rules versions":
        if not result["versions"]:
            print("no rule set saved yet: version 0 (the tier and branch tables) prices sales")
        for v in result["versions"]:
            print(f"{v['version']:>5}  {_when(v['created_at_us'])}  {v['created_by']}")
    elif command == "rules show":
        _print_rule_set(result)
    elif command == "programme run":
        if result["resumed"]:  # not what was asked for: say so, and how to get it
            print(
                f"finished the run of {result['day']} that was begun under rule set "
                f"{result['rules_version']} as of {_when(result['resumed_as_of_us'])} (a server stopped in "
                "it, or is at it now); run again for the current rule set and your --now"
            )
        print(
            f"rule set {result['rules_version']}: {result['expired_points']} points expired for "
            f"{result['expired_members']} members (net of {result['given_back_points']} given back to "
            f"{result['given_back_members']}), {len(result['tier_changes'])} tier changes, "
            f"{result['entries']} entries written"
        )
        for change in result["tier_changes"]:
            print(f"  {change['member_id']}: {change['from']} → {change['to']}")


def _print_rule_set(result: dict[str, Any]) -> None:
    body = result["body"]
    made = (
        f", saved {_when(result['created_at_us'])} by {result['created_by']}"
        if result["created_at_us"]
        else ""
    )
    print(f"rule set version {result['version']}{made}")
    basis = body["qualification"]
    print(f"tiers ({basis['basis']} within {basis['window_days']} days, grace {basis['grace_days']} days):")
    for t in body["tiers"]:
        print(
            f"  {t['rank']:>3}  {t['code']:<12} {t['name_en']} / {t['name_fa']}:"
            f" from {t['threshold']}, ×{t['multiplier_percent']}%"
        )
    e = body["earning"]
    print(f"earning: {e['points_per_unit']} points per {e['rials_per_unit']} rials ({e['rounding']})")
    for code, b in body["branches"].items():
        be = b["earning"]
        print(f"  branch {code}: {be['points_per_unit']} points per {be['rials_per_unit']} rials")
    print(f"cashback: {body['cashback']['percent_bp'] / 100:g} %")
    for c in body["campaigns"]:
        print(
            f"campaign {c['code']}: {c['starts']} – {c['ends']},"
            f" ×{c['multiplier_percent']}%, +{c['bonus_points']}"
            + (f", {c['holdout_percent']}% held out" if c.get("holdout_percent") else "")
        )
    expiry = f"after {body['expiry_days']} days" if body["expiry_days"] else "never"
    print(f"points expire: {expiry}")
    for p in body["memberships"]:
        print(f"membership {p['code']}: {p['price_rials']} rials, {p['duration_days']} days")
    for r in body["rewards"]:
        print(f"reward {r['code']}: {r['points']} points")
    g = body["offline_grant"]
    print(f"offline grants: {g['share_percent']} % of the balance, at most {g['max_points']}, {g['hours']} h")


# ---- output ---------------------------------------------------------------------------------------


# the commands whose modules print their own results
_PRINTERS: dict[str, Callable[[str, dict[str, Any]], None]] = {
    "user": print_user_command,
    "report": print_report_command,
    "chip-keys": print_chip_keys_command,
}


def _print_human(command: str, result: dict[str, Any]) -> None:
    if command in ("demo seed", "messages test"):
        {"demo seed": _print_demo, "messages test": _print_message_test}[command](result)
    elif command == "enrollment-code":
        print(result["code"])
        print(
            f"branch {result['branch']}; one use; expires at {_when(result['expires_at_us'])}",
            file=sys.stderr,
        )
    elif command == "admin create":
        print(result["token"])
        print(
            f"admin token {result['id']} for {result['name']} ({result['role']}); shown once, stored hashed",
            file=sys.stderr,
        )
    elif command == "admin list":
        for token in result["tokens"]:
            state = f"revoked {_when(token['revoked_at_us'])}" if token["revoked_at_us"] else "active"
            print(f"{token['id']}  {token['role']:<7}  {state:<28}  {token['name']}")
    elif command == "admin revoke":
        print(f"admin token {result['id']} ({result['name']}, {result['role']}) revoked")
    elif command == "db upgrade":
        added = ", ".join(result["settings_added"]) or "none"
        print(f"{result['database']}: schema {result['revision']}; default settings added: {added}")
    elif (group := command.split(" ", maxsplit=1)[0]) in _PRINTERS:
        _PRINTERS[group](command, result)
    elif command.startswith("event "):
        _print_event_command(command, result)
    elif command.startswith(("rules ", "programme ")):
        _print_rules(command, result)
    elif command.startswith("set-aside "):
        _print_set_aside(command, result)


def _print_message_test(result: dict[str, Any]) -> None:
    cost = f", {result['cost_rials']} rials" if result["cost_rials"] is not None else ""
    print(f"sent by {result['provider']} to {result['to']}: {result['answer']}")
    print(f"provider's id {result['provider_id']}{cost}")


def _print_event(event: dict[str, Any]) -> None:
    state = "  CANCELLED" if event["cancelled"] else ""
    where = f" at {event['venue']}" if event["venue"] else ""
    when = f"{_when(event['starts_at_us'])} – {_when(event['ends_at_us'])}"
    print(f"{event['id']}  {when}  {event['name']}{where}{state}")


def _print_event_command(command: str, result: dict[str, Any]) -> None:
    if command == "event list":
        for event in result["events"]:
            _print_event(event)
    elif command in ("event create", "event show", "event cancel"):
        _print_event(result)
        tiers = ", ".join(result["invited_tiers"]) or "none"
        print(
            f"  invited by name {result['invited']}, tiers {tiers}, plus-ones {result['plus_ones']}, "
            f"capacity {result['capacity'] or 'no limit'}; admitted {result['admitted']}"
            f" ({result['doubly_admitted']} admitted twice)"
        )
    elif command == "event invite":
        for r in result["results"]:
            asked = f"{r['phone']} ({r['member_id'] or '?'})" if r["phone"] else r["member_id"]
            print(f"{asked}: {r['outcome'].replace('_', ' ')}")
    elif command == "event uninvite":
        print(f"invitation of {result['member_id']} to {result['event_id']} cancelled")
    elif command == "event attendance":
        print(f"admitted {result['admitted']} (members admitted twice: {result['doubly_admitted']})")
        for c in result["check_ins"]:
            flags = " ".join(f for f in ("guest", "undone", "double_admission") if c[f])
            print(f"  {_when(c['created_at_us'])}  {c['device_code']:<10}  {c['member_name']}  {flags}")
    elif command == "event qr":
        print(result["text"])
        saved = f"; saved as {result['png']}" if result["png"] else ""
        print(
            f"valid until {_when(result['valid_until_us'])}, key {result['key_id']}{saved}", file=sys.stderr
        )


def _print_demo(result: dict[str, Any]) -> None:
    if not result["seeded"]:
        print(f"demo not seeded: {result['reason']}")
        return
    print(f"demo club: {result['members']} members, {result['cards']} cards, {result['entries']} entries")
    for branch in result["branches"]:
        print(f"  branch {branch}")
    for person in result["staff"]:
        print(f"  staff {person['name']} ({person['role']}): PIN {person['pin']}")
    for sample in result["sample_members"]:
        print(f"  member {sample['name']}: {sample['phone']}, card {sample['card']}")
    for user in result.get("office_users", []):
        print(f"  back office {user['name']} ({user['role']}): password {user['password']}")


def _when(at_us: int) -> str:
    from datetime import UTC, datetime

    try:
        return datetime.fromtimestamp(at_us / 1_000_000, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, ValueError, OSError):  # beyond year 9999: an event's times are what was typed
        return f"{at_us} µs"


# ---- parser ---------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help="database URL (env BASHGAH_SERVER_DB)")
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON object"
    )
    parser = argparse.ArgumentParser(prog="bashgah-server", description="Bashgah's central club server.")
    parser.add_argument(
        "--db", default=None, help="database URL (env BASHGAH_SERVER_DB; default: SQLite file)"
    )
    parser.add_argument("--json", action="store_true", default=False, help="print one JSON object")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(
        parent: Any, name: str, handler: Callable[..., Any], text: str, label: str
    ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, parents=[common], help=text, description=text)
        p.set_defaults(handler=handler, label=label)
        return p

    db = sub.add_parser("db", help="the database schema").add_subparsers(dest="db_command", required=True)
    add(
        db,
        "upgrade",
        cmd_db_upgrade,
        "create or upgrade the schema (Alembic) and default settings",
        "db upgrade",
    )

    serve = add(sub, "serve", cmd_serve, "serve protocol v1 and the admin API over HTTP", "serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=whole(0, 65_535), default=DEFAULT_PORT)
    serve.add_argument(
        "--workers", type=whole(1, 256), default=1, help="worker processes (more than 1: a process each)"
    )
    serve.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )
    serve.add_argument(
        "--db-pool",
        type=whole(1, 1_000),
        default=None,
        metavar="N",
        help=f"database connections each worker keeps open (default: ${POOL_ENV}, else 5); a server holds "
        "up to workers × (pool + overflow) + one pool for its chores: keep it under max_connections",
    )
    serve.add_argument(
        "--db-overflow",
        type=whole(0, 1_000),
        default=None,
        metavar="N",
        help=f"more connections a worker may open in a burst (default: ${OVERFLOW_ENV}, else 10)",
    )
    serve.add_argument(
        "--db-pool-timeout",
        type=float,
        default=None,
        metavar="S",
        help="seconds a request waits for a free connection before it is answered 503 with Retry-After "
        f"(default: ${POOL_TIMEOUT_ENV}, else 10)",
    )
    serve.add_argument(
        "--log-format", default="text", choices=("text", "json"), help="log lines: text, or JSON objects"
    )
    serve.add_argument(
        "--metrics-allow",
        default=None,
        metavar="IPS",
        help="addresses or networks (comma-separated) that may read /metrics (default: loopback; a token in "
        "BASHGAH_METRICS_TOKEN also admits its bearer)",
    )
    serve.add_argument(
        "--no-daily", action="store_true", help="do not run the programme's daily chore in this process"
    )
    # members per transaction of the daily run (sync.server.programme.BATCH); tests make it small
    serve.add_argument("--daily-batch", type=whole(1, 100_000), default=1_000, help=argparse.SUPPRESS)
    # the reports' counting off: for a bench's A/B of what the counting costs a push (reports then lag)
    serve.add_argument("--no-counting", action="store_true", help=argparse.SUPPRESS)
    serve.add_argument(
        "--no-report-jobs", action="store_true", help="do not build queued reports in this process"
    )
    serve.add_argument("--no-sender", action="store_true", help="do not send messages to members here")
    serve.add_argument(
        "--db-read",
        default=None,
        metavar="URL",
        help="a PostgreSQL streaming replica for pulls and reports (env BASHGAH_SERVER_DB_READ)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default="",
        metavar="IPS",
        help="reverse proxies (comma-separated addresses or networks) whose X-Forwarded-For names the "
        "client; without it the header is ignored",
    )

    code = add(
        sub,
        "enrollment-code",
        cmd_enrollment_code,
        "print a one-time code to enrol a terminal",
        "enrollment-code",
    )
    code.add_argument("--branch", required=True, help="the branch code the terminal will serve (e.g. THR)")
    code.add_argument("--ttl-hours", type=int, default=24, help="how long the code stays valid (1 to 720)")

    admin = sub.add_parser("admin", help="admin API tokens").add_subparsers(
        dest="admin_command", required=True
    )
    create = add(
        admin, "create", cmd_admin_create, "create an admin API token (printed once)", "admin create"
    )
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=("admin", "manager", "viewer"))
    add(admin, "list", cmd_admin_list, "list admin API tokens (never the tokens themselves)", "admin list")
    revoke = add(admin, "revoke", cmd_admin_revoke, "revoke an admin API token at once", "admin revoke")
    revoke.add_argument("token_id", help="the id `admin create` and `admin list` print")

    demo = sub.add_parser("demo", help="the demo club").add_subparsers(dest="demo_command", required=True)
    seed = add(
        demo, "seed", cmd_demo_seed, "import the terminal's demo club into an empty database", "demo seed"
    )
    seed.add_argument("--if-empty", action="store_true", help="do nothing if a club is already there")
    seed.add_argument("--members", type=whole(0, 1_000_000), default=200, help=argparse.SUPPRESS)
    seed.add_argument("--seed", type=whole(0, 2**63 - 1), default=1404, help=argparse.SUPPRESS)
    _add_event_commands(sub, add)
    _add_programme_commands(sub, add)
    _add_messages_commands(sub, add)
    _add_review_commands(sub, add)
    for commands in (add_user_commands, add_report_commands, add_chip_key_commands):
        commands(sub, add)
    return parser


def _add_review_commands(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    review = sub.add_parser("set-aside", help="entries the server set aside, for review").add_subparsers(
        dest="set_aside_command", required=True
    )
    listed = add(
        review,
        "list",
        cmd_set_aside_list,
        "entries set aside, those waiting first, newest first, with why",
        "set-aside list",
    )
    listed.add_argument("--reason", default=None, help="only those set aside for this reason")
    listed.add_argument("--limit", type=whole(1, 10_000), default=100)
    accept = add(
        review,
        "accept",
        cmd_set_aside_accept,
        "count a set-aside entry after all (audited)",
        "set-aside accept",
    )
    accept.add_argument("entry", help="the entry's id, as `set-aside list` prints it")
    accept.add_argument("--why", required=True, help="the reason, kept in the audit log")
    refuse = add(
        review,
        "refuse",
        cmd_set_aside_refuse,
        "confirm that a set-aside entry counts nowhere, for good (audited; terminals are told)",
        "set-aside refuse",
    )
    refuse.add_argument("entry", help="the entry's id, as `set-aside list` prints it")
    refuse.add_argument(
        "--why", required=True, help="the reason, kept in the audit log and shown at the terminals"
    )


def _add_programme_commands(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    rules = sub.add_parser("rules", help="the club's programme (rule sets)").add_subparsers(
        dest="rules_command", required=True
    )
    export = add(rules, "export", cmd_rules_export, "write the rule set as YAML or JSON", "rules export")
    export.add_argument("file", nargs="?", default=None, help="default: stdout")
    export.add_argument(
        "--format", choices=("yaml", "json"), default=None, help="default: FILE's suffix, else yaml"
    )
    export.add_argument(
        "--version", type=VERSION, default=None, help="an older version (default: the current)"
    )
    imported = add(
        rules,
        "import",
        cmd_rules_import,
        "save a rule-set file as the next version (published)",
        "rules import",
    )
    imported.add_argument("file")
    imported.add_argument("--format", choices=("yaml", "json"), default=None, help="default: FILE's suffix")
    show = add(rules, "show", cmd_rules_show, "the rule set in short (--json: its whole body)", "rules show")
    show.add_argument("--version", type=VERSION, default=None, help="an older version (default: the current)")
    add(rules, "versions", cmd_rules_versions, "every saved version, who saved it and when", "rules versions")
    programme = sub.add_parser("programme", help="the programme's daily chore").add_subparsers(
        dest="programme_command", required=True
    )
    run = add(
        programme, "run", cmd_programme_run, "write what is due: expired points, tiers lost", "programme run"
    )
    run.add_argument("--now", default=None, help="the time to run as of, Jalali or Gregorian (default: now)")
    run.add_argument(
        "--batch", type=whole(1, 100_000), default=1_000, help="members per transaction (default 1000)"
    )


def _providers() -> dict[str, Any]:
    """The channels the environment configures (sync.server.messages.providers.config), or a refusal that
    says which setting is wrong."""
    from sync.server.messages.providers import smtp
    from sync.server.messages.providers.config import configured

    try:
        return configured(os.environ)
    except smtp.SmtpUrlError as error:
        raise RefusedError(str(error)) from None


def _public_url() -> str | None:
    from sync.server.messages.causes import PUBLIC_URL_ENV

    return os.environ.get(PUBLIC_URL_ENV) or None


def _message_sender(db: Database, *, enabled: bool) -> Any:
    """The sender thread (sync.server.messages.sender), started when a provider is configured."""
    from sync.server.messages.sender import SenderChore

    providers = _providers()
    if not enabled or not providers:
        return None
    if "email" in providers and _public_url() is None:
        print(
            "bashgah-server: BASHGAH_PUBLIC_URL is not set: marketing emails need it for their unsubscribe"
            " link and are cancelled without it",
            file=sys.stderr,
        )
    chore = SenderChore(db, providers, public_url=_public_url())
    chore.start()
    return chore


def cmd_messages_send(args: argparse.Namespace, db: Database) -> dict[str, Any] | None:
    from sync.server.messages.sender import Sender

    _require_upgraded(db)
    providers = _providers()
    if not providers:
        raise RefusedError(
            "no provider is configured: BASHGAH_KAVENEGAR_API_KEY or BASHGAH_SMS_WEBHOOK_URL (SMS),"
            " BASHGAH_SMTP_URL (email)"
        )
    if args.once:
        sender = Sender(db, providers, lease_s=args.lease_seconds, public_url=_public_url())
        done = sender.run_once().as_dict()
        if not args.json:
            print(", ".join(f"{key} {value}" for key, value in done.items()))
        return done if args.json else None
    chore = _message_sender(db, enabled=True)
    try:
        threading.Event().wait()  # until interrupted
    except KeyboardInterrupt:
        pass
    finally:
        chore.stop()
    return None


def _add_messages_commands(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    messages = sub.add_parser("messages", help="messages to members").add_subparsers(
        dest="messages_command", required=True
    )
    send = add(messages, "send", cmd_messages_send, "send the outbox's due messages", "messages send")
    send.add_argument("--once", action="store_true", help="send what is due now, then stop")
    # how long a claimed message is another sender's (tests make it short to play a crash)
    send.add_argument("--lease-seconds", type=float, default=300.0, help=argparse.SUPPRESS)
    test = add(
        messages,
        "test",
        cmd_messages_test,
        "send one test message through the configured channel",
        "messages test",
    )
    test.add_argument("--to", required=True, help="an email address (email) or a mobile number (SMS)")
    test.add_argument("--text", default=None, help="the text (default: a short test message in fa and en)")


def _add_event_commands(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    events = sub.add_parser("event", help="club events and their guest lists").add_subparsers(
        dest="event_command", required=True
    )
    create = add(
        events, "create", cmd_event_create, "create an event (published to every door)", "event create"
    )
    create.add_argument("--name", required=True)
    create.add_argument(
        "--starts",
        required=True,
        help="1405/09/30T18:00 (Jalali) or 2026-12-21T18:00: the server's local time, or with +03:30",
    )
    create.add_argument("--ends", required=True, help="as --starts, e.g. 1405/09/30T23:30")
    create.add_argument("--venue", default="")
    create.add_argument("--capacity", type=int, default=None, help="people, plus-ones included")
    create.add_argument("--tier", action="append", default=[], help="invite every member of this tier")
    create.add_argument("--plus-ones", type=int, default=0, help="guests each invited member may bring")
    create.add_argument("--id", default=None, help=argparse.SUPPRESS)  # a scripted retry names its event
    listing = add(events, "list", cmd_event_list, "list events, newest start first", "event list")
    listing.add_argument("--limit", type=int, default=100)
    for name, handler, text in (
        ("show", cmd_event_show, "an event and its counts"),
        ("cancel", cmd_event_cancel, "cancel an event (doors turn everyone away)"),
    ):
        add(events, name, handler, text, f"event {name}").add_argument("event_id")
    invite = add(events, "invite", cmd_event_invite, "invite members by id or phone", "event invite")
    invite.add_argument("event_id")
    invite.add_argument("--member", action="append", help="a member id (repeatable)")
    invite.add_argument("--phone", action="append", help="a member's phone (repeatable)")
    invite.add_argument(
        "--plus-ones", type=int, default=None, help="their own allowance (default: the event's)"
    )
    uninvite = add(events, "uninvite", cmd_event_uninvite, "cancel a member's invitation", "event uninvite")
    uninvite.add_argument("event_id")
    uninvite.add_argument("--member", required=True)
    attendance = add(
        events, "attendance", cmd_event_attendance, "every door's check-ins, merged", "event attendance"
    )
    attendance.add_argument("event_id")
    attendance.add_argument("--csv", action="store_true", help="print CSV (a header, one line a check-in)")
    qr = add(events, "qr", cmd_event_qr, "a member's invitation as a signed QR code", "event qr")
    qr.add_argument("event_id")
    qr.add_argument("--member", required=True)
    qr.add_argument("--png", default=None, help="also write the QR code as a PNG image")


def _fail(code: int, text: str, as_json: bool = False, error: str = "") -> int:
    """One line on stderr; with --json one object on stdout instead, as the terminal's `bashgah` prints
    it: {"error": {"code": …, "message": …, "exit": …}}, so a script reads the result and a refusal alike."""
    if as_json:
        kind = error or ("storage" if code == EXIT_STORAGE else "refused")
        print(json.dumps({"error": {"code": kind, "message": text, "exit": code}}, ensure_ascii=False))
    else:
        print(f"bashgah-server: {text}", file=sys.stderr)
    return code


def _refused(error: Exception, db: Database, as_json: bool) -> int:
    """What a refusal prints (one line, or the JSON error object) and its exit code."""
    if isinstance(error, RulesFileRefusedError) and not as_json:
        print(error, file=sys.stderr)  # FILE:LINE: path: reason, as editors and compilers print it
        return EXIT_REFUSED
    code, text, exit_code = "", str(error), EXIT_REFUSED
    if isinstance(error, ClubError | ApiError):
        code = error.code
        text = error.message if isinstance(error, ApiError) else text
    elif isinstance(error, RulesFileRefusedError):
        code = "rules_file_refused"
    elif isinstance(error, exc.OperationalError | exc.InterfaceError):
        text, exit_code = f"cannot use the database {db.display_url}: {_first_line(error)}", EXIT_STORAGE
    elif isinstance(error, exc.SQLAlchemyError):
        text, exit_code = f"database error on {db.display_url}: {_first_line(error)}", EXIT_STORAGE
    return _fail(exit_code, text, as_json, code)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    refused = argument_refusal(argv, env=(DB_ENV, DB_READ_ENV))
    if refused is not None:  # before any work: such text fails wherever it is stored or printed
        return _fail(EXIT_REFUSED, message(refused, language()))
    args = build_parser().parse_args(argv)
    try:
        db = Database(resolve_url(args.db))
    except ValueError as error:
        return _fail(EXIT_REFUSED, str(error), args.json)
    except ImportError as error:
        return _fail(EXIT_STORAGE, f"the database driver is missing: {error}", args.json)
    try:
        return _run(args, db)
    finally:
        db.dispose()


def _run(args: argparse.Namespace, db: Database) -> int:
    try:
        result = args.handler(args, db)
    except (
        ClubError,
        RefusedError,
        PasswordInputError,
        RulesFileRefusedError,
        ApiError,
        exc.SQLAlchemyError,
    ) as error:
        return _refused(error, db, bool(args.json))
    if result is not None:
        if args.json:
            print(json.dumps(result, ensure_ascii=False, default=str))
        else:
            _print_human(args.label, result)
    return int(getattr(args, "exit_code", 0))  # a command that printed its result may still refuse part


if __name__ == "__main__":
    raise SystemExit(main())
