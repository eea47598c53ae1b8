# SPDX-License-Identifier: GPL-3.0-or-later
"""The victim of the killed-till test: sells and syncs with a real club server until it is killed.

Run as `python killed_till_child.py DATA_DIR SEED MEMBER_ID...`. After a sale has returned (its COMMIT
done) it prints `done <entry id>...` in one flushed line; before and after each sync round it prints
`sync` / `synced`. The parent SIGKILLs it at random moments, so kills land inside sales, inside pushes
waiting for the server's answer, and while the answers or a pulled page are being written.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from app.domain.errors import ClubError
from app.services.checkout import SaleRequest, record_sale
from app.services.terminal import open_terminal
from sync.client import SyncClient

MAX_SECONDS = 30.0  # a child whose parent died must not run forever


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    data_dir, rng, member_ids = Path(argv[1]), random.Random(int(argv[2])), argv[3:]
    terminal = open_terminal(data_dir)
    client = SyncClient(terminal.db, clock=terminal.clock)
    deadline = time.monotonic() + MAX_SECONDS
    while time.monotonic() < deadline:
        if rng.random() < 0.3:
            _say("sync")
            client.sync_round()
            _say("synced")
            continue
        member = rng.choice(member_ids)
        try:
            result = record_sale(terminal, SaleRequest(member, rng.randrange(100_000, 9_000_000, 1_000)))
        except ClubError as error:
            _say(f"refused {error.code}")
            continue
        _say("done " + " ".join(result.entry_ids))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
