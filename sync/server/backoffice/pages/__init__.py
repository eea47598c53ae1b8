# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office's pages, one module a capability; each route depends on `desk.Needs(permission)`."""

from __future__ import annotations

from sync.server.backoffice.pages import (
    audit,
    auth,
    branches,
    events,
    home,
    member_search,
    members,
    messages,
    privacy,
    programme,
    report_exports,
    reports,
    review,
    settings,
    terminals,
    users,
)

ROUTERS = [
    auth.router, home.router, member_search.router, members.router, privacy.router, programme.router,
    events.router, review.router, terminals.router, branches.router, settings.router, audit.router,
    users.router, report_exports.router, reports.router, messages.router,
]  # fmt: skip
