# SPDX-License-Identifier: GPL-3.0-or-later
"""The ledger in SQLite: appending sealed entries, with the balance projection, in the caller's
transaction; and reading entries back. Nothing here updates or deletes an entry.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select

from app.domain import member_days
from app.domain.balance import MemberBalance
from app.domain.errors import ClubError
from app.domain.ledger import EntryDraft, EntryKind, LedgerEntry, SetAsideSlot, seal_all
from app.store.database import Tx, driver
from app.store.schema import (
    DeviceRow,
    LedgerAckRow,
    LedgerEntryRow,
    MemberBalanceRow,
    MemberDayRow,
    SetAsideDecisionRow,
    SetAsideEntryRow,
)

ENTRY = LedgerEntryRow.__table__
ACK = LedgerAckRow.__table__
DEVICE = DeviceRow.__table__
BALANCE = MemberBalanceRow.__table__
SET_ASIDE = SetAsideEntryRow.__table__
MEMBER_DAY = MemberDayRow.__table__
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
_RECENT_SQL = f"{_MEMBER_ENTRIES_SQL} ORDER BY created_at_us DESC, device_seq DESC LIMIT ?"
_IN_CHUNK = 500  # ids in one IN (…): well under SQLite's limit on bound parameters

# The day buckets (app.domain.member_days), kept with the entries: a part or credit adds to its row
_DAY_FIELDS = ("points", "spend_rials", "low_us", "high_us", "cashback_rials", "cashback_low_us")
_DAY_UPSERT_SQL = (
    f"INSERT INTO member_day (member_id, day, {', '.join(_DAY_FIELDS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (member_id, day) DO UPDATE SET points = points + excluded.points, "
    "spend_rials = spend_rials + excluded.spend_rials, low_us = min(low_us, excluded.low_us), "
    "high_us = max(high_us, excluded.high_us), cashback_rials = cashback_rials + excluded.cashback_rials, "
    "cashback_low_us = min(cashback_low_us, excluded.cashback_low_us)"
)
# In one statement: the buckets after a moment's edges, summed (qualifying after the edge day, cashback
# after the cashback day) in a row whose day is NULL, and the two edge buckets themselves
_DAYS_AT_SQL = (
    "SELECT NULL, coalesce(sum(CASE WHEN day > ?1 THEN points END), 0), "
    "coalesce(sum(CASE WHEN day > ?1 THEN spend_rials END), 0), "
    f"coalesce(max(CASE WHEN day > ?1 THEN high_us END), {member_days.NO_HIGH}), "
    "coalesce(sum(CASE WHEN day > ?2 THEN cashback_rials END), 0), NULL, NULL "
    "FROM member_day WHERE member_id = ?3 AND day > min(?1, ?2) "
    f"UNION ALL SELECT day, {', '.join(_DAY_FIELDS)} FROM member_day WHERE member_id = ?3 AND day IN (?1, ?2)"
)
# The buckets are kept once the terminal holds a rule set: only a rule set's sale reads them (a club that
# never published one prices by the tier and branch tables), and the first rule set fills them
# (app.store.programme.put), so a club without one pays nothing for them
_KEEPS_DAYS_SQL = "SELECT 1 FROM rule_set LIMIT 1"
_BETWEEN_SQL = _MEMBER_ENTRIES_SQL + " AND created_at_us > ? AND created_at_us < ?"
# the few kinds a sale folds whole, by their partial index (the WHERE must be the index's to the letter)
_PROGRAMME_KINDS_SQL = _MEMBER_ENTRIES_SQL + " AND kind IN ('tier_change', 'membership_purchase', 'bonus')"
_REVERSALS_OF_SQL = f"SELECT {', '.join(_FIELDS)} FROM ledger_entry WHERE reverses IN "
_ENTRIES_BY_ID_SQL = f"SELECT {', '.join(_FIELDS)} FROM ledger_entry WHERE id IN "
# Every bucket from the ledger, set-based (`ledger rebuild`; migration 0012 holds a frozen copy): a part
# per earn and per reversal of an earn of the same member, a credit per cashback credit
_DAY_SQL = "(CASE WHEN {t} >= 0 THEN {t} / 86400000000 ELSE ({t} - 86399999999) / 86400000000 END)"
_LOW_R = "min(r.created_at_us, s.created_at_us)"
_DAYS_SELECT_SQL = f"""
SELECT member_id, day, sum(points), sum(spend), min(low), max(high), sum(cashback), min(cashback_low) FROM (
    SELECT member_id, {_DAY_SQL.format(t="created_at_us")} AS day, points_delta AS points,
        sale_amount AS spend, created_at_us AS low, created_at_us AS high, 0 AS cashback,
        {member_days.NO_LOW} AS cashback_low
    FROM ledger_entry WHERE kind = 'earn'
    UNION ALL
    SELECT r.member_id, {_DAY_SQL.format(t=_LOW_R)}, r.points_delta, r.sale_amount, {_LOW_R},
        max(r.created_at_us, s.created_at_us), 0, {member_days.NO_LOW}
    FROM ledger_entry r JOIN ledger_entry s ON s.id = r.reverses
    WHERE r.kind = 'reversal' AND s.kind = 'earn' AND s.member_id = r.member_id
    UNION ALL
    SELECT member_id, {_DAY_SQL.format(t="created_at_us")}, 0, 0, {member_days.NO_LOW}, {member_days.NO_HIGH},
        cash_delta, created_at_us
    FROM ledger_entry WHERE kind = 'cashback_credit'
) GROUP BY member_id, day
"""
DAYS_FROM_LEDGER_SQL = f"INSERT INTO member_day (member_id, day, {', '.join(_DAY_FIELDS)}) {_DAYS_SELECT_SQL}"
# members whose kept buckets differ from the ledger's, both ways
_DAYS_DIFFER_SQL = (
    f"SELECT member_id FROM (SELECT * FROM ({_DAYS_SELECT_SQL}) EXCEPT "
    f"SELECT member_id, day, {', '.join(_DAY_FIELDS)} FROM member_day) "
    f"UNION SELECT member_id FROM (SELECT member_id, day, {', '.join(_DAY_FIELDS)} FROM member_day "
    f"EXCEPT SELECT * FROM ({_DAYS_SELECT_SQL}))"
)


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
    _project_days(cursor, entries)
    for e in entries:
        if e.kind is EntryKind.TIER_CHANGE and e.invoice_ref:
            at, ref = e.created_at_us, e.invoice_ref
            cursor.execute(_TIER_SQL, (ref, e.member_id, ref, e.member_id, e.id, at, at, e.id))


def _project_days(cursor: sqlite3.Cursor, entries: Sequence[LedgerEntry]) -> None:
    """Add what the entries bring to the day buckets. A reversal and the sale it undoes make one part,
    added when the later of the two arrives here (either may come first from another device): the batch's
    reversals are paired with their sales, the batch's sales with the reversals already held."""
    earns = [e for e in entries if e.kind is EntryKind.EARN]
    reversals = [e for e in entries if e.kind is EntryKind.REVERSAL and e.reverses]
    credits = [e for e in entries if member_days.is_credit(e)]
    if not (earns or reversals or credits) or cursor.execute(_KEEPS_DAYS_SQL).fetchone() is None:
        return
    parts = [p for e in earns if (p := member_days.part_of(e)) is not None]
    by_id = {e.id: e for e in entries}
    if reversals:
        missing = [e.reverses for e in reversals if e.reverses not in by_id]
        by_id |= {e.id: e for e in _fetch(cursor, _ENTRIES_BY_ID_SQL, missing)}
        for reversal in reversals:
            part = member_days.part_of(reversal, by_id.get(reversal.reverses or ""))
            if part is not None:
                parts.append(part)
    if earns:  # the reversals held already (a batch's own were paired above)
        held = _fetch(cursor, _REVERSALS_OF_SQL, [e.id for e in earns])
        batch = {e.id for e in entries} if held else set()
        for reversal in held:
            part = member_days.part_of(reversal, by_id.get(reversal.reverses or ""))
            if reversal.id not in batch and part is not None:
                parts.append(part)
    for (member_id, day), totals in member_days.day_changes(parts, credits).items():
        cursor.execute(_DAY_UPSERT_SQL, (member_id, day, *_day_values(totals)))


def _fetch(cursor: sqlite3.Cursor, sql_head: str, keys: Sequence[str]) -> list[LedgerEntry]:
    found: list[LedgerEntry] = []
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start : start + _IN_CHUNK]
        rows = cursor.execute(f"{sql_head}({', '.join('?' * len(chunk))})", chunk).fetchall()
        found += [_entry_from_tuple(row) for row in rows]
    return found


def _day_values(totals: member_days.DayTotals) -> tuple[int, ...]:
    return (totals.points, totals.spend_rials, totals.low_us, totals.high_us, totals.cashback_rials,
            totals.cashback_low_us)  # fmt: skip


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


# ---- the day buckets: what a sale reads of a member's windows ---------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberDays:
    """A member's buckets as a sale at `moment` reads them: the sum of those inside its windows, the two
    its edges cut, and (only when those hold something from outside the windows) the entries of the part
    of those days inside the windows."""

    inside: member_days.Inside
    edge: member_days.DayTotals
    cashback_edge: member_days.DayTotals
    edge_parts: list[member_days.Part] | None
    credits: list[LedgerEntry] | None


def member_days_at(conn: Tx, member_id: str, moment: member_days.Moment) -> MemberDays:
    cursor = driver(conn).cursor()
    d0, dc = moment.edge_day, moment.cashback_day
    inside, rows = member_days.Inside(), {}
    for row in cursor.execute(_DAYS_AT_SQL, (d0, dc, member_id)):
        if row[0] is None:
            inside = member_days.Inside(*row[1:5])
        else:
            rows[row[0]] = member_days.DayTotals(*row[1:])
    edge, cashback_edge = rows.get(d0, member_days.DayTotals()), rows.get(dc, member_days.DayTotals())
    parts = credits = None
    if member_days.edge_needs_entries(moment, edge):
        entries = entries_between(conn, member_id, moment.since_us, moment.edge_end_us)
        parts = member_days.edge_parts(moment, entries, _partners(cursor, entries))
    if member_days.cashback_needs_entries(moment, cashback_edge):
        credits = entries_between(conn, member_id, moment.pending_from_us - 1, moment.cashback_end_us)
    return MemberDays(inside, edge, cashback_edge, parts, credits)


def _partners(cursor: sqlite3.Cursor, entries: Sequence[LedgerEntry]) -> dict[str, LedgerEntry]:
    """The reversals of these sales and the entries these reversals undo, by id."""
    earns = [e.id for e in entries if e.kind is EntryKind.EARN]
    undone = [e.reverses for e in entries if e.kind is EntryKind.REVERSAL and e.reverses]
    found = _fetch(cursor, _REVERSALS_OF_SQL, earns) + _fetch(cursor, _ENTRIES_BY_ID_SQL, undone)
    return {e.id: e for e in found}


def entries_between(conn: Tx, member_id: str, after_us: int, before_us: int) -> list[LedgerEntry]:
    """The member's entries made strictly between two moments (by the member-and-time index)."""
    rows = driver(conn).execute(_BETWEEN_SQL, (member_id, after_us, before_us)).fetchall()
    return [_entry_from_tuple(row) for row in rows]


def programme_entries(conn: Tx, member_id: str) -> list[LedgerEntry]:
    """The member's tier changes, paid memberships and bonuses (a few, whenever made: their partial index),
    and the reversals of those memberships: what a sale folds whole besides its windows."""
    cursor = driver(conn).cursor()
    found = [_entry_from_tuple(row) for row in cursor.execute(_PROGRAMME_KINDS_SQL, (member_id,))]
    bought = [e.id for e in found if e.kind is EntryKind.MEMBERSHIP_PURCHASE]
    return found + [e for e in _fetch(cursor, _REVERSALS_OF_SQL, bought) if e.member_id == member_id]


def all_member_days(conn: Connection) -> dict[member_days.DayKey, member_days.DayTotals]:
    rows = conn.execute(select(MEMBER_DAY))
    return {(r.member_id, r.day): member_days.DayTotals(*(getattr(r, f) for f in _DAY_FIELDS)) for r in rows}


def keeps_member_days(conn: Tx) -> bool:
    """Whether the day buckets are kept here (from the first rule set on)."""
    return driver(conn).execute(_KEEPS_DAYS_SQL).fetchone() is not None


def member_days_differ(conn: Connection) -> list[str]:
    """The members whose kept buckets differ from what the ledger makes (`ledger verify`), in order."""
    if not keeps_member_days(conn):
        return []
    return sorted(row[0] for row in driver(conn).execute(_DAYS_DIFFER_SQL))


def rebuild_member_days(conn: Connection) -> None:
    """Swap the day buckets for ones made afresh from the ledger (none while they are not kept)."""
    conn.execute(MEMBER_DAY.delete())
    if keeps_member_days(conn):
        driver(conn).execute(DAYS_FROM_LEDGER_SQL)


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


def recent_for_member(conn: Tx, member_id: str, limit: int = 10) -> list[LedgerEntry]:
    """The member's latest entries, newest first (a tap's path: prepared SQL on the driver, see above)."""
    rows = driver(conn).execute(_RECENT_SQL, (member_id, limit)).fetchall()
    return [_entry_from_tuple(row) for row in rows]


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


def unacknowledged(conn: Tx, entry_ids: Iterable[str]) -> set[str]:
    """Which of these entries the server has not yet acknowledged (still in the outbox)."""
    ids = list(entry_ids)
    return set(ids) - _acks_among(conn, ids, "SELECT entry_id FROM ledger_ack WHERE entry_id IN ({})")


def set_aside_among(conn: Tx, entry_ids: Iterable[str]) -> set[str]:
    """Which of these (own) entries the club server set aside: they count nowhere until it accepts them."""
    sql = "SELECT entry_id FROM ledger_ack WHERE outcome = 'rejected' AND entry_id IN ({})"
    return _acks_among(conn, list(entry_ids), sql)


def _acks_among(conn: Tx, ids: list[str], sql: str) -> set[str]:
    """The ids among `ids` that `sql` (with `{}` for the id list) returns, a chunk of them at a time."""
    found: set[str] = set()
    raw = driver(conn)
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        found.update(row[0] for row in raw.execute(sql.format(", ".join("?" * len(chunk))), chunk))
    return found


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
