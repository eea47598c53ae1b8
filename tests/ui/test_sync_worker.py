# SPDX-License-Identifier: GPL-3.0-or-later
"""The sync worker's loop with a scripted client: rounds on its own thread, outcomes as signals delivered
on the UI thread, woken early, backing off after failures, stopping for good when the server refuses the
terminal, and joined on stop. (Against a real server: tests/ui/sync/.)"""

from __future__ import annotations

import threading
import time

import pytest

from app.ui.sync_worker import SyncWorker
from sync.client import RoundSummary, SyncError, SyncStatus

WAIT_MS = 5_000
LONG_S = 3_600.0  # between rounds: only a wake (or a failure's backoff) runs the next one


def status(**changes: object) -> SyncStatus:
    values = {
        "enrolled": True, "online": True, "last_sync_us": None, "unsynced": 0, "rejected": 0, "cursor": 0,
        "synced": True, "clock_behind": False, "last_error": None,
    } | changes  # fmt: skip
    return SyncStatus(**values)


class ScriptedClient:
    """Answers rounds from a script (the last answer repeats); counts what the worker asked."""

    def __init__(self, *answers: RoundSummary | Exception) -> None:
        self.answers = list(answers) or [RoundSummary()]
        self.rounds = 0
        self.seen: list[str] = []
        self.stopped_retrying = False
        self.round_threads: set[str] = set()

    def sync_round(self) -> RoundSummary:
        self.round_threads.add(threading.current_thread().name)
        answer = self.answers[min(self.rounds, len(self.answers) - 1)]
        self.rounds += 1
        if isinstance(answer, Exception):
            raise answer
        return answer

    def status(self) -> SyncStatus:
        return status(cursor=self.rounds)

    def note_member_seen(self, member_id: str) -> None:
        self.seen.append(member_id)

    def stop_retrying(self) -> None:
        self.stopped_retrying = True


class RecordingBackoff:
    def __init__(self, delay_s: float = LONG_S) -> None:
        self.delay_s = delay_s
        self.calls: list[str] = []
        self.retry_after_s: list[float] = []

    def failed(self, retry_after_s: float = 0.0) -> float:
        self.calls.append("failed")
        self.retry_after_s.append(retry_after_s)
        return self.delay_s

    def succeeded(self) -> None:
        self.calls.append("succeeded")


def failed_round(code: str, retryable: bool = False) -> RoundSummary:
    return RoundSummary(error=SyncError(code, retryable=retryable))


@pytest.fixture
def make_worker(qapp):
    made: list[SyncWorker] = []

    def make(
        client: ScriptedClient, backoff: RecordingBackoff | None = None, interval_s: float = LONG_S
    ) -> SyncWorker:
        worker = SyncWorker(client, interval_s=interval_s, backoff=backoff or RecordingBackoff())  # type: ignore[arg-type]
        made.append(worker)
        return worker

    yield make
    for worker in made:
        assert worker.stop()
        assert not worker.is_running()


def test_a_round_runs_at_start_on_its_own_thread_and_its_status_reaches_the_ui_thread(qtbot, make_worker):
    client = ScriptedClient()
    worker = make_worker(client)
    delivered_on: list[bool] = []
    worker.status_changed.connect(
        lambda _s: delivered_on.append(threading.current_thread() is threading.main_thread())
    )
    with qtbot.waitSignal(worker.status_changed, timeout=WAIT_MS, check_params_cb=lambda s: s.cursor == 1):
        worker.start()
    assert client.round_threads == {"bashgah-sync"}
    assert delivered_on and all(delivered_on)  # queued: slots run on the UI thread
    assert worker.status == status(cursor=1) and worker.online is True


def test_a_wake_runs_the_next_round_at_once_instead_of_after_the_interval(qtbot, make_worker):
    client = ScriptedClient()
    worker = make_worker(client)
    with qtbot.waitSignal(worker.round_finished, timeout=WAIT_MS):
        worker.start()
    with qtbot.waitSignal(worker.round_finished, timeout=WAIT_MS):
        worker.wake()
    assert client.rounds == 2


def test_a_failed_round_backs_off_and_a_good_one_resets_the_backoff(qtbot, make_worker):
    client = ScriptedClient(failed_round("server_unreachable", retryable=True), RoundSummary())
    backoff = RecordingBackoff()
    worker = make_worker(client, backoff)
    with qtbot.waitSignal(worker.round_finished, timeout=WAIT_MS, check_params_cb=lambda r: not r.ok):
        worker.start()
    qtbot.waitUntil(lambda: backoff.calls == ["failed"], timeout=WAIT_MS)
    with qtbot.waitSignal(worker.round_finished, timeout=WAIT_MS, check_params_cb=lambda r: r.ok):
        worker.wake()  # a sale while backing off is sent at once all the same
    qtbot.waitUntil(lambda: backoff.calls == ["failed", "succeeded"], timeout=WAIT_MS)


@pytest.mark.parametrize("code", ["device_revoked", "not_enrolled"])
def test_a_server_that_refuses_the_terminal_stops_the_worker_and_says_why(qtbot, make_worker, code):
    client = ScriptedClient(failed_round(code))
    worker = make_worker(client)
    with qtbot.waitSignal(worker.stopped, timeout=WAIT_MS) as stopped:
        worker.start()
    assert stopped.args == [code]
    qtbot.waitUntil(lambda: not worker.is_running(), timeout=WAIT_MS)
    assert worker.refusal == code and client.rounds == 1
    worker.wake()  # nothing left to wake
    assert client.rounds == 1


def test_an_unexpected_error_in_a_round_is_logged_and_the_loop_goes_on(qtbot, make_worker, caplog):
    client = ScriptedClient(RuntimeError("a bug"), RoundSummary())
    backoff = RecordingBackoff()
    worker = make_worker(client, backoff)
    worker.start()
    qtbot.waitUntil(lambda: backoff.calls == ["failed"], timeout=WAIT_MS)
    assert "sync round failed" in caplog.text
    with qtbot.waitSignal(worker.round_finished, timeout=WAIT_MS, check_params_cb=lambda r: r.ok):
        worker.wake()
    assert worker.is_running()


def test_stop_joins_the_thread_while_it_waits_for_the_next_round(qtbot, make_worker):
    worker = make_worker(ScriptedClient())
    with qtbot.waitSignal(worker.round_finished, timeout=WAIT_MS):
        worker.start()
    assert worker.stop(timeout_s=2.0)
    assert not worker.is_running()


class RetryingClient(ScriptedClient):
    """A round whose request waits to be sent again (a busy server) until the client is told to stop."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()
        self._give_up = threading.Event()

    def sync_round(self) -> RoundSummary:
        self.waiting.set()
        self._give_up.wait(LONG_S)
        return failed_round("server_busy", retryable=True)

    def stop_retrying(self) -> None:
        super().stop_retrying()
        self._give_up.set()


def test_stop_ends_a_request_waiting_to_be_sent_again(qtbot, make_worker):
    client = RetryingClient()
    worker = make_worker(client)
    worker.start()
    assert client.waiting.wait(WAIT_MS / 1000)
    assert worker.stop(timeout_s=WAIT_MS / 1000)  # without stop_retrying the round would wait an hour
    assert client.stopped_retrying and not worker.is_running()


def test_a_busy_servers_retry_after_is_passed_to_the_backoff(qtbot, make_worker):
    busy = RoundSummary(error=SyncError("server_busy", retryable=True, transient=True, retry_after=7))
    backoff = RecordingBackoff()
    worker = make_worker(ScriptedClient(busy), backoff=backoff)
    with qtbot.waitSignal(worker.round_finished, timeout=WAIT_MS):
        worker.start()
    qtbot.waitUntil(lambda: backoff.calls == ["failed"], timeout=WAIT_MS)
    assert backoff.retry_after_s == [7.0]


def test_members_seen_are_passed_to_the_client_for_their_grants(make_worker):
    client = ScriptedClient()
    make_worker(client).note_member_seen("m-1")
    assert client.seen == ["m-1"]


class BurstClient(ScriptedClient):
    """Answers `burst` rounds at once, then holds the next one until released: a burst that ends, so the
    worker cannot outrun the UI thread for ever on a slow machine."""

    def __init__(self, burst: int) -> None:
        super().__init__()
        self.burst = burst
        self.release = threading.Event()

    def sync_round(self) -> RoundSummary:
        if self.rounds >= self.burst:
            self.release.wait(WAIT_MS / 1000)
        return super().sync_round()


def test_statuses_in_a_burst_are_safe_for_listeners_that_come_and_go(qtbot, make_worker):
    """Rounds back to back while signal blockers connect and disconnect: a queued Signal(object) straight
    to such a listener crashed PySide 6.11 within a few hundred emissions; the worker's hop does not."""
    client = BurstClient(burst=1_000)
    worker = make_worker(client, interval_s=0.0)
    seen: list[int] = []
    worker.status_changed.connect(lambda s: seen.append(s.cursor))
    worker.start()
    deadline = time.monotonic() + WAIT_MS / 1000
    while not (seen and seen[-1] >= client.burst) and time.monotonic() < deadline:
        # a blocker connects, takes what is queued for a moment, and disconnects
        with qtbot.waitSignal(worker.status_changed, timeout=20, raising=False):
            pass
    client.release.set()
    assert worker.stop()
    assert seen == sorted(seen) and seen[-1] >= client.burst  # in order, on the UI thread


def test_a_stopped_worker_does_not_start_again(qtbot, make_worker):
    """start_window's late start (a window never painted) may come after the window closed."""
    client = ScriptedClient()
    worker = make_worker(client)
    assert worker.stop(timeout_s=2.0)
    worker.start()
    assert not worker.is_running() and client.rounds == 0


class TillWatchingClient(ScriptedClient):
    """Notes, at each round, whether the window's till views were built by then."""

    def __init__(self) -> None:
        super().__init__()
        self.window = None
        self.till_built: list[bool] = []

    def sync_round(self) -> RoundSummary:
        window = self.window
        self.till_built.append(window is not None and window._idle is not None and window._member is not None)
        return super().sync_round()


@pytest.fixture
def window_with(club):
    from app.cards.simulated import SimulatedReader
    from app.ui.app import start_window

    opened = []

    def open_(client: TillWatchingClient):
        running = start_window(club.terminal, [SimulatedReader("Test reader")], "en", sync_client=client)
        client.window = running.window  # before the event loop runs: no round can start earlier
        opened.append(running)
        return running

    yield open_
    for running in opened:
        running.close()


def test_the_first_round_waits_for_the_tills_views(qtbot, window_with):
    """Its push beside the views' building held the UI thread past a frame (bench --only soak)."""
    client = TillWatchingClient()
    running = window_with(client)
    assert not running.sync.is_running()  # not with the window's first frame still to come
    with qtbot.waitSignal(running.sync.round_finished, timeout=WAIT_MS):
        pass
    assert client.till_built == [True]


def test_a_window_never_painted_syncs_anyway(qtbot, window_with):
    client = TillWatchingClient()
    running = window_with(client)
    running.window.hide()  # before its first frame: as if started minimised
    with qtbot.waitSignal(running.sync.round_finished, timeout=WAIT_MS):
        pass
    assert client.till_built == [False]


class ClientMaker:
    """`make_client` for the worker: records the thread it ran on; fails the first `failures` times."""

    def __init__(self, client: ScriptedClient, failures: int = 0) -> None:
        self.client, self.failures = client, failures
        self.threads: list[str] = []

    def __call__(self) -> ScriptedClient:
        self.threads.append(threading.current_thread().name)
        if len(self.threads) <= self.failures:
            raise OSError("the store is not there yet")
        return self.client


def test_a_client_made_later_is_built_on_the_worker_s_thread_at_its_first_round(qtbot, qapp) -> None:
    """An enrolled till's client (the HTTP stack, the wire models) is built after the window's first
    frame, on the sync thread: a member seen before it exists is still noted, and the window hears once
    it is built (run_window settles the heap again then)."""
    client = ScriptedClient()
    maker = ClientMaker(client)
    worker = SyncWorker(make_client=maker, interval_s=LONG_S, backoff=RecordingBackoff())  # type: ignore[arg-type]
    try:
        worker.note_member_seen("m-1")
        assert maker.threads == []  # nothing built before the rounds start
        built: list[bool] = []
        on_ui_thread = lambda: threading.current_thread() is threading.main_thread()  # noqa: E731
        worker.client_built.connect(lambda: built.append(on_ui_thread()))
        with qtbot.waitSignal(worker.round_finished, timeout=WAIT_MS):
            worker.start()
        assert maker.threads == ["bashgah-sync"] and client.rounds == 1
        assert client.seen == ["m-1"]
        qtbot.waitUntil(lambda: built == [True])
        worker.note_member_seen("m-2")
        assert worker.client is client and client.seen == ["m-1", "m-2"] and maker.threads == ["bashgah-sync"]
    finally:
        assert worker.stop()


def test_a_client_that_cannot_be_built_yet_is_tried_again_after_a_backoff(qtbot, qapp) -> None:
    client = ScriptedClient()
    maker = ClientMaker(client, failures=2)
    backoff = RecordingBackoff(delay_s=0.01)
    worker = SyncWorker(make_client=maker, interval_s=LONG_S, backoff=backoff)  # type: ignore[arg-type]
    try:
        with qtbot.waitSignal(worker.round_finished, timeout=WAIT_MS):
            worker.start()
        assert len(maker.threads) == 3 and backoff.calls[:2] == ["failed", "failed"]
    finally:
        assert worker.stop()


def test_a_worker_stopped_before_its_client_was_built_stops_cleanly(qapp) -> None:
    maker = ClientMaker(ScriptedClient())
    worker = SyncWorker(make_client=maker, interval_s=LONG_S, backoff=RecordingBackoff())  # type: ignore[arg-type]
    assert worker.stop() and maker.threads == []
    worker.start()  # a stop is final
    assert not worker.is_running() and maker.threads == []


def test_a_member_seen_while_the_client_is_being_built_never_waits_for_it(qtbot, qapp) -> None:
    """The build (imports, the store) takes a while on the sync thread; a tap on the UI thread meanwhile
    notes the member at once and the client gets it."""
    client = ScriptedClient()
    building, release = threading.Event(), threading.Event()

    def slow_make() -> ScriptedClient:
        building.set()
        assert release.wait(WAIT_MS / 1000)
        return client

    worker = SyncWorker(make_client=slow_make, interval_s=LONG_S, backoff=RecordingBackoff())  # type: ignore[arg-type]
    try:
        worker.start()
        assert building.wait(WAIT_MS / 1000)
        worker.note_member_seen("m-1")  # returns while the build still waits: no deadlock, no wait
        release.set()
        qtbot.waitUntil(lambda: client.rounds == 1, timeout=WAIT_MS)
        assert client.seen == ["m-1"]
    finally:
        release.set()
        assert worker.stop()
