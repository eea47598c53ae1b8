# SPDX-License-Identifier: GPL-3.0-or-later
"""A fault-injecting HTTP/1.1 proxy for tests, between a sync client and a real server, on 127.0.0.1.

    with FaultProxy(upstream=("127.0.0.1", port)) as proxy:
        proxy.script(["drop_response", "pass", "cut_response"], path_prefix="/v1/sync/push")
        requests.post(proxy.url + "/v1/sync/push", data=body)   # the server pushed; the client never learns
        assert proxy.records[0] == ("POST", "/v1/sync/push", "drop_response")

Each request is answered on its own connection (`Connection: close` is forced both ways), and a policy
picks one `Fault` for it (see FAULTS): pass it through, drop the request or the response, send it to the
upstream twice, delay it, swap it with the next request, or cut the request or the response half-way.
Requests whose path does not start with the policy's `path_prefix` pass untouched and consume nothing.
Bodies are bytes throughout; chunked bodies (request or response) are de-chunked and re-sent with a
Content-Length; a response with neither is read until the upstream closes.

`proxy.records` lists what was done, as `Record(method, path, fault)` tuples appended just before the
client sees the outcome, so a test that has its answer (or its error) can assert on them at once. The fault
is the one the policy chose, except "upstream_error" (the upstream was down or broke the exchange off: the
client's connection is closed) and "reorder_expired" (a held request that no later request overtook within
`reorder_timeout_s`, then forwarded as it was).

Threading: one acceptor thread and one daemon thread per connection, all joined by `stop()`, which also
shuts every open socket and wakes every sleep and hold. The public methods and properties may be called from
any thread. Policies are called on connection threads, so the ones here lock their own state; a seeded
`RandomPolicy` repeats its choices when the requests reach it in the same order.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple, Protocol

FAULTS = (
    "pass",  # forward unchanged
    "drop_request",  # close the client's connection, forward nothing
    "drop_response",  # forward, read the whole response, close the client's connection without a byte
    "duplicate",  # forward twice, one after the other; answer with the second response
    "delay",  # forward unchanged, after before_ms and before answering after after_ms
    "reorder",  # hold until the next request has been forwarded (or reorder_timeout_s), then forward
    "cut_response",  # send the status line, headers and half the body, then close
    "cut_request",  # send the upstream the head and half the body, then close both connections
)
UPSTREAM_ERROR = "upstream_error"
REORDER_EXPIRED = "reorder_expired"
DEFAULT_DELAY_MS = 100
MAX_HEAD_BYTES = 64 * 1024
# Headers that describe one hop; the proxy frames each message itself and always says Connection: close.
_HOP_BY_HOP = frozenset(
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "expect",
    ]
)


class HttpError(ValueError):
    """A message the proxy cannot parse or frame (the connection is then closed)."""


@dataclass(frozen=True)
class Fault:
    """One fault: a name from FAULTS, and sleeps before forwarding and before answering (any fault)."""

    name: str
    before_ms: int = 0
    after_ms: int = 0

    def __post_init__(self) -> None:
        if self.name not in FAULTS:
            raise ValueError(f"unknown fault {self.name!r}; expected one of {', '.join(FAULTS)}")
        if self.before_ms < 0 or self.after_ms < 0:
            raise ValueError("delays cannot be negative")

    @classmethod
    def of(cls, spec: str | Fault) -> Fault:
        """A Fault from a Fault or a string: "pass", "delay" (sleeps DEFAULT_DELAY_MS first), "delay:150",
        "delay:0:300" (before_ms:after_ms), "drop_response:50"."""
        if isinstance(spec, Fault):
            return spec
        name, *delays = spec.split(":")
        if len(delays) > 2:
            raise ValueError(f"bad fault {spec!r}: at most name:before_ms:after_ms")
        before, after = (int(ms) for ms in [*delays, "0", "0"][:2])
        if name == "delay" and not delays:
            before = DEFAULT_DELAY_MS
        return cls(name, before, after)


PASS = Fault("pass")


class Record(NamedTuple):
    method: str
    path: str
    fault: str


class Policy(Protocol):
    def choose(self, method: str, path: str) -> Fault:
        """The fault for this request; called once per request, on its connection thread."""
        ...


def _matches(prefix: str | None, path: str) -> bool:
    return prefix is None or path.startswith(prefix)


class PassThrough:
    """Every request passes unchanged (the proxy's policy until told otherwise)."""

    def choose(self, method: str, path: str) -> Fault:
        return PASS


class ScriptedPolicy:
    """Faults taken in order, one per matching request; "pass" once the script runs out."""

    def __init__(self, faults: Iterable[str | Fault], path_prefix: str | None = None) -> None:
        self.path_prefix = path_prefix
        self._queue = deque(Fault.of(fault) for fault in faults)
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._queue)

    def choose(self, method: str, path: str) -> Fault:
        if not _matches(self.path_prefix, path):
            return PASS
        with self._lock:
            return self._queue.popleft() if self._queue else PASS


class RandomPolicy:
    """Each matching request draws one fault: {fault: probability}, "pass" for what the sum leaves over."""

    def __init__(
        self, seed: int, probabilities: Mapping[str | Fault, float], path_prefix: str | None = None
    ) -> None:
        self.path_prefix = path_prefix
        self._table = [(Fault.of(fault), p) for fault, p in probabilities.items()]
        if any(p < 0 for _, p in self._table) or sum(p for _, p in self._table) > 1 + 1e-9:
            raise ValueError("probabilities must be non-negative and sum to at most 1")
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def choose(self, method: str, path: str) -> Fault:
        if not _matches(self.path_prefix, path):
            return PASS
        with self._lock:
            draw = self._random.random()
        for fault, probability in self._table:
            if draw < probability:
                return fault
            draw -= probability
        return PASS


# ---------------------------------------------------------------------------------------------- HTTP


class _Reader:
    """Buffered reads from a socket: up to a marker, an exact count, or the end."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()

    def _fill(self) -> bool:
        data = self._sock.recv(65536)
        self._buffer += data
        return bool(data)

    def _take(self, count: int) -> bytes:
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    def until(self, marker: bytes, limit: int = MAX_HEAD_BYTES) -> bytes:
        while (index := self._buffer.find(marker)) < 0:
            if len(self._buffer) > limit:
                raise HttpError(f"no {marker!r} within {limit} bytes")
            if not self._fill():
                raise HttpError("connection closed mid-message")
        return self._take(index + len(marker))

    def exactly(self, count: int) -> bytes:
        while len(self._buffer) < count:
            if not self._fill():
                raise HttpError(f"connection closed {count - len(self._buffer)} bytes short")
        return self._take(count)

    def to_end(self) -> bytes:
        while self._fill():
            pass
        return self._take(len(self._buffer))


@dataclass
class _Message:
    start: str  # the request line or the status line
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name]
        return ", ".join(values) if values else None

    def encode(self, *, framed: bool) -> bytes:
        """The message with Connection: close, and with a fresh Content-Length when framed."""
        drop = _HOP_BY_HOP | {"content-length"} if framed else _HOP_BY_HOP
        headers = [(key, value) for key, value in self.headers if key.lower() not in drop]
        if framed:
            headers.append(("Content-Length", str(len(self.body))))
        headers.append(("Connection", "close"))
        lines = [self.start, *(f"{key}: {value}" for key, value in headers), "", ""]
        return "\r\n".join(lines).encode("latin-1") + self.body


def _read_head(reader: _Reader) -> tuple[str, list[tuple[str, str]]]:
    lines = reader.until(b"\r\n\r\n")[:-4].decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            raise HttpError(f"bad header line {line!r}")
        headers.append((key.strip(), value.strip()))
    return lines[0], headers


def _read_chunked(reader: _Reader) -> bytes:
    body = bytearray()
    while True:
        size_line = reader.until(b"\r\n", 1024).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise HttpError(f"bad chunk size {size_line!r}") from None
        if size == 0:
            break
        body += reader.exactly(size)
        if reader.exactly(2) != b"\r\n":
            raise HttpError("chunk not followed by CRLF")
    while reader.until(b"\r\n") != b"\r\n":  # trailers are read and dropped
        pass
    return bytes(body)


def _read_body(reader: _Reader, message: _Message, *, until_close: bool) -> bytes:
    coding = message.header("transfer-encoding")
    if coding is not None:
        if coding.lower() != "chunked":
            raise HttpError(f"unsupported Transfer-Encoding {coding!r}")
        return _read_chunked(reader)
    length = message.header("content-length")
    if length is not None:
        if not length.isdigit():
            raise HttpError(f"bad Content-Length {length!r}")
        return reader.exactly(int(length))
    return reader.to_end() if until_close else b""


@dataclass
class _Request(_Message):
    @property
    def method(self) -> str:
        return self.start.split(" ")[0]

    @property
    def path(self) -> str:
        parts = self.start.split(" ")
        return parts[1] if len(parts) > 1 else ""

    @property
    def has_body(self) -> bool:
        framing = self.header("content-length") or self.header("transfer-encoding")
        return bool(self.body) or framing is not None


def _read_request(client: socket.socket, reader: _Reader) -> _Request:
    start, headers = _read_head(reader)
    if len(start.split(" ")) != 3:
        raise HttpError(f"bad request line {start!r}")
    request = _Request(start, headers, b"")
    if (request.header("expect") or "").lower() == "100-continue":
        client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    request.body = _read_body(reader, request, until_close=False)
    return request


@dataclass
class _Response(_Message):
    bodyless: bool = False  # a HEAD, 101, 204 or 304 response: its Content-Length (if any) is kept as is


def _read_response(reader: _Reader, method: str) -> _Response:
    while True:
        start, headers = _read_head(reader)
        try:
            status = int(start.split(" ")[1])
        except (IndexError, ValueError):
            raise HttpError(f"bad status line {start!r}") from None
        if not 100 <= status < 200 or status == 101:  # skip interim responses
            break
    response = _Response(start, headers, b"", bodyless=method == "HEAD" or status in (101, 204, 304))
    if not response.bodyless:
        response.body = _read_body(reader, response, until_close=True)
    return response


def _halve(message: bytes, body_length: int) -> bytes:
    """The head and half the body; half the head when there is no body to cut."""
    head_length = len(message) - body_length
    return message[: head_length + body_length // 2] if body_length else message[: head_length // 2]


# --------------------------------------------------------------------------------------------- proxy


class _ReorderSlot:
    """At most one held request; the next request to arrive takes its event and sets it once forwarded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: threading.Event | None = None

    @property
    def holding(self) -> bool:
        with self._lock:
            return self._held is not None

    def arrive(self, wants_hold: bool) -> tuple[threading.Event | None, threading.Event | None]:
        """(the event to wait on if this request is now held, the held one's event if this overtakes it)."""
        with self._lock:
            overtaken, self._held = self._held, None
            if wants_hold and overtaken is None:
                self._held = threading.Event()
                return self._held, None
            return None, overtaken

    def leave(self, event: threading.Event) -> None:
        with self._lock:
            if self._held is event:
                self._held = None

    def release_all(self) -> None:
        with self._lock:
            held, self._held = self._held, None
        if held is not None:
            held.set()


class FaultProxy:
    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        policy: Policy | None = None,
        reorder_timeout_s: float = 1.0,
        io_timeout_s: float = 10.0,
    ) -> None:
        self.policy: Policy = policy or PassThrough()
        self.reorder_timeout_s = reorder_timeout_s
        self.io_timeout_s = io_timeout_s
        self._upstream = upstream
        self._lock = threading.Lock()
        self._records: list[Record] = []
        self._sockets: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._stopping = threading.Event()
        self._reorder = _ReorderSlot()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None

    # ------------------------------------------------------------------ public

    @property
    def upstream(self) -> tuple[str, int]:
        with self._lock:
            return self._upstream

    @upstream.setter
    def upstream(self, address: tuple[str, int]) -> None:
        """Retarget later requests (say, at a server restarted on a new port)."""
        with self._lock:
            self._upstream = address

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("the proxy is not started")
        return self._listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def records(self) -> list[Record]:
        with self._lock:
            return list(self._records)

    @property
    def holding(self) -> bool:
        """Whether a "reorder" request is being held for the next one."""
        return self._reorder.holding

    def clear_records(self) -> None:
        with self._lock:
            self._records.clear()

    def script(self, faults: Iterable[str | Fault], path_prefix: str | None = None) -> ScriptedPolicy:
        self.policy = scripted = ScriptedPolicy(faults, path_prefix)
        return scripted

    def randomly(
        self, seed: int, probabilities: Mapping[str | Fault, float], path_prefix: str | None = None
    ) -> RandomPolicy:
        self.policy = drawn = RandomPolicy(seed, probabilities, path_prefix)
        return drawn

    def pass_through(self) -> None:
        self.policy = PassThrough()

    def start(self) -> FaultProxy:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.25)  # a fallback: shutdown() in stop() wakes accept() at once on Linux
        self._listener = listener
        self._acceptor = threading.Thread(
            target=self._accept_loop, name=f"fault-proxy-accept-{self.port}", daemon=True
        )
        self._acceptor.start()
        return self

    def stop(self) -> None:
        """Close every socket, wake every sleep and hold, and join every thread."""
        self._stopping.set()
        self._reorder.release_all()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        if self._acceptor is not None:
            self._acceptor.join()
        with self._lock:
            sockets, threads = list(self._sockets), list(self._threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in threads:
            thread.join()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ threads

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(
                target=self._serve, args=(client,), name=f"fault-proxy-conn-{self.port}", daemon=True
            )
            with self._lock:
                self._sockets.add(client)
                self._threads.add(thread)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        try:
            client.settimeout(self.io_timeout_s)
            self._handle(client, _read_request(client, _Reader(client)))
        except (OSError, HttpError):
            pass  # the client's connection is closed below, which is all it can be told
        finally:
            self._forget(client)
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _handle(self, client: socket.socket, request: _Request) -> None:
        fault = self.policy.choose(request.method, request.path)
        wait_on, overtaken = self._reorder.arrive(fault.name == "reorder")
        outcome = fault.name
        try:
            if wait_on is not None:
                swapped = wait_on.wait(self.reorder_timeout_s)
                self._reorder.leave(wait_on)
                outcome = fault.name if swapped else REORDER_EXPIRED
            if not self._sleep(fault.before_ms):
                return
            try:
                response = self._upstream_phase(fault, request)
            except (OSError, HttpError):
                response, outcome = None, UPSTREAM_ERROR
        finally:
            if overtaken is not None:
                overtaken.set()
        if self._sleep(fault.after_ms):
            self._answer(client, Record(request.method, request.path, outcome), response)

    def _sleep(self, ms: int) -> bool:
        """Sleep unless stopped; whether to go on."""
        return not self._stopping.wait(ms / 1000) if ms else not self._stopping.is_set()

    def _upstream_phase(self, fault: Fault, request: _Request) -> _Response | None:
        if fault.name == "drop_request":
            return None
        if fault.name == "cut_request":
            self._cut_request(request)
            return None
        response = self._exchange(request)
        if fault.name == "duplicate":
            response = self._exchange(request)
        return response

    def _answer(self, client: socket.socket, record: Record, response: _Response | None) -> None:
        with self._lock:
            self._records.append(record)
        if response is None or record.fault == "drop_response":
            return
        data = response.encode(framed=not response.bodyless)
        if record.fault == "cut_response":
            data = _halve(data, len(response.body))
        client.sendall(data)
        client.shutdown(socket.SHUT_WR)

    # ------------------------------------------------------------------ upstream

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(self.upstream, timeout=self.io_timeout_s)
        with self._lock:
            self._sockets.add(sock)
        if self._stopping.is_set():
            self._forget(sock)
            raise OSError("the proxy is stopping")
        return sock

    def _exchange(self, request: _Request) -> _Response:
        sock = self._connect()
        try:
            sock.sendall(request.encode(framed=request.has_body))
            return _read_response(_Reader(sock), request.method)
        finally:
            self._forget(sock)

    def _cut_request(self, request: _Request) -> None:
        data = _halve(request.encode(framed=True), len(request.body))
        sock = self._connect()
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        finally:
            self._forget(sock)

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        sock.close()
