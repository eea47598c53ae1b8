# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault proxy does to real requests what it says, between `requests` and a real HTTP server.

Threading: each test runs an upstream server and a proxy, both stopped and joined before it ends; the
`no_stray_threads` fixture checks that nothing they started is left.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.support.fault_proxy import (
    DEFAULT_DELAY_MS,
    PASS,
    Fault,
    FaultProxy,
    RandomPolicy,
    Record,
    ScriptedPolicy,
)

BODY = bytes(range(256)) * 40  # binary, and long enough to cut in half
CLIENT_ERRORS = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
WAIT_S = 5.0


class Upstream:
    """A real HTTP/1.1 server that records every request it sees and echoes its body back."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, bytes]] = []
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
        self._server.daemon_threads = False  # so that server_close() joins the handlers
        self._server.upstream = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="upstream")

    @property
    def address(self) -> tuple[str, int]:
        return self._server.server_address[:2]  # type: ignore[return-value]

    def saw(self, method: str, path: str, body: bytes) -> None:
        with self._changed:
            self.seen.append((method, path, body))
            self._changed.notify_all()

    def wait_for(self, count: int) -> list[tuple[str, str, bytes]]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.seen) >= count, WAIT_S), self.seen
            return list(self.seen)

    def __enter__(self) -> Upstream:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = WAIT_S

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.upstream.saw(self.command, self.path, body)  # type: ignore[attr-defined]
        if len(body) < length:
            self.close_connection = True
            return
        self._reply(body)

    def do_HEAD(self) -> None:
        self.server.upstream.saw(self.command, self.path, b"")  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()

    def _reply(self, body: bytes) -> None:
        self.send_response(200)
        if self.headers.get("Content-Encoding"):
            self.send_header("Content-Encoding", self.headers["Content-Encoding"])
        if self.path == "/chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in (body[:100], body[100:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/until-close":
            self.close_connection = True
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def post(url: str, data: object = BODY, **kwargs: object) -> requests.Response:
    """POST on a fresh connection, ignoring any proxy the environment names."""
    with requests.Session() as session:
        session.trust_env = False
        return session.post(url, data=data, timeout=WAIT_S, **kwargs)  # type: ignore[arg-type]


def wait_until(condition: object) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.fixture(autouse=True)
def no_stray_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    assert set(threading.enumerate()) - before == set()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with Upstream() as server:
        yield server


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[FaultProxy]:
    with FaultProxy(upstream.address, reorder_timeout_s=2.0) as started:
        yield started


# ------------------------------------------------------------------------------------------- pass


def test_pass_forwards_a_gzip_body_byte_for_byte(proxy: FaultProxy, upstream: Upstream) -> None:
    compressed = gzip.compress(BODY)
    response = post(proxy.url + "/echo?x=1", compressed, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.content == BODY  # requests undid the gzip the upstream echoed
    assert response.headers["Connection"] == "close"
    assert upstream.seen == [("POST", "/echo?x=1", compressed)]
    assert proxy.records == [Record("POST", "/echo?x=1", "pass")]


@pytest.mark.parametrize("path", ["/chunked", "/until-close"])
def test_pass_reads_responses_framed_by_chunks_or_by_close(proxy: FaultProxy, path: str) -> None:
    assert post(proxy.url + path).content == BODY


def test_a_chunked_request_body_reaches_the_upstream_whole(proxy: FaultProxy, upstream: Upstream) -> None:
    response = post(proxy.url + "/echo", iter([BODY[:1000], BODY[1000:]]))
    assert response.content == BODY
    assert upstream.seen == [("POST", "/echo", BODY)]


def test_head_keeps_the_length_and_sends_no_body(proxy: FaultProxy) -> None:
    with requests.Session() as session:
        session.trust_env = False
        response = session.head(proxy.url + "/thing", timeout=WAIT_S)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(BODY))
    assert response.content == b""


# ----------------------------------------------------------------------------------------- faults


def test_drop_request_forwards_nothing(proxy: FaultProxy, upstream: Upstream) -> None:
    proxy.script(["drop_request"])
    with pytest.raises(requests.ConnectionError):
        post(proxy.url + "/lost")
    post(proxy.url + "/after")
    assert [path for _, path, _ in upstream.seen] == ["/after"]
    assert [record.fault for record in proxy.records] == ["drop_request", "pass"]


def test_drop_response_lets_the_server_work_and_the_client_fail(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    proxy.script(["drop_response"])
    with pytest.raises(requests.ConnectionError):
        post(proxy.url + "/push")
    assert upstream.seen == [("POST", "/push", BODY)]
    assert proxy.records == [Record("POST", "/push", "drop_response")]


def test_duplicate_reaches_the_upstream_twice_and_answers_once(proxy: FaultProxy, upstream: Upstream) -> None:
    proxy.script(["duplicate"])
    assert post(proxy.url + "/push").content == BODY
    assert upstream.seen == [("POST", "/push", BODY)] * 2


@pytest.mark.parametrize("fault", [Fault.of("delay:150"), Fault("delay", after_ms=150)])
def test_delay_holds_the_request_or_the_answer(proxy: FaultProxy, upstream: Upstream, fault: Fault) -> None:
    proxy.script([fault])
    started = time.monotonic()
    assert post(proxy.url + "/slow").content == BODY
    assert time.monotonic() - started >= 0.12
    assert proxy.records == [Record("POST", "/slow", "delay")]


def test_reorder_forwards_the_next_request_first(proxy: FaultProxy, upstream: Upstream) -> None:
    proxy.script(["reorder"])
    answers: list[bytes] = []
    first = threading.Thread(target=lambda: answers.append(post(proxy.url + "/first", b"1").content))
    first.start()
    wait_until(lambda: proxy.holding)
    assert post(proxy.url + "/second", b"2").content == b"2"
    first.join()
    assert answers == [b"1"]
    assert [path for _, path, _ in upstream.seen] == ["/second", "/first"]
    assert proxy.records == [Record("POST", "/second", "pass"), Record("POST", "/first", "reorder")]


def test_a_lone_reordered_request_goes_after_the_timeout(upstream: Upstream) -> None:
    with FaultProxy(upstream.address, reorder_timeout_s=0.1) as proxy:
        proxy.script(["reorder"])
        assert post(proxy.url + "/alone").content == BODY
        assert proxy.records == [Record("POST", "/alone", "reorder_expired")]
        assert not proxy.holding


def test_cut_response_sends_the_head_and_half_the_body(proxy: FaultProxy, upstream: Upstream) -> None:
    proxy.script(["cut_response"])
    try:
        response = post(proxy.url + "/push")
    except CLIENT_ERRORS:
        pass
    else:
        assert len(response.content) < len(BODY)
    assert upstream.seen == [("POST", "/push", BODY)]
    assert proxy.records == [Record("POST", "/push", "cut_response")]


def test_cut_request_sends_the_upstream_half_the_body(proxy: FaultProxy, upstream: Upstream) -> None:
    proxy.script(["cut_request"])
    with pytest.raises(requests.ConnectionError):
        post(proxy.url + "/push")
    assert upstream.wait_for(1) == [("POST", "/push", BODY[: len(BODY) // 2])]
    assert proxy.records == [Record("POST", "/push", "cut_request")]


# --------------------------------------------------------------------------------------- policies


def test_a_script_is_consumed_in_order_then_everything_passes(proxy: FaultProxy, upstream: Upstream) -> None:
    policy = proxy.script(["drop_response", "pass", "cut_response"])
    outcomes = []
    for _ in range(4):
        try:
            outcomes.append(len(post(proxy.url + "/push").content))
        except CLIENT_ERRORS:
            outcomes.append(None)
    assert outcomes[0] is None and outcomes[1] == len(BODY) and outcomes[3] == len(BODY)
    assert [record.fault for record in proxy.records] == ["drop_response", "pass", "cut_response", "pass"]
    assert policy.remaining == 0
    assert len(upstream.seen) == 4


def test_only_matching_paths_draw_a_fault(proxy: FaultProxy, upstream: Upstream) -> None:
    policy = proxy.script(["drop_request"], path_prefix="/v1/sync/push")
    assert post(proxy.url + "/v1/sync/pull").content == BODY
    assert policy.remaining == 1
    with pytest.raises(requests.ConnectionError):
        post(proxy.url + "/v1/sync/push")
    assert [record.fault for record in proxy.records] == ["pass", "drop_request"]


def test_a_seeded_random_policy_repeats_itself() -> None:
    def draws(seed: int) -> list[str]:
        policy = RandomPolicy(seed, {"drop_response": 0.3, "delay:10": 0.2}, path_prefix="/v1/sync/push")
        return [policy.choose("POST", "/v1/sync/push").name for _ in range(200)]

    assert draws(7) == draws(7) != draws(8)
    counts = {name: draws(7).count(name) for name in ("drop_response", "delay", "pass")}
    assert all(count > 20 for count in counts.values()), counts
    policy = RandomPolicy(7, {"drop_request": 1.0}, path_prefix="/v1/sync/push")
    assert policy.choose("GET", "/v1/sync/pull") == PASS
    assert policy.choose("GET", "/v1/sync/push") == Fault("drop_request")


def test_a_random_policy_drives_the_proxy(proxy: FaultProxy, upstream: Upstream) -> None:
    proxy.randomly(1, {"duplicate": 1.0})
    post(proxy.url + "/push")
    assert len(upstream.seen) == 2


def test_faults_are_checked_when_made() -> None:
    assert Fault.of("delay") == Fault("delay", DEFAULT_DELAY_MS)
    assert Fault.of("drop_response:5:7") == Fault("drop_response", 5, 7)
    assert ScriptedPolicy(["pass"]).remaining == 1
    with pytest.raises(ValueError, match="unknown fault"):
        Fault.of("explode")
    with pytest.raises(ValueError, match="sum to at most 1"):
        RandomPolicy(1, {"pass": 0.6, "drop_request": 0.6})


# -------------------------------------------------------------------------------------- lifecycle


def test_a_down_upstream_closes_the_client_connection(proxy: FaultProxy) -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        proxy.upstream = placeholder.getsockname()[:2]
    with pytest.raises(requests.ConnectionError):
        post(proxy.url + "/push")
    assert proxy.records == [Record("POST", "/push", "upstream_error")]


def test_the_upstream_can_be_retargeted(proxy: FaultProxy, upstream: Upstream) -> None:
    with Upstream() as restarted:
        proxy.upstream = restarted.address
        post(proxy.url + "/push")
        assert len(restarted.seen) == 1
    assert upstream.seen == []


def test_stop_ends_a_request_in_flight_promptly(upstream: Upstream) -> None:
    errors: list[Exception] = []

    def client() -> None:
        try:
            post(proxy.url + "/stuck")
        except CLIENT_ERRORS as error:
            errors.append(error)

    with FaultProxy(upstream.address) as proxy:
        proxy.script(["delay:60000"])
        thread = threading.Thread(target=client)
        thread.start()
        wait_until(lambda: any(t.name.startswith("fault-proxy-conn") for t in threading.enumerate()))
    thread.join(WAIT_S)
    assert not thread.is_alive()
    assert len(errors) == 1
    assert upstream.seen == []
