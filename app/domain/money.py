# SPDX-License-Identifier: GPL-3.0-or-later
"""Money is integer rials; points are integers. Never floats."""

from __future__ import annotations

from enum import StrEnum

from app.domain.errors import ClubError

RIALS_PER_TOMAN = 10
# Far above any real till (a trillion Toman): anything larger is a typo or an attack, not a sale.
MAX_RIALS = 10**13
MAX_POINTS = 10**10


class Rounding(StrEnum):
    """How a rule turns an exact fraction of points into an integer."""

    FLOOR = "floor"
    CEIL = "ceil"
    HALF_UP = "half_up"

    def divide(self, numerator: int, denominator: int) -> int:
        """numerator / denominator rounded this way; both are non-negative integers."""
        quotient, remainder = divmod(numerator, denominator)
        if self is Rounding.FLOOR or remainder == 0:
            return quotient
        if self is Rounding.CEIL:
            return quotient + 1
        return quotient + (1 if 2 * remainder >= denominator else 0)


def require_rials(value: object, field: str = "amount", *, allow_zero: bool = True) -> int:
    """Return value as rials, or refuse it: money must be a whole, non-negative, plausible number."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ClubError("invalid_amount", field=field, value=value)
    if value < 0 or (value == 0 and not allow_zero) or value > MAX_RIALS:
        raise ClubError("invalid_amount", field=field, value=value)
    return value


def require_points(value: object, field: str = "points") -> int:
    """Return value as a non-negative whole number of points, or refuse it."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > MAX_POINTS:
        raise ClubError("invalid_points", field=field, value=value)
    return value
