# SPDX-License-Identifier: GPL-3.0-or-later
"""The context every use case runs in: this terminal's store, device, branch, clock and ids."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from app.domain.errors import ClubError
from app.domain.ids import uuid7
from app.domain.ports import Clock, EntropySource
from app.store import start_up
from app.store.database import Database


class SystemClock:
    def now_us(self) -> int:
        return time.time_ns() // 1000


class OsEntropy:
    def random_bytes(self, n: int) -> bytes:
        return os.urandom(n)


@dataclass(frozen=True, slots=True)
class Terminal:
    db: Database
    device_id: str
    device_code: str
    branch_id: str
    clock: Clock
    entropy: EntropySource

    @property
    def data_dir(self) -> Path:
        return self.db.path.parent

    def new_id(self) -> str:
        """A fresh UUIDv7 made on this device."""
        return str(uuid7(self.clock.now_us() // 1000, self.entropy.random_bytes(10)))

    def at_branch(self, branch_id: str) -> Terminal:
        """The same terminal acting for another branch (a roaming device, or the demo's history)."""
        return Terminal(self.db, self.device_id, self.device_code, branch_id, self.clock, self.entropy)


def open_terminal(
    data_dir: Path,
    clock: Clock | None = None,
    entropy: EntropySource | None = None,
    db: Database | None = None,
) -> Terminal:
    """The terminal whose data lives in data_dir; refuses if no club was set up there yet."""
    db = db or Database.open(data_dir)
    with db.read_driver() as conn:  # no SQLAlchemy before the window's first frame (app.store.start_up)
        device = start_up.self_device(conn)
    if device is None:
        raise ClubError("club_not_set_up", data_dir=str(data_dir))
    return Terminal(
        db=db,
        device_id=device.id,
        device_code=device.code,
        branch_id=device.branch_id,
        clock=clock or SystemClock(),
        entropy=entropy or OsEntropy(),
    )
