# SPDX-License-Identifier: GPL-3.0-or-later
"""The status bar: readers, server, unsynced entries, staff and branch — always visible (DESIGN §6).

Reader states come from the card manager's snapshot (never from a reader call on the UI thread); the
unsynced count and branch name are read on the worker.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.cards.base import ReaderState
from app.store import club, ledger
from app.ui.context import UiContext
from app.ui.format import number

REFRESH_MS = 5_000


class StatusBarWidget(QStatusBar):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._unsynced: int | None = None  # unknown until the worker has read it: never show a guess
        self._branch = ("…", "…")
        self.readers_label = QLabel()
        self.server_label = QLabel()
        self.unsynced_label = QLabel()
        self.staff_label = QLabel()
        self.branch_label = QLabel()
        self.demo_label = QLabel()
        for label in (
            self.readers_label,
            self.server_label,
            self.unsynced_label,
            self.staff_label,
            self.branch_label,
        ):
            self.addPermanentWidget(label)
        self.addWidget(self.demo_label)
        ctx.session.staff_changed.connect(lambda _staff: self.retranslate())
        self._timer = QTimer(self, interval=REFRESH_MS, timeout=self.refresh)
        self._timer.start()
        self.refresh()

    def stop(self) -> None:
        self._timer.stop()

    def refresh(self) -> None:
        """Re-read the unsynced count and branch on the worker; readers from the manager's snapshot."""
        terminal = self._ctx.terminal

        def read() -> tuple[int, tuple[str, str]]:
            with terminal.db.read() as conn:
                branch = club.branch(conn, terminal.branch_id)
                return ledger.outbox_count(conn), (branch.name_fa, branch.name_en)

        self._ctx.tasks.run(read, self._on_read, lambda _error: None)

    def _on_read(self, values: tuple[int, tuple[str, str]]) -> None:
        self._unsynced, self._branch = values
        self.retranslate()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        lang = self._ctx.session.lang
        self.readers_label.setText(self._readers_text())
        self.server_label.setText(self.tr("Server: not enrolled (working offline)"))
        count = "…" if self._unsynced is None else number(self._unsynced, lang)
        self.unsynced_label.setText(self.tr("Unsynced: {count}").format(count=count))
        staff = self._ctx.session.staff
        self.staff_label.setText(
            self.tr("Staff: {name}").format(name=staff.name) if staff else self.tr("Nobody logged in")
        )
        self.branch_label.setText(
            self.tr("Branch: {name}").format(name=self._branch[0] if lang == "fa" else self._branch[1])
        )
        if self._ctx.simulated is not None:
            self.demo_label.setText(self.tr("Demo: F9 taps a member card, Shift+F9 a damaged one"))

    def _readers_text(self) -> str:
        manager = self._ctx.cards
        if manager is None:
            return self.tr("Readers: none")
        readers = manager.readers()
        ready = sum(1 for r in readers if r.state is not ReaderState.UNAVAILABLE)
        if not ready:
            return self.tr("Readers: none connected")
        return self.tr("Readers: {count} ready").format(count=number(ready, self._ctx.session.lang))
