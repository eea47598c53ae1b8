# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline spending in SQLite: this terminal's current grant per member, and the club's restricted list.

Reads take either kind of transaction (`Tx`): a sale checks its grant inside its bare-driver transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain.grants import GrantTerms
from app.domain.ledger import EntryKind
from app.store.database import Tx, driver
from app.store.schema import GrantRow, RestrictionRow

GRANT = GrantRow.__table__
RESTRICTION = RestrictionRow.__table__
_GRANT_FIELDS = (
    "grant_id", "member_id", "device_id", "points", "after_seq", "issued_at_us", "expires_at_us",
    "for_entry", "signature", "received_at_us",
)  # fmt: skip
_GRANT_SQL = f"SELECT {', '.join(_GRANT_FIELDS)} FROM member_grant WHERE member_id = ?"
_REDEEMED_SQL = (
    "SELECT coalesce(sum(-points_delta), 0) FROM ledger_entry "
    f"WHERE member_id = ? AND device_id = ? AND kind = '{EntryKind.REDEEM.value}' AND device_seq > ?"
)
_RESTRICTED_SQL = "SELECT 1 FROM member_restriction WHERE member_id = ?"
# bounded by device_seq too: the (device_id, device_seq) index then reads only the newest entries
_RECENT_SQL = (
    "SELECT member_id, max(created_at_us) AS seen FROM ledger_entry "
    "WHERE device_id = ? AND device_seq > ? AND created_at_us >= ? "
    "GROUP BY member_id ORDER BY seen DESC LIMIT ?"
)
RECENT_ENTRIES = 20_000


@dataclass(frozen=True, slots=True)
class StoredGrant:
    grant_id: str
    member_id: str
    device_id: str
    points: int
    after_seq: int
    issued_at_us: int
    expires_at_us: int
    for_entry: str | None
    signature: str
    received_at_us: int

    @property
    def terms(self) -> GrantTerms:
        return GrantTerms(self.points, self.after_seq, self.issued_at_us, self.expires_at_us)


def put_grant(conn: Connection, grant: StoredGrant) -> None:
    """Make this the member's current grant here (a new grant replaces the old, as on the server)."""
    values = {name: getattr(grant, name) for name in _GRANT_FIELDS}
    stmt = sqlite_insert(GRANT).values(**values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[GRANT.c.member_id], set_=values))


def grant_for(conn: Tx, member_id: str) -> StoredGrant | None:
    row = driver(conn).execute(_GRANT_SQL, (member_id,)).fetchone()
    return None if row is None else StoredGrant(*row)


def grants_for(conn: Connection, member_ids: Iterable[str]) -> dict[str, StoredGrant]:
    ids = list(member_ids)
    if not ids:
        return {}
    rows = conn.execute(select(*(GRANT.c[f] for f in _GRANT_FIELDS)).where(GRANT.c.member_id.in_(ids)))
    return {r.member_id: StoredGrant(*r) for r in rows}


def redeemed_since(conn: Tx, device_id: str, member_id: str, after_seq: int) -> int:
    """Points this device's redeem entries for the member spent after `after_seq` (they draw on its grant)."""
    return int(driver(conn).execute(_REDEEMED_SQL, (member_id, device_id, after_seq)).fetchone()[0])


def recent_members(conn: Tx, device_id: str, head_seq: int, since_us: int, limit: int) -> list[str]:
    """Members this device recorded entries for since `since_us` (among its newest), most recent first."""
    params = (device_id, head_seq - RECENT_ENTRIES, since_us, limit)
    rows = driver(conn).execute(_RECENT_SQL, params).fetchall()
    return [r[0] for r in rows]


def is_restricted(conn: Tx, member_id: str) -> bool:
    return driver(conn).execute(_RESTRICTED_SQL, (member_id,)).fetchone() is not None


def set_restricted(conn: Connection, member_id: str, restricted: bool, reason: str, server_seq: int) -> None:
    if not restricted:
        conn.execute(delete(RESTRICTION).where(RESTRICTION.c.member_id == member_id))
        return
    values = {"member_id": member_id, "reason": reason, "server_seq": server_seq}
    stmt = sqlite_insert(RESTRICTION).values(**values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[RESTRICTION.c.member_id], set_=values))


def restricted_members(conn: Connection) -> dict[str, str]:
    rows = conn.execute(select(RESTRICTION.c.member_id, RESTRICTION.c.reason))
    return {r.member_id: r.reason for r in rows}
