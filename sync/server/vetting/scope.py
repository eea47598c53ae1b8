# SPDX-License-Identifier: GPL-3.0-or-later
"""The pushing terminal, as the checks need it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    device_id: str
    device_code: str
    branch_id: str
    branch_code: str
    enrolled_at_us: int
    card_prefix: str  # the terminal's own card-number series
