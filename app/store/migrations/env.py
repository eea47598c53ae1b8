# SPDX-License-Identifier: GPL-3.0-or-later
"""Alembic environment: runs on the engine the store hands over (see app.store.migrate)."""

from alembic import context

from app.store.schema import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()
