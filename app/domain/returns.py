# SPDX-License-Identifier: GPL-3.0-or-later
"""Returns: take back the points (and cashback) a sale earned and give back the points (and wallet) it
spent, in proportion.

Everything is computed on the running total returned so far, not return by return, so rounding cannot
leak a point per partial return (the classic loyalty exploit). The points a sale may keep are capped by
what the kept part would earn if it were sold afresh, so a return below the minimum sale, past a cap
or through rounding can never leave free points behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.domain.errors import ClubError
from app.domain.money import require_rials

RETURN_REASON = "return"  # the reason on a return's reversal entries (a manager's undo carries a person's)


@dataclass(frozen=True, slots=True)
class SaleRecord:
    """A sale as the ledger knows it, with what earlier returns already settled."""

    sale_rials: int
    discount_rials: int
    earned_points: int
    redeemed_points: int
    returned_rials: int = 0
    clawed_back_points: int = 0
    given_back_points: int = 0
    cashback_rials: int = 0  # credited to the wallet by the sale
    wallet_rials: int = 0  # the wallet paid this much of it
    clawed_back_cashback: int = 0
    given_back_wallet: int = 0

    @property
    def returnable_rials(self) -> int:
        return self.sale_rials - self.returned_rials


@dataclass(frozen=True, slots=True)
class ReturnSettlement:
    returned_rials: int
    claw_back_points: int  # taken from the member
    give_back_points: int  # the spent points returned to the member
    claw_back_cashback: int = 0  # rials taken back from the wallet
    give_back_wallet: int = 0  # rials of the wallet that paid for it, returned to the wallet


def settle_return(sale: SaleRecord, amount_rials: int, reprice: Callable[[int], int]) -> ReturnSettlement:
    """Settle a return of `amount_rials` (at sale prices) of `sale`.

    `reprice(paid_rials)` is what a payment earns under the sale's rule and multiplier.
    """
    require_rials(amount_rials, "return_amount", allow_zero=False)
    if amount_rials > sale.returnable_rials:
        raise ClubError("return_exceeds_sale", requested=amount_rials, returnable=sale.returnable_rials)
    returned_total = sale.returned_rials + amount_rials
    kept_rials = sale.sale_rials - returned_total
    paid_rials = sale.sale_rials - sale.discount_rials
    kept_paid = paid_rials * kept_rials // sale.sale_rials
    may_keep = min(sale.earned_points * kept_rials // sale.sale_rials, reprice(kept_paid))
    claw_back = max(0, sale.earned_points - may_keep - sale.clawed_back_points)
    give_back_total = sale.redeemed_points * returned_total // sale.sale_rials
    give_back = max(0, give_back_total - sale.given_back_points)
    # the wallet's side in plain proportion, on running totals like the points (no rounding leak)
    cashback = max(0, sale.cashback_rials * returned_total // sale.sale_rials - sale.clawed_back_cashback)
    wallet = max(0, sale.wallet_rials * returned_total // sale.sale_rials - sale.given_back_wallet)
    return ReturnSettlement(amount_rials, claw_back, give_back, cashback, wallet)
