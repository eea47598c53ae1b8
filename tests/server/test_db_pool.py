# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's database pool: its size from `serve --db-pool/--db-overflow/--db-pool-timeout` or the
environment, and a request that finds every connection busy past the timeout answered 503 with
Retry-After (which terminals honour, with jitter), not a 500."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from sync.server.app import create_app
from sync.server.cli import main
from sync.server.db import (
    DEFAULT_MAX_OVERFLOW,
    DEFAULT_POOL_SIZE,
    DEFAULT_POOL_TIMEOUT_S,
    OVERFLOW_ENV,
    POOL_ENV,
    POOL_TIMEOUT_ENV,
    Database,
    pool_settings,
)
from tests.support.postgres import PostgresCluster


def test_the_pool_comes_from_the_arguments_else_the_environment_else_the_defaults(monkeypatch):
    for env in (POOL_ENV, OVERFLOW_ENV, POOL_TIMEOUT_ENV):
        monkeypatch.delenv(env, raising=False)
    assert pool_settings() == (DEFAULT_POOL_SIZE, DEFAULT_MAX_OVERFLOW, DEFAULT_POOL_TIMEOUT_S)
    monkeypatch.setenv(POOL_ENV, "12")
    monkeypatch.setenv(OVERFLOW_ENV, "0")
    monkeypatch.setenv(POOL_TIMEOUT_ENV, "2.5")
    assert pool_settings() == (12, 0, 2.5)
    assert pool_settings(3, 4, 1.0) == (3, 4, 1.0)
    for env, bad in ((POOL_ENV, "many"), (POOL_ENV, "0"), (OVERFLOW_ENV, "-1")):
        monkeypatch.setenv(env, bad)
        with pytest.raises(ValueError, match=env):
            pool_settings()
        monkeypatch.setenv(env, "1")


def test_serve_refuses_a_pool_of_nothing(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["--db", f"sqlite:///{tmp_path / 's.sqlite3'}", "serve", "--db-pool", "0"])
    assert "--db-pool" in capsys.readouterr().err


@pytest.fixture
def pg_url(postgres: PostgresCluster, postgres_template: str):
    url = postgres.create_database(template=postgres_template)
    try:
        yield url
    finally:
        postgres.drop_database(url)


def test_a_busy_pool_is_answered_503_with_retry_after(pg_url):
    db = Database(pg_url, pool_size=1, max_overflow=0, pool_timeout_s=0.2)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.read():
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        with TestClient(create_app(db)) as client:
            busy = client.get("/v1/health")
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= 1
        assert busy.json()["detail"]["code"] == "storage_unavailable"
    finally:
        release.set()
        holder.join()
        db.dispose()
