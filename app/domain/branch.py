# SPDX-License-Identifier: GPL-3.0-or-later
"""A branch of the club, with its own earning scenario."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.rules import EarningRule, RedemptionPolicy


@dataclass(frozen=True, slots=True)
class Branch:
    id: str
    code: str
    name_fa: str
    name_en: str
    earning: EarningRule = field(default_factory=EarningRule)
    redemption: RedemptionPolicy = field(default_factory=RedemptionPolicy)
