# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office's member search (sync.server.club.members.search), instant among a million members:

- `member.name_key`: the name as a search matches it (app.domain.search_text.search_key), and on PostgreSQL
  a pg_trgm GIN index on it, so that any part of a name is found through the index. SQLite (the demo, a
  small club) has no trigram index: it reads the keys newest first until a page is full, so a name nobody
  has reads them all (about 60 ms for 100,000 members on a 2-core machine; a bigger club runs PostgreSQL);
- `member.phone_rev`: the phone's digits backwards, indexed, so that the last digits of a phone are a prefix;
- an index on (joined_at_us, id): the search's order, newest first, and its keyset pages;
- both keys made for the members already there, a batch at a time, before their indexes are built.

pg_trgm ships with PostgreSQL (Debian's postgresql package holds it) and is a trusted extension: the owner
of the database may create it. Its trigrams take only what the database's LC_CTYPE calls letters and
digits: under the "C" locale (not C.UTF-8) Persian letters are none, and a name search then reads the whole
index (right, but slow). The upgrade says so in a warning.

Revision ID: 0007
Revises: 0006
"""

import logging

import sqlalchemy as sa
from alembic import op

from app.domain.search_text import reversed_digits, search_key

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 10_000
DIGITS = sa.String(20).with_variant(sa.String(20, collation="C"), "postgresql")


def upgrade() -> None:
    conn = op.get_bind()
    postgresql = conn.dialect.name == "postgresql"
    op.add_column("member", sa.Column("name_key", sa.Text(), server_default="", nullable=False))
    op.add_column("member", sa.Column("phone_rev", DIGITS, server_default="", nullable=False))
    _make_keys(conn, postgresql)
    op.create_index(op.f("ix_member_phone_rev"), "member", ["phone_rev"], unique=False)
    op.create_index("ix_member_joined_at_us_id", "member", ["joined_at_us", "id"], unique=False)
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_member_name_key_trgm",
            "member",
            ["name_key"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"name_key": "gin_trgm_ops"},
            postgresql_with={"fastupdate": "off"},  # writes update it; searches read no pending list
        )
        # a finer histogram of the keys: how many members a fragment matches decides whether the planner
        # walks the newest first or gathers the matches from the trigram index
        op.execute("ALTER TABLE member ALTER COLUMN name_key SET STATISTICS 1000")
        op.execute("ANALYZE member")
        if not conn.execute(sa.text("SELECT cardinality(show_trgm('ابج'))")).scalar():
            logging.getLogger("alembic.runtime.migration").warning(
                "pg_trgm sees no letters in Persian text under this database's LC_CTYPE; member search by"
                " name will read its whole index. Use a UTF-8 locale (e.g. C.UTF-8) for the database."
            )


def _make_keys(conn: sa.Connection, postgresql: bool) -> None:
    """Every member's keys, BATCH members at a time in id order (memory stays flat for a million)."""
    last = ""
    while True:
        rows = conn.execute(
            sa.text("SELECT id, name, phone FROM member WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            return
        keys = [(r.id, search_key(r.name), reversed_digits(r.phone)) for r in rows]
        if postgresql:  # one statement a batch, its rows as three arrays
            conn.execute(
                sa.text(
                    "UPDATE member SET name_key = k.name_key, phone_rev = k.phone_rev FROM unnest("
                    "CAST(:ids AS text[]), CAST(:names AS text[]), CAST(:phones AS text[]))"
                    " AS k(id, name_key, phone_rev) WHERE member.id = k.id"
                ),
                {"ids": [k[0] for k in keys], "names": [k[1] for k in keys], "phones": [k[2] for k in keys]},
            )
        else:
            conn.execute(
                sa.text("UPDATE member SET name_key = :name_key, phone_rev = :phone_rev WHERE id = :id"),
                [{"id": i, "name_key": n, "phone_rev": p} for i, n, p in keys],
            )
        last = rows[-1].id


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_member_name_key_trgm", table_name="member")  # pg_trgm stays: others may use it
    op.drop_index("ix_member_joined_at_us_id", table_name="member")
    op.drop_index(op.f("ix_member_phone_rev"), table_name="member")
    with op.batch_alter_table("member") as batch:
        batch.drop_column("phone_rev")
        batch.drop_column("name_key")
