# SPDX-License-Identifier: GPL-3.0-or-later
"""Starting the window: QApplication, fonts, language, the card manager feeding the bridge, the sync
worker of an enrolled terminal, the window.

Everything is built here and handed down; nothing global is reached from inside the views. The sync
client comes from the composition root (app/__main__.py) only when the terminal is enrolled, so the demo
never loads the HTTP stack.
"""

from __future__ import annotations

import gc
import importlib.resources
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app.cards.base import ReaderBackend
from app.cards.manager import CardManager
from app.cards.simulated import SimulatedReader
from app.services.terminal import Terminal
from app.ui.bridges import CardBridge
from app.ui.context import Session, UiContext
from app.ui.i18n import Language, install_fonts
from app.ui.main_window import MainWindow
from app.ui.scanner import ScannerKeys
from app.ui.tasks import Tasks

if TYPE_CHECKING:
    from app.ui.sync_worker import SyncWorker
    from sync.client import SyncClient

SYNC_START_LATEST_MS = 3_000  # the first round starts by then even if the window was never painted

@dataclass
class RunningWindow:
    app: QApplication
    window: MainWindow
    ctx: UiContext
    cards: CardManager
    language: Language
    scanner: ScannerKeys

    @property
    def sync(self) -> SyncWorker | None:
        return self.ctx.sync

    def close(self) -> None:
        self.scanner.flush()
        self.app.removeEventFilter(self.scanner)
        self.window.approve_close()  # the process is ending (a kiosk's manager PIN was given, or a test ends)
        self.window.close()
        self.window.deleteLater()
        if self.ctx.sync is not None:
            self.ctx.sync.stop()  # joined: no sync thread outlives the window
        self.cards.stop()
        self.ctx.tasks.shutdown()
        self.language.apply("en")  # uninstall our translator: the next window in this process starts clean


def start_window(
    terminal: Terminal,
    backends: Sequence[ReaderBackend],
    lang: str = "fa",
    argv: Sequence[str] = (),
    *,
    sync_client: SyncClient | None = None,
    sync_interval_s: float | None = None,
    kiosk: bool = False,
    make_sync_client: Callable[[], SyncClient] | None = None,
) -> RunningWindow:
    """Build and show the window; the caller runs the event loop (or a test drives it).

    `sync_client`: the enrolled terminal's; its worker starts once the window shows (`make_sync_client`
    instead: built on the worker's thread at its first round, after the first frame). `kiosk`: full screen,
    no frame, closed only with a manager's PIN (MainWindow.enter_kiosk).
    """
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("Bashgah")
    app.setWindowIcon(QIcon(str(importlib.resources.files("app.resources") / "icons" / "bashgah-256.png")))
    install_fonts(app)
    language = Language(app)
    language.apply(lang)
    session = Session(lang)
    bridge = CardBridge()
    cards = CardManager(list(backends), on_event=bridge.on_card_event)
    simulated = next((b for b in backends if isinstance(b, SimulatedReader)), None)
    sync = _sync_worker(sync_client, make_sync_client, sync_interval_s)
    ctx = UiContext(
        terminal=terminal, tasks=Tasks(), session=session, cards=cards, simulated=simulated, sync=sync
    )

    def switch_language(new: str) -> None:
        language.apply(new)
        session.set_language(new)

    window = MainWindow(ctx, bridge, switch_language)
    scanner = ScannerKeys(parent=window)
    scanner.scanned.connect(window.on_qr_scanned)
    app.installEventFilter(scanner)  # a scanner's QR opens the member from any screen
    cards.start()
    if kiosk:
        window.enter_kiosk()
    else:
        window.show()
    if sync is not None:
        # the first round waits for the till's views, built just after the first frame: a push beside
        # that build held the UI thread past a frame (soak bench: one tick 43 ms late at the catch-up's
        # start) and slowed the login screen. A window never painted (started minimised) syncs anyway.
        window.after_till_built(sync.start)
        QTimer.singleShot(SYNC_START_LATEST_MS, sync, sync.start)
    return RunningWindow(app, window, ctx, cards, language, scanner)


def _sync_worker(
    client: SyncClient | None, make_client: Callable[[], SyncClient] | None, interval_s: float | None
) -> SyncWorker | None:
    if client is None and make_client is None:
        return None
    from app.ui.sync_worker import DEFAULT_INTERVAL_S, SyncWorker

    interval = DEFAULT_INTERVAL_S if interval_s is None else interval_s
    return SyncWorker(client, make_client=make_client, interval_s=interval)


def settle_heap() -> None:
    """Keep what start-up built out of the cyclic collector's full passes.

    The window, Qt's wrappers and the imported modules live as long as the process; walking them in
    every full collection paused the UI thread for up to ~100 ms while a pull allocated (bench: timer
    lateness during a 100,000-change pull, max 102 ms without this, ~20 ms with it). Only for the real
    run: tests build many windows in one process and must get theirs collected.
    """
    gc.collect()
    gc.freeze()


def run_window(
    terminal: Terminal,
    backends: Sequence[ReaderBackend],
    lang: str = "fa",
    *,
    sync_client: SyncClient | None = None,
    kiosk: bool = False,
    make_sync_client: Callable[[], SyncClient] | None = None,
) -> int:
    from app.ui.crash import watch_crashes

    running = start_window(
        terminal, backends, lang, sync_client=sync_client, kiosk=kiosk, make_sync_client=make_sync_client
    )
    watch_crashes(running.window)  # a child of the window: lives as long as it
    settle_heap()
    # and again once what the first frame did not wait for is in: the store (imported with the till's
    # views) and an enrolled till's sync client (built on its thread)
    running.window.after_till_built(settle_heap)
    if running.sync is not None:
        running.sync.client_built.connect(settle_heap)
    try:
        return running.app.exec()
    finally:
        running.close()
