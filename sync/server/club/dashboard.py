# SPDX-License-Identifier: GPL-3.0-or-later
"""The dashboard's glance: today and this month, the terminals, and what waits for a person.

Figures come from the per-terminal hourly totals the server keeps as entries arrive (`device_hour`), never
from a scan of the ledger; the reports (issue 14) add the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, select

from sync.server.club.access import Permission
from sync.server.club.act import Call, read
from sync.server.club.terminals import LAGGING_S
from sync.server.models import ALERT, BRANCH, DEVICE, DEVICE_HOUR, MEMBER, REJECTED
from sync.server.vetting.velocity import HOUR_US


@dataclass(frozen=True, slots=True)
class Period:
    entries: int
    points: int
    wallet_rials: int


@dataclass(frozen=True, slots=True)
class TerminalGlance:
    id: str
    code: str
    branch_name_fa: str
    branch_name_en: str
    last_seen_us: int | None
    lagging: bool
    backlog: int | None  # entries the terminal said wait unpushed (None: it never said)
    software_version: str | None


@dataclass(frozen=True, slots=True)
class Glance:
    today: Period
    month: Period
    members: int
    terminals: list[TerminalGlance]
    set_aside: int
    open_alerts: int


def _period(conn: Connection, since_us: int) -> Period:
    row = conn.execute(
        select(
            func.coalesce(func.sum(DEVICE_HOUR.c.entries), 0),
            func.coalesce(func.sum(DEVICE_HOUR.c.points), 0),
            func.coalesce(func.sum(DEVICE_HOUR.c.wallet_rials), 0),
        ).where(DEVICE_HOUR.c.hour >= since_us // HOUR_US)
    ).one()
    return Period(int(row[0]), int(row[1]), int(row[2]))


def _starts(now_us: int) -> tuple[int, int]:
    """The UTC microseconds at which the server's local day and month began."""
    now = datetime.fromtimestamp(now_us / 1e6, tz=UTC).astimezone()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    return int(day.timestamp() * 1e6), int(month.timestamp() * 1e6)


def glance(call: Call) -> Glance:
    def work(conn: Connection) -> Glance:
        day_us, month_us = _starts(call.now_us)
        devices = conn.execute(
            select(
                DEVICE.c.id,
                DEVICE.c.code,
                DEVICE.c.last_seen_us,
                DEVICE.c.backlog,
                DEVICE.c.software_version,
                BRANCH.c.name_fa,
                BRANCH.c.name_en,
            )
            .join(BRANCH, BRANCH.c.id == DEVICE.c.branch_id)
            .where(DEVICE.c.revoked_at_us.is_(None), DEVICE.c.token_hash.is_not(None))
            .order_by(DEVICE.c.last_seen_us.desc().nulls_last(), DEVICE.c.code)
            .limit(50)
        ).all()
        terminals = [
            TerminalGlance(
                d.id,
                d.code,
                d.name_fa,
                d.name_en,
                d.last_seen_us,
                d.last_seen_us is None or call.now_us - d.last_seen_us > LAGGING_S * 1_000_000,
                d.backlog,
                d.software_version,
            )
            for d in devices
        ]
        return Glance(
            today=_period(conn, day_us),
            month=_period(conn, month_us),
            members=conn.execute(select(func.count()).select_from(MEMBER)).scalar_one(),
            terminals=terminals,
            set_aside=conn.execute(  # waiting for a decision (sync.server.club.review)
                select(func.count()).select_from(REJECTED).where(REJECTED.c.decision.is_(None))
            ).scalar_one(),
            open_alerts=conn.execute(
                select(func.count()).select_from(ALERT).where(ALERT.c.resolved_at_us.is_(None))
            ).scalar_one(),
        )

    return read(call, "dashboard", None, work, permission=Permission.READ, audited=False)
