# SPDX-License-Identifier: GPL-3.0-or-later
"""(to be written)"""

from __future__ import annotations

from sync.server.reports.table import Report

REPORTS: list[Report] = []
