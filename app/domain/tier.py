# SPDX-License-Identifier: GPL-3.0-or-later
"""Tiers (bronze, silver, gold …): a rank, a threshold and the earning multiplier they bring."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.errors import ClubError


@dataclass(frozen=True, slots=True)
class Tier:
    code: str
    name_fa: str
    name_en: str
    rank: int  # 0 is the entry tier; higher is better
    threshold_points: int = 0
    multiplier_percent: int = 100  # 150 earns one and a half times the branch's points

    def __post_init__(self) -> None:
        if self.multiplier_percent < 0 or self.threshold_points < 0 or self.rank < 0:
            raise ClubError("invalid_tier", code=self.code)
