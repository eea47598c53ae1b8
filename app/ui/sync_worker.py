# SPDX-License-Identifier: GPL-3.0-or-later
"""Sync with the club server in the background: rounds on their own thread, their outcome as Qt signals.

Threading contract: one `SyncWorker` per enrolled terminal, built and started by the composition root
(app.ui.app). `start`, `wake`, `stop` and `note_member_seen` are called on the UI thread (and return at
once, but `stop`, which joins); rounds (`SyncClient.sync_round`) run only on the worker's own thread. That
thread emits private signals, which Qt queues to this object's slots on the UI thread; they keep `status`
and `refusal` (UI thread only) and emit the public `status_changed`, `round_finished` and `stopped` there.
So the UI thread never waits on the network, and every listener runs on the UI thread.

Why the hop rather than emitting the public signals from the worker thread: PySide6 (6.11) can crash
delivering a queued `Signal(object)` to a plain Python callable (a lambda, pytest-qt's signal blocker),
while a queued call to a QObject's slot is safe (tests/ui/test_sync_worker.py sends bursts through it).

When all is well a round runs every `interval_s`; after a failure the wait grows as `Backoff` says
(exponential, with jitter). Every recorded sale, enrolment or card change calls `wake`, so what it wrote
goes out at once instead of at the next tick. A server that refuses this terminal (revoked, or not
enrolled there) ends the loop: retrying would not help, and the status bar says why.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

from app.domain.errors import ClubError

if TYPE_CHECKING:
    from sync.client import Backoff, RoundSummary, SyncClient, SyncStatus

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 30.0
DEFAULT_JOIN_S = 10.0  # a round stuck on a silent server is left behind at exit (it resumes next time)


class SyncWorker(QObject):
    status_changed = Signal(object)  # SyncStatus: before a round (what waits) and after it
    round_finished = Signal(object)  # RoundSummary
    stopped = Signal(str)  # "device_revoked" | "not_enrolled": the server will not talk to this terminal
    client_built = Signal()  # a `make_client` client was built: its imports are in (app.ui.app.run_window)
    # emitted on the worker's thread only, queued to the slots below
    _status_read = Signal(object)
    _round_done = Signal(object)
    _refused = Signal(str)
    _built = Signal()

    def __init__(
        self,
        client: SyncClient | None = None,
        *,
        make_client: Callable[[], SyncClient] | None = None,
        interval_s: float = DEFAULT_INTERVAL_S,
        backoff: Backoff | None = None,
        parent: QObject | None = None,
    ) -> None:
        """`client`, or `make_client` to build it on the worker's thread at the first round (or when the
        client is first asked for): the HTTP stack and the wire models cost the window's cold start ~0.5 s
        (app/__main__.py)."""
        super().__init__(parent)
        self._client = client
        self._make_client = make_client
        self._client_lock = threading.Lock()  # held only briefly: the UI thread takes it at every tap
        self._build_lock = threading.Lock()
        self._seen_early: list[str] = []  # members seen before the client was built: noted once it is
        self.interval_s = interval_s
        self._backoff = backoff
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.status: SyncStatus | None = None
        self.refusal: str | None = None
        # queued (this object lives on the UI thread): the slots run there and re-emit the public signals
        self._status_read.connect(self.on_status_read)
        self._round_done.connect(self.on_round_done)
        self._refused.connect(self.on_refused)
        self._built.connect(self.on_built)

    # ---------------------------------------------------------------- UI thread

    def start(self) -> None:
        """Start the rounds; once only, and never again after `stop`."""
        if self._thread is not None or self._stop.is_set():
            return
        # a daemon: a round stuck on a silent network must not keep the process alive after `stop` gave up
        self._thread = threading.Thread(target=self._loop, name="bashgah-sync", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Something was written that the server should have: run a round now (any thread)."""
        self._wake.set()

    def note_member_seen(self, member_id: str) -> None:
        """A member was identified here: their offline grant is kept fresh from the next round on."""
        with self._client_lock:
            client = self._client
            if client is None:
                self._seen_early.append(member_id)
                return
        client.note_member_seen(member_id)

    @property
    def client(self) -> SyncClient:
        """The sync client (built now, on the calling thread, if `make_client` has not run yet: the worker's
        thread builds it at its first round, so a caller on the UI thread should ask on the worker)."""
        client = self._client
        if client is not None:
            return client
        with self._build_lock:  # one builder; `_client_lock` is not held meanwhile, so a tap's
            client = self._client  # note_member_seen on the UI thread never waits for the build
            if client is not None:
                return client
            assert self._make_client is not None, "SyncWorker needs a client or make_client"
            client = self._make_client()
            with self._client_lock:
                for member_id in self._seen_early:
                    client.note_member_seen(member_id)
                self._seen_early.clear()
                self._client = client
        self._built.emit()
        return client

    def stop(self, timeout_s: float = DEFAULT_JOIN_S) -> bool:
        """End the loop and join its thread; False if a round was still running after `timeout_s`."""
        self._stop.set()
        self._wake.set()
        client = self._client
        if client is not None:
            client.stop_retrying()  # a request waiting to be sent again gives up now, not after its back-off
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_s)
        if thread.is_alive():
            log.warning("sync round still running after %.0f s: left to end with the process", timeout_s)
            return False
        return True

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def online(self) -> bool | None:
        """Whether the server answered last time (None: not tried yet, or never enrolled there)."""
        return None if self.status is None else self.status.online

    @Slot(object)
    def on_status_read(self, status: SyncStatus) -> None:
        self.status = status
        self.status_changed.emit(status)

    @Slot(object)
    def on_round_done(self, summary: RoundSummary) -> None:
        self.round_finished.emit(summary)

    @Slot()
    def on_built(self) -> None:
        self.client_built.emit()

    @Slot(str)
    def on_refused(self, code: str) -> None:
        self.refusal = code
        self.stopped.emit(code)

    # ---------------------------------------------------------------- the worker's thread

    def _loop(self) -> None:
        if self._backoff is None:
            from sync.client import Backoff

            self._backoff = Backoff()
        while not self._stop.is_set() and not self._has_client():
            self._wake.wait(self._backoff.failed(0.0))
        while not self._stop.is_set():
            self._wake.clear()
            self._emit_status()  # what waits to go, e.g. the sale that woke us, shows before the round
            summary = self._round()
            if self._stop.is_set():
                return
            self._emit_status()
            if summary is not None and summary.fatal:
                assert summary.error is not None
                self._refused.emit(summary.error.code)
                return
            self._wake.wait(self._delay(summary))

    def _has_client(self) -> bool:
        try:
            self.client  # noqa: B018 (built here, on this thread)
        except Exception:  # a broken store or key: logged, tried again after a back-off, the window goes on
            log.exception("building the sync client failed")
            return False
        if self._stop.is_set():  # stopped while it was being built: its requests are not to retry
            self.client.stop_retrying()
        return True

    def _round(self) -> RoundSummary | None:
        """One round; None when it failed in a way the client does not report (logged, retried later)."""
        try:
            summary = self.client.sync_round()
        except Exception:  # a bug or a broken store must not end sync silently: log it, back off, go on
            log.exception("sync round failed")
            return None
        self._round_done.emit(summary)
        return summary

    def _delay(self, summary: RoundSummary | None) -> float:
        assert self._backoff is not None  # made at the loop's start
        if summary is not None and summary.ok:
            self._backoff.succeeded()
            return self.interval_s
        # a busy server's Retry-After is a floor for the next round too (sync.client.Backoff)
        retry_after_s = summary.error.retry_after_s if summary is not None and summary.error else 0.0
        return self._backoff.failed(retry_after_s)

    def _emit_status(self) -> None:
        try:
            status = self.client.status()
        except ClubError as error:  # the store is busy or unavailable: the next reading will do
            log.warning("sync status unreadable: %s", error)
            return
        self._status_read.emit(status)
