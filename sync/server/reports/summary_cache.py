# SPDX-License-Identifier: GPL-3.0-or-later
"""Summaries kept once computed, so a page that asks again waits for nothing (issue 14, item 5).

The summary's distinct counts (members active, repeat customers, engaged members) read every member-day
row of the period: a year of a national club is millions of rows and seconds of work. So a summary, once
computed from the aggregates, is kept by its period, branch, tier and point value, with the watermark it
was computed at. A page is answered from the kept one while it is fresh (computed less than `FRESH_S`
ago, or nothing counted since) and says how far it counts (`AsOf`); the serving process's counting thread
recomputes, in the background, the kept summaries a page asked for in the last day once they are stale,
and this month's for the whole club and every branch, so the overview opens at once.

A summary computed in less than `SLOW_US` is computed again whenever something was counted since (a small
club's pages are always exact). The command line asks with `fresh_s=0`: exact as of the watermark.
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import Connection, delete, select, update

from app.domain.report_summary import Summary
from sync.server import rules as rule_sets
from sync.server.db import Database, dialect_insert
from sync.server.models import BRANCH, REPORT_SUMMARY_CACHE
from sync.server.reports import aggregates
from sync.server.reports.table import AsOf

FRESH_S = 300  # a kept summary answers a page this long after it was computed, however much came since…
SLOW_US = 200_000  # …if computing it took this long: a cheap one is computed again, exact
WARM_S = 86_400  # a summary a page asked for is recomputed in the background this long after
REFRESH_EACH = 8  # summaries one background round recomputes at most
_US = 1_000_000


def key(first: date, last: date, branch_id: str | None, tier: str | None, point_value: int) -> str:
    return f"{first.isoformat()}|{last.isoformat()}|{branch_id or ''}|{tier or ''}|{point_value}"


def _to_json(summary: Summary) -> str:
    return json.dumps(
        {k: f"{v.numerator}/{v.denominator}" if isinstance(v, Fraction) else v for k, v in _fields(summary)}
    )


def _fields(summary: Summary) -> list[tuple[str, int | Fraction]]:
    return [(name, getattr(summary, name)) for name in Summary.__dataclass_fields__]


def _from_json(body: str) -> Summary:
    data = json.loads(body)
    return Summary(**{k: Fraction(v) if isinstance(v, str) else v for k, v in data.items()})


def counted(
    db: Database,
    now_us: int,
    first: date,
    last: date,
    point_value: int,
    *,
    branch_id: str | None = None,
    tier: str | None = None,
    fresh_s: int = FRESH_S,
) -> tuple[Summary, AsOf]:
    """The summary for the local days first..last and how far it counts: the kept one while fresh, else
    computed now from the aggregates (and kept)."""
    wanted = key(first, last, branch_id, tier, point_value)
    with db.read() as conn:
        kept = conn.execute(select(REPORT_SUMMARY_CACHE).where(REPORT_SUMMARY_CACHE.c.key == wanted)).first()
        watermark = aggregates.as_of(conn)
        if kept is not None and (
            kept.server_seq >= watermark.server_seq
            or (now_us - kept.computed_at_us < fresh_s * _US and kept.took_us >= SLOW_US)
        ):
            as_of = AsOf(kept.counted_at_us, kept.server_seq, aggregates.behind(conn, kept.server_seq))
            found = _from_json(kept.body)
        else:
            kept = None
            started = time.perf_counter_ns()
            found, as_of = _compute(conn, first, last, point_value, branch_id=branch_id, tier=tier)
            took_us = (time.perf_counter_ns() - started) // 1000
    db.write(lambda conn: _keep(conn, wanted, (found, took_us) if kept is None else None, as_of, now_us))
    return found, as_of


def _compute(
    conn: Connection, first: date, last: date, point_value: int, *, branch_id: str | None, tier: str | None
) -> tuple[Summary, AsOf]:
    as_of = aggregates.as_of(conn)  # before the sums, in the same snapshot
    end_us = rule_sets.current(conn).day_start_us(last + timedelta(days=1))
    found = aggregates.summary(conn, first, last, end_us, point_value, branch_id=branch_id, tier=tier)
    return found, as_of


def _keep(
    conn: Connection, wanted: str, computed: tuple[Summary, int] | None, as_of: AsOf, now_us: int
) -> None:
    """Keep a summary just computed (and how long it took), or (None) note that a page asked for the kept
    one."""
    if computed is None:
        conn.execute(
            update(REPORT_SUMMARY_CACHE)
            .where(REPORT_SUMMARY_CACHE.c.key == wanted)
            .values(asked_at_us=now_us)
        )
        return
    found, took_us = computed
    values = {"body": _to_json(found), "server_seq": as_of.server_seq, "counted_at_us": as_of.counted_at_us,
              "computed_at_us": now_us, "took_us": took_us, "asked_at_us": now_us}  # fmt: skip
    insert = dialect_insert(conn, REPORT_SUMMARY_CACHE)
    conn.execute(
        insert.values(key=wanted, **values).on_conflict_do_update(index_elements=["key"], set_=values)
    )


def refresh(db: Database, now_us: int, most: int = REFRESH_EACH) -> int:
    """Recompute, in the background, the kept summaries that are stale and were asked for lately, and this
    month's for the whole club and each branch (the overview's default); how many it recomputed. Summaries
    nobody asked for in a day are dropped."""
    with db.read() as conn:
        rules = rule_sets.current(conn)
        first, last = aggregates.this_month(rules.local_date(now_us))
        watermark = aggregates.as_of(conn).server_seq
        branches = [(r.id, r.code) for r in conn.execute(select(BRANCH.c.id, BRANCH.c.code))]
        in_force = rule_sets.in_force_at(conn, rules.day_start_us(last + timedelta(days=1)))
        wanted = [(None, in_force.redemption.rials_per_point)] + [
            (branch_id, in_force.branch_rules(code).redemption.rials_per_point)
            for branch_id, code in branches
        ]
        stale = conn.execute(
            select(REPORT_SUMMARY_CACHE.c.key).where(
                REPORT_SUMMARY_CACHE.c.server_seq < watermark,
                REPORT_SUMMARY_CACHE.c.computed_at_us < now_us - FRESH_S * _US,
                REPORT_SUMMARY_CACHE.c.asked_at_us >= now_us - WARM_S * _US,
            )
        ).scalars()
        keys = {key(first, last, branch_id, None, value): (branch_id, value) for branch_id, value in wanted}
        known = set(
            conn.execute(
                select(REPORT_SUMMARY_CACHE.c.key).where(REPORT_SUMMARY_CACHE.c.key.in_(keys))
            ).scalars()
        )
        todo = [k for k in keys if k not in known] + list(stale)
    done = 0
    for each in dict.fromkeys(todo):
        if done >= most:
            break
        first_text, last_text, branch_id, tier, value = each.split("|")
        counted(db, now_us, date.fromisoformat(first_text), date.fromisoformat(last_text), int(value),
                branch_id=branch_id or None, tier=tier or None, fresh_s=0)  # fmt: skip
        done += 1
    db.write(
        lambda conn: conn.execute(
            delete(REPORT_SUMMARY_CACHE).where(REPORT_SUMMARY_CACHE.c.asked_at_us < now_us - WARM_S * _US)
        )
    )
    return done
