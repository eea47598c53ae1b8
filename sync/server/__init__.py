# SPDX-License-Identifier: GPL-3.0-or-later
"""The central club server (FastAPI); built in the sync issue."""
