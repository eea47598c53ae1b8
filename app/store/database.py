# SPDX-License-Identifier: GPL-3.0-or-later
"""Opening the terminal's SQLite file: durability settings, migrations, and transactions.

Every connection runs with WAL, synchronous=FULL and foreign keys on, so a sale the screen shows as done
survives a power cut. Writers take the lock when they begin (BEGIN IMMEDIATE): two writers queue instead
of one failing halfway. Threading: a Database may be shared; each `read()` / `write()` block uses its
own connection on the calling thread.
"""

from __future__ import annotations

import os
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.pool import QueuePool

from app.domain.errors import ClubError

DB_FILENAME = "bashgah.sqlite3"
DEFAULT_BUSY_TIMEOUT_MS = 5_000
_BEGIN = {"DEFERRED": "BEGIN DEFERRED", "IMMEDIATE": "BEGIN IMMEDIATE"}
POOL_SIZE = 2
POOL_OVERFLOW = 8


def _configure(dbapi_connection: sqlite3.Connection, busy_timeout_ms: int) -> None:
    # autocommit at the driver level: SQLAlchemy's begin hook below issues BEGIN itself
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
    finally:
        cursor.close()


def make_engine(path: Path, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Engine:
    """An engine on the SQLite file at path with the terminal's durability settings."""
    # A pool, not a fresh connection per block: closing the last connection to a WAL file checkpoints
    # the WAL into the database and deletes it, and the next connection recreates it, reruns the PRAGMAs
    # and re-reads the schema: five fsyncs a sale instead of one, and half its time (see bench/). Each
    # block checks a connection out, so one thread at a time uses it and the same-thread check can go.
    engine = create_engine(
        f"sqlite:///{path}",
        poolclass=QueuePool,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        connect_args={"check_same_thread": False},
    )
    # A forked child must not use its parent's pooled connections (SQLite forbids it); weakly held so
    # that the hook does not keep every engine ever made alive.
    ref = weakref.ref(engine)
    os.register_at_fork(after_in_child=lambda: (e := ref()) is not None and e.dispose(close=False))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        _configure(dbapi_connection, busy_timeout_ms)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        # on the driver: routed through SQLAlchemy's execution machinery this cost a fifth of a sale
        conn.connection.driver_connection.execute(_BEGIN[mode])

    return engine


def driver(conn: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under conn, in conn's transaction: for the few statements on a hot path."""
    return conn.connection.driver_connection  # type: ignore[return-value]


def fetch_one(conn: Connection, sql: str, params: tuple[object, ...]) -> sqlite3.Row | None:
    """One row by name, straight from the driver (see `driver`)."""
    cursor = driver(conn).cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(sql, params).fetchone()


def translate_error(error: BaseException) -> ClubError | None:
    """The ClubError a storage failure means to the user, or None if it is a bug to surface."""
    original = getattr(error, "orig", error)
    message = str(original).lower()
    if isinstance(original, sqlite3.OperationalError) and ("locked" in message or "busy" in message):
        return ClubError("database_busy")
    if isinstance(original, sqlite3.DatabaseError) and (
        "not a database" in message or "malformed" in message or "corrupt" in message
    ):
        return ClubError("database_corrupt", detail=str(original))
    if isinstance(original, sqlite3.OperationalError) and "unable to open" in message:
        return ClubError("database_unavailable", detail=str(original))
    return None


@contextmanager
def _storage_errors() -> Iterator[None]:
    try:
        yield
    except (exc.OperationalError, exc.DatabaseError, sqlite3.DatabaseError) as error:
        club_error = translate_error(error)
        if club_error is None:
            raise
        raise club_error from error


class Database:
    """The terminal's SQLite file."""

    def __init__(self, path: Path, busy_timeout_ms: int | None = None) -> None:
        self.path = Path(path)
        if busy_timeout_ms is None:
            busy_timeout_ms = int(os.environ.get("BASHGAH_BUSY_TIMEOUT_MS", DEFAULT_BUSY_TIMEOUT_MS))
        self.engine = make_engine(self.path, busy_timeout_ms)

    @classmethod
    def open(cls, data_dir: Path, busy_timeout_ms: int | None = None) -> Database:
        """Open (creating if needed) the store in data_dir and bring its schema up to date."""
        from app.store.migrate import upgrade

        data_dir = Path(data_dir)
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ClubError("database_unavailable", detail=str(error)) from error
        db = cls(data_dir / DB_FILENAME, busy_timeout_ms)
        with _storage_errors():
            upgrade(db.engine)
        return db

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A consistent snapshot for reading."""
        with _storage_errors(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with _storage_errors(), self.engine.connect() as plain:
            conn = plain.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    def integrity_check(self) -> str:
        with self.read() as conn:
            return str(conn.execute(text("PRAGMA integrity_check")).scalar_one())

    def close(self) -> None:
        self.engine.dispose()
