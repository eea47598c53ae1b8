# SPDX-License-Identifier: GPL-3.0-or-later
"""Beyond the summary (issue 14, item 2): who stays, what members are worth, the points and the liability
between branches, the tiers, what the programme sold and who came to its events.

Each report reads the aggregates (sync.server.reports.aggregates) or a bounded range of entries through
the ledger's indexes; those that must read a member's whole history are `slow` (a background job builds
them, with progress). The reports live in modules of their own: `insights_members` (retention, lapsed
members and churn, lifetime value), `insights_points` (points over time, expiry, liability per branch),
`insights_club` (tiers, rewards and membership cards, event attendance); `insights_common` is what they
share. docs/reports.md prints every definition.
"""

from __future__ import annotations

from sync.server.reports import insights_club, insights_members, insights_points
from sync.server.reports.table import Report

REPORTS: list[Report] = [*insights_members.REPORTS, *insights_points.REPORTS, *insights_club.REPORTS]
