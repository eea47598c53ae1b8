# SPDX-License-Identifier: GPL-3.0-or-later
"""Enrolling a new member at the counter in under a minute, then giving them a QR or a card.

Keyboard-first: Tab walks name → phone → birth date → national id → photo (a file, or the counter's
camera: app/ui/dialogs/camera.py) → referrer → consent, Enter enrols, Esc cancels. With no camera (or
an install without Qt Multimedia) the camera button says so plainly and opens the file chooser instead.
Fields are checked as you leave them; the use case has the last word.
The member id is made once per dialog, so a second Enter (or a retry) can never enrol twice.

Threading: everything that touches the store or decodes a picture runs through `ctx.tasks`; the
callbacks run on the UI thread and drop results that no longer match what is on screen.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import shiboken6
from PIL import Image, ImageOps, UnidentifiedImageError
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import ClubError
from app.domain.member import Member, clean_name, national_id_is_valid
from app.domain.phone import normalize_phone
from app.domain.staff import Staff
from app.format import card_number_text, isolated, number
from app.services.cards import PreparedCard, prepare_card
from app.services.enroll import MAX_PHOTO_BYTES, EnrollRequest, EnrollResult, enroll_member
from app.services.identify import MemberMatch, search_members
from app.services.terminal import Terminal
from app.ui.camera import FrameSource, camera_support, default_camera
from app.ui.context import UiContext
from app.ui.dialogs.camera import CameraDialog
from app.ui.dialogs.jalali_date import JalaliDateEdit
from app.ui.messages import club_error_text

PHOTO_SIDES = (800, 640, 480, 320, 240)  # plenty for a face on the counter screen
PHOTO_QUALITIES = (85, 75, 65)
PREVIEW_SIDE = 96
QR_SIDE = 260
QR_BOX = 8  # pixels per module in the saved PNG, as `bashgah card issue --qr` makes it
BUTTON_HEIGHT = 48  # touch-sized
STYLES = {"hint": "color: #5f6368;", "error": "color: #b3261e;", "ok": "color: #1e7b34;"}
FSI, PDI = "\u2068", "\u2069"  # a name keeps its own direction inside the sentence around it


# ---------------------------------------------------------------------------- work for the worker


def photo_to_jpeg(data: bytes, limit: int = MAX_PHOTO_BYTES) -> bytes:
    """A JPEG or PNG as an upright JPEG of at most `limit` bytes (re-encoding also drops EXIF data)."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.draft("RGB", (2 * PHOTO_SIDES[0], 2 * PHOTO_SIDES[0]))  # JPEG: decode at a smaller scale
            image = _flatten(ImageOps.exif_transpose(opened))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise ValueError("not a picture") from error
    for side in PHOTO_SIDES:
        small = image.copy()
        small.thumbnail((side, side), Image.Resampling.LANCZOS)
        for quality in PHOTO_QUALITIES:
            out = io.BytesIO()
            small.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= limit:
                return out.getvalue()
    raise ValueError("picture too large even when shrunk")


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: a PNG's transparent background must not turn black in the JPEG."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def load_photo(path: str) -> bytes:
    return photo_to_jpeg(Path(path).read_bytes())


def qr_png(text: str) -> bytes:
    """The member QR as a PNG (same settings as `bashgah card issue --qr`)."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, box_size=QR_BOX)
    code.add_data(text)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()


def issue_qr(terminal: Terminal, member_id: str, staff: Staff) -> tuple[PreparedCard, bytes]:
    """Sign the member's QR (the use case refuses staff who may not issue cards) and draw it."""
    prepared = prepare_card(terminal, member_id, staff=staff, as_qr=True)
    return prepared, qr_png(prepared.qr_text or "")


# ---------------------------------------------------------------------------- small widgets


class NoteLabel(QLabel):
    """A line under a field (hint, error or success) that re-words itself when the language changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.kind = ""
        self._text: Callable[[], str] | None = None
        self.hide()

    def say(self, text: Callable[[], str] | None, kind: str = "hint") -> None:
        self._text = text
        self.kind = kind if text else ""
        self.setStyleSheet(STYLES.get(kind, ""))
        self.refresh()

    def refresh(self) -> None:
        self.setText(self._text() if self._text else "")
        self.setVisible(self._text is not None)
        self.changed.emit()


def name_text(name: str) -> str:
    return f"{FSI}{name}{PDI}"


class NumberEdit(QLineEdit):
    """Phone numbers and ids: typed left to right (so "+98…" never flips) yet aligned with the form,
    and the placeholder keeps the form's direction so a Persian hint reads right to left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.textChanged.connect(self.follow_form)

    def follow_form(self, text: str | None = None) -> None:
        form = self.parentWidget() or self
        right_to_left = form.layoutDirection() == Qt.LayoutDirection.RightToLeft
        if text if text is not None else self.text():
            self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        else:
            self.unsetLayoutDirection()
        side = Qt.AlignmentFlag.AlignRight if right_to_left else Qt.AlignmentFlag.AlignLeft
        self.setAlignment(side | Qt.AlignmentFlag.AlignAbsolute | Qt.AlignmentFlag.AlignVCenter)


def _button(parent: QWidget, *, default: bool = False) -> QPushButton:
    button = QPushButton(parent)
    button.setMinimumHeight(BUTTON_HEIGHT)
    button.setAutoDefault(default)  # Enter submits the form wherever the focus is
    button.setDefault(default)
    return button


# ---------------------------------------------------------------------------- the dialog


class EnrollDialog(QDialog):
    """A new member: form page, then a page to hand over a QR (F6) or write a card (F7)."""

    enrolled = Signal(object)  # EnrollResult, once
    refused = Signal(str)  # the refusal's code, once it is on screen
    photo_loaded = Signal(int)  # size of the stored JPEG in bytes
    qr_issued = Signal(object)  # PreparedCard, once its image is shown
    card_write_requested = Signal(str)  # member id: the main window writes the chip on the reader
    camera_opened = Signal(object)  # the CameraDialog, once shown

    def __init__(
        self,
        ctx: UiContext,
        parent: QWidget | None = None,
        camera: Callable[[], FrameSource | None] = default_camera,
    ) -> None:
        """`camera` finds the camera when the cashier asks for it (the tests give a video file)."""
        super().__init__(parent)
        self.ctx = ctx
        self._find_camera = camera
        self.camera_dialog: CameraDialog | None = None
        self._member_id = ctx.terminal.new_id()  # the idempotency key: one dialog, one member
        self._busy = False
        self._result: EnrollResult | None = None
        self._photo: bytes | None = None
        self._photo_loading = False
        self._referrer: Member | None = None
        self._referrer_text = ""
        self._qr: tuple[PreparedCard, bytes] | None = None
        self._labels: dict[str, QLabel] = {}
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._build_form())
        self.pages.addWidget(self._build_done())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self.setMinimumWidth(640)
        self._fit_timer = QTimer(self, singleShot=True, interval=0, timeout=self._fit)
        for note in self.findChildren(NoteLabel):
            note.changed.connect(self._fit_timer.start)
        self._connect()
        ctx.session.language_changed.connect(self.on_language_changed)  # a bound slot: dropped with us
        self.retranslate()
        self.name_edit.setFocus()

    # ------------------------------------------------------------------ building

    def _build_form(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit(page)
        self.phone_edit = NumberEdit(page)
        self.phone_note = NoteLabel(page)
        self.birth_edit = JalaliDateEdit(self.ctx.session.lang, page, today=self._today())
        self.national_id_edit = NumberEdit(page)
        self.national_id_edit.setMaxLength(14)
        self.national_id_note = NoteLabel(page)
        photo_row = self._build_photo_row(page)
        self.referrer_edit = NumberEdit(page)
        self.referrer_note = NoteLabel(page)
        self.consent_box = QCheckBox(page)
        rows: list[tuple[str, list[QWidget] | QWidget]] = [
            ("name", self.name_edit),
            ("phone", [self.phone_edit, self.phone_note]),
            ("birth", self.birth_edit),
            ("national_id", [self.national_id_edit, self.national_id_note]),
            ("photo", photo_row),
            ("referrer", [self.referrer_edit, self.referrer_note]),
        ]
        for key, field in rows:
            form.addRow(self._label(key, page), _stack(field, page) if isinstance(field, list) else field)
        form.addRow("", self.consent_box)
        self.form_error = NoteLabel(page)
        self.submit_button = _button(page, default=True)
        self.cancel_button = _button(page)
        layout = QVBoxLayout(page)
        self.title_label = QLabel(page)
        self.title_label.setFont(_bigger(self.title_label.font(), 4, bold=True))
        layout.addWidget(self.title_label)
        layout.addLayout(form)
        layout.addWidget(self.form_error)
        layout.addLayout(_row(self.submit_button, self.cancel_button))
        self._set_tab_order()
        return page

    def _build_photo_row(self, page: QWidget) -> QWidget:
        row = QWidget(page)
        self.photo_preview = QLabel(row)
        self.photo_preview.setFixedSize(PREVIEW_SIDE, PREVIEW_SIDE)
        self.photo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo_preview.setStyleSheet("border: 1px solid #c4c7c5; border-radius: 6px;")
        self.photo_button = _button(row)
        self.camera_button = _button(row)
        self.camera_note = NoteLabel(row)
        self.photo_note = NoteLabel(row)
        buttons = QVBoxLayout()
        buttons.addLayout(_row(self.photo_button, self.camera_button))
        buttons.addWidget(self.camera_note)
        buttons.addWidget(self.photo_note)
        buttons.addStretch(1)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.photo_preview, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(buttons, 1)
        return row

    def _build_done(self) -> QWidget:
        page = QWidget(self)
        self.done_title = QLabel(page)
        self.done_title.setFont(_bigger(self.done_title.font(), 4, bold=True))
        self.done_title.setWordWrap(True)
        self.done_detail = QLabel(page)
        self.done_note = NoteLabel(page)
        self.qr_image = QLabel(page)
        self.qr_image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr_image.hide()
        self.qr_button = _button(page)
        self.card_button = _button(page)
        self.card_button.setVisible(self.ctx.cards is not None)
        self.save_qr_button = _button(page)
        self.save_qr_button.hide()
        self.close_button = _button(page, default=False)
        layout = QVBoxLayout(page)
        for widget in (self.done_title, self.done_detail):
            layout.addWidget(widget)
        layout.addLayout(_row(self.qr_button, self.card_button))
        layout.addWidget(self.qr_image)
        layout.addWidget(self.done_note)
        layout.addLayout(_row(self.save_qr_button, self.close_button))
        layout.addStretch(1)
        return page

    def _label(self, key: str, parent: QWidget) -> QLabel:
        label = QLabel(parent)
        self._labels[key] = label
        return label

    def _set_tab_order(self) -> None:
        chain: list[QWidget] = [
            self.name_edit,
            self.phone_edit,
            self.birth_edit.day,
            self.birth_edit.month,
            self.birth_edit.year,
            self.national_id_edit,
            self.photo_button,
            self.camera_button,
            self.referrer_edit,
            self.consent_box,
            self.submit_button,
            self.cancel_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        for label_key, buddy in (
            ("name", self.name_edit),
            ("phone", self.phone_edit),
            ("birth", self.birth_edit.day),
            ("national_id", self.national_id_edit),
            ("referrer", self.referrer_edit),
        ):
            self._labels[label_key].setBuddy(buddy)

    def _connect(self) -> None:
        self.phone_edit.editingFinished.connect(self.on_phone_left)
        self.phone_edit.textEdited.connect(lambda _text: self.phone_note.say(None))
        self.national_id_edit.editingFinished.connect(self.on_national_id_left)
        self.referrer_edit.editingFinished.connect(self.on_referrer_left)
        self.photo_button.clicked.connect(self.on_choose_photo)
        self.camera_button.clicked.connect(self.on_camera)
        self.submit_button.clicked.connect(self.on_submit)
        self.cancel_button.clicked.connect(self.reject)
        self.qr_button.clicked.connect(self.on_issue_qr)
        self.card_button.clicked.connect(self.on_write_card)
        self.save_qr_button.clicked.connect(self.on_save_qr)
        self.close_button.clicked.connect(self.accept)

    def _run(
        self, fn: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]
    ) -> None:
        """Run on the worker; the answer is dropped if the dialog was deleted in the meantime."""

        def alive(callback: Callable[[Any], None]) -> Callable[[Any], None]:
            return lambda value: callback(value) if shiboken6.isValid(self) else None

        self.ctx.tasks.run(fn, alive(on_done), alive(on_error))

    def _fit(self) -> None:
        """Grow to show every line of wrapped messages (Qt's minimum size ignores word wrap)."""
        layout = self.layout()
        height = (
            layout.totalHeightForWidth(self.width())
            if layout.hasHeightForWidth()
            else layout.totalSizeHint().height()
        )
        if height > self.height():
            self.resize(self.width(), height)

    # ------------------------------------------------------------------ language

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def on_language_changed(self, _lang: str) -> None:
        self.retranslate()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        """F6 and F7 on the second page (keys, not QShortcuts: the main window owns the F-key shortcuts)."""
        actions = {Qt.Key.Key_F6: self.qr_button, Qt.Key.Key_F7: self.card_button}
        button = actions.get(Qt.Key(event.key()))
        if button is not None and self.pages.currentIndex() == 1:
            if button.isVisible() and button.isEnabled():
                button.click()
            event.accept()
            return
        super().keyPressEvent(event)

    def retranslate(self) -> None:
        self.birth_edit.set_language(self.ctx.session.lang)
        self.setWindowTitle(self.tr("New member"))
        self.title_label.setText(self.tr("New member"))
        texts = {
            "name": self.tr("&Name"),
            "phone": self.tr("&Mobile phone"),
            "birth": self.tr("&Birth date"),
            "national_id": self.tr("National &ID"),
            "photo": self.tr("Photo"),
            "referrer": self.tr("&Referred by"),
        }
        for key, text in texts.items():
            self._labels[key].setText(text)
        self.name_edit.setPlaceholderText(self.tr("First and last name"))
        self.phone_edit.setPlaceholderText(self.tr("09xx xxx xxxx or +country code"))
        self.national_id_edit.setPlaceholderText(self.tr("Optional, 10 digits"))
        self.referrer_edit.setPlaceholderText(self.tr("Phone of the member who referred them (optional)"))
        self.consent_box.setText(self.tr("Agrees to receive offers and news by SMS"))
        self.photo_button.setText(self.tr("Choose a file…"))
        self.camera_button.setText(self.tr("Camera…"))
        self.submit_button.setText(self.tr("Enroll (Enter)"))
        self.cancel_button.setText(self.tr("Cancel (Esc)"))
        self.qr_button.setText(self.tr("Issue QR (F6)"))
        self.card_button.setText(self.tr("Write card (F7)"))
        self.save_qr_button.setText(self.tr("Save PNG…"))
        self.close_button.setText(self.tr("Done (Enter)"))
        for edit in (self.phone_edit, self.national_id_edit, self.referrer_edit):
            edit.follow_form()
        self._retranslate_notes()

    def _retranslate_notes(self) -> None:
        if self.national_id_note.kind in ("", "hint"):
            self.national_id_note.say(lambda: self.tr("Optional. Only its last 4 digits are kept."))
        for note in (
            self.camera_note,
            self.phone_note,
            self.national_id_note,
            self.referrer_note,
            self.photo_note,
            self.form_error,
            self.done_note,
        ):
            note.refresh()
        if self._result is not None:
            self._show_done_texts()

    # ------------------------------------------------------------------ checking fields

    def _lang(self) -> str:
        return self.ctx.session.lang

    def _today(self) -> date:
        return datetime.fromtimestamp(self.ctx.terminal.clock.now_us() / 1_000_000).date()

    def _error_text(self, error: BaseException) -> Callable[[], str]:
        return lambda: club_error_text(error, self._lang())

    def _check_phone(self) -> str | None:
        """The phone in E.164 form, or None with the reason shown under the field."""
        text = self.phone_edit.text().strip()
        if not text:
            self.phone_note.say(lambda: self.tr("A mobile number is needed."), "error")
            return None
        try:
            phone = normalize_phone(text)
        except ClubError as error:
            self.phone_note.say(self._error_text(error), "error")
            return None
        self.phone_note.say(lambda: self.tr("Will be saved as {phone}").format(phone=isolated(phone)), "ok")
        return phone

    def on_phone_left(self) -> None:
        if not self.phone_edit.text().strip() or self._result is not None or not self.isVisible():
            return
        phone = self._check_phone()
        if phone is None:
            return
        terminal = self.ctx.terminal
        self._run(
            lambda: search_members(terminal, phone, limit=1),
            lambda matches: self._on_phone_holder(phone, matches),
            lambda _error: None,  # only a courtesy; the use case checks again
        )

    def _on_phone_holder(self, phone: str, matches: list[MemberMatch]) -> None:
        if not matches or self._check_phone_quietly() != phone or self._result is not None:
            return
        name = name_text(matches[0].member.name)
        self.phone_note.say(lambda: self.tr("Already a member: {name}").format(name=name), "error")

    def _check_phone_quietly(self) -> str | None:
        try:
            return normalize_phone(self.phone_edit.text())
        except ClubError:
            return None

    def on_national_id_left(self) -> None:
        self._check_national_id()

    def _check_national_id(self) -> bool:
        text = self.national_id_edit.text().strip()
        if text and not national_id_is_valid(text):
            self.national_id_note.say(
                lambda: self.tr("Not a valid national ID (10 digits with a check digit)."), "error"
            )
            return False
        self.national_id_note.say(lambda: self.tr("Optional. Only its last 4 digits are kept."))
        return True

    # ------------------------------------------------------------------ referrer

    def on_referrer_left(self) -> None:
        if self._result is None and self.isVisible():
            self._look_up_referrer(None)

    def _look_up_referrer(self, then: Callable[[], None] | None) -> None:
        """Find the referrer the field names; `then` runs when exactly one member was found."""
        text = self.referrer_edit.text().strip()
        if text == self._referrer_text and (self._referrer is not None or not text):
            self._show_referrer(self._referrer)
            if then is not None:
                then()
            return
        self._referrer, self._referrer_text = None, ""
        if not text:
            self.referrer_note.say(None)
            if then is not None:
                then()
            return
        terminal = self.ctx.terminal
        self._run(
            lambda: search_members(terminal, text, limit=5),
            lambda matches: self._on_referrers(text, matches, then),
            lambda error: self._on_referrer_failed(text, error, then),
        )

    def _on_referrers(self, text: str, matches: list[MemberMatch], then: Callable[[], None] | None) -> None:
        if text != self.referrer_edit.text().strip():
            if then is not None:
                self._finish_busy()  # typed over while we looked: the next Enter looks again
            return
        if len(matches) == 1:
            self._referrer, self._referrer_text = matches[0].member, text
            self._show_referrer(self._referrer)
            if then is not None:
                then()
            return
        if not matches:
            self.referrer_note.say(
                lambda: self.tr("No member found with “{text}”.").format(text=text), "error"
            )
        else:
            count = len(matches)
            self.referrer_note.say(
                lambda: self.tr("{count} members match; type the referrer's phone number.").format(
                    count=number(count, self._lang())
                ),
                "error",
            )
        if then is not None:
            self.referrer_edit.setFocus()
            self._refuse("unknown_referrer")

    def _on_referrer_failed(self, text: str, error: BaseException, then: Callable[[], None] | None) -> None:
        if text == self.referrer_edit.text().strip():
            self.referrer_note.say(self._error_text(error), "error")
        if then is not None:
            self._refuse(error.code if isinstance(error, ClubError) else "unexpected")

    def _show_referrer(self, member: Member | None) -> None:
        if member is None:
            self.referrer_note.say(None)
            return
        name, phone = name_text(member.name), member.phone
        self.referrer_note.say(
            lambda: self.tr("Referred by {name} ({phone})").format(name=name, phone=isolated(phone)), "ok"
        )

    # ------------------------------------------------------------------ photo

    def on_choose_photo(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("Choose the member's photo"), "", self.tr("Pictures") + " (*.jpg *.jpeg *.png)"
        )
        if not path:
            return
        self._photo_loading = True
        self.photo_note.say(lambda: self.tr("Loading the photo…"))
        self._run(lambda: load_photo(path), self._on_photo_loaded, self._on_photo_failed)

    def on_camera(self) -> None:
        """The camera's window; with no camera, the file chooser, saying why."""
        if self.camera_dialog is not None:
            return
        source = self._find_camera() if camera_support() else None
        if source is None:
            self.camera_note.say(
                (lambda: self.tr("No camera is connected to this computer: choose a photo file instead."))
                if camera_support()
                else (lambda: self.tr("This installation cannot use a camera: choose a photo file instead.")),
                "error",
            )
            self.on_choose_photo()
            return
        self.camera_note.say(None)
        dialog = CameraDialog(self.ctx, source, self)
        dialog.photo_taken.connect(self._on_photo_loaded)
        dialog.failed.connect(self._on_camera_failed)
        dialog.finished.connect(self._on_camera_closed)
        self.camera_dialog = dialog
        dialog.open()
        self.camera_opened.emit(dialog)

    def _on_camera_failed(self, reason: str) -> None:
        self.camera_note.say(
            (lambda: self.tr("The camera sends no picture: choose a photo file instead."))
            if reason == "no_picture"
            else (lambda: self.tr("The camera could not be started: choose a photo file instead.")),
            "error",
        )
        if self.camera_dialog is not None:
            self.camera_dialog.reject()
        self.on_choose_photo()

    def _on_camera_closed(self, _result: int) -> None:
        dialog, self.camera_dialog = self.camera_dialog, None
        if dialog is not None:
            dialog.deleteLater()
        self.camera_button.setFocus()

    def _on_photo_loaded(self, jpeg: bytes) -> None:
        self._photo_loading = False
        self._photo = jpeg
        pixmap = QPixmap()
        pixmap.loadFromData(jpeg, "JPEG")
        self.photo_preview.setPixmap(
            pixmap.scaled(
                PREVIEW_SIDE,
                PREVIEW_SIDE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        kilobytes = max(1, len(jpeg) // 1024)
        self.photo_note.say(
            lambda: self.tr("Photo ready ({size} KB)").format(size=number(kilobytes, self._lang())),
            "ok",
        )
        self.photo_loaded.emit(len(jpeg))

    def _on_photo_failed(self, _error: BaseException) -> None:
        self._photo_loading = False
        self.photo_note.say(
            lambda: self.tr("That file could not be read as a picture (use JPEG or PNG)."), "error"
        )

    # ------------------------------------------------------------------ enrolling

    def on_submit(self) -> None:
        if self._busy or self._result is not None:
            return  # a second Enter while the first is on its way
        request = self._request()
        if request is None:
            return
        self._busy = True
        self.submit_button.setEnabled(False)
        self.form_error.say(None)
        self._look_up_referrer(lambda: self._enrol(request))

    def _request(self) -> EnrollRequest | None:
        """What the form says, or None after showing (and focusing) the first thing to fix."""
        try:
            name = clean_name(self.name_edit.text())
        except ClubError:
            return self._fix(self.name_edit, lambda: self.tr("Type the member's name."))
        phone = self._check_phone()
        if phone is None:
            return self._fix(self.phone_edit, None)
        if not self.birth_edit.is_valid():
            return self._fix(self.birth_edit.day, lambda: self.tr("Finish the birth date, or clear it."))
        if not self._check_national_id():
            return self._fix(self.national_id_edit, None)
        if self._photo_loading:
            return self._fix(self.photo_button, lambda: self.tr("Wait a moment: the photo is still loading."))
        return EnrollRequest(
            name=name,
            phone=phone,
            birth_date=self.birth_edit.date(),
            national_id=self.national_id_edit.text().strip() or None,
            consent_marketing=self.consent_box.isChecked(),
            photo_jpeg=self._photo,
            staff=self.ctx.session.staff,
            member_id=self._member_id,
        )

    def _fix(self, widget: QWidget, text: Callable[[], str] | None) -> None:
        self.form_error.say(text, "error")
        widget.setFocus()

    def _enrol(self, request: EnrollRequest) -> None:
        referrer = self._referrer.id if self._referrer is not None else None
        terminal = self.ctx.terminal
        self._run(
            lambda: enroll_member(terminal, _with_referrer(request, referrer)),
            self.on_enrolled,
            self.on_enrol_failed,
        )

    def on_enrolled(self, result: EnrollResult) -> None:
        self._finish_busy()
        if self._result is not None:
            return
        self._result = result
        self._show_done_texts()
        self.pages.setCurrentIndex(1)
        self.close_button.setDefault(True)
        self.qr_button.setFocus()
        self.enrolled.emit(result)

    def on_enrol_failed(self, error: BaseException) -> None:
        self._finish_busy()
        if isinstance(error, ClubError) and error.code == "duplicate_phone":
            name = name_text(str(error.params.get("name", "")))
            self.phone_note.say(lambda: self.tr("Already a member: {name}").format(name=name), "error")
            self.form_error.say(
                lambda: self.tr("This phone number already belongs to {name}. Nothing was saved.").format(
                    name=name
                ),
                "error",
            )
            self.phone_edit.setFocus()
        else:
            self.form_error.say(self._error_text(error), "error")
        self._refuse(error.code if isinstance(error, ClubError) else "unexpected")

    def _finish_busy(self) -> None:
        self._busy = False
        self.submit_button.setEnabled(self._result is None)

    def _refuse(self, code: str) -> None:
        self._finish_busy()
        self.refused.emit(code)

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        if self.camera_dialog is not None and not event.spontaneous():
            self.camera_dialog.reject()  # the camera is released with the form, never left running
        super().hideEvent(event)

    def reject(self) -> None:
        if self._busy:
            return  # the enrolment is being written; it takes a moment, and then Esc works
        if self._result is not None:
            self.accept()  # the member exists: closing is not cancelling
            return
        super().reject()

    # ------------------------------------------------------------------ after enrolment

    def result_member(self) -> Member | None:
        return self._result.member if self._result is not None else None

    def _show_done_texts(self) -> None:
        assert self._result is not None
        member, card = self._result.member, self._result.card
        self.done_title.setText(self.tr("{name} is now a member.").format(name=name_text(member.name)))
        self.done_detail.setText(
            self.tr("Card number: {number}").format(number=card_number_text(card.number)) if card else ""
        )
        if self.done_note.kind == "":
            self.done_note.say(
                (lambda: self.tr("Give them a QR code (F6) or write a card (F7)."))
                if self.ctx.cards is not None
                else (lambda: self.tr("Give them a QR code (F6) to show at the counter.")),
            )

    def on_issue_qr(self) -> None:
        if self._result is None or self._busy:
            return
        staff = self.ctx.session.staff
        if staff is None:
            self.done_note.say(lambda: self.tr("Log in as a manager to issue a QR code."), "error")
            self._refuse("staff_required")
            return
        self._busy = True
        member_id, terminal = self._result.member.id, self.ctx.terminal
        self._run(lambda: issue_qr(terminal, member_id, staff), self.on_qr_issued, self.on_qr_failed)

    def on_qr_issued(self, issued: tuple[PreparedCard, bytes]) -> None:
        self._busy = False
        self._qr = issued
        prepared, png = issued
        pixmap = QPixmap()
        pixmap.loadFromData(png, "PNG")
        modules = max(1, pixmap.width() // QR_BOX)  # every module the same whole number of pixels
        side = max(1, QR_SIDE // modules) * modules
        self.qr_image.setPixmap(
            pixmap.scaled(
                side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
            )  # crisp modules for scanners
        )
        self.qr_image.show()
        self.save_qr_button.show()
        card = prepared.card.number
        self.done_note.say(
            lambda: self.tr("QR code for card {number}: the member can show it instead of a card.").format(
                number=card_number_text(card)
            ),
            "ok",
        )
        self.qr_issued.emit(prepared)

    def on_qr_failed(self, error: BaseException) -> None:
        self._busy = False
        self.done_note.say(self._error_text(error), "error")
        self._refuse(error.code if isinstance(error, ClubError) else "unexpected")

    def on_save_qr(self) -> None:
        if self._qr is None:
            return
        prepared, png = self._qr
        path, _filter = QFileDialog.getSaveFileName(
            self,
            self.tr("Save the QR code"),
            f"bashgah-{prepared.card.number}.png",
            self.tr("PNG pictures") + " (*.png)",
        )
        if not path:
            return
        try:
            Path(path).write_bytes(png)
        except OSError as error:
            reason = error.strerror or str(error)
            self.done_note.say(lambda: self.tr("Could not save: {reason}").format(reason=reason), "error")
            return
        self.done_note.say(lambda: self.tr("Saved to {path}").format(path=isolated(path)), "ok")

    def on_write_card(self) -> None:
        if self._result is not None and self.ctx.cards is not None:
            self.card_write_requested.emit(self._result.member.id)


# ---------------------------------------------------------------------------- helpers


def _with_referrer(request: EnrollRequest, referrer_id: str | None) -> EnrollRequest:
    return replace(request, referrer_id=referrer_id)


def _stack(widgets: list[QWidget], parent: QWidget) -> QWidget:
    box = QWidget(parent)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    for widget in widgets:
        layout.addWidget(widget)
    return box


def _row(*buttons: QWidget) -> QHBoxLayout:
    layout = QHBoxLayout()
    for button in buttons:
        layout.addWidget(button)
    return layout


def _bigger(font: QFont, points: int, *, bold: bool = False) -> QFont:
    bigger = QFont(font)
    bigger.setPointSize(max(font.pointSize(), 1) + points)
    bigger.setBold(bold)
    return bigger
