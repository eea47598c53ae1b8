# SPDX-License-Identifier: GPL-3.0-or-later
"""Closing a kiosk (`bashgah --kiosk`): only a manager or the club's admin, with their PIN.

The PIN is checked by `staff_auth.authenticate` (wrong PINs count towards its lockout, as anywhere); who
closed the terminal is kept in the staff audit (`staff_event`, kind `kiosk_exit`).
"""

from __future__ import annotations

from app.domain.errors import ClubError
from app.domain.staff import Role, Staff
from app.services.staff_auth import authenticate
from app.services.terminal import Terminal
from app.store import club

# the people who run the shop; a cashier or an event host at the counter cannot leave the kiosk
MAY_CLOSE_KIOSK = frozenset({Role.MANAGER, Role.ADMIN})
KIOSK_EXIT_EVENT = "kiosk_exit"


def approve_kiosk_exit(terminal: Terminal, staff_key: str, pin: str) -> Staff:
    """The manager (id or name) whose PIN this is, once their leaving the kiosk is recorded."""
    staff = authenticate(terminal, staff_key, pin)
    if staff.role not in MAY_CLOSE_KIOSK:
        raise ClubError("not_permitted", staff=staff.name, role=staff.role.value, action=KIOSK_EXIT_EVENT)
    with terminal.db.write() as conn:
        club.add_staff_event(
            conn, terminal.new_id(), staff.id, KIOSK_EXIT_EVENT,
            at_us=terminal.clock.now_us(), device_id=terminal.device_id,
        )  # fmt: skip
    return staff
