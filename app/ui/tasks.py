# SPDX-License-Identifier: GPL-3.0-or-later
"""Background work for the window: use cases run on one worker thread, results come back as signals.

Threading contract: `run` is called on the UI thread and returns at once; `fn` runs on the single worker
thread (one writer for the SQLite file, and never the UI thread); `on_done(result)` or
`on_error(exception)` run back on the UI thread. `busy()` says whether work is queued or its callback
has not run yet (tests wait on it; shutdown joins the worker).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)


class Tasks(QObject):
    finished = Signal(object, object, object)  # (callback, value, is_error) — delivered on the UI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bashgah-worker")
        self._pending = 0
        self._closed = False
        self._idle = threading.Condition()
        # queued even when emitted on the UI thread: a future already done when `run` adds its callback
        # calls it at once, there, and a direct delivery would run `on_done` inside `run`
        self.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Future[Any]:
        if self._closed:  # the window is going away: late timers and clicks do nothing
            future: Future[Any] = Future()
            future.cancel()
            return future
        with self._idle:
            self._pending += 1
        future = self._pool.submit(fn)
        future.add_done_callback(lambda f: self._completed(f, on_done, on_error))
        return future

    def _completed(self, future: Future[Any], on_done: Any, on_error: Any) -> None:
        # worker thread: hand the outcome to the UI thread through a queued signal
        error = future.exception()
        if error is not None:
            if on_error is None:
                log.error("background task failed", exc_info=error)
            self.finished.emit(on_error, error, True)
        else:
            self.finished.emit(on_done, future.result(), False)

    @Slot(object, object, object)
    def _deliver(self, callback: Any, value: Any, is_error: bool) -> None:
        try:
            if callback is not None:
                callback(value)
        finally:
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def busy(self) -> bool:
        with self._idle:
            return self._pending > 0

    def shutdown(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=True)
