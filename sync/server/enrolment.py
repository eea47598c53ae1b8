# SPDX-License-Identifier: GPL-3.0-or-later
"""Enrolling terminals: one-time codes, and POST /v1/enroll that turns a code into a device.

A code is shown once and stored hashed; the enrolment that spends it does so with a conditional update
(unused and unexpired), so two terminals racing with one code cannot both win. The new device gets an
id, a code such as "THR-02", a token (the server keeps `token_hash` for authentication and `grant_key`
for signing grants, never the token), the next free device number, whose three digits extend the club's
card prefix into the device's own card series, and a 16-bit key id for its issuing public key.
Enrolments are rare: each holds the counter row for its whole transaction, so device numbers and key
ids are handed out one at a time (concurrent enrolments wait instead of colliding on a unique index).
"""

from __future__ import annotations

import binascii
import os
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, func, select, update

from app.domain.ids import uuid7
from app.domain.ledger import GENESIS_HASH
from sync.protocol import EnrollRequest, EnrollResponse, WireKey, b64decode, grant_key, token_hash
from sync.server import club
from sync.server.errors import ApiError
from sync.server.models import COUNTER, DEVICE, ENROLLMENT_CODE
from sync.server.sequence import COUNTER_ID, Publisher

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed by a person
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4
MAX_DEVICE_NUMBER = 999
HOUR_US = 3600 * 1_000_000


def new_code() -> str:
    """12 characters from a 31-letter alphabet (~59 bits), grouped for reading: K7QM-2XPD-9TAR."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH)) for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


def code_hash(code: str) -> str:
    """The stored form of a code; spaces, dashes and letter case do not matter."""
    return token_hash("".join(code.split()).replace("-", "").upper())


@dataclass(frozen=True, slots=True)
class IssuedCode:
    code: str
    branch_id: str
    branch_code: str
    expires_at_us: int


def issue_code(conn: Connection, branch_code: str, ttl_hours: int, now_us: int, actor: str) -> IssuedCode:
    branch = club.branch_by_code(conn, branch_code)
    if branch is None:
        raise ApiError(404, "unknown_branch", f"no branch with code {branch_code!r}")
    if not 1 <= ttl_hours <= 24 * 30:
        raise ApiError(422, "invalid_request", "ttl_hours must be between 1 and 720")
    code = new_code()
    expires = now_us + ttl_hours * HOUR_US
    conn.execute(
        ENROLLMENT_CODE.insert().values(
            code_hash=code_hash(code),
            branch_id=branch.id,
            created_at_us=now_us,
            expires_at_us=expires,
            created_by=actor,
        )
    )
    return IssuedCode(code, branch.id, branch.code, expires)


def enroll(conn: Connection, request: EnrollRequest, now_us: int) -> EnrollResponse:
    branch_id = _spend_code(conn, request.code, now_us)
    conn.execute(update(COUNTER).where(COUNTER.c.id == COUNTER_ID).values(value=COUNTER.c.value))
    branch = club.branch(conn, branch_id)
    assert branch is not None  # the code's foreign key
    pub = Publisher(now_us)
    device_id = str(uuid7(now_us // 1000, os.urandom(10)))
    number = _next_device_number(conn)
    code = _next_device_code(conn, branch.code)
    token = secrets.token_urlsafe(32)
    prefix = club.setting(conn, "club_card_prefix") + f"{number:03d}"
    key_id = _register_key(conn, pub, request.issuing_public_key, device_id, now_us)
    conn.execute(
        DEVICE.insert().values(
            id=device_id,
            code=code,
            name=request.device_name,
            branch_id=branch.id,
            number=number,
            card_prefix=prefix,
            token_hash=token_hash(token),
            grant_key=grant_key(token).hex(),
            key_id=key_id,
            enrolled_at_us=now_us,
            last_seq=0,
            head_hash=GENESIS_HASH,
            contiguous_seq=0,
        )
    )
    conn.execute(
        update(ENROLLMENT_CODE)
        .where(ENROLLMENT_CODE.c.code_hash == code_hash(request.code))
        .values(device_id=device_id)
    )
    club.publish_device(pub, device_id, code, branch.id)
    pub.flush(conn)
    return EnrollResponse(
        device_id=device_id,
        device_code=code,
        branch_id=branch.id,
        token=token,
        key_id=key_id,
        card_prefix=prefix,
        server_time_us=now_us,
    )


def _spend_code(conn: Connection, code: str, now_us: int) -> str:
    spent = conn.execute(
        update(ENROLLMENT_CODE)
        .where(
            ENROLLMENT_CODE.c.code_hash == code_hash(code),
            ENROLLMENT_CODE.c.used_at_us.is_(None),
            ENROLLMENT_CODE.c.expires_at_us > now_us,
        )
        .values(used_at_us=now_us)
        .returning(ENROLLMENT_CODE.c.branch_id)
    ).first()
    if spent is None:
        raise ApiError(401, "invalid_enrollment_code", "the code is unknown, used or expired")
    return str(spent.branch_id)


def _next_device_number(conn: Connection) -> int:
    """After the numbers in use (the demo's own two devices are 000 and 001); 001 in a new club."""
    # the server's own device (its entries: expiry, tier review) is number -1: it issues no cards
    highest = conn.execute(select(func.max(DEVICE.c.number)).where(DEVICE.c.number >= 0)).scalar_one_or_none()
    number = 1 if highest is None else highest + 1
    if number > MAX_DEVICE_NUMBER:
        raise ApiError(409, "no_device_numbers", "the club has used all 999 device numbers")
    return number


def _next_device_code(conn: Connection, branch_code: str) -> str:
    """BRANCH-NN: the branch's next free two-digit number."""
    taken = set(conn.execute(select(DEVICE.c.code)).scalars())
    stem = branch_code[:28]
    n = 1
    while f"{stem}-{n:02d}" in taken:
        n += 1
    return f"{stem}-{n:02d}"


def _register_key(
    conn: Connection, pub: Publisher, public_key: str | None, device_id: str, now_us: int
) -> int | None:
    if public_key is None:
        return None
    try:
        raw = b64decode(public_key)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ApiError(422, "invalid_public_key", "issuing_public_key must be 32 raw bytes in base64")
    key_id = club.next_key_id(conn)
    club.put_key(conn, pub, WireKey(key_id=key_id, public_key=public_key, created_at_us=now_us), device_id)
    return key_id
