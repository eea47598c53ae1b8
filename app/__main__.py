# SPDX-License-Identifier: GPL-3.0-or-later
"""Composition root: builds the adapters (store, terminal, card readers, the sync client of an enrolled
terminal) and injects them into the window.

`python -m app` is the same as the `bashgah` command.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.cards.backends import make_backends
from app.services.terminal import Terminal, open_terminal
from app.store import start_up

if TYPE_CHECKING:
    from app.cards.base import ReaderBackend
    from app.services.chip_keys import ChipKeys
    from sync.client import SyncClient

# Changes a page of the window's pull: the page is validated in one pydantic call that holds the GIL,
# which the UI thread then waits out. Pages of 500 kept the window within a frame while it pulled
# 100,000 member changes (bench.sync_ui: 10 ms timer lateness p95 17 -> 5 ms), but not while a terminal
# back from a month offline pulled the branches' entries (bench.soak, pull phase: p95 19-30 ms, max 38 ms);
# pages of 100 did (p95 11 ms, max 29 ms) for a catch-up of 9.6 s instead of 6 s, in the background.
# `bashgah enroll` and `bashgah sync` keep the protocol's pages for speed.
WINDOW_PULL_LIMIT = 100


def run_terminal(data_dir: Path, lang: str, reader: str, kiosk: bool = False) -> int:
    """The cashier window on the club in data_dir, reading cards from `reader` backends. A folder that is
    neither the demo nor an enrolled terminal (or one whose enrolment stopped) gets the first-run setup
    first (app.ui.first_run), and the window follows it in the same event loop. `kiosk`: the window is
    full screen with no frame, and only a manager's PIN closes it (the first-run setup stays a window: an
    engineer runs it)."""
    from app.services.first_run import needs_setup
    from app.ui.app import run_window

    if needs_setup(data_dir):
        from app.ui.app import RunningWindow, start_window
        from app.ui.first_run import run_first_run

        def open_window(terminal: Terminal, chosen: str) -> RunningWindow:
            backends, make_client = _readers_and_sync(terminal, reader)
            return start_window(terminal, backends, chosen, make_sync_client=make_client, kiosk=kiosk)

        return run_first_run(data_dir, lambda: make_backends(reader), lang, open_window=open_window)
    terminal = open_terminal(data_dir)
    backends, make_client = _readers_and_sync(terminal, reader)
    return run_window(terminal, backends, lang, make_sync_client=make_client, kiosk=kiosk)


def _readers_and_sync(
    terminal: Terminal, reader: str
) -> tuple[list[ReaderBackend], Callable[[], SyncClient] | None]:
    """The card readers and what builds the sync client. The demo is told apart on the driver and loads
    neither the chip keys' store nor the HTTP stack; an enrolled till's chip keys and sync client are built
    after the window's first frame, on the sync worker's thread (or at the first chip card's tap, if that
    comes first): together they cost its cold start ~0.8 s."""
    if not _is_enrolled(terminal):
        return make_backends(reader), None
    from app.cards.ntag424.reading import ChipReading

    chip = _ChipKeysWhenNeeded(terminal)
    backends = make_backends(reader, chip=ChipReading(card_key_for=chip.card_key_for))
    return backends, lambda: _sync_client(terminal, chip.get())


class _ChipKeysWhenNeeded:
    """An enrolled till's chip keys, read when first needed, on the thread that needs them (any)."""

    def __init__(self, terminal: Terminal) -> None:
        self._terminal = terminal
        self._keys: ChipKeys | None = None
        self._lock = threading.Lock()

    def get(self) -> ChipKeys:
        with self._lock:
            if self._keys is None:
                from app.services.chip_keys import ChipKeys

                self._keys = ChipKeys.for_terminal(self._terminal)
            return self._keys

    def card_key_for(self, ndef_message: bytes, uid: bytes) -> bytes | None:
        return self.get().card_key_for(ndef_message, uid)


def _is_enrolled(terminal: Terminal) -> bool:
    with terminal.db.read_driver() as conn:
        return start_up.is_enrolled(conn)


def sync_client_for(terminal: Terminal, chip: ChipKeys | None = None) -> SyncClient | None:
    """The club server's client for an enrolled terminal; None for one that never enrolled (the demo),
    which stays its own authority and never loads the HTTP stack. The chip keys it fetches reach the
    card reader through `chip`."""
    return _sync_client(terminal, chip) if _is_enrolled(terminal) else None


def _sync_client(terminal: Terminal, chip: ChipKeys | None) -> SyncClient:
    from sync.client import SyncClient

    client = SyncClient(terminal.db, clock=terminal.clock, pull_limit=WINDOW_PULL_LIMIT)
    if chip is not None:
        client.on_chip_keys = chip.reload
    return client


def window_language(explicit: str | None) -> str:
    """Persian unless asked otherwise (--lang or BASHGAH_LANG): the product is Persian-first."""
    return explicit or os.environ.get("BASHGAH_LANG") or "fa"


if __name__ == "__main__":
    from app.cli import main

    raise SystemExit(main())
