# SPDX-License-Identifier: GPL-3.0-or-later
"""The victim of the crash test: records sales, redemptions and returns until it is killed.

Run as `python crash_child.py DATA_DIR SEED MEMBER_ID...`. Before each use case it prints
`begin <kind> <entry id>`; after the use case has returned (so after its COMMIT) it prints
`done <kind> <invoice> <entry id>...`. A line is written and flushed in one go, so the parent counts a
sale as reported only when its whole `done` line arrived. The parent kills this process with SIGKILL at
a random moment; it never exits on its own unless something is wrong (or the parent went away).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

# Only what the loop needs: the parent restarts this process hundreds of times, so start-up time is most
# of the test's run time. The store is opened without the migration check (Database(...) rather than
# Database.open) because that pulls in Alembic; the parent opens it the full way after every kill.
from app.domain.errors import ClubError
from app.services.checkout import SaleRequest, record_sale
from app.services.returns import ReturnRequest, return_sale
from app.services.terminal import Terminal, open_terminal
from app.store import ledger
from app.store.database import DB_FILENAME, Database

# A safety net: a child whose parent died must not run forever.
MAX_SECONDS = 30.0
REDEEM_RIALS_PER_POINT = 1_000  # the test club's branch 1 redemption policy
REDEEM_MAX_SHARE_PERCENT = 50


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Victim:
    """One child run: its terminal, the members it sells to, and what it sold so far."""

    def __init__(self, terminal: Terminal, rng: random.Random, member_ids: list[str]) -> None:
        self.terminal = terminal
        self.rng = rng
        self.member_ids = member_ids
        with terminal.db.read() as conn:
            self.points = {m: ledger.balance(conn, m).points for m in member_ids}
        self.invoices: list[str] = []

    def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.15 and self.invoices:
            self.give_back()
        else:
            self.sell(redeem=roll < 0.45)

    def sell(self, redeem: bool) -> None:
        member = self.rng.choice(self.member_ids)
        amount = self.rng.randrange(10_000, 20_000_000, 1_000)
        allowed = min(self.points[member], amount * REDEEM_MAX_SHARE_PERCENT // 100 // REDEEM_RIALS_PER_POINT)
        points = self.rng.randint(1, allowed) if redeem and allowed > 0 else 0
        sale_id = self.terminal.new_id()
        _say(f"begin sale {sale_id} {points}")
        result = record_sale(self.terminal, SaleRequest(member, amount, points, entry_id=sale_id))
        _say(f"done sale {result.invoice_ref} {' '.join(result.entry_ids)}")
        self.points[member] = result.balance.points
        self.invoices.append(result.invoice_ref)

    def give_back(self) -> None:
        invoice = self.rng.choice(self.invoices)
        partial = self.rng.random() < 0.5
        return_id = self.terminal.new_id()
        _say(f"begin return {return_id}")
        try:
            # a partial return of a small amount; None returns whatever is left
            amount = self.rng.randrange(1_000, 100_000, 1_000) if partial else None
            result = return_sale(self.terminal, ReturnRequest(invoice, amount, entry_id=return_id))
        except ClubError as error:
            # already fully returned, or more than is left: refused, nothing written
            _say(f"refused return {return_id} {error.code}")
            self.invoices.remove(invoice)
            return
        _say(f"done return {result.invoice_ref} {' '.join(result.entry_ids)}")
        self.points[result.member_id] = result.balance.points


def main(argv: list[str]) -> int:
    data_dir, seed, member_ids = Path(argv[1]), int(argv[2]), argv[3:]
    terminal = open_terminal(data_dir, db=Database(data_dir / DB_FILENAME))
    victim = Victim(terminal, random.Random(seed), member_ids)
    deadline = time.monotonic() + MAX_SECONDS
    while time.monotonic() < deadline:
        victim.step()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
