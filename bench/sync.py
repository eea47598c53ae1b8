# SPDX-License-Identifier: GPL-3.0-or-later
"""The sync figures of `make bench`, on real server processes and a real PostgreSQL (bench.sync_club).

1. Push throughput (bench.sync_push): entries/s of `SyncClient.push()` to `bashgah-server`, against a
   bare INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING of the same rows in the same batches; the
   ratio is the figure. Where the push's time goes, on the client and on the server.
2. Pull: a new terminal provisioned with a club of a million members: `bashgah enroll` (enrolment and
   the whole pull) into an empty data dir, in a child process: its time and its peak RSS (VmHWM,
   bench.peak).
3. The window while syncing (bench.sync_ui): how late a 10 ms timer fires on the UI thread while the
   sync worker pulls a backlog, against the window idle.

Every database and server process made here is gone when `run_sync` returns, whatever happened.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.store.database import DB_FILENAME
from bench.sync_club import ServerLab, SyncBenchError, enroll_terminal, enrolment_code, seed_members
from bench.sync_push import PARTS, PushFigures, run_push
from bench.sync_ui import measure_in_child

PUSH_RATIO_AIM = 0.5
PULL_AIM_S = 30.0  # issue 20: a new terminal provisioned with a million members in half a minute
PULL_RSS_AIM_MB = 300.0

__all__ = ["SyncBenchError", "SyncSizes", "run_sync"]


@dataclass(frozen=True)
class SyncSizes:
    push_entries: int = 100_000
    pull_members: int = 1_000_000
    ui_members: int = 100_000

    @classmethod
    def quick(cls) -> SyncSizes:
        return cls(push_entries=2_000, pull_members=5_000, ui_members=2_000)


def run_sync(work_dir: Path, sizes: SyncSizes, say: Callable[[str], None]) -> dict[str, object]:
    """Measure the three sync figures, print them with `say`, and return them for the JSON."""
    results: dict[str, object] = {}
    work_dir.mkdir(parents=True, exist_ok=True)
    with ServerLab(work_dir) as lab:
        results |= _push_report(run_push(lab, work_dir, sizes.push_entries), say)
        lab.drop_all()
        results |= _pull_report(run_pull(lab, work_dir, sizes.pull_members), say)
        lab.drop_all()
        results |= _ui_report(run_ui(lab, work_dir, sizes.ui_members), say)
    return results


# ---- push -----------------------------------------------------------------------------------------


def _push_report(f: PushFigures, say: Callable[[str], None]) -> dict[str, object]:
    ratio = f.push_per_s / f.bare_per_s
    verdict = "meets" if ratio >= PUSH_RATIO_AIM else "below"
    say(f"sync push         {f.push_per_s:9.0f} entries/s   ({f.entries:,} entries, {f.batch:,} a batch,"
        f" {f.bodies_kb / 1024:.1f} MB gzipped)")  # fmt: skip
    say(f"bare PG insert    {f.bare_per_s:9.0f} rows/s      (INSERT … FROM unnest, same rows and batches)")
    say(f"push ratio        {ratio:9.2f}      push / bare insert ({verdict} the aim of {PUSH_RATIO_AIM})")
    us = {part: f.parts_s[part] / f.entries * 1e6 for part in PARTS}
    say("  client µs/entry: " + ", ".join(f"{part} {us[part]:.0f}" for part in PARTS if part != "server"))
    server_us = us["server"]
    steps = {step: s / f.entries * 1e6 for step, s in f.server_steps_s.items()}
    parse_us = f.server_parse_s / f.entries * 1e6
    rest_us = max(0.0, server_us - parse_us - sum(steps.values()))
    cpu_us = f.server_cpu_s / f.entries * 1e6
    say(f"  server process CPU µs/entry: {cpu_us:.0f} (the reports' counting thread included); the rest of"
        " the wait: PostgreSQL, and the machine")  # fmt: skip
    say(f"  server µs/entry: {server_us:.0f} waited for: parse+validate {parse_us:.0f}, "
        + ", ".join(f"{step} {v:.0f}" for step, v in steps.items())
        + f", HTTP+framework {rest_us:.0f} (steps replayed in-process)")  # fmt: skip
    return {
        "push_entries": f.entries,
        "push_per_s": round(f.push_per_s, 1),
        "push_bare_insert_per_s": round(f.bare_per_s, 1),
        "push_ratio": round(ratio, 3),
        "push_client_us_per_entry": {p: round(v, 1) for p, v in us.items() if p != "server"},
        "push_server_us_per_entry": round(server_us, 1),
        "push_server_process_cpu_us_per_entry": round(cpu_us, 1),
        "push_server_steps_us_per_entry": {
            "parse_validate": round(parse_us, 1),
            **{s: round(v, 1) for s, v in steps.items()},
            "http_framework_rest": round(rest_us, 1),
        },
    }


# ---- pull -----------------------------------------------------------------------------------------


@dataclass
class PullFigures:
    members: int
    seed_s: float
    pull_s: float
    peak_rss_mb: float
    pulled_members: int
    cpu_s: float  # the terminal's process (user + system): on a busy machine, steadier than the wall clock


def bashgah_command() -> str:
    script = Path(sys.executable).with_name("bashgah")
    if not script.exists():
        raise SyncBenchError(f"the `bashgah` command is not installed beside {sys.executable}")
    return str(script)


def run_pull(lab: ServerLab, work_dir: Path, members: int) -> PullFigures:
    """`bashgah enroll` of an empty data dir against a club of `members` members, in a child process."""
    club = lab.club()
    started = time.perf_counter()
    seed_members(lambda: lab.connect(club), members)
    seed_s = time.perf_counter() - started
    lab.serve(club)
    code = enrolment_code(club)
    data_dir, peak_file = work_dir / "pull-till", work_dir / "pull-peak"
    command = [sys.executable, "-m", "bench.peak", str(peak_file), bashgah_command(), "--data-dir",
               str(data_dir), "enroll", "--server", club.base_url, "--code", code]  # fmt: skip
    try:
        started, before = time.perf_counter(), os.times()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        pull_s, after = time.perf_counter() - started, os.times()
        cpu_s = sum(after[i] - before[i] for i in (2, 3))  # children_user, children_system
        if done.returncode != 0:
            raise SyncBenchError(f"bashgah enroll failed ({done.returncode}): {done.stderr.strip()[-800:]}")
        peak_kb = int(peak_file.read_text())
        with sqlite3.connect(data_dir / DB_FILENAME) as conn:
            pulled = int(conn.execute("SELECT count(*) FROM member").fetchone()[0])
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        peak_file.unlink(missing_ok=True)
    if pulled != members:
        raise SyncBenchError(f"the new terminal holds {pulled} members, the club {members}")
    return PullFigures(members, seed_s, pull_s, peak_kb / 1024, pulled, cpu_s)


def _pull_report(f: PullFigures, say: Callable[[str], None]) -> dict[str, object]:
    time_ok = "ok" if f.pull_s <= PULL_AIM_S else f"over {PULL_AIM_S:.0f} s"
    rss_ok = "ok" if f.peak_rss_mb <= PULL_RSS_AIM_MB else f"over {PULL_RSS_AIM_MB:.0f} MB"
    say(f"new terminal      {f.pull_s:9.1f} s   peak RSS {f.peak_rss_mb:6.0f} MB   ({f.members:,} members:"
        f" `bashgah enroll` + full pull; {time_ok}, {rss_ok})")  # fmt: skip
    say(f"  the terminal's process used {f.cpu_s:.1f} s of CPU; the server's database was seeded in"
        f" {f.seed_s:.0f} s (COPY)")  # fmt: skip
    return {
        "pull_members": f.members,
        "pull_s": round(f.pull_s, 1),
        "pull_members_per_s": round(f.members / f.pull_s, 1),
        "pull_peak_rss_mb": round(f.peak_rss_mb, 1),
        "pull_cpu_s": round(f.cpu_s, 1),
        "pull_seed_s": round(f.seed_s, 1),
    }


# ---- the window while syncing ---------------------------------------------------------------------


def run_ui(lab: ServerLab, work_dir: Path, members: int) -> dict[str, Any]:
    """An enrolled terminal, then a backlog of `members` member changes, then the window probe."""
    club = lab.club()
    lab.serve(club)
    data_dir = work_dir / "ui-till"
    try:
        enroll_terminal(club, data_dir).db.close()
        seed_members(lambda: lab.connect(club), members)
        result = measure_in_child(data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    if not result["ok"] or result["pulled"] < members:
        raise SyncBenchError(f"the sync worker's round did not pull the backlog: {result}")
    return result


def _ui_report(r: dict[str, Any], say: Callable[[str], None]) -> dict[str, object]:
    during, idle = r["during_ms"], r["idle_ms"]
    for label, s in (("UI while syncing", during), ("UI idle", idle)):
        say(f"{label:<17} p50 {s['p50']:6.1f} ms   p95 {s['p95']:6.1f} ms   max {s['max']:6.1f} ms")
    say(f"  lateness of a 10 ms timer on the UI thread; {r['pulled']:,} changes pulled in"
        f" {r['sync_s']:.1f} s by the window's sync worker")  # fmt: skip
    return {
        "sync_ui_changes": r["pulled"],
        "sync_ui_pull_s": r["sync_s"],
        **{f"sync_ui_lateness_{k}_ms": v for k, v in during.items()},
        **{f"idle_ui_lateness_{k}_ms": v for k, v in idle.items()},
    }
