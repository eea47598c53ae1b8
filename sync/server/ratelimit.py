# SPDX-License-Identifier: GPL-3.0-or-later
"""Limits on guessing: failed attempts per client address (and per code space), answered 429.

What is counted is what a guesser produces: a wrong enrolment code (401 `invalid_enrollment_code`), and a
wrong or missing Bearer token on a device or admin route (401 `unauthorized`). Successes cost nothing, so
a shop's terminals behind one address, or a test suite on 127.0.0.1, never meet the limits. Once an
address has used its allowance, its next attempts are refused before they reach a route or the database:
429 `too_many_attempts` with `Retry-After` (seconds) and `retry_after` in the body. Wrong enrolment codes
also count against the whole code space, from every address together: many addresses guessing at once are
still bounded (and the address buckets, which are forgotten least-recently-used first when there are too
many, cannot be reset by rotating addresses). The unauthenticated reads (`/v1/health`, the OpenAPI
document and its pages) are limited per address on every request, generously: they cost a database round
trip or a large document, and a monitor polls them.

Each allowance is a token bucket: `burst` attempts at once, refilled at `per_s`. The state is in memory,
in this process: with `serve --workers N` every worker counts on its own, so an address gets up to N
times the allowance. Sharing it through the database would turn each failed guess into a write (a cheap
way to load the database is what this guards against), and a guesser cannot choose a worker anyway.

The address is the TCP peer's. Behind a reverse proxy, `serve --forwarded-allow-ips` names the proxies
whose X-Forwarded-For uvicorn believes (it then sets the peer to the client it names); without it the
header is ignored, so a client cannot pick its own address. IPv6 addresses count per /64 (one host
usually holds a whole /64).

Threading: the buckets are shared by every request of the process; one lock guards them.
"""

from __future__ import annotations

import ipaddress
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.server.errors import error_body

ENROLL_PATH = "/v1/enroll"
ENROLL_PATHS = frozenset({ENROLL_PATH, "/v1/enroll/preview"})  # a preview's refusal is a guess as well
BACK_OFFICE = "/admin"
MEMBER_PAGE = "/m"  # the member page keeps its own limits, in the database (sync.server.portal.sign_in)
OPEN_PATHS = frozenset({"/v1/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
MAX_KEYS = 50_000  # ~10 MB at most, whatever the number of addresses


@dataclass(frozen=True, slots=True)
class Limit:
    burst: int  # attempts allowed at once
    per_s: float  # attempts given back per second


@dataclass(frozen=True, slots=True)
class Policy:
    enrol_per_address: Limit = Limit(burst=10, per_s=1 / 60)  # then one a minute
    enrol_code_space: Limit = Limit(burst=100, per_s=1 / 6)  # every address together: 600 an hour
    token_per_address: Limit = Limit(burst=20, per_s=1 / 6)  # wrong Bearer tokens: then 10 a minute
    open_per_address: Limit = Limit(burst=120, per_s=10)  # health and the API's documentation
    # the back office's wrong passwords (sync.server.backoffice.auth counts them and answers in the page)
    login_per_address: Limit = Limit(burst=10, per_s=1 / 30)  # then two a minute


class Buckets:
    """Token buckets by key, at most `max_keys` of them (the least recently used is forgotten first)."""

    def __init__(self, limit: Limit, now_us: Callable[[], int], max_keys: int = MAX_KEYS) -> None:
        self.limit = limit
        self.now_us = now_us
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def wait_s(self, key: str) -> int:
        """Whole seconds until `key` may try again; 0 if it may now."""
        with self._lock:
            tokens = self._refilled(key, self.now_us())
        return 0 if tokens >= 1 else math.ceil((1 - tokens) / self.limit.per_s)

    def charge(self, key: str) -> None:
        """One attempt used (a failure, or a request where every request counts)."""
        with self._lock:
            now = self.now_us()
            self._buckets[key] = (self._refilled(key, now) - 1, now)
            self._buckets.move_to_end(key)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)

    def _refilled(self, key: str, now: int) -> float:
        tokens, at = self._buckets.get(key, (float(self.limit.burst), now))
        return min(float(self.limit.burst), tokens + max(0, now - at) / 1e6 * self.limit.per_s)


class AttemptLimits:
    """The buckets of one process, on the app's clock."""

    def __init__(self, now_us: Callable[[], int], policy: Policy | None = None) -> None:
        policy = policy or Policy()
        self.enrol = Buckets(policy.enrol_per_address, now_us)
        self.code_space = Buckets(policy.enrol_code_space, now_us, max_keys=1)
        self.tokens = Buckets(policy.token_per_address, now_us)
        self.open = Buckets(policy.open_per_address, now_us)
        self.login = Buckets(policy.login_per_address, now_us)


CODE_SPACE = "*"


def client_address(scope: Scope) -> str:
    """The peer's address (uvicorn's, after a trusted proxy's X-Forwarded-For); IPv6 by its /64."""
    client = scope.get("client")
    host = client[0] if client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return str(host)
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is the IPv4 host it names
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, 64), strict=False))


class LimitAttempts:
    """ASGI middleware: refuses an address (or the code space) whose allowance is spent; counts failures.

    The buckets are `app.state.limits` (an AttemptLimits), looked up per request so tests may swap the
    clock. A check and the charge after the answer are not one step: requests already in flight when an
    allowance runs out still finish, so at most a process's concurrency more attempts get through.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limits: AttemptLimits = scope["app"].state.limits
        path = scope["path"]
        attempts = _attempts(limits, path, client_address(scope))
        wait = max((buckets.wait_s(key) for buckets, key in attempts), default=0)
        if wait:
            await _too_many(wait)(scope, receive, send)
            return
        if path in OPEN_PATHS:  # every request counts
            for buckets, key in attempts:
                buckets.charge(key)
            await self.app(scope, receive, send)
            return
        status = 0

        async def watching(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, watching)
        if status == 401:  # a wrong code or token: only failures count
            for buckets, key in attempts:
                buckets.charge(key)


def _attempts(limits: AttemptLimits, path: str, address: str) -> list[tuple[Buckets, str]]:
    """The buckets a request to `path` from `address` draws on, each with its key. The back office's pages
    count their own failed logins and answer in the page, in the user's language."""
    if path == BACK_OFFICE or path.startswith(BACK_OFFICE + "/"):
        return []
    if path == MEMBER_PAGE or path.startswith(MEMBER_PAGE + "/"):
        return []
    if path in OPEN_PATHS:
        return [(limits.open, address)]
    if path in ENROLL_PATHS:
        return [(limits.enrol, address), (limits.code_space, CODE_SPACE)]
    return [(limits.tokens, address)]


def _too_many(wait_s: int) -> JSONResponse:
    body = error_body(
        "too_many_attempts",
        f"too many failed attempts; try again in {wait_s} s",
        retry_after=wait_s,
    )
    return JSONResponse(body, status_code=429, headers={"Retry-After": str(wait_s)})
