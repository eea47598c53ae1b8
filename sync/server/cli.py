# SPDX-License-Identifier: GPL-3.0-or-later
"""The `bashgah-server` command: the club server and its chores.

    bashgah-server [--db URL] db upgrade
    bashgah-server [--db URL] serve [--host 127.0.0.1] [--port 8750] [--workers N]
    bashgah-server [--db URL] enrollment-code --branch CODE [--ttl-hours 24]
    bashgah-server [--db URL] admin create --name NAME --role admin|manager|viewer
    bashgah-server [--db URL] admin list
    bashgah-server [--db URL] admin revoke TOKEN_ID
    bashgah-server [--db URL] demo seed [--if-empty]

The database is --db (a SQLAlchemy URL: postgresql+psycopg://user@host/db, sqlite:///FILE), else env
BASHGAH_SERVER_DB, else a SQLite file in the user data dir. `--json` prints one JSON object. A refusal
prints one line on stderr and exits 2; a database that cannot be opened exits 3.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import exc

from sync.server import migrate
from sync.server.clock import SystemClock
from sync.server.db import DB_ENV, Database, resolve_url
from sync.server.errors import ApiError

EXIT_REFUSED = 2
EXIT_STORAGE = 3
DEFAULT_PORT = 8750


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


def cmd_serve(args: argparse.Namespace, db: Database) -> None:
    import uvicorn

    _require_upgraded(db)
    if args.workers < 1:
        raise RefusedError("--workers must be at least 1")
    print(f"bashgah-server: serving http://{args.host}:{args.port} on {db.display_url}", file=sys.stderr)
    if args.workers == 1:
        from sync.server.app import create_app

        uvicorn.run(create_app(db), host=args.host, port=args.port, log_level=args.log_level)
        return
    # each worker process builds its own app (and engine) from the environment
    os.environ[DB_ENV] = db.url.render_as_string(hide_password=False)
    db.dispose()
    uvicorn.run(
        "sync.server.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
    )


def cmd_enrollment_code(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    from sync.server import enrolment
    from sync.server.alerts import audit

    _require_upgraded(db)
    now = SystemClock().now_us()

    def work(conn: Any) -> enrolment.IssuedCode:
        issued = enrolment.issue_code(conn, args.branch, args.ttl_hours, now, "cli")
        audit(conn, now, "cli", "issue_enrollment_code", issued.branch_code)
        return issued

    issued = db.write(work)
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


# ---- output ---------------------------------------------------------------------------------------


def _print_human(command: str, result: dict[str, Any]) -> None:
    if command == "enrollment-code":
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
    elif command == "demo seed":
        _print_demo(result)


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


def _when(at_us: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(at_us / 1_000_000, UTC).strftime("%Y-%m-%d %H:%M UTC")


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
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (more than 1: a process each)"
    )
    serve.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
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
    seed.add_argument("--members", type=int, default=200, help=argparse.SUPPRESS)
    seed.add_argument("--seed", type=int, default=1404, help=argparse.SUPPRESS)
    return parser


def _fail(code: int, message: str) -> int:
    print(f"bashgah-server: {message}", file=sys.stderr)
    return code


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        db = Database(resolve_url(args.db))
    except ValueError as error:
        return _fail(EXIT_REFUSED, str(error))
    except ImportError as error:
        return _fail(EXIT_STORAGE, f"the database driver is missing: {error}")
    try:
        return _run(args, db)
    finally:
        db.dispose()


def _run(args: argparse.Namespace, db: Database) -> int:
    try:
        result = args.handler(args, db)
    except RefusedError as error:
        return _fail(EXIT_REFUSED, str(error))
    except ApiError as error:
        return _fail(EXIT_REFUSED, error.message)
    except (exc.OperationalError, exc.InterfaceError) as error:
        return _fail(EXIT_STORAGE, f"cannot use the database {db.display_url}: {_first_line(error)}")
    except exc.SQLAlchemyError as error:
        return _fail(EXIT_STORAGE, f"database error on {db.display_url}: {_first_line(error)}")
    if result is not None:
        if args.json:
            print(json.dumps(result, ensure_ascii=False, default=str))
        else:
            _print_human(args.label, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
