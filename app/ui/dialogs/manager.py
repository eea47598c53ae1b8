# SPDX-License-Identifier: GPL-3.0-or-later
"""Manager actions on the member shown: reverse one of their entries, adjust their points, or let a sale
spend beyond what the terminal may allow offline (an override); at the event door, undo an admission.

Each action names who approves it and takes that person's PIN again: the PIN is checked by
`staff_auth.authenticate` and the action by its use case, which refuses a role that may not do it (a
cashier typing their own PIN is refused by `reverse_entry` / `adjust_points`, not by a hidden button).
Both run on the worker with a request id made when the dialog opens, so a second Enter cannot write twice.
Enter confirms, Esc cancels; after a success Enter closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import ClubError
from app.domain.ledger import MAX_REASON_LENGTH, EntryKind, clean_reason
from app.domain.staff import Action, Role, Staff
from app.format import datetime_text, isolated, number, points_text, toman_text
from app.services.adjust import ADJUST_LIMITS, AdjustResult, adjust_points
from app.services.identify import MemberProfile
from app.services.reversal import ReversalResult, reverse_entry
from app.services.spending import SpendOverride
from app.services.staff_auth import authenticate
from app.store import club
from app.ui.context import UiContext
from app.ui.messages import club_error_text
from app.ui.views.checkout import PointsSpinBox, directed, make_label, name_isolated
from app.ui.widgets.style import TOUCH_HEIGHT

MAX_PIN_LENGTH = 12
ENTRY_ID_ROLE = Qt.ItemDataRole.UserRole


class ApprovalForm(QWidget):
    """Who approves (any active member of staff: the use case decides), their PIN, and the reason."""

    approver_changed = Signal()

    def __init__(self, ctx: UiContext, action: Action, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._action = action
        self._staff: list[Staff] = []
        self.approver_combo = QComboBox()
        self.approver_combo.setMinimumHeight(TOUCH_HEIGHT)
        self.approver_combo.currentIndexChanged.connect(lambda _i: self.approver_changed.emit())
        self.pin_edit = QLineEdit()
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setMaxLength(MAX_PIN_LENGTH)
        self.pin_edit.setValidator(QRegularExpressionValidator(QRegularExpression("[0-9۰-۹٠-٩]*"), self))
        self.pin_edit.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.pin_edit.setMinimumHeight(TOUCH_HEIGHT)
        self.reason_edit = QLineEdit()
        self.reason_edit.setMaxLength(MAX_REASON_LENGTH)
        self.reason_edit.setMinimumHeight(TOUCH_HEIGHT)
        self.message_label = make_label(13, wrap=True)
        self.message_label.hide()
        self.reason_caption, self.approver_caption, self.pin_caption = QLabel(), QLabel(), QLabel()
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.reason_caption, self.reason_edit)
        form.addRow(self.approver_caption, self.approver_combo)
        form.addRow(self.pin_caption, self.pin_edit)
        form.addRow(self.message_label)
        self.retranslate()
        terminal = ctx.terminal
        ctx.tasks.run(lambda: _all_staff(terminal), self.on_staff_loaded, self.show_refusal_of)

    @property
    def approver(self) -> Staff | None:
        index = self.approver_combo.currentIndex()
        return self._staff[index] if 0 <= index < len(self._staff) else None

    def select_approver(self, staff_id: str) -> None:
        for index, staff in enumerate(self._staff):
            if staff.id == staff_id:
                self.approver_combo.setCurrentIndex(index)

    def on_staff_loaded(self, staff: list[Staff]) -> None:
        if not shiboken6.isValid(self):  # the dialog was closed before the list came back
            return
        self._staff = [s for s in staff if s.active]
        self._fill_combo()
        me = self.ctx.session.staff
        preferred = me if me is not None and me.may(self._action) else None
        preferred = preferred or next((s for s in self._staff if s.may(self._action)), None)
        if preferred is not None:
            self.select_approver(preferred.id)
        self.approver_changed.emit()

    def show_refusal_of(self, error: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self.show_message(club_error_text(error, self.ctx.session.lang), ok=False)

    def show_message(self, text: str, ok: bool) -> None:
        self.message_label.setStyleSheet(
            "color: #1b7f3b; font-weight: bold;" if ok else "color: #b00020; font-weight: bold;"
        )
        self.message_label.setText(directed(text, self.ctx.session.lang))
        self.message_label.show()

    def role_text(self, role: Role) -> str:
        return {
            Role.CASHIER: self.tr("cashier"),
            Role.HOST: self.tr("event host"),
            Role.MANAGER: self.tr("manager"),
            Role.ADMIN: self.tr("club admin"),
        }[role]

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.reason_caption.setText(self.tr("Reason"))
        self.reason_edit.setPlaceholderText(self.tr("Why (kept in the ledger)"))
        self.approver_caption.setText(self.tr("Approved by"))
        self.pin_caption.setText(self.tr("Their PIN"))
        self._fill_combo()

    def _fill_combo(self) -> None:
        current = self.approver_combo.currentIndex()
        self.approver_combo.blockSignals(True)
        self.approver_combo.clear()
        for staff in self._staff:
            self.approver_combo.addItem(
                self.tr("{name} ({role})").format(name=staff.name, role=self.role_text(staff.role))
            )
        self.approver_combo.setCurrentIndex(current)
        self.approver_combo.blockSignals(False)


def _all_staff(terminal: Any) -> list[Staff]:
    with terminal.db.read() as conn:
        return club.all_staff(conn)


class _ActionDialog(QDialog):
    """What both dialogs share: the approval form, Enter/Esc, one request id, busy and done states.
    Visible strings live in the subclasses and the form, so each has one translation context."""

    def __init__(
        self, ctx: UiContext, profile: MemberProfile | None, action: Action, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.profile = profile
        self._request_id = ctx.terminal.new_id()  # a second Enter repeats the request, never doubles it
        self._busy = False
        self._done = False
        self.intro_label = make_label(14, wrap=True)
        # the width comes from a child: a minimum on the dialog itself would stop the layout from
        # growing it when a message appears, and the rows would overlap
        self.intro_label.setMinimumWidth(600)
        self.approval = ApprovalForm(ctx, action, self)
        standard = QDialogButtonBox.StandardButton
        self.buttons = QDialogButtonBox(standard.Ok | standard.Cancel)
        self.ok_button = self.buttons.button(standard.Ok)
        self.cancel_button = self.buttons.button(standard.Cancel)
        for button in (self.ok_button, self.cancel_button):
            button.setMinimumHeight(TOUCH_HEIGHT)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Enter confirms and Esc cancels, wherever focus is
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        ctx.session.language_changed.connect(self.on_language_changed)

    def on_language_changed(self, _lang: str) -> None:
        self.retranslate()

    def _layout(self, *middle: QWidget) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro_label)
        for widget in middle:
            layout.addWidget(widget)
        layout.addWidget(self.approval)
        layout.addWidget(self.buttons)

    def _reason_first(self) -> None:
        """Reason, then who approves, then the PIN; the reason has the focus (the dialogs with no list)."""
        QWidget.setTabOrder(self.approval.reason_edit, self.approval.approver_combo)
        QWidget.setTabOrder(self.approval.approver_combo, self.approval.pin_edit)
        self.retranslate()
        self.approval.reason_edit.setFocus()

    def _given_reason(self, refusal: ClubError | None = None) -> str | None:
        """The reason typed, or None after saying why not: said before the PIN is tried, so a missing
        reason costs no attempt."""
        reason = self.approval.reason_edit.text()
        try:
            clean_reason(reason)
        except ClubError as error:
            self.approval.show_refusal_of(refusal or error)
            return None
        return reason

    def accept(self) -> None:
        if self._done:
            super().accept()
        elif not self._busy:
            self.submit()

    def reject(self) -> None:
        if not self._busy:  # what is being written is finished first
            super().reject()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def submit(self) -> None:
        raise NotImplementedError

    def retranslate(self) -> None:
        raise NotImplementedError

    def _run(self, work: Callable[[Staff], Any], on_done: Callable[[Any], None]) -> None:
        """Check the approver's PIN, then run the use case as them, on the worker."""
        approver, pin = self.approval.approver, self.approval.pin_edit.text()
        if approver is None:
            return
        terminal = self.ctx.terminal
        self._set_busy(True)
        self.ctx.tasks.run(
            lambda: work(authenticate(terminal, approver.id, pin)),
            lambda result: self._finish(on_done, result),
            self._refused,
        )

    def _finish(self, on_done: Callable[[Any], None], result: Any) -> None:
        self._done = True
        self._set_busy(False)
        self.approval.pin_edit.clear()
        self.cancel_button.hide()
        on_done(result)
        self.retranslate()

    def _refused(self, error: BaseException) -> None:
        self._set_busy(False)
        self.approval.pin_edit.clear()
        self.approval.show_refusal_of(error)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.ok_button.setEnabled(not busy)


class ReverseDialog(_ActionDialog):
    """Undo one of the member's recent entries (what is left of it), with a reason and a manager's PIN."""

    entry_reversed = Signal(object)  # ReversalResult

    def __init__(self, ctx: UiContext, profile: MemberProfile, parent: QWidget | None = None) -> None:
        super().__init__(ctx, profile, Action.REVERSE_ENTRY, parent)
        self.entry_list = QTreeWidget()
        self.entry_list.setRootIsDecorated(False)
        self.entry_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.entry_list.setMinimumHeight(160)  # the part that gives way when a message needs room
        self.entry_list.setUniformRowHeights(True)
        self._layout(self.entry_list)
        # the list first (arrow keys pick an entry), then reason, approver and PIN
        QWidget.setTabOrder(self.entry_list, self.approval.reason_edit)
        QWidget.setTabOrder(self.approval.reason_edit, self.approval.approver_combo)
        QWidget.setTabOrder(self.approval.approver_combo, self.approval.pin_edit)
        self.retranslate()
        self.entry_list.setFocus()

    def select_entry(self, entry_id: str) -> bool:
        for index in range(self.entry_list.topLevelItemCount()):
            item = self.entry_list.topLevelItem(index)
            if item.data(0, ENTRY_ID_ROLE) == entry_id and not item.isDisabled():
                self.entry_list.setCurrentItem(item)
                return True
        return False

    @property
    def selected_entry_id(self) -> str | None:
        item = self.entry_list.currentItem()
        return item.data(0, ENTRY_ID_ROLE) if item is not None and item.isSelected() else None

    def submit(self) -> None:
        entry_id = self.selected_entry_id
        if entry_id is None:
            self.approval.show_message(self.tr("Choose the entry to reverse."), ok=False)
            return
        reason, request_id, terminal = self.approval.reason_edit.text(), self._request_id, self.ctx.terminal
        self._run(
            lambda staff: reverse_entry(terminal, entry_id, reason, staff, request_id=request_id),
            self.on_reversed,
        )

    def on_reversed(self, result: ReversalResult) -> None:
        lang = self.ctx.session.lang
        self.approval.show_message(
            self.tr("Reversed: {points}. New balance: {balance}.").format(
                points=isolated(_signed(result.points_delta, lang)),
                balance=points_text(result.balance.points, lang),
            ),
            ok=True,
        )
        self.entry_reversed.emit(result)

    def retranslate(self) -> None:
        lang = self.ctx.session.lang
        self.setWindowTitle(self.tr("Reverse an entry"))
        self.intro_label.setText(
            directed(
                self.tr("Choose the entry of {name} to undo. A manager approves it with their PIN.").format(
                    name=name_isolated(self.profile.member.name)
                ),
                lang,
            )
        )
        self.entry_list.setHeaderLabels(
            [self.tr("When"), self.tr("What"), self.tr("Points"), self.tr("Amount"), self.tr("Invoice")]
        )
        self._fill_entries()
        self.ok_button.setText(self.tr("Close (Enter)") if self._done else self.tr("Reverse (Enter)"))
        self.cancel_button.setText(self.tr("Cancel (Esc)"))

    def _fill_entries(self) -> None:
        selected = self.selected_entry_id
        lang = self.ctx.session.lang
        reversed_ids = {e.reverses for e in self.profile.recent if e.kind is EntryKind.REVERSAL}
        self.entry_list.clear()
        for entry in self.profile.recent:
            what = self.kind_text(entry.kind, entry.points_delta)
            if entry.id in reversed_ids:
                what = self.tr("{what} (reversed)").format(what=what)
            item = QTreeWidgetItem(
                [
                    datetime_text(entry.created_at_us, lang),
                    what,
                    isolated(_signed(entry.points_delta, lang)),
                    toman_text(entry.sale_amount, lang) if entry.sale_amount else "",
                    isolated(entry.invoice_ref or ""),
                ]
            )
            item.setData(0, ENTRY_ID_ROLE, entry.id)
            # a reversal is corrected by a new entry; an override moved no points, it only records who allowed
            item.setDisabled(entry.kind in (EntryKind.REVERSAL, EntryKind.OVERRIDE))
            self.entry_list.addTopLevelItem(item)
        for column in range(self.entry_list.columnCount()):
            self.entry_list.resizeColumnToContents(column)
        if selected:
            self.select_entry(selected)

    def kind_text(self, kind: EntryKind, points: int = 0) -> str:
        if kind is EntryKind.EXPIRE and points > 0:  # the server giving back points it expired too early
            return self.tr("Expiry given back")
        return {
            EntryKind.EARN: self.tr("Sale"),
            EntryKind.REDEEM: self.tr("Points spent"),
            EntryKind.CASHBACK_CREDIT: self.tr("Cashback"),
            EntryKind.CASHBACK_SPEND: self.tr("Wallet spent"),
            EntryKind.ADJUST: self.tr("Adjustment"),
            EntryKind.EXPIRE: self.tr("Expired"),
            EntryKind.BONUS: self.tr("Bonus"),
            EntryKind.MEMBERSHIP_PURCHASE: self.tr("Membership"),
            EntryKind.REVERSAL: self.tr("Reversal"),
            EntryKind.OVERRIDE: self.tr("Manager override"),
        }[kind]


class AdjustDialog(_ActionDialog):
    """Add or remove points by hand, with a reason, within the approver's role limit."""

    points_adjusted = Signal(object)  # AdjustResult

    def __init__(self, ctx: UiContext, profile: MemberProfile, parent: QWidget | None = None) -> None:
        super().__init__(ctx, profile, Action.ADJUST_BALANCE, parent)
        widest = max(ADJUST_LIMITS.values())
        self.points_spin = PointsSpinBox(lambda: self.ctx.session.lang)
        self.points_spin.setRange(-widest, widest)
        self.points_caption = QLabel()
        self.limit_label = make_label(12, wrap=True)
        self.limit_label.setStyleSheet("color: #555;")
        points_row = QWidget()
        form = QFormLayout(points_row)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.points_caption, self.points_spin)
        form.addRow(self.limit_label)
        self.approval.approver_changed.connect(self._show_limit)
        self._layout(points_row)
        self.retranslate()
        self.points_spin.setFocus()

    def submit(self) -> None:
        delta = self.points_spin.value()
        if delta == 0:
            self.approval.show_message(
                self.tr("Type the points to add, or a negative number to remove points."), ok=False
            )
            return
        member_id, reason = self.profile.member.id, self.approval.reason_edit.text()
        request_id, terminal = self._request_id, self.ctx.terminal
        self._run(
            lambda staff: adjust_points(terminal, member_id, delta, reason, staff, request_id=request_id),
            self.on_adjusted,
        )

    def on_adjusted(self, result: AdjustResult) -> None:
        lang = self.ctx.session.lang
        self.approval.show_message(
            self.tr("Adjusted: {points}. New balance: {balance}.").format(
                points=isolated(_signed(result.points_delta, lang)),
                balance=points_text(result.balance.points, lang),
            ),
            ok=True,
        )
        self.points_adjusted.emit(result)

    def retranslate(self) -> None:
        lang = self.ctx.session.lang
        self.setWindowTitle(self.tr("Adjust points"))
        self.intro_label.setText(
            directed(
                self.tr("{name} holds {points}. Add points, or remove them with a minus sign.").format(
                    name=name_isolated(self.profile.member.name),
                    points=points_text(self.profile.balance.points, lang),
                ),
                lang,
            )
        )
        self.points_caption.setText(self.tr("Points"))
        self.points_spin.refresh()
        self._show_limit()
        self.ok_button.setText(self.tr("Close (Enter)") if self._done else self.tr("Adjust (Enter)"))
        self.cancel_button.setText(self.tr("Cancel (Esc)"))

    def _show_limit(self) -> None:
        approver = self.approval.approver
        if approver is None:
            self.limit_label.clear()
            return
        lang, role = self.ctx.session.lang, self.approval.role_text(approver.role)
        limit = ADJUST_LIMITS.get(approver.role, 0) if approver.may(Action.ADJUST_BALANCE) else 0
        text = (
            self.tr("A {role} may adjust at most {limit} at a time.").format(
                role=role, limit=points_text(limit, lang)
            )
            if limit
            else self.tr("A {role} may not adjust points; a manager must approve.").format(role=role)
        )
        self.limit_label.setText(directed(text, lang))


class OverrideDialog(_ActionDialog):
    """A manager lets this sale spend beyond the offline grant (or with the clock behind the server).

    The PIN is checked by `staff_auth.authenticate` (wrong PINs count towards its lockout), the role by
    `Action.OVERRIDE_SPEND`, the reason cleaned as the ledger keeps it; nothing is written here: the sale
    is recorded with the returned `SpendOverride`, and its use case writes the override entry.
    """

    override_approved = Signal(object)  # SpendOverride, then the dialog closes

    def __init__(
        self,
        ctx: UiContext,
        profile: MemberProfile,
        allowance: int,
        *,
        points: int | None = None,
        clock_behind: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, profile, Action.OVERRIDE_SPEND, parent)
        self._allowance, self._points, self._clock_behind = allowance, points, clock_behind
        self._layout()
        self._reason_first()

    def submit(self) -> None:
        reason = self._given_reason(ClubError("override_needs_reason"))
        if reason is None:
            return
        self._run(lambda manager: _approve_override(manager, reason), self.on_approved)

    def on_approved(self, override: SpendOverride) -> None:
        self.override_approved.emit(override)
        QDialog.accept(self)

    def retranslate(self) -> None:
        lang = self.ctx.session.lang
        self.setWindowTitle(self.tr("Manager override"))
        name = name_isolated(self.profile.member.name)
        if self._clock_behind:
            why = self.tr(
                "This terminal's clock is behind the club server's, so {name} cannot spend points offline."
            ).format(name=name)
        else:
            why = self.tr("Offline, {name} may spend at most {points} here.").format(
                name=name, points=points_text(self._allowance, lang)
            )
        parts = [why]
        if self._points is not None:
            parts.append(self.tr("This sale spends {points}.").format(points=points_text(self._points, lang)))
        parts.append(self.tr("A manager may allow it with their PIN and a reason; the override is recorded."))
        self.intro_label.setText(directed(" ".join(parts), lang))
        self.ok_button.setText(self.tr("Allow (Enter)"))
        self.cancel_button.setText(self.tr("Cancel (Esc)"))


class UndoAdmissionDialog(_ActionDialog):
    """Take back an admission at the door (the face did not match the photo, a mistap): a manager's PIN
    and a reason; `undo_admission` writes the reversal and refuses a role without MANAGE_EVENTS."""

    admission_undone = Signal(str)  # the reversal's entry id

    def __init__(
        self,
        ctx: UiContext,
        event_id: str,
        check_in_id: str,
        guest_name: str,
        at_us: int,
        *,
        plus_one: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, None, Action.MANAGE_EVENTS, parent)
        self._event_id, self._check_in_id = event_id, check_in_id
        self._guest_name, self._at_us, self._plus_one = guest_name, at_us, plus_one
        self._layout()
        self._reason_first()

    def submit(self) -> None:
        from app.services.door import undo_admission

        reason = self._given_reason()
        if reason is None:
            return
        terminal, event_id, check_in_id = self.ctx.terminal, self._event_id, self._check_in_id
        self._run(
            lambda manager: undo_admission(terminal, event_id, check_in_id, manager, reason), self.on_undone
        )

    def on_undone(self, reversal_id: str) -> None:
        self.approval.show_message(self.tr("The admission was undone."), ok=True)
        self.admission_undone.emit(reversal_id)

    def retranslate(self) -> None:
        lang = self.ctx.session.lang
        self.setWindowTitle(self.tr("Undo an admission"))
        name, when = name_isolated(self._guest_name), datetime_text(self._at_us, lang)
        intro = (
            self.tr("Undo the admission of a plus-one of {name} at {time}?")
            if self._plus_one
            else self.tr("Undo the admission of {name} at {time}?")
        ).format(name=name, time=when)
        more = self.tr("A manager approves it with their PIN; the guest no longer counts as inside.")
        self.intro_label.setText(directed(f"{intro} {more}", lang))
        self.ok_button.setText(self.tr("Close (Enter)") if self._done else self.tr("Undo (Enter)"))
        self.cancel_button.setText(self.tr("Cancel (Esc)"))


def _approve_override(manager: Staff, reason: str) -> SpendOverride:
    """Worker, after the PIN held: a role that may not override is refused here, before any sale."""
    manager.require(Action.OVERRIDE_SPEND)
    return SpendOverride(manager, clean_reason(reason))


def _signed(points: int, lang: str) -> str:
    return ("+" if points > 0 else "") + number(points, lang)
