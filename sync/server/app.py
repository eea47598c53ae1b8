# SPDX-License-Identifier: GPL-3.0-or-later
"""The FastAPI application: `create_app(db)`, and `create_app_from_env()` for uvicorn's workers.

Processes are stateless: everything lives in the database, so more workers (or more servers behind a
load balancer on one PostgreSQL) scale out. The one exception is the count of failed attempts per
address (sync.server.ratelimit), which each process keeps for itself (docs/scaling.md lists what a process
keeps, and why none of it is club data). With `serve --workers N`,
uvicorn imports this module in each worker and calls the factory, which finds the database URL in
BASHGAH_SERVER_DB (and a read replica's in BASHGAH_SERVER_DB_READ).
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from sync.protocol import PROTOCOL_VERSION
from sync.server import admin, admin_events, admin_privacy, admin_review, errors, migrate, routes
from sync.server.backoffice import site as backoffice
from sync.server.clock import Clock, SystemClock
from sync.server.db import DB_ENV, DB_READ_ENV, Database
from sync.server.limits import RequestBodies
from sync.server.messages import invitation_page
from sync.server.messages import routes as message_routes
from sync.server.observability import install as install_observability
from sync.server.portal import api as portal_api
from sync.server.portal import shell as portal_shell
from sync.server.ratelimit import AttemptLimits, LimitAttempts


class NotUpgradedError(RuntimeError):
    """The database's schema is not the one this server needs: run `bashgah-server db upgrade`."""


def create_app(db: Database, clock: Clock | None = None) -> FastAPI:
    app = FastAPI(
        title="Bashgah club server",
        version=f"protocol {PROTOCOL_VERSION}",
        description="Sync protocol v1 for Bashgah terminals (sync/protocol.py), and the club's admin API.",
    )
    app.state.db = db
    app.state.clock = clock or SystemClock()
    errors.install(app)
    app.include_router(routes.router, responses=errors.ERROR_RESPONSES)
    app.include_router(admin.router, responses=errors.ERROR_RESPONSES)
    app.include_router(admin_events.router, responses=errors.ERROR_RESPONSES)
    app.include_router(admin_review.router, responses=errors.ERROR_RESPONSES)
    app.include_router(admin_privacy.router, responses=errors.ERROR_RESPONSES)
    app.include_router(message_routes.router)  # /u/{token} (unsubscribe), /messages/inbound/* (SMS stop)
    app.include_router(invitation_page.router)  # /invitation?code=…: the entry pass an invitation links to
    app.include_router(portal_shell.router)  # the member page's shell at /m/ (its API is /m/api/)
    backoffice.install(app)  # the web pages at /admin/, over the same use cases (sync.server.club)
    app.include_router(portal_api.router)  # /m/api/…: the member page's JSON API (docs/portal.md)
    # Responses are gzipped for clients that accept it; request bodies may be gzipped (RequestBodies).
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(RequestBodies)
    # outermost: a guesser over its allowance is refused before its body is even read
    app.state.limits = AttemptLimits(lambda: int(app.state.clock.now_us()))
    app.add_middleware(LimitAttempts)
    # outermost of all: /healthz, /readyz and /metrics, and every request's id, logs and counts
    install_observability(app)
    return app


def require_upgraded(db: Database) -> None:
    if not migrate.is_current(db):
        raise NotUpgradedError(
            f"the database {db.display_url} is not upgraded to this server's schema; "
            "run `bashgah-server --db URL db upgrade` first"
        )


def create_app_from_env() -> FastAPI:
    """uvicorn's factory (`--workers N`): the database from the environment, checked before serving."""
    db = Database(os.environ[DB_ENV], read_url=os.environ.get(DB_READ_ENV) or None)
    require_upgraded(db)
    return create_app(db)
