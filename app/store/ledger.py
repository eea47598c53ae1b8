# SPDX-License-Identifier: GPL-3.0-or-later
"""The ledger in SQLite: appending sealed entries, with the balance projection, in the caller's
transaction; and reading entries back. Nothing here updates or deletes an entry.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select

from app.domain.balance import MemberBalance
from app.domain.errors import ClubError
from app.domain.ledger import EntryDraft, EntryKind, LedgerEntry, SetAsideSlot, seal_all
from app.store.database import Tx, driver
from app.store.schema import (
    DeviceRow,
    LedgerAckRow,
    LedgerEntryRow,
    MemberBalanceRow,
    SetAsideDecisionRow,
    SetAsideEntryRow,
)

ENTRY = LedgerEntryRow.__table__
ACK = LedgerAckRow.__table__
DEVICE = DeviceRow.__table__
BALANCE = MemberBalanceRow.__table__
SET_ASIDE = SetAsideEntryRow.__table__
DECISION = SetAsideDecisionRow.__table__
_ENTRY_COLUMNS = [ENTRY.c[name] for name in LedgerEntry.__dataclass_fields__]

# The hot path of a sale (append, head, get, balance) talks to the driver connection of the same
# transaction with prepared SQL text: SQLAlchemy's per-statement execution machinery cost more than
# SQLite itself (about 50 µs a statement against 5; see bench/), and a durable sale should cost little
# more than its fsync. Everything else stays on SQLAlchemy Core.
_FIELDS = tuple(LedgerEntry.__dataclass_fields__)
_SELECT_ENTRY = f"SELECT {', '.join(_FIELDS)} FROM ledger_entry WHERE id = ?"
_INSERT_SQL = f"INSERT INTO ledger_entry ({', '.join(_FIELDS)}) VALUES ({', '.join('?' * len(_FIELDS))})"
_HEAD_SQL = "SELECT last_seq, head_hash FROM device WHERE id = ?"
_ADVANCE_SQL = "UPDATE device SET last_seq = ?, head_hash = ? WHERE id = ?"
_BALANCE_FIELDS = ("points", "wallet_rials", "spend_rials", "purchase_count", "last_activity_us")
_BALANCE_SQL = f"SELECT {', '.join(_BALANCE_FIELDS)} FROM member_balance WHERE member_id = ?"
_UPSERT_SQL = (
    f"INSERT INTO member_balance (member_id, {', '.join(_BALANCE_FIELDS)}) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (member_id) DO UPDATE SET points = points + excluded.points, "
    "wallet_rials = wallet_rials + excluded.wallet_rials, spend_rials = spend_rials + excluded.spend_rials, "
    "purchase_count = purchase_count + excluded.purchase_count, "
    "last_activity_us = max(last_activity_us, excluded.last_activity_us)"
)
_KIND_INDEX = _FIELDS.index("kind")
# A tier change moves the member's tier unless the ledger already holds a later one (app.domain.tiering)
_TIER_SQL = (
    "UPDATE member SET tier_code = ? WHERE id = ? AND EXISTS (SELECT 1 FROM tier WHERE code = ?) "
    "AND NOT EXISTS (SELECT 1 FROM ledger_entry WHERE member_id = ? AND kind = 'tier_change' AND id != ? "
    "AND (created_at_us > ? OR (created_at_us = ? AND id > ?)))"
)
_MEMBER_ENTRIES_SQL = f"SELECT {', '.join(_FIELDS)} FROM ledger_entry WHERE member_id = ?"
# What pricing a sale reads of a member's history (app.services.checkout): entries since a moment (the
# tier's window), and of any age the few kinds the programme folds whole (tier, card, bonus, reversal)
_SALE_ENTRIES_SQL = (
    _MEMBER_ENTRIES_SQL
    + " AND (created_at_us > ? OR kind IN ('tier_change', 'membership_purchase', 'bonus', "
    "'reversal'))"
)
_INVOICE_USED_SQL = "SELECT 1 FROM ledger_entry WHERE invoice_ref = ? LIMIT 1"


def _entry(row: object) -> LedgerEntry:
    data = dict(row._mapping)  # type: ignore[attr-defined]
    data["kind"] = EntryKind(data["kind"])
    return LedgerEntry(**data)


def _entry_from_tuple(values: tuple[object, ...]) -> LedgerEntry:
    data = dict(zip(_FIELDS, values, strict=True))
    data["kind"] = EntryKind(data["kind"])
    return LedgerEntry(**data)  # type: ignore[arg-type]


def _tuple(entry: LedgerEntry) -> tuple[object, ...]:
    values = [getattr(entry, name) for name in _FIELDS]
    values[_KIND_INDEX] = entry.kind.value
    return tuple(values)


def append(
    conn: Tx,
    device_id: str,
    drafts: Sequence[EntryDraft],
    at: tuple[int, str] | None = None,
) -> list[LedgerEntry]:
    """Seal drafts onto the device's chain, insert them and update balances, in conn's transaction.

    `at` is the device's head if the caller already read it in this transaction.
    """
    last_seq, last_hash = at or head(conn, device_id)
    entries = seal_all(drafts, device_id, last_seq, last_hash)
    if not entries:
        return entries
    cursor = driver(conn).cursor()
    cursor.executemany(_INSERT_SQL, [_tuple(e) for e in entries])
    cursor.execute(_ADVANCE_SQL, (entries[-1].device_seq, entries[-1].hash, device_id))
    _project(cursor, entries)
    return entries


def insert_sealed(conn: Tx, entries: Sequence[LedgerEntry]) -> None:
    """Insert entries another device sealed (pulled from the server) and update balances, in conn's
    transaction. Their device's chain and head are the caller's to check and move (app.store.replica).
    """
    if not entries:
        return
    cursor = driver(conn).cursor()
    cursor.executemany(_INSERT_SQL, [_tuple(e) for e in entries])
    _project(cursor, entries)


# An own entry the server set aside (rejected, for any reason) counts nowhere: not on the server, not at the
# terminals that pull its slot (app.store.replica), so not here either, until the club's review accepts it.
# Of those, the reasons that need no review: the server holds the same grant from another terminal (a bonus
# key is granted once: app.domain.bonus), and that one arrives by pull.
SETTLED_REASONS = ("bonus_already_granted",)
_UNCOUNTED_SQL = "SELECT entry_id FROM ledger_ack WHERE outcome = 'rejected'"


def _count(conn: Tx, entry_id: str, sign: int) -> None:
    entry = get(conn, entry_id)
    if entry is None:
        return
    change = MemberBalance().apply(entry)
    values = (
        entry.member_id,
        sign * change.points,
        sign * change.wallet_rials,
        sign * change.spend_rials,
        sign * change.purchase_count,
        change.last_activity_us if sign > 0 else 0,  # taken out: see uncount
    )
    driver(conn).execute(_UPSERT_SQL, values)


_LAST_COUNTED_SQL = (
    "UPDATE member_balance SET last_activity_us = (SELECT coalesce(max(e.created_at_us), 0) "
    "FROM ledger_entry e LEFT JOIN ledger_ack a ON a.entry_id = e.id "
    "WHERE e.member_id = member_balance.member_id AND coalesce(a.outcome, '') != 'rejected') "
    "WHERE member_id = ?"
)


def uncount(conn: Tx, entry_id: str) -> None:
    """Take a set-aside entry out of its member's balance (the entry itself stays in the ledger); the
    member's last activity is then their newest entry that counts. Call after acknowledging it."""
    _count(conn, entry_id, -1)
    entry = get(conn, entry_id)
    if entry is not None:
        driver(conn).execute(_LAST_COUNTED_SQL, (entry.member_id,))


def recount(conn: Tx, entry_id: str) -> None:
    """Put an entry the club's review accepted after all back into its member's balance."""
    _count(conn, entry_id, 1)


def uncounted_ids(conn: Tx) -> set[str]:
    return {row[0] for row in driver(conn).execute(_UNCOUNTED_SQL).fetchall()}


# ---- other devices' set-aside entries: their places in their chains ----------------------------------


def put_set_aside(conn: Tx, slot: SetAsideSlot, *, member_id: str, server_seq: int) -> None:
    driver(conn).execute(
        "INSERT INTO set_aside_entry (entry_id, device_id, device_seq, prev_hash, hash, member_id, reason, "
        "server_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (slot.id, slot.device_id, slot.device_seq, slot.prev_hash, slot.hash, member_id, slot.reason,
         server_seq),
    )  # fmt: skip


def set_aside_slot(conn: Tx, device_id: str, device_seq: int) -> SetAsideSlot | None:
    row = (
        driver(conn)
        .execute(
            "SELECT entry_id, device_id, device_seq, prev_hash, hash, reason FROM set_aside_entry "
            "WHERE device_id = ? AND device_seq = ?",
            (device_id, device_seq),
        )
        .fetchone()
    )
    return None if row is None else SetAsideSlot(*row)


def drop_set_aside(conn: Tx, entry_id: str) -> None:
    """The club's review accepted the entry: it arrives as an entry and takes its slot's place."""
    driver(conn).execute("DELETE FROM set_aside_entry WHERE entry_id = ?", (entry_id,))


def set_aside_slots(conn: Connection, device_id: str) -> list[SetAsideSlot]:
    """A device's set-aside slots in chain order (few: they are the exceptions)."""
    rows = conn.execute(
        select(
            SET_ASIDE.c.entry_id,
            SET_ASIDE.c.device_id,
            SET_ASIDE.c.device_seq,
            SET_ASIDE.c.prev_hash,
            SET_ASIDE.c.hash,
            SET_ASIDE.c.reason,
        )
        .where(SET_ASIDE.c.device_id == device_id)
        .order_by(SET_ASIDE.c.device_seq)
    )
    return [SetAsideSlot(*row) for row in rows]


def devices_with_set_aside(conn: Connection) -> list[str]:
    return list(conn.execute(select(SET_ASIDE.c.device_id).distinct()).scalars())


# ---- the club's review: set-aside entries confirmed as refused ------------------------------------------


@dataclass(frozen=True, slots=True)
class SetAsideDecision:
    entry_id: str
    decision: str  # "refused"
    decided_at_us: int
    note: str


def put_decision(
    conn: Tx, decision: SetAsideDecision, *, device_id: str, member_id: str, server_seq: int
) -> None:
    """Record the club's decision on a set-aside entry (once: a page pulled again changes nothing)."""
    driver(conn).execute(
        "INSERT INTO set_aside_decision (entry_id, device_id, member_id, decision, decided_at_us, note, "
        "server_seq) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (decision.entry_id, device_id, member_id, decision.decision, decision.decided_at_us, decision.note,
         server_seq),
    )  # fmt: skip


def decisions_among(conn: Connection, entry_ids: Iterable[str]) -> dict[str, SetAsideDecision]:
    """The club's decisions on these (set-aside) entries, by entry id; those still waiting have none."""
    ids = list(entry_ids)
    if not ids:
        return {}
    rows = conn.execute(
        select(DECISION.c.entry_id, DECISION.c.decision, DECISION.c.decided_at_us, DECISION.c.note).where(
            DECISION.c.entry_id.in_(ids)
        )
    )
    return {r.entry_id: SetAsideDecision(*r) for r in rows}


def head(conn: Tx, device_id: str) -> tuple[int, str]:
    """The device's (last sequence, head hash)."""
    row = driver(conn).execute(_HEAD_SQL, (device_id,)).fetchone()
    if row is None:
        raise ClubError("unknown_device", device=device_id)
    return row[0], row[1]


def _project(cursor: sqlite3.Cursor, entries: Sequence[LedgerEntry]) -> None:
    deltas: dict[str, MemberBalance] = {}
    for entry in entries:
        deltas[entry.member_id] = deltas.get(entry.member_id, MemberBalance()).apply(entry)
    for member_id, delta in deltas.items():
        cursor.execute(_UPSERT_SQL, (member_id, *_balance_values(delta).values()))
    for e in entries:
        if e.kind is EntryKind.TIER_CHANGE and e.invoice_ref:
            at, ref = e.created_at_us, e.invoice_ref
            cursor.execute(_TIER_SQL, (ref, e.member_id, ref, e.member_id, e.id, at, at, e.id))


def _balance_values(balance: MemberBalance) -> dict[str, int]:
    return {
        "points": balance.points,
        "wallet_rials": balance.wallet_rials,
        "spend_rials": balance.spend_rials,
        "purchase_count": balance.purchase_count,
        "last_activity_us": balance.last_activity_us,
    }


def balance(conn: Tx, member_id: str) -> MemberBalance:
    row = driver(conn).execute(_BALANCE_SQL, (member_id,)).fetchone()
    return MemberBalance() if row is None else MemberBalance(*row)


def all_balances(conn: Connection) -> dict[str, MemberBalance]:
    result: dict[str, MemberBalance] = {}
    for row in conn.execute(select(BALANCE)):
        data = dict(row._mapping)
        member_id = data.pop("member_id")
        result[member_id] = MemberBalance(**data)
    return result


def replace_balances(conn: Connection, balances: dict[str, MemberBalance]) -> None:
    """Swap the whole projection for a rebuilt one (the projection is not the ledger)."""
    conn.execute(BALANCE.delete())
    if balances:
        conn.execute(
            insert(BALANCE),
            [{"member_id": m, **_balance_values(b)} for m, b in balances.items()],
        )


def get(conn: Tx, entry_id: str) -> LedgerEntry | None:
    row = driver(conn).execute(_SELECT_ENTRY, (entry_id,)).fetchone()
    return None if row is None else _entry_from_tuple(row)


def member_entries(conn: Tx, member_id: str) -> list[LedgerEntry]:
    """Every entry about the member, in no particular order (the programme's folds order them)."""
    rows = driver(conn).execute(_MEMBER_ENTRIES_SQL, (member_id,)).fetchall()
    return [_entry_from_tuple(row) for row in rows]


def member_entries_since(conn: Tx, member_id: str, since_us: int) -> list[LedgerEntry]:
    """The member's entries made after `since_us`, and every tier change, card purchase, bonus and
    reversal whenever made: what a sale's standing needs, without the whole history."""
    rows = driver(conn).execute(_SALE_ENTRIES_SQL, (member_id, since_us)).fetchall()
    return [_entry_from_tuple(row) for row in rows]


def get_many(conn: Connection, entry_ids: Iterable[str]) -> list[LedgerEntry]:
    rows = conn.execute(
        select(*_ENTRY_COLUMNS)
        .where(ENTRY.c.id.in_(list(entry_ids)))
        .order_by(ENTRY.c.device_id, ENTRY.c.device_seq)
    )
    return [_entry(r) for r in rows]


def invoice_in_use(conn: Tx, invoice_ref: str) -> bool:
    """Whether any entry carries this invoice reference (a sale checks before taking one)."""
    return driver(conn).execute(_INVOICE_USED_SQL, (invoice_ref,)).fetchone() is not None


def for_invoice(conn: Connection, invoice_ref: str) -> list[LedgerEntry]:
    rows = conn.execute(
        select(*_ENTRY_COLUMNS)
        .where(ENTRY.c.invoice_ref == invoice_ref)
        .order_by(ENTRY.c.created_at_us, ENTRY.c.device_seq)
    )
    return [_entry(r) for r in rows]


def reversals_of(conn: Connection, entry_id: str) -> list[LedgerEntry]:
    rows = conn.execute(select(*_ENTRY_COLUMNS).where(ENTRY.c.reverses == entry_id))
    return [_entry(r) for r in rows]


def recent_for_member(conn: Connection, member_id: str, limit: int = 10) -> list[LedgerEntry]:
    rows = conn.execute(
        select(*_ENTRY_COLUMNS)
        .where(ENTRY.c.member_id == member_id)
        .order_by(ENTRY.c.created_at_us.desc(), ENTRY.c.device_seq.desc())
        .limit(limit)
    )
    return [_entry(r) for r in rows]


def iter_device(conn: Connection, device_id: str) -> Iterator[LedgerEntry]:
    """One device's entries in chain order, streamed (a ledger may hold millions)."""
    result = conn.execution_options(yield_per=2000).execute(
        select(*_ENTRY_COLUMNS).where(ENTRY.c.device_id == device_id).order_by(ENTRY.c.device_seq)
    )
    for row in result:
        yield _entry(row)


def device_heads(conn: Connection) -> dict[str, tuple[int, str]]:
    """Each device's recorded (last sequence, head hash)."""
    rows = conn.execute(select(DEVICE.c.id, DEVICE.c.last_seq, DEVICE.c.head_hash))
    return {r.id: (r.last_seq, r.head_hash) for r in rows}


def devices_with_entries(conn: Connection) -> list[str]:
    return list(conn.execute(select(ENTRY.c.device_id).distinct()).scalars())


def unacknowledged(conn: Connection, entry_ids: Iterable[str]) -> set[str]:
    """Which of these entries the server has not yet acknowledged (still in the outbox)."""
    ids = list(entry_ids)
    if not ids:
        return set()
    acked = set(conn.execute(select(ACK.c.entry_id).where(ACK.c.entry_id.in_(ids))).scalars())
    return set(ids) - acked


def set_aside_among(conn: Connection, entry_ids: Iterable[str]) -> set[str]:
    """Which of these (own) entries the club server set aside: they count nowhere until it accepts them."""
    ids = list(entry_ids)
    if not ids:
        return set()
    query = select(ACK.c.entry_id).where(ACK.c.entry_id.in_(ids), ACK.c.outcome == "rejected")
    return set(conn.execute(query).scalars())


def outbox_count(conn: Connection) -> int:
    return conn.execute(
        select(func.count())
        .select_from(ENTRY.outerjoin(ACK, ACK.c.entry_id == ENTRY.c.id))
        .where(ACK.c.entry_id.is_(None))
    ).scalar_one()


def entry_count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(ENTRY)).scalar_one()


def created_between(conn: Connection, start_us: int, end_us: int) -> list[LedgerEntry]:
    """Every entry made in [start_us, end_us) by its device's clock (a day's report)."""
    rows = conn.execute(
        select(*_ENTRY_COLUMNS)
        .where(ENTRY.c.created_at_us >= start_us, ENTRY.c.created_at_us < end_us)
        .order_by(ENTRY.c.created_at_us, ENTRY.c.device_id, ENTRY.c.device_seq)
    )
    return [_entry(r) for r in rows]


_IN_CHUNK = 500  # well under SQLite's bound variables per statement


def reversals_of_any(conn: Connection, entry_ids: Iterable[str]) -> list[LedgerEntry]:
    """The reversals, made at any time, of any of these entries."""
    ids = list(entry_ids)
    found: list[LedgerEntry] = []
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        found += [_entry(r) for r in conn.execute(select(*_ENTRY_COLUMNS).where(ENTRY.c.reverses.in_(chunk)))]
    return found
