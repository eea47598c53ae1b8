# SPDX-License-Identifier: GPL-3.0-or-later
"""A real HTTP server on loopback that receives the generic SMS webhook (sync.server.messages.providers
.webhook) as a provider would: it checks the HMAC signature, keeps each Idempotency-Key once (a message
posted again with the same key is answered as before and not "sent" again), and answers what a test
scripts (429 with Retry-After, 500, 400…). A test can hold requests (`hold`) to play a slow provider."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    secret: str
    url: str = ""
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)  # key → the first body
    posts: list[str] = field(default_factory=list)  # every key posted, in order (retries too)
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # the next answers
    bad_signatures: int = 0
    hold: threading.Event | None = None  # while set to an unset Event, requests wait on it
    hold_from: int = 1  # … from this post on (1: every post)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for_posts(self, count: int, timeout: float = 30.0) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.posts) >= count, timeout)

    def wait_for_delivered(self, count: int, timeout: float = 30.0) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.delivered) >= count, timeout)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            expected = "sha256=" + hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
            key = self.headers.get("Idempotency-Key", "")
            if not hmac.compare_digest(expected, self.headers.get("X-Bashgah-Signature", "")):
                receiver.bad_signatures += 1
                self._answer(401, {"error": "bad signature"})
                return
            with receiver.arrived:
                receiver.posts.append(key)
                scripted = receiver.script.pop(0) if receiver.script else None
                if scripted is None or scripted[0] < 300:
                    receiver.delivered.setdefault(key, json.loads(body))  # a provider's dedupe by key
                # taken with the post: a test may stop holding later requests
                hold = receiver.hold if len(receiver.posts) >= receiver.hold_from else None
                receiver.arrived.notify_all()
            if hold is not None:
                hold.wait(60)
            if scripted is not None and scripted[0] >= 300:
                self._answer(scripted[0], {"error": "scripted"}, scripted[1])
                return
            self._answer(200, {"id": f"p-{key[:8]}", "status": "queued"})

        def _answer(self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a sender killed mid-request leaves a broken pipe: what a provider sees too, not a failure


@contextmanager
def sms_receiver(secret: str = "test-secret") -> Iterator[Receiver]:
    receiver = Receiver(secret)
    server = _Server(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if receiver.hold is not None:
            receiver.hold.set()
        server.shutdown()
        server.server_close()
