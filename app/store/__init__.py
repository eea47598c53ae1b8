# SPDX-License-Identifier: GPL-3.0-or-later
"""The local SQLite store: models, migrations and repositories (an adapter around the domain)."""
