# SPDX-License-Identifier: GPL-3.0-or-later
"""The idle screen's picture: a card with contactless waves beside a QR code, drawn with QPainter.

Drawn rather than loaded so the screen needs no image files and stays sharp at any size. The picture
is the same in both languages (a card and a QR are not read in a direction).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

# a fixed 7×7 pattern with the three finder squares, enough to read as "a QR code" at a glance
_QR = (
    "1110101",
    "1010010",
    "1110111",
    "0001000",
    "1011011",
    "0100101",
    "1101011",
)


class TapGlyphWidget(QWidget):
    def __init__(self, colour: QColor | str = "#1565C0", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colour = QColor(colour)
        self.setFixedSize(QSize(330, 120))
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        height = self.height()
        qr_side = height * 0.8
        self._paint_card(painter, QRectF(4, height * 0.12, height * 1.2, height * 0.76))
        self._paint_qr(painter, QRectF(self.width() - qr_side - 4, height * 0.1, qr_side, qr_side))
        painter.end()

    def _paint_card(self, painter: QPainter, card: QRectF) -> None:
        painter.setPen(QPen(self._colour, 4))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(card, 10, 10)
        chip = QRectF(card.left() + card.width() * 0.12, card.top() + card.height() * 0.3, 26, 20)
        painter.setBrush(self._colour)
        painter.drawRoundedRect(chip, 4, 4)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        pen = QPen(self._colour, 4)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        centre = QPointF(card.right() + 8, card.center().y())
        for radius in (14, 26, 38):  # the contactless waves, opening away from the card
            arc = QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)
            painter.drawArc(arc, -50 * 16, 100 * 16)

    def _paint_qr(self, painter: QPainter, area: QRectF) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._colour)
        cell = area.width() / len(_QR)
        for row, line in enumerate(_QR):
            for column, bit in enumerate(line):
                if bit == "1":
                    painter.drawRect(QRectF(area.left() + column * cell, area.top() + row * cell, cell, cell))
