# SPDX-License-Identifier: GPL-3.0-or-later
"""The first run at a branch, in the window: a terminal that is neither the demo nor enrolled is set up by
the person installing it (often the branch manager), step by step, then the cashier's login follows.

1. Language: فارسی (the default) or English; the whole setup switches at once.
2. Server: the club server's address and the one-time enrolment code, typed or scanned from the QR the
   back office shows. That QR holds digits only (sync.protocol.enrolment_qr_text): a keyboard-wedge
   scanner types into whatever layout is active, and on a Persian layout its letters arrive as Persian
   letters, but its digits as Persian digits, which read back exactly. A scan into either field fills both
   and checks them (the scanner's Enter). "Check" asks the server whose code it is without spending it
   (POST /v1/enroll/preview) and compares the clocks. A code typed with the Persian layout active shows
   in English letters as it is typed (app.domain.keyboard_layout: ضص… is QW…); letters no key of the
   code types ask for the English keyboard.
3. Confirm: the club, the branch and the code's expiry; "Enrol" spends the code and pulls the club, on the
   worker, with its progress. An enrolment that stopped after the server answered (the pull failed, or
   the window was closed) resumes here: the setup opens on this step and only finishes the pull.
4. Reader: the readers found, and a tap of any card (its UID is enough: a club card may not exist yet);
   none found is explained (USB, the smart card service), with Look again and Skip; while it waits it
   looks again by itself, so a reader plugged in (or pcscd started) shows without a click.
5. Printer: USB, network (host:port) or none, a test print, the `receipt_printer` setting kept.
6. Done: the normal window on the now-enrolled terminal, with its sync worker, at the login screen.

Every failure is said in the manager's language with what to do (app/messages.py's setup block), and the
step can be tried again. The logic is in app.services.first_run (and .first_run_printer here, Qt-free).

Threading: network, store and printer work runs on the window's worker (`Tasks`); the card manager's
events come through a CardBridge; everything else is on the UI thread.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.cards.base import CardEvent, CardEventKind, ReaderBackend, ReaderState
from app.cards.manager import CardManager
from app.domain.digits import to_persian_digits
from app.domain.errors import ClubError
from app.domain.keyboard_layout import has_persian_letters
from app.domain.ports import Clock
from app.format import datetime_text, isolated
from app.messages import READ_ERRORS
from app.services import first_run
from app.services.first_run import BranchPreview, Stage
from app.services.terminal import Terminal
from app.ui.bridges import CardBridge
from app.ui.first_run_printer import USB_PRINTER, print_test_page, printer_setting, save_printer
from app.ui.i18n import Language, install_fonts
from app.ui.messages import club_error_text
from app.ui.tasks import Tasks
from app.ui.widgets.style import TOUCH_HEIGHT, align_start, scaled_font, touch_button

if TYPE_CHECKING:
    from app.ui.app import RunningWindow

ERROR_STYLE = "QLabel { color: #B71C1C; }"
OK_STYLE = "QLabel { color: #1B5E20; }"
READER_REFRESH_MS = 500
STEPS = ("language", "server", "confirm", "reader", "printer", "done")


class _Progress(QObject):
    """The enrolment's stages, from the worker thread to the UI thread (a queued, decorated slot)."""

    stage = Signal(str)
    _from_worker = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._from_worker.connect(self._relay)

    def tell(self, stage: str) -> None:
        self._from_worker.emit(stage)

    @Slot(str)
    def _relay(self, stage: str) -> None:
        self.stage.emit(stage)


class FirstRunWizard(QWidget):
    """The setup's window. `completed(terminal, lang)` once the manager presses Start on the last step."""

    completed = Signal(object, str)
    step_changed = Signal(str)
    preview_loaded = Signal(object)  # BranchPreview
    failed = Signal(str, str)  # (step, the error's code): what a test or a log waits on
    enrolled = Signal(object)  # Terminal
    card_read = Signal(object)  # CardEvent
    printer_tested = Signal(str)  # the setting printed to

    def __init__(
        self,
        data_dir: Path,
        *,
        tasks: Tasks,
        language: Language,
        cards: CardManager,
        bridge: CardBridge,
        lang: str = "fa",
        clock: Clock | None = None,
        start_stage: Stage = Stage.FRESH,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.tasks = tasks
        self.language = language
        self.cards = cards
        self.clock = clock
        self.lang = lang
        self.preview: BranchPreview | None = None
        self.terminal: Terminal | None = None
        self.resuming_server = (
            first_run.enrolled_server(data_dir) if start_stage is Stage.INCOMPLETE else None
        )
        self._busy = False
        self._messages: dict[str, tuple[Callable[[], str], bool]] = {}  # step: (text, is_error)
        self._last_card: CardEvent | None = None
        self._progress = _Progress()
        self._progress.stage.connect(self._on_progress)
        self._build()
        bridge.card_presented.connect(self._on_card)
        bridge.readers_changed.connect(lambda _event: self._show_readers())
        # the readers' snapshot is refreshed on the device thread, after the event that says so: look again
        # while the reader step waits, so a reader plugged in (or pcscd started) shows without a click
        self._reader_timer = QTimer(self)
        self._reader_timer.setInterval(READER_REFRESH_MS)
        self._reader_timer.timeout.connect(self._refresh_waiting_readers)
        self._reader_timer.start()
        self.setWindowTitle("Bashgah")
        self.resize(1000, 700)
        self.retranslate()
        self.go("confirm" if start_stage is Stage.INCOMPLETE else "language")

    # ---------------------------------------------------------------- building

    def _build(self) -> None:
        self.step_label = QLabel()
        self.step_label.setFont(scaled_font(self.font(), 0.95))
        self.title_label = QLabel()
        self.title_label.setFont(scaled_font(self.font(), 1.8, bold=True))
        self.title_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        self.message_labels: dict[str, QLabel] = {}
        for step, build in zip(
            STEPS,
            (
                self._language_page,
                self._server_page,
                self._confirm_page,
                self._reader_page,
                self._printer_page,
                self._done_page,
            ),
            strict=True,
        ):
            page = QWidget()
            column = QVBoxLayout(page)
            column.setSpacing(12)
            build(column)
            message = QLabel()
            message.setWordWrap(True)
            message.setFont(scaled_font(self.font(), 1.1, bold=True))
            message.setMinimumHeight(48)
            message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            column.addWidget(message)
            column.addStretch(1)
            self.pages[step] = page
            self.message_labels[step] = message
            self.stack.addWidget(page)
        panel = QWidget()
        panel.setMaximumWidth(820)
        inner = QVBoxLayout(panel)
        inner.addWidget(self.step_label)
        inner.addWidget(self.title_label)
        inner.addSpacing(12)
        inner.addWidget(self.stack, 1)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addStretch(1)
        outer.addWidget(panel, 6)
        outer.addStretch(1)

    def _buttons(self, column: QVBoxLayout, *buttons: QWidget) -> None:
        row = QHBoxLayout()
        row.setSpacing(12)
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        column.addLayout(row)

    def _caption(self) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        return label

    def _field(self) -> QLineEdit:
        edit = QLineEdit()
        edit.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # addresses and codes read left to right
        edit.setMinimumHeight(TOUCH_HEIGHT)
        edit.setFont(scaled_font(self.font(), 1.2))
        return edit

    def _language_page(self, column: QVBoxLayout) -> None:
        self.language_intro = self._caption()
        column.addWidget(self.language_intro)
        self.persian_button = touch_button()
        self.persian_button.setText("فارسی")
        self.persian_button.setCheckable(True)
        self.english_button = touch_button()
        self.english_button.setText("English")
        self.english_button.setCheckable(True)
        for button in (self.persian_button, self.english_button):
            checked = "QPushButton:checked { background: #1565C0; color: white; border: none; }"
            button.setStyleSheet(button.styleSheet() + checked)
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.addButton(self.persian_button)
        group.addButton(self.english_button)
        self.persian_button.clicked.connect(lambda: self.choose_language("fa"))
        self.english_button.clicked.connect(lambda: self.choose_language("en"))
        self._buttons(column, self.persian_button, self.english_button)
        self.language_next = touch_button(primary=True)
        self.language_next.clicked.connect(lambda: self.go("server"))
        self._buttons(column, self.language_next)

    def _server_page(self, column: QVBoxLayout) -> None:
        self.server_intro = self._caption()
        column.addWidget(self.server_intro)
        self.server_caption = QLabel()
        self.server_field = self._field()
        self.server_field.setPlaceholderText("https://club.example.com")
        self.code_caption = QLabel()
        self.code_field = self._field()
        self.code_field.setPlaceholderText("K7QM-2XPD-9TAR")
        for edit in (self.server_field, self.code_field):
            edit.textChanged.connect(lambda _text, e=edit: self._on_server_typed(e))
            edit.returnPressed.connect(self.check_code)
        self.check_button = touch_button(primary=True)
        self.check_button.clicked.connect(self.check_code)
        self.server_back = touch_button()
        self.server_back.clicked.connect(lambda: self.go("language"))
        for widget in (self.server_caption, self.server_field, self.code_caption, self.code_field):
            column.addWidget(widget)
        self._buttons(column, self.check_button, self.server_back)

    def _confirm_page(self, column: QVBoxLayout) -> None:
        self.confirm_intro = self._caption()
        self.club_label = QLabel()
        self.club_label.setFont(scaled_font(self.font(), 1.3, bold=True))
        self.branch_label = QLabel()
        self.branch_label.setFont(scaled_font(self.font(), 1.3, bold=True))
        self.expiry_label = self._caption()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 0)  # busy: the pull's size is not known beforehand
        self.progress_bar.setVisible(False)
        self.progress_label = QLabel()
        self.enrol_button = touch_button(primary=True)
        self.enrol_button.clicked.connect(self.enrol)
        self.confirm_back = touch_button()
        self.confirm_back.clicked.connect(lambda: self.go("server"))
        for widget in (self.confirm_intro, self.club_label, self.branch_label, self.expiry_label):
            column.addWidget(widget)
        column.addWidget(self.progress_bar)
        column.addWidget(self.progress_label)
        self._buttons(column, self.enrol_button, self.confirm_back)

    def _reader_page(self, column: QVBoxLayout) -> None:
        self.reader_intro = self._caption()
        self.readers_caption = QLabel()
        self.reader_list = QListWidget()
        self.reader_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.reader_list.setMaximumHeight(140)
        self.tap_label = QLabel()
        self.tap_label.setWordWrap(True)
        self.tap_label.setFont(scaled_font(self.font(), 1.3, bold=True))
        self.reader_retry = touch_button()
        self.reader_retry.clicked.connect(self._show_readers)
        self.reader_next = touch_button(primary=True)
        self.reader_next.clicked.connect(lambda: self.go("printer"))
        self.reader_skip = touch_button()
        self.reader_skip.clicked.connect(lambda: self.go("printer"))
        for widget in (self.reader_intro, self.readers_caption, self.reader_list, self.tap_label):
            column.addWidget(widget)
        self._buttons(column, self.reader_next, self.reader_retry, self.reader_skip)

    def _printer_page(self, column: QVBoxLayout) -> None:
        self.printer_intro = self._caption()
        column.addWidget(self.printer_intro)
        self.usb_choice = QRadioButton()
        self.network_choice = QRadioButton()
        self.no_printer_choice = QRadioButton()
        self.printer_choices = QButtonGroup(self)
        for button in (self.usb_choice, self.network_choice, self.no_printer_choice):
            self.printer_choices.addButton(button)
            button.toggled.connect(lambda _on: self._on_printer_choice())
            column.addWidget(button)
        self.printer_caption = QLabel()
        self.printer_field = self._field()
        column.addWidget(self.printer_caption)
        column.addWidget(self.printer_field)
        self.test_print_button = touch_button()
        self.test_print_button.clicked.connect(self.test_print)
        self.printer_next = touch_button(primary=True)
        self.printer_next.clicked.connect(self.save_printer)
        self._buttons(column, self.printer_next, self.test_print_button)
        self.usb_choice.setChecked(True)

    def _done_page(self, column: QVBoxLayout) -> None:
        self.done_label = self._caption()
        self.done_label.setFont(scaled_font(self.font(), 1.2))
        column.addWidget(self.done_label)
        self.start_button = touch_button(primary=True)
        self.start_button.clicked.connect(self.finish)
        self._buttons(column, self.start_button)

    # ---------------------------------------------------------------- moving between steps

    def current_step(self) -> str:
        return STEPS[self.stack.currentIndex()]

    def go(self, step: str) -> None:
        self.stack.setCurrentWidget(self.pages[step])
        self._retranslate_header()
        if step == "server":
            (self.code_field if self.server_field.text() else self.server_field).setFocus()
        elif step == "confirm":
            self.confirm_back.setVisible(
                self.resuming_server is None
            )  # the code is spent: finish, not change
            self._show_preview()
        elif step == "reader":
            self._show_readers()
        self.step_changed.emit(step)

    def choose_language(self, lang: str) -> None:
        self.lang = lang
        self.language.apply(lang)  # a LanguageChange event retranslates the setup
        self.retranslate()

    # ---------------------------------------------------------------- language

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _retranslate_header(self) -> None:
        step = self.current_step() if self.stack.count() else "language"
        titles = {
            "language": self.tr("Welcome to Bashgah: set up this terminal"),
            "server": self.tr("Connect to the club server"),
            "confirm": self.tr("Is this the right branch?"),
            "reader": self.tr("Test the card reader"),
            "printer": self.tr("Receipt printer"),
            "done": self.tr("This terminal is ready"),
        }
        number = STEPS.index(step) + 1
        digits = to_persian_digits if self.lang == "fa" else str
        self.step_label.setText(
            self.tr("Step {n} of {total}").format(n=digits(str(number)), total=digits(str(len(STEPS))))
        )
        self.title_label.setText(titles[step])

    def retranslate(self) -> None:
        self.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft if self.lang == "fa" else Qt.LayoutDirection.LeftToRight
        )
        self.persian_button.setChecked(self.lang == "fa")
        self.english_button.setChecked(self.lang == "en")
        self._retranslate_header()
        self.language_intro.setText(
            self.tr("Choose the language of this terminal. You can switch later with F10.")
        )
        self.language_next.setText(self.tr("Next"))
        self.server_intro.setText(
            self.tr(
                "The club office gives you the server's address and a one-time enrolment code (on the "
                "back office's Terminals page). Scan its QR code with the scanner, or type both."
            )
        )
        self.server_caption.setText(self.tr("Club server address"))
        self.code_caption.setText(self.tr("Enrolment code"))
        self.check_button.setText(self.tr("Check (Enter)"))
        for back in (self.server_back, self.confirm_back):
            back.setText(self.tr("Back"))
        self.enrol_button.setText(
            self.tr("Finish the enrolment") if self.resuming_server else self.tr("Enrol this terminal")
        )
        self.reader_intro.setText(
            self.tr("Put any card on the reader: a club card, a bank card or a travel card will do.")
        )
        self.readers_caption.setText(self.tr("Readers found"))
        self.reader_retry.setText(self.tr("Look again"))
        self.reader_next.setText(self.tr("Next"))
        self.reader_skip.setText(self.tr("Skip"))
        self.printer_intro.setText(
            self.tr(
                "How is the receipt printer connected? You can change it later in the terminal's settings."
            )
        )
        self.usb_choice.setText(self.tr("USB (its device file)"))
        self.network_choice.setText(self.tr("Network (its address and port)"))
        self.no_printer_choice.setText(self.tr("No receipt printer"))
        self.test_print_button.setText(self.tr("Test print"))
        self.printer_next.setText(self.tr("Save and continue"))
        self.start_button.setText(self.tr("Start: the cashier's login"))
        self._on_printer_choice()
        self._show_preview()
        self._show_readers()
        self._show_done()
        for label in (self.club_label, self.branch_label, self.expiry_label, self.tap_label):
            align_start(label)
        for step in STEPS:
            self._render_message(step)

    # ---------------------------------------------------------------- messages

    def say(self, step: str, text: Callable[[], str] | None, *, error: bool = False) -> None:
        """Show (or clear) a step's message; `text` is re-run on a language change."""
        if text is None:
            self._messages.pop(step, None)
        else:
            self._messages[step] = (text, error)
        self._render_message(step)

    def _render_message(self, step: str) -> None:
        label = self.message_labels[step]
        text, error = self._messages.get(step, (lambda: "", False))
        label.setStyleSheet(ERROR_STYLE if error else OK_STYLE)
        label.setText(text())
        align_start(label)

    def message_text(self, step: str) -> str:
        return self.message_labels[step].text()

    def _refused(self, step: str, error: BaseException) -> None:
        self._busy = False
        code = error.code if isinstance(error, ClubError) else type(error).__name__
        self.say(step, lambda: club_error_text(error, self.lang), error=True)
        self._set_enabled(True)
        self._on_printer_choice()
        self.failed.emit(step, code)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (
            self.check_button,
            self.enrol_button,
            self.confirm_back,
            self.server_back,
            self.test_print_button,
            self.printer_next,
        ):
            widget.setEnabled(enabled)
        self.progress_bar.setVisible(not enabled and self.current_step() == "confirm")

    # ---------------------------------------------------------------- server and code

    def _on_server_typed(self, edit: QLineEdit) -> None:
        scanned = first_run.read_scan(edit.text())
        if scanned is not None:  # the back office's QR: both fields at once (its Enter checks them)
            url, code = scanned
            for target, text in ((self.server_field, url), (self.code_field, code)):
                target.blockSignals(True)
                target.setText(text)
                target.blockSignals(False)
            self.say("server", lambda: self.tr("Scanned: the address and the code are filled in."))
            return
        if edit is self.code_field:
            self._show_latin_keys(edit)
        if edit is self.code_field and has_persian_letters(edit.text()):
            self.say(
                "server",
                lambda: self.tr(
                    "Persian letters were typed: the code is in English letters. Switch the keyboard to "
                    "English (Alt+Shift) and type it again."
                ),
                error=True,
            )
        elif "server" in self._messages:
            self.say("server", None)

    def _show_latin_keys(self, edit: QLineEdit) -> None:
        """A code typed on the Persian layout shown as the keys pressed (ضص… becomes QW…) as it is typed."""
        text = edit.text()
        latin = first_run.typed_code(text)
        if latin == text.upper() or len(latin) != len(text):
            return  # nothing Persian to read back (letter case is the manager's own)
        cursor = edit.cursorPosition()
        edit.blockSignals(True)
        edit.setText(latin)
        edit.setCursorPosition(cursor)
        edit.blockSignals(False)

    def check_code(self) -> None:
        if self._busy:
            return
        self._busy = True
        self._set_enabled(False)
        self.say("server", lambda: self.tr("Asking the club server…"))
        data_dir, url, code, clock = (
            self.data_dir,
            self.server_field.text(),
            self.code_field.text(),
            self.clock,
        )
        self.tasks.run(
            lambda: first_run.check_code(data_dir, url, code, clock=clock),
            self._on_preview,
            lambda error: self._refused("server", error),
        )

    def _on_preview(self, preview: BranchPreview) -> None:
        self._busy = False
        self._set_enabled(True)
        self.preview = preview
        self.say("server", None)
        self.say("confirm", None)
        self.go("confirm")
        self.preview_loaded.emit(preview)

    def _show_preview(self) -> None:
        preview = self.preview
        if preview is None and self.resuming_server:
            self.confirm_intro.setText(
                self.tr(
                    "This terminal was enrolled with {server}, but the club's data has not all arrived yet. "
                    "Press the button to finish."
                ).format(server=isolated(self.resuming_server))
            )
            for label in (self.club_label, self.branch_label, self.expiry_label):
                label.setText("")
            return
        if preview is None:
            return
        fa = self.lang == "fa"
        self.confirm_intro.setText(
            self.tr("The code belongs to this club and branch. Enrol this terminal there?")
        )
        club_name = preview.club_name_fa if fa else preview.club_name_en
        branch_name = preview.branch_name_fa if fa else preview.branch_name_en
        self.club_label.setText(self.tr("Club: {name}").format(name=club_name))
        self.branch_label.setText(
            self.tr("Branch: {name} ({code})").format(name=branch_name, code=isolated(preview.branch_code))
        )
        self.expiry_label.setText(
            self.tr("Server {server}; the code is valid until {when}").format(
                server=isolated(preview.server_url), when=datetime_text(preview.expires_at_us, self.lang)
            )
        )

    # ---------------------------------------------------------------- enrolling

    def enrol(self) -> None:
        if self._busy or (self.preview is None and not self.resuming_server):
            return
        self._busy = True
        self._set_enabled(False)
        self.say("confirm", None)
        self._on_progress("enrolling")
        data_dir, preview, clock, tell = self.data_dir, self.preview, self.clock, self._progress.tell

        def work() -> Terminal:
            try:
                return first_run.enrol(data_dir, preview, clock=clock, progress=tell)
            except ClubError as error:
                # where the folder stands after the failure, read here on the worker (it opens the store)
                error.params["stage_after"] = first_run.stage(data_dir)
                raise

        self.tasks.run(work, self._on_enrolled, self._on_enrol_failed)

    def _on_progress(self, stage: str) -> None:
        texts = {
            "enrolling": lambda: self.tr("Enrolling this terminal with the club server…"),
            "pulling": lambda: self.tr("Fetching the club's members, staff and rules…"),
            "done": lambda: self.tr("Enrolled."),
        }
        text = texts.get(stage)
        self.progress_label.setText(text() if text else "")

    def _on_enrol_failed(self, error: BaseException) -> None:
        self.progress_label.setText("")
        if isinstance(error, ClubError) and error.params.pop("stage_after", None) is Stage.INCOMPLETE:
            # the code is spent and kept: the button now only finishes the pull
            self.resuming_server = self.preview.server_url if self.preview else self.resuming_server
            self.enrol_button.setText(self.tr("Finish the enrolment"))
            self.confirm_back.setVisible(False)
        self._refused("confirm", error)

    def _on_enrolled(self, terminal: Terminal) -> None:
        self._busy = False
        self._set_enabled(True)
        self.terminal = terminal
        self.resuming_server = None
        self.enrolled.emit(terminal)
        self.go("reader")

    # ---------------------------------------------------------------- reader

    def _show_readers(self) -> None:
        readers = self.cards.readers()
        self.reader_list.clear()
        for reader in readers:
            state = {
                ReaderState.READY: self.tr("ready"),
                ReaderState.CARD_PRESENT: self.tr("a card is on it"),
                ReaderState.UNAVAILABLE: self.tr("not available"),
            }[reader.state]
            self.reader_list.addItem(f"{isolated(reader.name)} — {state}")
        usable = [r for r in readers if r.state is not ReaderState.UNAVAILABLE]
        self.reader_next.setEnabled(self._last_card is not None)
        if self._last_card is not None:
            return
        if not usable:
            self.tap_label.setText("")
            self.say(
                "reader",
                lambda: self.tr(
                    "No card reader found. Check that it is plugged into a USB port (try another port) and "
                    "that its light is on; on Linux the smart card service must run (pcscd: "
                    "sudo systemctl start pcscd). Then press Look again, or Skip to do it later."
                ),
                error=True,
            )
        else:
            self.tap_label.setText(self.tr("Waiting for a card…"))
            self.say("reader", None)

    def _refresh_waiting_readers(self) -> None:
        if self.current_step() == "reader" and self._last_card is None:
            self._show_readers()

    def _on_card(self, event: CardEvent) -> None:
        if self.current_step() != "reader":
            return
        self._last_card = event
        uid = isolated(event.uid.hex(" ").upper()) if event.uid else "—"
        reader = isolated(event.reader)
        if event.kind is CardEventKind.TAPPED:
            self.tap_label.setText(self.tr("Card read on {reader}: UID {uid}. The reader works.").format(
                reader=reader, uid=uid))  # fmt: skip
        else:
            reason = READ_ERRORS.get(str(event.error), ("", ""))[1 if self.lang == "fa" else 0]
            self.tap_label.setText(
                self.tr("A card was seen on {reader} (UID {uid}) but not read ({reason}); the reader works.")
                .format(reader=reader, uid=uid, reason=reason)
            )  # fmt: skip
        self.say("reader", None)
        self.reader_next.setEnabled(True)
        self.card_read.emit(event)

    # ---------------------------------------------------------------- printer

    def printer_kind(self) -> str:
        if self.network_choice.isChecked():
            return "network"
        return "none" if self.no_printer_choice.isChecked() else "usb"

    def _on_printer_choice(self) -> None:
        kind = self.printer_kind()
        self.printer_field.setEnabled(kind != "none")
        self.test_print_button.setEnabled(kind != "none" and not self._busy)
        if kind == "usb":
            self.printer_caption.setText(self.tr("Device file"))
            self.printer_field.setPlaceholderText(USB_PRINTER)
        elif kind == "network":
            self.printer_caption.setText(self.tr("Address and port (port 9100 if none)"))
            self.printer_field.setPlaceholderText("192.168.1.50:9100")
        else:
            self.printer_caption.setText("")
            self.printer_field.setPlaceholderText("")

    def test_print(self) -> None:
        if self._busy:
            return
        kind, where, preview = self.printer_kind(), self.printer_field.text(), self.preview
        lines = (
            "Bashgah - test print",
            f"Branch {preview.branch_code}" if preview else "",
            "If you can read this, the printer works.",
        )
        self._busy = True
        self._set_enabled(False)
        self.say("printer", lambda: self.tr("Printing a test page…"))

        def work() -> str:
            setting = printer_setting(kind, where)
            print_test_page(setting, tuple(line for line in lines if line))
            return setting

        self.tasks.run(work, self._on_test_printed, lambda error: self._refused("printer", error))

    def _on_test_printed(self, setting: str) -> None:
        self._busy = False
        self._set_enabled(True)
        self._on_printer_choice()
        self.say(
            "printer",
            lambda: self.tr(
                "The test page was sent. Did it print? If not, check the paper, the cable and the power, "
                "then try again."
            ),
        )
        self.printer_tested.emit(setting)

    def save_printer(self) -> None:
        if self._busy or self.terminal is None:
            return
        kind, where, terminal = self.printer_kind(), self.printer_field.text(), self.terminal
        self._busy = True
        self._set_enabled(False)

        def work() -> str:
            setting = printer_setting(kind, where)
            save_printer(terminal, setting)
            return setting

        self.tasks.run(work, self._on_printer_saved, lambda error: self._refused("printer", error))

    def _on_printer_saved(self, _setting: str) -> None:
        self._busy = False
        self._set_enabled(True)
        self._on_printer_choice()
        self.say("printer", None)
        self._show_done()
        self.go("done")

    # ---------------------------------------------------------------- done

    def _show_done(self) -> None:
        preview = self.preview
        if preview is None:
            self.done_label.setText(self.tr("The terminal is enrolled and has the club's data."))
            return
        branch = preview.branch_name_fa if self.lang == "fa" else preview.branch_name_en
        self.done_label.setText(
            self.tr(
                "The terminal is enrolled at {branch} and has the club's data. The cashiers log in with "
                "their name and PIN from now on."
            ).format(branch=branch)
        )

    def finish(self) -> None:
        if self.terminal is not None:
            self.completed.emit(self.terminal, self.lang)


# -------------------------------------------------------------------- starting and running


@dataclass
class RunningSetup:
    """The setup's window and what it runs on; `window` is the cashier's window once setup completed."""

    app: QApplication
    wizard: FirstRunWizard
    cards: CardManager
    tasks: Tasks
    language: Language
    window: RunningWindow | None = None
    _closed: list[bool] = field(default_factory=list)

    def close_setup(self) -> None:
        """The setup's own parts: its window, its card manager (its readers closed) and its worker."""
        if self._closed:
            return
        self._closed.append(True)
        self.wizard.close()
        self.wizard.deleteLater()
        self.cards.stop()
        self.tasks.shutdown()

    def close(self) -> None:
        self.close_setup()
        if self.window is not None:
            self.window.close()
        else:
            self.language.apply(
                "en"
            )  # uninstall the translator: the next window in this process starts clean


def start_first_run(
    data_dir: Path,
    backends: Callable[[], Sequence[ReaderBackend]],
    lang: str = "fa",
    *,
    open_window: Callable[[Terminal, str], RunningWindow],
    clock: Clock | None = None,
    argv: Sequence[str] = (),
) -> RunningSetup:
    """Show the setup for `data_dir`; once it completes, close it and open the cashier's window through
    `open_window(terminal, lang)` (the composition root's: its readers, its sync client). `backends` makes
    the readers the setup's reader test uses (the window makes its own: closing the setup closes these)."""
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    assert isinstance(app, QApplication)
    app.setApplicationName("Bashgah")
    install_fonts(app)
    language = Language(app)
    language.apply(lang)
    bridge = CardBridge()
    cards = CardManager(list(backends()), on_event=bridge.on_card_event)
    tasks = Tasks()
    wizard = FirstRunWizard(
        data_dir,
        tasks=tasks,
        language=language,
        cards=cards,
        bridge=bridge,
        lang=lang,
        clock=clock,
        start_stage=first_run.stage(data_dir),
    )
    bridge.setParent(wizard)
    running = RunningSetup(app, wizard, cards, tasks, language)

    def completed(terminal: Terminal, chosen: str) -> None:
        # the setup's readers are let go first (an nfcpy reader is one process's at a time), the window is
        # shown before the setup closes (closing the last window would end the event loop), and the setup's
        # translator is removed first: the window installs its own for `chosen`
        cards.stop()
        language.apply("en")
        running.window = open_window(terminal, chosen)
        running.close_setup()

    wizard.completed.connect(completed)
    cards.start()
    wizard.show()
    return running


def run_first_run(
    data_dir: Path,
    backends: Callable[[], Sequence[ReaderBackend]],
    lang: str,
    *,
    open_window: Callable[[Terminal, str], RunningWindow],
) -> int:
    """The setup, then the cashier's window, in one event loop; the exit code of the loop."""
    running = start_first_run(data_dir, backends, lang, open_window=open_window)
    try:
        return running.app.exec()
    finally:
        running.close()
