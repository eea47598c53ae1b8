# SPDX-License-Identifier: GPL-3.0-or-later
"""Alembic environment: runs on the engine the store hands over (see app.store.migrate).

SQLite alters a table by copying it, dropping the original and renaming the copy. With foreign keys on,
dropping a table that other rows refer to fails (or, worse, cascades), so migrations run with foreign keys
off, which SQLite only allows outside a transaction. A migration that rebuilds a referenced table checks
`PRAGMA foreign_key_check` before its own commit (each migration commits on its own on SQLite).
"""

from alembic import context

from app.store.schema import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    raw = connection.connection.driver_connection  # before any statement: no transaction is open yet
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,  # SQLite alters tables by copying them
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.rollback()  # ends whatever alembic's last query began, so that the PRAGMA takes
        raw.execute("PRAGMA foreign_keys = ON")  # the connection goes back to the pool
