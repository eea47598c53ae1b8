# SPDX-License-Identifier: GPL-3.0-or-later
"""How the sync client sends again a request the server did not take: exponential back-off with full
jitter (so that two hundred terminals coming back together spread out), never sooner than Retry-After,
within a budget, and never for a spend."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from sync.client import Backoff, Retries, SyncClient, SyncError


def answer(status: int, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    response._content = b'{"detail": {"code": "storage_unavailable", "message": "busy"}}'
    return response


class Scripted(requests.Session):
    """A session that answers from a script (a Response, or an exception to raise) and notes each call."""

    def __init__(self, script: list[Any]) -> None:
        super().__init__()
        self.script = list(script)
        self.sent: list[tuple[str, str, Any]] = []

    def request(self, method: str, url: str, *_args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append((method, url, kwargs.get("data")))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step  # type: ignore[no-any-return]


class Client(SyncClient):
    """The real `_call`, without a terminal's store behind it."""

    def _identity(self) -> tuple[str, str, str]:
        return "http://club.invalid", "device", "token"


def client(tmp_path: Path, script: list[Any], *, seed: int = 7, **kwargs: Any) -> tuple[Client, list[float]]:
    waits: list[float] = []

    def sleep(seconds: float) -> bool:
        waits.append(seconds)
        return False

    made = Client(
        SimpleNamespace(path=tmp_path / "till.sqlite3"),  # type: ignore[arg-type]
        session=Scripted(script),
        random_fn=random.Random(seed).random,
        sleep=sleep,
        **kwargs,
    )
    return made, waits


def test_full_jitter_with_a_seeded_random_is_reproducible_and_spreads_the_terminals():
    def delays(seed: int) -> list[float]:
        backoff = Backoff(base_s=1, cap_s=60, random_fn=random.Random(seed).random)
        return [backoff.failed() for _ in range(8)]

    assert delays(1) == delays(1)  # deterministic for a seed
    ceilings = [1, 2, 4, 8, 16, 32, 60, 60]
    for seed in range(50):
        assert all(0 <= d <= c for d, c in zip(delays(seed), ceilings, strict=True))
    # two hundred terminals failing at the same moment: their first retries are spread over the window,
    # not bunched at its end as a plain exponential back-off would bunch them
    firsts = sorted(Backoff(base_s=8, random_fn=random.Random(s).random).failed() for s in range(200))
    assert len({round(d, 2) for d in firsts}) > 150
    assert firsts[20] < 1.5 and firsts[-20] > 6.5  # about uniform over [0, 8)


def test_a_wait_is_never_sooner_than_retry_after_and_still_jittered():
    backoff = Backoff(base_s=1, cap_s=60, random_fn=random.Random(3).random)
    waits = [backoff.failed(retry_after_s=5) for _ in range(4)]
    assert all(5 <= w < 5 + c for w, c in zip(waits, [1, 2, 4, 8], strict=True))
    assert len(set(waits)) == 4


def test_a_busy_server_is_asked_again_after_its_retry_after(tmp_path):
    made, waits = client(tmp_path, [answer(503, {"Retry-After": "2"}), answer(503), answer(200)])
    assert made._call("POST", "/v1/sync/push", data=b"body").status_code == 200
    sent = made.session.sent  # type: ignore[attr-defined]
    assert len(sent) == 3 and {s[2] for s in sent} == {b"body"}  # the same body each time
    assert len(waits) == 2 and 2 <= waits[0] < 2 + 0.5 and 0 <= waits[1] < 1.0
    assert made.retried == 2 and made.online is True


def test_a_refused_connection_is_tried_again_a_read_timeout_is_not(tmp_path):
    made, waits = client(tmp_path, [requests.ConnectionError("refused"), answer(200)])
    assert made._call("GET", "/v1/sync/pull").status_code == 200 and len(waits) == 1

    made, waits = client(tmp_path, [requests.ReadTimeout("slow"), answer(200)])
    with pytest.raises(SyncError) as raised:
        made._call("GET", "/v1/sync/pull")
    assert raised.value.retryable and not raised.value.transient and waits == []


def test_the_attempts_and_the_budget_are_kept(tmp_path):
    made, waits = client(tmp_path, [answer(503)] * 10, retries=Retries(attempts=3, base_s=0.5, cap_s=8))
    with pytest.raises(SyncError) as raised:
        made._call("GET", "/v1/sync/pull")
    assert raised.value.code == "server_unreachable" and len(made.session.sent) == 3  # type: ignore[attr-defined]
    assert len(waits) == 2

    # a Retry-After beyond the budget is left to the caller's loop, which honours it (SyncClient.run)
    made, waits = client(tmp_path, [answer(503, {"Retry-After": "120"})], retries=Retries(budget_s=20))
    with pytest.raises(SyncError) as raised:
        made._call("GET", "/v1/sync/pull")
    assert waits == [] and raised.value.retry_after_s == 120
    assert Backoff(random_fn=lambda: 0.0).failed(raised.value.retry_after_s) == 120


def test_a_refusal_and_a_spend_are_not_sent_again(tmp_path):
    refused = answer(409)
    refused._content = b'{"detail": {"code": "push_first", "message": "?"}}'
    made, waits = client(tmp_path, [refused])
    with pytest.raises(SyncError) as raised:
        made._call("POST", "/v1/sync/push", data=b"x")
    assert raised.value.server_code == "push_first" and waits == []

    made, waits = client(tmp_path, [answer(503, {"Retry-After": "1"})])
    made.spend_session = made.session
    with pytest.raises(SyncError):
        made._call("POST", "/v1/spend", data=b"x", spend=True)
    assert waits == [] and made.retried == 0


def test_a_stopping_client_does_not_wait_to_retry(tmp_path):
    made = Client(
        SimpleNamespace(path=tmp_path / "till.sqlite3"),  # type: ignore[arg-type]
        session=Scripted([answer(503, {"Retry-After": "30"}), answer(200)]),
    )
    made.stop_retrying()
    with pytest.raises(SyncError):
        made._call("GET", "/v1/sync/pull")  # at once: the Event is set, the wait returns True
    assert made.retried == 0
