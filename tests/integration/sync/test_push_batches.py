# SPDX-License-Identifier: GPL-3.0-or-later
"""How the client cuts the outbox into batches, against a scripted server (no network)."""

import gzip
import json

import pytest
import requests

import sync.client as client_module
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.store import sync_state
from app.store.device_token import write_token
from sync.client import SyncClient, SyncError
from sync.protocol import PushRequest, PushResponse, Result


class ScriptedServer:
    """A requests.Session stand-in that answers pushes; `answer` decides each response."""

    def __init__(self, answer=None) -> None:
        self.batches: list[PushRequest] = []
        self.seq = 0
        self.answer = answer or self.accept_all

    def request(self, method, url, **kwargs):
        assert url.endswith("/v1/sync/push") and kwargs["headers"]["Content-Encoding"] == "gzip"
        push = PushRequest.model_validate_json(gzip.decompress(kwargs["data"]))
        status, body = self.answer(push)
        if status == 200:
            self.batches.append(push)
        reply = requests.Response()
        reply.status_code = status
        reply._content = body.encode()
        return reply

    def accept_all(self, push):
        results = []
        for row in [*push.items, *push.entries]:
            self.seq += 1
            results.append(Result(id=row.id, outcome="accepted", server_seq=self.seq))
        items, entries = results[: len(push.items)], results[len(push.items) :]
        top = max((e.device_seq for e in push.entries), default=0)
        answer = PushResponse(items=items, entries=entries, contiguous_seq=top, server_time_us=1)
        return 200, answer.model_dump_json()


@pytest.fixture
def till(terminal):
    with terminal.db.write() as conn:
        sync_state.put(conn, sync_state.SERVER_URL, "http://club.test")
        sync_state.put(conn, sync_state.DEVICE_ID, terminal.device_id)
    write_token(terminal.data_dir, "t" * 43)
    for i in range(3):
        member = enroll_member(terminal, EnrollRequest(name=f"M {i}", phone=f"0912111000{i}")).member
    for _ in range(4):
        record_sale(terminal, SaleRequest(member.id, 1_000_000))
    return terminal


def test_entries_wait_until_every_item_is_on_its_way(till, monkeypatch):
    monkeypatch.setattr(client_module, "MAX_PUSH_ITEMS", 2)
    monkeypatch.setattr(client_module, "MAX_PUSH_ENTRIES", 3)
    server = ScriptedServer()
    summary = SyncClient(till.db, session=server).push()
    shape = [(len(b.items), [e.device_seq for e in b.entries]) for b in server.batches]
    assert shape == [(2, []), (2, []), (2, []), (0, [1, 2, 3]), (0, [4])]
    assert summary.pushed == 10 and summary.batches == 5
    assert SyncClient(till.db, session=server).push().batches == 0  # all answered: nothing to resend


def test_a_batch_too_large_is_halved_until_it_fits(till):
    def small_batches_only(push):
        if len(push.items) + len(push.entries) > 2:
            return 413, json.dumps({"detail": {"code": "batch_too_large", "message": "?"}})
        return server.accept_all(push)

    server = ScriptedServer(small_batches_only)
    summary = SyncClient(till.db, session=server).push()
    assert summary.pushed == 10 and all(len(b.items) + len(b.entries) <= 2 for b in server.batches)


def test_a_server_that_answers_nothing_is_reported_not_looped_on(till):
    def silent(push):
        return 200, PushResponse(contiguous_seq=0, server_time_us=1).model_dump_json()

    server = ScriptedServer(silent)
    with pytest.raises(SyncError, match="sync_refused"):
        SyncClient(till.db, session=server).push()
    assert len(server.batches) == 1
