# SPDX-License-Identifier: GPL-3.0-or-later
"""Leaving the kiosk (`bashgah --kiosk`): the manager dialogs' approval form (who approves, their PIN),
with no reason to give; `app.services.kiosk` checks the PIN and the role and records who closed it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QFormLayout, QWidget

from app.domain.staff import Action
from app.services.kiosk import approve_kiosk_exit
from app.ui.context import UiContext
from app.ui.dialogs.manager import _ActionDialog
from app.ui.views.checkout import directed

# the approval form prefers an approver who may do this: managing staff is the manager's and admin's
_PREFERRED = Action.MANAGE_STAFF


class KioskExitDialog(_ActionDialog):
    exit_approved = Signal(object)  # the manager's Staff; the window then closes

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, None, _PREFERRED, parent)
        self._waiting = False  # Enter came before the staff list: submit once it is in
        self._layout()
        form = self.approval.layout()
        if isinstance(form, QFormLayout):
            form.setRowVisible(self.approval.reason_edit, False)  # nothing to explain: the audit keeps who
        self.retranslate()
        self.approval.pin_edit.setFocus()

    def submit(self) -> None:
        approver, pin = self.approval.approver, self.approval.pin_edit.text()
        if self._busy:
            return
        if approver is None:  # the staff list is still being read: Enter counts once it is in
            if not self._waiting:
                self._waiting = True
                self.approval.approver_changed.connect(self._submit_once_loaded)
            return
        terminal = self.ctx.terminal
        self._set_busy(True)
        self.ctx.tasks.run(
            lambda: approve_kiosk_exit(terminal, approver.id, pin), self.on_approved, self._refused
        )

    def _submit_once_loaded(self) -> None:
        self._waiting = False
        self.approval.approver_changed.disconnect(self._submit_once_loaded)
        if self.approval.approver is not None:
            self.submit()

    def on_approved(self, manager: object) -> None:
        self._set_busy(False)
        self.approval.pin_edit.clear()
        QDialog.accept(self)
        self.exit_approved.emit(manager)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Close the terminal"))
        self.intro_label.setText(
            directed(self.tr("A manager closes this terminal with their PIN."), self.ctx.session.lang)
        )
        self.ok_button.setText(self.tr("Close the terminal (Enter)"))
        self.cancel_button.setText(self.tr("Cancel (Esc)"))
