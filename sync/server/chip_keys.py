# SPDX-License-Identifier: GPL-3.0-or-later
"""The branches' NTAG 424 DNA keys (app.cards.ntag424.keys), sealed for one terminal: GET /v1/chip-keys.

The club's root secret (32 random bytes) lives where the server keeps its other secrets, `server_key`, under
a key id no club key can have (`SECRET_KEY_ID`: the unsubscribe secret is -1, the sign-in one -2) and its
own purpose; made on first need (two first requests at once make one: the insert does nothing when the row
exists, then both read it). It leaves this module only as an argument of `branch_key`: never in an answer,
a log record, an error, an audit row or an export. A branch key leaves the server only wrapped for one
terminal's X25519 key (kept with the device at enrolment), bound to (device, branch, generation, role).

Generations (`chip_key_generation`): generation 1 of a branch is made on first need. Revoking a terminal
that may hold its branch's keys (it enrolled with a wrap key: a terminal without one never got any) starts
the next generation: new cards, and cards when next written, are keyed with the newest; the older ones stay
listed for reading (every terminal still reads the cards keyed with them) until the club retires them.
A device revoked because it never claimed its enrolment (sync.server.enrolment.retire_unclaimed) starts
none: its token never authenticated a request, so it never asked for keys.

Every terminal of the branch gets the "read" keys; its issuing terminals (enrolled with an issuing key,
still current: `device.key_id` names a club key not retired) get the "write" keys too.
"""

from __future__ import annotations

import base64
import binascii

from sqlalchemy import Connection, func, select, update

from app.cards.ntag424.keys import (
    MAX_GENERATION,
    ROOT_LENGTH,
    ChipKeyError,
    KeyIdentity,
    Role,
    branch_key,
    wrap_key,
)
from sync.protocol import ChipKeysResponse, WireChipKey, b64encode
from sync.server import server_secret
from sync.server.db import dialect_insert
from sync.server.errors import ApiError
from sync.server.models import BRANCH, CHIP_KEY_GENERATION, CLUB_KEY, DEVICE

PURPOSE = "chip_root"
SECRET_KEY_ID = -3  # not a signing key: an id no club key can have (-1 unsubscribe, -2 member sign-in)
FIRST, TERMINAL_REVOKED = "first", "terminal_revoked"
_PROBE_IDENTITY = KeyIdentity("probe", "00000000-0000-0000-0000-000000000000", 1, "read")


# ---- the root --------------------------------------------------------------------------------------------


def _root(conn: Connection, now_us: int) -> bytes:
    """The club's chip root, made on first need."""
    found = server_secret.secret(conn, SECRET_KEY_ID, PURPOSE, now_us)
    if len(found) != ROOT_LENGTH:
        raise ApiError(500, "chip_root_unusable", "the server's chip key root is missing or damaged")
    return found


# ---- a terminal's wrap key -------------------------------------------------------------------------------


def checked_wrap_key(text: str | None) -> str | None:
    """The enrolment's wrap key as kept, or 422 `invalid_wrap_key`: base64 of 32 raw bytes that make an
    X25519 key a wrap can be sealed for (a low-order point cannot: its shared secret is all zeros)."""
    if text is None:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
        if len(raw) != 32:
            raise ValueError("not 32 bytes")
        wrap_key(bytes(16), raw, _PROBE_IDENTITY)
    except (binascii.Error, ValueError, ChipKeyError):
        raise ApiError(
            422, "invalid_wrap_key", "wrap_public_key must be an X25519 public key: 32 raw bytes in base64"
        ) from None
    return text


# ---- generations -----------------------------------------------------------------------------------------


def _in_use(conn: Connection, branch_id: str) -> list[int]:
    generation = CHIP_KEY_GENERATION.c
    return list(
        conn.execute(
            select(generation.generation)
            .where(generation.branch_id == branch_id, generation.retired_at_us.is_(None))
            .order_by(generation.generation)
        ).scalars()
    )


def _newest(conn: Connection, branch_id: str) -> int | None:
    return conn.execute(
        select(func.max(CHIP_KEY_GENERATION.c.generation)).where(CHIP_KEY_GENERATION.c.branch_id == branch_id)
    ).scalar_one_or_none()


def generations(conn: Connection, branch_id: str, now_us: int) -> list[int]:
    """The branch's generations in use, oldest first (the last is the one cards are keyed with now);
    generation 1 made on first need."""
    found = _in_use(conn, branch_id)
    if found:
        return found
    conn.execute(
        dialect_insert(conn, CHIP_KEY_GENERATION)
        .values(branch_id=branch_id, generation=1, created_at_us=now_us, reason=FIRST)
        .on_conflict_do_nothing()
    )
    return _in_use(conn, branch_id)


def _lock_branch(conn: Connection, branch_id: str) -> None:
    """Revocations and key answers of one branch, one at a time (PostgreSQL; SQLite writes one transaction
    at a time anyway): two revocations start a generation each, and a terminal asking for keys while it is
    revoked either gets them before (and the revocation then starts the next generation, even when this
    answer made the first) or is refused after. NO KEY UPDATE: rows that merely refer to the branch (a
    member enrolled there) are not held up."""
    conn.execute(select(BRANCH.c.id).where(BRANCH.c.id == branch_id).with_for_update(key_share=True))


def rotate_after_revocation(conn: Connection, device_id: str, now_us: int) -> int | None:
    """Start the next generation of the revoked terminal's branch, in the revocation's transaction; the new
    generation, or None when there is nothing to rotate (it had no wrap key, or its branch no keys yet)."""
    device = conn.execute(
        select(DEVICE.c.branch_id, DEVICE.c.wrap_public_key).where(DEVICE.c.id == device_id)
    ).first()
    if device is None or device.wrap_public_key is None:
        return None
    _lock_branch(conn, device.branch_id)
    newest = _newest(conn, device.branch_id)
    if newest is None:
        return None
    if newest >= MAX_GENERATION:
        raise ApiError(409, "chip_generations_exhausted", "this branch has used every chip key generation")
    conn.execute(
        CHIP_KEY_GENERATION.insert().values(
            branch_id=device.branch_id,
            generation=newest + 1,
            created_at_us=now_us,
            reason=TERMINAL_REVOKED,
            revoked_device_id=device_id,
        )
    )
    return newest + 1


def retire(conn: Connection, branch_id: str, generation: int, now_us: int, actor: str) -> bool:
    """Stop listing a generation for reading (its cards then fail the challenge until rewritten): True if
    it was retired now, False if it was already. The branch's newest generation cannot be retired: new
    cards are keyed with it (409 `chip_generation_current`); an unknown one is 404."""
    row = conn.execute(
        select(CHIP_KEY_GENERATION).where(
            CHIP_KEY_GENERATION.c.branch_id == branch_id, CHIP_KEY_GENERATION.c.generation == generation
        )
    ).first()
    if row is None:
        raise ApiError(404, "unknown_chip_generation", f"the branch has no chip key generation {generation}")
    if row.retired_at_us is not None:
        return False
    if generation == _newest(conn, branch_id):
        raise ApiError(
            409, "chip_generation_current", "the newest generation keys new cards: it cannot be retired"
        )
    conn.execute(
        update(CHIP_KEY_GENERATION)
        .where(CHIP_KEY_GENERATION.c.branch_id == branch_id, CHIP_KEY_GENERATION.c.generation == generation)
        .values(retired_at_us=now_us, retired_by=actor[:160])
    )
    return True


# ---- GET /v1/chip-keys -----------------------------------------------------------------------------------


def _issuing(conn: Connection, key_id: int | None) -> bool:
    """The terminal issues cards: it enrolled with an issuing key the club has not retired."""
    if key_id is None:
        return False
    retired = conn.execute(
        select(CLUB_KEY.c.retired_at_us).where(CLUB_KEY.c.key_id == key_id, CLUB_KEY.c.purpose == "card")
    ).first()
    return retired is not None and retired.retired_at_us is None


def for_device(conn: Connection, device_id: str, now_us: int) -> ChipKeysResponse:
    """Every key of the device's branch it may hold, wrapped for it. Read in the answer's own transaction,
    so a terminal revoked a moment ago gets nothing (403), as its next request would."""
    branch_id = conn.execute(select(DEVICE.c.branch_id).where(DEVICE.c.id == device_id)).scalar_one()
    _lock_branch(conn, branch_id)  # before the device is read: see _lock_branch
    device = conn.execute(
        select(DEVICE.c.branch_id, DEVICE.c.revoked_at_us, DEVICE.c.key_id, DEVICE.c.wrap_public_key).where(
            DEVICE.c.id == device_id
        )
    ).one()
    if device.revoked_at_us is not None:
        raise ApiError(403, "device_revoked", "this device was revoked; enrol it again")
    if device.wrap_public_key is None:
        raise ApiError(
            409, "no_wrap_key", "this terminal enrolled without a wrap key: enrol it again to get chip keys"
        )
    recipient = base64.b64decode(device.wrap_public_key)
    roles: tuple[Role, ...] = ("read", "write") if _issuing(conn, device.key_id) else ("read",)
    in_use = generations(conn, device.branch_id, now_us)
    created = dict(
        conn.execute(
            select(CHIP_KEY_GENERATION.c.generation, CHIP_KEY_GENERATION.c.created_at_us).where(
                CHIP_KEY_GENERATION.c.branch_id == device.branch_id
            )
        ).all()
    )
    root = _root(conn, now_us)
    keys = [
        WireChipKey(
            branch_id=device.branch_id,
            generation=generation,
            role=role,
            wrapped=_sealed(root, recipient, KeyIdentity(device_id, device.branch_id, generation, role)),
            created_at_us=created[generation],
        )
        for generation in in_use
        for role in roles
    ]
    return ChipKeysResponse(keys=keys, current_generation=in_use[-1], server_time_us=now_us)


def _sealed(root: bytes, recipient: bytes, identity: KeyIdentity) -> str:
    key = branch_key(root, identity.branch_id, identity.generation, identity.role)
    return b64encode(wrap_key(key, recipient, identity))
