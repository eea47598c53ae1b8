# SPDX-License-Identifier: GPL-3.0-or-later
"""The status bar: readers, server, unsynced entries, staff and branch — always visible (DESIGN §6).

What the person at the till needs whole — the server's state, what is unsynced, who is logged in — is
always said in full (plain labels, whose minimum is their whole text). The rest (the readers, the branch,
entries set aside, a clock behind, the demo's keys) folds to an icon, with its text in the tooltip, when
the bar has no room for everything: at 1024 px, or with long names in Persian (`_fit`, on every change of
text or width, folds them in `FOLD_ORDER` until what is left fits).

Reader states come from the card manager's snapshot (never from a reader call on the UI thread); the
branch name (and, for a terminal that never enrolled, the unsynced count) is read on the worker. An
enrolled terminal's server state, unsynced and set-aside counts come from the sync worker's signals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Slot
from PySide6.QtGui import (
    QColor,
    QIcon,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygonF,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QLabel, QLayout, QStatusBar, QStyle, QWidget

from app.cards.base import ReaderState
from app.format import datetime_text, name_isolated, number
from app.ui.context import UiContext
from app.ui.first_paint import after_first_paint
from app.ui.widgets.style import scaled_font

if TYPE_CHECKING:
    from sync.client import SyncStatus

REFRESH_MS = 5_000
FIRST_COUNT_UNPAINTED_MS = 300
STAFF_NAME_CHARS = 48  # "Seyyed Mohammad-Hossein Hosseini-Tabatabaei" (43) is said whole at 1024 px
STATUS_FONT_SCALE = 12 / 13  # 12 pt beside the window's 13
ICON_PX = 16  # a folded item: an icon the size of the bar's text
_LABEL_MARGIN = 6  # px either side of each item, so "Set aside: 1" and the next label never run on
_ICON_MARGIN = 3  # px either side of a folded item's icon (QStatusBar spaces its items 6 px apart too)
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
        # a point smaller than the screens above it, as a status bar is: room for a long name at 1024 px
        self.setFont(scaled_font(self.font(), STATUS_FONT_SCALE))
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        information = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        self.readers_label = FoldingLabel(_drawn_icon(_paint_card))
        self.server_label = QLabel()
        self.unsynced_label = QLabel()
        self.set_aside_label = FoldingLabel(warning)
        self.clock_label = FoldingLabel(warning)
        self.staff_label = QLabel()
        self.branch_label = FoldingLabel(_drawn_icon(_paint_shop))
        self.demo_label = FoldingLabel(information, may_vanish=True)
        for label in (self.set_aside_label, self.clock_label):
            label.setStyleSheet(ALARM_STYLE)
            label.hide()
        # what folds first: the demo's hint, then the readers, the branch, and the alarms last (their icon
        # still says something is wrong)
        self.fold_order = (
            self.demo_label, self.readers_label, self.branch_label, self.clock_label, self.set_aside_label,
        )  # fmt: skip
        for label in (
            self.readers_label,
            self.server_label,
            self.unsynced_label,
            self.set_aside_label,
            self.clock_label,
            self.staff_label,
            self.branch_label,
        ):
            label.setContentsMargins(_LABEL_MARGIN, 0, _LABEL_MARGIN, 0)
            self.addPermanentWidget(label)
        self.demo_label.setContentsMargins(_LABEL_MARGIN, 0, _LABEL_MARGIN, 0)
        self.addWidget(self.demo_label)
        ctx.session.staff_changed.connect(lambda _staff: self.retranslate())
        if ctx.sync is not None:
            ctx.sync.status_changed.connect(self.on_sync_status_changed)
            ctx.sync.stopped.connect(self.on_sync_stopped)
        self._timer = QTimer(self, interval=REFRESH_MS, timeout=self.refresh)
        self._timer.start()
        self.retranslate()  # "…" where a count is still being read: never a guess
        # counted once the bar is on screen: the worker's read (and its import of the ledger's module)
        # shared the interpreter with the window's start and held back its first frame. A bar never
        # painted counts anyway, a moment later.
        self.counted_once = False  # the first count has come back (tests wait for it)
        after_first_paint(self, self.refresh, at_the_latest_ms=FIRST_COUNT_UNPAINTED_MS)

    def stop(self) -> None:
        self._timer.stop()

    def refresh(self) -> None:
        """Re-read the unsynced count and branch on the worker; readers from the manager's snapshot."""
        terminal = self._ctx.terminal

        def read() -> tuple[int, tuple[str, str]]:
            from app.store import club, ledger  # on the worker, after the first frame: not needed before

            with terminal.db.read() as conn:
                branch = club.branch(conn, terminal.branch_id)
                return ledger.outbox_count(conn), (branch.name_fa, branch.name_en)

        self._ctx.tasks.run(read, self._on_read, lambda _error: None)

    def _on_read(self, values: tuple[int, tuple[str, str]]) -> None:
        self._unsynced, self._branch = values
        self.counted_once = True
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
        # isolated: a Latin name in Persian text (or the reverse) keeps its neighbours on their side
        staff_text = self.tr("Staff: {name}").format(name=name_isolated(staff.name)) if staff else None
        self.staff_label.setText(
            self.tr("Staff: {name}").format(name=name_isolated(_shortened(staff.name)))
            if staff
            else self.tr("Nobody logged in")
        )
        branch = self._branch[0] if lang == "fa" else self._branch[1]
        self.branch_label.setText(self.tr("Branch: {name}").format(name=name_isolated(branch)))
        for label in (self.readers_label, self.staff_label, self.branch_label):
            label.setToolTip(label.text())  # the whole text, folded or not
        if staff_text is not None:
            self.staff_label.setToolTip(staff_text)  # the whole name, however long
        if self._ctx.simulated is not None:
            self.demo_label.setText(self.tr("Demo: F9 taps a member card, Shift+F9 a damaged one"))
            self.demo_label.setToolTip(self.demo_label.text())
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._fit()  # shown, the labels are polished: the alarms' style sheet made them bold, and wider

    def _fit(self) -> None:
        """Say everything if it fits; else fold items to icons, in `fold_order`, until the rest does; the
        demo's hint goes altogether if even that is too wide."""
        layout = self.layout()
        if layout is None:
            return
        self.demo_label.setVisible(self._ctx.simulated is not None)
        for label in self.fold_order:
            label.set_folded(False)
        for label in self.fold_order:
            if self._wanted_width(layout) <= self.width():
                return
            if label.isVisibleTo(self):
                label.set_folded(True)
        if self._wanted_width(layout) > self.width():
            self.demo_label.hide()

    @staticmethod
    def _wanted_width(layout: QLayout) -> int:
        """The width the bar's items ask for as they are now. Activating the layout first: QStatusBar
        nests its row in other layouts, and a new text invalidates only the outer one (the row would
        answer from its cache); activating recomputes them all."""
        layout.activate()
        return layout.sizeHint().width()

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
        self.server_label.setToolTip("\n".join(t for t in (text, self.refusal_text(), why) if t))
        self._show_unsynced(status.unsynced if status else None, synced=bool(status and status.synced))
        rejected = status.rejected if status else 0
        self.set_aside_label.setText(
            self.tr("Set aside: {count}").format(count=number(rejected, lang)) if rejected else ""
        )
        why = self.tr("Entries the club server rejected or holds differently: the club office reviews them.")
        self.set_aside_label.setToolTip(f"{self.set_aside_label.text()}\n{why}" if rejected else why)
        self.set_aside_label.setVisible(rejected > 0)
        behind = bool(status and status.clock_behind)
        self.clock_label.setText(self.tr("Clock behind") if behind else "")
        why = self.tr("This terminal's clock is behind the club server's: points cannot be spent offline.")
        self.clock_label.setToolTip(f"{self.clock_label.text()}\n{why}" if behind else why)
        self.clock_label.setVisible(behind)

    def server_text(self) -> str:
        """What the server label says for an enrolled terminal (tests read it)."""
        # short: it is always said whole, beside who is logged in, on a 1024 px screen; the tooltip says more
        if self._refusal == "device_revoked":
            return self.tr("Server: revoked by the club (offline)")
        if self._refusal is not None:
            return self.tr("Server: not enrolled there (offline)")
        status = self._sync
        if status is None or status.online is None:
            return self.tr("Server: connecting…")
        if status.online:
            return self.tr("Server: online")
        if status.last_sync_us is None:
            return self.tr("Server: offline (never synced)")
        when = datetime_text(status.last_sync_us, self._ctx.session.lang)
        return self.tr("Server: offline since {time}").format(time=when)

    def refusal_text(self) -> str:
        """Why the server refuses this terminal, in a sentence (the server label's tooltip); else ""."""
        if self._refusal == "device_revoked":
            return self.tr("Server: this terminal was revoked by the club (working offline)")
        if self._refusal is not None:
            return self.tr("Server: this terminal is not enrolled on the server (working offline)")
        return ""

    def _readers_text(self) -> str:
        manager = self._ctx.cards
        if manager is None:
            return self.tr("Readers: none")
        readers = manager.readers()
        ready = sum(1 for r in readers if r.state is not ReaderState.UNAVAILABLE)
        if not ready:
            return self.tr("Readers: none connected")
        return self.tr("Readers: {count} ready").format(count=number(ready, self._ctx.session.lang))


def _shortened(name: str) -> str:
    """A staff name short enough to be said whole beside the rest at 1024 px (the bar never folds who is
    logged in): a name of up to STAFF_NAME_CHARS characters as it is, a longer one cut with an ellipsis
    (a name may have 120; the tooltip says it whole)."""
    if len(name) <= STAFF_NAME_CHARS:
        return name
    return name[: STAFF_NAME_CHARS - 1].rstrip() + "…"


class FoldingLabel(QLabel):
    """A status item that says its text where there is room and shows only its icon where there is not.
    Its text stays set (`text()`, for tests and screen readers) and its tooltip holds it whole."""

    def __init__(self, icon: QIcon, parent: QWidget | None = None, *, may_vanish: bool = False) -> None:
        super().__init__(parent)
        self._icon = icon
        self._folded = False
        self._may_vanish = may_vanish  # the bar may hide it altogether: it holds the window no wider

    def is_folded(self) -> bool:
        return self._folded

    def set_folded(self, folded: bool) -> None:
        if folded != self._folded:
            self._folded = folded
            self.updateGeometry()
            self.update()

    def _icon_size(self) -> QSize:
        return QSize(ICON_PX + 2 * _ICON_MARGIN, ICON_PX)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return self._icon_size() if self._folded else super().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        # never more than the icon: the bar, and so the window, must be able to get narrow enough for
        # `_fit` to fold it (a minimum of the whole text would keep the window wider than a 1024 px screen)
        return QSize(0, ICON_PX) if self._may_vanish else self._icon_size()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        if not self._folded:
            super().paintEvent(event)
            return
        painter = QPainter(self)
        self._icon.paint(painter, self.rect(), Qt.AlignmentFlag.AlignCenter)
        painter.end()


def _drawn_icon(paint: Callable[[QPainter], None]) -> QIcon:
    """An icon drawn at twice its size (sharp on a high-density screen), in the bar's grey-blue."""
    pixmap = QPixmap(2 * ICON_PX, 2 * ICON_PX)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(QColor("#37474F"), 2.5)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    paint(painter)
    painter.end()
    return QIcon(pixmap)


def _paint_card(painter: QPainter) -> None:
    """A card with contactless waves: the readers."""
    painter.drawRoundedRect(QRectF(2, 9, 18, 14), 2.5, 2.5)
    for radius in (5.0, 9.0):
        painter.drawArc(QRectF(20 - radius, 16 - radius, 2 * radius, 2 * radius), -50 * 16, 100 * 16)


def _paint_shop(painter: QPainter) -> None:
    """A shop front: the branch."""
    painter.drawPolyline(QPolygonF([QPointF(3, 13), QPointF(16, 4), QPointF(29, 13)]))
    painter.drawRect(QRectF(6, 13, 20, 15))
    painter.drawRect(QRectF(13, 19, 6, 9))
