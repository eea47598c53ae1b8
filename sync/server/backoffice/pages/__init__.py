# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office's pages, one module a capability; each route depends on `desk.Needs(permission)`."""

from __future__ import annotations

from sync.server.backoffice.pages import auth, home, terminals

ROUTERS = [auth.router, home.router, terminals.router]
