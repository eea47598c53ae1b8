# SPDX-License-Identifier: GPL-3.0-or-later
"""Kept for the channels (helper channels):
a step of the messages' schema after 0018, empty until something needs it.

Revision ID: 0020
Revises: 0019
"""

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
