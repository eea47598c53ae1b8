# SPDX-License-Identifier: GPL-3.0-or-later
"""Where this terminal stands with the club server: enrolment, pull cursor, clocks, acknowledgements of
its own ledger entries, problems sync carried on past, and photos it still has to fetch.

The state lives in the `setting` table under `sync_…` keys, so it commits with the page or the
acknowledgements it describes. Reads take either kind of transaction (`Tx`): a sale asks whether the
terminal is enrolled inside its own bare-driver transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain.grants import ClockReading
from app.domain.ledger import EntryKind, LedgerEntry
from app.store import ledger, start_up
from app.store.database import Tx, driver
from app.store.schema import LedgerAckRow, LedgerEntryRow, PhotoWantedRow, SyncProblemRow

ACK = LedgerAckRow.__table__
ENTRY = LedgerEntryRow.__table__
PROBLEM = SyncProblemRow.__table__
WANTED = PhotoWantedRow.__table__

SERVER_URL = start_up.SERVER_URL
DEVICE_ID = "sync_device_id"
DEVICE_CODE = "sync_device_code"
BRANCH_ID = "sync_branch_id"
CURSOR = "sync_cursor"  # the server sequence the terminal has applied every change up to
LAST_PUSH_US = "sync_last_push_us"
LAST_PULL_US = "sync_last_pull_us"
SERVER_TIME_US = "sync_server_time_us"  # the last server time seen …
LOCAL_TIME_AT_SERVER_US = "sync_local_time_at_server_us"  # … and this terminal's clock then
LAST_ERROR = "sync_last_error"
CLOCK_BEHIND = "sync_clock_behind"  # "1": the clock was found set back; offline spending waits
PUSHED_THROUGH = "sync_pushed_through_seq"  # every own entry up to here has an answer
# "1": a pull erased a member; the write-ahead log still holds their old rows until it is emptied
FORGET_DELETED = "sync_forget_deleted"
# Settings a pull never overwrites: this terminal's own, whatever the server publishes. The receipt
# printer is this counter's hardware (app.receipts.setup.PRINTER_SETTING, chosen at the first run).
LOCAL_SETTINGS = frozenset({"card_prefix", "card_serial", "revocations_as_of_us", "receipt_printer"})
LOCAL_PREFIX = "sync_"

_GET_SQL = "SELECT value FROM setting WHERE key = ?"
_PUT_SQL = (
    "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
_DELETE_SQL = "DELETE FROM setting WHERE key = ?"
_ACK_SQL = (
    "INSERT INTO ledger_ack (entry_id, acknowledged_at_us, server_seq, outcome, reason) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (entry_id) DO NOTHING"
)
_ENTRY_FIELDS = tuple(LedgerEntry.__dataclass_fields__)
_PENDING_SQL = (
    f"SELECT {', '.join('e.' + f for f in _ENTRY_FIELDS)} FROM ledger_entry e "
    "LEFT JOIN ledger_ack a ON a.entry_id = e.id "
    "WHERE e.device_id = ? AND e.device_seq > ? AND a.entry_id IS NULL ORDER BY e.device_seq LIMIT ?"
)
_FIRST_PENDING_SQL = (
    "SELECT min(e.device_seq) FROM ledger_entry e LEFT JOIN ledger_ack a ON a.entry_id = e.id "
    "WHERE e.device_id = ? AND e.device_seq > ? AND a.entry_id IS NULL"
)


def get(conn: Tx, key: str) -> str | None:
    row = driver(conn).execute(_GET_SQL, (key,)).fetchone()
    return None if row is None else str(row[0])


def get_int(conn: Tx, key: str, default: int = 0) -> int:
    value = get(conn, key)
    return default if value is None or value == "" else int(value)


def put(conn: Tx, key: str, value: str | int | None) -> None:
    if value is None:
        driver(conn).execute(_DELETE_SQL, (key,))
    else:
        driver(conn).execute(_PUT_SQL, (key, str(value)))


def is_enrolled(conn: Tx) -> bool:
    """Enrolled with a club server: from then on the server, not this terminal, authorises spending."""
    return start_up.is_enrolled(driver(conn))


def is_local_setting(key: str) -> bool:
    return key in LOCAL_SETTINGS or key.startswith(LOCAL_PREFIX)


@dataclass(frozen=True, slots=True)
class SyncState:
    server_url: str | None
    device_id: str | None
    cursor: int
    last_push_us: int | None
    last_pull_us: int | None
    server_time_us: int | None
    local_time_at_server_us: int | None
    last_error: str | None
    clock_behind: bool


def _optional_int(conn: Tx, key: str) -> int | None:
    value = get(conn, key)
    return None if value is None else int(value)


def state(conn: Tx) -> SyncState:
    return SyncState(
        server_url=get(conn, SERVER_URL),
        device_id=get(conn, DEVICE_ID),
        cursor=get_int(conn, CURSOR),
        last_push_us=_optional_int(conn, LAST_PUSH_US),
        last_pull_us=_optional_int(conn, LAST_PULL_US),
        server_time_us=_optional_int(conn, SERVER_TIME_US),
        local_time_at_server_us=_optional_int(conn, LOCAL_TIME_AT_SERVER_US),
        last_error=get(conn, LAST_ERROR),
        clock_behind=get(conn, CLOCK_BEHIND) == "1",
    )


def clock_reading(conn: Tx, terminal_now_us: int) -> ClockReading:
    return ClockReading(terminal_now_us, _optional_int(conn, SERVER_TIME_US))


def note_contact(conn: Tx, server_time_us: int, local_now_us: int) -> None:
    """The server answered: remember its time and ours, and judge our clock afresh."""
    if server_time_us >= get_int(conn, SERVER_TIME_US):  # answers can arrive out of order
        put(conn, SERVER_TIME_US, server_time_us)
        put(conn, LOCAL_TIME_AT_SERVER_US, local_now_us)
    behind = ClockReading(local_now_us, server_time_us).behind_server
    put(conn, CLOCK_BEHIND, "1" if behind else None)
    put(conn, LAST_ERROR, None)


def flag_clock_behind(conn: Tx) -> None:
    put(conn, CLOCK_BEHIND, "1")


# ---- this terminal's own entries: what the server still has to answer ------------------------------


def _entry(values: tuple[object, ...]) -> LedgerEntry:
    data = dict(zip(_ENTRY_FIELDS, values, strict=True))
    data["kind"] = EntryKind(data["kind"])
    return LedgerEntry(**data)  # type: ignore[arg-type]


def pending_entries(conn: Tx, device_id: str, limit: int) -> list[LedgerEntry]:
    """The device's unanswered entries in device order, from the first one without an answer."""
    start = get_int(conn, PUSHED_THROUGH)
    rows = driver(conn).execute(_PENDING_SQL, (device_id, start, limit)).fetchall()
    return [_entry(r) for r in rows]


def acknowledge_entry(
    conn: Tx,
    entry_id: str,
    outcome: str,
    *,
    at_us: int,
    server_seq: int | None = None,
    reason: str | None = None,
) -> bool:
    """Record the server's answer to an entry beside it (the entry itself is never updated)."""
    cursor = driver(conn).execute(_ACK_SQL, (entry_id, at_us, server_seq, outcome, reason))
    recorded = cursor.rowcount > 0
    if recorded and outcome == "rejected":  # the server counts it nowhere: neither does this terminal
        ledger.uncount(conn, entry_id)
    return recorded


def accept_after_review(conn: Tx, entry_id: str, *, at_us: int, server_seq: int) -> bool:
    """An own entry the server had set aside, accepted by the club's review: counted again. False when the
    entry was not set aside here."""
    cursor = driver(conn).execute(
        "UPDATE ledger_ack SET outcome = 'accepted', reason = NULL, server_seq = ?, acknowledged_at_us = ? "
        "WHERE entry_id = ? AND outcome = 'rejected'",
        (server_seq, at_us, entry_id),
    )
    if cursor.rowcount == 0:
        return False
    ledger.recount(conn, entry_id)
    return True


def advance_pushed_through(conn: Tx, device_id: str, head_seq: int) -> int:
    """Move the mark below which every own entry has an answer (so a push never rescans them)."""
    start = get_int(conn, PUSHED_THROUGH)
    first = driver(conn).execute(_FIRST_PENDING_SQL, (device_id, start)).fetchone()[0]
    mark = head_seq if first is None else first - 1
    if mark != start:
        put(conn, PUSHED_THROUGH, mark)
    return mark


def unanswered_entries(conn: Connection, device_id: str) -> int:
    start = get_int(conn, PUSHED_THROUGH)
    return conn.execute(
        select(func.count())
        .select_from(ENTRY.outerjoin(ACK, ACK.c.entry_id == ENTRY.c.id))
        .where(ENTRY.c.device_id == device_id, ENTRY.c.device_seq > start, ACK.c.entry_id.is_(None))
    ).scalar_one()


def set_aside_entries(conn: Connection, device_id: str) -> list[tuple[str, int, str, str | None]]:
    """Own entries the server rejected or found conflicting that wait for the club's review: (id,
    device_seq, outcome, reason). A bonus the server already held from another terminal is settled, not a
    problem to review, and one the review confirmed as refused waits no more: both left out."""
    settled = func.coalesce(ACK.c.reason, "").in_(ledger.SETTLED_REASONS)
    decided = select(ledger.DECISION.c.entry_id).where(ledger.DECISION.c.entry_id == ENTRY.c.id).exists()
    rows = conn.execute(
        select(ENTRY.c.id, ENTRY.c.device_seq, ACK.c.outcome, ACK.c.reason)
        .join(ACK, ACK.c.entry_id == ENTRY.c.id)
        .where(
            ENTRY.c.device_id == device_id,
            ACK.c.outcome.in_(("rejected", "conflict")),
            ~settled,
            ~decided,
        )
        .order_by(ENTRY.c.device_seq)
    )
    return [(r.id, r.device_seq, r.outcome, r.reason) for r in rows]


def highest_own_server_seq(conn: Connection, device_id: str) -> int:
    """The highest server sequence the server gave one of this device's entries."""
    return conn.execute(
        select(func.coalesce(func.max(ACK.c.server_seq), 0))
        .select_from(ACK.join(ENTRY, ENTRY.c.id == ACK.c.entry_id))
        .where(ENTRY.c.device_id == device_id)
    ).scalar_one()


# ---- problems sync carried on past ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncProblem:
    id: int
    at_us: int
    problem: str
    device_id: str | None
    device_seq: int | None
    subject: str | None
    detail: str


def add_problem(
    conn: Connection,
    problem: str,
    *,
    at_us: int,
    device_id: str | None = None,
    device_seq: int | None = None,
    subject: str | None = None,
    detail: str = "",
) -> None:
    conn.execute(
        insert(PROBLEM).values(
            at_us=at_us,
            problem=problem,
            device_id=device_id,
            device_seq=device_seq,
            subject=subject,
            detail=detail[:2000],
        )
    )


def problems(conn: Connection, limit: int = 100) -> list[SyncProblem]:
    rows = conn.execute(select(PROBLEM).order_by(PROBLEM.c.id.desc()).limit(limit))
    return [SyncProblem(**dict(r._mapping)) for r in rows]


# ---- photos this terminal still has to fetch -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class WantedPhoto:
    member_id: str
    sha256: str
    size: int
    attempts: int


def want_photo(conn: Connection, member_id: str, sha256: str, size: int) -> None:
    values = {"member_id": member_id, "sha256": sha256, "size": size, "attempts": 0, "last_error": None}
    stmt = sqlite_insert(WANTED).values(**values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[WANTED.c.member_id], set_=values))


def wanted_photos(conn: Connection, limit: int, max_attempts: int) -> list[WantedPhoto]:
    rows = conn.execute(
        select(WANTED.c.member_id, WANTED.c.sha256, WANTED.c.size, WANTED.c.attempts)
        .where(WANTED.c.attempts < max_attempts)
        .order_by(WANTED.c.attempts, WANTED.c.member_id)
        .limit(limit)
    )
    return [WantedPhoto(**dict(r._mapping)) for r in rows]


def photo_fetched(conn: Connection, member_id: str, sha256: str) -> None:
    conn.execute(delete(WANTED).where(WANTED.c.member_id == member_id, WANTED.c.sha256 == sha256))


def photo_failed(conn: Connection, member_id: str, error: str) -> None:
    conn.execute(
        WANTED.update()
        .where(WANTED.c.member_id == member_id)
        .values(attempts=WANTED.c.attempts + 1, last_error=error[:500])
    )


def forget_wanted(conn: Connection, member_ids: Iterable[str]) -> None:
    conn.execute(delete(WANTED).where(WANTED.c.member_id.in_(list(member_ids))))


def wanted_count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(WANTED)).scalar_one()
