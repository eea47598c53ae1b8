# SPDX-License-Identifier: GPL-3.0-or-later
"""The signed one-click unsubscribe link every marketing email carries (RFC 8058), `/u/{token}`.

The token names the member and is signed with HMAC-SHA256 under a server secret, for this purpose only
(`_PURPOSE` is in the signed text, so no other signature of the server's is ever a valid token). It does
not expire: an email read a year later still unsubscribes, which is what the member expects of it. It
only ever withdraws consent, so a token that leaks lets someone do what the member could do anyway.

The secret lives where the server keeps its keys, the `server_key` table (never published, never listed:
sync.server.invitation_key), as purpose "unsubscribe". It is not a signing key pair and no club key may
share its id, so it takes a key id no club key can have (`SECRET_KEY_ID`, negative: club key ids are
1..65535); made on first need, and two first links at once make one secret (the insert does nothing when
the row exists, then both read it)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from sqlalchemy import Connection

from sync.server import server_secret
from sync.server.clock import SystemClock

PURPOSE = "unsubscribe"
SECRET_KEY_ID = -1
_PURPOSE = b"bashgah/unsubscribe/v1\x00"
_MAC_BYTES = 16  # 128 bits: forging one is out of reach; the link stays short


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, member_id: str) -> bytes:
    return hmac.new(secret, _PURPOSE + member_id.encode(), hashlib.sha256).digest()[:_MAC_BYTES]


def sign(secret: bytes, member_id: str) -> str:
    """The token for `member_id`: the id and its signature, URL-safe."""
    return f"{_b64(member_id.encode())}.{_b64(_mac(secret, member_id))}"


def verify(secret: bytes, token: str) -> str | None:
    """The member id a token names, or None when it is not one this secret signed (in its one spelling:
    base64 has others for the same bytes, and none of them is accepted)."""
    head, dot, _ = token.partition(".")
    if not dot or len(token) > 200:
        return None
    try:
        member_id = _unb64(head).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not member_id or not hmac.compare_digest(token.encode(), sign(secret, member_id).encode()):
        return None
    return member_id


def secret(conn: Connection, now_us: int) -> bytes:
    """The server's unsubscribe secret, made on first need."""
    return server_secret.secret(conn, SECRET_KEY_ID, PURPOSE, now_us)


def link(conn: Connection, base_url: str, member_id: str, now_us: int | None = None) -> str:
    """The member's one-click unsubscribe URL under the server's public address `base_url`
    (e.g. https://club.example.com): what the email's List-Unsubscribe header and footer carry."""
    at_us = SystemClock().now_us() if now_us is None else now_us
    return f"{base_url.rstrip('/')}/u/{sign(secret(conn, at_us), member_id)}"


def member_of(conn: Connection, token: str) -> str | None:
    """The member a token names, or None (a bad token, or no secret yet: no token was ever made)."""
    stored = server_secret.stored(conn, SECRET_KEY_ID, PURPOSE)
    return None if stored is None else verify(stored, token)
