# SPDX-License-Identifier: GPL-3.0-or-later
"""Reports built in the background (sync.server.reports.jobs): `report_job`.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_job",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("report", sa.String(length=64), nullable=False),
        sa.Column("filters", sa.String(length=400), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("requested_by", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("started_at_us", sa.BigInteger(), nullable=True),
        sa.Column("heartbeat_at_us", sa.BigInteger(), nullable=True),
        sa.Column("finished_at_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_job")),
    )
    op.create_index("ix_report_job_status_created_at_us", "report_job", ["status", "created_at_us"])
    op.create_index("ix_report_job_report_filters", "report_job", ["report", "filters"])
    op.create_index("ix_report_job_requested_by", "report_job", ["requested_by"])


def downgrade() -> None:
    op.drop_index("ix_report_job_requested_by", table_name="report_job")
    op.drop_index("ix_report_job_report_filters", table_name="report_job")
    op.drop_index("ix_report_job_status_created_at_us", table_name="report_job")
    op.drop_table("report_job")
