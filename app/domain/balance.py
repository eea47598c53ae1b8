# SPDX-License-Identifier: GPL-3.0-or-later
"""A member's balances, folded from ledger entries; the store keeps this projection up to date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.domain.ledger import EntryDraft, EntryKind, LedgerEntry


@dataclass(frozen=True, slots=True)
class MemberBalance:
    points: int = 0
    wallet_rials: int = 0
    spend_rials: int = 0  # net of returns
    purchase_count: int = 0
    last_activity_us: int = 0

    def apply(self, entry: LedgerEntry | EntryDraft) -> MemberBalance:
        # built directly: dataclasses.replace looks the fields up on every call (a sale applies several)
        return MemberBalance(
            self.points + entry.points_delta,
            self.wallet_rials + entry.cash_delta,
            self.spend_rials + entry.sale_amount,
            self.purchase_count + (1 if entry.kind is EntryKind.EARN else 0),
            max(self.last_activity_us, entry.created_at_us),
        )


def fold_balances(entries: Iterable[LedgerEntry]) -> dict[str, MemberBalance]:
    """Every member's balance, rebuilt from nothing but the ledger."""
    balances: dict[str, MemberBalance] = {}
    for entry in entries:
        balances[entry.member_id] = balances.get(entry.member_id, MemberBalance()).apply(entry)
    return balances
