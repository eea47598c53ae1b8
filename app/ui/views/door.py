# SPDX-License-Identifier: GPL-3.0-or-later
"""The event door: a host taps a guest's card or scans their invitation and sees, from a metre away,
one unmistakable verdict — green ADMIT, amber ALREADY INSIDE, red NOT INVITED / CARD REFUSED / FULL —
with the guest's photo as large as the screen allows, and hears its tone.

Pages (one at a time): the event chooser when several are open, "no event open", the resting prompt
("tap a card or scan an invitation"), the verdict, and the guest search for a guest who forgot the card.
The header (the event and the live counter admitted / invited / capacity) stays above them all.

Host tools: F3 finds a guest by name or phone, whose photo the host compares before Enter admits them;
F6 admits a plus-one of the guest on screen; F8 asks a manager to undo the admission on screen; F4
exports the attendance. Esc goes back to the prompt, as does the verdict by itself after
`RESULT_MS` or at the next tap.

Every verdict is decided and written by `app.services.door` on the worker (`ctx.tasks`); the photo is
decoded there too. The view does not navigate: the undo dialog, the file dialog and leaving the door
are the main window's (signals `undo_requested`, `export_requested`, `leave_requested`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.cards.base import CardEvent, CardEventKind
from app.domain.digits import to_persian_digits
from app.domain.errors import ClubError
from app.domain.event import Event, Verdict
from app.domain.staff import Role
from app.format import card_number_text, datetime_text, isolated, number
from app.messages import read_error_text
from app.services.door import (
    DoorCounts,
    DoorResult,
    GuestRow,
    admit_card_event,
    admit_member,
    admit_plus_one,
    admit_qr,
    attendance_csv,
    door_counts,
    guest_list,
    open_events,
)
from app.store import members
from app.ui.context import UiContext
from app.ui.messages import club_error_text
from app.ui.scanner import looks_like_club_qr
from app.ui.sound import SilentPlayer, SoundPlayer, Tone, make_player, write_tones
from app.ui.widgets.badge import TierBadgeWidget
from app.ui.widgets.glyph import TapGlyphWidget
from app.ui.widgets.photo import PhotoWidget, decode_photo
from app.ui.widgets.style import TOUCH_HEIGHT, align_start, scaled_font, touch_button

RESULT_MS = 12_000  # the verdict stays this long, then the prompt comes back for the next guest
COUNTS_REFRESH_MS = 10_000  # other doors' admissions arrive by sync: the counter follows them
SEARCH_PAUSE_MS = 300
SEARCH_LIMIT = 50
PHONE_TAIL = 4
MEMBER_ID_ROLE = Qt.ItemDataRole.UserRole
FSI, PDI = "\u2068", "\u2069"
_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)

# (background, text) per verdict: the colour is the verdict, from across the room
GREEN, AMBER, RED = ("#2E7D32", "#FFFFFF"), ("#FFB300", "#2B1D00"), ("#C62828", "#FFFFFF")
VERDICT_COLOURS = {
    Verdict.ADMIT: GREEN,
    Verdict.ALREADY_INSIDE: AMBER,
    Verdict.NOT_INVITED: RED,
    Verdict.CARD_REFUSED: RED,
    Verdict.FULL: RED,
}
VERDICT_TONES = {
    Verdict.ADMIT: Tone.ADMIT,
    Verdict.ALREADY_INSIDE: Tone.ATTENTION,
    Verdict.NOT_INVITED: Tone.REFUSED,
    Verdict.CARD_REFUSED: Tone.REFUSED,
    Verdict.FULL: Tone.REFUSED,
}
# reasons that say the guest is on the list, only not coming in now
_INVITED_BUT = (
    "door_event_closed",
    "door_event_cancelled",
    "door_member_not_inside",
    "door_no_plus_ones_left",
)


class Page(IntEnum):
    LOADING = 0
    NO_EVENT = 1
    CHOOSE = 2
    IDLE = 3
    VERDICT = 4
    SEARCH = 5


@dataclass(frozen=True, slots=True)
class DoorScreen:
    """A verdict and the guest's photo, decoded on the worker: the UI thread only paints it."""

    result: DoorResult
    photo: QImage | None
    read_error: str | None = None  # why the reader could not read the card (READ_FAILED)


@dataclass(frozen=True, slots=True)
class UndoTarget:
    """What the manager is asked to undo: the admission on screen."""

    event_id: str
    check_in_id: str
    guest_name: str
    at_us: int
    plus_one: bool


def _screen(result: DoorResult | None, read_error: str | None = None) -> DoorScreen | None:
    if result is None:
        return None
    photo = result.guest.photo if result.guest is not None else None
    return DoorScreen(result, decode_photo(photo), read_error)


def load_photo(terminal: object, member_id: str) -> QImage | None:
    """Worker: a guest's photo for the host to compare, decoded."""
    with terminal.db.read() as conn:  # type: ignore[attr-defined]
        return decode_photo(members.photo(conn, member_id))


class VerdictBanner(QFrame):
    """The verdict as a band of colour with a huge word; its `verdict` property says which (tests, QSS)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verdict")
        self.title_label = QLabel()
        self.title_label.setFont(scaled_font(self.font(), 3.4, bold=True))
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label.setWordWrap(True)
        self.detail_label = QLabel()
        self.detail_label.setFont(scaled_font(self.font(), 1.45, bold=True))
        self.detail_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 10, 24, 14)
        layout.setSpacing(2)
        layout.addWidget(self.title_label)
        layout.addWidget(self.detail_label)
        self.setProperty("verdict", "")

    def show_verdict(self, verdict: Verdict, title: str, detail: str) -> None:
        background, text = VERDICT_COLOURS[verdict]
        self.setProperty("verdict", verdict.value)
        self.setStyleSheet(
            f"QFrame#verdict {{ background: {background}; border-radius: 14px; }}"
            f"QFrame#verdict QLabel {{ color: {text}; background: transparent; }}"
        )
        self.title_label.setText(title)
        self.detail_label.setText(detail)
        self.detail_label.setVisible(bool(detail))

    def verdict(self) -> str:
        return str(self.property("verdict") or "")

    def colour(self) -> str:
        """The band's background colour (#RRGGBB), or "" before any verdict."""
        verdict = self.verdict()
        return VERDICT_COLOURS[Verdict(verdict)][0] if verdict else ""


class DoorView(QWidget):
    verdict_shown = Signal(str)  # the Verdict's value, once it is on screen and its tone asked for
    admission_written = Signal()  # a check-in was written: the window sends it to the server
    events_loaded = Signal(int)  # how many events are open, once the page for them shows
    guests_found = Signal(int)  # how many guests match the search, once they are listed
    guest_photo_shown = Signal(str)  # member id, once the chosen guest's photo is on screen
    attendance_exported = Signal(str)  # the file written
    undo_requested = Signal(object)  # UndoTarget: the window asks a manager
    export_requested = Signal()  # the window asks where to save the attendance
    leave_requested = Signal()  # a manager goes back to the till
    refused = Signal(str)  # a refusal outside a verdict (a search that failed), its code

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.sounds: SoundPlayer | None = None  # made at `start`; tests put a recorder here
        self._event: Event | None = None
        self._events: list[Event] = []
        self._counts: DoorCounts | None = None
        self._screen: DoorScreen | None = None
        self._rows: list[GuestRow] = []
        self._note: Callable[[], str] | None = None  # a line on the prompt page, re-run on language change
        self._search_seq = 0
        self._photo_seq = 0
        self._searched: str | None = None
        self._result_timer = QTimer(self, singleShot=True, interval=RESULT_MS, timeout=self.show_idle)
        self._counts_timer = QTimer(self, interval=COUNTS_REFRESH_MS, timeout=self.refresh_counts)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_PAUSE_MS, timeout=self.search)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the F-keys act on the view, not on a button
        self._build()
        ctx.session.language_changed.connect(lambda _lang: self.retranslate())
        ctx.session.staff_changed.connect(lambda _staff: self._update_buttons())
        self.retranslate()

    # ---------------------------------------------------------------- building

    def _build(self) -> None:
        self.event_label = QLabel()
        self.event_label.setFont(scaled_font(self.font(), 1.3, bold=True))
        self.event_label.setWordWrap(True)
        self.counter_label = QLabel()
        self.counter_label.setFont(scaled_font(self.font(), 1.6, bold=True))
        self.counter_label.setStyleSheet(
            "QLabel { background: #263238; color: white; border-radius: 10px; padding: 6px 18px; }"
        )
        self.pages = QStackedWidget()
        for page in (
            self._build_loading(),
            self._build_no_event(),
            self._build_chooser(),
            self._build_idle(),
            self._build_verdict(),
            self._build_search(),
        ):
            self.pages.addWidget(page)
        self.find_button = touch_button()
        self.find_button.clicked.connect(self.open_search)
        self.export_button = touch_button()
        self.export_button.clicked.connect(self.request_export)
        self.plus_one_button = touch_button(primary=True)
        self.plus_one_button.clicked.connect(self.admit_plus_one)
        self.undo_button = touch_button()
        self.undo_button.clicked.connect(self.request_undo)
        self.leave_button = touch_button()
        self.leave_button.clicked.connect(self.leave_requested.emit)
        header = QHBoxLayout()
        header.addWidget(self.event_label, 1)
        header.addWidget(self.counter_label, 0, Qt.AlignmentFlag.AlignVCenter)
        buttons = QHBoxLayout()
        buttons.addWidget(self.plus_one_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        buttons.addWidget(self.find_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.leave_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 12, 20, 12)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addWidget(self.pages, 1)
        layout.addLayout(buttons)

    def _build_loading(self) -> QWidget:
        page = QWidget()
        self.loading_label = QLabel()
        self.loading_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.loading_label.setFont(scaled_font(self.font(), 1.6))
        QVBoxLayout(page).addWidget(self.loading_label)
        return page

    def _build_no_event(self) -> QWidget:
        page = QWidget()
        self.no_event_label = QLabel()
        self.no_event_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_event_label.setWordWrap(True)
        self.no_event_label.setFont(scaled_font(self.font(), 2.0, bold=True))
        self.no_event_label.setStyleSheet("QLabel { color: #B71C1C; }")
        self.reload_button = touch_button(primary=True)
        self.reload_button.clicked.connect(self.start)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(self.no_event_label)
        layout.addSpacing(24)
        layout.addWidget(self.reload_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        return page

    def _build_chooser(self) -> QWidget:
        page = QWidget()
        self.choose_label = QLabel()
        self.choose_label.setFont(scaled_font(self.font(), 1.8, bold=True))
        self.choose_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.event_list = QListWidget()
        self.event_list.setFont(scaled_font(self.font(), 1.4))
        self.event_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # ↑/↓ and Enter reach the view
        self.event_list.itemClicked.connect(lambda item: self.choose_event(item.data(MEMBER_ID_ROLE)))
        layout = QVBoxLayout(page)
        layout.addWidget(self.choose_label)
        layout.addWidget(self.event_list, 1)
        return page

    def _build_idle(self) -> QWidget:
        page = QWidget()
        self.glyph = TapGlyphWidget()
        self.prompt_label = QLabel()
        self.prompt_label.setFont(scaled_font(self.font(), 3.0, bold=True))
        self.prompt_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt_label.setWordWrap(True)
        self.hint_label = QLabel()
        self.hint_label.setFont(scaled_font(self.font(), 1.3))
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint_label.setWordWrap(True)
        self.hint_label.setStyleSheet("QLabel { color: #546E7A; }")
        self.note_label = QLabel()
        self.note_label.setFont(scaled_font(self.font(), 1.3, bold=True))
        self.note_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note_label.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(self.glyph, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(24)
        layout.addWidget(self.prompt_label)
        layout.addSpacing(12)
        layout.addWidget(self.hint_label)
        layout.addSpacing(12)
        layout.addWidget(self.note_label)
        layout.addStretch(1)
        return page

    def _build_verdict(self) -> QWidget:
        page = QWidget()
        self.banner = VerdictBanner()
        self.photo = PhotoWidget(480)
        self.photo.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.photo.installEventFilter(self)  # as wide as it is tall: the details stand right beside it
        self.name_label = QLabel()
        self.name_label.setFont(scaled_font(self.font(), 2.8, bold=True))
        self.name_label.setWordWrap(True)
        self.tier_badge = TierBadgeWidget()
        self.invitation_label = QLabel()
        self.invitation_label.setFont(scaled_font(self.font(), 1.6, bold=True))
        self.invitation_label.setWordWrap(True)
        self.plus_ones_label = QLabel()
        self.plus_ones_label.setFont(scaled_font(self.font(), 1.6))
        self.plus_ones_label.setWordWrap(True)
        self.from_card_label = QLabel()
        self.from_card_label.setFont(scaled_font(self.font(), 1.2, bold=True))
        self.from_card_label.setWordWrap(True)
        self.from_card_label.setStyleSheet(
            "QLabel { background: #FFF3CD; color: #5D4200; border-radius: 8px; padding: 8px 12px; }"
        )
        badge_row = QHBoxLayout()
        badge_row.addWidget(self.tier_badge)
        badge_row.addStretch(1)
        details = QVBoxLayout()
        details.setSpacing(14)
        details.addStretch(1)
        details.addWidget(self.name_label)
        details.addLayout(badge_row)
        details.addWidget(self.invitation_label)
        details.addWidget(self.plus_ones_label)
        details.addWidget(self.from_card_label)
        details.addStretch(2)
        body = QHBoxLayout()
        body.setSpacing(36)
        body.addStretch(1)
        body.addWidget(self.photo)
        body.addLayout(details, 4)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(self.banner)
        layout.addLayout(body, 1)
        return page

    def _build_search(self) -> QWidget:
        page = QWidget()
        self.search_title = QLabel()
        self.search_title.setFont(scaled_font(self.font(), 1.6, bold=True))
        self.search_field = QLineEdit()
        self.search_field.setFont(scaled_font(self.font(), 1.4))
        self.search_field.setMinimumHeight(TOUCH_HEIGHT + 4)
        self.search_field.setClearButtonEnabled(True)
        self.search_field.textEdited.connect(lambda _text: self._search_timer.start())
        self.search_note = QLabel()
        self.search_note.setWordWrap(True)
        self.search_note.setStyleSheet("QLabel { color: #B71C1C; }")
        self.guest_results = QListWidget()
        self.guest_results.setFont(scaled_font(self.font(), 1.2))
        self.guest_results.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the field keeps the keyboard
        self.guest_results.currentRowChanged.connect(self._on_guest_row)
        self.search_photo = PhotoWidget(300)
        self.search_photo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.search_name = QLabel()
        self.search_name.setFont(scaled_font(self.font(), 1.8, bold=True))
        self.search_name.setWordWrap(True)
        self.search_name.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.admit_button = touch_button(primary=True)
        self.admit_button.clicked.connect(self.admit_selected)
        self.search_back_button = touch_button()
        self.search_back_button.clicked.connect(self.show_idle)
        left = QVBoxLayout()
        left.addWidget(self.search_title)
        left.addWidget(self.search_field)
        left.addWidget(self.search_note)
        left.addWidget(self.guest_results, 1)
        right = QVBoxLayout()
        right.addWidget(self.search_photo, 1)
        right.addWidget(self.search_name)
        right.addWidget(self.admit_button)
        right.addWidget(self.search_back_button)
        layout = QHBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(24)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)
        return page

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.photo and event.type() == QEvent.Type.Resize and self.photo.height() > 0:
            self.photo.setFixedWidth(self.photo.height())  # the height is what the screen allows
        return False

    # ---------------------------------------------------------------- language

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.loading_label.setText(self.tr("Opening the door…"))
        self.no_event_label.setText(club_error_text(ClubError("no_open_event"), self.ctx.session.lang))
        self.reload_button.setText(self.tr("Look again (F5)"))
        self.choose_label.setText(self.tr("Several events are open: choose this door's event"))
        self.prompt_label.setText(self.tr("Tap a card or scan an invitation"))
        self.hint_label.setText(self.tr("A guest without a card? Find them by name or phone (F3)."))
        self.note_label.setText(self._note() if self._note else "")
        self.search_title.setText(self.tr("Find a guest"))
        self.search_field.setPlaceholderText(self.tr("Name or phone"))
        self.admit_button.setText(self.tr("Admit (Enter)"))
        self.search_back_button.setText(self.tr("Back (Esc)"))
        self.find_button.setText(self.tr("Find a guest (F3)"))
        self.export_button.setText(self.tr("Export attendance (F4)"))
        self.plus_one_button.setText(self.tr("Admit plus-one (F6)"))
        self.undo_button.setText(self.tr("Undo admission (F8)"))
        self.leave_button.setText(self.tr("Back to the till (F7)"))
        self._render_header()
        self._fill_events()
        self._fill_guests()
        self._render_verdict()

    # ---------------------------------------------------------------- the event

    def start(self) -> None:
        """Load the open events (and, once, the verdict tones) on the worker; then the right page."""
        self._show_page(Page.LOADING)
        terminal = self.ctx.terminal
        if self.sounds is None:
            folder = terminal.data_dir / "sounds"
            self.ctx.tasks.run(lambda: write_tones(folder), self._on_tones, lambda _error: None)
        self.ctx.tasks.run(lambda: open_events(terminal), self._on_events, self._on_events_failed)

    def _on_tones(self, files: dict[Tone, Path]) -> None:
        if self.sounds is None:  # a recorder put in meanwhile stays
            self.sounds = make_player(files)

    def _on_events(self, events: list[Event]) -> None:
        self._events = events
        current = next((e for e in events if self._event and e.id == self._event.id), None)
        if current is not None:
            self._use_event(current)
        elif len(events) == 1:
            self._use_event(events[0])
        elif events:
            self._event = None
            self._fill_events()
            self.event_list.setCurrentRow(0)
            self._show_page(Page.CHOOSE)
        else:
            self._event = None
            self._show_page(Page.NO_EVENT)
        self._render_header()
        self.events_loaded.emit(len(events))

    def _on_events_failed(self, error: BaseException) -> None:
        self._event = None
        self.no_event_label.setText(club_error_text(error, self.ctx.session.lang))
        self._show_page(Page.NO_EVENT)

    def choose_event(self, event_id: str) -> None:
        chosen = next((e for e in self._events if e.id == event_id), None)
        if chosen is not None:
            self._use_event(chosen)

    def _use_event(self, event: Event) -> None:
        self._event = event
        self._render_header()
        self.refresh_counts()
        self._counts_timer.start()
        self.show_idle()

    def current_event(self) -> Event | None:
        """The event this door works for, once chosen."""
        return self._event

    def refresh_counts(self) -> None:
        if self._event is None:
            return
        terminal, event_id = self.ctx.terminal, self._event.id
        self.ctx.tasks.run(lambda: door_counts(terminal, event_id), self._on_counts, lambda _error: None)

    def _on_counts(self, counts: DoorCounts) -> None:
        self._counts = counts
        self._render_header()

    def _fill_events(self) -> None:
        row = self.event_list.currentRow()
        self.event_list.clear()
        lang = self.ctx.session.lang
        for event in self._events:
            when = self.tr("{start} to {end}").format(
                start=datetime_text(event.starts_at_us, lang), end=datetime_text(event.ends_at_us, lang)
            )
            place = f" — {event.venue}" if event.venue else ""
            item = QListWidgetItem(f"{event.name}{place}\n{when}")
            item.setData(MEMBER_ID_ROLE, event.id)
            item.setSizeHint(QSize(0, 76))
            self.event_list.addItem(item)
        if 0 <= row < self.event_list.count():
            self.event_list.setCurrentRow(row)

    def _render_header(self) -> None:
        event = self._event
        align_start(self.event_label)
        if event is None:
            self.event_label.setText(self.tr("Event door"))
            self.counter_label.hide()
        else:
            venue = f" — {event.venue}" if event.venue else ""
            self.event_label.setText(f"{event.name}{venue}")
            self.counter_label.setText(self.counter_text())
            self.counter_label.show()
        self._update_buttons()

    def counter_text(self) -> str:
        """Admitted / invited / capacity, as the header shows it ("…" until read)."""
        counts, lang = self._counts, self.ctx.session.lang
        if counts is None:
            return self.tr("Admitted …, invited …, capacity …")
        capacity = number(counts.capacity, lang) if counts.capacity is not None else self.tr("no limit")
        # commas, not slashes: beside a Persian digit a slash reads as the one (۱)
        return self.tr("Admitted {admitted}, invited {invited}, capacity {capacity}").format(
            admitted=number(counts.admitted, lang), invited=number(counts.invited, lang), capacity=capacity
        )

    # ---------------------------------------------------------------- pages

    def page(self) -> Page:
        return Page(self.pages.currentIndex())

    def _show_page(self, page: Page) -> None:
        self.pages.setCurrentIndex(page)
        if page is not Page.VERDICT:
            self._result_timer.stop()
        self._update_buttons()
        if page is Page.SEARCH:
            self.search_field.setFocus()
        elif self.isVisible():
            self.setFocus()

    def show_idle(self, note: Callable[[], str] | None = None, *, refusal: bool = False) -> None:
        """The prompt for the next guest (the chooser or "no event" while there is no event), with a note
        under it: red when it says why something was refused, else grey."""
        if self._event is None:
            if self.page() not in (Page.CHOOSE, Page.NO_EVENT, Page.LOADING):
                self._show_page(Page.NO_EVENT)
            return
        self._note = note
        self.note_label.setText(note() if note else "")
        self.note_label.setStyleSheet(f"QLabel {{ color: {'#B71C1C' if refusal else '#37474F'}; }}")
        self._show_page(Page.IDLE)

    def _update_buttons(self) -> None:
        page, screen = self.page(), self._screen
        has_event = self._event is not None
        result = screen.result if screen is not None and page is Page.VERDICT else None
        self.find_button.setVisible(has_event and page is not Page.SEARCH)
        self.export_button.setVisible(has_event)
        self.plus_one_button.setVisible(result is not None and self._plus_one_left(result))
        self.undo_button.setVisible(result is not None and result.check_in is not None)
        staff = self.ctx.session.staff
        self.leave_button.setVisible(staff is not None and staff.role is not Role.HOST)

    @staticmethod
    def _plus_one_left(result: DoorResult) -> bool:
        inside = result.verdict in (Verdict.ADMIT, Verdict.ALREADY_INSIDE) and result.guest is not None
        return inside and result.plus_ones_admitted < result.plus_ones_allowed

    # ---------------------------------------------------------------- a card, a QR, a guest

    def present_card(self, card: CardEvent) -> None:
        """A card the bridge delivered: its verdict on the worker, then on screen."""
        if self._event is None or card.kind not in (CardEventKind.TAPPED, CardEventKind.READ_FAILED):
            return
        terminal, staff, event_id = self.ctx.terminal, self.ctx.session.staff, self._event.id
        if staff is None:
            return
        why = None
        if card.kind is CardEventKind.READ_FAILED:
            why = read_error_text(card.error.value if card.error else "reader_failed", self.ctx.session.lang)
        self._run(lambda: _screen(admit_card_event(terminal, event_id, card, staff), why))

    def present_qr(self, text: str) -> None:
        """A scanned QR: an invitation pass or a member's card QR."""
        if self._event is None or self.ctx.session.staff is None:
            return
        terminal, staff, event_id = self.ctx.terminal, self.ctx.session.staff, self._event.id
        self._run(lambda: _screen(admit_qr(terminal, event_id, text, staff)))

    def admit_selected(self) -> None:
        """Enter on the search page: the guest chosen (their photo compared) is admitted."""
        row = self.guest_results.currentRow()
        if self._event is None or not 0 <= row < len(self._rows) or self.ctx.session.staff is None:
            return
        terminal, staff, event_id = self.ctx.terminal, self.ctx.session.staff, self._event.id
        member_id = self._rows[row].member_id
        self._run(lambda: _screen(admit_member(terminal, event_id, member_id, staff)))

    def admit_plus_one(self) -> None:
        screen = self._screen
        if self.page() is not Page.VERDICT or screen is None or not self._plus_one_left(screen.result):
            return
        guest, staff = screen.result.guest, self.ctx.session.staff
        if guest is None or staff is None or self._event is None:
            return
        terminal, event_id, member_id = self.ctx.terminal, self._event.id, guest.member_id
        self._run(lambda: _screen(admit_plus_one(terminal, event_id, member_id, staff)))

    def _run(self, work: Callable[[], DoorScreen | None]) -> None:
        self.ctx.tasks.run(work, self._on_verdict, self._on_failed)

    def _on_verdict(self, screen: DoorScreen | None) -> None:
        if screen is None:
            return
        result = screen.result
        self._screen = screen
        self._counts = result.counts
        self._render_header()
        self.photo.set_photo(screen.photo)
        self._render_verdict()
        self._show_page(Page.VERDICT)
        self._result_timer.start()
        (self.sounds or SilentPlayer()).play(VERDICT_TONES[result.verdict])
        if result.verdict is Verdict.ADMIT:
            self.admission_written.emit()
        self.verdict_shown.emit(result.verdict.value)

    def _on_failed(self, error: BaseException) -> None:
        """A use case refused outright (a host without the right, an event gone): said on the prompt."""
        text = club_error_text(error, self.ctx.session.lang)
        self.show_idle(lambda: text, refusal=True)
        self.refused.emit(error.code if isinstance(error, ClubError) else "error")

    def result(self) -> DoorResult | None:
        """The verdict on screen (or last shown)."""
        return self._screen.result if self._screen is not None else None

    # ---------------------------------------------------------------- drawing the verdict

    def _render_verdict(self) -> None:
        screen = self._screen
        if screen is None:
            return
        result, lang = screen.result, self.ctx.session.lang
        guest = result.guest
        self.banner.show_verdict(result.verdict, self.verdict_title(result), self.verdict_detail(screen))
        for label in (self.name_label, self.invitation_label, self.plus_ones_label, self.from_card_label):
            align_start(label)
        self.name_label.setText(guest.name if guest is not None else self.tr("Unknown guest"))
        if guest is not None and guest.tier is not None:
            self.tier_badge.set_tier(guest.tier, lang)
            self.tier_badge.show()
        else:
            self.tier_badge.hide()
        invitation = self.invitation_text(result)
        self.invitation_label.setText(invitation)
        self.invitation_label.setVisible(bool(invitation))
        invited = self._invited(result)
        self.invitation_label.setStyleSheet(
            f"QLabel {{ color: {'#1B5E20' if invited else '#B71C1C' if invited is False else '#37474F'}; }}"
        )
        self.plus_ones_label.setText(self.plus_ones_text(result))
        self.plus_ones_label.setVisible(guest is not None and invited is True)
        self.from_card_label.setText(
            self.tr("From the card: this guest was never synced here. Compare the photo with their face.")
        )
        self.from_card_label.setVisible(guest is not None and guest.from_card)
        self._update_buttons()

    def verdict_title(self, result: DoorResult) -> str:
        if result.verdict is Verdict.ADMIT and result.check_in is not None and result.check_in.guest:
            return self.tr("ADMIT PLUS-ONE")
        return {
            Verdict.ADMIT: self.tr("ADMIT"),
            Verdict.ALREADY_INSIDE: self.tr("ALREADY INSIDE"),
            Verdict.NOT_INVITED: self.tr("NOT INVITED"),
            Verdict.CARD_REFUSED: self.tr("CARD REFUSED"),
            Verdict.FULL: self.tr("FULL"),
        }[result.verdict]

    def verdict_detail(self, screen: DoorScreen) -> str:
        result, lang = screen.result, self.ctx.session.lang
        check_in = result.check_in
        if result.verdict is Verdict.ADMIT and check_in is not None:
            return self.tr("Admitted at {time}").format(time=datetime_text(check_in.at_us, lang))
        if result.verdict is Verdict.ALREADY_INSIDE and check_in is not None:
            when = datetime_text(check_in.at_us, lang)
            if result.at_this_door:
                return self.tr("Admitted at {time}, at this door").format(time=when)
            return self.tr("Admitted at {time}, at door {door}").format(
                time=when, door=isolated(result.door or "?")
            )
        error = result.refusal()
        if error is None:
            return ""
        if error.code == "card_unreadable":
            error = ClubError("card_unreadable", reason=screen.read_error or "?")
        elif error.params.get("card"):  # grouped in fours, left to right inside Persian
            error = ClubError(
                error.code, **{**error.params, "card": card_number_text(str(error.params["card"]))}
            )
        return club_error_text(error, lang)

    @staticmethod
    def _invited(result: DoorResult) -> bool | None:
        """On the guest list (True), not (False), or not known (a refused card)."""
        if result.verdict in (Verdict.ADMIT, Verdict.ALREADY_INSIDE, Verdict.FULL):
            return True
        if result.verdict is Verdict.NOT_INVITED:
            return result.reason in _INVITED_BUT
        return None

    def invitation_text(self, result: DoorResult) -> str:
        invited = self._invited(result)
        if invited is None or result.guest is None:
            return ""
        return self.tr("On the guest list") if invited else self.tr("Not on the guest list")

    def plus_ones_text(self, result: DoorResult) -> str:
        lang = self.ctx.session.lang
        if result.plus_ones_allowed == 0:
            return self.tr("No plus-ones")
        return self.tr("Plus-ones: {admitted} of {allowed} admitted").format(
            admitted=number(result.plus_ones_admitted, lang), allowed=number(result.plus_ones_allowed, lang)
        )

    # ---------------------------------------------------------------- undo and export

    def request_undo(self) -> None:
        """F8 on a verdict that admitted someone: the window asks a manager's PIN and reason."""
        screen = self._screen
        if self.page() is not Page.VERDICT or screen is None or self._event is None:
            return
        result = screen.result
        if result.check_in is None:
            return
        self._result_timer.stop()  # the verdict stays while the manager decides
        name = result.guest.name if result.guest is not None else "?"
        self.undo_requested.emit(
            UndoTarget(
                self._event.id, result.check_in.entry_id, name, result.check_in.at_us, result.check_in.guest
            )
        )

    def on_undo_finished(self, undone: bool) -> None:
        """The manager's dialog closed; after an undo the counter is read again and the prompt says so."""
        if undone:
            self.refresh_counts()
            self.show_idle(lambda: self.tr("The admission was undone."))
        elif self.page() is Page.VERDICT:
            self._result_timer.start()

    def request_export(self) -> None:
        if self._event is not None:
            self.export_requested.emit()

    def export_attendance(self, path: str) -> None:
        """Write the guest list with who came (CSV, UTF-8 with a BOM so spreadsheets read Persian) on the
        worker; `attendance_exported(path)` once written."""
        if self._event is None:
            return
        terminal, event_id = self.ctx.terminal, self._event.id

        def write() -> str:
            text = attendance_csv(guest_list(terminal, event_id))
            Path(path).write_text(text, encoding="utf-8-sig")
            return path

        self.ctx.tasks.run(write, self.attendance_exported.emit, self._on_failed)

    def export_file_name(self) -> str:
        """A file name for the export: the event's name (safe characters) and today's date."""
        event = self._event
        name = "".join(c if c.isalnum() else "-" for c in (event.name if event else "event")).strip("-")
        day = datetime_text(self.ctx.terminal.clock.now_us(), "en").split(" ")[0]
        return f"attendance-{name or 'event'}-{day}.csv"

    # ---------------------------------------------------------------- finding a guest

    def open_search(self) -> None:
        """F3: the guest list, searched by name or phone, for a guest who forgot the card."""
        if self._event is None:
            return
        self.search_field.clear()
        self._rows = []
        self._searched = None
        self._fill_guests()
        self._on_guest_row(-1)  # nothing to admit until the list is back
        self._show_page(Page.SEARCH)
        self.search()

    def search(self) -> None:
        self._search_timer.stop()
        if self._event is None:
            return
        query = " ".join(self.search_field.text().split())
        if looks_like_club_qr(query):  # a scanner typed into the field: its Enter will present it
            return
        self._search_seq += 1
        seq, terminal, event_id = self._search_seq, self.ctx.terminal, self._event.id
        self.ctx.tasks.run(
            lambda: guest_list(terminal, event_id, search=query, limit=SEARCH_LIMIT),
            lambda rows: self._on_guests(seq, query, rows),
            self._on_search_failed,
        )

    def _on_guests(self, seq: int, query: str, rows: list[GuestRow]) -> None:
        if seq != self._search_seq:
            return  # a newer search is on its way
        self._rows = rows
        self._searched = query
        self._fill_guests()
        if rows:
            self.guest_results.setCurrentRow(0)
        else:
            self._on_guest_row(-1)
        self.guests_found.emit(len(rows))

    def _on_search_failed(self, error: BaseException) -> None:
        self.search_note.setText(club_error_text(error, self.ctx.session.lang))
        self.search_note.show()
        self.refused.emit(error.code if isinstance(error, ClubError) else "error")

    def _fill_guests(self) -> None:
        current = self.guest_results.currentRow()
        self.guest_results.blockSignals(True)
        self.guest_results.clear()
        for row in self._rows:
            item = QListWidgetItem(f"{row.name}\n{self.guest_row_text(row)}")
            item.setData(MEMBER_ID_ROLE, row.member_id)
            item.setSizeHint(QSize(0, 68))
            self.guest_results.addItem(item)
        if 0 <= current < len(self._rows):
            self.guest_results.setCurrentRow(current)
        self.guest_results.blockSignals(False)
        searched = self._searched
        if searched and not self._rows:
            self.search_note.setText(
                self.tr("No guest matches “{query}”.").format(query=FSI + searched + PDI)
            )
        self.search_note.setVisible(bool(searched) and not self._rows)

    def guest_row_text(self, row: GuestRow) -> str:
        lang = self.ctx.session.lang
        tail = row.phone[-PHONE_TAIL:] if row.phone else ""
        tail = to_persian_digits(tail) if lang == "fa" else tail
        phone = self.tr("phone ending {tail}").format(tail=isolated("…" + tail)) if tail else ""
        if row.admitted_at_us is not None:
            state = self.tr("inside since {time}").format(time=datetime_text(row.admitted_at_us, lang))
        else:
            state = self.tr("not arrived yet")
        return " — ".join(part for part in (phone, state) if part)

    def _on_guest_row(self, row: int) -> None:
        self._photo_seq += 1
        if not 0 <= row < len(self._rows):
            self.search_photo.set_photo(None)
            self.search_name.clear()
            self.admit_button.setEnabled(False)
            return
        guest = self._rows[row]
        self.search_name.setText(guest.name)
        self.admit_button.setEnabled(True)
        seq, terminal = self._photo_seq, self.ctx.terminal
        self.ctx.tasks.run(
            lambda: load_photo(terminal, guest.member_id),
            lambda photo: self._on_guest_photo(seq, guest.member_id, photo),
            lambda _error: None,
        )

    def _on_guest_photo(self, seq: int, member_id: str, photo: QImage | None) -> None:
        if seq == self._photo_seq:
            self.search_photo.set_photo(photo)
            self.guest_photo_shown.emit(member_id)

    def select_guest(self, member_id: str) -> bool:
        for index, row in enumerate(self._rows):
            if row.member_id == member_id:
                self.guest_results.setCurrentRow(index)
                return True
        return False

    def _move(self, widget: QListWidget, step: int) -> None:
        if widget.count():
            row = widget.currentRow()
            widget.setCurrentRow(0 if row < 0 else min(max(row + step, 0), widget.count() - 1))

    # ---------------------------------------------------------------- keys

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        key, page = event.key(), self.page()
        if key == Qt.Key.Key_Escape:
            if page in (Page.VERDICT, Page.SEARCH):
                self.show_idle()
        elif key in _ENTER_KEYS:
            self._on_enter(page)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = -1 if key == Qt.Key.Key_Up else 1
            if page is Page.SEARCH:
                self._move(self.guest_results, step)
            elif page is Page.CHOOSE:
                self._move(self.event_list, step)
        elif key == Qt.Key.Key_F3:
            self.open_search()
        elif key == Qt.Key.Key_F4:
            self.request_export()
        elif key == Qt.Key.Key_F5 and page is Page.NO_EVENT:
            self.start()
        elif key == Qt.Key.Key_F6:
            self.admit_plus_one()
        elif key == Qt.Key.Key_F8:
            self.request_undo()
        else:
            super().keyPressEvent(event)

    def _on_enter(self, page: Page) -> None:
        if page is Page.SEARCH:
            typed = self.search_field.text().strip()
            if looks_like_club_qr(typed):  # a scanner too slow to be told apart typed a QR here
                self.search_field.clear()
                self.present_qr(typed)
            elif self._searched != " ".join(typed.split()) or self._search_timer.isActive():
                self.search()
            else:
                self.admit_selected()
        elif page is Page.CHOOSE:
            item = self.event_list.currentItem()
            if item is not None:
                self.choose_event(item.data(MEMBER_ID_ROLE))
        elif page is Page.VERDICT:
            self.show_idle()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._event is not None:
            self._counts_timer.start()
        if self.page() is Page.SEARCH:
            self.search_field.setFocus()
        else:
            self.setFocus()

    def hideEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        self._counts_timer.stop()
        self._result_timer.stop()
        super().hideEvent(event)
