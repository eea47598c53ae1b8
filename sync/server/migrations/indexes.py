# SPDX-License-Identifier: GPL-3.0-or-later
"""Indexes on the big tables, built without stopping the club.

A plain `CREATE INDEX` takes a SHARE lock on its table for the whole build: on a national ledger that is
minutes in which no terminal's push, no sale's balance and no pull's change can be written. On PostgreSQL
`create_index_concurrently` builds the index with `CREATE INDEX CONCURRENTLY` instead (writers go on; the
build waits for the transactions already writing, and takes longer), which PostgreSQL refuses inside a
transaction block, so it runs in Alembic's autocommit block. On SQLite (a demo or a small club) it is a
normal index.

A concurrent build that is interrupted (the migration killed, a unique index meeting a duplicate) leaves
an INVALID index behind: not used by queries, but still maintained on every write. The helper drops such
a leftover and builds it again, and does nothing when a valid index of that name is already there, so a
migration killed mid-build is simply run again.

How to use it, in a migration of its own:

    from sync.server.migrations.indexes import create_index_concurrently, drop_index_concurrently

    def upgrade() -> None:
        create_index_concurrently("ix_ledger_entry_x", "ledger_entry", ["x"])

    def downgrade() -> None:
        drop_index_concurrently("ix_ledger_entry_x", "ledger_entry")

The autocommit block commits whatever the migration did before it, so keep such a migration to its
index builds (env.py runs each migration in its own transaction). tests/server/test_migrations.py fails
for a new migration that indexes one of BIG_TABLES with plain `op.create_index`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alembic import op
from sqlalchemy import text

# The tables that grow with the club's sales and members: an index on one of them, added to an existing
# club, must be built concurrently.
BIG_TABLES = frozenset(
    {
        "ledger_entry",
        "change",
        "member",
        "member_balance",
        "alert",
        "audit_log",
        "card",
        "rejected_entry",
        "report_member_day",
        "report_member_month",
    }
)


def index_state(bind: Any, name: str) -> bool | None:
    """PostgreSQL: True for a valid index of that name, False for an invalid one, None for none."""
    return bind.execute(
        text(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = :name AND c.relnamespace = current_schema()::regnamespace"
        ),
        {"name": name},
    ).scalar()


def create_index_concurrently(
    name: str,
    table: str,
    columns: Sequence[str],
    *,
    unique: bool = False,
    where: str | None = None,
) -> None:
    """`CREATE INDEX CONCURRENTLY` on PostgreSQL (an invalid leftover dropped first); a normal index on
    SQLite. `where` makes a partial index (SQL, the same on both)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        op.create_index(name, table, list(columns), unique=unique, sqlite_where=_where(where))
        return
    with op.get_context().autocommit_block():
        state = index_state(bind, name)
        if state is True:  # built by an earlier, interrupted run of this migration
            return
        if state is False:
            op.execute(text(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"'))
        op.create_index(
            name,
            table,
            list(columns),
            unique=unique,
            postgresql_where=_where(where),
            postgresql_concurrently=True,
        )


def drop_index_concurrently(name: str, table: str) -> None:
    """`DROP INDEX CONCURRENTLY` on PostgreSQL (no lock that stops writers); a normal drop on SQLite."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        op.drop_index(name, table_name=table)
        return
    with op.get_context().autocommit_block():
        op.execute(text(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"'))


def _where(where: str | None) -> Any:
    return None if where is None else text(where)
