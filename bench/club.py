# SPDX-License-Identifier: GPL-3.0-or-later
"""A one-branch club for the benchmarks, set up through the real use case (no staff: no PIN hashing)."""

from __future__ import annotations

from pathlib import Path

from app.domain.branch import Branch
from app.domain.tier import Tier
from app.services.setup import ClubDefinition, install_club
from app.services.terminal import Terminal, open_terminal
from app.store.club import Device
from app.store.database import Database

BRANCH_ID = "00000000-0000-7000-8000-00000000b001"
DEVICE_ID = "00000000-0000-7000-8000-00000000d001"
TIER_CODE = "bronze"
CARD_PREFIX = "9826"

BENCH_CLUB = ClubDefinition(
    tiers=[Tier(TIER_CODE, "برنزی", "Bronze", 0), Tier("gold", "طلایی", "Gold", 1, 5_000, 150)],
    branches=[Branch(BRANCH_ID, "B1", "شعبه مرکزی", "Central")],
    card_prefix=CARD_PREFIX,
)


def bench_terminal(data_dir: Path) -> Terminal:
    """A terminal with the bench club in data_dir, through Database.open (real schema and indexes)."""
    db = Database.open(data_dir)
    install_club(db, BENCH_CLUB, Device(DEVICE_ID, "T1", BRANCH_ID, is_self=True))
    return open_terminal(data_dir, db=db)
