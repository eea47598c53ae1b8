# SPDX-License-Identifier: GPL-3.0-or-later
"""The catch-up of a terminal back from a month offline, in the real window: `python -m bench.soak_window
DATA_DIR` opens the terminal's window (offscreen) with its sync worker, as the app does, and measures how
late a 10 ms timer fires on the UI thread (bench.sync_ui's ticker) while the worker's first round pushes
the month and pulls what the server did meanwhile. The client's push and pull are timed where they run
(the worker's thread), so the round's time splits into the two. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TIMEOUT_S = 1_800.0


def catch_up_in_window(data_dir: Path) -> dict[str, Any]:
    """Run the probe below in a new process on the terminal in `data_dir`; its JSON."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.soak_window", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the catch-up window failed: {done.stderr.strip()[-1500:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _timed(step: Callable[[], Any], spent: list[float]) -> Callable[[], Any]:
    def run() -> Any:
        started = time.perf_counter()
        try:
            return step()
        finally:
            spent.append(time.perf_counter() - started)

    return run


def _probe(data_dir: Path) -> dict[str, Any]:
    from app.__main__ import sync_client_for
    from app.cards.simulated import SimulatedReader
    from app.services.terminal import open_terminal
    from app.ui.app import settle_heap, start_window
    from bench.sync_ui import _summary, _Ticker
    from sync.client import RoundSummary

    terminal = open_terminal(data_dir)
    client = sync_client_for(terminal)  # as the app builds it for an enrolled terminal
    if client is None:
        raise RuntimeError("the soak terminal is not enrolled")
    push_s: list[float] = []
    pull_s: list[float] = []
    client.push = _timed(client.push, push_s)  # type: ignore[method-assign]
    client.pull = _timed(client.pull, pull_s)  # type: ignore[method-assign]
    finished = threading.Event()
    rounds: list[RoundSummary] = []

    def round_done(summary: RoundSummary) -> None:
        rounds.append(summary)
        finished.set()

    started = time.perf_counter()
    running = start_window(terminal, [SimulatedReader("Soak reader")], lang="fa", sync_client=client)
    settle_heap()  # as run_window does
    if running.sync is None:
        raise RuntimeError("start_window(sync_client=…) started no sync worker")
    running.sync.round_finished.connect(round_done)
    running.app.processEvents()  # the window's first paint is cold start's, not the catch-up's
    ticker = _Ticker(finished, started)
    ticker.run()
    running.close()
    summary = rounds[0]
    return {
        "round": summary.as_dict(),
        "push_s": round(push_s[0], 2) if push_s else None,
        "pull_s": round(pull_s[0], 2) if pull_s else None,
        "round_s": round(ticker.synced_s, 2),
        "ticks": len(ticker.during),
        "during_ms": _summary(ticker.during),
        "idle_ms": _summary(ticker.idle),
    }


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(json.dumps(_probe(Path(sys.argv[1]))), flush=True)
