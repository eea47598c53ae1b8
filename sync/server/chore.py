# SPDX-License-Identifier: GPL-3.0-or-later
"""A chore the serving process does in a daemon thread of its own, round after round: the programme's
daily run, counting the reports' aggregates, building report jobs (`bashgah-server serve` starts them and
stops them on exit). A round that fails (a database away for a while) is logged and tried again after
`retry_s`: the thread must outlive it."""

from __future__ import annotations

import logging
import threading

from sync.server.clock import Clock, SystemClock
from sync.server.db import Database

log = logging.getLogger("bashgah.server.chore")


class Chore:
    name = "chore"  # the thread's name, and the log's
    retry_s = 30.0

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def round(self) -> float:
        """Do one round of the chore; the seconds to wait before the next."""
        raise NotImplementedError

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self.round()
            except Exception:
                log.exception("%s failed; trying again in %d s", self.name, self.retry_s)
                wait = self.retry_s
            self._stop.wait(wait)
