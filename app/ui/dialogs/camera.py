# SPDX-License-Identifier: GPL-3.0-or-later
"""A member's photo from the counter's camera: live preview, a head-and-shoulders guide, take, retake.

Keyboard-first like the enrolment: Space takes the photo, Enter uses it, Backspace retakes, Esc
cancels. The guide is the square `portrait_box` gives and the photo is cut with the same box, so
what the cashier sees inside the guide is what is kept. Cutting and encoding run on the worker; the
camera runs on its own thread (app/ui/camera.py) and stops when the dialog closes, however it closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.services.photos import portrait_box, portrait_jpeg
from app.ui.camera import CameraFeed, FrameSource
from app.ui.context import UiContext

VIEW_SIZE = (640, 480)
BUTTON_HEIGHT = 48  # touch-sized, as in the enrolment
NO_PICTURE_MS = 10_000  # a camera that opens but sends nothing (in use elsewhere, unplugged): say so
STYLES = {"hint": "color: #5f6368;", "error": "color: #b3261e;"}
SHADE = QColor(0, 0, 0, 110)
GUIDE = QColor(255, 255, 255, 230)


def frame_to_portrait(image: QImage) -> bytes:
    """The frame cut to the guide's square, as the member's JPEG (worker thread: QImage is reentrant)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    return portrait_jpeg(bytes(rgb.constBits()), rgb.width(), rgb.height(), rgb.bytesPerLine())


class CameraView(QWidget):
    """The frame scaled to fit, the outside of the guide shaded, a head oval and shoulders drawn in."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self.setMinimumSize(*(side // 2 for side in VIEW_SIZE))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setStyleSheet("background: #202124;")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def set_image(self, image: QImage) -> None:
        self._image = image
        self.update()

    def image(self) -> QImage | None:
        return self._image

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#202124"))
        if self._image is not None and not self._image.isNull():
            picture, guide = self._placement(self._image)
            painter.drawImage(picture, self._image)
            _paint_guide(painter, picture, guide)
        painter.end()

    def _placement(self, image: QImage) -> tuple[QRectF, QRectF]:
        """Where the frame is painted and where its guide square falls, in widget coordinates."""
        scale = min(self.width() / image.width(), self.height() / image.height())
        width, height = image.width() * scale, image.height() * scale
        picture = QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)
        left, top, right, bottom = portrait_box(image.width(), image.height())
        guide = QRectF(
            picture.x() + left * scale,
            picture.y() + top * scale,
            (right - left) * scale,
            (bottom - top) * scale,
        )
        return picture, guide


def _paint_guide(painter: QPainter, picture: QRectF, guide: QRectF) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    outside = QPainterPath()
    outside.addRect(picture)
    outside.addRect(guide)  # odd-even fill: everything but the guide is shaded
    painter.fillPath(outside, SHADE)
    side = guide.width()
    pen = QPen(GUIDE, max(2.0, side / 160))
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(guide)
    pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(pen)
    centre = guide.center().x()
    painter.drawEllipse(QPointF(centre, guide.top() + side * 0.40), side * 0.20, side * 0.26)  # the head
    shoulders = QRectF(centre - side * 0.42, guide.top() + side * 0.76, side * 0.84, side * 0.56)
    painter.drawArc(shoulders, 20 * 16, 140 * 16)


class CameraDialog(QDialog):
    """Live preview → Take → still with Retake / Use; `photo_taken(jpeg)` once, then it closes."""

    photo_taken = Signal(bytes)  # the member's JPEG, cut and encoded
    frame_shown = Signal()  # a live frame was painted (tests wait on it)
    failed = Signal(str)  # "error" (the camera refused) or "no_picture" (it opened but sent nothing)

    def __init__(self, ctx: UiContext, source: FrameSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.source = source
        self.state = "starting"  # starting → live ⇄ still → saving; or failed
        self._still: QImage | None = None
        self._reason = ""
        self.feed = CameraFeed(source, self)
        self.view = CameraView(self)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.capture_button = _button(self)
        self.retake_button = _button(self)
        self.use_button = _button(self)
        self.cancel_button = _button(self)
        buttons = QHBoxLayout()
        for button in (self.capture_button, self.retake_button, self.use_button, self.cancel_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        self.resize(VIEW_SIZE[0] + 40, VIEW_SIZE[1] + 140)
        self._no_picture = QTimer(self, singleShot=True, interval=NO_PICTURE_MS)
        self._no_picture.timeout.connect(lambda: self._fail("no_picture"))
        self.feed.frame.connect(self.on_frame)
        self.feed.captured.connect(self.on_captured)
        self.feed.failed.connect(lambda _text: self._fail("error"))
        self.capture_button.clicked.connect(self.on_capture)
        self.retake_button.clicked.connect(self.on_retake)
        self.use_button.clicked.connect(self.on_use)
        self.cancel_button.clicked.connect(self.reject)
        ctx.session.language_changed.connect(self.on_language_changed)
        self.retranslate()
        self._show_state()

    # ------------------------------------------------------------------ the camera

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self.state == "starting" and not self.feed.running():
            self.feed.start()
            self._no_picture.start()

    def on_frame(self, image: QImage) -> None:
        if self.state not in ("starting", "live"):
            return  # a still is on screen: frames go on arriving (a retake is instant) but are not shown
        self._no_picture.stop()
        if self.state == "starting":
            self.state = "live"
            self._show_state()
        self.view.set_image(image)
        self.frame_shown.emit()

    def on_capture(self) -> None:
        if self.state == "live":
            self.state = "capturing"
            self._show_state()
            self.feed.capture()

    def on_captured(self, image: QImage) -> None:
        if self.state != "capturing":
            return
        self._still = image
        self.state = "still"
        self.view.set_image(image)
        self._show_state()

    def on_retake(self) -> None:
        if self.state == "still":
            self._still = None
            self.state = "live"
            self._show_state()

    def on_use(self) -> None:
        if self.state != "still" or self._still is None:
            return
        self.state = "saving"
        self._show_state()
        still = self._still
        self._run(lambda: frame_to_portrait(still), self._on_saved, self._on_save_failed)

    def _on_saved(self, jpeg: bytes) -> None:
        self.photo_taken.emit(jpeg)
        self.accept()

    def _on_save_failed(self, _error: BaseException) -> None:
        self.state = "still"
        self._show_state(lambda: self.tr("That photo could not be saved. Retake it."))

    def _fail(self, reason: str) -> None:
        if self.state in ("failed", "saving") or (reason == "no_picture" and self.state != "starting"):
            return
        self.state = "failed"
        self._reason = reason
        self._no_picture.stop()
        self.feed.stop()
        self._show_state()
        self.failed.emit(reason)

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        if not event.spontaneous():  # closed, or hidden with the form (not minimised): let the device go
            self._no_picture.stop()
            self.feed.stop()
        super().hideEvent(event)

    def done(self, result: int) -> None:
        """However the dialog closes (Use, Esc, Cancel, the window's ×), the camera is released."""
        self._no_picture.stop()
        self.feed.stop()
        super().done(result)

    def _run(
        self, fn: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[Any], None]
    ) -> None:
        def alive(callback: Callable[[Any], None]) -> Callable[[Any], None]:
            return lambda value: callback(value) if shiboken6.isValid(self) else None

        self.ctx.tasks.run(fn, alive(on_done), alive(on_error))

    # ------------------------------------------------------------------ keys and texts

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        key = Qt.Key(event.key())
        if key == Qt.Key.Key_Space and self.state == "live":
            self.on_capture()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.state in ("live", "still"):
            (self.on_use if self.state == "still" else self.on_capture)()
        elif key == Qt.Key.Key_Backspace:
            self.on_retake()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _show_state(self, note: Callable[[], str] | None = None) -> None:
        state = self.state
        self.capture_button.setVisible(state in ("starting", "live", "capturing", "failed"))
        self.capture_button.setEnabled(state == "live")
        self.retake_button.setVisible(state in ("still", "saving"))
        self.use_button.setVisible(state in ("still", "saving"))
        self.retake_button.setEnabled(state == "still")
        self.use_button.setEnabled(state == "still")
        self._note = note or self._state_note
        self.note.setStyleSheet(STYLES["error" if state == "failed" or note else "hint"])
        self.note.setText(self._note())
        focus = {"live": self.capture_button, "still": self.use_button, "failed": self.cancel_button}
        if state in focus and self.isVisible():
            focus[state].setFocus()

    def _state_note(self) -> str:
        return {
            "starting": lambda: self.tr("Starting the camera…"),
            "live": lambda: self.tr("Keep the face inside the oval, then take the photo (Space)."),
            "capturing": lambda: self.tr("Taking the photo…"),
            "still": lambda: self.tr("Use this photo (Enter), or retake it (Backspace)."),
            "saving": lambda: self.tr("Saving the photo…"),
            "failed": self._failed_note,
        }[self.state]()

    def _failed_note(self) -> str:
        if self._reason == "no_picture":
            return self.tr("The camera sends no picture. Close this window and choose a file.")
        return self.tr("The camera could not be started. Close this window and choose a file.")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def on_language_changed(self, _lang: str) -> None:
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Photo from the camera"))
        self.capture_button.setText(self.tr("Take photo (Space)"))
        self.retake_button.setText(self.tr("Retake (Backspace)"))
        self.use_button.setText(self.tr("Use this photo (Enter)"))
        self.cancel_button.setText(self.tr("Cancel (Esc)"))
        if hasattr(self, "_note"):
            self.note.setText(self._note())


def _button(parent: QWidget) -> QPushButton:
    button = QPushButton(parent)
    button.setMinimumHeight(BUTTON_HEIGHT)
    button.setAutoDefault(False)  # Enter is read by the dialog: it takes, then uses, the photo
    return button
