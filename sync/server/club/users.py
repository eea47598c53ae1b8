# SPDX-License-Identifier: GPL-3.0-or-later
"""Head-office accounts and their back-office sessions.

Passwords are argon2id hashes (argon2-cffi's defaults, RFC 9106's low-memory profile). Logging in answers the
same "wrong name or password" for an unknown name, a wrong password and a disabled account, and spends one
hash verification either way, so neither words nor timing tell which names exist. Five failures in a row
lock the account for 15 minutes (an attacker cannot guess faster by trying; the owner can still unlock it by
setting a new password); per-address throttling is the web layer's (sync.server.backoffice.security).

A session is a random token in an HttpOnly cookie; the database keeps only its hash, with the session's CSRF
token. A new one is made at every login (no fixation), and it ends on log-out, after 30 idle minutes, after
12 hours in any case, and when its user is disabled or their password changes.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Row, select, update

from app.domain.ids import uuid7
from sync.server.alerts import audit
from sync.server.club.access import OFFICE_ROLES, Actor, Permission
from sync.server.club.act import Act, Call, change
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.models import BRANCH, OFFICE_SESSION, OFFICE_USER

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,31}$"
PASSWORD_MIN, PASSWORD_MAX = 10, 200
MAX_FAILED_LOGINS = 5
LOCK_S = 15 * 60
IDLE_S = 30 * 60
SESSION_MAX_S = 12 * 3600
_TOUCH_EVERY_US = 60 * 1_000_000  # last_seen is rewritten at most once a minute, not on every click
LANGS = ("fa", "en")
PASSWORD_HASHER = PasswordHasher()  # argon2id with RFC 9106's low-memory profile (64 MiB, 3 passes)
DUMMY_HASH = PASSWORD_HASHER.hash("not a password anyone has")  # verified for an unknown name


@dataclass(frozen=True, slots=True)
class OfficeUser:
    id: str
    name: str
    role: str
    branch_ids: tuple[str, ...]
    lang: str
    created_at_us: int
    disabled_at_us: int | None
    locked_until_us: int | None

    @property
    def actor(self) -> Actor:
        scope = frozenset(self.branch_ids) if self.role == "branch-manager" else None
        return Actor(id=self.id, name=self.name, role=self.role, kind="user", branch_ids=scope)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "branch_ids": list(self.branch_ids),
            "lang": self.lang,
            "disabled": self.disabled_at_us is not None,
        }


@dataclass(frozen=True, slots=True)
class Session:
    user: OfficeUser
    csrf_token: str


class LoginRefusedError(Exception):
    """Why a login failed, in words safe to show: never which of name or password was wrong."""

    def __init__(self, code: str, locked_until_us: int | None = None) -> None:
        super().__init__(code)
        self.code = code  # "wrong_credentials" or "locked"
        self.locked_until_us = locked_until_us


def _user(row: Row[Any]) -> OfficeUser:
    return OfficeUser(
        row.id,
        row.name,
        row.role,
        tuple(json.loads(row.branch_ids or "[]")),
        row.lang,
        row.created_at_us,
        row.disabled_at_us,
        row.locked_until_us,
    )


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ApiError(422, "weak_password", f"a password has {PASSWORD_MIN} to {PASSWORD_MAX} characters")


def _check_name(name: str) -> None:
    if re.fullmatch(NAME_PATTERN, name) is None:
        raise ApiError(
            422,
            "invalid_user_name",
            "a user name is 2 to 32 lower-case Latin letters, digits, '.', '_' or '-', starting with a "
            "letter or digit",
        )


def branch_ids_for(conn: Connection, codes: list[str]) -> list[str]:
    """The ids of branches given by code (as the command line takes them) or by id (as the forms send)."""
    found = []
    for code in codes:
        row = conn.execute(select(BRANCH.c.id).where((BRANCH.c.code == code) | (BRANCH.c.id == code))).first()
        if row is None:
            raise ApiError(422, "unknown_branch", f"no branch {code!r}")
        found.append(row.id)
    return found


def _by_name(conn: Connection, name: str) -> Row[Any]:
    row = conn.execute(select(OFFICE_USER).where(OFFICE_USER.c.name == name)).first()
    if row is None:
        raise ApiError(404, "unknown_user", f"no back-office user {name!r}")
    return row


def add(call: Call, name: str, role: str, password: str, branches: list[str]) -> OfficeUser:
    name = name.strip().lower()
    _check_name(name)
    check_password(password)
    if role not in OFFICE_ROLES:
        raise ApiError(422, "invalid_role", f"role must be one of {', '.join(OFFICE_ROLES)}")
    if role == "branch-manager" and not branches:
        raise ApiError(422, "branch_required", "a branch manager needs at least one branch")
    password_hash = PASSWORD_HASHER.hash(password)

    def work(act: Act) -> OfficeUser:
        if act.conn.execute(select(OFFICE_USER.c.id).where(OFFICE_USER.c.name == name)).first():
            raise ApiError(409, "user_exists", f"a back-office user {name!r} exists already")
        ids = branch_ids_for(act.conn, branches) if role == "branch-manager" else []
        user_id = str(uuid7(act.now_us // 1000, secrets.token_bytes(10)))
        act.conn.execute(
            OFFICE_USER.insert().values(
                id=user_id,
                name=name,
                role=role,
                branch_ids=json.dumps(ids),
                password_hash=password_hash,
                lang="fa",
                created_at_us=act.now_us,
                password_changed_at_us=act.now_us,
            )
        )
        user = _user(_by_name(act.conn, name))
        act.after = user.as_dict()
        return user

    return change(call, Permission.USER_MANAGE, "user.add", name, work)


def listing(call: Call) -> list[OfficeUser]:
    call.actor.require(Permission.USER_MANAGE)
    with call.db.read() as conn:
        rows = conn.execute(select(OFFICE_USER).order_by(OFFICE_USER.c.name)).all()
    return [_user(row) for row in rows]


def by_id(conn: Connection, user_id: str) -> OfficeUser | None:
    """An account by its id (a background job acts as the user who asked for it); None if there is none."""
    row = conn.execute(select(OFFICE_USER).where(OFFICE_USER.c.id == user_id)).first()
    return None if row is None else _user(row)


def _end_sessions(conn: Connection, user_id: str, now_us: int) -> None:
    conn.execute(
        update(OFFICE_SESSION)
        .where(OFFICE_SESSION.c.user_id == user_id, OFFICE_SESSION.c.ended_at_us.is_(None))
        .values(ended_at_us=now_us)
    )


def disable(call: Call, name: str) -> OfficeUser:
    def work(act: Act) -> OfficeUser:
        row = _by_name(act.conn, name)
        act.before = _user(row).as_dict()
        if row.id == act.actor.id:
            raise ApiError(409, "cannot_disable_self", "you cannot disable your own account")
        if row.disabled_at_us is None:
            act.conn.execute(
                update(OFFICE_USER).where(OFFICE_USER.c.id == row.id).values(disabled_at_us=act.now_us)
            )
        _end_sessions(act.conn, row.id, act.now_us)
        user = _user(_by_name(act.conn, name))
        act.after = user.as_dict()
        return user

    return change(call, Permission.USER_MANAGE, "user.disable", name, work)


def set_password(call: Call, name: str, password: str) -> OfficeUser:
    """A new password (which also unlocks a locked account); every session of the user ends."""
    check_password(password)
    password_hash = PASSWORD_HASHER.hash(password)

    def work(act: Act) -> OfficeUser:
        row = _by_name(act.conn, name)
        act.conn.execute(
            update(OFFICE_USER)
            .where(OFFICE_USER.c.id == row.id)
            .values(
                password_hash=password_hash,
                password_changed_at_us=act.now_us,
                failed_logins=0,
                locked_until_us=None,
            )
        )
        _end_sessions(act.conn, row.id, act.now_us)
        return _user(_by_name(act.conn, name))

    return change(call, Permission.USER_MANAGE, "user.password", name, work)


def set_lang(call: Call, lang: str) -> None:
    """A user's own language for the back office; anyone signed in may choose theirs."""
    if lang not in LANGS:
        raise ApiError(422, "invalid_lang", "the language is fa or en")

    def work(act: Act) -> None:
        act.conn.execute(update(OFFICE_USER).where(OFFICE_USER.c.id == act.actor.id).values(lang=lang))
        act.after = {"lang": lang}

    change(call, Permission.READ, "user.lang", call.actor.name, work)


# ---- logging in and sessions ---------------------------------------------------------------------


def log_in(db: Database, now_us: int, name: str, password: str) -> tuple[Session, str]:
    """A new session (and its cookie token, returned once) for the right name and password."""
    name = name.strip().lower()[:64]
    with db.read() as conn:
        row = conn.execute(select(OFFICE_USER).where(OFFICE_USER.c.name == name)).first()
    stored = row.password_hash if row is not None else DUMMY_HASH
    try:
        good = PASSWORD_HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        good = False
    if row is None:
        raise LoginRefusedError("wrong_credentials")
    if row.locked_until_us is not None and row.locked_until_us > now_us:
        db.write(lambda conn: audit(conn, now_us, f"login:{name}", "user.login_refused", name, why="locked"))
        raise LoginRefusedError("locked", row.locked_until_us)
    if not good or row.disabled_at_us is not None:
        _count_failure(db, now_us, row)
        raise LoginRefusedError("wrong_credentials")
    return db.write(lambda conn: _open_session(conn, now_us, row))  # type: ignore[no-any-return]


def _count_failure(db: Database, now_us: int, row: Row[Any]) -> None:
    def work(conn: Connection) -> None:
        failed = conn.execute(
            update(OFFICE_USER)
            .where(OFFICE_USER.c.id == row.id)
            .values(failed_logins=OFFICE_USER.c.failed_logins + 1)
            .returning(OFFICE_USER.c.failed_logins)
        ).scalar_one()
        locked = failed >= MAX_FAILED_LOGINS
        if locked:
            conn.execute(
                update(OFFICE_USER)
                .where(OFFICE_USER.c.id == row.id)
                .values(failed_logins=0, locked_until_us=now_us + LOCK_S * 1_000_000)
            )
        why = "disabled" if row.disabled_at_us is not None else "wrong_password"
        audit(conn, now_us, f"login:{row.name}", "user.login_failed", row.name, why=why, locked=locked)

    db.write(work)


def _open_session(conn: Connection, now_us: int, row: Row[Any]) -> tuple[Session, str]:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    conn.execute(
        OFFICE_SESSION.insert().values(
            token_hash=token_digest(token),
            user_id=row.id,
            csrf_token=csrf,
            created_at_us=now_us,
            last_seen_us=now_us,
        )
    )
    conn.execute(
        update(OFFICE_USER).where(OFFICE_USER.c.id == row.id).values(failed_logins=0, locked_until_us=None)
    )
    user = _user(row)
    audit(conn, now_us, user.actor.audit_name, "user.login", row.name, role=row.role)
    return Session(user, csrf), token


def session_for(db: Database, now_us: int, token: str) -> Session | None:
    """The live session behind a cookie's token, or None (unknown, ended, idle too long, user disabled)."""
    digest = token_digest(token)
    with db.read() as conn:
        found = conn.execute(
            select(
                OFFICE_USER,
                OFFICE_SESSION.c.csrf_token,
                OFFICE_SESSION.c.created_at_us.label("session_created_at_us"),
                OFFICE_SESSION.c.last_seen_us,
                OFFICE_SESSION.c.ended_at_us,
            )
            .join(OFFICE_USER, OFFICE_USER.c.id == OFFICE_SESSION.c.user_id)
            .where(OFFICE_SESSION.c.token_hash == digest)
        ).first()
    if found is None or found.ended_at_us is not None or found.disabled_at_us is not None:
        return None
    idle = now_us - found.last_seen_us > IDLE_S * 1_000_000
    too_old = now_us - found.session_created_at_us > SESSION_MAX_S * 1_000_000
    if idle or too_old or found.password_changed_at_us > found.session_created_at_us:
        end_session(db, now_us, token)
        return None
    if now_us - found.last_seen_us > _TOUCH_EVERY_US:
        db.write(
            lambda conn: conn.execute(
                update(OFFICE_SESSION)
                .where(OFFICE_SESSION.c.token_hash == digest)
                .values(last_seen_us=now_us)
            )
        )
    return Session(_user(found), found.csrf_token)


def end_session(db: Database, now_us: int, token: str) -> None:
    digest = token_digest(token)
    db.write(
        lambda conn: conn.execute(
            update(OFFICE_SESSION)
            .where(OFFICE_SESSION.c.token_hash == digest, OFFICE_SESSION.c.ended_at_us.is_(None))
            .values(ended_at_us=now_us)
        )
    )
