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

from app.domain.balance import fold_balances
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
    # one executemany (a pipeline on psycopg), in member-id order: the row locks are taken in that order
    conn.execute(
        _ADD,
        [
            {
                "m": member_id,
                "points": deltas[member_id].points,
                "wallet": deltas[member_id].wallet_rials,
                "spend": deltas[member_id].spend_rials,
                "count": deltas[member_id].purchase_count,
                "last": deltas[member_id].last_activity_us,
            }
            for member_id in order
        ],
    )
    rows = {
        row.member_id: row
        for row in conn.execute(
            select(BALANCE.c.member_id, BALANCE.c.points, BALANCE.c.wallet_rials, BALANCE.c.restricted)
            .where(one_of(conn, BALANCE.c.member_id, order))
        )
    }
    for member_id in order:
        row = rows[member_id]
        negative = row.points < 0 or row.wallet_rials < 0
        if negative != row.restricted:
            _restrict(conn, pub, member_id, row, restricted=negative)


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
