# SPDX-License-Identifier: GPL-3.0-or-later
"""The card manager's threading contract, with a scripted backend (real readers: tests/integration/cards)."""

from __future__ import annotations

import queue
import threading
import time

import pytest

from app.cards.base import CardEvent, CardEventKind, ReaderInfo, ReaderState
from app.cards.manager import CardManager


class ScriptedBackend:
    """Emits queued events; records which thread touched it."""

    source = "scripted"

    def __init__(self, available: bool = True, explode: bool = False) -> None:
        self.pending: queue.Queue[CardEvent] = queue.Queue()
        self.threads: set[str] = set()
        self.available = available
        self.explode = explode
        self.closed = 0

    def _touch(self) -> None:
        self.threads.add(threading.current_thread().name)

    def is_available(self) -> bool:
        self._touch()
        return self.available

    def readers(self) -> list[ReaderInfo]:
        self._touch()
        return [ReaderInfo(self.source, "Scripted 0", ReaderState.READY)]

    def poll(self, timeout_ms: int) -> list[CardEvent]:
        self._touch()
        if self.explode:
            raise OSError("the reader fell on the floor")
        try:
            return [self.pending.get(timeout=timeout_ms / 1000)]
        except queue.Empty:
            return []

    def close(self) -> None:
        self._touch()
        self.closed += 1


def tapped(n: int = 0) -> CardEvent:
    return CardEvent(CardEventKind.TAPPED, "scripted", "Scripted 0", 1, uid=bytes([n]))


@pytest.fixture
def running():
    managers: list[CardManager] = []

    def start(*backends, **kwargs) -> CardManager:
        manager = CardManager(list(backends), **kwargs)
        manager.start()
        managers.append(manager)
        return manager

    yield start
    for manager in managers:
        manager.stop()


def test_events_reach_every_subscriber_and_the_callback(running):
    backend = ScriptedBackend()
    seen: list[CardEvent] = []
    manager = running(backend, on_event=seen.append)
    a, b = manager.subscribe(), manager.subscribe()
    backend.pending.put(tapped(7))
    assert a.get(timeout=2).uid == b"\x07"
    assert b.get(timeout=2).uid == b"\x07"
    assert seen[0].uid == b"\x07"


def test_backends_are_only_touched_on_the_device_thread(running):
    backend = ScriptedBackend()
    manager = running(backend)
    events = manager.subscribe()
    backend.pending.put(tapped())
    events.get(timeout=2)
    manager.stop()
    assert backend.threads == {"card-device"}
    assert backend.closed == 1


def test_a_backend_that_raises_becomes_an_event_and_others_keep_working(running):
    broken, good = ScriptedBackend(explode=True), ScriptedBackend()
    manager = running(broken, good)
    events = manager.subscribe()
    good.pending.put(tapped(1))
    wanted = {CardEventKind.READ_FAILED, CardEventKind.TAPPED}
    kinds = set()
    deadline = time.monotonic() + 3
    # until both: the tap may come first (the broken reader's event of that pass went out before we
    # subscribed); the broken reader fails again on every pass
    while time.monotonic() < deadline and not wanted <= kinds:
        kinds.add(events.get(timeout=2).kind)
    assert wanted <= kinds


def test_unavailable_backends_are_listed_but_not_polled(running):
    absent = ScriptedBackend(available=False)
    absent.source = "absent"
    manager = running(absent, ScriptedBackend())
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and len(manager.readers()) < 2:
        time.sleep(0.01)
    states = {r.source: r.state for r in manager.readers()}
    assert states == {"absent": ReaderState.UNAVAILABLE, "scripted": ReaderState.READY}
    assert absent.threads == {"card-device"} and absent.pending.empty()


def test_submitted_work_runs_on_the_device_thread_without_blocking_the_caller(running):
    manager = running(ScriptedBackend())
    started = time.monotonic()
    future = manager.submit(lambda: threading.current_thread().name)
    assert time.monotonic() - started < 0.05
    assert future.result(timeout=2) == "card-device"
    failing = manager.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing.result(timeout=2)


def test_submit_after_stop_fails_fast():
    manager = CardManager([ScriptedBackend()])
    with pytest.raises(RuntimeError):
        manager.submit(lambda: 1).result(timeout=1)
