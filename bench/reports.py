# SPDX-License-Identifier: GPL-3.0-or-later
"""The reports at a national club's scale on PostgreSQL (issue 14): 1,000,000 members, 10,000,000 entries.

The club: a fresh database of the machine's PostgreSQL (bench.sync_club.ServerLab), a million members
(bench.sync_club.seed_members), and ten million ledger entries loaded with COPY over two years: sales
(most of the ledger), returns of earlier sales (half in full, half in part; some made weeks later),
redemptions, cashback, expiry, bonuses and check-ins, by twenty terminals, members drawn so that a few
shop often and most rarely. The terminals' hourly totals (`device_hour`, what the dashboard reads) are
loaded from the same entries.

Then the figures:
- counting: `aggregates.catch_up` over the whole ledger from an empty watermark (what a server upgraded to
  this version does once), in entries a second; and counting one push's worth (1,000 new entries) on top
  of ten million, the work the serving process does after each push, in ms;
- the cost to a push: a batch of 1,000 entries inserted into the ten-million-row ledger with and without
  the two indexes the reports added (`ix_ledger_entry_reverses`, `ix_ledger_entry_created_at_us`);
- the summary computed from the aggregates (`aggregates.summary`) for the last month, quarter and year, for
  the whole club, one branch and one tier: p50 and p95; and the same as the reports page asks it
  (`club.reports.counted_summary`: computed once, then answered from the kept summary while fresh);
- the dashboard (`club.dashboard.glance`): p50 and p95 (the aim: p95 under 1 s).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import psycopg
from sqlalchemy import select

from bench.stats import percentile as _percentile
from bench.sync_club import BRANCH_CODE, BRANCH_ID, EPOCH_US, TIER_CODE, ServerLab, copy_rows, seed_members
from sync.server import rules as rule_sets
from sync.server.club import dashboard
from sync.server.club import reports as club_reports
from sync.server.club.access import CONSOLE
from sync.server.club.act import Call
from sync.server.db import Database
from sync.server.models import BRANCH
from sync.server.reports import aggregates

AIM_DASHBOARD_P95_MS = 1_000.0
DEVICES = 20
CHUNK = 50_000
YEARS_US = 2 * 365 * aggregates.DAY_US
PUSH = 1_000
HASH = "0" * 64
_ENTRY_COPY = (
    "COPY ledger_entry (id, device_id, device_seq, created_at_us, branch_id, member_id, kind, staff_id,"
    " points_delta, cash_delta, sale_amount, discount_rials, invoice_ref, reason, reverses, prev_hash, hash,"
    " server_seq, received_at_us, rules_version) FROM STDIN"
)
_HOUR_COPY = "COPY device_hour (device_id, hour, points, wallet_rials, entries, set_aside) FROM STDIN"
KINDS = [("earn", 70), ("reversal", 5), ("redeem", 8), ("cashback_credit", 5), ("expire", 3), ("bonus", 6),
         ("check_in", 3)]  # fmt: skip


@dataclass
class ReportFigures:
    members: int
    entries: int
    load_s: float
    count_all_s: float
    count_push_ms: float
    insert_with_ms: float
    insert_without_ms: float
    summaries: dict[str, list[float]] = field(default_factory=dict)  # "month/club" → ms each, computed
    pages: dict[str, list[float]] = field(default_factory=dict)  # the same through the page's use case
    dashboard_ms: list[float] = field(default_factory=list)


def percentile(samples: list[float], q: float) -> float:
    return _percentile(sorted(samples), q)


def _device(n: int) -> str:
    return f"00000000-0000-7000-8000-{n:012x}"


def _entry_id(serial: int) -> str:
    return f"00000001-0000-7000-9000-{serial:012x}"


class _Ledger:
    """Ten million entries, made a chunk at a time; returns name sales made before them."""

    def __init__(self, member_ids: list[str], now_us: int, seed: int = 14) -> None:
        self.members = member_ids
        self.now_us = now_us
        self.rng = random.Random(seed)
        self.sales: list[tuple[str, str, int, int]] = []  # recent sales: (id, member, amount, at)
        self.hours: dict[tuple[str, int], list[int]] = {}
        names, weights = zip(*KINDS, strict=True)
        self.kinds, self.weights = list(names), list(weights)

    def _member(self) -> str:
        # a few members shop often, most rarely: a third of the entries are the most loyal 5 %'s
        count = len(self.members)
        if self.rng.random() < 0.35:
            return self.members[self.rng.randrange(max(1, count // 20))]
        return self.members[self.rng.randrange(count)]

    def rows(self, first: int, count: int) -> str:
        lines = []
        rng = self.rng
        start = self.now_us - YEARS_US
        for serial in range(first, first + count):
            at = start + (serial * YEARS_US) // 10_000_000 % YEARS_US + rng.randrange(3_600_000_000)
            kind = rng.choices(self.kinds, self.weights)[0]
            device = serial % DEVICES
            member, points, cash, amount, reverses = self._member(), 0, 0, 0, "\\N"
            if kind == "reversal" and self.sales:
                sale_id, member, sale_amount, sold_at = self.sales[rng.randrange(len(self.sales))]
                amount = -sale_amount if rng.random() < 0.5 else -(sale_amount // 3)
                points, reverses = amount // 100_000, sale_id
                at = max(at, sold_at + rng.randrange(30 * aggregates.DAY_US))
            elif kind in ("earn", "reversal"):
                kind, amount = "earn", rng.randrange(1, 200) * 100_000
                points = amount // 100_000
                self.sales.append((_entry_id(serial), member, amount, at))
                if len(self.sales) > 5_000:
                    self.sales = self.sales[-2_500:]
            elif kind == "redeem":
                points = -rng.randrange(1, 100)
            elif kind == "cashback_credit":
                cash = rng.randrange(1, 50) * 1_000
            elif kind == "expire":
                points = -rng.randrange(1, 30)
            elif kind == "bonus":
                points = rng.randrange(10, 200)
            hour = self.hours.setdefault((_device(device), at // 3_600_000_000), [0, 0, 0])
            hour[0] += points
            hour[1] += cash
            hour[2] += 1
            lines.append(
                f"{_entry_id(serial)}\t{_device(device)}\t{serial}\t{at}\t{BRANCH_ID}\t{member}\t{kind}\t\\N\t"
                f"{points}\t{cash}\t{amount}\t0\t\\N\t\\N\t{reverses}\t{HASH}\t{HASH}\t{serial}\t{at}\t\\N\n"
            )
        return "".join(lines)


def _call(db: Database) -> Call:
    return Call(db, time.time_ns() // 1000, CONSOLE)


def _timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def _load(lab: ServerLab, club: Any, member_ids: list[str], entries: int, say: Callable[[str], None]) -> None:
    connect = lambda: lab.connect(club)  # noqa: E731
    now_us = time.time_ns() // 1000
    ledger = _Ledger(member_ids, now_us)
    with connect() as conn:
        for n in range(DEVICES):
            conn.execute(
                "INSERT INTO device (id, code, name, branch_id, number, card_prefix, enrolled_at_us,"
                " last_seq, head_hash, contiguous_seq) VALUES (%s, %s, '', %s, %s, %s, %s, 0, %s, 0)",
                (_device(n), f"BENCH{n}", BRANCH_ID, 1000 + n, f"9{n:03d}", now_us, HASH),
            )

    def chunks() -> Iterator[str]:
        for first in range(1, entries + 1, CHUNK):
            yield ledger.rows(first, min(CHUNK, entries + 1 - first))
            if first // CHUNK % 20 == 0:
                say(f"  … {first - 1:,} entries loaded")

    copy_rows(connect, _ENTRY_COPY, chunks())
    hours = "".join(f"{d}\t{h}\t{p}\t{c}\t{n}\t0\n" for (d, h), (p, c, n) in ledger.hours.items())
    copy_rows(connect, _HOUR_COPY, iter([hours]))
    with connect() as conn:
        conn.execute("UPDATE sync_counter SET value = value + %s WHERE id = 1", (entries,))
        conn.execute("ANALYZE ledger_entry")
        conn.execute("ANALYZE device_hour")


def _insert_cost(lab: ServerLab, club: Any, member: str, repeat: int) -> tuple[float, float]:
    """ms to insert a push's 1,000 entries into the big ledger, with and without the reports' indexes."""
    rng = random.Random(7)

    def batch(with_indexes: bool) -> float:
        times = []
        for _ in range(repeat):
            base = 50_000_000 + rng.randrange(10**9)
            rows = [
                (f"00000002-0000-7000-9000-{base + i:012x}", _device(0), base + i,
                 EPOCH_US + rng.randrange(YEARS_US), BRANCH_ID, member, "earn", 10, 0, 1_000_000, 0, HASH,
                 HASH, base + i, EPOCH_US)
                for i in range(PUSH)
            ]  # fmt: skip
            with lab.connect(club) as conn, conn.transaction():
                conn.execute("SET LOCAL session_replication_role = replica")
                if not with_indexes:
                    conn.execute("DROP INDEX ix_ledger_entry_reverses")
                    conn.execute("DROP INDEX ix_ledger_entry_created_at_us")
                started = time.perf_counter()
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO ledger_entry (id, device_id, device_seq, created_at_us, branch_id,"
                        " member_id, kind, points_delta, cash_delta, sale_amount, discount_rials, prev_hash,"
                        " hash, server_seq, received_at_us) VALUES"
                        " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        rows,
                    )
                times.append((time.perf_counter() - started) * 1000)
                raise psycopg.Rollback  # the ledger stays as it was, the indexes too
        return percentile(times, 50)

    return batch(True), batch(False)


def _compute_summary(db: Database, within: club_reports.Period, branch: str | None, tier: str | None) -> None:
    """The summary computed from the aggregates, never the kept one (aggregates.summary itself)."""
    with db.read() as conn:
        branch_id = (
            conn.execute(select(BRANCH.c.id).where(BRANCH.c.code == branch)).scalar() if branch else None
        )
        aggregates.summary(
            conn, within.first, within.last, within.end_us, 1_000, branch_id=branch_id, tier=tier
        )


def run_reports(
    lab: ServerLab, members: int, entries: int, runs: int, say: Callable[[str], None]
) -> ReportFigures:
    club = lab.club()
    started = time.perf_counter()
    member_ids = seed_members(lambda: lab.connect(club), members)
    _load(lab, club, member_ids, entries, say)
    load_s = time.perf_counter() - started
    say(f"  the club is loaded in {load_s:.0f} s; counting the aggregates…")
    db = Database(club.url, pool_size=2)
    try:
        now = time.time_ns() // 1000
        count_all_s = _timed(lambda: aggregates.catch_up(db, now, batch=20_000)) / 1000
        with lab.connect(club) as conn:
            for table in ("report_day", "report_staff_day", "report_member_day", "report_member_month"):
                conn.execute(f"ANALYZE {table}")
        push_ms = []
        for i in range(5):  # a push's worth past the watermark, as the serving process counts it
            copy_rows(lambda: lab.connect(club), _ENTRY_COPY, iter([_Ledger(member_ids, now, 100 + i).rows(
                entries + 1 + i * PUSH, PUSH)]))  # fmt: skip
            push_ms.append(_timed(lambda: aggregates.catch_up(db, now)))
        with_ms, without_ms = _insert_cost(lab, club, member_ids[0], max(3, runs // 10))
        figures = ReportFigures(
            members, entries, load_s, count_all_s, percentile(push_ms, 50), with_ms, without_ms
        )
        call = _call(db)
        with db.read() as conn:
            rules = rule_sets.current(conn)
        today = rules.local_date(call.now_us)
        for label, days in (("month", 30), ("quarter", 91), ("year", 365)):
            within = club_reports.period(call, today - timedelta(days=days - 1), today)
            assert within is not None
            for scope, branch, tier in (
                ("club", None, None),
                ("branch", BRANCH_CODE, None),
                ("tier", None, TIER_CODE),
            ):
                key = f"{label}/{scope}"
                figures.summaries[key] = [
                    _timed(lambda: _compute_summary(db, within, branch, tier))  # noqa: B023
                    for _ in range(max(3, runs // (10 if scope == "tier" else 4)))
                ]
                # as the reports page asks: the first computes and keeps it, the others are answered kept
                figures.pages[key] = [
                    _timed(lambda: club_reports.counted_summary(call, within, branch, tier, catch_up=0))  # noqa: B023
                    for _ in range(max(3, runs // 4))
                ]
                say(f"  summary {key:<14} computed p50 {percentile(figures.summaries[key], 50):8.1f} ms,"
                    f" as a page asks it again p50 {percentile(figures.pages[key], 50):6.1f} ms")  # fmt: skip
        figures.dashboard_ms = [_timed(lambda: dashboard.glance(call)) for _ in range(runs)]
        return figures
    finally:
        db.dispose()


def summary_figures(f: ReportFigures) -> dict[str, object]:
    result: dict[str, object] = {
        "reports_members": f.members,
        "reports_entries": f.entries,
        "reports_load_s": round(f.load_s, 1),
        "reports_count_all_s": round(f.count_all_s, 1),
        "reports_count_entries_per_s": round(f.entries / f.count_all_s),
        "reports_count_push_ms": round(f.count_push_ms, 1),
        "reports_push_insert_with_indexes_ms": round(f.insert_with_ms, 1),
        "reports_push_insert_without_indexes_ms": round(f.insert_without_ms, 1),
        "reports_dashboard_p50_ms": round(percentile(f.dashboard_ms, 50), 1),
        "reports_dashboard_p95_ms": round(percentile(f.dashboard_ms, 95), 1),
    }
    for key, times in f.summaries.items():
        name = key.replace("/", "_")
        result[f"reports_summary_{name}_p50_ms"] = round(percentile(times, 50), 1)
        result[f"reports_summary_{name}_p95_ms"] = round(percentile(times, 95), 1)
        result[f"reports_summary_{name}_page_p50_ms"] = round(percentile(f.pages[key], 50), 1)
        result[f"reports_summary_{name}_page_p95_ms"] = round(percentile(f.pages[key], 95), 1)
    return result
