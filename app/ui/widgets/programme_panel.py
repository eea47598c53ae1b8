# SPDX-License-Identifier: GPL-3.0-or-later
"""A member's place in the club's programme, compact enough to read at a glance at a busy counter.

A heading in the tier's colour (the tier and its privileges), then short lines, each hidden while it has
no text: free services, the paid membership, progress to the next tier (with a thin bar), how long the
tier is kept, the next points to expire, the campaigns running now. The caller passes translated text
(`set_line`), so the view keeps `retranslate`; lines keep their order whatever order they are set in.

Also the small formatting helpers the programme's texts share: a multiplier ("×1.25") and a percentage
(from app.format, re-exported here), and the right half of a "فارسی / English" text for the language.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QLabel, QProgressBar, QVBoxLayout, QWidget

from app.format import LRI, multiplier_text, percent_text, toman_text
from app.ui.widgets.style import align_start, restyle, scaled_font

PANEL_WIDTH = 360
MUTED = "#546E7A"
WARNING = "#A15C00"
GOOD = "#1B7F3B"


class Line(StrEnum):
    """The panel's lines, in the order they are shown."""

    PRIVILEGES = "privileges"
    SERVICES = "services"
    MEMBERSHIP = "membership"
    PROGRESS = "progress"
    KEEP = "keep"
    EXPIRING = "expiring"
    CAMPAIGNS = "campaigns"


class Tone(StrEnum):
    NORMAL = "normal"
    MUTED = "muted"
    WARNING = "warning"  # points about to expire, or due
    GOOD = "good"


__all__ = [
    "Line", "ProgrammePanel", "Tone", "bilingual", "multiplier_text", "percent_text", "signed_toman_text",
]  # fmt: skip

_TONE_COLOURS = {Tone.MUTED: MUTED, Tone.WARNING: WARNING, Tone.GOOD: GOOD}


class ProgrammePanel(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("programme")
        self.setMinimumWidth(PANEL_WIDTH - 60)
        self.setMaximumWidth(PANEL_WIDTH + 40)
        self._accent = QColor(MUTED)
        self.heading = QLabel(self)
        self.heading.setFont(scaled_font(self.font(), 1.25, bold=True))
        self.heading.setWordWrap(True)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedHeight(8)
        self.progress_bar.hide()
        self._lines: dict[Line, QLabel] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(6)
        layout.addWidget(self.heading)
        for line in Line:
            if line is Line.PRIVILEGES:
                continue  # the heading
            label = QLabel(self)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
            label.hide()
            self._lines[line] = label
            layout.addWidget(label)
            if line is Line.PROGRESS:
                layout.addWidget(self.progress_bar)
        layout.addStretch(1)
        self._restyle()

    # ---------------------------------------------------------------- filling

    def set_accent(self, colour: QColor | str) -> None:
        """The tier's colour: the heading's text, the frame and the progress bar."""
        self._accent = QColor(colour)
        self._restyle()

    def set_heading(self, text: str) -> None:
        align_start(self.heading)
        self.heading.setText(text)

    def set_line(self, line: Line, text: str, tone: Tone = Tone.NORMAL) -> None:
        """Show `text` on the line (hidden while empty), coloured by its tone."""
        if line is Line.PRIVILEGES:
            self.set_heading(text)
            return
        label = self._lines[line]
        colour = _TONE_COLOURS.get(tone)
        bold = tone is Tone.WARNING
        label.setStyleSheet(
            f"QLabel {{ color: {colour}; {'font-weight: bold;' if bold else ''} }}" if colour else ""
        )
        align_start(label)
        label.setText(text)
        label.setVisible(bool(text))

    def set_progress(self, value: int | None, maximum: int = 100) -> None:
        """The bar under the progress line: `value` of `maximum`; None hides it (at the top tier)."""
        if value is None or maximum <= 0:
            self.progress_bar.hide()
            return
        self.progress_bar.setRange(0, maximum)
        self.progress_bar.setValue(max(0, min(value, maximum)))
        self.progress_bar.show()

    def clear(self) -> None:
        self.heading.clear()
        for label in self._lines.values():
            label.clear()
            label.hide()
        self.progress_bar.hide()

    # ---------------------------------------------------------------- reading back (tests, screenshots)

    def line_text(self, line: Line) -> str:
        """The text on a line; "" when it is hidden."""
        if line is Line.PRIVILEGES:
            return self.heading.text()
        label = self._lines[line]
        return label.text() if not label.isHidden() else ""

    def line_label(self, line: Line) -> QLabel:
        return self.heading if line is Line.PRIVILEGES else self._lines[line]

    def accent(self) -> QColor:
        return QColor(self._accent)

    # ---------------------------------------------------------------- look

    def _restyle(self) -> None:
        accent = self._accent.name()
        tint = QColor(self._accent)
        tint.setAlpha(28)
        rgba = f"rgba({tint.red()}, {tint.green()}, {tint.blue()}, {tint.alpha()})"
        restyle(
            self,
            f"QFrame#programme {{ background: {rgba}; border: 2px solid {accent}; border-radius: 12px; }}"
            f"QFrame#programme > QLabel {{ background: transparent; border: none; }}"
            f"QProgressBar {{ background: #E3E8EC; border: none; border-radius: 4px; }}"
            f"QProgressBar::chunk {{ background: {accent}; border-radius: 4px; }}"
        )
        restyle(self.heading, f"QLabel {{ color: {accent}; }}")


def signed_toman_text(rials: int, lang: str) -> str:
    """An amount credited: "+1,700 Toman", the sign inside the number's left-to-right isolate."""
    return toman_text(rials, lang).replace(LRI, LRI + "+", 1)


def bilingual(text: str, lang: str) -> str:
    """The language's half of a club text written "فارسی / English" (the rule set's free services);
    anything else as it is."""
    parts = [part.strip() for part in text.split(" / ")]
    if len(parts) != 2 or not all(parts):
        return text
    return parts[0] if lang == "fa" else parts[1]
