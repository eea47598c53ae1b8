# SPDX-License-Identifier: GPL-3.0-or-later
"""The window's responsiveness while the terminal syncs: how late a 10 ms timer fires on the UI thread
while the sync worker pulls a large backlog, against the same window idle.

The bench enrols a terminal, then adds `members` member changes on the server (the backlog), and runs
`python -m bench.sync_ui DATA_DIR` in a fresh process: the real window (offscreen) of that terminal with
its sync worker (app.ui.sync_worker, started by `start_window(sync_client=…)` as the app does), a chain
of 10 ms single-shot timers on the UI thread recording how late each one fired, until the worker's first
round (push, then the pull of the whole backlog, photos, grants) has finished; then one idle second.
The heap is settled after start-up as `run_window` does (`app.ui.app.settle_heap`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.stats import percentile

TICK_MS = 10
TILL_BUILT_S = 30.0
IDLE_S = 1.0
TIMEOUT_S = 900.0


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples) or [0.0]
    return {
        "p50": round(percentile(ordered, 50), 1),
        "p95": round(percentile(ordered, 95), 1),
        "max": round(ordered[-1], 1),
    }


def measure_in_child(data_dir: Path) -> dict[str, Any]:
    """Run the probe below in a new process on an enrolled terminal with a backlog; its JSON."""
    return probe_in_child("bench.sync_ui", data_dir, "the sync UI probe", TIMEOUT_S)


def probe_in_child(module: str, data_dir: Path, what: str, timeout_s: float) -> dict[str, Any]:
    """Run a window probe (`python -m module data_dir`, offscreen) in a new process: its last line's JSON.
    A process of its own, so the window's timers see only the window's load, not the bench's."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", module, str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed: {done.stderr.strip()[-1500:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def until_till_built(running: Any) -> None:
    """Run the event loop through the window's start-up: its first frame, then the till's views. That is
    cold start's (measured there); the sync worker's first round starts after it (start_window)."""
    from PySide6.QtCore import QEventLoop

    built: list[bool] = []
    running.window.after_till_built(lambda: built.append(True))
    deadline = time.monotonic() + TILL_BUILT_S
    while not built:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no till views {TILL_BUILT_S:.0f} s after the window showed")
        running.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


class _Ticker:
    """A chain of 10 ms single-shot timers on the UI thread, each noting how late it fired: while
    `syncing` is not set, then for `IDLE_S` more, then the event loop quits."""

    def __init__(self, syncing: threading.Event, started: float) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.syncing = syncing
        self.during: list[float] = []
        self.idle: list[float] = []
        self.started = started
        self.synced_s = 0.0
        self._idle_until = 0.0
        self._due = 0.0
        self.timer = QTimer()
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)

    def run(self) -> None:
        from PySide6.QtCore import QCoreApplication

        self._arm()
        QCoreApplication.exec()

    def _arm(self) -> None:
        self._due = time.perf_counter() + TICK_MS / 1000
        self.timer.start(TICK_MS)

    def _tick(self) -> None:
        from PySide6.QtCore import QCoreApplication

        now = time.perf_counter()
        late_ms = max(0.0, (now - self._due) * 1000)
        if not self._idle_until:
            self.during.append(late_ms)
            if self.syncing.is_set():
                self.synced_s = now - self.started
                self._idle_until = now + IDLE_S
        elif now < self._idle_until:
            self.idle.append(late_ms)
        else:
            QCoreApplication.quit()
            return
        self._arm()


def _probe(data_dir: Path) -> dict[str, Any]:
    from app.__main__ import sync_client_for
    from app.cards.simulated import SimulatedReader
    from app.services.terminal import open_terminal
    from app.ui.app import settle_heap, start_window
    from sync.client import RoundSummary

    terminal = open_terminal(data_dir)
    client = sync_client_for(terminal)  # as the app builds it for an enrolled terminal
    if client is None:
        raise RuntimeError("the bench terminal is not enrolled")
    finished = threading.Event()
    rounds: list[RoundSummary] = []

    def round_done(summary: RoundSummary) -> None:
        rounds.append(summary)
        finished.set()

    readers = [SimulatedReader("Bench reader")]
    started = time.perf_counter()
    running = start_window(terminal, readers, lang="fa", sync_client=client)
    settle_heap()  # as run_window does
    if running.sync is None:
        raise RuntimeError("start_window(sync_client=…) started no sync worker")
    running.sync.round_finished.connect(round_done)
    until_till_built(running)
    ticker = _Ticker(finished, started)
    ticker.run()
    running.close()
    summary = rounds[0]
    return {
        "pulled": summary.pull.changes,
        "ok": summary.ok,
        "sync_s": round(ticker.synced_s, 2),
        "ticks": len(ticker.during),
        "during_ms": _summary(ticker.during),
        "idle_ms": _summary(ticker.idle),
    }


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(json.dumps(_probe(Path(sys.argv[1]))), flush=True)
