# SPDX-License-Identifier: GPL-3.0-or-later
"""What every view is given: the terminal, the task runner, the session; nothing global."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.cards.manager import CardManager
from app.cards.simulated import SimulatedReader
from app.domain.staff import Staff
from app.services.terminal import Terminal
from app.ui.tasks import Tasks

if TYPE_CHECKING:  # sync.client (HTTP, wire models) is loaded only for an enrolled terminal
    from app.ui.sync_worker import SyncWorker


class Session(QObject):
    """Who is logged in and in which language the window speaks; views follow its signals."""

    staff_changed = Signal(object)  # Staff | None
    language_changed = Signal(str)  # "fa" | "en"

    def __init__(self, lang: str = "fa") -> None:
        super().__init__()
        self.staff: Staff | None = None
        self.lang = lang

    def log_in(self, staff: Staff) -> None:
        self.staff = staff
        self.staff_changed.emit(staff)

    def log_out(self) -> None:
        self.staff = None
        self.staff_changed.emit(None)

    def set_language(self, lang: str) -> None:
        if lang != self.lang:
            self.lang = lang
            self.language_changed.emit(lang)


@dataclass(frozen=True, slots=True)
class UiContext:
    terminal: Terminal
    tasks: Tasks
    session: Session
    cards: CardManager | None = None
    simulated: SimulatedReader | None = None  # the demo's reader, tapped from the keyboard
    sync: SyncWorker | None = None  # None: never enrolled with a club server (the demo), its own authority
