# SPDX-License-Identifier: GPL-3.0-or-later
"""Composition root: builds the adapters (store, terminal, card readers) and injects them into the window.

`python -m app` is the same as the `bashgah` command.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.cards.backends import make_backends
from app.services.terminal import open_terminal


def run_terminal(data_dir: Path, lang: str, reader: str) -> int:
    """The cashier window on the club in data_dir, reading cards from `reader` backends."""
    from app.ui.app import run_window

    terminal = open_terminal(data_dir)
    return run_window(terminal, make_backends(reader), lang)


def window_language(explicit: str | None) -> str:
    """Persian unless asked otherwise (--lang or BASHGAH_LANG): the product is Persian-first."""
    return explicit or os.environ.get("BASHGAH_LANG") or "fa"


if __name__ == "__main__":
    from app.cli import main

    raise SystemExit(main())
