# SPDX-License-Identifier: GPL-3.0-or-later
"""The server checks what terminals push (sync.server.vetting):

- `device_hour`: what each terminal's entries added per hour of its clock, for the velocity ceilings;
- `member.enrolled_by`: the terminal that enrolled a member, the only one that may push the record again;
- a partial index of the change log's tier and branch changes (version 0's earlier tables, for re-pricing);
- the entries set aside before this revision are published (`entry_set_aside` changes, in each device's
  order), so that no terminal keeps reading the holes they left in their devices' chains as tampering.

Revision ID: 0005
Revises: 0004
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# the same predicate as sync.server.models.PROGRAMME_TABLES_SQL, written out: a migration is frozen
PROGRAMME_TABLES = "kind IN ('tier', 'branch')"


def upgrade() -> None:
    op.create_table(
        "device_hour",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("hour", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("wallet_rials", sa.BigInteger(), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("set_aside", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_device_hour_device_id_device")),
        sa.PrimaryKeyConstraint("device_id", "hour", name=op.f("pk_device_hour")),
    )
    op.add_column("member", sa.Column("enrolled_by", sa.String(length=36), nullable=True))
    op.create_index(
        "ix_change_programme_tables",
        "change",
        ["kind"],
        unique=False,
        postgresql_where=sa.text(PROGRAMME_TABLES),
        sqlite_where=sa.text(PROGRAMME_TABLES),
    )
    _publish_set_aside(op.get_bind())


def _publish_set_aside(conn: sa.Connection) -> None:
    rows = conn.execute(
        sa.text("SELECT body, reason FROM rejected_entry ORDER BY device_id, device_seq")
    ).all()
    if not rows:
        return
    last = conn.execute(
        sa.text("UPDATE sync_counter SET value = value + :n WHERE id = 1 RETURNING value"), {"n": len(rows)}
    ).scalar_one()
    at_us = conn.execute(sa.text("SELECT coalesce(max(at_us), 0) FROM change")).scalar_one()
    changes = []
    for seq, row in enumerate(rows, start=last - len(rows) + 1):
        entry = json.loads(row.body)
        body = {"kind": "entry_set_aside", "entry": entry, "reason": row.reason}
        changes.append(
            {
                "seq": seq,
                "kind": "entry_set_aside",
                "member_id": entry.get("member_id"),
                "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                "at_us": at_us,
            }
        )
    conn.execute(
        sa.text(
            "INSERT INTO change (seq, kind, member_id, body, at_us) "
            "VALUES (:seq, :kind, :member_id, :body, :at_us)"
        ),
        changes,
    )


def downgrade() -> None:
    op.execute("DELETE FROM change WHERE kind = 'entry_set_aside'")
    op.drop_index("ix_change_programme_tables", table_name="change")
    op.drop_column("member", "enrolled_by")
    op.drop_table("device_hour")
