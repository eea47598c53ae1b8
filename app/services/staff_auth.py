# SPDX-License-Identifier: GPL-3.0-or-later
"""Staff PINs: argon2id hashes only; a PIN is never stored or logged."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.domain.digits import to_latin_digits
from app.domain.errors import ClubError
from app.domain.staff import Staff
from app.store import club
from app.store.database import Database

# OWASP's argon2id minimum (19 MiB, t=2): ~30 ms here, so a PIN check never stalls the counter.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_PIN_LENGTH = 4


def hash_pin(pin: str) -> str:
    pin = to_latin_digits(pin or "")
    if len(pin) < MIN_PIN_LENGTH or not pin.isdigit():
        raise ClubError("invalid_pin_format")
    return _HASHER.hash(pin)


def authenticate(db: Database, staff_key: str, pin: str) -> Staff:
    """The member of staff named by id or name, if the PIN is theirs and they are active."""
    with db.read() as conn:
        staff, pin_hash = club.staff_with_pin_hash(conn, staff_key)
    try:
        _HASHER.verify(pin_hash, to_latin_digits(pin or ""))
    except (VerificationError, InvalidHashError) as error:
        raise ClubError("wrong_pin", staff=staff.name) from error
    if not staff.active:
        raise ClubError("staff_inactive", staff=staff.name)
    return staff
