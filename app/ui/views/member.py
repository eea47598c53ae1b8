# SPDX-License-Identifier: GPL-3.0-or-later
"""The member screen: the photo large enough to compare with the face at the counter, then name, tier,
balances and the latest entries; Enter goes to checkout, Esc back, F8 to a manager's actions.

Nothing here runs a use case: the main window loads the profile on the worker and calls
`show_member`. Everything on screen is drawn again in the new language on a language change.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.card import Card, CardStatus
from app.domain.ledger import EntryKind, LedgerEntry
from app.services.identify import MemberProfile
from app.ui.context import UiContext
from app.ui.format import (
    birthday_soon,
    card_number_text,
    date_text,
    datetime_text,
    isolated,
    local_datetime,
    number,
    points_text,
    toman_text,
)
from app.ui.widgets.badge import TierBadgeWidget
from app.ui.widgets.banner import BannerKind, BannerWidget
from app.ui.widgets.photo import PhotoWidget
from app.ui.widgets.style import align_start, scaled_font, touch_button

PHOTO_SIDE = 280
UNSYNCED_COLOUR = QColor("#B26A00")
_CHECKOUT_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F5)


class MemberView(QWidget):
    checkout_requested = Signal()
    back_requested = Signal()
    manager_requested = Signal()

    # columns of the history table, in reading order (mirrored with the layout in Persian)
    WHEN, WHAT, POINTS, AMOUNT, SYNC = range(5)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._profile: MemberProfile | None = None
        self._earn_only = False
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the keys act on the view, not on a button
        self._build()
        ctx.session.language_changed.connect(lambda _lang: self.retranslate())
        self.retranslate()

    # ---------------------------------------------------------------- building

    def _build(self) -> None:
        self.earn_only_banner = BannerWidget()
        self.photo = PhotoWidget(PHOTO_SIDE)
        self.photo.setFixedSize(PHOTO_SIDE, PHOTO_SIDE)
        self.name_label = QLabel()
        self.name_label.setFont(scaled_font(self.font(), 2.4, bold=True))
        self.name_label.setWordWrap(True)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.tier_badge = TierBadgeWidget()
        self.birthday_label = QLabel()
        self.birthday_label.setFont(scaled_font(self.font(), 1.1, bold=True))
        self.birthday_label.setStyleSheet(
            "QLabel { background: #AD1457; color: white; border-radius: 14px; padding: 4px 16px; }"
        )
        self.points_tile = _StatTile()
        self.wallet_tile = _StatTile()
        self.since_caption, self.since_label = QLabel(), QLabel()
        self.cards_caption, self.cards_label = QLabel(), QLabel()
        for caption in (self.since_caption, self.cards_caption):
            caption.setStyleSheet("QLabel { color: #546E7A; }")
        self.history_caption = QLabel()
        self.history_caption.setFont(scaled_font(self.font(), 1.2, bold=True))
        self.history_table = self._history_table()
        self.empty_history_label = QLabel()
        self.empty_history_label.setStyleSheet("QLabel { color: #546E7A; }")
        self.empty_history_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeading)
        # takes the table's room when there is no history, so the buttons stay at the bottom
        self.empty_history_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.checkout_button = touch_button(primary=True)
        self.checkout_button.clicked.connect(self.checkout_requested.emit)
        self.manager_button = touch_button()
        self.manager_button.clicked.connect(self.manager_requested.emit)
        self.back_button = touch_button()
        self.back_button.clicked.connect(self.back_requested.emit)
        self._lay_out()

    def _history_table(self) -> QTableWidget:
        table = QTableWidget(0, 5)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.verticalHeader().hide()
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.WHAT, QHeaderView.ResizeMode.Stretch)
        return table

    def _lay_out(self) -> None:
        badges = QHBoxLayout()
        badges.setSpacing(12)
        badges.addWidget(self.tier_badge)
        badges.addWidget(self.birthday_label)
        badges.addStretch(1)
        tiles = QHBoxLayout()
        tiles.setSpacing(12)
        tiles.addWidget(self.points_tile)
        tiles.addWidget(self.wallet_tile)
        tiles.addStretch(1)
        facts = QGridLayout()
        facts.addWidget(self.since_caption, 0, 0)
        facts.addWidget(self.since_label, 0, 1)
        facts.addWidget(self.cards_caption, 1, 0, Qt.AlignmentFlag.AlignTop)
        facts.addWidget(self.cards_label, 1, 1)
        facts.setHorizontalSpacing(24)
        facts.setVerticalSpacing(6)
        facts.setColumnStretch(2, 1)
        details = QVBoxLayout()
        details.setSpacing(10)  # nested layouts would otherwise take their parent's spacing
        details.addWidget(self.name_label)
        details.addLayout(badges)
        details.addSpacing(8)
        details.addLayout(tiles)
        details.addLayout(facts)
        details.addStretch(1)
        top = QHBoxLayout()
        top.setSpacing(24)
        top.addWidget(self.photo, 0, Qt.AlignmentFlag.AlignTop)
        top.addLayout(details, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.checkout_button, 2)
        buttons.addWidget(self.manager_button, 1)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 12, 24, 12)
        layout.addWidget(self.earn_only_banner)
        layout.addLayout(top)
        layout.addWidget(self.history_caption)
        layout.addWidget(self.history_table, 1)
        layout.addWidget(self.empty_history_label, 1)
        layout.addLayout(buttons)

    # ---------------------------------------------------------------- public

    def show_member(self, profile: MemberProfile, photo: QImage | bytes | None, earn_only: bool) -> None:
        """Fill the screen with this member; `earn_only` adds the amber "points cannot be spent" notice."""
        self._profile = profile
        self._earn_only = earn_only
        if self.ctx.sync is not None:  # the worker keeps their offline grant fresh while they are here
            self.ctx.sync.note_member_seen(profile.member.id)
        self.photo.set_photo(photo)
        self._render()

    def profile(self) -> MemberProfile | None:
        return self._profile

    # ---------------------------------------------------------------- language

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.points_tile.caption.setText(self.tr("Points"))
        self.wallet_tile.caption.setText(self.tr("Cashback wallet"))
        self.since_caption.setText(self.tr("Member since"))
        self.cards_caption.setText(self.tr("Card"))
        self.history_caption.setText(self.tr("Recent activity"))
        self.empty_history_label.setText(self.tr("No purchases or points yet."))
        self.history_table.setHorizontalHeaderLabels(
            [self.tr("When"), self.tr("What"), self.tr("Points"), self.tr("Amount"), self.tr("Sync")]
        )
        self.checkout_button.setText(self.tr("Checkout (Enter / F5)"))
        self.manager_button.setText(self.tr("Manager (F8)"))
        self.back_button.setText(self.tr("Back (Esc)"))
        self._render()

    # ---------------------------------------------------------------- drawing the member

    def _render(self) -> None:
        profile = self._profile
        if profile is None:
            return
        lang = self.ctx.session.lang
        member = profile.member
        for label in (self.name_label, self.since_label):
            align_start(label)
        align_start(self.cards_label, Qt.AlignmentFlag.AlignTop)
        self.name_label.setText(member.name)
        self.tier_badge.set_tier(profile.tier, lang)
        self.points_tile.value.setText(points_text(profile.balance.points, lang))
        self.wallet_tile.value.setText(toman_text(profile.balance.wallet_rials, lang))
        self.since_label.setText(date_text(local_datetime(member.joined_at_us).date(), lang))
        self.cards_label.setText(self._cards_text(profile.cards))
        self._render_birthday(member.birth_date)
        self._render_earn_only()
        self._render_history(profile)

    def _render_birthday(self, birth: date | None) -> None:
        today = local_datetime(self.ctx.terminal.clock.now_us()).date()
        if birthday_soon(birth, today, days=0):
            self.birthday_label.setText(self.tr("Birthday today!"))
        elif birthday_soon(birth, today):
            self.birthday_label.setText(self.tr("Birthday this week"))
        self.birthday_label.setVisible(birthday_soon(birth, today))

    def _render_earn_only(self) -> None:
        if self._earn_only:
            self.earn_only_banner.show_message(
                self.tr("Points can be earned but not spent"),
                self.tr("The revocation list is old: sync the terminal before spending points or cashback."),
                BannerKind.WARNING,
            )
        else:
            self.earn_only_banner.clear()

    def _cards_text(self, cards: list[Card]) -> str:
        if not cards:
            return self.tr("none yet")
        lines = []
        for card in cards:
            text = card_number_text(card.number)
            if card.status is not CardStatus.ACTIVE:
                status = self._status_text(card.status)
                text = self.tr("{number} ({status})").format(number=text, status=status)
            lines.append(text)
        return "\n".join(lines)

    def _status_text(self, status: CardStatus) -> str:
        return {CardStatus.LOST: self.tr("lost"), CardStatus.REVOKED: self.tr("revoked")}.get(status, status)

    def _render_history(self, profile: MemberProfile) -> None:
        table = self.history_table
        table.setRowCount(len(profile.recent))
        unsynced_tip = self.tr("Recorded on this terminal; the server has not confirmed it yet.")
        for row, entry in enumerate(profile.recent):
            unsynced = entry.id in profile.unsynced
            for column, text in enumerate(self._entry_texts(entry, unsynced)):
                item = QTableWidgetItem(text)
                if column in (self.POINTS, self.AMOUNT):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if column == self.SYNC and unsynced:
                    item.setForeground(QBrush(UNSYNCED_COLOUR))
                    item.setToolTip(unsynced_tip)
                table.setItem(row, column, item)
        table.setVisible(bool(profile.recent))
        self.empty_history_label.setVisible(not profile.recent)

    def _entry_texts(self, entry: LedgerEntry, unsynced: bool) -> list[str]:
        lang = self.ctx.session.lang
        points = ""
        if entry.points_delta:
            sign = "+" if entry.points_delta > 0 else ""
            points = isolated(sign + number(entry.points_delta, lang))
        amount = entry.sale_amount or entry.discount_rials or entry.cash_delta
        return [
            datetime_text(entry.created_at_us, lang),
            self._kind_text(entry.kind),
            points,
            toman_text(amount, lang) if amount else "",
            self.unsynced_text() if unsynced else "",
        ]

    def unsynced_text(self) -> str:
        """The marker on entries the server has not acknowledged yet (tests look for it)."""
        return self.tr("not synced yet")

    def _kind_text(self, kind: EntryKind) -> str:
        words = {
            EntryKind.EARN: self.tr("Purchase"),
            EntryKind.REDEEM: self.tr("Points spent"),
            EntryKind.CASHBACK_CREDIT: self.tr("Cashback added"),
            EntryKind.CASHBACK_SPEND: self.tr("Cashback spent"),
            EntryKind.ADJUST: self.tr("Adjustment"),
            EntryKind.EXPIRE: self.tr("Points expired"),
            EntryKind.BONUS: self.tr("Bonus"),
            EntryKind.MEMBERSHIP_PURCHASE: self.tr("Membership bought"),
            EntryKind.REVERSAL: self.tr("Reversal"),
            EntryKind.OVERRIDE: self.tr("Manager override"),
        }
        return words.get(kind, str(kind))

    # ---------------------------------------------------------------- keys

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        key = event.key()
        if key in _CHECKOUT_KEYS:
            self.checkout_requested.emit()
        elif key == Qt.Key.Key_Escape:
            self.back_requested.emit()
        elif key == Qt.Key.Key_F8:
            self.manager_requested.emit()
        else:
            super().keyPressEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.setFocus()


class _StatTile(QFrame):
    """A caption over a big value: the balances a cashier reads aloud."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tile")
        self.setStyleSheet("QFrame#tile { background: #F1F4F6; border-radius: 10px; }")
        self.caption = QLabel()
        self.caption.setStyleSheet("QLabel { color: #546E7A; }")
        self.value = QLabel()
        self.value.setFont(scaled_font(self.font(), 1.9, bold=True))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 10, 18, 12)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
