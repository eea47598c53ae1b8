# SPDX-License-Identifier: GPL-3.0-or-later
"""Member lookup among many members: by card number and by phone, and the full member profile.

The store is made by Database.open (the real schema, indexes and migrations) with the bench club
installed through the real use case; the members and cards are then bulk-loaded with the sqlite3 module,
since a million enrolments through the use case would take a quarter of an hour. A few thousand members
get a sealed ledger history (a real hash chain and balance projection) so the profile has something to
show. The lookups then go through the application's own code: `resolve` and `find_member`.
"""

from __future__ import annotations

import gc
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.domain.balance import fold_balances
from app.domain.card import card_number
from app.domain.ids import uuid7
from app.domain.ledger import GENESIS_HASH, EntryDraft, EntryKind, LedgerEntry, seal_all
from app.services.identify import find_member, resolve
from app.services.terminal import open_terminal
from app.store.database import DB_FILENAME
from bench.club import BRANCH_ID, CARD_PREFIX, DEVICE_ID, TIER_CODE, bench_terminal

BATCH = 50_000
DAY_US = 86_400 * 1_000_000
EPOCH_US = 1_700_000_000 * 1_000_000
CARD_VALIDITY_US = 3 * 365 * DAY_US
HISTORY_ENTRIES = 10  # per member with history: a full "recent" list on the profile
MEMBER_INSERT = (
    "INSERT INTO member (id, name, phone, birth_date, national_id_last4, tier_code, branch_id,"
    " joined_at_us, referrer_id, consent_marketing) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
CARD_INSERT = (
    "INSERT INTO card (number, uid, member_id, issued_at_us, expires_at_us, status, payload_version)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


@dataclass
class Population:
    """What the benchmark needs to know about the members it loaded: ids by serial, their phones."""

    member_ids: list[str] = field(default_factory=list)
    phones: list[int] = field(default_factory=list)  # the 9 digits after +989
    with_history: list[int] = field(default_factory=list)  # serials

    def card(self, serial: int) -> str:
        return card_number(CARD_PREFIX, serial + 1)

    def phone_typed(self, serial: int) -> str:
        return f"09{self.phones[serial]:09d}"  # as a cashier types it


@dataclass
class LookupFigures:
    members: int
    load_s: float
    card_ns: list[int] = field(default_factory=list)
    phone_ns: list[int] = field(default_factory=list)
    profile_ns: list[int] = field(default_factory=list)


def _member_rows(pop: Population, rng: random.Random, count: int) -> Iterator[tuple[object, ...]]:
    for serial in range(count):
        joined = EPOCH_US + serial * 30_000_000  # one every half minute: ids in time order, like uuid7
        member_id = str(uuid7(joined // 1000, rng.randbytes(10)))
        pop.member_ids.append(member_id)
        yield (
            member_id, f"Member {serial}", f"+989{pop.phones[serial]:09d}", None, None, TIER_CODE,
            BRANCH_ID, joined, None, 0,
        )  # fmt: skip


def _card_rows(pop: Population) -> Iterator[tuple[object, ...]]:
    for serial, member_id in enumerate(pop.member_ids):
        issued = EPOCH_US + serial * 30_000_000
        yield (pop.card(serial), None, member_id, issued, issued + CARD_VALIDITY_US, "active", 1)


def _batched(rows: Iterator[tuple[object, ...]]) -> Iterator[list[tuple[object, ...]]]:
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _history(pop: Population, rng: random.Random, members: int) -> list[LedgerEntry]:
    """Sealed earn entries for some members, on the bench device's chain, oldest first."""
    pop.with_history = rng.sample(range(len(pop.member_ids)), members)
    drafts = []
    for _ in range(HISTORY_ENTRIES):
        for serial in pop.with_history:
            created = EPOCH_US + 400 * DAY_US + len(drafts) * 1_000_000  # a sale a second
            amount = rng.randrange(100_000, 20_000_000, 1_000)
            drafts.append(
                EntryDraft(
                    id=str(uuid7(created // 1000, rng.randbytes(10))),
                    created_at_us=created,
                    branch_id=BRANCH_ID,
                    member_id=pop.member_ids[serial],
                    kind=EntryKind.EARN,
                    points_delta=amount // 100_000,
                    sale_amount=amount,
                    invoice_ref=f"H-{len(drafts):07d}",
                )
            )
    return seal_all(drafts, DEVICE_ID, 0, GENESIS_HASH)


def _load(path: Path, pop: Population, rng: random.Random, members: int, history: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # Loading only: no journal, no fsync, a big cache for the random phone index. The store goes back
        # to WAL below, and every connection the application opens sets synchronous=FULL again.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -524288")
        conn.execute("PRAGMA foreign_keys = ON")  # the loaded rows must hold the schema's references
        conn.execute("BEGIN")
        for batch in _batched(_member_rows(pop, rng, members)):
            conn.executemany(MEMBER_INSERT, batch)
        for batch in _batched(_card_rows(pop)):
            conn.executemany(CARD_INSERT, batch)
        entries = _history(pop, rng, history)
        _load_ledger(conn, entries)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def _load_ledger(conn: sqlite3.Connection, entries: list[LedgerEntry]) -> None:
    columns = list(LedgerEntry.__dataclass_fields__)
    conn.executemany(
        f"INSERT INTO ledger_entry ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [tuple(getattr(e, c) for c in columns) for e in entries],
    )
    if entries:
        conn.execute(
            "UPDATE device SET last_seq = ?, head_hash = ? WHERE id = ?",
            (entries[-1].device_seq, entries[-1].hash, DEVICE_ID),
        )
    conn.executemany(
        "INSERT INTO member_balance (member_id, points, wallet_rials, spend_rials, purchase_count,"
        " last_activity_us) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (m, b.points, b.wallet_rials, b.spend_rials, b.purchase_count, b.last_activity_us)
            for m, b in fold_balances(entries).items()
        ],
    )


def _timed(call, queries: list[tuple[str, str]]) -> list[int]:  # type: ignore[no-untyped-def]
    """Nanoseconds per call; each answer is checked after its clock stopped."""
    samples = []
    for query, want in queries:
        started = time.perf_counter_ns()
        got = call(query)
        samples.append(time.perf_counter_ns() - started)
        if got != want:
            raise AssertionError(f"{query!r} found {got}, not {want}")
    return samples


def run_lookups(
    work_dir: Path, *, members: int, lookups: int, profiles: int, history: int, seed: int = 1
) -> LookupFigures:
    """Load `members` members, then time `lookups` card and phone lookups and `profiles` profiles."""
    rng = random.Random(seed)
    data_dir = work_dir / "lookup"
    started = time.perf_counter()
    bench_terminal(data_dir).db.close()
    pop = Population(phones=rng.sample(range(10**9), members))
    _load(data_dir / DB_FILENAME, pop, rng, members, min(history, members))
    figures = LookupFigures(members=members, load_s=time.perf_counter() - started)
    terminal = open_terminal(data_dir)
    picks = [rng.randrange(members) for _ in range(lookups)]
    by_card = [(pop.card(s), pop.member_ids[s]) for s in picks]
    by_phone = [(pop.phone_typed(s), pop.member_ids[s]) for s in picks]
    by_profile = [(pop.card(s), pop.member_ids[s]) for s in rng.choices(pop.with_history, k=profiles)]
    del pop  # a million objects fewer for the garbage collector to walk while we time
    gc.collect()
    with terminal.db.read() as conn:
        figures.card_ns = _timed(lambda q: resolve(conn, q).id, by_card)
        figures.phone_ns = _timed(lambda q: resolve(conn, q).id, by_phone)
    figures.profile_ns = _timed(lambda q: find_member(terminal, q).member.id, by_profile)
    terminal.db.close()
    return figures
