# SPDX-License-Identifier: GPL-3.0-or-later
"""Pulls through a server that reads a real PostgreSQL streaming replica (`serve --db-read`).

The replica is a hot standby of the machine's cluster (tests/support/postgres.py's PostgresReplica,
one for the session). A page read there is the page the primary gives; and when the replica lags for real
(its replay paused), a terminal is never served from behind what it has seen: after its own push it gets
its own entries (from the primary, once the replica kept it waiting), and a cursor it got further on the
primary is answered from the primary, never with a page that would take it back. Reports read the
replica too.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import delete, insert

from app.services.checkout import SaleRequest, record_sale
from app.services.terminal import Terminal
from app.store.device_token import read_token
from sync.client import SyncClient
from sync.server import pull
from sync.server.club.access import CONSOLE
from sync.server.club.act import Call
from sync.server.db import Database as ServerDatabase
from sync.server.models import TIER
from sync.server.reports import filtering
from tests.integration.sync.conftest import THR, ClubServer, _install_club
from tests.support.postgres import PostgresCluster, PostgresReplica
from tests.support.server_process import ServerProcess, server_command

PAGE = 7  # small pages, so that a few sales make several


@dataclass
class Setup:
    cluster: PostgresCluster
    replica: PostgresReplica
    db_url: str
    replicated: ClubServer  # pulls read the replica (`serve --workers 2 --db-read …`)
    primary_only: ClubServer  # the same database, no replica
    members: list[str]


@pytest.fixture(scope="module")
def setup(postgres_replica: PostgresReplica, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    cluster = postgres_replica.primary
    url = cluster.create_database()
    db = ServerDatabase(url)
    try:
        token = _install_club(db)
    finally:
        db.dispose()
    postgres_replica.wait_caught_up()
    log_dir = tmp_path_factory.mktemp("replica-servers")
    # two workers: each builds its app from the environment, the replica's URL with it
    replicated = ServerProcess(
        url, log_dir=log_dir, workers=2, serve_args=["--db-read", postgres_replica.url(url)]
    )
    primary_only = ServerProcess(url, log_dir=log_dir)
    try:
        replicated.start()
        primary_only.start()
        server = ClubServer(replicated, token)
        server.add_manager()
        members = [
            server.admin(
                "POST", "/members", json={"name": f"M {n}", "phone": f"0912300{n:04d}", "branch_id": THR}
            )["id"]
            for n in range(3)
        ]
        yield Setup(cluster, postgres_replica, url, server, ClubServer(primary_only, token), members)
    finally:
        replicated.stop()
        primary_only.stop()
        postgres_replica.resume_replay()  # whatever a failed test left
        cluster.drop_database(url)


@dataclass
class Page:
    body: dict[str, Any]
    read_from: str
    elapsed_s: float

    @property
    def seqs(self) -> list[int]:
        return [change["seq"] for change in self.body["changes"]]

    @property
    def entry_ids(self) -> set[str]:
        return {c["entry"]["id"] for c in self.body["changes"] if c["kind"] == "entry"}


def _pull(server: ClubServer, terminal: Terminal, since: int, limit: int = 1000) -> Page:
    """One raw pull with the terminal's token, as its sync client would ask (with every optional kind)."""
    params = {
        "since": since,
        "limit": limit,
        "set_aside": "true",
        "set_aside_resolved": "true",
        "unlocks": "true",
    }
    headers = {"Authorization": f"Bearer {read_token(terminal.data_dir)}"}
    began = time.monotonic()
    response = requests.get(server.url + "/v1/sync/pull", params=params, headers=headers, timeout=30)
    elapsed = time.monotonic() - began
    assert response.status_code == 200, response.text
    return Page(response.json(), response.headers[pull.READ_FROM_HEADER], elapsed)


def _primary_page(db_url: str, since: int, limit: int) -> dict[str, Any]:
    db = ServerDatabase(db_url)
    try:
        with db.read() as conn:
            return json.loads(pull.page_json(conn, since, limit, 0))
    finally:
        db.dispose()


def _replica_counter(setup: Setup) -> int:
    name = setup.db_url.split("?", maxsplit=1)[0].rsplit("/", maxsplit=1)[-1]
    with setup.replica.connect(name) as conn:
        return int(conn.execute("SELECT value FROM sync_counter").fetchone()[0])


def _sell(terminal: Terminal, member_id: str, times: int) -> set[str]:
    made: set[str] = set()
    for n in range(times):
        made.update(record_sale(terminal, SaleRequest(member_id, 1_000_000 * (n + 1))).entry_ids)
    return made


def _cursor(client: SyncClient) -> int:
    return client.status().cursor


def test_pages_read_from_the_replica_are_the_primarys(setup: Setup, tmp_path: Path):
    terminal, client = setup.replicated.enroll(tmp_path / "till")
    made = _sell(terminal, setup.members[0], 10)
    assert client.sync_round().ok
    assert client.status().synced
    setup.replica.wait_caught_up()
    since, seen = 0, set()
    while True:
        page = _pull(setup.replicated, terminal, since, limit=PAGE)
        assert page.read_from == "replica"
        expected = _primary_page(setup.db_url, since, PAGE)
        assert {**page.body, "server_time_us": 0} == {**expected, "server_time_us": 0}
        assert page.body["next_cursor"] >= since
        seen |= page.entry_ids
        since = page.body["next_cursor"]
        if not page.body["more"]:
            break
    assert made <= seen
    terminal.db.close()


def test_a_lagging_replica_never_takes_a_cursor_back(setup: Setup, tmp_path: Path):
    seller, seller_client = setup.replicated.enroll(tmp_path / "seller")
    reader, reader_client = setup.replicated.enroll(tmp_path / "reader")
    assert seller_client.sync_round().ok and reader_client.sync_round().ok
    setup.replica.wait_caught_up()
    before_push = _cursor(seller_client)
    setup.replica.pause_replay()
    try:
        # the replica really lags: what the seller pushes now is on the primary only
        made = _sell(seller, setup.members[1], 3)
        assert seller_client.push().pushed == len(made)
        lagging = _replica_counter(setup)
        assert _primary_page(setup.db_url, lagging, 1000)["changes"], "the push reached the primary"

        # the seller's next pull reaches its own entries: the replica lacks its push, so after a bounded
        # wait the page comes from the primary
        own = _pull(setup.replicated, seller, before_push)
        assert own.read_from == "primary"
        assert made <= own.entry_ids
        assert pull.REPLICA_WAIT_S <= own.elapsed_s < pull.REPLICA_WAIT_S + 10
        assert seller_client.pull().cursor > lagging
        assert seller_client.status().synced

        # the reader saw nothing of it yet: the replica may answer it, and its cursor does not go back
        reader_cursor = _cursor(reader_client)
        stale = _pull(setup.replicated, reader, reader_cursor)
        assert stale.read_from == "replica"
        assert stale.body["next_cursor"] >= reader_cursor
        assert not (made & stale.entry_ids), "the replica was not behind"
        assert reader_client.sync_round().ok
        assert _cursor(reader_client) >= reader_cursor

        # a cursor the reader got further on the primary (another server without the replica) is never
        # answered from the replica, which is behind it: the page comes from the primary, after it
        ahead = _pull(setup.primary_only, reader, reader_cursor).body["next_cursor"]
        assert ahead > lagging
        answered = _pull(setup.replicated, reader, ahead)
        assert answered.read_from == "primary"
        assert answered.body["next_cursor"] >= ahead
        assert all(seq > ahead for seq in answered.seqs)
    finally:
        setup.replica.resume_replay()
    setup.replica.wait_caught_up()
    caught_up = _pull(setup.replicated, reader, ahead)
    assert caught_up.read_from == "replica"
    assert caught_up.body["next_cursor"] >= ahead
    assert reader_client.sync_round().ok
    assert made <= _entry_ids_held(reader)
    seller.db.close()
    reader.db.close()


def _entry_ids_held(terminal: Terminal) -> set[str]:
    with terminal.db.read() as conn:
        return {str(row[0]) for row in conn.exec_driver_sql("SELECT id FROM ledger_entry")}


def test_a_replica_that_does_not_answer_is_bypassed(setup: Setup, tmp_path: Path):
    """A replica URL that nothing answers: every page comes from the primary, and syncing goes on."""
    gone = f"postgresql+psycopg://{setup.cluster.user}@/nothing?host={tmp_path}&port=1"
    process = ServerProcess(setup.db_url, log_dir=tmp_path, serve_args=["--db-read", gone])
    with process:
        server = ClubServer(process, setup.replicated.admin_token)
        terminal, client = server.enroll(tmp_path / "till")
        _sell(terminal, setup.members[2], 2)
        assert client.sync_round().ok and client.status().synced
        assert _pull(server, terminal, 0).read_from == "primary"
    terminal.db.close()


def test_reports_read_the_replica(setup: Setup):
    """The reports' reads go to the replica when one is configured: one that lags does not show yet
    what the primary holds, and shows it once it has replayed it."""
    db = ServerDatabase(setup.db_url, read_url=setup.replica.url(setup.db_url))
    call = Call(db, 0, CONSOLE)
    tier = {"code": "lagging", "name_fa": "عقب", "name_en": "Lagging", "rank": 999}
    try:
        with db.replica_read() as conn:
            assert conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar()
        setup.replica.wait_caught_up()
        setup.replica.pause_replay()
        try:
            with db.engine.begin() as conn:
                conn.execute(insert(TIER).values(**tier, threshold_points=10**12, multiplier_percent=100))
            assert "lagging" not in {t.code for t in filtering.choices(call).tiers}
        finally:
            setup.replica.resume_replay()
        setup.replica.wait_caught_up()
        assert "lagging" in {t.code for t in filtering.choices(call).tiers}
    finally:
        with db.engine.begin() as conn:
            conn.execute(delete(TIER).where(TIER.c.code == "lagging"))
        db.dispose()


def test_a_replica_needs_postgresql(setup: Setup, tmp_path: Path):
    command = [*server_command(), "--db", setup.db_url, "serve", "--db-read", f"sqlite:///{tmp_path / 'x'}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "read replica needs PostgreSQL" in result.stderr
