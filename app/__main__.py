# SPDX-License-Identifier: GPL-3.0-or-later
"""Composition root: builds the adapters (store, terminal, card readers, the sync client of an enrolled
terminal) and injects them into the window.

`python -m app` is the same as the `bashgah` command.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from app.cards.backends import make_backends
from app.services.terminal import Terminal, open_terminal
from app.store import sync_state

if TYPE_CHECKING:
    from sync.client import SyncClient

# Changes a page of the window's pull: the page is validated in one pydantic call that holds the GIL
# (~18 ms for 2,000 member changes), which the UI thread then waits out. With 500 the window stays
# within a frame while it catches up (bench: 10 ms timer lateness p95 17 -> 5 ms, max 34 -> 9 ms, while
# pulling 100,000 changes), at the price of that catch-up taking 6.3 s instead of 4.5. `bashgah enroll`
# and `bashgah sync` keep the protocol's default for speed.
WINDOW_PULL_LIMIT = 500


def run_terminal(data_dir: Path, lang: str, reader: str) -> int:
    """The cashier window on the club in data_dir, reading cards from `reader` backends. A folder that is
    neither the demo nor an enrolled terminal (or one whose enrolment stopped) gets the first-run setup
    first (app.ui.first_run), and the window follows it in the same event loop."""
    from app.services.first_run import needs_setup
    from app.ui.app import run_window

    if needs_setup(data_dir):
        from app.ui.app import RunningWindow, start_window
        from app.ui.first_run import run_first_run

        def open_window(terminal: Terminal, chosen: str) -> RunningWindow:
            backends = make_backends(reader)
            return start_window(terminal, backends, chosen, sync_client=sync_client_for(terminal))

        return run_first_run(data_dir, lambda: make_backends(reader), lang, open_window=open_window)
    terminal = open_terminal(data_dir)
    return run_window(terminal, make_backends(reader), lang, sync_client=sync_client_for(terminal))


def sync_client_for(terminal: Terminal) -> SyncClient | None:
    """The club server's client for an enrolled terminal; None for one that never enrolled (the demo),
    which stays its own authority and never loads the HTTP stack."""
    with terminal.db.read() as conn:
        if not sync_state.is_enrolled(conn):
            return None
    from sync.client import SyncClient

    return SyncClient(terminal.db, clock=terminal.clock, pull_limit=WINDOW_PULL_LIMIT)


def window_language(explicit: str | None) -> str:
    """Persian unless asked otherwise (--lang or BASHGAH_LANG): the product is Persian-first."""
    return explicit or os.environ.get("BASHGAH_LANG") or "fa"


if __name__ == "__main__":
    from app.cli import main

    raise SystemExit(main())
