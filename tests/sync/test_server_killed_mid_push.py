# SPDX-License-Identifier: GPL-3.0-or-later
"""The club server is SIGKILLed while a terminal pushes a large backlog: nothing is lost, nothing is
counted twice.

A terminal enrolled with a real `bashgah-server` on a real PostgreSQL holds six batches of sales (earning
entries sealed by the store's own insert path, and a few sales spending points on the offline grant).
Its push runs on a thread; once the first batch's rows are in the server's database (the push is under
way, several batches still to go) the server is killed with SIGKILL: the batch in flight dies with it,
uncommitted or committed but unanswered. The server starts again on the same database and the terminal
syncs until it says synced. Then the server holds every entry of the terminal exactly once and nothing
set aside, its balances are the sums of its ledger and equal the terminal's for every member, and the
device's chain head on the server is the terminal's.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.domain.ids import uuid7
from app.domain.ledger import EntryDraft, EntryKind
from app.services.checkout import SaleRequest, record_sale
from app.store import ledger
from sync.client import NO_RETRIES, SyncClient, SyncError
from sync.protocol import MAX_PUSH_ENTRIES
from sync.server.db import Database as ServerDatabase
from tests.integration.sync.conftest import THR, ClubServer, _install_club
from tests.support.postgres import PostgresCluster, PostgresUnavailableError, unavailable
from tests.support.server_process import ServerProcess

BATCHES = 6
MEMBERS = 6
DEADLINE_S = 60.0


@pytest.fixture
def cluster_db() -> Iterator[tuple[PostgresCluster, str]]:
    cluster = PostgresCluster()
    try:
        cluster.ensure_running()
    except PostgresUnavailableError as error:
        unavailable(str(error))
    url = cluster.create_database()
    try:
        yield cluster, url
    finally:
        cluster.drop_database(url)


def _backlog(terminal: Any, members: list[str], count: int) -> None:
    rng = random.Random(16)
    now_us = time.time_ns() // 1000
    drafts = []
    for n in range(count):
        amount = rng.randrange(100_000, 10_000_000, 1_000)
        drafts.append(
            EntryDraft(
                id=str(uuid7((now_us + n) // 1000, rng.randbytes(10))),
                created_at_us=now_us + n,
                branch_id=THR,
                member_id=rng.choice(members),
                kind=EntryKind.EARN,
                points_delta=amount // 100_000,
                sale_amount=amount,
                invoice_ref=f"K-{n}",
            )
        )
    with terminal.db.write() as conn:
        ledger.append(conn, terminal.device_id, drafts)


def _server_rows(cluster: PostgresCluster, dbname: str, device_id: str) -> dict[str, Any]:
    with cluster.connect(dbname) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM ledger_entry WHERE device_id = %s", (device_id,))]
        return {
            "ids": [str(i) for i in ids],
            "set_aside": conn.execute("SELECT count(*) FROM rejected_entry").fetchone()[0],
            "balances": {
                r[0]: (int(r[1]), int(r[2]))
                for r in conn.execute("SELECT member_id, points, wallet_rials FROM member_balance")
            },
            "sums": {
                r[0]: (int(r[1]), int(r[2]))
                for r in conn.execute(
                    "SELECT member_id, SUM(points_delta), SUM(cash_delta) FROM ledger_entry"
                    " GROUP BY member_id"
                )
            },
            "head": tuple(
                conn.execute("SELECT last_seq, head_hash FROM device WHERE id = %s", (device_id,)).fetchone()
            ),
        }


def _count(cluster: PostgresCluster, dbname: str, device_id: str) -> int:
    with cluster.connect(dbname) as conn:
        row = conn.execute("SELECT count(*) FROM ledger_entry WHERE device_id = %s", (device_id,)).fetchone()
        return int(row[0])


def test_a_server_killed_during_a_push_loses_nothing_and_counts_nothing_twice(cluster_db, tmp_path: Path):
    cluster, url = cluster_db
    dbname = url.split("?", 1)[0].rsplit("/", 1)[-1]
    db = ServerDatabase(url)
    token = _install_club(db)
    db.dispose()
    process = ServerProcess(url, log_dir=tmp_path)
    process.start()
    try:
        server = ClubServer(process, token)
        members = [
            server.admin(
                "POST", "/members", json={"name": f"Member {n}", "phone": f"0912100{n:04d}", "branch_id": THR}
            )["id"]
            for n in range(MEMBERS)
        ]
        terminal, client = server.enroll(tmp_path / "till")
        for member in members:  # online: the server knows them sold to here, and grants come back
            record_sale(terminal, SaleRequest(member, 30_000_000))
        assert client.sync_round().ok
        for member in members[:3]:  # spent on the offline grant
            record_sale(terminal, SaleRequest(member, 5_000_000, redeem_points=10))
        _backlog(terminal, members, BATCHES * MAX_PUSH_ENTRIES)
        device_id = terminal.device_id
        before = _count(cluster, dbname, device_id)

        # the push in flight, with no retries of its own: the kill is what it meets
        pushing = SyncClient(terminal.db, clock=terminal.clock, retries=NO_RETRIES)
        outcome: list[object] = []

        def push() -> None:
            try:
                outcome.append(pushing.push())
            except SyncError as error:
                outcome.append(error)

        thread = threading.Thread(target=push, name="push")
        thread.start()
        deadline = time.monotonic() + DEADLINE_S
        while _count(cluster, dbname, device_id) == before:  # the first batch is in: the push is under way
            assert time.monotonic() < deadline and thread.is_alive(), f"the push never began: {outcome}"
            time.sleep(0.005)
        process.kill()
        killed_at = _count(cluster, dbname, device_id)
        thread.join(DEADLINE_S)
        assert not thread.is_alive()
        assert isinstance(outcome[0], SyncError) and outcome[0].retryable, outcome
        assert before < killed_at < before + BATCHES * MAX_PUSH_ENTRIES, "killed before the push was done"

        process.start()
        for _ in range(10):  # the terminal's sync loop, after the outage
            summary = client.sync_round()
            if summary.ok and client.status().synced:
                break
        status = client.status()
        assert status.synced and status.unsynced == 0 and status.rejected == 0, status

        state = _server_rows(cluster, dbname, device_id)
        with terminal.db.read() as conn:
            own = [e.id for e in ledger.iter_device(conn, device_id)]
            head = ledger.head(conn, device_id)
            held = {m: ledger.balance(conn, m) for m in state["balances"]}
        assert len(state["ids"]) == len(set(state["ids"])) == len(own), "an entry twice, or one missing"
        assert set(state["ids"]) == set(own)
        assert state["set_aside"] == 0
        assert state["balances"] == {m: state["sums"].get(m, (0, 0)) for m in state["balances"]}
        assert {m: (b.points, b.wallet_rials) for m, b in held.items()} == state["balances"]
        assert state["head"] == head, "the device's chain head on the server is not the terminal's"
    finally:
        process.stop()
