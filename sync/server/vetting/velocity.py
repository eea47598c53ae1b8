# SPDX-License-Identifier: GPL-3.0-or-later
"""Hourly ceilings per terminal: points and wallet credit added, and entries that add either.

A till sells at a human pace; a stolen token does not. Each terminal's value-adding entries are tallied by
the hour they were made in (the device's clock, held between its enrolment and the server's now, so that a
made-up date cannot spread them thin or move them out of sight), in `device_hour`; an entry that would take
an hour past one of the club's ceilings (`velocity_points_per_hour`, `velocity_wallet_rials_per_hour`,
`velocity_entries_per_hour`: server settings, a few times the busiest branch's normal) is set aside as
`velocity_limit`, and the hour is alerted once. A terminal offline for days pushes days of hours at once,
each within its own ceiling. What is set aside counts nowhere until the club's review accepts it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from sync.protocol import WireEntry
from sync.server import club
from sync.server.alerts import raise_alert
from sync.server.db import dialect_insert, one_of
from sync.server.models import DEVICE_HOUR
from sync.server.vetting.scope import Scope

HOUR_US = 3600 * 1_000_000
REASON = "velocity_limit"
LIMIT_SETTINGS = ("velocity_points_per_hour", "velocity_wallet_rials_per_hour", "velocity_entries_per_hour")


@dataclass(slots=True)
class Tally:
    """What one push adds to its terminal's hours, by entry, and the hours it found over a ceiling."""

    device_id: str
    hour_of: dict[str, int] = field(default_factory=dict)  # entry id → hour, for entries within the ceilings
    over: dict[int, int] = field(default_factory=dict)  # hour → entries set aside in it
    _values: dict[str, tuple[int, int]] = field(default_factory=dict)

    def record(self, conn: Connection, accepted_ids: set[str], at_us: int) -> None:
        """Add what was accepted after all (ids the database let in) to the hours; alert new overruns."""
        added: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for entry_id, hour in self.hour_of.items():
            if entry_id in accepted_ids:
                points, wallet = self._values[entry_id]
                row = added[hour]
                row[0] += points
                row[1] += wallet
                row[2] += 1
        for hour, count in self.over.items():
            added[hour][3] += count
        for hour in sorted(added):
            _add(conn, self.device_id, hour, added[hour], at_us)


def _adds_value(entry: WireEntry) -> tuple[int, int]:
    return max(0, entry.points_delta), max(0, entry.cash_delta)


def check(
    conn: Connection,
    scope: Scope,
    entries: list[WireEntry],
    *,
    candidates: list[int],
    refusals: list[str | None],
    now_us: int,
) -> Tally:
    """Set aside the candidates that would take their hour past a ceiling; the tally of the others."""
    device_id, enrolled_at_us = scope.device_id, scope.enrolled_at_us
    tally = Tally(device_id)
    adding = [i for i in candidates if refusals[i] is None and any(_adds_value(entries[i]))]
    if not adding:
        return tally
    limits = club.int_settings(conn, LIMIT_SETTINGS)
    hour_of = {i: _hour(entries[i].created_at_us, enrolled_at_us, now_us) for i in adding}
    held = _held(conn, device_id, set(hour_of.values()))
    for i in adding:
        hour = hour_of[i]
        points, wallet = _adds_value(entries[i])
        before = held.get(hour, (0, 0, 0))
        after = (before[0] + points, before[1] + wallet, before[2] + 1)
        if any(value > limit for value, limit in zip(after, limits, strict=True)):
            refusals[i] = REASON
            tally.over[hour] = tally.over.get(hour, 0) + 1
            continue
        held[hour] = after
        tally.hour_of[entries[i].id] = hour
        tally._values[entries[i].id] = (points, wallet)
    return tally


def _hour(created_at_us: int, enrolled_at_us: int, now_us: int) -> int:
    return min(max(created_at_us, enrolled_at_us), now_us) // HOUR_US


def _held(conn: Connection, device_id: str, hours: set[int]) -> dict[int, tuple[int, int, int]]:
    """The device's hours as tallied so far (the device row's lock, taken by the push, serialises them)."""
    rows = conn.execute(
        select(DEVICE_HOUR).where(
            DEVICE_HOUR.c.device_id == device_id, one_of(conn, DEVICE_HOUR.c.hour, hours)
        )
    )
    return {r.hour: (r.points, r.wallet_rials, r.entries) for r in rows}


def _add(conn: Connection, device_id: str, hour: int, added: list[int], at_us: int) -> None:
    points, wallet, count, over = added
    statement = dialect_insert(conn, DEVICE_HOUR).values(
        device_id=device_id, hour=hour, points=points, wallet_rials=wallet, entries=count, set_aside=over
    )
    after = conn.execute(
        statement.on_conflict_do_update(
            index_elements=["device_id", "hour"],
            set_={
                "points": DEVICE_HOUR.c.points + points,
                "wallet_rials": DEVICE_HOUR.c.wallet_rials + wallet,
                "entries": DEVICE_HOUR.c.entries + count,
                "set_aside": DEVICE_HOUR.c.set_aside + over,
            },
        ).returning(DEVICE_HOUR.c.set_aside)
    ).scalar_one()
    if over and after == over:  # the hour's first overrun: one alert, not one per entry
        raise_alert(
            conn,
            at_us,
            "velocity_limit",
            device_id=device_id,
            subject=str(hour * HOUR_US),
            hour_starts_us=hour * HOUR_US,
            set_aside=over,
        )
