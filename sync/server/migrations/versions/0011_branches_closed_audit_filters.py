# SPDX-License-Identifier: GPL-3.0-or-later
"""Closed branches (`closed_branch`), and the audit log's indexes for the back office's filters.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "closed_branch",
        sa.Column("branch_id", sa.String(length=36), nullable=False),
        sa.Column("closed_at_us", sa.BigInteger(), nullable=False),
        sa.Column("closed_by", sa.String(length=160), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_closed_branch_branch_id_branch")),
        sa.PrimaryKeyConstraint("branch_id", name=op.f("pk_closed_branch")),
    )
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"], unique=False)
    op.create_index(op.f("ix_audit_log_target"), "audit_log", ["target"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_target"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_action"), table_name="audit_log")
    op.drop_table("closed_branch")
