# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's own secrets (never published, never listed), made on first need and kept where it keeps its
keys, the `server_key` table: the unsubscribe links' HMAC key, the member page's sign-in codes' and the root
of the branches' chip keys. Each takes a key id no club key can have (negative: club key ids are 0…65535)
and a purpose of its own.

Two first requests at once make one: the insert does nothing on a conflict, and both read what is stored.
"""

from __future__ import annotations

import base64
import os

from sqlalchemy import Connection, select

from sync.server.db import dialect_insert
from sync.server.models import SERVER_KEY

SECRET_LENGTH = 32


def stored(conn: Connection, key_id: int, purpose: str) -> bytes | None:
    value = conn.execute(
        select(SERVER_KEY.c.private_key).where(SERVER_KEY.c.key_id == key_id, SERVER_KEY.c.purpose == purpose)
    ).scalar_one_or_none()
    return None if value is None else base64.b64decode(value)


def secret(conn: Connection, key_id: int, purpose: str, now_us: int) -> bytes:
    """The secret of (key_id, purpose): 32 random bytes made the first time it is asked for."""
    assert key_id < 0, "server secrets take ids no club key can have"
    found = stored(conn, key_id, purpose)
    if found is not None:
        return found
    value = base64.b64encode(os.urandom(SECRET_LENGTH)).decode()
    conn.execute(
        dialect_insert(conn, SERVER_KEY)
        .values(key_id=key_id, purpose=purpose, private_key=value, created_at_us=now_us)
        .on_conflict_do_nothing()
    )
    made = stored(conn, key_id, purpose)
    assert made is not None
    return made
