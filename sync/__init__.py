# SPDX-License-Identifier: GPL-3.0-or-later
"""Sync between terminals and the central club server (protocol, client, server)."""
