# SPDX-License-Identifier: GPL-3.0-or-later
"""Enrolling terminals: one-time codes, and POST /v1/enroll that turns a code into a device.

A code is shown once and stored hashed; the enrolment that spends it does so with a conditional update
(unused and unexpired), so two terminals racing with one code cannot both win. The new device gets an
id, a code such as "THR-02", a token (the server keeps `token_hash` for authentication and `grant_key`
for signing grants, never the token), the next free device number, whose three digits extend the club's
card prefix into the device's own card series, and a 16-bit key id for its issuing public key.
Enrolments are rare: each holds the counter row for its whole transaction, so device numbers and key
ids are handed out one at a time (concurrent enrolments wait instead of colliding on a unique index).

A lost answer: the terminal makes its token and its key pair and keeps both before asking. The spent
code asked again with the same token and the same public key is answered with the same device (the
token is the proof: only its holder can send it; the key is public, so it alone proves nothing), and the
same wrap key (for the branch's chip keys: sync.server.chip_keys); another token or key is 401 as before.
A copy arriving at the same moment waits for the code's row lock and then takes this path, so every copy
gets one answer. A device whose token authenticated no request within UNCLAIMED_TTL_US of its enrolment is
dead: its token is refused (sync.server.auth), and the next enrolment or admin device list revokes it and
retires its key (no card was signed with a key id its terminal never received). Old terminals that send no
token get one made here, and no second chance.
"""

from __future__ import annotations

import binascii
import os
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, Row, func, select, update

from app.domain.ids import uuid7
from app.domain.ledger import GENESIS_HASH
from sync.protocol import (
    ENROLMENT_CODE_ALPHABET,
    EnrollPreviewRequest,
    EnrollPreviewResponse,
    EnrollRequest,
    EnrollResponse,
    WireBranch,
    WireKey,
    b64decode,
    grant_key,
    token_hash,
)
from sync.server import chip_keys, club
from sync.server.errors import ApiError
from sync.server.models import CLUB_KEY, COUNTER, DEVICE, ENROLLMENT_CODE
from sync.server.sequence import COUNTER_ID, Publisher

CODE_ALPHABET = ENROLMENT_CODE_ALPHABET  # no 0/O, 1/I/L: read aloud and typed by a person
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4
MAX_DEVICE_NUMBER = 999
HOUR_US = 3600 * 1_000_000
MAX_TTL_HOURS = 24 * 30
UNCLAIMED_TTL_US = 24 * HOUR_US  # a day to use the token (or ask for a lost answer again), then revoked


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
    return issue_code_for(conn, branch, ttl_hours, now_us, actor)


def issue_code_for(
    conn: Connection, branch: WireBranch, ttl_hours: int, now_us: int, actor: str
) -> IssuedCode:
    if not 1 <= ttl_hours <= MAX_TTL_HOURS:
        raise ApiError(422, "invalid_ttl", f"ttl_hours must be between 1 and {MAX_TTL_HOURS}")
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
    wrap_public_key = chip_keys.checked_wrap_key(request.wrap_public_key)  # refused before the code is spent
    branch_id = _spend_code(conn, request.code, now_us)
    if branch_id is None:
        again = _answer_again(conn, request, now_us)
        if again is None:
            raise ApiError(401, "invalid_enrollment_code", "the code is unknown, used or expired")
        return again
    conn.execute(update(COUNTER).where(COUNTER.c.id == COUNTER_ID).values(value=COUNTER.c.value))
    branch = club.branch(conn, branch_id)
    assert branch is not None  # the code's foreign key
    club.require_open_branch(conn, branch_id)  # closed after the code was issued
    pub = Publisher(now_us)
    retire_unclaimed(conn, pub, now_us)
    device_id = str(uuid7(now_us // 1000, os.urandom(10)))
    number = next_device_number(conn)
    code = _next_device_code(conn, branch.code)
    token = request.token or secrets.token_urlsafe(32)
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
            wrap_public_key=wrap_public_key,
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


def preview(conn: Connection, request: EnrollPreviewRequest, now_us: int) -> EnrollPreviewResponse:
    """Whose code this is (club, branch, expiry), spending nothing: the terminal's setup shows it to be
    confirmed. A code spent by the holder of `request.token` previews as before (`spent_by_you`): its
    enrolment lost the answer and may finish. 401 with `invalid_enrollment_code` (no such code),
    `enrollment_code_used` or `enrollment_code_expired`: every refusal counts against the address's
    allowance (sync.server.ratelimit), as a wrong code at /v1/enroll does."""
    row = conn.execute(
        select(ENROLLMENT_CODE, DEVICE.c.token_hash, DEVICE.c.revoked_at_us)
        .outerjoin(DEVICE, DEVICE.c.id == ENROLLMENT_CODE.c.device_id)
        .where(ENROLLMENT_CODE.c.code_hash == code_hash(request.code))
    ).first()
    if row is None:
        raise ApiError(401, "invalid_enrollment_code", "the code is unknown, used or expired")
    yours = (
        row.used_at_us is not None
        and request.token is not None
        and row.revoked_at_us is None
        and row.token_hash == token_hash(request.token)
    )
    if row.used_at_us is not None and not yours:
        raise ApiError(401, "enrollment_code_used", "this code has enrolled a terminal already")
    if row.used_at_us is None and row.expires_at_us <= now_us:
        raise ApiError(
            401, "enrollment_code_expired", "this code has expired", expires_at_us=row.expires_at_us
        )
    branch = club.branch(conn, row.branch_id)
    assert branch is not None  # the code's foreign key
    if not yours:
        club.require_open_branch(conn, branch.id)  # 409 `branch_closed`, as the enrolment would answer
    return EnrollPreviewResponse(
        club_name_fa=club.setting(conn, "club_name_fa"),
        club_name_en=club.setting(conn, "club_name_en"),
        branch_id=branch.id,
        branch_code=branch.code,
        branch_name_fa=branch.name_fa,
        branch_name_en=branch.name_en,
        expires_at_us=row.expires_at_us,
        spent_by_you=yours,
        server_time_us=now_us,
    )


def unclaimed_expired(enrolled_at_us: int, claimed_at_us: int | None, now_us: int) -> bool:
    """A device whose token was never used within UNCLAIMED_TTL_US of its enrolment: not a credential."""
    return claimed_at_us is None and now_us >= enrolled_at_us + UNCLAIMED_TTL_US


def _answer_again(conn: Connection, request: EnrollRequest, now_us: int) -> EnrollResponse | None:
    """The answer the spent code gave, for the terminal that holds its token and asked with its key."""
    if request.token is None:
        return None
    row = conn.execute(
        select(DEVICE, CLUB_KEY.c.public_key)
        .select_from(ENROLLMENT_CODE)
        .join(DEVICE, DEVICE.c.id == ENROLLMENT_CODE.c.device_id)
        .outerjoin(CLUB_KEY, CLUB_KEY.c.key_id == DEVICE.c.key_id)
        .where(ENROLLMENT_CODE.c.code_hash == code_hash(request.code))
    ).first()
    if row is None or not _same_terminal(row, request, now_us):
        return None
    return EnrollResponse(
        device_id=row.id,
        device_code=row.code,
        branch_id=row.branch_id,
        token=request.token,
        key_id=row.key_id,
        card_prefix=row.card_prefix,
        server_time_us=now_us,
    )


def _same_terminal(device: Row, request: EnrollRequest, now_us: int) -> bool:
    assert request.token is not None
    return (
        device.token_hash == token_hash(request.token)
        and device.public_key == request.issuing_public_key
        and device.wrap_public_key == request.wrap_public_key
        and device.revoked_at_us is None
        and not unclaimed_expired(device.enrolled_at_us, device.claimed_at_us, now_us)
    )


def retire_unclaimed(conn: Connection, pub: Publisher, now_us: int) -> list[str]:
    """Revoke the enrolled devices whose token went unused too long, and retire their keys; their ids."""
    stale = list(
        conn.execute(
            update(DEVICE)
            .where(
                DEVICE.c.token_hash.is_not(None),
                DEVICE.c.claimed_at_us.is_(None),
                DEVICE.c.revoked_at_us.is_(None),
                DEVICE.c.enrolled_at_us <= now_us - UNCLAIMED_TTL_US,
            )
            .values(revoked_at_us=now_us)
            .returning(DEVICE.c.id)
        ).scalars()
    )
    for device_id in stale:
        club.retire_device_keys(conn, pub, device_id, now_us)
    return stale


def _spend_code(conn: Connection, code: str, now_us: int) -> str | None:
    """The code's branch, the code now spent; None for a code unknown, used or expired."""
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
    return None if spent is None else str(spent.branch_id)


def next_device_number(conn: Connection) -> int:
    """After the numbers in use (the demo's own two devices are 000 and 001); 001 in a new club. The caller
    holds the counter row."""
    # the server's own device (its entries: expiry, tier review) is number -1 until it issues its first
    # member QR card, when it takes a number of its own here (sync.server.card_key)
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
