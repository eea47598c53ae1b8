# SPDX-License-Identifier: GPL-3.0-or-later
"""The status bar: readers, server, unsynced entries, staff and branch — always visible (DESIGN §6).

Reader states come from the card manager's snapshot (never from a reader call on the UI thread); the
branch name (and, for a terminal that never enrolled, the unsynced count) is read on the worker. An
enrolled terminal's server state, unsynced and set-aside counts come from the sync worker's signals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QTimer, Slot
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.cards.base import ReaderState
from app.format import datetime_text, number
from app.store import club, ledger
from app.ui.context import UiContext

if TYPE_CHECKING:
    from sync.client import SyncStatus

REFRESH_MS = 5_000
# px: when everything is to be said, these give way (their tooltips stay whole) before the window grows
SERVER_MIN_WIDTH = 160
NAME_MIN_WIDTH = 110
ALARM_STYLE = "QLabel { color: #B00020; font-weight: bold; }"
GOOD_STYLE = "QLabel { color: #1B7F3B; }"


class StatusBarWidget(QStatusBar):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._unsynced: int | None = None  # unknown until the worker has read it: never show a guess
        self._branch = ("…", "…")
        self._sync: SyncStatus | None = None  # the sync worker's last word (enrolled terminals)
        self._refusal: str | None = None  # the server's reason for refusing this terminal, once it has
        self.readers_label = QLabel()
        self.server_label = QLabel()
        self.unsynced_label = QLabel()
        self.set_aside_label = QLabel()
        self.clock_label = QLabel()
        self.staff_label = QLabel()
        self.branch_label = QLabel()
        self.demo_label = QLabel()
        for label in (self.set_aside_label, self.clock_label):
            label.setStyleSheet(ALARM_STYLE)
            label.hide()
        self.server_label.setMinimumWidth(SERVER_MIN_WIDTH)
        for label in (self.staff_label, self.branch_label):
            label.setMinimumWidth(NAME_MIN_WIDTH)
        for label in (
            self.readers_label,
            self.server_label,
            self.unsynced_label,
            self.set_aside_label,
            self.clock_label,
            self.staff_label,
            self.branch_label,
        ):
            label.setContentsMargins(6, 0, 6, 0)  # apart, so "Set aside: 1" and the next label never run on
            self.addPermanentWidget(label)
        # the demo's hint gives way first: the server, staff and branch matter more to the person at the till
        self.demo_label.setMinimumWidth(1)
        self.addWidget(self.demo_label)
        ctx.session.staff_changed.connect(lambda _staff: self.retranslate())
        if ctx.sync is not None:
            ctx.sync.status_changed.connect(self.on_sync_status_changed)
            ctx.sync.stopped.connect(self.on_sync_stopped)
        self._timer = QTimer(self, interval=REFRESH_MS, timeout=self.refresh)
        self._timer.start()
        self.retranslate()  # "…" where a count is still being read: never a guess
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

    @Slot(object)
    def on_sync_status_changed(self, status: SyncStatus) -> None:
        self._sync = status
        self.retranslate()

    @Slot(str)
    def on_sync_stopped(self, code: str) -> None:
        self._refusal = code
        self.retranslate()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        lang = self._ctx.session.lang
        self.readers_label.setText(self._readers_text())
        if self._ctx.sync is None:
            self.server_label.setText(self.tr("Server: not enrolled"))
            self.server_label.setToolTip(
                self.tr("This terminal is not enrolled with a club server: it works on its own, offline.")
            )
            self._show_unsynced(self._unsynced, synced=False)
        else:
            self._show_sync()
        staff = self._ctx.session.staff
        self.staff_label.setText(
            self.tr("Staff: {name}").format(name=staff.name) if staff else self.tr("Nobody logged in")
        )
        self.branch_label.setText(
            self.tr("Branch: {name}").format(name=self._branch[0] if lang == "fa" else self._branch[1])
        )
        for label in (self.staff_label, self.branch_label):
            label.setToolTip(label.text())  # whole, should the bar be too narrow for it
        if self._ctx.simulated is not None:
            self.demo_label.setText(self.tr("Demo: F9 taps a member card, Shift+F9 a damaged one"))
            self.demo_label.setToolTip(self.demo_label.text())

    def _show_unsynced(self, count: int | None, synced: bool) -> None:
        lang = self._ctx.session.lang
        if synced:
            self.unsynced_label.setText(self.tr("Synced"))
        else:
            shown = "…" if count is None else number(count, lang)
            self.unsynced_label.setText(self.tr("Unsynced: {count}").format(count=shown))
        self.unsynced_label.setStyleSheet(GOOD_STYLE if synced else "")

    def _show_sync(self) -> None:
        """An enrolled terminal: where the server stands, what waits, what was set aside."""
        status, lang = self._sync, self._ctx.session.lang
        text = self.server_text()
        self.server_label.setText(text)
        self.server_label.setStyleSheet(ALARM_STYLE if self._refusal else "")
        # the client keeps its last error after later rounds succeed: it explains only an offline state
        offline = status is not None and status.online is False
        why = (status.last_error or "") if offline else ""
        self.server_label.setToolTip("\n".join(t for t in (text, why) if t))
        self._show_unsynced(status.unsynced if status else None, synced=bool(status and status.synced))
        rejected = status.rejected if status else 0
        self.set_aside_label.setText(
            self.tr("Set aside: {count}").format(count=number(rejected, lang)) if rejected else ""
        )
        self.set_aside_label.setToolTip(
            self.tr("Entries the club server rejected or holds differently: the club office reviews them.")
        )
        self.set_aside_label.setVisible(rejected > 0)
        behind = bool(status and status.clock_behind)
        self.clock_label.setText(self.tr("Clock behind") if behind else "")
        self.clock_label.setToolTip(
            self.tr("This terminal's clock is behind the club server's: points cannot be spent offline.")
        )
        self.clock_label.setVisible(behind)

    def server_text(self) -> str:
        """What the server label says for an enrolled terminal (tests read it)."""
        if self._refusal == "device_revoked":
            return self.tr("Server: this terminal was revoked by the club (working offline)")
        if self._refusal is not None:
            return self.tr("Server: this terminal is not enrolled on the server (working offline)")
        status = self._sync
        if status is None or status.online is None:
            return self.tr("Server: connecting…")
        if status.online:
            return self.tr("Server: online")
        if status.last_sync_us is None:
            return self.tr("Server: offline (never synced)")
        when = datetime_text(status.last_sync_us, self._ctx.session.lang)
        return self.tr("Server: offline (last sync {time})").format(time=when)

    def _readers_text(self) -> str:
        manager = self._ctx.cards
        if manager is None:
            return self.tr("Readers: none")
        readers = manager.readers()
        ready = sum(1 for r in readers if r.state is not ReaderState.UNAVAILABLE)
        if not ready:
            return self.tr("Readers: none connected")
        return self.tr("Readers: {count} ready").format(count=number(ready, self._ctx.session.lang))
