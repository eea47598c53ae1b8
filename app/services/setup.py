# SPDX-License-Identifier: GPL-3.0-or-later
"""Setting a terminal up with a club: its tiers, branches, staff, and this device's identity."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.branch import Branch
from app.domain.errors import ClubError
from app.domain.staff import Staff
from app.domain.tier import Tier
from app.services.enroll import CARD_PREFIX_SETTING
from app.services.staff_auth import hash_pin
from app.store import club
from app.store.club import Device
from app.store.database import Database


@dataclass(frozen=True, slots=True)
class ClubDefinition:
    tiers: list[Tier]
    branches: list[Branch]
    staff: list[tuple[Staff, str]] = field(default_factory=list)  # with their PINs
    card_prefix: str = "9826"
    name_fa: str = "باشگاه"
    name_en: str = "Bashgah"


def install_club(db: Database, definition: ClubDefinition, device: Device) -> None:
    """Write the club and this terminal's device record in one transaction; once only."""
    if not definition.tiers or not definition.branches:
        raise ClubError("club_not_set_up")
    hashed = [(staff, hash_pin(pin)) for staff, pin in definition.staff]  # slow part, before the lock
    with db.write() as conn:
        if club.self_device(conn) is not None:
            raise ClubError("club_already_set_up")
        for tier in definition.tiers:
            club.put_tier(conn, tier)
        for branch in definition.branches:
            club.put_branch(conn, branch)
        club.put_device(conn, Device(device.id, device.code, device.branch_id, is_self=True))
        for staff, pin_hash in hashed:
            club.put_staff(conn, staff, pin_hash)
        club.put_setting(conn, CARD_PREFIX_SETTING, definition.card_prefix)
        club.put_setting(conn, "club_name_fa", definition.name_fa)
        club.put_setting(conn, "club_name_en", definition.name_en)
