# SPDX-License-Identifier: GPL-3.0-or-later
"""A till killed with SIGKILL at random moments while it sells and syncs loses nothing and counts nothing
twice: after the last restart and a quiet round, the server holds every sale the till reported, each
exactly once, and the till and the server agree on every balance.

Kills: BASHGAH_SYNC_KILLS (default 12), at least 30 when CI=true.
"""

from __future__ import annotations

import os
import random
import select
import subprocess
import sys
import time
from pathlib import Path

from app.services.enroll import EnrollRequest, enroll_member
from app.services.ledger_check import verify_ledger
from app.services.terminal import open_terminal
from app.store import ledger
from sync.client import SyncClient
from sync.server.db import Database as ServerDatabase

CHILD = Path(__file__).with_name("killed_till_child.py")
DEFAULT_KILLS = 12
CI_MIN_KILLS = 30
STARTUP_TIMEOUT_S = 30.0
MAX_RUN_S = 1.5  # after its first report, the child lives a random share of this


def _kill_count() -> int:
    count = int(os.environ.get("BASHGAH_SYNC_KILLS", DEFAULT_KILLS))
    return max(count, CI_MIN_KILLS) if os.environ.get("CI") == "true" else count


def _run_and_kill(
    data_dir: Path, seed: int, members: list[str], rng: random.Random
) -> tuple[list[str], bool]:
    """One child life: the entry ids it reported done before a SIGKILL at a random moment, and whether
    the kill landed inside a sync round."""
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(data_dir), str(seed), *members],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    fd, output = child.stdout.fileno(), b""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while b"\n" not in output and time.monotonic() < deadline:  # alive and working
        if select.select([fd], [], [], 0.5)[0]:
            output += os.read(fd, 65536)
    kill_at = time.monotonic() + rng.random() * MAX_RUN_S
    while time.monotonic() < kill_at:
        if select.select([fd], [], [], max(0.0, kill_at - time.monotonic()))[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            output += chunk
    child.kill()
    rest, stderr = child.communicate()
    output += rest
    assert b"Traceback" not in stderr, stderr.decode()[-2000:]
    reported, syncing = [], False
    for line in output.split(b"\n")[:-1]:  # a line cut by the kill was never reported
        words = line.decode().split()
        if words and words[0] == "done":
            reported += words[1:]
        syncing = words == ["sync"] or (syncing and words != ["synced"])
    return reported, syncing


def _server_entry_ids(db_url: str, device_id: str) -> list[str]:
    db = ServerDatabase(db_url)
    try:
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT id FROM ledger_entry WHERE device_id = ?", (device_id,))
            return [str(r[0]) for r in rows]
    finally:
        db.dispose()


def test_a_till_killed_while_syncing_loses_nothing_and_doubles_nothing(club_server, tmp_path):
    till, client = club_server.enroll(tmp_path / "till")
    members = [
        enroll_member(till, EnrollRequest(name=f"Member {n}", phone=f"0912555000{n}")).member.id
        for n in range(3)
    ]
    assert client.sync_round().ok
    till.db.close()
    rng = random.Random(int(os.environ.get("BASHGAH_SYNC_SEED", random.randrange(2**32))))
    reported: list[str] = []
    kills_in_sync = 0
    for life in range(_kill_count()):
        done, syncing = _run_and_kill(till.data_dir, rng.randrange(2**32), members, rng)
        reported += done
        kills_in_sync += syncing
        assert verify_ledger(open_terminal(till.data_dir).db).ok, f"after kill {life + 1}"
    assert reported, "the child never reported a sale"
    assert kills_in_sync, "no kill landed inside a sync round: the test proved little"

    till = open_terminal(till.data_dir)
    client = SyncClient(till.db, clock=till.clock)
    for _ in range(3):
        summary = client.sync_round()
    assert summary.ok and client.status().synced and client.status().rejected == 0
    with till.db.read() as conn:
        own = {e.id for e in ledger.iter_device(conn, till.device_id)}
        balances = {m: ledger.balance(conn, m).points for m in members}
    assert set(reported) <= own  # every sale reported done survived its kill
    on_server = _server_entry_ids(club_server.process.db_url, till.device_id)
    assert sorted(on_server) == sorted(own)  # each exactly once, none invented
    for member_id, points in balances.items():
        assert club_server.member(member_id)["points"] == points
