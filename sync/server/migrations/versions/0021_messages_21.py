# SPDX-License-Identifier: GPL-3.0-or-later
"""Kept for the back office's messages (helper office):
a step of the messages' schema after 0018, empty until something needs it.

Revision ID: 0021
Revises: 0020
"""

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
