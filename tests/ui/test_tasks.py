# SPDX-License-Identifier: GPL-3.0-or-later
"""The window's worker: a result always comes back through the event loop, never inside `run`."""

from __future__ import annotations

from concurrent.futures import Future

from app.ui.tasks import Tasks


def test_a_result_ready_before_run_returns_still_waits_for_the_event_loop(qtbot):
    """Found in CI: the worker finished before `run` registered its callback, so the future called it at
    once on the UI thread, the signal went direct, and the answer was painted inside `run` (a view that
    expects the profile first, the standing later, saw both at once)."""
    tasks = Tasks()
    submit = tasks._pool.submit

    def submit_and_finish(fn) -> Future:  # the busy machine: the worker wins the race every time
        future = submit(fn)
        future.result()
        return future

    tasks._pool.submit = submit_and_finish
    seen: list[int] = []
    try:
        tasks.run(lambda: 7, seen.append)
        assert seen == []  # not inside run
        qtbot.waitUntil(lambda: seen == [7])
        assert not tasks.busy()
    finally:
        tasks.shutdown()
