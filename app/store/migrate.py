# SPDX-License-Identifier: GPL-3.0-or-later
"""Alembic, driven from code: the migration scripts ship inside the package (importlib.resources).

Importing alembic costs ~300 ms, a fifth of the window's cold start, and almost every start finds the
schema already at the newest revision. So `upgrade` reads `alembic_version` with plain SQL and compares it
with the newest revision *of the files* (each script is `NNNN_name.py` with revision id `NNNN`, which a
test checks against alembic's own head); alembic is imported only when they differ: a new data dir, an
older schema, or one newer than this code (alembic's error then says which revision it cannot locate).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

    from app.store.database import Database

SCRIPT_LOCATION = "app.store:migrations"
VERSIONS = Path(__file__).with_name("migrations") / "versions"
_SCRIPT_NAME = re.compile(r"(\d{4})_\w+\.py")


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if engine is not None:
        config.attributes["engine"] = engine
    return config


@cache
def head_revision() -> str:
    """The newest revision, from the scripts' file names (no alembic import)."""
    revisions = [m.group(1) for p in VERSIONS.iterdir() if (m := _SCRIPT_NAME.fullmatch(p.name))]
    return max(revisions)


def current_revisions(db: Database) -> tuple[str, ...]:
    """What `alembic_version` holds; empty for a file without it (a new data dir). On the driver: no
    SQLAlchemy either, when the schema is up to date (app.store.database.Database)."""
    with db.read_driver() as conn:
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if has_table is None:
            return ()
        return tuple(row[0] for row in conn.execute("SELECT version_num FROM alembic_version"))


def upgrade(db: Database) -> None:
    """Bring the schema to the newest revision; a no-op (two queries, no alembic) when it is already there."""
    if current_revisions(db) == (head_revision(),):
        return
    from alembic import command

    command.upgrade(alembic_config(db.engine), "head")
