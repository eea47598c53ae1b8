# SPDX-License-Identifier: GPL-3.0-or-later
"""A member's photo, large enough to compare with the face at the counter.

`set_photo(photo)` takes the JPEG as stored or, better, a QImage that `decode_photo` made on the
worker, and paints it cropped to fill the widget, smoothly scaled, with rounded corners; with no photo
(or bytes that do not decode) a neutral head-and-shoulders silhouette is drawn instead, so a missing
photo is obvious and never a broken image.

The tap path: `decode_photo(jpeg, side, ratio)` on the worker decodes, scales, crops and rounds the photo
to exactly what the widget paints (QImage and QPainter on a QImage may be used on any thread; QPixmap may
not), so the UI thread only copies finished pixels to the screen. A photo given any other way (bytes, an
image of another size, a widget resized) is framed once on the UI thread and kept until the next change.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

CORNER_RADIUS = 18
PLACEHOLDER_BACKGROUND = QColor("#E3E8EC")
PLACEHOLDER_FIGURE = QColor("#A9B4BE")
_FRAMED = "bashgah-framed"  # an image's text key: framed by `frame_photo` (its value: the side in pixels)


class PhotoWidget(QWidget):
    def __init__(self, side: int = 280, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._side = side
        self._photo: QImage | None = None  # as given
        self._framed: QImage | None = None  # the photo as painted at the current size
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(side // 2, side // 2)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(self._side, self._side)

    def pixel_side(self) -> tuple[int, float]:
        """The side the photo is painted at (device-independent pixels) and the screen's pixel ratio: what
        the worker frames a photo for (`decode_photo`)."""
        return min(self.width(), self.height()), self.devicePixelRatioF()

    def set_photo(self, photo: bytes | QImage | None) -> bool:
        """Show the photo (JPEG bytes or a decoded image); False (and the silhouette) when there is none
        or it does not decode."""
        image = decode_photo(photo) if isinstance(photo, bytes) else photo
        self._photo = image if image is not None and not image.isNull() else None
        self._framed = self._photo if self._photo is not None and self._fits(self._photo) else None
        self.update()
        return self._photo is not None

    def has_photo(self) -> bool:
        return self._photo is not None

    def image(self) -> QImage | None:
        """The photo as given (decoded), or None while the silhouette is shown."""
        return self._photo

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        frame = self._frame()
        if self._photo is None:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            clip = QPainterPath()
            clip.addRoundedRect(frame, CORNER_RADIUS, CORNER_RADIUS)
            painter.setClipPath(clip)
            _paint_silhouette(painter, frame)
        else:
            if self._framed is None or not self._fits(self._framed):  # a resize, or a photo from elsewhere
                side, ratio = self.pixel_side()
                self._framed = frame_photo(self._photo, side, ratio)
            painter.drawImage(frame.topLeft(), self._framed)
        painter.end()

    def _fits(self, image: QImage) -> bool:
        side, ratio = self.pixel_side()
        return image.text(_FRAMED) == str(round(side * ratio)) and image.devicePixelRatio() == ratio

    def _frame(self) -> QRectF:
        """The largest centred square that fits: photos are square, and so is the silhouette."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)


def decode_photo(jpeg: bytes | None, side: int | None = None, ratio: float = 1.0) -> QImage | None:
    """The stored photo as an image, or None when there is none or it does not decode; safe on any
    thread, so the worker decodes and the UI thread only paints. With `side` (and the screen's pixel
    `ratio`: `PhotoWidget.pixel_side`), framed as that widget paints it."""
    image = QImage()
    if not jpeg or not image.loadFromData(jpeg):
        return None
    return frame_photo(image, side, ratio) if side else image


def frame_photo(image: QImage, side: int, ratio: float = 1.0) -> QImage:
    """The photo cropped to a centred square of `side` (device-independent pixels), smoothly scaled and
    with rounded corners, ready to paint; safe on any thread (a QImage and a QPainter on it)."""
    pixels = max(1, round(side * ratio))
    scaled = image.scaled(
        pixels,
        pixels,
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )
    framed = QImage(pixels, pixels, QImage.Format.Format_ARGB32_Premultiplied)
    framed.fill(Qt.GlobalColor.transparent)
    painter = QPainter(framed)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    clip = QPainterPath()
    clip.addRoundedRect(QRectF(0, 0, pixels, pixels), CORNER_RADIUS * ratio, CORNER_RADIUS * ratio)
    painter.setClipPath(clip)
    painter.drawImage(QPointF((pixels - scaled.width()) / 2, (pixels - scaled.height()) / 2), scaled)
    painter.end()
    framed.setDevicePixelRatio(ratio)
    framed.setText(_FRAMED, str(pixels))
    return framed


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
