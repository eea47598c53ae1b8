# SPDX-License-Identifier: GPL-3.0-or-later
"""Every server test runs twice: on SQLite and on a real PostgreSQL (a fresh database per test).

Each backend gets one migrated template per session (a SQLite file, a PostgreSQL template database);
a test's database is a copy, so a fresh schema costs a file copy or a CREATE DATABASE … TEMPLATE.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sync.server import migrate
from sync.server.app import create_app
from sync.server.db import Database
from tests.server.club import T0, FakeClock, Terminal, admin_token, enroll, install_club
from tests.support.postgres import PostgresCluster, PostgresUnavailableError, unavailable
from tests.support.server_process import server_process, server_process_factory  # noqa: F401

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres() -> PostgresCluster:
    cluster = PostgresCluster()
    try:
        cluster.ensure_running()
    except PostgresUnavailableError as error:
        unavailable(str(error))
    return cluster


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresCluster) -> Iterator[str]:
    url = postgres.create_database()
    db = Database(url)
    migrate.upgrade(db, T0)
    db.dispose()  # a template must have no connections while it is copied
    try:
        yield url
    finally:
        postgres.drop_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "server.sqlite3"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db, T0)
    with db.engine.connect() as conn:  # fold the WAL into the file, so a copy of the file is complete
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, upgraded database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "server.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    url = cluster.create_database(template=request.getfixturevalue("postgres_template"))
    try:
        yield url
    finally:
        cluster.drop_database(url)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(db: Database, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(db, clock)) as test_client:
        yield test_client


@pytest.fixture
def club_db(db: Database) -> Database:
    """The database with the test club's tiers and branches."""
    install_club(db)
    return db


@pytest.fixture
def terminal(club_db: Database) -> Terminal:
    return enroll(club_db)


@pytest.fixture
def admin(club_db: Database) -> dict[str, str]:
    return {"Authorization": f"Bearer {admin_token(club_db)}"}
