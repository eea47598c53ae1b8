# SPDX-License-Identifier: GPL-3.0-or-later
"""The serving process keeps the reports' aggregates counted: a daemon thread that catches up every few
seconds (`bashgah-server serve`; `report refresh` does the same once), then recomputes the kept summaries
pages asked for that have gone stale (sync.server.reports.summary_cache).

Polling rather than a nudge from the push route: with several worker processes the pushes happen in
other processes, and a poll that finds nothing new costs one indexed query. A push's own transaction
pays nothing for the reports but the two ledger indexes; the entries it brings are in the reports a few
seconds later, and every report says how far the aggregates had counted (`aggregates.as_of`). The counting
does share the machine, and with one worker the process, with the pushes: counting an entry costs about a
third of pushing it (the push bench's `serve --no-counting` A/B), which is why its upserts are set-based.
"""

from __future__ import annotations

from sync.server.chore import Chore
from sync.server.clock import Clock
from sync.server.db import Database
from sync.server.reports import aggregates, summary_cache

EVERY_S = 2.0


class Counting(Chore):
    name = "reports-counting"

    def __init__(self, db: Database, clock: Clock | None = None, every_s: float = EVERY_S) -> None:
        super().__init__(db, clock)
        self.every_s = every_s
        self.counted = 0
        self.refreshed = 0

    def round(self) -> float:
        self.counted += aggregates.catch_up(self.db, self.clock.now_us())
        self.refreshed += summary_cache.refresh(self.db, self.clock.now_us())
        return self.every_s
