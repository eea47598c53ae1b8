# SPDX-License-Identifier: GPL-3.0-or-later
"""A durable sale through the real use case, against a bare SQLite insert with the same durability.

A third figure splits the gap: the "SQL floor" runs the statements a sale runs (the same reads, the same
three writes, one SHA-256 per entry) on the real schema with the sqlite3 module on one connection. The
floor against the bare insert is what SQLite and the disk cost (more indexes, more pages per commit);
the sale against the floor is what the Python layers cost.

All three write to files in one directory, in alternating rounds, so that a slow spell of the disk
(other I/O, a host flushing) weighs on every side alike rather than on whichever ran last.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.domain.ledger import LedgerEntry, entry_hash
from app.domain.programme import Bonuses, Campaign, CashbackRule
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.terminal import Terminal
from app.store import programme
from bench.club import BRANCH_ID, DEVICE_ID, TIER_CODE, bench_terminal
from sync.rules import to_body

ROUNDS = 4
WARM_UP = 20
MEMBERS = 50

# A row shaped like a ledger entry: the same column count, types and primary key.
BARE_TABLE = """
CREATE TABLE bare_entry (
    id VARCHAR(36) PRIMARY KEY, device_id VARCHAR(36) NOT NULL, device_seq INTEGER NOT NULL,
    created_at_us INTEGER NOT NULL, branch_id VARCHAR(36) NOT NULL, member_id VARCHAR(36) NOT NULL,
    kind VARCHAR(24) NOT NULL, staff_id VARCHAR(36), points_delta INTEGER NOT NULL,
    cash_delta INTEGER NOT NULL, sale_amount INTEGER NOT NULL, discount_rials INTEGER NOT NULL,
    invoice_ref VARCHAR(64), reason TEXT, reverses VARCHAR(36), prev_hash VARCHAR(64) NOT NULL,
    hash VARCHAR(64) NOT NULL
)
"""
BARE_INSERT = f"INSERT INTO bare_entry VALUES ({', '.join('?' * 17)})"


ENTRY_COLUMNS = tuple(f for f in LedgerEntry.__dataclass_fields__ if f != "rules_version")  # a v0 sale
FLOOR_READS = (
    ("SELECT id FROM ledger_entry WHERE id = ?", "entry"),  # the idempotency check
    ("SELECT * FROM member WHERE id = ?", "member"),
    ("SELECT * FROM branch WHERE id = ?", "branch"),
    ("SELECT * FROM tier WHERE code = ?", "tier"),
    ("SELECT * FROM member_balance WHERE member_id = ?", "member"),
)
FLOOR_HEAD = "SELECT last_seq, head_hash FROM device WHERE id = ?"
FLOOR_INSERT = (
    f"INSERT INTO ledger_entry ({', '.join(ENTRY_COLUMNS)}) VALUES ({', '.join('?' * len(ENTRY_COLUMNS))})"
)
FLOOR_ADVANCE = "UPDATE device SET last_seq = ?, head_hash = ? WHERE id = ?"
FLOOR_UPSERT = (
    "INSERT INTO member_balance (member_id, points, wallet_rials, spend_rials, purchase_count,"
    " last_activity_us) VALUES (?, ?, 0, ?, 1, ?) ON CONFLICT (member_id) DO UPDATE SET"
    " points = points + excluded.points, spend_rials = spend_rials + excluded.spend_rials,"
    " purchase_count = purchase_count + 1,"
    " last_activity_us = max(last_activity_us, excluded.last_activity_us)"
)


def per_second(samples_ns: list[int]) -> float:
    return len(samples_ns) / (sum(samples_ns) / 1e9)


@dataclass
class SaleFigures:
    sale_ns: list[int] = field(default_factory=list)
    bare_ns: list[int] = field(default_factory=list)
    floor_ns: list[int] = field(default_factory=list)
    programme_ns: list[int] = field(default_factory=list)  # the same sales under a published rule set

    @property
    def programme_per_s(self) -> float:
        return per_second(self.programme_ns)

    @property
    def sale_per_s(self) -> float:
        return per_second(self.sale_ns)

    @property
    def bare_insert_per_s(self) -> float:
        return per_second(self.bare_ns)

    @property
    def floor_per_s(self) -> float:
        return per_second(self.floor_ns)


class BareStore:
    """The baseline: the sqlite3 module alone, one connection, WAL and synchronous=FULL."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute(BARE_TABLE)
        self.seq = 0

    def insert(self) -> int:
        """One row, one transaction; the nanoseconds it took."""
        self.seq += 1
        row = (
            str(uuid.uuid4()), "device", self.seq, time.time_ns() // 1000, "branch", "member", "earn",
            None, 15, 0, 1_500_000, 0, f"T1-{self.seq:06d}", None, None, "0" * 64, "f" * 64,
        )  # fmt: skip
        started = time.perf_counter_ns()
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(BARE_INSERT, row)
        self.conn.execute("COMMIT")
        return time.perf_counter_ns() - started

    def close(self) -> None:
        self.conn.close()


class SaleFloor:
    """A sale's statements on the real schema, straight through the sqlite3 module."""

    def __init__(self, path: Path, member_ids: list[str]) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.member_ids = member_ids
        self.n = 0

    def sale(self) -> int:
        self.n += 1
        member = self.member_ids[self.n % len(self.member_ids)]
        keys = {"entry": str(uuid.uuid4()), "member": member, "branch": BRANCH_ID, "tier": TIER_CODE}
        started = time.perf_counter_ns()
        self.conn.execute("BEGIN IMMEDIATE")
        for sql, key in FLOOR_READS:
            self.conn.execute(sql, (keys[key],)).fetchall()
        seq, prev = self.conn.execute(FLOOR_HEAD, (DEVICE_ID,)).fetchone()
        now = time.time_ns() // 1000
        body: dict[str, object] = {
            "id": keys["entry"], "device_id": DEVICE_ID, "device_seq": seq + 1, "created_at_us": now,
            "branch_id": BRANCH_ID, "member_id": member, "kind": "earn", "staff_id": None,
            "points_delta": 15, "cash_delta": 0, "sale_amount": 1_500_000, "discount_rials": 0,
            "invoice_ref": f"F-{seq + 1:06d}", "reason": None, "reverses": None, "prev_hash": prev,
        }  # fmt: skip
        body["hash"] = entry_hash(body)
        self.conn.execute(FLOOR_INSERT, tuple(body[c] for c in ENTRY_COLUMNS))
        self.conn.execute(FLOOR_ADVANCE, (seq + 1, body["hash"], DEVICE_ID))
        self.conn.execute(FLOOR_UPSERT, (member, 15, 1_500_000, now))
        self.conn.execute("COMMIT")
        return time.perf_counter_ns() - started

    def close(self) -> None:
        self.conn.close()


def _members(terminal: Terminal, count: int) -> list[str]:
    return [
        enroll_member(terminal, EnrollRequest(name=f"Bench {n}", phone=f"0935{n:07d}")).member.id
        for n in range(count)
    ]


def _sale(terminal: Terminal, member_id: str, n: int) -> int:
    # amounts vary so points vary; no redemption: the "earn + projection + chain"
    request = SaleRequest(member_id, 100_000 + (n * 7_919) % 9_900_000)
    started = time.perf_counter_ns()
    record_sale(terminal, request)
    return time.perf_counter_ns() - started


def programme_terminal(data_dir: Path) -> Terminal:
    """The bench club under a published rule set with every part a sale touches switched on: the member's
    standing is read (the tier's window and today's cashback from the day buckets, bonus keys and paid
    memberships by their index, the wallet), cashback is credited, a campaign runs, points expire."""
    terminal = bench_terminal(data_dir)
    with terminal.db.write() as conn:
        today = datetime.now(UTC).date()
        rules = replace(
            programme.legacy(conn),
            version=1,
            cashback=CashbackRule(percent_bp=200, from_next_day=True),
            campaigns=(
                Campaign("all", "همه", "All", today, today + timedelta(days=1), multiplier_percent=150),
            ),
            bonuses=Bonuses(birthday_points=100, referral_referred_points=50),
            expiry_days=365,
        )
        programme.put(conn, rules, to_body(rules), terminal.clock.now_us())
    return terminal


def run_sales(work_dir: Path, sales: int) -> SaleFigures:
    """`sales` durable sales, as many bare inserts and as many floor sales, in alternating rounds; and as
    many sales again under a published rule set (the programme's extra reads and entries)."""
    terminal = bench_terminal(work_dir / "sales")
    members = _members(terminal, MEMBERS)
    ruled = programme_terminal(work_dir / "programme")
    ruled_members = _members(ruled, MEMBERS)
    floor_terminal = bench_terminal(work_dir / "floor")
    floor = SaleFloor(floor_terminal.db.path, _members(floor_terminal, MEMBERS))
    floor_terminal.db.close()
    bare = BareStore(work_dir / "bare.sqlite3")
    for n in range(WARM_UP):
        _sale(terminal, members[n % MEMBERS], n)
        _sale(ruled, ruled_members[n % MEMBERS], n)
        bare.insert()
        floor.sale()
    figures = SaleFigures()
    per_round = max(1, sales // ROUNDS)
    done = 0
    while done < sales:
        batch = min(per_round, sales - done)
        figures.sale_ns += [_sale(terminal, members[(done + i) % MEMBERS], done + i) for i in range(batch)]
        figures.bare_ns += [bare.insert() for _ in range(batch)]
        figures.floor_ns += [floor.sale() for _ in range(batch)]
        figures.programme_ns += [
            _sale(ruled, ruled_members[(done + i) % MEMBERS], done + i) for i in range(batch)
        ]
        done += batch
    bare.close()
    floor.close()
    terminal.db.close()
    ruled.db.close()
    return figures
