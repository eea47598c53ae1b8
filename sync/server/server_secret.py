# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's own HMAC secrets (the unsubscribe links', the member page's sign-in codes'), one a purpose.

They live where the server keeps its keys, the `server_key` table (never published, never listed:
sync.server.invitation_key). A secret is not a signing key pair and no club key may share its id, so each
takes a key id no club key can have (negative: club key ids are 1..65535). Made on first need; two first
needs at once make one secret (the insert does nothing when the row exists, then both read it)."""

from __future__ import annotations

import base64
import os

from sqlalchemy import Connection, select

from sync.server.db import dialect_insert
from sync.server.models import SERVER_KEY

SECRET_BYTES = 32


def stored(conn: Connection, key_id: int, purpose: str) -> bytes | None:
    value = conn.execute(
        select(SERVER_KEY.c.private_key).where(SERVER_KEY.c.key_id == key_id, SERVER_KEY.c.purpose == purpose)
    ).scalar_one_or_none()
    return None if value is None else base64.b64decode(value)


def secret(conn: Connection, key_id: int, purpose: str, now_us: int) -> bytes:
    """The secret for `purpose` under `key_id`, made on first need."""
    if not key_id < 0:
        raise ValueError("a secret's key id is negative: positive ids are club keys")
    found = stored(conn, key_id, purpose)
    if found is not None:
        return found
    conn.execute(
        dialect_insert(conn, SERVER_KEY)
        .values(
            key_id=key_id,
            purpose=purpose,
            private_key=base64.b64encode(os.urandom(SECRET_BYTES)).decode(),
            created_at_us=now_us,
        )
        .on_conflict_do_nothing()
    )
    made = stored(conn, key_id, purpose)
    assert made is not None
    return made
