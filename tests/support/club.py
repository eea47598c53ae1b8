# SPDX-License-Identifier: GPL-3.0-or-later
"""A small, known club for tests: two tiers, two branches with different rules, two staff."""

from __future__ import annotations

from pathlib import Path

from app.domain.branch import Branch
from app.domain.money import Rounding
from app.domain.rules import EarningRule, RedemptionPolicy
from app.domain.staff import Role, Staff
from app.domain.tier import Tier
from app.services.setup import ClubDefinition, install_club
from app.services.terminal import Terminal, open_terminal
from app.store.club import Device
from app.store.database import Database

BRANCH_1 = "00000000-0000-7000-8000-000000000001"
BRANCH_2 = "00000000-0000-7000-8000-000000000002"
DEVICE_1 = "00000000-0000-7000-8000-0000000000d1"
CASHIER = Staff("00000000-0000-7000-8000-0000000000c1", "Cashier Kian", Role.CASHIER, BRANCH_1)
MANAGER = Staff("00000000-0000-7000-8000-0000000000a1", "Manager Mina", Role.MANAGER, BRANCH_1)
CASHIER_PIN = "1111"
MANAGER_PIN = "9999"

TEST_CLUB = ClubDefinition(
    tiers=[
        Tier("bronze", "برنزی", "Bronze", 0, 0, 100),
        Tier("silver", "نقره‌ای", "Silver", 1, 1_000, 125),
        Tier("gold", "طلایی", "Gold", 2, 5_000, 150),
    ],
    branches=[
        # one point per 10,000 Toman; half the sale may be paid in points at 100 Toman a point
        Branch(BRANCH_1, "B1", "شعبه مرکزی", "Central", EarningRule(), RedemptionPolicy()),
        # double points, but only on sales of 500,000 Toman or more, at most 200 a sale
        Branch(
            BRANCH_2,
            "B2",
            "شعبه غرب",
            "West",
            EarningRule(2, 100_000, 5_000_000, 200, Rounding.FLOOR),
            RedemptionPolicy(1_000, 30),
        ),
    ],
    staff=[(CASHIER, CASHIER_PIN), (MANAGER, MANAGER_PIN)],
)


def make_club(data_dir: Path, branch_id: str = BRANCH_1) -> Terminal:
    """A terminal with the test club set up in data_dir, acting for branch_id."""
    db = Database.open(data_dir)
    install_club(db, TEST_CLUB, Device(DEVICE_1, "T1", branch_id, is_self=True))
    return open_terminal(data_dir, db=db)
