# SPDX-License-Identifier: GPL-3.0-or-later
"""Staff PINs: argon2id hashes only, a lock after repeated wrong PINs, and every attempt recorded.

A PIN is never stored or logged. Five wrong PINs in a row lock the account for a while (the lock, the
wrong PINs and each login are written to the append-only staff_event audit).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.domain.digits import to_latin_digits
from app.domain.errors import ClubError
from app.domain.staff import Staff
from app.services.terminal import Terminal
from app.store import club

# OWASP's argon2id minimum (19 MiB, t=2): ~30 ms here, so a PIN check never stalls the counter.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_PIN_LENGTH = 4
MAX_WRONG_PINS = 5
LOCK_SETTING = "staff_lock_minutes"
DEFAULT_LOCK_MINUTES = 10


def hash_pin(pin: str) -> str:
    pin = to_latin_digits(pin or "")
    if len(pin) < MIN_PIN_LENGTH or not pin.isdigit():
        raise ClubError("invalid_pin_format")
    return _HASHER.hash(pin)


def authenticate(terminal: Terminal, staff_key: str, pin: str) -> Staff:
    """The member of staff named by id or name, if the PIN is theirs, they are active and not locked."""
    with terminal.db.read() as conn:
        staff, pin_hash = club.staff_with_pin_hash(conn, staff_key)
        _, locked_until = club.pin_state(conn, staff.id)
    now = terminal.clock.now_us()
    if locked_until is not None and locked_until > now:
        raise ClubError("staff_locked", staff=staff.name, minutes=-(-(locked_until - now) // 60_000_000))
    try:
        _HASHER.verify(pin_hash, to_latin_digits(pin or ""))  # slow on purpose: outside the write lock
    except (VerificationError, InvalidHashError):
        _wrong_pin(terminal, staff, now)
    if not staff.active:
        raise ClubError("staff_inactive", staff=staff.name)
    with terminal.db.write() as conn:
        club.set_pin_state(conn, staff.id, 0, None)
        club.add_staff_event(
            conn, terminal.new_id(), staff.id, "login", at_us=now, device_id=terminal.device_id
        )
    return staff


def _wrong_pin(terminal: Terminal, staff: Staff, now: int) -> None:
    with terminal.db.write() as conn:
        failed = club.pin_state(conn, staff.id)[0] + 1
        club.add_staff_event(
            conn, terminal.new_id(), staff.id, "wrong_pin", at_us=now, device_id=terminal.device_id
        )
        if failed < MAX_WRONG_PINS:
            club.set_pin_state(conn, staff.id, failed, None)
            error = ClubError("wrong_pin", staff=staff.name, tries_left=MAX_WRONG_PINS - failed)
        else:
            minutes = int(club.setting(conn, LOCK_SETTING, str(DEFAULT_LOCK_MINUTES)) or DEFAULT_LOCK_MINUTES)
            club.set_pin_state(conn, staff.id, 0, now + minutes * 60_000_000)
            club.add_staff_event(
                conn, terminal.new_id(), staff.id, "locked", at_us=now, device_id=terminal.device_id
            )
            error = ClubError("staff_locked", staff=staff.name, minutes=minutes)
    raise error


def log_out(terminal: Terminal, staff: Staff) -> None:
    with terminal.db.write() as conn:
        club.add_staff_event(
            conn,
            terminal.new_id(),
            staff.id,
            "logout",
            at_us=terminal.clock.now_us(),
            device_id=terminal.device_id,
        )
