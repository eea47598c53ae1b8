# SPDX-License-Identifier: GPL-3.0-or-later
"""The window's figures: cold start to ready (a fresh process), and a card event to the member view
painted with its photo (in process, offscreen, through the card manager and the worker)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.stats import percentile

READY = "window-ready"
COLD_START_AIM_MS = 800  # p50: a fresh process to the login screen painted
TAP_AIM_P95_MS = 16  # one frame at 60 Hz: card event to the member view painted with the photo


def cold_start_ms(data_dir: Path, runs: int) -> list[float]:
    """Spawn → the login screen shown and painted by the event loop, in a new Python process each time,
    started as `make run` starts the terminal (the command line, the demo's readers)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.ui", str(data_dir)], stdout=subprocess.PIPE, text=True, env=env
        )
        for line in child.stdout or []:
            if line.strip() == READY:
                samples.append((time.perf_counter() - started) * 1000)
                break
        child.kill()
        child.wait()
    return samples


def tap_to_member_ms(data_dir: Path, taps: int) -> list[float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer

    from app.cards.simulated import SimulatedReader
    from app.services.demo_cards import demo_card_numbers, demo_tap
    from app.services.terminal import open_terminal
    from app.store import club
    from app.ui.app import start_window

    terminal = open_terminal(data_dir)
    running = start_window(terminal, [SimulatedReader("Bench reader")], lang="fa")
    with terminal.db.read() as conn:
        cashier = next(s for s in club.all_staff(conn) if s.role.value == "cashier")
    running.ctx.session.log_in(cashier)
    running.window.show_idle()
    shown: list[int] = []
    # Wait in a running event loop, as the window does: QTest.qWait keeps the GIL while it sleeps, so the
    # device and worker threads would each wait out Python's switch interval (5 ms) at every hand-off.
    loop = QEventLoop()

    def painted(_member_id: str) -> None:
        running.window.member.repaint()  # paint now, synchronously: the figure includes the photo drawn
        shown.append(time.perf_counter_ns())
        loop.quit()

    running.window.member_shown.connect(painted)
    numbers = demo_card_numbers(terminal)
    cards = [demo_tap(terminal, n) for n in numbers]
    samples = []
    try:
        for i in range(taps):
            running.window.show_idle()
            QTimer.singleShot(5, loop.quit)
            loop.exec()
            while running.ctx.tasks.busy():  # a tap at a quiet counter: the last member's standing is read
                QTimer.singleShot(1, loop.quit)
                loop.exec()
            before = len(shown)
            started = time.perf_counter_ns()
            running.ctx.simulated.tap(*cards[i % len(cards)])
            while len(shown) == before:
                loop.exec()
            samples.append((shown[-1] - started) / 1e6)
    finally:
        running.close()
    return samples


def summary(name: str, samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        f"{name}_p50_ms": round(percentile(ordered, 50), 1),
        f"{name}_p95_ms": round(percentile(ordered, 95), 1),
    }


if __name__ == "__main__":  # the cold-start probe: `bashgah --data-dir DIR --reader demo` (make run) till the
    # event loop paints the login screen's first frame (what was left for after it follows, while the
    # cashier would be typing a PIN)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import app.ui.app
    from app.cli import main
    from app.ui.first_paint import after_first_paint

    start_window = app.ui.app.start_window

    def start_and_say_when_painted(*args, **kwargs):  # type: ignore[no-untyped-def]
        running = start_window(*args, **kwargs)
        after_first_paint(running.window.login, lambda: print(READY, flush=True))
        return running

    app.ui.app.start_window = start_and_say_when_painted  # run_window looks it up at call time
    main(["--data-dir", sys.argv[1], "--reader", "demo"])
