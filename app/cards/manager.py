# SPDX-License-Identifier: GPL-3.0-or-later
"""The card manager: the one device thread that owns every reader.

Threading contract: every backend's `poll`, `readers` and `close`, and every task given to `submit`, run
on the device thread and nowhere else. Other threads only `subscribe` to events (a queue each), read the
`readers()` snapshot, or `submit` work and get a Future back; none of these calls blocks on a reader.
The UI turns the `on_event` callback (called on the device thread) into Qt signals.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from app.cards.base import CardEvent, CardEventKind, ReaderBackend, ReaderInfo, ReadError, ReaderState

log = logging.getLogger(__name__)
T = TypeVar("T")

# How long one pass over all backends may wait: short enough that a tap on one reader is never stuck
# behind another reader's wait, long enough that an idle terminal does not spin.
DEFAULT_PASS_MS = 60
AVAILABILITY_RECHECK_S = 2.0


class CardManager:
    def __init__(
        self,
        backends: list[ReaderBackend],
        on_event: Callable[[CardEvent], None] | None = None,
        pass_ms: int = DEFAULT_PASS_MS,
    ) -> None:
        self._backends = list(backends)
        self._on_event = on_event
        self._pass_ms = pass_ms
        self._subscribers: list[queue.Queue[CardEvent]] = []
        self._tasks: queue.Queue[tuple[Callable[[], Any], Future[Any]]] = queue.Queue()
        self._lock = threading.Lock()  # guards the subscriber list and the readers snapshot
        self._readers: list[ReaderInfo] = []
        self._stop = threading.Event()
        self._ready = threading.Event()  # set once every backend was looked at and polled once
        self._thread: threading.Thread | None = None
        self._available: dict[int, bool] = {}
        self._checked_at: dict[int, float] = {}

    # ---------------------------------------------------------------- any thread

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="card-device", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the device thread and close every backend (on the device thread)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def wait_ready(self, timeout_s: float = 5.0) -> bool:
        """Wait until the device thread has looked at every backend once (start-up, not per event)."""
        return self._ready.wait(timeout_s)

    def subscribe(self) -> queue.Queue[CardEvent]:
        """A queue that receives every event from now on."""
        subscriber: queue.Queue[CardEvent] = queue.Queue()
        with self._lock:
            self._subscribers.append(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: queue.Queue[CardEvent]) -> None:
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def backend(self, source: str) -> ReaderBackend | None:
        """The backend of this source (to `submit` work that needs it, such as writing a card)."""
        return next((b for b in self._backends if b.source == source), None)

    def readers(self) -> list[ReaderInfo]:
        """The readers as the device thread last saw them."""
        with self._lock:
            return list(self._readers)

    def submit(self, task: Callable[[], T]) -> Future[T]:
        """Run task on the device thread (e.g. writing a card); its result or error comes in the Future."""
        future: Future[T] = Future()
        if self._stop.is_set() or self._thread is None:
            future.set_exception(RuntimeError("card manager is not running"))
            return future
        self._tasks.put((task, future))
        return future

    # ---------------------------------------------------------------- device thread

    def _run(self) -> None:
        try:
            self._refresh_readers()
            while not self._stop.is_set():
                self._run_tasks()
                waiting = [b for b in self._backends if self._is_available(b)]
                if not waiting:
                    self._ready.set()
                    self._stop.wait(self._pass_ms / 1000)
                    continue
                share = max(5, self._pass_ms // len(waiting))
                for backend in waiting:
                    self._poll(backend, share)
                self._ready.set()
        finally:
            for backend in self._backends:
                self._close(backend)
            self._fail_pending_tasks()

    def _is_available(self, backend: ReaderBackend) -> bool:
        key = id(backend)
        now = time.monotonic()
        if key not in self._available or (
            not self._available[key] and now - self._checked_at.get(key, 0) > AVAILABILITY_RECHECK_S
        ):
            self._checked_at[key] = now
            try:
                self._available[key] = bool(backend.is_available())
            except Exception:  # a backend bug must not stop the other readers
                log.exception("is_available failed for %s", backend.source)
                self._available[key] = False
            if self._available[key]:
                self._refresh_readers()
        return self._available[key]

    def _poll(self, backend: ReaderBackend, timeout_ms: int) -> None:
        try:
            events = backend.poll(timeout_ms)
        except Exception as error:  # never let one backend's bug kill the device thread
            log.exception("poll failed for %s", backend.source)
            events = [
                CardEvent(
                    CardEventKind.READ_FAILED,
                    backend.source,
                    "",
                    time.time_ns() // 1000,
                    error=ReadError.READER_FAILED,
                    detail=repr(error),
                )
            ]
        for event in events:
            self._deliver(event)
        if any(e.kind not in (CardEventKind.TAPPED, CardEventKind.READ_FAILED) for e in events):
            self._refresh_readers()

    def _deliver(self, event: CardEvent) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber.put(event)
        if self._on_event is not None:
            try:
                self._on_event(event)
            except Exception:
                log.exception("card event handler failed")

    def _refresh_readers(self) -> None:
        infos: list[ReaderInfo] = []
        for backend in self._backends:
            if not self._available.get(id(backend), False):
                infos.append(ReaderInfo(backend.source, backend.source, ReaderState.UNAVAILABLE))
                continue
            try:
                infos.extend(backend.readers())
            except Exception as error:
                infos.append(ReaderInfo(backend.source, backend.source, ReaderState.UNAVAILABLE, repr(error)))
        with self._lock:
            self._readers = infos

    def _run_tasks(self) -> None:
        while True:
            try:
                task, future = self._tasks.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(task())
            except BaseException as error:  # the caller decides what a failed write means
                future.set_exception(error)

    def _fail_pending_tasks(self) -> None:
        while True:
            try:
                _, future = self._tasks.get_nowait()
            except queue.Empty:
                return
            if future.set_running_or_notify_cancel():
                future.set_exception(RuntimeError("card manager stopped"))

    @staticmethod
    def _close(backend: ReaderBackend) -> None:
        try:
            backend.close()
        except Exception:
            log.exception("close failed for %s", backend.source)
