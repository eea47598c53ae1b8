# SPDX-License-Identifier: GPL-3.0-or-later
"""Signing in to the member page: a 6-digit code sent by SMS to the member's phone, typed back.

- A code lives 5 minutes and allows 5 tries; only the newest code of a number counts (asking again
  replaces it). It is kept only as an HMAC under a server secret (`server_key`, purpose "portal_sign_in"),
  bound to its row and number, so a copy of the table is no list of working codes. Compared in constant
  time.
- Limits, counted in `portal_sign_in` rows (so they hold across processes and servers): per number one
  code a minute and five an hour; per address twenty an hour. On PostgreSQL the number's and the address's
  counts are taken under transaction advisory locks, so two requests at once cannot both slip under them;
  SQLite has one writer.
- The answer never tells whether a number is a member's: a number no member has gets its row (and so the
  same limits), its HMAC, and the same answer; only no SMS. The API equalises the time too (a floor).
- The SMS goes through the outbox as kind `sign_in_code` (sync.server.messages: transactional, sent at once,
  by SMS, cancelled once the code has expired, its text forgotten once sent).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import zlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, select, text, update

from app.domain.digits import to_latin_digits
from app.domain.ids import uuid7
from sync.server import server_secret
from sync.server.messages import outbox
from sync.server.models import MEMBER, PORTAL_SIGN_IN

SECOND_US = 1_000_000
CODE_LIFETIME_US = 5 * 60 * SECOND_US
MAX_TRIES = 5
MINUTE_US = 60 * SECOND_US
HOUR_US = 60 * MINUTE_US
PER_NUMBER_MINUTE = 1
PER_NUMBER_HOUR = 5
PER_ADDRESS_HOUR = 20
RESEND_AFTER_S = 60
KEPT_US = 24 * HOUR_US
CODE_DIGITS = 6
PURPOSE = "portal_sign_in"
SECRET_KEY_ID = -2  # not a signing key: an id no club key can have (the unsubscribe secret is -1)
_CONTEXT = b"bashgah/portal-sign-in/v1\x00"
_LOCK_PHONE, _LOCK_ADDRESS = 18_01, 18_02  # advisory lock namespaces


class TooManyError(Exception):
    """Over a limit: try again in `retry_after_s` seconds."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many; retry after {retry_after_s} s")
        self.retry_after_s = max(1, retry_after_s)


@dataclass(frozen=True, slots=True)
class Checked:
    """What a typed code came to: `member_id` when it was right, else `refusal` (code_wrong, code_expired,
    too_many with `retry_after_s`)."""

    member_id: str | None = None
    refusal: str = ""
    retry_after_s: int = 0


# ---- the secret ------------------------------------------------------------------------------------------


def _secret(conn: Connection, now_us: int) -> bytes:
    """The server's sign-in secret, made on first need (two first requests at once make one)."""
    return server_secret.secret(conn, SECRET_KEY_ID, PURPOSE, now_us)


def code_hash(secret: bytes, sign_in_id: str, phone: str, code: str) -> str:
    message = _CONTEXT + f"{sign_in_id}\x00{phone}\x00{code}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


# ---- asking for a code -----------------------------------------------------------------------------------


def _lock(conn: Connection, namespace: int, key: str) -> None:
    """On PostgreSQL, this transaction's advisory lock on (namespace, key): counts then insert are one
    step for everyone counting the same key. SQLite's writer is one already."""
    if conn.dialect.name == "postgresql":
        key_int = zlib.crc32(key.encode()) - 2**31  # int4
        conn.execute(text("SELECT pg_advisory_xact_lock(:n, :k)"), {"n": namespace, "k": key_int})


def _wait_us(times: list[int], limit: int, window_us: int, now_us: int) -> int:
    """How long until fewer than `limit` of these moments lie within the window (0: now)."""
    inside = sorted(t for t in times if t > now_us - window_us)
    if len(inside) < limit:
        return 0
    return inside[len(inside) - limit] + window_us - now_us


def _retry_after_us(conn: Connection, phone: str, address: str, now_us: int) -> int:
    since = now_us - HOUR_US
    by_phone = list(
        conn.execute(
            select(PORTAL_SIGN_IN.c.created_at_us).where(
                PORTAL_SIGN_IN.c.phone == phone, PORTAL_SIGN_IN.c.created_at_us > since
            )
        ).scalars()
    )
    by_address = list(
        conn.execute(
            select(PORTAL_SIGN_IN.c.created_at_us).where(
                PORTAL_SIGN_IN.c.address == address, PORTAL_SIGN_IN.c.created_at_us > since
            )
        ).scalars()
    )
    return max(
        _wait_us(by_phone, PER_NUMBER_MINUTE, MINUTE_US, now_us),
        _wait_us(by_phone, PER_NUMBER_HOUR, HOUR_US, now_us),
        _wait_us(by_address, PER_ADDRESS_HOUR, HOUR_US, now_us),
    )


def member_for_phone(conn: Connection, phone: str) -> str | None:
    """The member a number signs in as: not erased; of two members sharing a number (two terminals that
    enrolled one person), the one enrolled first, every time."""
    return conn.execute(
        select(MEMBER.c.id)
        .where(MEMBER.c.phone == phone, MEMBER.c.erased_at_us.is_(None))
        .order_by(MEMBER.c.joined_at_us, MEMBER.c.id)
        .limit(1)
    ).scalar_one_or_none()


def request_code(conn: Connection, phone: str, address: str, now_us: int) -> str:
    """Make a code for `phone` (E.164) asked from `address`, and queue its SMS when a member has the
    number; TooManyError over a limit. Returns the sign-in's id. The work is the same for any number."""
    _lock(conn, _LOCK_PHONE, phone)
    _lock(conn, _LOCK_ADDRESS, address)
    wait_us = _retry_after_us(conn, phone, address, now_us)
    if wait_us > 0:
        raise TooManyError(-(-wait_us // SECOND_US))
    _forget_old(conn, phone, address, now_us)
    member_id = member_for_phone(conn, phone)
    sign_in_id = str(uuid7(now_us // 1000, secrets.token_bytes(10)))
    code = new_code()
    conn.execute(
        PORTAL_SIGN_IN.insert().values(
            id=sign_in_id,
            phone=phone,
            member_id=member_id,
            code_hash=code_hash(_secret(conn, now_us), sign_in_id, phone, code),
            address=address[:64],
            created_at_us=now_us,
            expires_at_us=now_us + CODE_LIFETIME_US,
            attempts=0,
        )
    )
    if member_id is not None:
        message = outbox.Queued(
            member_id=member_id,
            cause=f"sign_in:{sign_in_id}",
            kind="sign_in_code",
            due_at_us=now_us,
            params={"code": code, "at_us": now_us},
        )
        outbox.queue(conn, [message], now_us)
    return sign_in_id


# ---- typing it back ------------------------------------------------------------------------------------


def _newest(conn: Connection, phone: str) -> Any:
    return conn.execute(
        select(PORTAL_SIGN_IN)
        .where(PORTAL_SIGN_IN.c.phone == phone)
        .order_by(PORTAL_SIGN_IN.c.created_at_us.desc(), PORTAL_SIGN_IN.c.id.desc())
        .limit(1)
    ).first()


def _new_code_after_s(conn: Connection, phone: str, now_us: int) -> int:
    """When the number may ask for a new code (the per-number limits alone)."""
    times = list(
        conn.execute(
            select(PORTAL_SIGN_IN.c.created_at_us).where(
                PORTAL_SIGN_IN.c.phone == phone, PORTAL_SIGN_IN.c.created_at_us > now_us - HOUR_US
            )
        ).scalars()
    )
    minute = _wait_us(times, PER_NUMBER_MINUTE, MINUTE_US, now_us)
    wait = max(minute, _wait_us(times, PER_NUMBER_HOUR, HOUR_US, now_us))
    return max(1, -(-wait // SECOND_US))


def check_code(conn: Connection, phone: str, typed: str, now_us: int) -> Checked:
    """Count a try of `typed` against the number's newest code and say what it came to; a right code is
    used up. Commit whatever it says: a wrong try must count."""
    row = _newest(conn, phone)
    if row is None or row.used_at_us is not None or row.expires_at_us <= now_us:
        return Checked(refusal="code_expired")
    counted = conn.execute(
        update(PORTAL_SIGN_IN)
        .where(
            and_(
                PORTAL_SIGN_IN.c.id == row.id,
                PORTAL_SIGN_IN.c.attempts < MAX_TRIES,
                PORTAL_SIGN_IN.c.used_at_us.is_(None),
            )
        )
        .values(attempts=PORTAL_SIGN_IN.c.attempts + 1)
        .returning(PORTAL_SIGN_IN.c.attempts)
    ).first()
    if counted is None:  # its five tries are spent (here or by a concurrent request): the code is dead
        return Checked(refusal="too_many", retry_after_s=_new_code_after_s(conn, phone, now_us))
    code = "".join(to_latin_digits(typed or "").split())
    expected = code_hash(_secret(conn, now_us), row.id, phone, code)
    right = hmac.compare_digest(expected.encode(), row.code_hash.encode())
    if not right or row.member_id is None:
        return Checked(refusal="code_wrong")
    used = conn.execute(
        update(PORTAL_SIGN_IN)
        .where(PORTAL_SIGN_IN.c.id == row.id, PORTAL_SIGN_IN.c.used_at_us.is_(None))
        .values(used_at_us=now_us)
    ).rowcount
    if used != 1:
        return Checked(refusal="code_expired")
    return Checked(member_id=row.member_id)


def _forget_old(conn: Connection, phone: str, address: str, now_us: int) -> None:
    """This number's and this address's rows older than `KEPT_US` (they count for an hour; a day is left
    to look into abuse): the table stays the size of a day's asking, by the two indexes, with no chore."""
    before = now_us - KEPT_US
    for column, value in ((PORTAL_SIGN_IN.c.phone, phone), (PORTAL_SIGN_IN.c.address, address)):
        conn.execute(PORTAL_SIGN_IN.delete().where(column == value, PORTAL_SIGN_IN.c.created_at_us < before))


def forget_before(conn: Connection, before_us: int) -> int:
    """Delete sign-in rows older than `before_us` (they count for an hour, then are only clutter)."""
    return conn.execute(PORTAL_SIGN_IN.delete().where(PORTAL_SIGN_IN.c.created_at_us < before_us)).rowcount
