# SPDX-License-Identifier: GPL-3.0-or-later
"""Opening the terminal's SQLite file: durability settings, migrations, and transactions.

Every connection runs with WAL, synchronous=FULL and foreign keys on, so a sale the screen shows as done
survives a power cut. Writers take the lock when they begin (BEGIN IMMEDIATE): two writers queue instead
of one failing halfway. Threading: a Database may be shared; each `read()` / `write()` / `write_driver()`
block uses its own connection on the calling thread.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from app.domain.errors import ClubError

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

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
        # what is deleted or overwritten is zeroed in the file, not left in free space (a member's erased
        # name and photo: app.store.replica); many builds default to it, the one Python ships on Windows not
        cursor.execute("PRAGMA secure_delete = ON")
    finally:
        cursor.close()


def make_engine(path: Path, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Engine:
    """An engine on the SQLite file at path with the terminal's durability settings."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

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


# A transaction as the store's hot-path functions take it: a SQLAlchemy connection from `write()` /
# `read()`, or the bare sqlite3 connection of a `write_driver()` block.
Tx: TypeAlias = "Connection | sqlite3.Connection"  # a string: SQLAlchemy is not imported at start-up


def driver(conn: Tx) -> sqlite3.Connection:
    """The sqlite3 connection under conn, in conn's transaction: for the few statements on a hot path."""
    if isinstance(conn, sqlite3.Connection):
        return conn
    return conn.connection.driver_connection  # type: ignore[return-value]


def fetch_one(conn: Tx, sql: str, params: tuple[object, ...]) -> sqlite3.Row | None:
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
    except Exception as error:  # sqlite3's errors, bare or wrapped by SQLAlchemy (its `orig`)
        club_error = translate_error(error)
        if club_error is None:
            raise
        raise club_error from error


class _DriverPool:
    """Bare sqlite3 connections for `Database.write_driver`, configured like the engine's, kept open.

    Kept open for the engine pool's reason (closing the last connection to a WAL file checkpoints and
    deletes it). Not SQLAlchemy's pool: its checkout, reset and events cost four times the bare stack.
    """

    def __init__(self, path: Path, busy_timeout_ms: int) -> None:
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self.idle: list[sqlite3.Connection] = []
        self.lock = threading.Lock()
        ref = weakref.ref(self)
        # a forked child must not use its parent's connections: drop them, as the engine's pool does
        os.register_at_fork(after_in_child=lambda: (p := ref()) is not None and p.forget())

    def get(self) -> sqlite3.Connection:
        with self.lock:
            if self.idle:
                return self.idle.pop()
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        _configure(conn, self.busy_timeout_ms)
        return conn

    def put(self, conn: sqlite3.Connection) -> None:
        """Take back a connection that is out of any transaction."""
        with self.lock:
            if len(self.idle) < POOL_SIZE:
                self.idle.append(conn)
                return
        conn.close()

    def forget(self) -> None:
        self.idle = []
        self.lock = threading.Lock()

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for conn in idle:
            conn.close()


def _end(conn: sqlite3.Connection) -> bool:
    """Roll back whatever conn still has open; False if conn is no longer fit to reuse."""
    if not conn.in_transaction:
        return True
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        return False
    return True


class Database:
    """The terminal's SQLite file.

    The SQLAlchemy engine is made on first use: importing SQLAlchemy costs the window's cold start ~0.2 s,
    and what the login screen reads before its first frame (app.store.start_up) runs on the driver.
    """

    def __init__(self, path: Path, busy_timeout_ms: int | None = None) -> None:
        self.path = Path(path)
        if busy_timeout_ms is None:
            busy_timeout_ms = int(os.environ.get("BASHGAH_BUSY_TIMEOUT_MS", DEFAULT_BUSY_TIMEOUT_MS))
        self._busy_timeout_ms = busy_timeout_ms
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._drivers = _DriverPool(self.path, busy_timeout_ms)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    self._engine = make_engine(self.path, self._busy_timeout_ms)
        return self._engine

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
            upgrade(db)
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

    @contextmanager
    def read_driver(self) -> Iterator[sqlite3.Connection]:
        """`read()` on a bare sqlite3 connection: a consistent snapshot without SQLAlchemy (start-up)."""
        with _storage_errors():
            conn = self._drivers.get()
            try:
                conn.execute("BEGIN DEFERRED")
                yield conn
            finally:
                if _end(conn):
                    self._drivers.put(conn)
                else:
                    conn.close()

    @contextmanager
    def write_driver(self) -> Iterator[sqlite3.Connection]:
        """`write()` for a hot path (a sale): the same transaction and durability, on a bare sqlite3
        connection. SQLAlchemy's checkout, begin, commit and check-in cost ~110 µs a transaction against
        ~10 µs here (see bench/). The store's hot-path functions take either kind (`Tx`).
        """
        with _storage_errors():
            conn = self._drivers.get()
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            finally:
                if _end(conn):  # rolled back unless COMMIT ran
                    self._drivers.put(conn)
                else:
                    conn.close()

    def forget_deleted(self) -> bool:
        """Move everything committed from the write-ahead log into the file and empty the log: old versions of
        overwritten rows (an erased member's) live on in the log's frames until then. False when a reader
        kept the log from being emptied (try again later)."""
        with _storage_errors(), self.engine.connect() as conn:
            busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            conn.commit()
        return int(busy) == 0

    def integrity_check(self) -> str:
        with self.read_driver() as conn:
            return "\n".join(str(row[0]) for row in conn.execute("PRAGMA integrity_check"))

    def close(self) -> None:
        self._drivers.close()
        if self._engine is not None:
            self._engine.dispose()
