# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's member balances, folded from the global ledger with the terminal's own arithmetic.

`app.domain.balance` decides what an entry does to a balance, on both ends, so the server and the
terminals can never disagree. A balance that goes below zero (an override, a return after spending)
puts the member on the restricted list, published as a `restriction` change and alerted; it comes off
the list when the balance is back to zero or more.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, case, select, update

from app.domain.balance import MemberBalance, fold_balances
from app.domain.ledger import LedgerEntry
from sync.server.alerts import raise_alert
from sync.server.db import one_of
from sync.server.models import BALANCE
from sync.server.sequence import Publisher

NEGATIVE_BALANCE = "negative_balance"


def apply(conn: Connection, pub: Publisher, entries: Iterable[LedgerEntry]) -> None:
    """Add the entries to their members' balances (members in id order: no deadlock between pushes)."""
    deltas = fold_balances(entries)
    if not deltas:
        return
    order = sorted(deltas)
    add = _add_pg if conn.dialect.name == "postgresql" else _add
    rows = add(conn, order, deltas)
    for member_id in order:
        row = rows[member_id]
        negative = row.points < 0 or row.wallet_rials < 0
        if negative != row.restricted:
            _restrict(conn, pub, member_id, row, restricted=negative)


def _add(conn: Connection, order: list[str], deltas: dict[str, MemberBalance]) -> dict[str, Any]:
    """One executemany in member-id order (the row locks are taken in that order), then the new rows."""
    conn.execute(_ADD, [_params(member_id, deltas[member_id]) for member_id in order])
    columns = select(BALANCE.c.member_id, BALANCE.c.points, BALANCE.c.wallet_rials, BALANCE.c.restricted)
    rows = conn.execute(columns.where(one_of(conn, BALANCE.c.member_id, order)))
    return {row.member_id: row for row in rows}


_LOCK_PG = (
    "SELECT member_id FROM member_balance WHERE member_id = ANY(%b::text[]) ORDER BY member_id FOR UPDATE"
)
_ADD_PG = (
    "UPDATE member_balance AS b SET points = b.points + d.points, wallet_rials = b.wallet_rials + d.wallet,"
    " spend_rials = b.spend_rials + d.spend, purchase_count = b.purchase_count + d.count,"
    " last_activity_us = GREATEST(b.last_activity_us, d.last)"
    " FROM unnest(%b::text[], %b::bigint[], %b::bigint[], %b::bigint[], %b::bigint[], %b::bigint[])"
    " AS d(member_id, points, wallet, spend, count, last)"
    " WHERE b.member_id = d.member_id RETURNING b.member_id, b.points, b.wallet_rials, b.restricted"
)


def _add_pg(conn: Connection, order: list[str], deltas: dict[str, MemberBalance]) -> dict[str, Any]:
    """Lock the rows in member-id order, then one UPDATE over arrays that returns the new rows: two
    statements for a batch instead of one a member and a SELECT."""
    conn.exec_driver_sql(_LOCK_PG, (order,))
    columns = [[getattr(deltas[m], name) for m in order] for name in _DELTA_FIELDS]
    return {row.member_id: row for row in conn.exec_driver_sql(_ADD_PG, (order, *columns))}


_DELTA_FIELDS = ("points", "wallet_rials", "spend_rials", "purchase_count", "last_activity_us")


def _params(member_id: str, delta: MemberBalance) -> dict[str, Any]:
    return {
        "m": member_id,
        "points": delta.points,
        "wallet": delta.wallet_rials,
        "spend": delta.spend_rials,
        "count": delta.purchase_count,
        "last": delta.last_activity_us,
    }


_ADD = (
    update(BALANCE)
    .where(BALANCE.c.member_id == bindparam("m"))
    .values(
        points=BALANCE.c.points + bindparam("points"),
        wallet_rials=BALANCE.c.wallet_rials + bindparam("wallet"),
        spend_rials=BALANCE.c.spend_rials + bindparam("spend"),
        purchase_count=BALANCE.c.purchase_count + bindparam("count"),
        last_activity_us=case(
            (BALANCE.c.last_activity_us < bindparam("last"), bindparam("last")),
            else_=BALANCE.c.last_activity_us,
        ),
    )
)


def _restrict(conn: Connection, pub: Publisher, member_id: str, row: Any, *, restricted: bool) -> None:
    conn.execute(update(BALANCE).where(BALANCE.c.member_id == member_id).values(restricted=restricted))
    reason = NEGATIVE_BALANCE if restricted else ""
    body = {"kind": "restriction", "member_id": member_id, "restricted": restricted, "reason": reason}
    pub.change("restriction", body, member_id=member_id)
    kind = NEGATIVE_BALANCE if restricted else "balance_restored"
    raise_alert(conn, pub.at_us, kind, member_id=member_id, points=row.points, wallet_rials=row.wallet_rials)
