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

from sqlalchemy import Connection, case, update

from app.domain.balance import fold_balances
from app.domain.ledger import LedgerEntry
from sync.server.alerts import raise_alert
from sync.server.models import BALANCE
from sync.server.sequence import Publisher

NEGATIVE_BALANCE = "negative_balance"


def apply(conn: Connection, pub: Publisher, entries: Iterable[LedgerEntry]) -> None:
    """Add the entries to their members' balances (members in id order: no deadlock between pushes)."""
    deltas = fold_balances(entries)
    for member_id in sorted(deltas):
        delta = deltas[member_id]
        row = conn.execute(
            update(BALANCE)
            .where(BALANCE.c.member_id == member_id)
            .values(
                points=BALANCE.c.points + delta.points,
                wallet_rials=BALANCE.c.wallet_rials + delta.wallet_rials,
                spend_rials=BALANCE.c.spend_rials + delta.spend_rials,
                purchase_count=BALANCE.c.purchase_count + delta.purchase_count,
                last_activity_us=case(
                    (BALANCE.c.last_activity_us < delta.last_activity_us, delta.last_activity_us),
                    else_=BALANCE.c.last_activity_us,
                ),
            )
            .returning(BALANCE.c.points, BALANCE.c.wallet_rials, BALANCE.c.restricted)
        ).one()
        negative = row.points < 0 or row.wallet_rials < 0
        if negative != row.restricted:
            _restrict(conn, pub, member_id, row, restricted=negative)


def _restrict(conn: Connection, pub: Publisher, member_id: str, row: Any, *, restricted: bool) -> None:
    conn.execute(update(BALANCE).where(BALANCE.c.member_id == member_id).values(restricted=restricted))
    reason = NEGATIVE_BALANCE if restricted else ""
    body = {"kind": "restriction", "member_id": member_id, "restricted": restricted, "reason": reason}
    pub.change("restriction", body, member_id=member_id)
    kind = NEGATIVE_BALANCE if restricted else "balance_restored"
    raise_alert(conn, pub.at_us, kind, member_id=member_id, points=row.points, wallet_rials=row.wallet_rials)
