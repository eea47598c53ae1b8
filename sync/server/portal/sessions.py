# SPDX-License-Identifier: GPL-3.0-or-later
"""The member page's sessions: a random token in the `bashgah_member` cookie, only its hash kept
(`portal_session`), alive 30 days from its last use; signing out ends it. A member erased since is signed
out. The last use is written at most every few minutes (a page's every call is no write)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import Connection, select, update

from sync.server.models import MEMBER, PORTAL_SESSION

COOKIE = "bashgah_member"
COOKIE_PATH = "/m/"
LIFETIME_S = 30 * 24 * 3600
_LIFETIME_US = LIFETIME_S * 1_000_000
_TOUCH_EVERY_US = 5 * 60 * 1_000_000


def digest(token: str) -> str:
    return hashlib.sha256(b"bashgah/portal-session/v1\x00" + token.encode()).hexdigest()


def open_session(conn: Connection, member_id: str, now_us: int) -> str:
    """A new session for the member; the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        PORTAL_SESSION.insert().values(
            token_hash=digest(token), member_id=member_id, created_at_us=now_us, last_seen_us=now_us
        )
    )
    return token


def member_of(conn: Connection, token: str, now_us: int) -> str | None:
    """The member a live session's token names, its last use moved to now; None when the token is unknown,
    ended, idle 30 days, or its member erased (then the session is ended)."""
    if not token or len(token) > 200:
        return None
    key = digest(token)
    row = conn.execute(
        select(PORTAL_SESSION, MEMBER.c.erased_at_us)
        .join(MEMBER, MEMBER.c.id == PORTAL_SESSION.c.member_id)
        .where(PORTAL_SESSION.c.token_hash == key)
    ).first()
    if row is None or row.ended_at_us is not None:
        return None
    if now_us - row.last_seen_us >= _LIFETIME_US or row.erased_at_us is not None:
        end(conn, token, now_us)
        return None
    if now_us - row.last_seen_us > _TOUCH_EVERY_US:
        conn.execute(
            update(PORTAL_SESSION).where(PORTAL_SESSION.c.token_hash == key).values(last_seen_us=now_us)
        )
    return str(row.member_id)


def end(conn: Connection, token: str, now_us: int) -> None:
    conn.execute(
        update(PORTAL_SESSION)
        .where(PORTAL_SESSION.c.token_hash == digest(token), PORTAL_SESSION.c.ended_at_us.is_(None))
        .values(ended_at_us=now_us)
    )
