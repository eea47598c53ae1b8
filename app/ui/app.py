# SPDX-License-Identifier: GPL-3.0-or-later
"""Starting the window: QApplication, fonts, language, the card manager feeding the bridge, the window.

Everything is built here and handed down; nothing global is reached from inside the views.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtWidgets import QApplication

from app.cards.base import ReaderBackend
from app.cards.manager import CardManager
from app.cards.simulated import SimulatedReader
from app.services.terminal import Terminal
from app.ui.bridges import CardBridge
from app.ui.context import Session, UiContext
from app.ui.i18n import Language, install_fonts
from app.ui.main_window import MainWindow
from app.ui.tasks import Tasks


@dataclass
class RunningWindow:
    app: QApplication
    window: MainWindow
    ctx: UiContext
    cards: CardManager
    language: Language

    def close(self) -> None:
        self.window.close()
        self.window.deleteLater()
        self.cards.stop()
        self.ctx.tasks.shutdown()
        self.language.apply("en")  # uninstall our translator: the next window in this process starts clean


def start_window(
    terminal: Terminal, backends: Sequence[ReaderBackend], lang: str = "fa", argv: Sequence[str] = ()
) -> RunningWindow:
    """Build and show the window; the caller runs the event loop (or a test drives it)."""
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("Bashgah")
    install_fonts(app)
    language = Language(app)
    language.apply(lang)
    session = Session(lang)
    bridge = CardBridge()
    cards = CardManager(list(backends), on_event=bridge.on_card_event)
    simulated = next((b for b in backends if isinstance(b, SimulatedReader)), None)
    ctx = UiContext(terminal=terminal, tasks=Tasks(), session=session, cards=cards, simulated=simulated)

    def switch_language(new: str) -> None:
        language.apply(new)
        session.set_language(new)

    window = MainWindow(ctx, bridge, switch_language)
    cards.start()
    window.show()
    return RunningWindow(app, window, ctx, cards, language)


def run_window(terminal: Terminal, backends: Sequence[ReaderBackend], lang: str = "fa") -> int:
    running = start_window(terminal, backends, lang)
    try:
        return running.app.exec()
    finally:
        running.close()
