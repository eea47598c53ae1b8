# SPDX-License-Identifier: GPL-3.0-or-later
"""Staff and what each role may do. Use cases ask `require`; hiding a button is not enough."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.domain.errors import ClubError


class Role(StrEnum):
    CASHIER = "cashier"
    HOST = "host"
    MANAGER = "manager"
    ADMIN = "admin"


class Action(StrEnum):
    RECORD_SALE = "record_sale"
    RETURN_SALE = "return_sale"
    ENROLL_MEMBER = "enroll_member"
    REVERSE_ENTRY = "reverse_entry"
    ADJUST_BALANCE = "adjust_balance"
    ISSUE_CARD = "issue_card"
    REVOKE_CARD = "revoke_card"
    CHECK_IN = "check_in"
    MANAGE_STAFF = "manage_staff"
    OVERRIDE_SPEND = "override_spend"  # let a sale spend points beyond the offline grant
    MANAGE_EVENTS = "manage_events"  # create events, invite members, undo an admission at the door


_COUNTER = {Action.RECORD_SALE, Action.RETURN_SALE, Action.ENROLL_MEMBER}
_MANAGER = _COUNTER | {
    Action.REVERSE_ENTRY,
    Action.ADJUST_BALANCE,
    Action.ISSUE_CARD,
    Action.REVOKE_CARD,
    Action.CHECK_IN,
    Action.MANAGE_STAFF,
    Action.OVERRIDE_SPEND,
    Action.MANAGE_EVENTS,
}
# The most points one adjustment may add or remove, by role: a manager fixes a mistake at the counter,
# larger corrections are the club office's (admin). The terminal and the server (which re-checks what a
# terminal pushes) read the same table.
ADJUST_LIMITS = {Role.MANAGER: 1_000, Role.ADMIN: 100_000}

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.CASHIER: frozenset(_COUNTER),
    Role.HOST: frozenset({Action.CHECK_IN}),
    Role.MANAGER: frozenset(_MANAGER),
    Role.ADMIN: frozenset(Action),
}


@dataclass(frozen=True, slots=True)
class Staff:
    id: str
    name: str
    role: Role
    branch_id: str | None = None
    active: bool = True

    def may(self, action: Action) -> bool:
        return self.active and action in PERMISSIONS[self.role]

    def require(self, action: Action) -> None:
        """Refuse the action unless this member of staff's role allows it."""
        if not self.may(action):
            raise ClubError("not_permitted", staff=self.name, role=self.role.value, action=action.value)
