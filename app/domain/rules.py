# SPDX-License-Identifier: GPL-3.0-or-later
"""What a sale is worth: earning points on what was paid, and the discount points buy.

Earning: points = round(paid × points_per_unit × tier multiplier ÷ (rials_per_unit × 100)), with the
rule's stated rounding (default floor), applied once at the end so partial units are not lost twice;
nothing below the minimum sale; never more than the cap per sale.

Redemption: each point is worth `rials_per_point`; one sale may be discounted by at most
`max_share_percent` of its amount, and never by more than the member holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.errors import ClubError
from app.domain.money import Rounding, require_points, require_rials


@dataclass(frozen=True, slots=True)
class EarningRule:
    points_per_unit: int = 1
    rials_per_unit: int = 100_000  # one point per 10,000 Toman
    min_sale_rials: int = 0
    max_points_per_sale: int | None = None
    rounding: Rounding = Rounding.FLOOR

    def __post_init__(self) -> None:
        if self.points_per_unit < 0 or self.rials_per_unit <= 0 or self.min_sale_rials < 0:
            raise ClubError("invalid_rule", rule="earning")
        if self.max_points_per_sale is not None and self.max_points_per_sale < 0:
            raise ClubError("invalid_rule", rule="earning")

    def points_for(self, paid_rials: int, multiplier_percent: int = 100) -> int:
        """Points earned on a payment of paid_rials by a member whose tier has this multiplier."""
        require_rials(paid_rials, "paid")
        if paid_rials < self.min_sale_rials or paid_rials == 0:
            return 0
        points = self.rounding.divide(
            paid_rials * self.points_per_unit * multiplier_percent, self.rials_per_unit * 100
        )
        if self.max_points_per_sale is not None:
            points = min(points, self.max_points_per_sale)
        return points


@dataclass(frozen=True, slots=True)
class RedemptionPolicy:
    rials_per_point: int = 1_000  # one point is 100 Toman off
    max_share_percent: int = 50  # of the sale amount

    def __post_init__(self) -> None:
        if self.rials_per_point <= 0 or not 0 <= self.max_share_percent <= 100:
            raise ClubError("invalid_rule", rule="redemption")

    def max_points(self, sale_rials: int, balance_points: int) -> int:
        """The most points that may be spent on this sale: the cap, and what the member holds."""
        cap_rials = sale_rials * self.max_share_percent // 100
        return max(0, min(balance_points, cap_rials // self.rials_per_point))

    def discount_for(self, points: int) -> int:
        """The discount, in rials, that these points buy."""
        return require_points(points) * self.rials_per_point

    def check(self, points: int, sale_rials: int, balance_points: int) -> int:
        """The discount for spending `points` on this sale, or a refusal saying which limit it breaks."""
        require_points(points, "redeem")
        if points > balance_points:
            raise ClubError("insufficient_points", requested=points, balance=balance_points)
        allowed = self.max_points(sale_rials, balance_points)
        if points > allowed:
            raise ClubError("redeem_over_cap", requested=points, allowed=allowed)
        return self.discount_for(points)
