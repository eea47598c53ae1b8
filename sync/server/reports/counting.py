# SPDX-License-Identifier: GPL-3.0-or-later
"""The serving process keeps the reports' aggregates counted: a daemon thread that catches up every few
seconds (`bashgah-server serve`; `report refresh` does the same once), then recomputes the kept summaries
pages asked for that have gone stale (sync.server.reports.summary_cache).

Polling rather than a nudge from the push route: with several worker processes the pushes happen in
other processes, and a poll that finds nothing new costs one indexed query. A push therefore pays nothing
for the reports but the two ledger indexes; the entries it brings are in the reports a few seconds later,
and every report says how far the aggregates had counted (`aggregates.as_of`).
"""

from __future__ import annotations

import logging
import threading

from sync.server.clock import Clock, SystemClock
from sync.server.db import Database
from sync.server.reports import aggregates, summary_cache

log = logging.getLogger(__name__)
EVERY_S = 2.0
RETRY_S = 30.0


class Counting:
    def __init__(self, db: Database, clock: Clock | None = None, every_s: float = EVERY_S) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="reports-counting", daemon=True)
        self.counted = 0
        self.refreshed = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            wait = self.every_s
            try:
                self.counted += aggregates.catch_up(self.db, self.clock.now_us())
                self.refreshed += summary_cache.refresh(self.db, self.clock.now_us())
            except Exception:  # the thread must outlive a database that is away for a while
                log.exception("counting the reports' aggregates failed; trying again in %d s", RETRY_S)
                wait = RETRY_S
            self._stop.wait(wait)
