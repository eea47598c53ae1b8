# SPDX-License-Identifier: GPL-3.0-or-later
"""What the engineer running the club's server watches: health checks, Prometheus metrics, request ids.

- `GET /healthz`: liveness. The process answers; the database is not asked. Always 200.
- `GET /readyz`: readiness, for a load balancer. 200 when the database answers within READY_TIMEOUT_S
  and its schema is at this server's head revision; else 503 with the reason. `/v1/health` stays as the
  terminals' check (it also gives the server's clock).
- `GET /metrics`: Prometheus text. It names the terminals, so only addresses in BASHGAH_METRICS_ALLOW
  (default: loopback) or a request with `Authorization: Bearer <BASHGAH_METRICS_TOKEN>` (when set) get
  it; anyone else gets 403. Behind a reverse proxy, do not proxy /metrics at all (packaging/server/).

These three are answered here, before the attempt limits (sync.server.ratelimit) and the routes: cheap,
unauthenticated, never refused as too many.

Every other request gets a request id: the client's `X-Request-ID` when it is short and plain
(REQUEST_ID_PATTERN), else a new one. It is answered in the `X-Request-ID` header, added as `request_id` to
the `detail` of every JSON error body (a branch quotes it to support), and carried by every log line
written while the request runs (RequestIdFilter; `serve --log-format json` writes one JSON object a
line). An exception no handler answered is logged with it and answered 500 `internal_error`.

Metrics (prometheus-client). With `serve --workers N` each worker is a process, so `serve` points
PROMETHEUS_MULTIPROC_DIR at a fresh directory before any worker starts and each scrape adds up every
worker's files, whichever worker answers. What they count:
- `bashgah_http_requests_total{route,method,status}` and `bashgah_http_request_duration_seconds{route,
  method}`: per route template (never the raw path, so ids do not make new series);
- `bashgah_pushes_total{outcome}` (ok, refused: 4xx, failed: 5xx), `bashgah_push_entries_total{outcome}`
  (accepted, duplicate, rejected, conflict: counted from each push's answer), `bashgah_pull_pages_total
  {outcome}`;
- `bashgah_db_pool_connections{engine,state}`: checked_out, size and overflow of SQLAlchemy's pool, per
  process, added up over the workers (a worker that died leaves its last values until `serve` restarts);
- read from the database at each scrape: `bashgah_server_sequence` (the last change number), and per
  terminal (device code) `bashgah_terminal_backlog_entries` (the entries it has not pushed yet, as it
  last reported in its X-Bashgah-Backlog header) and `bashgah_terminal_seconds_since_seen` (since its
  last authenticated request). The server does not store each terminal's pull cursor (that would make
  every pull a write), so the backlog measured is the terminal's own one, towards the server.
"""

from __future__ import annotations

import asyncio
import contextvars
import gzip
import ipaddress
import json
import logging
import os
import re
import time
import uuid
from collections import Counter as Tally
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, create_engine, event, select
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.server.db import Database

HEALTHZ, READYZ, METRICS = "/healthz", "/readyz", "/metrics"
READY_TIMEOUT_S = 2.0
REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,64}")
METRICS_ALLOW_ENV = "BASHGAH_METRICS_ALLOW"
METRICS_TOKEN_ENV = "BASHGAH_METRICS_TOKEN"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
DEFAULT_METRICS_ALLOW = "127.0.0.0/8,::1/128"
PUSH_ROUTE, PULL_ROUTE = "/v1/sync/push", "/v1/sync/pull"
log = logging.getLogger("bashgah.server.request")
# prometheus-client chose where its values live when first imported (just above): files when `serve`
# had named the directory by then, else this process's memory
MULTIPROCESS = bool(os.environ.get(MULTIPROC_ENV))

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("bashgah_request_id", default="-")
_routed: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "bashgah_routed", default=None
)

HTTP_REQUESTS = Counter(
    "bashgah_http_requests",
    "Requests answered, by route template, method and status",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "bashgah_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
PUSHES = Counter("bashgah_pushes", "Pushes, by outcome: ok, refused (4xx), failed (5xx)", ["outcome"])
PUSH_ENTRIES = Counter("bashgah_push_entries", "Pushed entries, by the server's answer", ["outcome"])
PULL_PAGES = Counter(
    "bashgah_pull_pages", "Pull pages, by outcome: ok, refused (4xx), failed (5xx)", ["outcome"]
)
POOL = Gauge(
    "bashgah_db_pool_connections",
    "SQLAlchemy's pool: checked_out, size, overflow (added up over the live worker processes)",
    ["engine", "state"],
    multiprocess_mode="livesum",
)


def current_request_id() -> str:
    """The id of the request this code runs for ("-" outside one)."""
    return _request_id.get()


def count_push(answer: Any) -> None:
    """Count a push answer's entries by outcome (sync.protocol.PushResponse)."""
    for outcome, n in Tally(str(e.outcome) for e in answer.entries).items():
        PUSH_ENTRIES.labels(outcome).inc(n)


# ---- logs -----------------------------------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: the request the logging code runs for, or "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO), level, logger, message, request_id, and the exception."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", _request_id.get()),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def log_config(log_format: str, level: str) -> dict[str, Any]:
    """A logging.config.dictConfig for `serve` (and uvicorn's own loggers, in every worker): lines in
    `text` or `json`, each with the request id."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "line",
        "filters": ["request_id"],
    }
    quiet = {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"line": formatter},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {"uvicorn": quiet, "uvicorn.error": {"level": level.upper()}, "uvicorn.access": quiet},
    }


# ---- metrics ------------------------------------------------------------------------------------------


def watch_pool(engine: Engine, name: str = "primary") -> None:
    """Keep POOL up to date for the engine's pool, on every checkout and checkin."""
    pool = engine.pool

    def update(*_args: Any) -> None:
        for state, read in (("checked_out", "checkedout"), ("size", "size"), ("overflow", "overflow")):
            value = getattr(pool, read, None)
            if callable(value):
                POOL.labels(name, state).set(max(0, int(value())))

    for name_ in ("checkout", "checkin", "connect", "close"):
        event.listen(pool, name_, update)
    update()


class _FromDatabase(Collector):
    """Gauges read from the database when scraped."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from sync.server.models import COUNTER, DEVICE
        from sync.server.programme import SERVER_DEVICE_ID

        now_s = time.time()
        with self.db.read() as conn:
            seq = conn.execute(select(COUNTER.c.value)).scalar() or 0
            devices = conn.execute(
                select(DEVICE.c.code, DEVICE.c.backlog, DEVICE.c.last_seen_us).where(
                    DEVICE.c.revoked_at_us.is_(None), DEVICE.c.id != SERVER_DEVICE_ID
                )
            ).all()
        yield GaugeMetricFamily("bashgah_server_sequence", "The last change number given out", value=seq)
        backlog = GaugeMetricFamily(
            "bashgah_terminal_backlog_entries",
            "Entries a terminal holds that the server has not received, as it last reported",
            labels=["device"],
        )
        seen = GaugeMetricFamily(
            "bashgah_terminal_seconds_since_seen",
            "Seconds since a terminal's last authenticated request",
            labels=["device"],
        )
        for device in devices:
            if device.backlog is not None:
                backlog.add_metric([device.code], device.backlog)
            if device.last_seen_us is not None:
                seen.add_metric([device.code], max(0.0, now_s - device.last_seen_us / 1_000_000))
        yield backlog
        yield seen


def metrics_text(db: Database) -> bytes:
    """The exposition: this process's counters (or, with PROMETHEUS_MULTIPROC_DIR, every worker's), and
    the gauges read from the database now."""
    if MULTIPROCESS:
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    read = CollectorRegistry(auto_describe=False)
    read.register(_FromDatabase(db))
    return generate_latest(counted) + generate_latest(read)


def _networks(spec: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()]


class MetricsAccess:
    """Who may read /metrics: an allowed address, or the bearer of the metrics token when one is set."""

    def __init__(self, allow: str | None = None, token: str | None = None) -> None:
        self.networks = _networks(DEFAULT_METRICS_ALLOW if allow is None else allow)
        self.token = token or None

    @classmethod
    def from_env(cls) -> MetricsAccess:
        return cls(os.environ.get(METRICS_ALLOW_ENV), os.environ.get(METRICS_TOKEN_ENV))

    def allows(self, scope: Scope) -> bool:
        if self.token is not None:
            given = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
            if given == f"Bearer {self.token}":
                return True
        client = scope.get("client")
        try:
            address = ipaddress.ip_address(client[0]) if client else None
        except ValueError:  # a test client's "testclient", a Unix socket
            return False
        return address is not None and any(address in network for network in self.networks)


# ---- the middleware -----------------------------------------------------------------------------------


def _request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers") or []:
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if REQUEST_ID_PATTERN.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


def _outcome(status: int) -> str:
    return "ok" if status < 400 else ("refused" if status < 500 else "failed")


class Observability:
    """ASGI middleware, outermost: health, readiness and metrics; request ids, logs and counts."""

    def __init__(self, app: ASGIApp, db: Database, access: MetricsAccess | None = None) -> None:
        self.app = app
        self.db = db
        self.access = access or MetricsAccess.from_env()
        self._head: str | None = None
        self._probe_engine: Engine | None = None
        watch_pool(db.engine)
        if db.read_engine is not None:  # the replica's pool for pulls and reports (sync.server.db)
            watch_pool(db.read_engine, "read")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path == HEALTHZ:
            await JSONResponse({"status": "ok"})(scope, receive, send)
            return
        if path == READYZ:
            await (await self._ready())(scope, receive, send)
            return
        if path == METRICS:
            await self._metrics(scope, receive, send)
            return
        await self._observed(scope, receive, send)

    async def _ready(self) -> Response:
        try:
            reason = await asyncio.wait_for(run_in_threadpool(self._not_ready), READY_TIMEOUT_S)
        except TimeoutError:
            reason = f"the database did not answer within {READY_TIMEOUT_S:g} s"
        except Exception as error:  # the database refused or is away: not ready, and why
            reason = f"the database is unavailable: {type(error).__name__}"
        if reason is None:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "not_ready", "reason": reason}, status_code=503)

    def _not_ready(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        from sync.server import migrate

        if self._head is None:
            self._head = migrate.head_revision()
        with self._probe().connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
        if revision != self._head:
            return f"the database schema is at {revision}, not {self._head}: run `bashgah-server db upgrade`"
        return None

    def _probe(self) -> Engine:
        """The readiness check's own engine: one connection, given up after READY_TIMEOUT_S, so checks
        never wait in the requests' pool nor pile up in the thread pool when the database is slow."""
        if self._probe_engine is None:
            if self.db.dialect != "postgresql":
                return self.db.engine
            timeout_ms = int(READY_TIMEOUT_S * 1000)
            self._probe_engine = create_engine(
                self.db.url,
                pool_size=1,
                max_overflow=0,
                pool_timeout=READY_TIMEOUT_S,
                pool_pre_ping=True,
                connect_args={
                    "connect_timeout": max(1, int(READY_TIMEOUT_S)),
                    "options": f"-c statement_timeout={timeout_ms} -c lock_timeout={timeout_ms}",
                },
            )
        return self._probe_engine

    async def _metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.access.allows(scope):
            body = {"detail": {"code": "forbidden", "message": "metrics are for the monitoring host"}}
            await JSONResponse(body, status_code=403)(scope, receive, send)
            return
        text = await run_in_threadpool(metrics_text, self.db)
        await Response(text, media_type=CONTENT_TYPE_LATEST)(scope, receive, send)

    async def _observed(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = _request_id_of(scope)
        token = _request_id.set(request_id)
        routed: dict[str, Any] = {}
        routed_token = _routed.set(routed)
        started = time.perf_counter()
        status = 0
        error_start: Message | None = None
        error_body: list[bytes] = []

        async def sending(message: Message) -> None:
            nonlocal status, error_start
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode())]}
                if status >= 400 and _is_json(headers):
                    error_start = message  # held until its body is whole, to add the request id
                    return
            elif message["type"] == "http.response.body" and error_start is not None:
                error_body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                start, body = _with_request_id(error_start, b"".join(error_body), request_id)
                await send(start)
                message = {"type": "http.response.body", "body": body}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            log.exception("%s %s failed", scope.get("method"), scope["path"])
            if status:  # the answer had begun: nothing better to send
                raise
            status = 500
            body = {"detail": {"code": "internal_error", "message": "the server failed; quote the request id",
                               "request_id": request_id}}  # fmt: skip
            await JSONResponse(body, status_code=500, headers={REQUEST_ID_HEADER: request_id})(
                scope, receive, send
            )
        finally:
            self._count(scope, status, time.perf_counter() - started, routed)
            _routed.reset(routed_token)
            _request_id.reset(token)

    @staticmethod
    def _count(scope: Scope, status: int, seconds: float, routed: dict[str, Any]) -> None:
        # the route's path template: a label whose values are few, whatever ids the paths carry
        route = scope.get("route") or routed.get("route")
        template = str(getattr(route, "path", None) or "unmatched")
        method = str(scope.get("method", ""))
        HTTP_REQUESTS.labels(template, method, str(status)).inc()
        HTTP_LATENCY.labels(template, method).observe(seconds)
        if template == PUSH_ROUTE:
            PUSHES.labels(_outcome(status)).inc()
        elif template == PULL_ROUTE:
            PULL_PAGES.labels(_outcome(status)).inc()


class RouteRecorder:
    """ASGI middleware, innermost: tells Observability the route that answered. The router notes it in
    the scope it is given, which a middleware between the two may have copied (sync.server.limits)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            routed = _routed.get()
            if routed is not None and "route" in scope:
                routed["route"] = scope["route"]


def _is_json(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and v.startswith(b"application/json") for k, v in headers)


def _with_request_id(start: Message, body: bytes, request_id: str) -> tuple[Message, bytes]:
    """The error answer with `request_id` in its detail (a gzipped one unzipped and zipped again)."""
    headers = list(start.get("headers", []))
    zipped = any(k.lower() == b"content-encoding" and v == b"gzip" for k, v in headers)
    try:
        parsed = json.loads(gzip.decompress(body) if zipped else body)
    except ValueError:
        return start, body
    if isinstance(parsed, dict) and isinstance(parsed.get("detail"), dict):
        parsed["detail"]["request_id"] = request_id
        body = json.dumps(parsed, ensure_ascii=False, separators=(",", ":")).encode()
        body = gzip.compress(body) if zipped else body
    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    return {**start, "headers": headers}, body


def install(app: Any) -> None:
    """Outermost middleware of the app (add it last). Nothing is asked of the database until requests
    come (the middleware is made then, and watches the pool from then on)."""
    app.add_middleware(Observability, db=app.state.db)
    app.user_middleware.append(Middleware(RouteRecorder))  # innermost: add_middleware puts first
