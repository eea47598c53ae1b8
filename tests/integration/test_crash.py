# SPDX-License-Identifier: GPL-3.0-or-later
"""Crash safety of the store: a process killed at any moment loses nothing it reported as done.

The crash loop starts `crash_child.py`, which records sales (some with redemptions) and returns as fast
as it can, and SIGKILLs it at random moments: most often a random 0–80 ms after its first reported sale,
so that kills land inside transactions, inside COMMIT and inside the checkpoint that follows, and
sometimes at a random moment after start-up, so that some land while it opens the store. After each kill
the store is opened again and must hold every entry the child reported, pass `PRAGMA integrity_check`
and `ledger verify`, and hold the sale it was in the middle of either whole or not at all.

Kills: BASHGAH_CRASH_KILLS (default 40), and at least 200 when CI=true. BASHGAH_CRASH_SEED replays a run's
choices (kill timing depends on the machine, so a replay is likely, not certain, to hit the same spot).
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from app.domain.errors import ClubError
from app.domain.ids import derived_id
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.ledger_check import verify_ledger
from app.services.terminal import open_terminal
from app.store import ledger
from app.store.database import DB_FILENAME, Database
from tests.support.club import make_club

CHILD = Path(__file__).with_name("crash_child.py")
DEFAULT_KILLS = 40
CI_MIN_KILLS = 200
MAX_DELAY_AFTER_SALE_S = 0.080
MAX_DELAY_FROM_START_S = 0.700  # child start-up (imports, open) takes about half a second
SHARE_KILLED_FROM_START = 0.2
STARTUP_TIMEOUT_S = 20.0
MEMBERS = 4


def _kill_count() -> int:
    count = int(os.environ.get("BASHGAH_CRASH_KILLS", DEFAULT_KILLS))
    return max(count, CI_MIN_KILLS) if os.environ.get("CI") == "true" else count


@dataclass
class ChildRun:
    """What one killed child printed: finished use cases, and the one it was in, if any."""

    done: list[tuple[str, str, list[str]]] = field(default_factory=list)  # kind, invoice, entry ids
    in_flight: tuple[str, str, int] | None = None  # kind, first entry id, points redeemed
    returncode: int | None = None
    stderr: str = ""

    def parse(self, output: bytes) -> None:
        # a line cut short by the kill was never reported: only whole lines count
        for raw in output.split(b"\n")[:-1]:
            words = raw.decode().split()
            if words[0] == "begin":
                self.in_flight = (words[1], words[2], int(words[3]) if len(words) > 3 else 0)
            elif words[0] == "done":
                self.done.append((words[1], words[2], words[3:]))
                self.in_flight = None
            elif words[0] == "refused":
                self.in_flight = None


@dataclass
class Tally:
    kills: int = 0
    killed_from_start: int = 0
    in_flight: int = 0  # kills that landed between a use case's start and its report
    in_flight_committed: int = 0  # … of which after the COMMIT had returned
    reported: int = 0

    def __str__(self) -> str:
        return (
            f"{self.kills} kills ({self.killed_from_start} timed from start-up), "
            f"{self.in_flight} inside a use case ({self.in_flight_committed} after its commit), "
            f"{self.reported} use cases reported done"
        )


def _spawn(data_dir: Path, seed: int, member_ids: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(data_dir), str(seed), *member_ids],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_first_report(child: subprocess.Popen[bytes]) -> bytes:
    """Read the child's output until a `done` line arrived (or it died, or took far too long)."""
    assert child.stdout is not None
    fd = child.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while b"done " not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            seen += chunk
    return seen


def _kill(child: subprocess.Popen[bytes], rng: random.Random, tally: Tally) -> ChildRun:
    run = ChildRun()
    started = time.monotonic()
    if rng.random() < SHARE_KILLED_FROM_START:
        tally.killed_from_start += 1
        time.sleep(max(0.0, started + rng.uniform(0, MAX_DELAY_FROM_START_S) - time.monotonic()))
        early = b""
    else:
        early = _wait_for_first_report(child)
        time.sleep(rng.uniform(0, MAX_DELAY_AFTER_SALE_S))
    child.send_signal(signal.SIGKILL)
    rest, err = child.communicate()
    run.returncode = child.returncode
    run.stderr = err.decode(errors="replace")
    run.parse(early + rest)
    tally.kills += 1
    return run


def _check_store(data_dir: Path, run: ChildRun, reported: dict[str, str], tally: Tally) -> list[str]:
    """Open the store again after a kill; every problem found, as text."""
    problems: list[str] = []
    db = Database.open(data_dir)  # the full start-up path: WAL recovery, migration check
    try:
        if (check := db.integrity_check()) != "ok":
            problems.append(f"integrity_check: {check}")
        report = verify_ledger(db)
        if not report.ok:
            problems.append(f"ledger verify: {report.chain_break} {report.mismatches[:3]}")
        with db.read() as conn:
            for kind, invoice, entry_ids in run.done:
                for entry_id in entry_ids:
                    entry = ledger.get(conn, entry_id)
                    if entry is None or entry.invoice_ref != invoice:
                        problems.append(f"reported {kind} entry {entry_id} ({invoice}) is {entry}")
                    reported[entry_id] = invoice
            stored = set(conn.execute(text("SELECT id FROM ledger_entry")).scalars())
            lost = [e for e in reported if e not in stored]
            if lost:
                problems.append(f"{len(lost)} entries reported by earlier children are gone: {lost[:3]}")
            if run.in_flight is not None:
                problems += _check_in_flight(conn, run.in_flight, tally)
    finally:
        db.close()
    return problems


def _check_in_flight(conn: Connection, in_flight: tuple[str, str, int], tally: Tally) -> list[str]:
    """The use case the kill interrupted is in the ledger whole or not at all."""
    kind, first_id, redeemed = in_flight
    tally.in_flight += 1
    first = ledger.get(conn, first_id)
    if first is not None:
        tally.in_flight_committed += 1
    if kind == "sale" and redeemed:
        second = ledger.get(conn, str(derived_id(first_id, 1)))
        if (first is None) != (second is None):
            return [f"interrupted sale {first_id} is half there: earn {first}, redeem {second}"]
    return []


def _enroll(data_dir: Path) -> list[str]:
    terminal = make_club(data_dir)
    ids = []
    for n in range(MEMBERS):
        member = enroll_member(terminal, EnrollRequest(name=f"Member {n}", phone=f"0912000000{n}")).member
        record_sale(terminal, SaleRequest(member.id, 5_000_000))  # some points to redeem from the start
        ids.append(member.id)
    terminal.db.close()
    return ids


@pytest.mark.slow
def test_sales_survive_sigkill_at_random_moments(tmp_path: Path) -> None:
    seed = int(os.environ.get("BASHGAH_CRASH_SEED", random.SystemRandom().randrange(2**32)))
    print(f"crash test seed {seed} (BASHGAH_CRASH_SEED={seed} to replay)")
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    member_ids = _enroll(data_dir)
    reported: dict[str, str] = {}
    tally = Tally()
    kills = _kill_count()
    started = time.monotonic()
    for n in range(kills):
        child = _spawn(data_dir, rng.randrange(2**32), member_ids)
        run = _kill(child, rng, tally)
        where = f"kill {n + 1}/{kills}, seed {seed}"
        if run.returncode != -signal.SIGKILL:
            pytest.fail(f"child ended by itself ({run.returncode}) at {where}:\n{run.stderr}")
        tally.reported += len(run.done)
        problems = _check_store(data_dir, run, reported, tally)
        if problems:
            pytest.fail(f"after {where}: " + "; ".join(problems))
    elapsed = time.monotonic() - started
    print(f"{tally} in {elapsed:.1f} s ({elapsed / max(kills, 1) * 1000:.0f} ms a kill)")
    assert tally.reported > 0, f"no child ever reported a sale (seed {seed})"
    if kills >= 20:
        # the point of the test: kills must land inside use cases, not only between them
        assert tally.in_flight >= kills // 4, f"{tally} (seed {seed})"


def _hold_write_lock(path: Path) -> subprocess.Popen[str]:
    """Another process that takes the write lock and keeps it until its stdin closes."""
    script = (
        "import sqlite3, sys\n"
        f"conn = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
        "conn.execute('BEGIN IMMEDIATE')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
        "conn.execute('ROLLBACK')\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_write_blocked_past_the_busy_timeout_fails_cleanly(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    member_id = _enroll(data_dir)[0]
    terminal = open_terminal(data_dir, db=Database(data_dir / DB_FILENAME, busy_timeout_ms=200))
    with terminal.db.read() as conn:
        before = ledger.entry_count(conn)
    sale_id = terminal.new_id()
    holder = _hold_write_lock(data_dir / DB_FILENAME)
    try:
        started = time.monotonic()
        with pytest.raises(ClubError) as refused:
            record_sale(terminal, SaleRequest(member_id, 1_000_000, entry_id=sale_id))
        waited = time.monotonic() - started
    finally:
        holder.communicate("")  # closing stdin releases the lock
    assert refused.value.code == "database_busy"
    assert 0.15 <= waited < 5, "it waited for the busy timeout, no more"
    with terminal.db.read() as conn:
        assert ledger.entry_count(conn) == before
        assert ledger.get(conn, sale_id) is None
    # once the lock is free, the cashier's retry of the same sale goes through, once
    result = record_sale(terminal, SaleRequest(member_id, 1_000_000, entry_id=sale_id))
    assert result.sale_id == sale_id and not result.replayed
    assert verify_ledger(terminal.db).ok


@pytest.mark.parametrize("keep_header", [False, True], ids=["all-garbage", "header-kept"])
def test_opening_a_corrupt_file_is_refused(tmp_path: Path, keep_header: bool) -> None:
    data_dir = tmp_path / "data"
    make_club(data_dir).db.close()
    path = data_dir / DB_FILENAME
    size = path.stat().st_size
    garbage = random.Random(7).randbytes(size)
    with path.open("r+b") as file:
        # with the 100-byte header kept, SQLite gets as far as reading the schema before it notices
        start = 100 if keep_header else 0
        file.seek(start)
        file.write(garbage[start:])
    with pytest.raises(ClubError) as refused:
        open_terminal(data_dir)
    assert refused.value.code == "database_corrupt"
