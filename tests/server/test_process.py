# SPDX-License-Identifier: GPL-3.0-or-later
"""The server as a real process on a real port: what a terminal sees over HTTP, across restarts, a crash."""

from __future__ import annotations

import gzip
import json

import httpx

from sync.protocol import PullResponse, PushResponse
from sync.server.db import Database
from tests.server.club import Terminal, admin_token, install_club, member, member_item


def prepared(db_url: str) -> str:
    """The test club in the database, and an admin token for it."""
    db = Database(db_url)
    try:
        install_club(db)
        return admin_token(db)
    finally:
        db.dispose()


def enrolled(http: httpx.Client, admin: str) -> Terminal:
    auth = {"Authorization": f"Bearer {admin}"}
    code = http.post("/v1/admin/enrollment-codes", json={"branch_code": "THR"}, headers=auth).json()["code"]
    answer = http.post("/v1/enroll", json={"code": code, "device_name": "counter"}).json()
    return Terminal(
        answer["device_id"],
        answer["device_code"],
        answer["token"],
        answer["card_prefix"],
        answer["key_id"],
        answer["branch_id"],
    )


def gzip_push(http: httpx.Client, terminal: Terminal, entries, items=()) -> PushResponse:
    body = gzip.compress(json.dumps(terminal.push_body(entries, items)).encode())
    headers = terminal.auth | {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    response = http.post("/v1/sync/push", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return PushResponse.model_validate(response.json())


def pull(http: httpx.Client, terminal: Terminal) -> PullResponse:
    response = http.get(
        "/v1/sync/pull?since=0&limit=5000", headers=terminal.auth | {"Accept-Encoding": "gzip"}
    )
    assert response.status_code == 200 and response.headers.get("content-encoding") == "gzip"
    return PullResponse.model_validate(response.json())


def test_a_terminal_syncs_with_a_real_server_across_a_restart_and_a_crash(db_url, server_process_factory):
    admin = prepared(db_url)
    server = server_process_factory(db_url)
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        health = http.get("/v1/health").json()
        assert health["status"] == "ok" and health["protocol"] == 1
        terminal = enrolled(http, admin)
        m = member()
        entries = [terminal.entry(m.id, points=p) for p in (10, 20)]
        first = gzip_push(http, terminal, entries, [member_item(m)])
        assert [r.outcome for r in first.entries] == ["accepted", "accepted"]
        before = pull(http, terminal)

        server.restart()
        after = pull(http, terminal)
        assert (after.changes, after.next_cursor) == (before.changes, before.next_cursor)

        server.kill()  # a crash between two pushes: the retry must find everything as it was
        server.start()
        retry = gzip_push(http, terminal, entries)
        assert [(r.outcome, r.server_seq) for r in retry.entries] == [
            ("duplicate", r.server_seq) for r in first.entries
        ]
        assert http.get("/openapi.json").json()["info"]["title"] == "Bashgah club server"


def test_serve_with_several_workers(db_url, server_process_factory):
    admin = prepared(db_url)
    server = server_process_factory(db_url, workers=2)
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        terminals = [enrolled(http, admin) for _ in range(3)]
        m = member()
        gzip_push(http, terminals[0], [], [member_item(m)])
        for terminal in terminals:
            for _ in range(4):
                assert gzip_push(http, terminal, [terminal.entry(m.id)]).entries[0].outcome == "accepted"
        seqs = [c.seq for c in pull(http, terminals[0]).changes]
        assert seqs == list(range(1, len(seqs) + 1))
