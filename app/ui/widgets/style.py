# SPDX-License-Identifier: GPL-3.0-or-later
"""Sizes every screen shares: touch-sized buttons and fonts scaled from the application's font."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

TOUCH_HEIGHT = 56  # px: above the 48 px the view contract asks for, comfortable for a thumb
FALLBACK_POINT_SIZE = 13.0


def scaled_font(font: QFont, factor: float, bold: bool = False) -> QFont:
    """A copy of `font`, `factor` times as large (and bold if asked)."""
    scaled = QFont(font)
    size = font.pointSizeF() if font.pointSizeF() > 0 else FALLBACK_POINT_SIZE
    scaled.setPointSizeF(size * factor)
    scaled.setBold(bold)
    return scaled


def restyle(widget: QWidget, sheet: str) -> None:
    """`widget.setStyleSheet(sheet)`, unless it already has that sheet: setting one re-polishes the widget
    and all its children even when nothing changed (the member view did so at every tap, ~3 ms)."""
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)


def touch_button(parent: QWidget | None = None, primary: bool = False) -> QPushButton:
    """A button at least TOUCH_HEIGHT high that never takes keyboard focus (its F-key is on its label).

    Keeping buttons out of the focus chain means the keys always do what the labels say, whichever
    button was tapped last.
    """
    button = QPushButton(parent)
    button.setMinimumHeight(TOUCH_HEIGHT)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setFont(scaled_font(button.font(), 1.15, bold=primary))
    if primary:
        button.setStyleSheet(
            "QPushButton { background: #1565C0; color: white; border: none; border-radius: 8px;"
            " padding: 0 24px; }"
            "QPushButton:pressed { background: #0D47A1; }"
            "QPushButton:disabled { background: #90A4AE; }"
        )
    else:
        button.setStyleSheet(
            "QPushButton { background: #ECEFF1; color: #263238; border: 1px solid #B0BEC5;"
            " border-radius: 8px; padding: 0 20px; }"
            "QPushButton:pressed { background: #CFD8DC; }"
            "QPushButton:disabled { color: #90A4AE; }"
        )
    return button


def align_start(label: QLabel, vertical: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignVCenter) -> None:
    """Align `label` to its layout's start side, whatever its text's own direction.

    A QLabel aligns by its text: a Latin name (or a date in digits) would sit on the left of a
    Persian screen. Call again after the layout direction changes (views do it when they retranslate).
    """
    rtl = label.layoutDirection() == Qt.LayoutDirection.RightToLeft
    side = Qt.AlignmentFlag.AlignRight if rtl else Qt.AlignmentFlag.AlignLeft
    label.setAlignment(side | Qt.AlignmentFlag.AlignAbsolute | vertical)
