# SPDX-License-Identifier: GPL-3.0-or-later
"""The branch's day report on screen (a manager's, from F8's tools): today's figures for the branch and
each staff member, read from this terminal's ledger on the worker, drawn from the same content and rich
text as the report's PDF (app.receipts.day_report, app.ui.receipt_pdf). Esc or Close closes it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from app.domain.staff import Role
from app.receipts.day_report import build_day_report
from app.services.day_report import BranchDay, branch_day_report
from app.ui.context import UiContext
from app.ui.messages import club_error_text
from app.ui.receipt_pdf import day_report_html
from app.ui.widgets.style import TOUCH_HEIGHT

MAY_SEE = (Role.MANAGER, Role.ADMIN)


class DayReportDialog(QDialog):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.day: BranchDay | None = None
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.body = QTextBrowser()
        self.body.setMinimumSize(460, 560)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setMinimumHeight(TOUCH_HEIGHT)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message_label)
        layout.addWidget(self.body)
        layout.addWidget(self.buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        ctx.session.language_changed.connect(self.on_language_changed)
        self.retranslate()
        staff = ctx.session.staff
        if staff is None or staff.role not in MAY_SEE:
            self.message_label.setText(self.tr("Only a manager can see the branch's day report."))
            return
        terminal = ctx.terminal
        ctx.tasks.run(lambda: branch_day_report(terminal), self.on_loaded, self.on_failed)

    def on_language_changed(self, _lang: str) -> None:
        self._show()

    def on_loaded(self, day: BranchDay) -> None:
        self.day = day
        self.message_label.clear()
        self._show()

    def on_failed(self, error: BaseException) -> None:
        self.message_label.setText(club_error_text(error, self.ctx.session.lang))

    def _show(self) -> None:
        if self.day is not None:
            self.body.setHtml(day_report_html(build_day_report(self.day, self.ctx.session.lang)))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Branch day report"))
        self._show()
