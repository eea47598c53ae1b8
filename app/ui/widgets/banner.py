# SPDX-License-Identifier: GPL-3.0-or-later
"""A coloured band across a screen: a big title saying what happened, a line saying what to do.

Red for a refusal (a card not to accept), amber for a limitation the cashier must know (earn only),
blue for information. Hidden until `show_message`; `clear()` hides it again. The caller passes
translated text, and shows it again in the new language on a language change.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.ui.widgets.style import align_start, restyle, scaled_font


class BannerKind(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# (background, text) per kind: white on red and blue, near-black on amber (contrast ≥ 4.5:1)
_COLOURS = {
    BannerKind.ERROR: ("#C62828", "#FFFFFF"),
    BannerKind.WARNING: ("#FFB300", "#2B1D00"),
    BannerKind.INFO: ("#1565C0", "#FFFFFF"),
}


class BannerWidget(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self._kind = BannerKind.ERROR
        self.mark = _MarkWidget(self)
        self.title_label = QLabel(self)
        self.title_label.setFont(scaled_font(self.font(), 1.7, bold=True))
        self.title_label.setWordWrap(True)
        self.detail_label = QLabel(self)
        self.detail_label.setFont(scaled_font(self.font(), 1.15))
        self.detail_label.setWordWrap(True)
        texts = QVBoxLayout()
        texts.setSpacing(4)
        texts.addWidget(self.title_label)
        texts.addWidget(self.detail_label)
        row = QHBoxLayout(self)
        row.setContentsMargins(20, 14, 20, 14)
        row.setSpacing(16)
        row.addWidget(self.mark, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(texts, 1)
        self.hide()

    def show_message(self, title: str, detail: str, kind: BannerKind | str = BannerKind.ERROR) -> None:
        """Show the band with `title` (big) and `detail` (what to do); `kind` picks the colour."""
        self._kind = BannerKind(kind)
        background, text = _COLOURS[self._kind]
        restyle(
            self,
            f"QFrame#banner {{ background: {background}; border-radius: 10px; }}"
            f"QFrame#banner QLabel {{ color: {text}; background: transparent; }}"
        )
        self.mark.colour = QColor(text)
        for label in (self.title_label, self.detail_label):
            align_start(label)  # a detail that starts with a card number still starts on the right in Persian
        self.title_label.setText(title)
        self.detail_label.setText(detail)
        self.detail_label.setVisible(bool(detail))
        self.show()

    def clear(self) -> None:
        self.title_label.clear()
        self.detail_label.clear()
        self.hide()

    def kind(self) -> BannerKind:
        return self._kind


class _MarkWidget(QWidget):
    """An exclamation mark in a ring, drawn (no font or image needed), in the banner's text colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour = QColor("#FFFFFF")
        self.setFixedSize(QSize(44, 44))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height())
        pen = QPen(self.colour, side * 0.09)
        painter.setPen(pen)
        inset = side * 0.06
        painter.drawEllipse(QRectF(inset, inset, side - 2 * inset, side - 2 * inset))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setWidthF(side * 0.11)
        painter.setPen(pen)
        centre = side / 2
        painter.drawLine(QPointF(centre, side * 0.25), QPointF(centre, side * 0.58))
        painter.drawPoint(QPointF(centre, side * 0.74))
        painter.end()
