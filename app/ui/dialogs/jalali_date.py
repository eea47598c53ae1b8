# SPDX-License-Identifier: GPL-3.0-or-later
"""A birth-date picker: the Jalali calendar with Persian month names and digits in Persian, the
Gregorian calendar in English. Whatever is shown, `date()` is a Gregorian `datetime.date`.

Keyboard-first: day, month and year boxes in that order (in Persian they read right to left like
"۱۱ اردیبهشت ۱۳۶۹"); digits can be typed in Latin or Persian; the month box takes its number
("2", "12"). Each box has a "not given" value at its bottom, so the date is optional.
"""

from __future__ import annotations

import calendar
from datetime import date

import jdatetime
from PySide6.QtCore import QEvent, QLocale, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QToolButton, QVBoxLayout, QWidget

from app.domain.digits import to_latin_digits, to_persian_digits
from app.format import number

EARLIEST = date(1900, 1, 1)  # the use case refuses older birth dates
START_AGE = 30  # stepping up from "not given" lands on a likely year, not on 1900
_ENGLISH_MONTHS = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
ERROR_STYLE = "color: #b3261e;"
HINT_STYLE = "color: #5f6368;"


def to_gregorian(lang: str, year: int, month: int, day: int) -> date | None:
    """The Gregorian date of a day in the language's calendar; None when there is no such day."""
    try:
        if lang == "fa":
            return jdatetime.date(year, month, day).togregorian()
        return date(year, month, day)
    except ValueError:
        return None


def from_gregorian(lang: str, day: date) -> tuple[int, int, int]:
    """(year, month, day) of a Gregorian date in the language's calendar."""
    if lang == "fa":
        jalali = jdatetime.date.fromgregorian(date=day)
        return jalali.year, jalali.month, jalali.day
    return day.year, day.month, day.day


def month_names(lang: str) -> list[str]:
    """The twelve month names: Jalali in Persian, Gregorian in English."""
    if lang == "fa":
        return list(jdatetime.date.j_months_fa)
    return [_ENGLISH_MONTHS.monthName(m, QLocale.FormatType.LongFormat) for m in range(1, 13)]


def days_in_month(lang: str, year: int, month: int) -> int:
    if lang == "fa":
        if month <= 6:
            return 31
        if month <= 11:
            return 30
        return 30 if jdatetime.date(year, 1, 1).isleap() else 29
    return calendar.monthrange(year, month)[1]


def digits(text: str, lang: str) -> str:
    return to_persian_digits(text) if lang == "fa" else text


def years_between(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class _PartSpin(QSpinBox):
    """A day or year box whose lowest value means "not given" and shows its name instead."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._start = 1
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def configure(self, first: int, last: int, start: int) -> None:
        self.setRange(first - 1, last)
        self._start = start

    def is_set(self) -> bool:
        return self.value() > self.minimum()

    def unset(self) -> None:
        self.setValue(self.minimum())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        showing_name = self.lineEdit().text() == self.specialValueText()
        if showing_name and to_latin_digits(event.text()).isdigit():
            self.selectAll()  # a digit typed over "Year" replaces the word, wherever the cursor was
        super().keyPressEvent(event)

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt's name)
        if not self.is_set() and steps > 0:
            self.setValue(self._start)  # from "Year" the up arrow goes to a likely year, not to 1900
            return
        super().stepBy(steps)


class _MonthBox(QComboBox):
    """The month by name; typing its number (Latin or Persian digits, "2" or "12") picks it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._typed = ""

    def is_set(self) -> bool:
        return self.currentIndex() > 0

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt's name)
        self._typed = ""
        super().focusInEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        typed = to_latin_digits(event.text())
        if len(typed) != 1 or not typed.isdigit():
            self._typed = ""
            super().keyPressEvent(event)
            return
        candidate = self._typed + typed
        self._typed = candidate if len(candidate) <= 2 and int(candidate) <= 12 else typed
        if 1 <= int(self._typed) <= 12:
            self.setCurrentIndex(int(self._typed))
        event.accept()


class JalaliDateEdit(QWidget):
    """Day, month and year in the language's calendar; `date()` gives the Gregorian date or None."""

    date_changed = Signal(object)  # datetime.date | None

    def __init__(self, lang: str = "fa", parent: QWidget | None = None, today: date | None = None) -> None:
        super().__init__(parent)
        self._lang = lang
        self._today = today or date.today()
        self.day = _PartSpin(self)
        self.month = _MonthBox(self)
        self.year = _PartSpin(self)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("✕")
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard unsets with the down arrow
        self.clear_button.clicked.connect(self.clear)
        self.status = QLabel(self)
        self._lay_out()
        for box in (self.day, self.year):
            box.valueChanged.connect(self.on_part_changed)
        self.month.currentIndexChanged.connect(self.on_part_changed)
        self._configure()
        self.retranslate()

    def _lay_out(self) -> None:
        boxes = QHBoxLayout()
        for widget in (self.day, self.month, self.year, self.clear_button):
            boxes.addWidget(widget)
        boxes.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(boxes)
        layout.addWidget(self.status)
        self.status.hide()
        self.day.setMinimumWidth(72)
        self.year.setMinimumWidth(96)
        self.month.setMinimumWidth(150)
        self.setFocusProxy(self.day)
        QWidget.setTabOrder(self.day, self.month)
        QWidget.setTabOrder(self.month, self.year)

    # ---------------------------------------------------------------- the date

    def date(self) -> date | None:
        """The Gregorian date shown, or None when it is not given, incomplete or does not exist."""
        if not self._complete():
            return None
        return to_gregorian(self._lang, self.year.value(), self.month.currentIndex(), self.day.value())

    def setDate(self, day: date | None) -> None:  # noqa: N802 (Qt's spelling, like QDateEdit)
        if day is None:
            self.clear()
            return
        year, month, dom = from_gregorian(self._lang, day)
        self.year.setValue(year)
        self.month.setCurrentIndex(month)
        self.day.setValue(dom)

    def clear(self) -> None:
        self.day.unset()
        self.month.setCurrentIndex(0)
        self.year.unset()

    def is_empty(self) -> bool:
        return not (self.day.is_set() or self.month.is_set() or self.year.is_set())

    def is_valid(self) -> bool:
        """Either not given at all, or a day that exists and has already come."""
        if self.is_empty():
            return True
        day = self.date()
        return day is not None and EARLIEST <= day <= self._today

    def _complete(self) -> bool:
        return self.day.is_set() and self.month.is_set() and self.year.is_set()

    # ---------------------------------------------------------------- language

    def language(self) -> str:
        return self._lang

    def set_language(self, lang: str) -> None:
        """Show the same day in the other calendar (an incomplete date is kept as typed)."""
        if lang == self._lang:
            return
        day = self.date()
        complete = self._complete()
        self._lang = lang
        self._configure()
        self.retranslate()
        if complete:
            self.setDate(day)

    def _configure(self) -> None:
        lang = self._lang
        locale = (
            QLocale(QLocale.Language.Persian, QLocale.Country.Iran)
            if lang == "fa"
            else QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
        )
        for box in (self.day, self.year, self.month):
            box.setLocale(locale)  # Persian digits in Persian; either kind can be typed
        first, last = from_gregorian(lang, EARLIEST)[0], from_gregorian(lang, self._today)[0]
        self.year.configure(first, last, last - START_AGE)
        self.day.configure(1, 31, 1)
        blocked = self.month.blockSignals(True)
        index = self.month.currentIndex()
        self.month.clear()
        self.month.addItem("")
        for month, name in enumerate(month_names(lang), start=1):
            self.month.addItem(f"{name} ({digits(str(month), lang)})")
        self.month.setCurrentIndex(max(index, 0))
        self.month.blockSignals(blocked)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.day.setSpecialValueText(self.tr("Day"))
        self.month.setItemText(0, self.tr("Month"))
        self.year.setSpecialValueText(self.tr("Year"))
        self.day.setAccessibleName(self.tr("Day of birth"))
        self.month.setAccessibleName(self.tr("Month of birth"))
        self.year.setAccessibleName(self.tr("Year of birth"))
        self.clear_button.setToolTip(self.tr("Clear the birth date"))
        self._show_status()

    # ---------------------------------------------------------------- feedback

    def on_part_changed(self, _value: int = 0) -> None:
        self._show_status()
        self.date_changed.emit(self.date())

    def _show_status(self) -> None:
        text, style = self._status()
        self.status.setText(text)
        self.status.setStyleSheet(style)
        self.status.setVisible(bool(text))

    def _status(self) -> tuple[str, str]:
        if not self._complete():
            return "", HINT_STYLE
        day = self.date()
        if day is None:
            last = days_in_month(self._lang, self.year.value(), self.month.currentIndex())
            return self.tr("This month has {days} days").format(days=number(last, self._lang)), ERROR_STYLE
        if day > self._today:
            return self.tr("That day has not come yet"), ERROR_STYLE
        if day < EARLIEST:
            return self.tr("Too long ago"), ERROR_STYLE
        age = self.tr("{age} years old").format(age=number(years_between(day, self._today), self._lang))
        if self._lang == "fa":
            gregorian = digits(day.strftime("%Y/%m/%d"), "fa")
            age += " (" + self.tr("{date} Gregorian").format(date=gregorian) + ")"  # a dot would read as ۰
        return age, HINT_STYLE
