# SPDX-License-Identifier: GPL-3.0-or-later
"""The cashier's resting screen: "tap a card or scan a QR", or search by phone, card number or name.

Searching runs on the worker (`identify.search_members`) once typing pauses or on Enter; only the
latest search's answer is shown. Enter opens the one match, or the match chosen with ↑/↓; a tap on a
result opens it. A refused card is shown as a red banner until the next search or `clear()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.digits import to_persian_digits
from app.domain.errors import ClubError
from app.domain.staff import Action, Staff
from app.format import PDI, isolated, points_text
from app.ui.context import UiContext
from app.ui.messages import club_error_text
from app.ui.scanner import looks_like_club_qr
from app.ui.widgets.banner import BannerKind, BannerWidget
from app.ui.widgets.glyph import TapGlyphWidget
from app.ui.widgets.style import TOUCH_HEIGHT, scaled_font, touch_button

if TYPE_CHECKING:  # the search's use case is imported on the worker: not needed for the window's first frame
    from app.services.identify import MemberMatch
    from app.services.terminal import Terminal

SEARCH_PAUSE_MS = 350  # typing pauses this long before the search runs by itself
MEMBER_ID_ROLE = Qt.ItemDataRole.UserRole
PHONE_TAIL = 4  # a result shows only the end of the phone: enough to ask "ending in 4567?"
_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
FSI = "\u2068"  # first-strong isolate: the typed text keeps its own direction inside the sentence


def _search(terminal: Terminal, query: str) -> list[MemberMatch]:
    """Worker: the members a search names."""
    from app.services.identify import search_members

    return search_members(terminal, query)


class IdleView(QWidget):
    member_chosen = Signal(str)  # member id
    qr_scanned = Signal(str)  # a member QR's (or invitation's) text, typed by a scanner into the search field
    enroll_requested = Signal()
    door_requested = Signal()  # a manager opens the event door (F7 does the same from anywhere)
    search_finished = Signal(int)  # how many members matched, once the results are on screen

    def __init__(
        self, ctx: UiContext, parent: QWidget | None = None, search_pause_ms: int = SEARCH_PAUSE_MS
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._matches: list[MemberMatch] = []
        self._shown_query: str | None = None  # the query whose results are on screen
        self._search_seq = 0
        self._pick_single_seq = -1  # the search that should open its only match (Enter was pressed)
        self._note: Callable[[], str] | None = None  # "no member found" etc., re-run on language change
        self._refusal: tuple[str, str] | None = None
        self._timer = QTimer(self, singleShot=True, interval=search_pause_ms, timeout=self.search)
        self._build()
        self.setFocusProxy(self.search_field)
        ctx.session.language_changed.connect(lambda _lang: self.retranslate())
        ctx.session.staff_changed.connect(self._on_staff_changed)
        self.retranslate()

    # ---------------------------------------------------------------- building

    def _build(self) -> None:
        self.banner = BannerWidget()
        self.glyph = TapGlyphWidget()
        self.prompt_label = QLabel()
        self.prompt_label.setFont(scaled_font(self.font(), 2.4, bold=True))
        self.prompt_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt_label.setWordWrap(True)
        self.or_label = QLabel()
        self.or_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.or_label.setStyleSheet("QLabel { color: #546E7A; }")
        self.search_field = QLineEdit()
        self.search_field.setFont(scaled_font(self.font(), 1.4))
        self.search_field.setMinimumHeight(TOUCH_HEIGHT + 4)
        self.search_field.setClearButtonEnabled(True)
        self.search_field.textEdited.connect(self.on_search_edited)
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        self.note_label.setFont(scaled_font(self.font(), 1.15, bold=True))
        self.note_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result_list = QListWidget()
        self.result_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the search field keeps the keyboard
        self.result_list.setFont(scaled_font(self.font(), 1.15))
        self.result_list.itemClicked.connect(self.on_result_clicked)
        self.result_list.hide()
        self.enroll_button = touch_button()
        self.enroll_button.clicked.connect(self.enroll_requested.emit)
        self.door_button = touch_button()
        self.door_button.clicked.connect(self.door_requested.emit)
        self.door_button.hide()  # shown to staff who may admit guests (managers, admins)
        self._lay_out()

    def _lay_out(self) -> None:
        search = QVBoxLayout()
        search.addWidget(self.search_field)
        search.addWidget(self.note_label)
        search.addWidget(self.result_list, 1)
        search_column = QWidget()
        search_column.setMaximumWidth(720)
        search_column.setLayout(search)
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(search_column, 6)
        centred.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.door_button)
        bottom.addWidget(self.enroll_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addWidget(self.banner)
        layout.addStretch(1)
        layout.addWidget(self.glyph, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(12)
        layout.addWidget(self.prompt_label)
        layout.addWidget(self.or_label)
        layout.addSpacing(12)
        layout.addLayout(centred, 3)
        layout.addStretch(1)
        layout.addLayout(bottom)

    # ---------------------------------------------------------------- language

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.prompt_label.setText(self.tr("Tap a card or scan a QR"))
        self.or_label.setText(self.tr("or find the member:"))
        self.search_field.setPlaceholderText(self.tr("Phone, card number or part of a name"))
        self.enroll_button.setText(self.tr("Enroll new member (F2)"))
        self.door_button.setText(self.tr("Event door (F7)"))
        self.note_label.setText(self._note() if self._note else "")
        self._fill_results()
        if self._refusal is not None:  # the caller's text, aligned again for the new direction
            self.banner.show_message(*self._refusal, BannerKind.ERROR)

    def _on_staff_changed(self, staff: Staff | None) -> None:
        self.door_button.setVisible(staff is not None and staff.may(Action.CHECK_IN))

    # ---------------------------------------------------------------- public

    def show_refusal(self, title: str, detail: str) -> None:
        """A red banner for a refused card: `title` says what happened, `detail` what to do."""
        self._refusal = (title, detail)
        self.banner.show_message(title, detail, BannerKind.ERROR)

    def refusal(self) -> tuple[str, str] | None:
        """The refusal on screen as (title, detail), or None."""
        return self._refusal

    def clear(self) -> None:
        """Back to the resting state: no search, no results, no banner; the search field has the focus."""
        self._timer.stop()
        self._search_seq += 1  # an answer still on its way is no longer wanted
        self.search_field.clear()
        self._show_results(None, [])
        self._clear_refusal()
        self.search_field.setFocus()

    # ---------------------------------------------------------------- searching

    def on_search_edited(self, text: str) -> None:
        self._clear_refusal()
        self._search_seq += 1  # an answer on its way is for text that has changed since
        if not looks_like_club_qr(text.strip()):  # a scanner is still typing a QR: not a name to search
            self._timer.start()  # restarts: the search runs once typing pauses

    def search(self, pick_single: bool = False) -> None:
        """Search for the field's text on the worker; with `pick_single`, open the one match at once."""
        self._timer.stop()
        self._clear_refusal()
        query = self._query()
        self._search_seq += 1
        seq = self._search_seq
        if pick_single:
            self._pick_single_seq = seq
        if not query:
            self._show_results(None, [])
            return
        terminal = self.ctx.terminal
        self.ctx.tasks.run(
            lambda: _search(terminal, query),
            lambda matches: self.on_searched(seq, query, matches),
            lambda error: self.on_search_failed(seq, error),
        )

    def on_searched(self, seq: int, query: str, matches: list[MemberMatch]) -> None:
        if seq != self._search_seq:
            return  # a newer search is on its way
        self._show_results(query, matches)
        self.search_finished.emit(len(matches))
        if seq == self._pick_single_seq and len(matches) == 1:
            self.member_chosen.emit(matches[0].member.id)

    def on_search_failed(self, seq: int, error: BaseException) -> None:
        if seq != self._search_seq:
            return
        self._show_results(None, [])
        if isinstance(error, ClubError) and error.code == "card_not_active":
            self.show_refusal(self.tr("Card refused"), club_error_text(error, self.ctx.session.lang))
        else:
            self._set_note(lambda: club_error_text(error, self.ctx.session.lang), alarming=True)
        self.search_finished.emit(0)

    def _query(self) -> str:
        return " ".join(self.search_field.text().split())

    def _clear_refusal(self) -> None:
        self._refusal = None
        self.banner.clear()

    # ---------------------------------------------------------------- results

    def _show_results(self, query: str | None, matches: list[MemberMatch]) -> None:
        self._shown_query = query
        self._matches = matches
        self._fill_results()
        if query is None:
            self._set_note(None)
        elif not matches:
            self._set_note(lambda: self._no_match_text(query), alarming=True)
        elif len(matches) > 1:
            self._set_note(lambda: self.tr("Several members match: choose with ↑ ↓ and Enter, or tap one."))
        else:
            self._set_note(None)

    def _no_match_text(self, query: str) -> str:
        return self.tr("No member found for “{query}”. Check it, or enroll a new member (F2).").format(
            query=FSI + query + PDI
        )

    def _fill_results(self) -> None:
        current = self.result_list.currentRow()
        self.result_list.clear()
        for match in self._matches:
            item = QListWidgetItem(self._match_text(match))
            item.setData(MEMBER_ID_ROLE, match.member.id)
            item.setSizeHint(QSize(0, 64))
            self.result_list.addItem(item)
        self.result_list.setVisible(bool(self._matches))
        if len(self._matches) == 1:
            self.result_list.setCurrentRow(0)
        elif 0 <= current < len(self._matches):
            self.result_list.setCurrentRow(current)

    def _match_text(self, match: MemberMatch) -> str:
        lang = self.ctx.session.lang
        tail = match.member.phone[-PHONE_TAIL:]
        tail = to_persian_digits(tail) if lang == "fa" else tail
        details = self.tr("phone ending {tail} — {points}").format(
            tail=isolated("…" + tail), points=points_text(match.points, lang)
        )
        return f"{match.member.name}\n{details}"

    def _set_note(self, note: Callable[[], str] | None, alarming: bool = False) -> None:
        """A line under the search field: a hint, or (`alarming`) that nobody matched."""
        self._note = note
        self.note_label.setStyleSheet(f"QLabel {{ color: {'#B71C1C' if alarming else '#37474F'}; }}")
        self.note_label.setText(note() if note else "")
        self.note_label.setVisible(note is not None)

    def on_result_clicked(self, item: QListWidgetItem) -> None:
        self.member_chosen.emit(item.data(MEMBER_ID_ROLE))

    def on_enter(self) -> None:
        """Enter opens the chosen (or only) result of the text on screen; otherwise searches now.
        A member QR's text (what a keyboard-wedge scanner types, ending in Enter) is a scan, not a search."""
        if looks_like_club_qr(self._query()):
            scanned = self._query()
            self.search_field.clear()
            self.qr_scanned.emit(scanned)
            return
        shown = self._shown_query
        if shown is None or shown != self._query() or self._timer.isActive():
            self.search(pick_single=True)
            return
        item = self.result_list.currentItem()
        if item is not None:
            self.member_chosen.emit(item.data(MEMBER_ID_ROLE))

    # ---------------------------------------------------------------- keys

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        key = event.key()
        if key in _ENTER_KEYS:
            self.on_enter()
        elif key == Qt.Key.Key_F2:
            self.enroll_requested.emit()
        elif key == Qt.Key.Key_Escape:
            self.clear()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self._matches:
            self._move(-1 if key == Qt.Key.Key_Up else 1)
        else:
            super().keyPressEvent(event)

    def _move(self, step: int) -> None:
        row = self.result_list.currentRow()
        row = 0 if row < 0 else min(max(row + step, 0), self.result_list.count() - 1)
        self.result_list.setCurrentRow(row)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.search_field.setFocus()
