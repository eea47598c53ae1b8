# SPDX-License-Identifier: GPL-3.0-or-later
"""Members the club erased before this version could tell (sync.server.club.privacy): an older terminal
wrote the erased record over theirs (the placeholders: phone "erased") but kept their photo and the copies
of their record in its outbox. Finish the erasure here, as app.store.replica now does on a pull: delete the
photo and the wish to fetch one, rewrite the outbox's copies of the record and close what was not sent.
No schema change: the phone placeholder is the mark (app.domain.member.ERASED_PHONE).

Revision ID: 0009
Revises: 0008
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# as app.domain.member and sync.protocol.WireMember.erased say it, written out: a migration is frozen
ERASED = {
    "name": "—",
    "phone": "erased",
    "birth_date": None,
    "national_id_last4": None,
    "consent_marketing": False,
}
ERASED_IDS = "SELECT id FROM member WHERE phone = 'erased'"


def upgrade() -> None:
    conn = op.get_bind()
    erased = set(conn.execute(sa.text(ERASED_IDS)).scalars())
    if not erased:
        return
    conn.execute(sa.text(f"DELETE FROM member_photo WHERE member_id IN ({ERASED_IDS})"))
    conn.execute(sa.text(f"DELETE FROM photo_wanted WHERE member_id IN ({ERASED_IDS})"))
    items = conn.execute(
        sa.text(
            f"SELECT id, kind, body FROM outbox_item WHERE kind IN ('member', 'photo') AND subject IN ({ERASED_IDS})"
        )
    ).all()
    at_us = conn.execute(
        sa.text("SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)")
    ).scalar()
    for item_id, kind, body in items:
        if kind == "member":
            data = json.loads(body)
            data["member"] = data.get("member", {}) | ERASED
            conn.execute(
                sa.text("UPDATE outbox_item SET body = :body WHERE id = :id"),
                {"body": json.dumps(data), "id": item_id},
            )
        conn.execute(
            sa.text(
                "INSERT INTO outbox_ack (item_id, outcome, reason, server_seq, acknowledged_at_us) "
                "VALUES (:id, 'superseded', 'member_erased', NULL, :at) ON CONFLICT (item_id) DO NOTHING"
            ),
            {"id": item_id, "at": at_us},
        )


def downgrade() -> None:
    pass  # what was erased stays erased
