# SPDX-License-Identifier: GPL-3.0-or-later
"""Kept for the outbox and sender (helper outbox):
a step of the messages' schema after 0018, empty until something needs it.

Revision ID: 0019
Revises: 0018
"""

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
