# SPDX-License-Identifier: GPL-3.0-or-later
"""The staff login screen: choose your name, type your PIN, Enter.

Keyboard only works throughout: the PIN field keeps the focus, ↑/↓ choose the member of staff and
Enter submits. A keypad offers the same for touch. The staff list and the PIN check run on the worker
(`ctx.tasks`); a wrong PIN, a lock or an inactive account is said in the view and the PIN is cleared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QRegularExpression, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QRegularExpressionValidator, QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.digits import to_persian_digits
from app.domain.staff import Role, Staff
from app.store import start_up
from app.ui.context import UiContext
from app.ui.messages import club_error_text
from app.ui.widgets.style import TOUCH_HEIGHT, align_start, scaled_font, touch_button

if TYPE_CHECKING:
    from app.services.terminal import Terminal

STAFF_ROLE = Qt.ItemDataRole.UserRole
PIN_PATTERN = "[0-9۰-۹٠-٩]{0,12}"  # Latin, Persian or Arabic-Indic digits; the service reads them all
KEYPAD_ROWS = ("123", "456", "789")
_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_MOVES = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -5, Qt.Key.Key_PageDown: 5}


class LoginView(QWidget):
    logged_in = Signal(object)  # Staff, once the session holds them

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._staff: list[Staff] = []
        self._busy = False
        self._message: Callable[[], str] | None = None  # re-run on a language change
        self._build()
        self.setFocusProxy(self.pin_field)
        ctx.session.language_changed.connect(lambda _lang: self.retranslate())
        self.retranslate()
        self.load_staff()

    # ---------------------------------------------------------------- building

    def _build(self) -> None:
        self.title_label = QLabel()
        self.title_label.setFont(scaled_font(self.font(), 2.0, bold=True))
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.staff_caption = QLabel()
        self.staff_list = QListWidget()
        self.staff_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing always reaches the PIN
        self.staff_list.setFont(scaled_font(self.font(), 1.2))
        self.staff_list.setMinimumWidth(320)
        self.staff_list.itemClicked.connect(lambda _item: self.pin_field.setFocus())
        self.pin_caption = QLabel()
        self.pin_field = QLineEdit()
        self.pin_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_field.setValidator(QRegularExpressionValidator(QRegularExpression(PIN_PATTERN), self))
        self.pin_field.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.pin_field.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pin_field.setFont(scaled_font(self.font(), 1.8))
        self.pin_field.setMinimumHeight(TOUCH_HEIGHT + 8)
        self.pin_field.textEdited.connect(lambda _text: self._show(None))
        self.submit_button = touch_button(primary=True)
        self.submit_button.clicked.connect(self.on_submit)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setFont(scaled_font(self.font(), 1.1, bold=True))
        self.message_label.setStyleSheet("QLabel { color: #B71C1C; }")
        self.message_label.setMinimumHeight(60)
        self._lay_out()

    def _lay_out(self) -> None:
        staff_column = QVBoxLayout()
        staff_column.setSpacing(8)  # a nested layout would otherwise take its parent's 32 px
        staff_column.addWidget(self.staff_caption)
        staff_column.addWidget(self.staff_list, 1)
        pin_column = QVBoxLayout()
        pin_column.setSpacing(8)
        pin_column.addWidget(self.pin_caption)
        pin_column.addWidget(self.pin_field)
        pin_column.addWidget(self._keypad())
        pin_column.addSpacing(8)
        pin_column.addWidget(self.submit_button)
        pin_column.addWidget(self.message_label)
        pin_column.addStretch(1)
        columns = QHBoxLayout()
        columns.setSpacing(32)
        columns.addLayout(staff_column, 1)
        columns.addLayout(pin_column, 1)
        panel = QWidget()
        panel.setMaximumWidth(900)
        inner = QVBoxLayout(panel)
        inner.addWidget(self.title_label)
        inner.addSpacing(16)
        inner.addLayout(columns, 1)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addStretch(1)
        outer.addWidget(panel, 4)
        outer.addStretch(1)

    def _keypad(self) -> QWidget:
        """Digits for touch screens: laid out like a phone keypad in both languages (never mirrored)."""
        keypad = QWidget()
        keypad.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        grid = QGridLayout(keypad)
        grid.setContentsMargins(0, 0, 0, 0)
        self.digit_buttons: list[QPushButton] = []
        for row, digits in enumerate((*KEYPAD_ROWS, "0")):
            for column, digit in enumerate(digits):
                button = touch_button()
                button.setProperty("digit", digit)
                button.clicked.connect(lambda _checked=False, d=digit: self.on_digit_clicked(d))
                grid.addWidget(button, row, 1 if digit == "0" else column)
                self.digit_buttons.append(button)
        self.erase_button = touch_button()
        self.erase_button.clicked.connect(self.on_erase_clicked)
        grid.addWidget(self.erase_button, 3, 2)
        return keypad

    # ---------------------------------------------------------------- language

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        lang = self.ctx.session.lang
        self.title_label.setText(self.tr("Who is at the counter?"))
        self.staff_caption.setText(self.tr("Choose your name (↑ ↓)"))
        self.pin_caption.setText(self.tr("PIN"))
        self.pin_field.setPlaceholderText(self.tr("Type your PIN"))
        self.submit_button.setText(self.tr("Log in (Enter)"))
        self.erase_button.setText(self.tr("Erase"))
        for button in self.digit_buttons:
            digit = button.property("digit")
            button.setText(to_persian_digits(digit) if lang == "fa" else digit)
        for row in range(self.staff_list.count()):
            item = self.staff_list.item(row)
            item.setText(self._staff_text(item.data(STAFF_ROLE)))
        self._show(self._message)

    def _staff_text(self, staff: Staff) -> str:
        return f"{staff.name}\n{self._role_text(staff.role)}"

    def _role_text(self, role: Role) -> str:
        names = {
            Role.CASHIER: self.tr("Cashier"),
            Role.HOST: self.tr("Event host"),
            Role.MANAGER: self.tr("Manager"),
            Role.ADMIN: self.tr("Administrator"),
        }
        return names.get(role, str(role))

    # ---------------------------------------------------------------- staff list

    def load_staff(self) -> None:
        """Read the active staff on the worker; the one chosen before stays chosen."""
        terminal = self.ctx.terminal

        def read() -> list[Staff]:
            # on the driver: read as the window starts, before SQLAlchemy is imported (app.store.start_up)
            with terminal.db.read_driver() as conn:
                return [s for s in start_up.all_staff(conn) if s.active]

        self.ctx.tasks.run(read, self.on_staff_loaded, self.on_refused)

    def on_staff_loaded(self, staff: list[Staff]) -> None:
        chosen = self.current_staff()
        self._staff = staff
        self.staff_list.clear()
        for member in staff:
            item = QListWidgetItem(self._staff_text(member))
            item.setData(STAFF_ROLE, member)
            item.setSizeHint(QSize(0, 72))
            self.staff_list.addItem(item)
        ids = [s.id for s in staff]
        self.staff_list.setCurrentRow(ids.index(chosen.id) if chosen and chosen.id in ids else 0)
        if not staff:
            self._show(lambda: self.tr("No staff are set up on this terminal yet; ask a manager."))

    def current_staff(self) -> Staff | None:
        item = self.staff_list.currentItem()
        return None if item is None else item.data(STAFF_ROLE)

    def choose_staff(self, staff_id: str) -> bool:
        """Select the member of staff with this id; False if they are not in the list."""
        for row in range(self.staff_list.count()):
            if self.staff_list.item(row).data(STAFF_ROLE).id == staff_id:
                self.staff_list.setCurrentRow(row)
                return True
        return False

    # ---------------------------------------------------------------- PIN

    def reset(self) -> None:
        """Ready for the next person: PIN and message cleared, staff list re-read, focus on the PIN."""
        self.pin_field.clear()
        self._show(None)
        self.load_staff()
        self.pin_field.setFocus()

    def on_digit_clicked(self, digit: str) -> None:
        self.pin_field.insert(digit)
        self._show(None)
        self.pin_field.setFocus()

    def on_erase_clicked(self) -> None:
        self.pin_field.backspace()
        self.pin_field.setFocus()

    def on_submit(self) -> None:
        """Check the chosen person's PIN on the worker (argon2 is slow on purpose)."""
        if self._busy:
            return
        staff, pin = self.current_staff(), self.pin_field.text()
        if staff is None:
            self._show(lambda: self.tr("Choose your name in the list first."))
            return
        if not pin:
            self._show(lambda: self.tr("Type your PIN, then press Enter."))
            return
        self._set_busy(True)
        terminal = self.ctx.terminal
        self.ctx.tasks.run(
            lambda: _authenticate(terminal, staff.id, pin), self.on_authenticated, self.on_refused
        )

    def on_authenticated(self, staff: Staff) -> None:
        self._set_busy(False)
        self.pin_field.clear()
        self._show(None)
        self.ctx.session.log_in(staff)
        self.logged_in.emit(staff)

    def on_refused(self, error: BaseException) -> None:
        self._set_busy(False)
        self.pin_field.clear()
        self._show(lambda: club_error_text(error, self.ctx.session.lang))
        self.pin_field.setFocus()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.submit_button.setEnabled(not busy)

    def _show(self, message: Callable[[], str] | None) -> None:
        self._message = message
        align_start(self.message_label, Qt.AlignmentFlag.AlignTop)
        self.message_label.setText(message() if message else "")

    # ---------------------------------------------------------------- keys

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        key = event.key()
        if key in _ENTER_KEYS:
            self.on_submit()
        elif key in _MOVES:
            self._move(_MOVES[key])
        else:
            super().keyPressEvent(event)

    def _move(self, step: int) -> None:
        count = self.staff_list.count()
        if count:
            row = min(max(self.staff_list.currentRow() + step, 0), count - 1)
            self.staff_list.setCurrentRow(row)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.pin_field.setFocus()


def _authenticate(terminal: Terminal, staff_id: str, pin: str) -> Staff:
    """Worker: the PIN checked (its use case imports the store, after the login screen's first frame)."""
    from app.services.staff_auth import authenticate

    return authenticate(terminal, staff_id, pin)
