# SPDX-License-Identifier: GPL-3.0-or-later
"""Alembic, driven from code: the server's migration scripts ship inside the package.

`upgrade` runs the migrations, then writes (and publishes) the default club settings a database does
not have yet. `is_current` tells `serve` whether the database is ready; `serve` refuses one that is not
rather than migrate it itself, because with several workers (or several servers on one PostgreSQL)
every process would race to migrate: upgrading is the operator's one explicit step.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, inspect

from sync.server import club
from sync.server.db import Database
from sync.server.sequence import Publisher

SCRIPT_LOCATION = "sync.server:migrations"


def alembic_config(db: Database | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if db is not None:
        config.attributes["engine"] = db.engine
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_current(db: Database) -> bool:
    return current_revision(db) == head_revision()


def upgrade(db: Database, now_us: int) -> list[str]:
    """Bring the schema to the newest revision and add missing default settings; returns those keys."""
    if current_revision(db) is not None and not inspect(db.engine).has_table("sync_counter"):
        # a terminal's data file is also "at a revision" (its own, whose numbers the server's may share)
        raise CommandError("its revision is not the server's: it has none of the server's tables")
    if not is_current(db):
        command.upgrade(alembic_config(db), "head")

    def defaults(conn: Connection) -> list[str]:
        pub = Publisher(now_us)
        added = club.ensure_default_settings(conn, pub)
        pub.flush(conn)
        return added

    return db.write(defaults)
