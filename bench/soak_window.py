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
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.sync_ui import _summary, _Ticker, probe_in_child, until_till_built

TIMEOUT_S = 1_800.0


def catch_up_in_window(data_dir: Path) -> dict[str, Any]:
    """Run the probe below in a new process on the terminal in `data_dir`; its JSON."""
    return probe_in_child("bench.soak_window", data_dir, "the catch-up window", TIMEOUT_S)


def _timed(step: Callable[[], Any], spans: list[tuple[float, float]]) -> Callable[[], Any]:
    """`step`, noting when each call started and ended (perf_counter)."""

    def run() -> Any:
        started = time.perf_counter()
        try:
            return step()
        finally:
            spans.append((started, time.perf_counter()))

    return run


def _by_phase(
    ticks: list[tuple[float, float]], phases: dict[str, tuple[float, float] | None]
) -> dict[str, dict[str, float]]:
    """The lateness summary of the ticks that fired within each phase (a tick is due in one)."""
    found: dict[str, dict[str, float]] = {}
    for name, span in phases.items():
        if span is not None:
            inside = [(at, ms) for at, ms in ticks if span[0] <= at <= span[1]]
            worst_at = max(inside, key=lambda tick: tick[1])[0] - span[0] if inside else 0.0
            found[name] = _summary([ms for _, ms in inside]) | {
                "ticks": len(inside),
                "worst_at_s": round(worst_at, 2),  # into the phase: where to look
            }
    return found


def _probe(data_dir: Path) -> dict[str, Any]:
    from app.__main__ import sync_client_for
    from app.cards.simulated import SimulatedReader
    from app.services.terminal import open_terminal
    from app.ui.app import settle_heap, start_window
    from sync.client import RoundSummary

    terminal = open_terminal(data_dir)
    client = sync_client_for(terminal)  # as the app builds it for an enrolled terminal
    if client is None:
        raise RuntimeError("the soak terminal is not enrolled")
    pushes: list[tuple[float, float]] = []
    pulls: list[tuple[float, float]] = []
    client.push = _timed(client.push, pushes)  # type: ignore[method-assign]
    client.pull = _timed(client.pull, pulls)  # type: ignore[method-assign]
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
    until_till_built(running)  # the window's start-up is cold start's, not the catch-up's
    ticker = _StampedTicker(finished, started)
    ticker.run()
    running.close()
    summary = rounds[0]
    push, pull = (spans[0] if spans else None for spans in (pushes, pulls))
    after = (pull[1], started + ticker.synced_s) if pull else None  # photos, chip keys, grants
    return {
        "round": summary.as_dict(),
        "push_s": round(push[1] - push[0], 2) if push else None,
        "pull_s": round(pull[1] - pull[0], 2) if pull else None,
        "phases_ms": _by_phase(ticker.stamped, {"push": push, "pull": pull, "after": after}),
        "round_s": round(ticker.synced_s, 2),
        "ticks": len(ticker.during),
        "during_ms": _summary(ticker.during),
        "idle_ms": _summary(ticker.idle),
    }


class _StampedTicker(_Ticker):
    """bench.sync_ui's ticker, also noting when each tick fired, to tell the round's phases apart."""

    def __init__(self, syncing: threading.Event, started: float) -> None:
        super().__init__(syncing, started)
        self.stamped: list[tuple[float, float]] = []

    def _tick(self) -> None:
        now = time.perf_counter()
        if not self._idle_until:
            self.stamped.append((now, max(0.0, (now - self._due) * 1000)))
        super()._tick()


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(json.dumps(_probe(Path(sys.argv[1]))), flush=True)
