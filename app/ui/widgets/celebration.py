# SPDX-License-Identifier: GPL-3.0-or-later
"""A celebration band: a member reached a higher tier ("Upgraded to Gold!"), in the tier's colour.

It cannot be missed and never gets in the way: a short animation (the band grows in while sparkles burst
and fade, about a second) runs on the event loop, needs no click and takes no focus; the band stays until
the screen moves on (`clear()`). The caller passes translated text and the colour.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEasingCurve, QPointF, QRectF, Qt, QVariantAnimation
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from app.ui.widgets.style import align_start, scaled_font

ANIMATION_MS = 1200
_SPARKLES = 14  # drawn around the band's edges; the same pattern every time (nothing random to test)


class CelebrationWidget(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)  # nothing to click
        self._colour = QColor("#B07D00")
        self._progress = 1.0  # 0 → 1 while the animation runs; 1 at rest
        self.title_label = QLabel(self)
        self.title_label.setFont(scaled_font(self.font(), 2.2, bold=True))
        self.title_label.setWordWrap(True)
        self.detail_label = QLabel(self)
        self.detail_label.setFont(scaled_font(self.font(), 1.2))
        self.detail_label.setWordWrap(True)
        for label in (self.title_label, self.detail_label):
            label.setStyleSheet("QLabel { color: white; background: transparent; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 16, 28, 16)
        layout.setSpacing(4)
        layout.addWidget(self.title_label)
        layout.addWidget(self.detail_label)
        self._animation = QVariantAnimation(self)
        self._animation.setStartValue(0.0)
        self._animation.setEndValue(1.0)
        self._animation.setDuration(ANIMATION_MS)
        self._animation.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._animation.valueChanged.connect(self._on_progress)
        self.hide()

    def celebrate(self, title: str, detail: str, colour: QColor | str, animate: bool = True) -> None:
        """Show the band (and run its animation once, unless `animate` is False: a language change)."""
        self._colour = QColor(colour)
        for label in (self.title_label, self.detail_label):
            align_start(label)
        self.title_label.setText(title)
        self.detail_label.setText(detail)
        self.detail_label.setVisible(bool(detail))
        self.show()
        if animate:
            self._animation.stop()
            self._animation.start()
        self.update()

    def clear(self) -> None:
        self._animation.stop()
        self._progress = 1.0
        self.title_label.clear()
        self.detail_label.clear()
        self.hide()

    def colour(self) -> QColor:
        return QColor(self._colour)

    def animating(self) -> bool:
        return self._animation.state() == QVariantAnimation.State.Running

    def _on_progress(self, value: object) -> None:
        self._progress = float(value)  # type: ignore[arg-type]
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        grow = 0.92 + 0.08 * self._progress  # the band grows into place
        inset_x, inset_y = rect.width() * (1 - grow) / 2, rect.height() * (1 - grow) / 2
        band = rect.adjusted(inset_x, inset_y, -inset_x, -inset_y)
        path = QPainterPath()
        path.addRoundedRect(band, 14, 14)
        painter.fillPath(path, self._colour)
        if self._progress < 1.0:  # a light sweeps across once
            sweep = QColor(255, 255, 255, int(90 * (1 - self._progress)))
            x = band.left() + band.width() * self._progress
            painter.fillRect(QRectF(x - 40, band.top(), 80, band.height()), sweep)
        painter.setClipPath(path)
        self._paint_sparkles(painter, band)
        painter.end()

    def _paint_sparkles(self, painter: QPainter, band: QRectF) -> None:
        """Four-pointed stars along the edges: they burst out and settle, faint, where they stay."""
        burst = 1.0 - (1.0 - self._progress) ** 2
        alpha = int(230 - 150 * self._progress)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, alpha))
        for i in range(_SPARKLES):
            along = (i + 0.5) / _SPARKLES
            top = i % 2 == 0
            x = band.left() + band.width() * along
            # in the band's margins, clear of the text; they leap out and back once
            y = band.top() + 8 if top else band.bottom() - 8
            y += (-1 if top else 1) * 4 * math.sin(burst * math.pi)
            size = (3 + 3 * ((i * 7) % 3) / 2) * (0.6 + 0.4 * burst)
            painter.drawPath(_star(QPointF(x, y), size))


def _star(centre: QPointF, size: float) -> QPainterPath:
    path = QPainterPath()
    inner = size * 0.3
    for k in range(8):
        angle = k * math.pi / 4
        radius = size if k % 2 == 0 else inner
        point = QPointF(centre.x() + radius * math.cos(angle), centre.y() + radius * math.sin(angle))
        if k == 0:
            path.moveTo(point)
        else:
            path.lineTo(point)
    path.closeSubpath()
    return path
