# SPDX-License-Identifier: GPL-3.0-or-later
"""Alembic environment: runs on the engine the server hands over (see sync.server.migrate)."""

from alembic import context

from sync.server.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        # each migration commits on its own: one that builds an index concurrently (migrations/indexes.py)
        # commits in its autocommit block, and the revision stamped must be the one really done
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()
