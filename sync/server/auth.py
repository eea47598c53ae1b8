# SPDX-License-Identifier: GPL-3.0-or-later
"""Who is asking: a device (its token) or an admin (an admin token with a role).

Tokens travel as `Authorization: Bearer …` and are looked up by `sync.protocol.token_hash`; the server
never stores a token. Unknown token: 401 `unauthorized`. Revoked device: 403 `device_revoked`. An admin
whose role is below the endpoint's: 403 `forbidden`. A device's first authenticated request claims it
(`claimed_at_us`); one never claimed a day after its enrolment is refused as revoked (sync.server.enrolment).
A device's request is when it was last seen; what it says of itself in sync.protocol's headers (its version,
its backlog) is kept with it for head office, written when it changed or at most once a minute otherwise.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, select, update

from app.domain.ids import uuid7
from sync.protocol import BACKLOG_HEADER, VERSION_HEADER, token_hash
from sync.server import enrolment
from sync.server.club.access import token_actor
from sync.server.club.act import Call
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.models import ADMIN_TOKEN, DEVICE

ROLES = ("viewer", "manager", "admin")  # each may do what the ones before it may
SEEN_EVERY_US = 60 * 1_000_000  # last_seen is rewritten at most once a minute, unless the report changed
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}$")
device_bearer = HTTPBearer(auto_error=False, scheme_name="device_token", description="a device token")
admin_bearer = HTTPBearer(auto_error=False, scheme_name="admin_token", description="an admin token")


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    code: str
    branch_id: str


@dataclass(frozen=True, slots=True)
class Admin:
    id: str
    name: str
    role: str

    @property
    def actor(self) -> str:
        return f"admin:{self.name} ({self.id})"


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials:
        raise ApiError(401, "unauthorized", "a Bearer token is required")
    return credentials.credentials


def current_device(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(device_bearer)]
) -> Device:
    digest = token_hash(_token(credentials))
    db = request.app.state.db
    with db.read() as conn:
        row = conn.execute(
            select(
                DEVICE.c.id,
                DEVICE.c.code,
                DEVICE.c.branch_id,
                DEVICE.c.revoked_at_us,
                DEVICE.c.enrolled_at_us,
                DEVICE.c.claimed_at_us,
                DEVICE.c.last_seen_us,
                DEVICE.c.software_version,
                DEVICE.c.backlog,
            ).where(DEVICE.c.token_hash == digest)
        ).first()
    if row is None:
        raise ApiError(401, "unauthorized", "unknown device token")
    if row.revoked_at_us is not None:
        raise ApiError(403, "device_revoked", "this device was revoked; enrol it again")
    now_us = int(request.app.state.clock.now_us())
    if row.claimed_at_us is None:
        _claim(db, row.id, row.enrolled_at_us, now_us)
    said = reported(request.headers.get(VERSION_HEADER), request.headers.get(BACKLOG_HEADER))
    _note_report(db, row, said, now_us)
    return Device(row.id, row.code, row.branch_id)


@dataclass(frozen=True, slots=True)
class Report:
    """What a terminal said of itself; None where it said nothing usable."""

    version: str | None
    backlog: int | None


def reported(version: str | None, backlog: str | None) -> Report:
    """The headers' values, or None for one absent or malformed (a terminal is never refused for them)."""
    version = (version or "").strip()
    count = (backlog or "").strip()
    return Report(
        version if _VERSION.match(version) else None,
        int(count) if len(count) <= 18 and count.isascii() and count.isdigit() else None,
    )


def _note_report(db: Database, row: Any, report: Report, now_us: int) -> None:
    """The device was seen now, and said this; written only when it is news (a pull is otherwise a read)."""
    news: dict[str, Any] = {}
    if report.version is not None and report.version != row.software_version:
        news["software_version"] = report.version
    if report.backlog is not None and report.backlog != row.backlog:
        news["backlog"] = report.backlog
    if not news and row.last_seen_us is not None and now_us - row.last_seen_us < SEEN_EVERY_US:
        return
    values = news | {"last_seen_us": now_us}
    if report.version is not None or report.backlog is not None:
        values["reported_at_us"] = now_us
    db.write(lambda conn: conn.execute(update(DEVICE).where(DEVICE.c.id == row.id).values(**values)))


def _claim(db: Database, device_id: str, enrolled_at_us: int, now_us: int) -> None:
    """The token's first use (once per device): from now on it is the terminal's, not a lost answer's."""
    if enrolment.unclaimed_expired(enrolled_at_us, None, now_us):
        raise ApiError(
            403, "device_revoked", "this device was not used within a day of its enrolment; enrol it again"
        )
    db.write(
        lambda conn: conn.execute(
            update(DEVICE)
            .where(DEVICE.c.id == device_id, DEVICE.c.claimed_at_us.is_(None))
            .values(claimed_at_us=now_us)
        )
    )


def admin_with(role: str) -> Callable[..., Admin]:
    """A dependency: the admin behind the token, if their role is `role` or above."""
    needed = ROLES.index(role)

    def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(admin_bearer)]
    ) -> Admin:
        digest = token_hash(_token(credentials))
        with request.app.state.db.read() as conn:
            row = conn.execute(
                select(ADMIN_TOKEN).where(
                    ADMIN_TOKEN.c.token_hash == digest, ADMIN_TOKEN.c.revoked_at_us.is_(None)
                )
            ).first()
        if row is None:
            raise ApiError(401, "unauthorized", "unknown admin token")
        if ROLES.index(row.role) < needed:
            raise ApiError(403, "forbidden", f"this needs the {role} role", role=row.role)
        return Admin(row.id, row.name, row.role)

    return dependency


def call_of(request: Request, admin: Admin) -> Call:
    """The use cases' Call (sync.server.club) for an admin-API request: its database, its time and the
    token as an actor with the office role its token role maps to."""
    actor = token_actor(admin.id, admin.name, admin.role)
    return Call(request.app.state.db, int(request.app.state.clock.now_us()), actor)


def create_admin_token(conn: Connection, name: str, role: str, now_us: int) -> tuple[Admin, str]:
    """A new admin token (returned once) and its record; the database keeps only the hash."""
    if role not in ROLES:
        raise ApiError(422, "invalid_role", f"role must be one of {', '.join(ROLES)}")
    token = "bga_" + secrets.token_urlsafe(32)
    admin_id = str(uuid7(now_us // 1000, secrets.token_bytes(10)))
    conn.execute(
        ADMIN_TOKEN.insert().values(
            id=admin_id, name=name, role=role, token_hash=token_hash(token), created_at_us=now_us
        )
    )
    return Admin(admin_id, name, role), token
