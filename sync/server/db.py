# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's database: one engine, read snapshots and write transactions, on PostgreSQL or SQLite.

PostgreSQL is the production database (psycopg 3); SQLite serves the demo and small clubs. Writes run in
`Database.write(work)`, which commits or rolls back and retries the whole unit of work when PostgreSQL
breaks a deadlock or a serialisation conflict (another worker's transaction won; running it again is
correct because the work is a function of the database it reads). A unique violation is retried too, at
most UNIQUE_RETRIES times: under READ COMMITTED two copies of one idempotent request can both look for
the stored answer before either commits, and the second's insert then breaks the unique index. Run
again, it sees the committed row and answers with it. A real conflict (another body under a known key)
fails the same way on the re-run and is answered as before. On SQLite a write takes the file's lock when
it begins (BEGIN IMMEDIATE), so writers queue and a copy always sees what an earlier one committed.

Reads run in `Database.read()`: one snapshot for the whole block (REPEATABLE READ on PostgreSQL, one
deferred transaction on SQLite), which the pull needs to merge two tables without missing a commit that
lands between its two queries.

A read replica (`Database(url, read_url=…)`, `serve --db-read`, env BASHGAH_SERVER_DB_READ): a second
engine on a PostgreSQL streaming replica, for reads that tolerate a little lag (`Database.replica_read()`:
the pull, which checks what it may serve (sync.server.pull), and the reports). Without one,
`replica_read()` is `read()`. What must see the primary (a read before a write, an answer the caller
just wrote) keeps `read()`.

Threading: a Database is shared by the server's worker threads; each block uses its own connection.

Connections (PostgreSQL): each process keeps a pool of `pool_size` connections and opens up to
`max_overflow` more in a burst; a request that finds all of them busy waits `pool_timeout_s` for one and is
then answered 503 with Retry-After (sync.server.errors), which terminals retry with jitter. Left unset they
come from BASHGAH_SERVER_DB_POOL, BASHGAH_SERVER_DB_OVERFLOW and BASHGAH_SERVER_DB_POOL_TIMEOUT (`serve
--db-pool/--db-overflow/--db-pool-timeout` set these for its workers), else 5, 10 and 10 s. A server of N
workers may hold N · (pool + overflow) connections, plus one pool for its background chores: keep that
under PostgreSQL's max_connections (100 by default) less what else uses the database.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Engine,
    Table,
    any_,
    create_engine,
    event,
    exc,
    literal,
)
from sqlalchemy.engine import URL, make_url

DB_ENV = "BASHGAH_SERVER_DB"
DB_READ_ENV = "BASHGAH_SERVER_DB_READ"
APP_NAME = "bashgah-server"
DB_FILENAME = "server.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_RETRIES = 5
# PostgreSQL's "try again" states: serialization_failure, deadlock_detected
RETRYABLE_SQLSTATES = {"40001", "40P01"}
UNIQUE_VIOLATION = "23505"
# a copy that lost the race sees the winner's row on its first re-run; a second covers a third copy's
# row under another unique key of the same work, and a real conflict costs no more than this
UNIQUE_RETRIES = 2
POOL_ENV = "BASHGAH_SERVER_DB_POOL"
OVERFLOW_ENV = "BASHGAH_SERVER_DB_OVERFLOW"
POOL_TIMEOUT_ENV = "BASHGAH_SERVER_DB_POOL_TIMEOUT"
DEFAULT_POOL_SIZE = 5
DEFAULT_MAX_OVERFLOW = 10
# shorter than a terminal's read timeout (sync.client.DEFAULT_TIMEOUTS, 30 s): the server says "busy, come
# back" before the terminal gives up on an answer that is still coming
DEFAULT_POOL_TIMEOUT_S = 10.0

T = TypeVar("T")


def default_url() -> str:
    """A SQLite file in the platform's user data dir (the demo's database)."""
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir(APP_NAME)) / DB_FILENAME}"


def resolve_url(url: str | None) -> str:
    """--db, else the environment, else the default."""
    return url or os.environ.get(DB_ENV) or default_url()


def parse_url(url: str) -> URL:
    """The URL as SQLAlchemy reads it; ValueError for one it cannot use."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError as error:
        raise ValueError(f"not a database URL: {url!r}") from error
    backend = parsed.get_backend_name()
    if backend == "postgres":  # the spelling many hosting services hand out
        parsed, backend = parsed.set(drivername="postgresql"), "postgresql"
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported database {backend!r}: use postgresql+psycopg://… or sqlite:///FILE")
    if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver we ship
    if backend == "sqlite" and not parsed.database:
        raise ValueError("an in-memory SQLite database cannot be shared by the server's workers; name a file")
    return parsed


def resolve_read_url(url: str | None) -> str | None:
    """--db-read, else the environment, else None (no replica: every read on the primary)."""
    return url or os.environ.get(DB_READ_ENV) or None


def pool_settings(
    pool_size: int | None = None, max_overflow: int | None = None, pool_timeout_s: float | None = None
) -> tuple[int, int, float]:
    """(pool size, overflow, timeout): those given, else the environment's, else the defaults;
    ValueError for a setting that is not a number or is negative (a pool of 0 is not one)."""

    def setting(given: float | None, env: str, default: float, kind: type) -> Any:
        if given is not None:
            value = given
        else:
            text = os.environ.get(env, "").strip()
            try:
                value = kind(text) if text else default
            except ValueError:
                raise ValueError(f"{env}={text!r} is not a number") from None
        if value < 0:
            raise ValueError(f"{env} must not be negative")
        return value

    size = setting(pool_size, POOL_ENV, DEFAULT_POOL_SIZE, int)
    if size < 1:
        raise ValueError(f"{POOL_ENV} must be at least 1")
    return (
        size,
        setting(max_overflow, OVERFLOW_ENV, DEFAULT_MAX_OVERFLOW, int),
        float(setting(pool_timeout_s, POOL_TIMEOUT_ENV, DEFAULT_POOL_TIMEOUT_S, float)),
    )


class Database:
    def __init__(
        self,
        url: str,
        *,
        pool_size: int | None = None,
        max_overflow: int | None = None,
        pool_timeout_s: float | None = None,
        read_url: str | None = None,
    ) -> None:
        self.url = parse_url(url)
        self.dialect = self.url.get_backend_name()
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(self.url)
            # SQLite has one writer. Waiting for it in SQLite's busy handler is a poll with sleeps, in which
            # a thread can lose every round for the whole busy timeout while others write (a push through
            # six threads at once failed as "database is locked"); this process's writers queue on a lock
            # instead, and the busy timeout is left to other processes on the same file.
            self._writer: AbstractContextManager[Any] = threading.Lock()
        else:
            self._writer = nullcontext()  # PostgreSQL's writers run together: row locks order them
            size, overflow, timeout_s = pool_settings(pool_size, max_overflow, pool_timeout_s)
            self.engine = create_engine(
                self.url, pool_size=size, max_overflow=overflow, pool_timeout=timeout_s, pool_pre_ping=True
            )
        self.read_url: URL | None = None
        self.read_engine: Engine | None = None
        if read_url:
            self.attach_replica(
                read_url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout_s=pool_timeout_s
            )

    def attach_replica(
        self,
        read_url: str,
        *,
        pool_size: int | None = None,
        max_overflow: int | None = None,
        pool_timeout_s: float | None = None,
    ) -> None:
        """Serve `replica_read()` from a PostgreSQL streaming replica of this database (its pool sized
        like the primary's)."""
        parsed = parse_url(read_url)
        if self.dialect != "postgresql" or parsed.get_backend_name() != "postgresql":
            raise ValueError("a read replica needs PostgreSQL for both the database and the replica")
        size, overflow, timeout_s = pool_settings(pool_size, max_overflow, pool_timeout_s)
        self.read_url = parsed
        self.read_engine = create_engine(
            parsed, pool_size=size, max_overflow=overflow, pool_timeout=timeout_s, pool_pre_ping=True
        )

    @property
    def has_replica(self) -> bool:
        return self.read_engine is not None

    @property
    def display_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One consistent snapshot for the whole block; nothing is written."""
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def replica_read(self) -> Iterator[Connection]:
        """`read()` on the replica when there is one: a snapshot that may lag the primary by a moment
        (a few seconds when the replica is busy); `read()` itself when there is none."""
        if self.read_engine is None:
            with self.read() as conn:
                yield conn
            return
        with self.read_engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def write(self, work: Callable[[Connection], T], retries: int = WRITE_RETRIES) -> T:
        """Run work(conn) in one transaction and commit; again from the start if PostgreSQL asks, or
        once a unique index refused what a concurrent transaction committed first."""
        unique_left = UNIQUE_RETRIES
        for attempt in range(retries + 1):
            try:
                with self._writer, self.engine.connect() as conn:
                    conn.execution_options(sqlite_begin="IMMEDIATE")
                    with conn.begin():
                        return work(conn)
            except exc.DBAPIError as error:
                state = _sqlstate(error)
                if attempt == retries:
                    raise
                if state == UNIQUE_VIOLATION and unique_left > 0:
                    unique_left -= 1  # the winner has committed: at once, no back-off
                    continue
                if state not in RETRYABLE_SQLSTATES:
                    raise
                time.sleep(0.005 * (attempt + 1))
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not None:
            self.read_engine.dispose()


def _sqlstate(error: exc.DBAPIError) -> str | None:
    """PostgreSQL's SQLSTATE of the error (psycopg sets it); None on SQLite."""
    return getattr(error.orig, "sqlstate", None)


def _sqlite_engine(url: URL) -> Engine:
    Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # autocommit at the driver: the begin hook below issues BEGIN itself, in the mode asked for
        dbapi_connection.isolation_level = None
        for pragma in (
            f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
            "PRAGMA foreign_keys = ON",
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = FULL",
        ):
            dbapi_connection.execute(pragma)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def dialect_insert(conn: Connection, table: Table) -> Any:
    """INSERT with ON CONFLICT clauses (`on_conflict_do_nothing` / `_do_update`) for conn's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def one_of(conn: Connection, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values`, as one array parameter (`= ANY(…)`) on PostgreSQL.

    A push asks about a thousand ids at a time. Spelled as IN, every count is a new statement of a
    thousand parameters that SQLAlchemy renders and psycopg parses anew (a fifth of a push's time); as
    one array, the statement is the same every time. SQLite has no arrays and keeps IN.
    """
    listed = list(values)
    if conn.dialect.name == "postgresql":
        return column == any_(literal(listed, ARRAY(column.type)))
    return column.in_(listed)
