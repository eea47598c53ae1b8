# SPDX-License-Identifier: GPL-3.0-or-later
"""The sync client's small parts: backoff with full jitter, and what each HTTP answer means."""

import gzip
import json

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from sync.client import Backoff, SyncError, _answer, _gzip_json, _parse
from sync.protocol import UploadStatus


class Steps:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def response(status: int, body: object = None, raw: bytes | None = None) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = raw if raw is not None else json.dumps(body).encode()
    return answer


def test_backoff_doubles_up_to_the_cap_with_full_jitter():
    clock = Steps()
    backoff = Backoff(base_s=1, cap_s=60, random_fn=lambda: 1.0, clock=clock)
    assert [backoff.failed() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff.wait_s() == 60
    clock.now += 45
    assert backoff.wait_s() == 15
    backoff.succeeded()
    assert backoff.wait_s() == 0 and backoff.failed() == 1


def test_full_jitter_can_wait_nothing_at_all():
    backoff = Backoff(base_s=1, cap_s=60, random_fn=lambda: 0.0, clock=Steps())
    assert backoff.failed() == 0 and backoff.failed() == 0


@given(st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=80))
def test_a_delay_is_never_negative_nor_beyond_the_cap(draws):
    values = iter(draws)
    backoff = Backoff(base_s=0.5, cap_s=300, random_fn=lambda: next(values), clock=Steps())
    for _ in draws:
        assert 0 <= backoff.failed() < 300


@pytest.mark.parametrize(
    ("status", "body", "code", "retryable"),
    [
        (500, {"detail": "boom"}, "server_unreachable", True),
        (503, None, "server_unreachable", True),
        (401, {"detail": {"code": "unauthorized", "message": "?"}}, "not_enrolled", False),
        (403, {"detail": {"code": "device_revoked", "message": "?"}}, "device_revoked", False),
        (409, {"detail": {"code": "push_first", "message": "?", "contiguous_seq": 4}}, "sync_refused", False),
        (413, {"detail": {"code": "batch_too_large", "message": "?"}}, "sync_refused", False),
    ],
)
def test_what_an_answer_means(status, body, code, retryable):
    with pytest.raises(SyncError) as raised:
        _answer(response(status, body))
    assert raised.value.code == code and raised.value.retryable is retryable


def test_a_refusal_keeps_the_servers_code_and_fields():
    with pytest.raises(SyncError) as raised:
        _answer(response(409, {"detail": {"code": "insufficient_points", "message": "no", "available": 7}}))
    assert raised.value.server_code == "insufficient_points"
    assert raised.value.params["available"] == 7 and raised.value.params["status"] == 409


def test_a_wrong_enrolment_code_is_not_a_lost_enrolment():
    with pytest.raises(SyncError) as raised:
        _answer(response(401, {"detail": {"code": "invalid_enrollment_code", "message": "?"}}))
    assert raised.value.code == "sync_refused"


def test_a_garbled_answer_is_retried_like_a_lost_one():
    with pytest.raises(SyncError) as raised:
        _parse(UploadStatus, response(200, raw=b'{"sha256": "ab'))
    assert raised.value.retryable


def test_bodies_go_gzipped():
    status = UploadStatus(sha256="ab" * 32, received=3, complete=False)
    assert json.loads(gzip.decompress(_gzip_json(status))) == status.model_dump()
