# SPDX-License-Identifier: GPL-3.0-or-later
"""What an operator watches (sync.server.observability): /healthz and /readyz for a load balancer, the
Prometheus metrics at /metrics (restricted; right across `serve --workers N`), and request ids in
answers, error bodies and every log line."""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from sync.server import migrate
from sync.server.app import create_app
from sync.server.db import Database
from sync.server.observability import (
    DEFAULT_METRICS_ALLOW,
    READY_TIMEOUT_S,
    JsonFormatter,
    MetricsAccess,
    RequestIdFilter,
    current_request_id,
)
from tests.server.club import FakeClock, Terminal, member, member_item, push
from tests.support.server_process import ServerProcess

TOKEN = "metrics-secret"
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def metric(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client: TestClient) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    return response.text


@pytest.fixture
def metrics_client(db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("BASHGAH_METRICS_TOKEN", TOKEN)
    with TestClient(create_app(db, clock)) as client:
        yield client


# ---- health and readiness --------------------------------------------------------------------------------


def test_healthz_and_readyz_answer_for_a_ready_server(client: TestClient):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    assert client.get("/v1/health").status_code == 200  # the terminals' check stays


def test_readyz_is_503_with_the_reason_when_the_database_is_away():
    away = Database("postgresql+psycopg://nobody@127.0.0.1:1/nothing")  # nothing listens on port 1
    try:
        with TestClient(create_app(away)) as client:
            assert client.get("/healthz").status_code == 200  # liveness does not ask the database
            started = time.monotonic()
            response = client.get("/readyz")
            assert time.monotonic() - started < READY_TIMEOUT_S + 1
    finally:
        away.dispose()
    assert response.status_code == 503
    assert response.json()["status"] == "not_ready" and "database" in response.json()["reason"]


@sqlite_only
def test_readyz_is_503_until_the_schema_is_at_head(client: TestClient, db: Database):
    command.stamp(migrate.alembic_config(db), "0015")
    response = client.get("/readyz")
    assert response.status_code == 503 and "0015" in response.json()["reason"]
    command.stamp(migrate.alembic_config(db), "head")
    assert client.get("/readyz").status_code == 200


@sqlite_only
def test_health_checks_are_never_refused_as_too_many_attempts(client: TestClient):
    for _ in range(100):  # wrong tokens until this address is refused
        if client.get("/v1/sync/pull", headers={"Authorization": "Bearer wrong"}).status_code == 429:
            break
    else:
        pytest.fail("the attempt limit never refused")
    for _ in range(200):  # more than the open paths' allowance too
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200


# ---- request ids and logs ----------------------------------------------------------------------------


@sqlite_only
def test_a_request_id_is_taken_or_made_and_answered(client: TestClient):
    given = client.get("/healthz/nothing", headers={"X-Request-ID": "branch-THR.01:42"})
    assert given.headers["X-Request-ID"] == "branch-THR.01:42"
    for unsafe in ("x" * 65, "a b", "<script>", "ok\u0645"):
        made = client.get("/v1/health", headers={"X-Request-ID": unsafe.encode()})
        assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    one, two = client.get("/v1/health"), client.get("/v1/health")
    assert one.headers["X-Request-ID"] != two.headers["X-Request-ID"]


@sqlite_only
def test_error_answers_carry_the_request_id(client: TestClient):
    missing = client.get("/v1/nothing-here", headers={"X-Request-ID": "quote-me"})
    assert missing.status_code == 404 and missing.json()["detail"]["request_id"] == "quote-me"
    refused = client.get("/v1/sync/pull", headers={"X-Request-ID": "quote-me-2"})
    assert refused.status_code == 401 and refused.json()["detail"]["request_id"] == "quote-me-2"
    assert refused.json()["detail"]["code"] == "unauthorized"
    # a large error body, gzipped by the server, still gets it
    zipped = client.post(
        "/v1/sync/push",
        json={"device_id": "x" * 5000, "entries": [{"bad": "y" * 3000}]},
        headers={"X-Request-ID": "quote-me-3", "Accept-Encoding": "gzip", "Authorization": "Bearer wrong"},
    )
    assert zipped.json()["detail"]["request_id"] == "quote-me-3"


@sqlite_only
def test_every_log_line_of_a_request_has_its_id_and_a_failure_is_a_json_500(db: Database):
    app = create_app(db)
    log = logging.getLogger("bashgah.test.observability")

    def speaks() -> dict[str, str]:
        log.warning("inside the route")
        return {"id": current_request_id()}

    def fails() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/test/speaks", speaks)
    app.add_api_route("/test/fails", fails)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            spoken = client.get("/test/speaks", headers={"X-Request-ID": "req-1"})
            failed = client.get("/test/fails", headers={"X-Request-ID": "req-2"})
    finally:
        root.removeHandler(handler)
    assert spoken.json() == {"id": "req-1"}  # the route (in a worker thread) sees the id
    said = [r for r in records if r.getMessage() == "inside the route"]
    assert [r.request_id for r in said] == ["req-1"]
    assert failed.status_code == 500
    assert failed.json()["detail"] == {
        "code": "internal_error",
        "message": "the server failed; quote the request id",
        "request_id": "req-2",
    }
    [logged] = [r for r in records if r.exc_info]
    assert logged.request_id == "req-2"
    line = json.loads(JsonFormatter().format(logged))
    assert (line["level"], line["request_id"]) == ("error", "req-2")
    assert "RuntimeError: a bug" in line["exception"]
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "no request", None, None)
    RequestIdFilter().filter(outside)
    assert json.loads(JsonFormatter().format(outside))["request_id"] == "-"


# ---- metrics -----------------------------------------------------------------------------------------------


def test_metrics_are_only_for_allowed_addresses_or_the_token():
    def scope(address: str, token: str | None = None) -> dict:
        headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
        return {"client": (address, 5000), "headers": headers}

    default = MetricsAccess(DEFAULT_METRICS_ALLOW)
    assert default.allows(scope("127.0.0.1")) and default.allows(scope("::1"))
    assert not default.allows(scope("10.1.2.3")) and not default.allows(scope("testclient"))
    named = MetricsAccess("10.1.0.0/16", token=TOKEN)
    assert named.allows(scope("10.1.2.3")) and not named.allows(scope("127.0.0.1"))
    assert named.allows(scope("192.0.2.9", TOKEN)) and not named.allows(scope("192.0.2.9", "guess"))


def test_metrics_count_pushes_entries_pulls_and_latency(
    metrics_client: TestClient, club_db, terminal: Terminal
):
    assert metrics_client.get("/metrics").status_code == 403  # the test client is no allowed address
    before = scrape(metrics_client)
    m = member()
    push(metrics_client, terminal, [], [member_item(m)])
    entries = [terminal.entry(m.id), terminal.entry(m.id)]
    push(metrics_client, terminal, entries)
    push(metrics_client, terminal, entries[:1])  # again: a duplicate
    metrics_client.get("/v1/sync/pull?since=0", headers=terminal.auth)
    metrics_client.post("/v1/sync/push", json=terminal.push_body([]), headers={"Authorization": "Bearer no"})
    metrics_client.get(
        "/v1/sync/pull", headers={**terminal.auth, "X-Bashgah-Backlog": "7", "X-Bashgah-Version": "1.0"}
    )
    after = scrape(metrics_client)

    def grew(name: str, **labels: str) -> float:
        return metric(after, name, **labels) - metric(before, name, **labels)

    assert grew("bashgah_pushes_total", outcome="ok") == 3
    assert grew("bashgah_pushes_total", outcome="refused") == 1
    assert grew("bashgah_push_entries_total", outcome="accepted") == 2
    assert grew("bashgah_push_entries_total", outcome="duplicate") == 1
    assert grew("bashgah_pull_pages_total", outcome="ok") == 2
    push_route = {"route": "/v1/sync/push", "method": "POST"}
    assert grew("bashgah_http_request_duration_seconds_count", **push_route) == 4
    assert grew("bashgah_http_requests_total", **push_route, status="200") == 3
    assert metric(after, "bashgah_server_sequence") > 0
    assert metric(after, "bashgah_terminal_backlog_entries", device=terminal.device_code) == 7
    assert (
        0
        <= metric(after, "bashgah_terminal_seconds_since_seen", device=terminal.device_code)
        < 3600 * 24 * 3650
    )
    assert metric(after, "bashgah_db_pool_connections", engine="primary", state="size") >= 1
    assert ("bashgah_db_pool_connections", (("engine", "primary"), ("state", "checked_out"))) in samples(
        after
    )
    # a path with an id in it is counted by its template, not as a new series per id
    assert not [k for k in samples(after) if any(v.startswith("/v1/nothing") for _, v in k[1])]


# ---- a real server: several workers, JSON logs ----------------------------------------------------------


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_workers_count_as_one_and_log_json_lines_with_the_request_id(db: Database, tmp_path: Path):
    url = db.url.render_as_string(hide_password=False)
    server = ServerProcess(
        url, workers=2, log_dir=tmp_path, serve_args=["--log-level", "info", "--log-format", "json"]
    )
    with server:
        requests_made = 40
        for n in range(requests_made):  # each on a connection of its own: the workers share them out
            request = urllib.request.Request(
                server.base_url + "/v1/health", headers={"X-Request-ID": f"probe-{n}"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.headers["X-Request-ID"] == f"probe-{n}"
        counts = set()
        for _ in range(6):  # whichever worker answers the scrape
            with urllib.request.urlopen(server.base_url + "/metrics", timeout=10) as response:
                text = response.read().decode()
            route = {"route": "/v1/health", "method": "GET"}
            counts.add(metric(text, "bashgah_http_requests_total", **route, status="200"))
        with urllib.request.urlopen(server.base_url + "/readyz", timeout=10) as response:
            assert json.loads(response.read()) == {"status": "ready"}
    # the startup's own health polls count too: at least ours, and the same from every worker
    assert len(counts) == 1 and counts.pop() >= requests_made
    lines = [json.loads(line) for line in server.log_path.read_text().splitlines() if line.startswith("{")]
    ours = [line for line in lines if str(line.get("request_id", "")).startswith("probe-")]
    assert len(ours) >= requests_made  # uvicorn's access lines, one per request, each with its id
    assert all({"time", "level", "logger", "message"} <= set(line) for line in ours)
