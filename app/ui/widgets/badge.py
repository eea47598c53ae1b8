# SPDX-License-Identifier: GPL-3.0-or-later
"""A member's tier as a coloured pill: bronze, silver and gold look like themselves.

Tiers are the club's own data (an admin may add "platinum"), so an unknown code gets a neutral colour
rather than an error.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QWidget

from app.domain.tier import Tier
from app.ui.widgets.style import restyle, scaled_font

TIER_COLOURS = {"bronze": "#9C5B2A", "silver": "#6E7B86", "gold": "#B07D00"}
FALLBACK_TIER_COLOUR = "#455A64"


def tier_colour(code: str) -> QColor:
    """The colour for a tier code (case-insensitive); a neutral slate for codes we do not know."""
    return QColor(TIER_COLOURS.get(code.lower(), FALLBACK_TIER_COLOUR))


def tier_name(tier: Tier, lang: str) -> str:
    return tier.name_fa if lang == "fa" else tier.name_en


class TierBadgeWidget(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFont(scaled_font(self.font(), 1.15, bold=True))
        self._code = ""

    def set_tier(self, tier: Tier, lang: str) -> None:
        """Show the tier's name in `lang` ("fa" or "en") on its colour."""
        self._code = tier.code
        self.setText(tier_name(tier, lang))
        restyle(
            self,
            f"QLabel {{ background: {tier_colour(tier.code).name()}; color: white;"
            " border-radius: 14px; padding: 4px 18px; }"
        )

    def tier_code(self) -> str:
        return self._code
