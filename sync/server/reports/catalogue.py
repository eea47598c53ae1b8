# SPDX-License-Identifier: GPL-3.0-or-later
"""Every report the back office lists, in the order it lists them. Each module keeps its own `REPORTS`."""

from __future__ import annotations

from sync.server.reports.table import Report


def reports() -> list[Report]:
    from sync.server.reports import campaigns, fraud, insights, overview

    return [*overview.REPORTS, *insights.REPORTS, *campaigns.REPORTS, *fraud.REPORTS]


def by_code(code: str) -> Report | None:
    return next((r for r in reports() if r.code == code), None)
