# SPDX-License-Identifier: GPL-3.0-or-later
"""The sync fault tests use the same real club server fixtures as tests/integration/sync."""

from tests.integration.sync.conftest import club_server, server_template

__all__ = ["club_server", "server_template"]
