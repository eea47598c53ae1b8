# SPDX-License-Identifier: GPL-3.0-or-later
"""Push throughput: a terminal's ledger entries pushed by the real SyncClient to a real server process on
PostgreSQL, against a bare batched INSERT … ON CONFLICT DO NOTHING of the same rows.

The terminal is enrolled through the real path, against a club of `MEMBERS` members (bulk-loaded on the
server, pulled by the enrolment). Its entries are sales (earn entries, one random member each) sealed and
written by the store's own insert path (`app.store.ledger.append`: seal_all, the ledger rows, the device
head and the balance projection), a few thousand per transaction: a million `record_sale` calls would
cost minutes and measure the sale, not the push. `SyncClient.push()` then sends them, 1,000 a batch
(protocol.MAX_PUSH_ENTRIES), to `bashgah-server` on loopback.

The bare side is psycopg 3 alone on the same PostgreSQL: the same rows (the 17 entry columns and
`received_at_us`), the same batch size, one `INSERT … SELECT * FROM unnest(…) ON CONFLICT DO NOTHING
RETURNING id` and one transaction per batch, into `ledger_entry` of a second fresh server database (the
same table, constraints and indexes; its device, branch and members are there for the foreign keys).
The two alternate in rounds, so a slow spell of the machine weighs on both alike.

Where the push's time goes is measured on the client (reading the outbox, building the wire models,
JSON, gzip, waiting for the server, reading and recording the answers). The server's share is split by
replaying, in this process, what the server does: the parsing and validation of bodies the client sent,
and the push itself (sync.server.push.push, step by step) on a few thousand more entries of the same
terminal against the same database. (PostgreSQL's `pg_stat_database.active_time` would have been the
cheaper split, but it misses most of a pipelined executemany.)
"""

from __future__ import annotations

import gzip
import json
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sync.client as client_module
from app.domain.ids import uuid7
from app.domain.ledger import EntryDraft, EntryKind, LedgerEntry
from app.services.terminal import Terminal
from app.store import ledger, sync_state
from app.store.database import driver
from bench.sync_club import BRANCH_ID, ServerClub, ServerLab, enroll_terminal, seed_members
from sync.client import SyncClient
from sync.protocol import MAX_PUSH_ENTRIES, PushRequest
from sync.server import balances as server_balances
from sync.server import push as server_push
from sync.server import vetting as server_vetting
from sync.server.db import Database as ServerDatabase
from sync.server.messages import causes as server_causes
from sync.server.sequence import Publisher

# more `serve` options, for an A/B (BASHGAH_BENCH_SERVE_ARGS=--no-counting: what the reports' counting costs)
SERVE_ARGS = tuple(os.environ.get("BASHGAH_BENCH_SERVE_ARGS", "").split())
MEMBERS = 20_000
ROUNDS = 4
REPLAY_ENTRIES = 5_000
WRITE_CHUNK = 5_000
FIELDS = tuple(LedgerEntry.__dataclass_fields__)
COLUMNS = (*FIELDS, "received_at_us")
_ROWS_SQL = (
    f"SELECT {', '.join(FIELDS)} FROM ledger_entry WHERE device_id = ? AND device_seq > ?"
    " ORDER BY device_seq LIMIT ?"
)
# the parts of a push, in the order they happen
PARTS = ("read", "wire", "json", "gzip", "server", "answer", "record")


@dataclass
class PushFigures:
    entries: int
    batch: int
    push_s: float = 0.0
    bare_s: float = 0.0
    bare_rows: int = 0
    parts_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PARTS, 0.0))
    server_parse_s: float = 0.0  # gunzip, JSON and validation of every body, replayed in-process
    server_steps_s: dict[str, float] = field(default_factory=dict)  # the push's steps, replayed in-process
    bodies_kb: float = 0.0  # gzipped request bodies
    server_cpu_s: float = 0.0  # the server process's CPU time while the client pushed (Linux: /proc)

    @property
    def push_per_s(self) -> float:
        return self.entries / self.push_s

    @property
    def bare_per_s(self) -> float:
        return self.bare_rows / self.bare_s


class _TimedClient(SyncClient):
    """The real client, with its steps timed (nothing else differs)."""

    def __init__(self, *args: Any, figures: PushFigures, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.figures = figures
        self.bodies: list[bytes] = []  # the plain JSON of a few requests, for the server-side replay

    def _batch(self, device_id: str, items: list[Any], entries: list[Any]) -> PushRequest | None:
        with self._timed("wire"):
            return super()._batch(device_id, items, entries)

    def _record_push(self, *args: Any) -> int:
        with self._timed("record"):
            return super()._record_push(*args)

    @contextmanager
    def _timed(self, part: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.figures.parts_s[part] += time.perf_counter() - started

    @contextmanager
    def patched(self) -> Iterator[None]:
        """Time the module-level steps too: JSON and gzip of the body, the HTTP exchange, the answer."""
        saved = client_module._gzip_json, client_module._request, client_module._parse

        def gzip_json(body: Any) -> bytes:
            with self._timed("json"):
                plain = body.model_dump_json().encode()
            if len(self.bodies) < 3:
                self.bodies.append(plain)
            with self._timed("gzip"):
                packed = gzip.compress(plain, compresslevel=6)
            self.figures.bodies_kb += len(packed) / 1024
            return packed

        def request(*args: Any, **kwargs: Any) -> Any:
            with self._timed("server"):
                return saved[1](*args, **kwargs)

        def parse(*args: Any) -> Any:
            with self._timed("answer"):
                return saved[2](*args)

        client_module._gzip_json, client_module._request, client_module._parse = gzip_json, request, parse
        try:
            yield
        finally:
            client_module._gzip_json, client_module._request, client_module._parse = saved


def _sales(terminal: Terminal, members: list[str], count: int, rng: random.Random) -> None:
    """`count` earn entries on the terminal's chain, through the store's insert path."""
    now_us = time.time_ns() // 1000
    done = 0
    while done < count:
        drafts = []
        for _ in range(min(WRITE_CHUNK, count - done)):
            amount = rng.randrange(100_000, 10_000_000, 1_000)
            at_us = now_us + done
            draft = EntryDraft(
                id=str(uuid7(at_us // 1000, rng.randbytes(10))), created_at_us=at_us,
                branch_id=BRANCH_ID, member_id=rng.choice(members), kind=EntryKind.EARN,
                points_delta=amount // 100_000, sale_amount=amount, invoice_ref=f"B-{done:07d}",
            )  # fmt: skip
            drafts.append(draft)
            done += 1
        with terminal.db.write() as conn:
            ledger.append(conn, terminal.device_id, drafts)


def _rows(terminal: Terminal, after_seq: int, count: int, received_at_us: int) -> list[tuple[Any, ...]]:
    with terminal.db.read() as conn:
        rows = driver(conn).execute(_ROWS_SQL, (terminal.device_id, after_seq, count)).fetchall()
    return [(*row, received_at_us) for row in rows]


def _unnest_type(column: str) -> str:
    return "integer[]" if column == "rules_version" else "bigint[]" if column in _BIGINT else "text[]"


_BIGINT = {"device_seq", "created_at_us", "points_delta", "cash_delta", "sale_amount", "discount_rials",
           "received_at_us"}  # fmt: skip
# the columns as arrays in PostgreSQL's binary format (%b), as the server sends its own
BARE_INSERT = (
    f"INSERT INTO ledger_entry ({', '.join(COLUMNS)})"
    f" SELECT * FROM unnest({', '.join(f'%b::{_unnest_type(c)}' for c in COLUMNS)})"
    " ON CONFLICT DO NOTHING RETURNING id"
)


def _bare_insert(conn: Any, rows: list[tuple[Any, ...]], batch: int) -> float:
    """The rows in batches of `batch`, each one INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING in a
    transaction of its own; seconds taken (the columns made into arrays included)."""
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        columns = [list(column) for column in zip(*rows[start : start + batch], strict=True)]
        with conn.transaction():
            conn.execute(BARE_INSERT, columns).fetchall()
    return time.perf_counter() - started


def _copy_club(lab: ServerLab, source: ServerClub, target: ServerClub, members: int) -> None:
    """What the bare table's foreign keys need: the same members and the terminal's device row."""
    seed_members(lambda: lab.connect(target), members)
    with lab.connect(source) as src, lab.connect(target) as dst:
        cursor = src.execute("SELECT * FROM device")
        columns = [c.name for c in cursor.description or []]
        for row in cursor.fetchall():
            placeholders = ", ".join(["%s"] * len(columns))
            dst.execute(f"INSERT INTO device ({', '.join(columns)}) VALUES ({placeholders})", row)


def _replay_server_parse(bodies: list[bytes]) -> float:
    """Seconds per entry the server spends on a body before its transaction (gunzip, JSON, validation),
    replayed here on bodies the client sent."""
    spent, entries = 0.0, 0
    for plain in bodies:
        packed = gzip.compress(plain, compresslevel=6)
        started = time.perf_counter()
        request = PushRequest.model_validate(json.loads(gzip.decompress(packed)))
        spent += time.perf_counter() - started
        entries += len(request.entries)
    return spent / max(1, entries)


# the server's push, step by step: (module, attribute) timed in the in-process replay
SERVER_STEPS = {
    "lock_device": (server_push, "_lock_device"),
    "known": (server_push, "_load_known"),
    "hash+refusals": (server_push, "_refusals"),
    "vetting": (server_vetting, "vet"),
    "set_aside": (server_push, "_insert_rejected"),
    "chain": (server_push, "_follow_chain"),
    "balances": (server_balances, "apply"),
    "head": (server_push, "_save_head"),
    "number": (Publisher, "number"),
    "insert": (server_push, "_insert_entries"),
    "messages": (server_causes, "from_push"),  # a message per sale, queued in the push (issue 17)
    "changes": (Publisher, "flush"),
}


def _replay_server_steps(
    club: ServerClub, terminal: Terminal, member_ids: list[str], count: int, rng: random.Random
) -> dict[str, float]:
    """Seconds per entry of each step of the server's push, replayed in this process on `count` more
    entries of the terminal (the same code and database as the server process; no HTTP)."""
    _sales(terminal, member_ids, count, rng)
    client = SyncClient(terminal.db)
    with terminal.db.read() as conn:
        pending = sync_state.pending_entries(conn, terminal.device_id, count)
    requests = [
        client._batch(terminal.device_id, [], pending[i : i + MAX_PUSH_ENTRIES])
        for i in range(0, len(pending), MAX_PUSH_ENTRIES)
    ]
    spent = dict.fromkeys(SERVER_STEPS, 0.0)
    saved = {step: getattr(owner, name) for step, (owner, name) in SERVER_STEPS.items()}

    def timed(step: str) -> Any:
        original = saved[step]

        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[step] += time.perf_counter() - started

        return run

    db = ServerDatabase(club.url)
    try:
        for step, (owner, name) in SERVER_STEPS.items():
            setattr(owner, name, timed(step))
        for request in requests:
            assert request is not None
            now = time.time_ns() // 1000
            db.write(lambda conn, r=request, at=now: server_push.push(conn, terminal.device_id, r, at))
    finally:
        for step, (owner, name) in SERVER_STEPS.items():
            setattr(owner, name, saved[step])
        db.dispose()
    return {step: s / max(1, len(pending)) for step, s in spent.items()}


def _cpu_s(process: Any) -> float:
    """The server process's user and system CPU seconds so far (0 where /proc is not there): what of the
    client's wait was the server's own work, and what PostgreSQL's and the machine's."""
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, AttributeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_push(lab: ServerLab, work_dir: Path, entries: int, rounds: int = ROUNDS) -> PushFigures:
    rng = random.Random(1404)
    members = min(MEMBERS, max(100, entries // 5))
    club = lab.club()
    member_ids = seed_members(lambda: lab.connect(club), members)
    process = lab.serve(club, *SERVE_ARGS)
    terminal = enroll_terminal(club, work_dir / "push-till")
    bare_club = lab.club()
    _copy_club(lab, club, bare_club, members)
    figures = PushFigures(entries=0, batch=MAX_PUSH_ENTRIES)
    client = _TimedClient(terminal.db, figures=figures)
    per_round = max(1, entries // rounds)
    try:
        with lab.connect(bare_club) as bare:
            while figures.entries < entries:
                count = min(per_round, entries - figures.entries)
                head = figures.entries
                _sales(terminal, member_ids, count, rng)
                with client.patched():
                    cpu, started = _cpu_s(process), time.perf_counter()
                    summary = client.push()
                    figures.push_s += time.perf_counter() - started
                    figures.server_cpu_s += _cpu_s(process) - cpu
                if summary.pushed != count:
                    raise RuntimeError(f"the server accepted {summary.pushed} of {count} entries: {summary}")
                figures.entries += count
                rows = _rows(terminal, head, count, time.time_ns() // 1000)
                figures.bare_s += _bare_insert(bare, rows, MAX_PUSH_ENTRIES)
                figures.bare_rows += len(rows)
        process.stop()
        replay = min(REPLAY_ENTRIES, entries)
        steps = _replay_server_steps(club, terminal, member_ids, replay, rng)
    finally:
        process.stop()
        terminal.db.close()
    figures.server_steps_s = {step: s * figures.entries for step, s in steps.items()}
    measured = sum(figures.parts_s[p] for p in PARTS if p != "read")
    figures.parts_s["read"] = max(0.0, figures.push_s - measured)
    figures.server_parse_s = _replay_server_parse(client.bodies) * figures.entries
    return figures
