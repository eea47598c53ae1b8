# SPDX-License-Identifier: GPL-3.0-or-later
"""A member's photo, large enough to compare with the face at the counter.

`set_photo(photo)` takes the JPEG as stored or, better, a QImage that `decode_photo` made on the
worker (QImage, unlike QPixmap, may be made on any thread), and paints it cropped to fill the widget,
smoothly scaled, with rounded corners; with no photo (or bytes that do not decode) a neutral
head-and-shoulders silhouette is drawn instead, so a missing photo is obvious and never a broken image.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPaintEvent, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

CORNER_RADIUS = 18
PLACEHOLDER_BACKGROUND = QColor("#E3E8EC")
PLACEHOLDER_FIGURE = QColor("#A9B4BE")


class PhotoWidget(QWidget):
    def __init__(self, side: int = 280, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._side = side
        self._photo: QPixmap | None = None
        self._scaled: QPixmap | None = None  # the photo at the current size, made once per resize
        self._scaled_for = QSize()
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(side // 2, side // 2)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(self._side, self._side)

    def set_photo(self, photo: bytes | QImage | None) -> bool:
        """Show the photo (JPEG bytes or a decoded image); False (and the silhouette) when there is none
        or it does not decode."""
        image = decode_photo(photo) if isinstance(photo, bytes) else photo
        self._photo = QPixmap.fromImage(image) if image is not None and not image.isNull() else None
        self._scaled = None
        self.update()
        return self._photo is not None

    def has_photo(self) -> bool:
        return self._photo is not None

    def pixmap(self) -> QPixmap | None:
        """The decoded photo at its own size, or None while the silhouette is shown."""
        return self._photo

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        frame = self._frame()
        clip = QPainterPath()
        clip.addRoundedRect(frame, CORNER_RADIUS, CORNER_RADIUS)
        painter.setClipPath(clip)
        if self._photo is None:
            _paint_silhouette(painter, frame)
        else:
            scaled = self._scaled_photo(frame)
            x = frame.x() + (frame.width() - scaled.width()) / 2
            y = frame.y() + (frame.height() - scaled.height()) / 2
            painter.drawPixmap(QPointF(x, y), scaled)
        painter.end()

    def _frame(self) -> QRectF:
        """The largest centred square that fits: photos are square, and so is the silhouette."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _scaled_photo(self, frame: QRectF) -> QPixmap:
        size = frame.size().toSize()
        if self._scaled is None or self._scaled_for != size:
            self._scaled_for = size
            self._scaled = self._photo.scaled(
                size,
                Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                Qt.TransformationMode.SmoothTransformation,
            )
        return self._scaled


def decode_photo(jpeg: bytes | None) -> QImage | None:
    """The stored photo as an image, or None when there is none or it does not decode; safe on any
    thread, so the worker decodes and the UI thread only paints."""
    image = QImage()
    return image if jpeg and image.loadFromData(jpeg) else None


def _paint_silhouette(painter: QPainter, frame: QRectF) -> None:
    """A neutral head and shoulders: no face, no gender, just 'no photo on file'."""
    painter.fillRect(frame, PLACEHOLDER_BACKGROUND)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(PLACEHOLDER_FIGURE)
    side = frame.width()
    centre_x = frame.center().x()
    head_radius = side * 0.18
    painter.drawEllipse(QPointF(centre_x, frame.top() + side * 0.38), head_radius, head_radius)
    shoulders = QRectF(centre_x - side * 0.36, frame.top() + side * 0.66, side * 0.72, side * 0.62)
    painter.drawEllipse(shoulders)
