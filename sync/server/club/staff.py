# SPDX-License-Identifier: GPL-3.0-or-later
"""The terminals' staff: adding them, their role, their PIN, lifting a PIN lockout, disabling them.

Staff log in on terminals offline, so every change is published (sync.server.club.put_staff) and each
terminal applies it at its next pull. A PIN is hashed here with the terminal's argon2id parameters
(app.services.staff_auth), before the transaction (it is slow on purpose), and never stored or logged.

Wrong PINs are counted and locked out on each terminal, which head office cannot see: unlocking stamps the
person with `unlocked_at_us`, and a terminal that applied an older stamp (or none) clears its lock
(app.store.replica). A new PIN unlocks too: whoever was given it can use it.

Branch managers act only on their branches' staff (Permission.STAFF_MANAGE is per branch), so never on
staff who belong to no branch; moving someone needs the permission at both branches. Terminal staff with
the `admin` role are the owner's to manage (the admin API's rule for admin tokens, which act as owners).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Literal, get_args

from argon2 import PasswordHasher
from sqlalchemy import Connection

from app.domain.digits import to_latin_digits
from app.domain.errors import ClubError
from app.domain.ids import uuid7
from app.domain.member import clean_name
from sync.protocol import UUID_PATTERN, WireStaff
from sync.server import club
from sync.server.club.access import Actor, Permission
from sync.server.club.act import Act, Call, change, read
from sync.server.errors import ApiError

StaffRole = Literal["cashier", "host", "manager", "admin"]
STAFF_ROLES: tuple[str, ...] = get_args(StaffRole)
PIN_MIN, PIN_MAX = 4, 12
# argon2id with the terminal's parameters (app.services.staff_auth): terminals verify these offline
_PIN_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_UNSET: Any = object()


def pin_hash(pin: str) -> str:
    """The PIN's argon2id hash; 422 `invalid_pin_format` unless it is 4 to 12 digits (Persian ones too)."""
    digits = to_latin_digits(pin or "").strip()
    if not PIN_MIN <= len(digits) <= PIN_MAX or not digits.isascii() or not digits.isdigit():
        raise ApiError(422, "invalid_pin_format", "a PIN is 4 to 12 digits")
    return _PIN_HASHER.hash(digits)


def _name(raw: str) -> str:
    try:
        return clean_name(raw)
    except ClubError:
        message = "a member of staff needs a name (at most 120 characters)"
        raise ApiError(422, "invalid_staff_name", message) from None


def _check_role(actor: Actor, role: str) -> None:
    if role not in STAFF_ROLES:
        raise ApiError(422, "invalid_staff_role", f"a staff role is one of {', '.join(STAFF_ROLES)}")
    if role == "admin" and actor.role != "owner":
        raise ApiError(403, "forbidden", "only the owner may manage admin staff", role=actor.role)


def _branch_id(value: str | None) -> str | None:
    """A branch's id as a form or the API gives it ("" or None: no branch, i.e. every branch)."""
    if not value:
        return None
    if not re.fullmatch(UUID_PATTERN, value):
        raise ApiError(422, "unknown_branch", "no such branch")
    return value


def _check_branch(conn: Connection, branch_id: str | None) -> None:
    if branch_id is not None and club.branch(conn, branch_id) is None:
        raise ApiError(422, "unknown_branch", "no such branch")


def shown(person: WireStaff) -> dict[str, Any]:
    """A member of staff for the audit log and the pages: never the PIN hash."""
    return person.model_dump(exclude={"pin_hash"})


def staff(call: Call, branch_id: str | None = None, *, audited: bool = False) -> list[WireStaff]:
    """The staff (of a branch), by name. Staff are a club's few dozen people: one page holds them all."""

    def work(conn: Connection) -> list[WireStaff]:
        everyone = club.staff_list(conn)
        return everyone if branch_id is None else [s for s in everyone if s.branch_id == branch_id]

    return read(call, "staff.list", branch_id, work, audited=audited)


def _current(call: Call, staff_id: str) -> WireStaff:
    with call.db.read() as conn:
        person = club.staff_by_id(conn, staff_id)
    if person is None:
        raise ApiError(404, "unknown_staff", "no such member of staff")
    return person


def add_staff(call: Call, name: str, role: str, branch_id: str | None, pin: str) -> WireStaff:
    """A new member of staff with their PIN, published to every terminal."""
    _check_role(call.actor, role)
    person = WireStaff(
        id=str(uuid7(call.now_us // 1000, os.urandom(10))),
        name=_name(name),
        role=role,  # type: ignore[arg-type]
        branch_id=_branch_id(branch_id),
        pin_hash=pin_hash(pin),
    )

    def work(act: Act) -> WireStaff:
        _check_branch(act.conn, person.branch_id)
        if person.branch_id is not None:
            club.require_open_branch(act.conn, person.branch_id)
        club.put_staff(act.conn, act.pub, person)
        act.after = shown(person)
        return person

    return change(call, Permission.STAFF_MANAGE, "staff.add", person.id, work, branch_id=person.branch_id)


@dataclass(frozen=True, slots=True)
class StaffEdit:
    """What to change; a field left out stays (`branch_id=None` moves them to no branch)."""

    name: str = _UNSET
    role: str = _UNSET
    branch_id: str | None = _UNSET
    active: bool = _UNSET
    pin: str = _UNSET
    unlock: bool = False


def edit_staff(call: Call, staff_id: str, edit: StaffEdit, action: str = "staff.edit") -> WireStaff:
    """Any of a member of staff's fields at once (the admin API's PATCH); the forms' actions call it too."""
    current = _current(call, staff_id)
    changes: dict[str, Any] = {}
    if edit.name is not _UNSET:
        changes["name"] = _name(edit.name)
    if edit.role is not _UNSET:
        _check_role(call.actor, edit.role)
        changes["role"] = edit.role
    if edit.branch_id is not _UNSET:
        changes["branch_id"] = _branch_id(edit.branch_id)
        call.actor.require(Permission.STAFF_MANAGE, changes["branch_id"])
    if edit.active is not _UNSET:
        changes["active"] = bool(edit.active)
    if edit.pin is not _UNSET:
        changes["pin_hash"] = pin_hash(edit.pin)
    unlock = edit.unlock or "pin_hash" in changes
    if current.role == "admin":
        _check_role(call.actor, "admin")

    def work(act: Act) -> WireStaff:
        person = club.staff_by_id(act.conn, staff_id)
        if person is None:
            raise ApiError(404, "unknown_staff", "no such member of staff")
        if person.branch_id != current.branch_id:  # moved meanwhile: the check is for where they are now
            act.actor.require(Permission.STAFF_MANAGE, person.branch_id)
        edited = WireStaff.model_validate(
            person.model_dump() | changes | ({"unlocked_at_us": act.now_us} if unlock else {})
        )
        _check_branch(act.conn, edited.branch_id)
        act.before = shown(person)
        act.after = shown(edited)
        if "pin_hash" in changes:
            act.detail["pin_changed"] = True
        if edited != person:
            club.put_staff(act.conn, act.pub, edited)
        return edited

    return change(call, Permission.STAFF_MANAGE, action, staff_id, work, branch_id=current.branch_id)


def set_staff_role(call: Call, staff_id: str, role: str) -> WireStaff:
    return edit_staff(call, staff_id, StaffEdit(role=role), "staff.role")


def reset_pin(call: Call, staff_id: str, new_pin: str) -> WireStaff:
    """A new PIN; it lifts a lockout too, on every terminal."""
    return edit_staff(call, staff_id, StaffEdit(pin=new_pin), "staff.pin")


def unlock_staff(call: Call, staff_id: str) -> WireStaff:
    """Lift the PIN lockout on every terminal, at its next pull (the wrong PINs counted there restart)."""
    return edit_staff(call, staff_id, StaffEdit(unlock=True), "staff.unlock")


def disable_staff(call: Call, staff_id: str) -> WireStaff:
    """They can no longer log in on any terminal (once it has pulled); what they did stays theirs."""
    return edit_staff(call, staff_id, StaffEdit(active=False), "staff.disable")


def enable_staff(call: Call, staff_id: str) -> WireStaff:
    return edit_staff(call, staff_id, StaffEdit(active=True), "staff.enable")
