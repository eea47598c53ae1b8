# SPDX-License-Identifier: GPL-3.0-or-later
"""The member screen: the photo large enough to compare with the face at the counter, then name, tier,
balances and the latest entries; beside them the member's place in the club's programme (tier privileges,
paid membership, progress to the next tier, points about to expire, campaigns running now); Enter goes to
checkout, Esc back, F8 to a manager's actions.

The main window loads the profile on the worker and calls `show_member`, which paints it at once; only
then does the view ask the worker for the member's standing in the programme (app.services.programme),
so the tap-to-profile path waits for nothing more than before. The programme panel fills in when the
answer comes (a later member's answer wins). Everything on screen is drawn again in the new language on a
language change.

`ProgrammeText` holds the programme's words the member, checkout and receipt screens share (one
translation context): privileges, category names, bonuses, "Upgraded to Gold!".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QKeyEvent, QPaintEvent, QShowEvent
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

from app.domain.card import Card, CardKind, CardStatus
from app.domain.ledger import EntryKind, LedgerEntry
from app.format import (
    birthday_soon,
    card_number_text,
    clause_separator,
    date_text,
    datetime_text,
    isolated,
    listed,
    local_datetime,
    number,
    points_text,
    toman_text,
)
from app.ui.context import UiContext
from app.ui.widgets.badge import TierBadgeWidget, tier_colour
from app.ui.widgets.banner import BannerKind, BannerWidget
from app.ui.widgets.photo import PhotoWidget
from app.ui.widgets.programme_panel import (
    Line,
    ProgrammePanel,
    Tone,
    bilingual,
    multiplier_text,
    percent_text,
)
from app.ui.widgets.style import align_start, scaled_font, touch_button

if TYPE_CHECKING:  # the programme's use case is imported on the worker, when a standing is first read
    from app.domain.programme import Campaign, RuleSet, TierRule
    from app.services.identify import MemberProfile
    from app.services.programme import Standing
    from app.services.terminal import Terminal

log = logging.getLogger(__name__)

PHOTO_SIDE = 280
UNSYNCED_COLOUR = QColor("#B26A00")
SET_ASIDE_COLOUR = QColor("#B3261E")
_CHECKOUT_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F5)
EXPIRY_SOON_DAYS = 30  # points expiring within this many days are shown in amber
US_PER_DAY = 86_400 * 1_000_000
STANDING_UNPAINTED_MS = 200  # a shown window that has not painted the view by then gets the standing anyway


def read_standing(terminal: Terminal, member_id: str) -> Standing:
    """Worker: the member's standing in the programme now (the use case is imported here, off the UI
    thread and out of the window's start-up)."""
    from app.services.programme import standing

    return standing(terminal, member_id)


class ProgrammeText(QObject):
    """The programme's words, shared by the member, checkout and receipt screens."""

    def tier_name(self, tier: TierRule, lang: str) -> str:
        return tier.name_fa if lang == "fa" else tier.name_en

    def privileges(self, tier: TierRule, lang: str) -> str:
        """ "×1.25 points, 5% off at the till"; "" for a tier without privileges."""
        parts = []
        if tier.multiplier_percent != 100:
            parts.append(
                self.tr("{multiplier} points").format(
                    multiplier=multiplier_text(tier.multiplier_percent, lang)
                )
            )
        if tier.discount_percent:
            parts.append(
                self.tr("{percent} off at the till").format(percent=percent_text(tier.discount_percent, lang))
            )
        return self.join(parts, lang)

    def headline(self, tier: TierRule, lang: str) -> str:
        """The tier and its privileges: "Silver: ×1.25 points, 5% off at the till"."""
        privileges = self.privileges(tier, lang)
        name = self.tier_name(tier, lang)
        return (
            self.tr("{tier}: {privileges}").format(tier=name, privileges=privileges) if privileges else name
        )

    def services(self, tier: TierRule, lang: str) -> str:
        """ "Free: Gift wrap, Free delivery"; "" when the tier has none."""
        if not tier.free_services:
            return ""
        names = self.join((bilingual(s, lang) for s in tier.free_services), lang)
        return self.tr("Free: {services}").format(services=names)

    def all_privileges(self, tier: TierRule, lang: str) -> str:
        """Privileges and free services on one line (the checkout's reminder, the celebration's detail):
        "×1.25 points, 5% off at the till; Free: Gift wrap"."""
        parts = (self.privileges(tier, lang), self.services(tier, lang))
        return clause_separator(lang).join(p for p in parts if p)

    def upgraded(self, tier_name: str) -> str:
        return self.tr("Upgraded to {tier}!").format(tier=tier_name)

    def campaign_names(self, campaigns: Iterable[Campaign], lang: str) -> str:
        return self.join((c.name_fa if lang == "fa" else c.name_en for c in campaigns), lang)

    def campaigns_by_code(self, codes: Iterable[str], rules: RuleSet | None, lang: str) -> str:
        """Campaign codes (a sale's) as their names; a code the rules do not name stays a code."""
        known = {c.code: c for c in rules.campaigns} if rules is not None else {}
        names = [
            (known[code].name_fa if lang == "fa" else known[code].name_en) if code in known else code
            for code in codes
        ]
        return self.join(names, lang)

    def category_name(self, code: str) -> str:
        """A product category's name; the rule set names categories by code, so the common ones are
        translated here and any other is shown as its code."""
        names = {
            "clothing": self.tr("Clothing"),
            "cosmetics": self.tr("Cosmetics"),
            "food": self.tr("Food"),
            "electronics": self.tr("Electronics"),
            "books": self.tr("Books"),
            "shoes": self.tr("Shoes"),
            "accessories": self.tr("Accessories"),
            "home": self.tr("Home"),
            "toys": self.tr("Toys"),
            "sports": self.tr("Sports"),
        }
        return names.get(code.lower(), code)

    def bonus(self, key: str, points: int, lang: str) -> str:
        """A bonus a sale or a survey granted: "Birthday bonus +200"."""
        kind = key.split(":", 1)[0]
        what = {
            "birthday": self.tr("Birthday bonus"),
            "referred": self.tr("Welcome bonus for a referred member"),
            "referral": self.tr("Referral bonus"),
            "signup": self.tr("Signup bonus"),
            "survey": self.tr("Survey bonus"),
            "ambassador": self.tr("Ambassador bonus"),
        }.get(kind, self.tr("Bonus"))
        return f"{what} {isolated('+' + number(points, lang))}"

    def join(self, texts: Iterable[str], lang: str) -> str:
        return listed(texts, lang)


class MemberView(QWidget):
    checkout_requested = Signal()
    back_requested = Signal()
    manager_requested = Signal()
    programme_shown = Signal(str)  # member id, once their standing in the programme is on screen
    history_shown = Signal(str)  # member id, once their recent activity is in the table

    # columns of the history table, in reading order (mirrored with the layout in Persian)
    WHEN, WHAT, POINTS, AMOUNT, SYNC = range(5)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._profile: MemberProfile | None = None
        self._earn_only = False
        self._earn_only_why: str | None = None
        self._standing: Standing | None = None
        self._standing_seq = 0  # only the latest member's standing is shown
        self._standing_due: str | None = None  # the member whose standing is read once the profile is painted
        self._history_due: MemberProfile | None = None  # the history filled in once the profile is painted
        self.words = ProgrammeText(self)
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
        self.programme_panel = ProgrammePanel()
        self.programme_panel.hide()  # until a standing under a published rule set arrives
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
        top.addWidget(self.programme_panel, 0, Qt.AlignmentFlag.AlignTop)
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

    def show_member(
        self,
        profile: MemberProfile,
        photo: QImage | bytes | None,
        earn_only: bool,
        earn_only_why: str | None = None,
    ) -> None:
        """Fill the screen with this member; `earn_only` adds the amber "points cannot be spent" notice,
        saying `earn_only_why` (the card verdict's text) or, without it, that the revocation list is old.
        Their standing in the programme is read on the worker after the profile is painted."""
        same_member = self._profile is not None and self._profile.member.id == profile.member.id
        self._profile = profile
        self._earn_only = earn_only
        self._earn_only_why = earn_only_why
        if not same_member:
            self._standing = None  # never another member's programme beside this photo
        if self.ctx.sync is not None:  # the worker keeps their offline grant fresh while they are here
            self.ctx.sync.note_member_seen(profile.member.id)
        self.photo.set_photo(photo)
        painted_first = self.window().isVisible()
        self._render(history=not painted_first)
        self._standing_seq += 1  # an answer still on its way is for the screen before
        self._standing_due = profile.member.id
        if painted_first:  # the history and the standing once painted (paintEvent), or after a while anyway
            self._history_due = profile
            seq = self._standing_seq
            QTimer.singleShot(
                STANDING_UNPAINTED_MS, self, lambda: seq == self._standing_seq and self._after_paint()
            )
        else:
            self.history_shown.emit(profile.member.id)
            self._load_due_standing()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        """The profile is on screen: now the worker may read the standing. Read while the view painted,
        it held the GIL in Python for milliseconds at a time, and the paint waited (bench: card → member
        p95 25-29 ms before)."""
        super().paintEvent(event)
        if self._standing_due is not None or self._history_due is not None:
            QTimer.singleShot(0, self, self._after_paint)  # after this paint, children's included

    def _after_paint(self) -> None:
        """The face is on screen: the recent activity now (its rows cost the tap's first frame a third of
        its time: bench card → member p95 26.5 → 16.4 ms without them), then the standing's read."""
        self._render_due_history()
        self._load_due_standing()

    def _render_due_history(self) -> None:
        profile, self._history_due = self._history_due, None
        if profile is None or profile is not self._profile:
            return  # filled already, or another member (or another read of this one) is on screen
        self._render_history(profile)
        self.history_shown.emit(profile.member.id)

    def _load_due_standing(self) -> None:
        member_id, self._standing_due = self._standing_due, None
        if member_id is None:
            return  # read already (painted, then the fallback's timer)
        seq, terminal = self._standing_seq, self.ctx.terminal
        self.ctx.tasks.run(
            lambda: read_standing(terminal, member_id),
            # the window may be gone by the time the worker answers (closed, or a test torn down)
            lambda standing: shiboken6.isValid(self) and self.on_standing_loaded(seq, member_id, standing),
            lambda error: shiboken6.isValid(self) and self.on_standing_failed(seq, error),
        )

    def on_standing_loaded(self, seq: int, member_id: str, standing: Standing) -> None:
        if seq != self._standing_seq or self._profile is None or self._profile.member.id != member_id:
            return  # a later member (or a later read of this one) is on screen
        self._standing = standing
        self._render_programme()  # only what the standing changes: the profile is painted already
        self.programme_shown.emit(member_id)

    def on_standing_failed(self, seq: int, error: BaseException) -> None:
        """The profile is on screen; without a standing the panel stays hidden (nothing is blocked)."""
        if seq == self._standing_seq:
            log.warning("the member's standing could not be read: %s", error)
            self._standing = None
            self._render()

    def standing(self) -> Standing | None:
        return self._standing

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

    def _render(self, history: bool = True) -> None:
        """The member on screen; `history=False`: the table of recent activity left empty for now (filled
        in after the first paint, `_render_due_history`), its place already taken so nothing moves then."""
        profile = self._profile
        if profile is None:
            return
        lang = self.ctx.session.lang
        member = profile.member
        for label in (self.name_label, self.since_label):
            align_start(label)
        align_start(self.cards_label, Qt.AlignmentFlag.AlignTop)
        # an erased member's placeholders name no one: say what happened instead, in the session's language
        self.name_label.setText(self.tr("Erased member") if member.erased else member.name)
        self.tier_badge.set_tier(profile.tier, lang)
        self.points_tile.value.setText(points_text(profile.balance.points, lang))
        self.wallet_tile.value.setText(toman_text(profile.balance.wallet_rials, lang))
        self.since_label.setText(date_text(local_datetime(member.joined_at_us).date(), lang))
        self.cards_label.setText(self._cards_text(profile.cards))
        self._render_birthday(member.birth_date)
        self._render_earn_only()
        if history:
            self._render_history(profile)
        else:
            self._hold_history_place(profile)
        self._render_programme()

    def _render_birthday(self, birth: date | None) -> None:
        today = local_datetime(self.ctx.terminal.clock.now_us()).date()
        if birthday_soon(birth, today, days=0):
            self.birthday_label.setText(self.tr("Birthday today!"))
        elif birthday_soon(birth, today):
            self.birthday_label.setText(self.tr("Birthday this week"))
        self.birthday_label.setVisible(birthday_soon(birth, today))

    def _render_earn_only(self) -> None:
        profile = self._profile
        if profile is not None and profile.member.erased:
            self.earn_only_banner.show_message(
                self.tr("The club erased this member's personal data"),
                self.tr("Name, phone, birth date and photo are gone; the points and history stay."),
                BannerKind.INFO,
            )
        elif self._earn_only:
            old_list = self.tr("The revocation list is old: sync the terminal before spending points or cashback.")  # noqa: E501 (one literal for lupdate)
            title = self.tr("Points can be earned but not spent")
            self.earn_only_banner.show_message(title, self._earn_only_why or old_list, BannerKind.WARNING)
        else:
            self.earn_only_banner.clear()

    # ---------------------------------------------------------------- the programme

    def _render_programme(self) -> None:
        """The panel beside the photo and the wallet's "spendable from tomorrow", from the standing."""
        standing, panel = self._standing, self.programme_panel
        self.wallet_tile.set_note("")
        if standing is None or not standing.rules.version:
            if standing is not None:  # a club that never published a rule set: no programme to show
                panel.hide()
            panel.clear()
            return
        lang = self.ctx.session.lang
        words = self.words
        self.tier_badge.set_tier(standing.tier, lang)  # the effective tier: a paid membership may lift it
        panel.set_accent(tier_colour(standing.tier.code))
        panel.set_line(Line.PRIVILEGES, words.headline(standing.tier, lang))
        panel.set_line(Line.SERVICES, words.services(standing.tier, lang))
        panel.set_line(Line.MEMBERSHIP, self._membership_text(standing))
        self._render_progress(standing)
        panel.set_line(Line.KEEP, self._keep_text(standing), Tone.MUTED)
        self._render_expiring(standing)
        campaigns = words.campaign_names(standing.campaigns, lang)
        panel.set_line(
            Line.CAMPAIGNS,
            self.tr("Now: {campaigns}").format(campaigns=campaigns) if campaigns else "",
            Tone.GOOD,
        )
        pending = standing.wallet_rials - standing.wallet_available_rials
        if pending > 0:
            self.wallet_tile.set_note(
                self.tr("{amount} spendable from tomorrow").format(amount=toman_text(pending, lang))
            )
        panel.show()

    def _day_text(self, standing: Standing, at_us: int) -> str:
        """A date on the club's calendar: Jalali in Persian."""
        return date_text(standing.rules.local_date(at_us), self.ctx.session.lang)

    def _membership_text(self, standing: Standing) -> str:
        term = standing.membership
        if term is None:
            return ""
        plan = standing.plan
        lang = self.ctx.session.lang
        name = (plan.name_fa if lang == "fa" else plan.name_en) if plan is not None else term.plan_code
        return self.tr("{plan} valid until {date}").format(
            plan=name, date=self._day_text(standing, term.ends_us)
        )

    def _render_progress(self, standing: Standing) -> None:
        panel, lang = self.programme_panel, self.ctx.session.lang
        following, needed = standing.next_tier, standing.to_next
        if following is None or needed is None:
            panel.set_line(Line.PROGRESS, self.tr("Top tier"), Tone.MUTED)
            panel.set_progress(None)
            return
        basis_points = standing.basis == "points"  # a StrEnum: QualifyingBasis.POINTS
        amount = points_text(needed, lang) if basis_points else toman_text(needed, lang)
        name = self.words.tier_name(following, lang)
        panel.set_line(Line.PROGRESS, self.tr("{amount} to {tier}").format(amount=amount, tier=name))
        floor = standing.held_tier.threshold
        panel.set_progress(standing.qualifying.total(standing.basis) - floor, following.threshold - floor)

    def _keep_text(self, standing: Standing) -> str:
        if standing.keep_by_us is None:
            return ""
        return self.tr("{tier} kept until {date}").format(
            tier=self.words.tier_name(standing.held_tier, self.ctx.session.lang),
            date=self._day_text(standing, standing.keep_by_us),
        )

    def _render_expiring(self, standing: Standing) -> None:
        expiring, lang = standing.expiring, self.ctx.session.lang
        if expiring is None or expiring.points <= 0:
            self.programme_panel.set_line(Line.EXPIRING, "")
            return
        points = points_text(expiring.points, lang)
        now = self.ctx.terminal.clock.now_us()
        if expiring.at_us <= now:
            text = self.tr("{points} are due to expire at the next sync").format(points=points)
            tone = Tone.WARNING
        else:
            text = self.tr("{points} expire on {date}").format(
                points=points, date=self._day_text(standing, expiring.at_us)
            )
            soon = expiring.at_us - now <= EXPIRY_SOON_DAYS * US_PER_DAY
            tone = Tone.WARNING if soon else Tone.NORMAL
        self.programme_panel.set_line(Line.EXPIRING, text, tone)

    def _cards_text(self, cards: list[Card]) -> str:
        if not cards:
            return self.tr("none yet")
        lines = []
        for card in cards:
            text = card_number_text(card.number)
            if card.kind is CardKind.PHONE:  # a phone the member certified on the member page
                text = self.tr("{number} (phone)").format(number=text)
            if card.status is not CardStatus.ACTIVE:
                status = self._status_text(card.status)
                text = self.tr("{number} ({status})").format(number=text, status=status)
            lines.append(text)
        return "\n".join(lines)

    def _status_text(self, status: CardStatus) -> str:
        return {CardStatus.LOST: self.tr("lost"), CardStatus.REVOKED: self.tr("revoked")}.get(status, status)

    def _hold_history_place(self, profile: MemberProfile) -> None:
        """No rows yet, never the last member's; the table shown already when there will be rows."""
        self.history_table.setRowCount(0)
        self.history_table.setVisible(bool(profile.recent))
        self.empty_history_label.setVisible(not profile.recent)

    def _render_history(self, profile: MemberProfile) -> None:
        table = self.history_table
        table.setRowCount(len(profile.recent))
        unsynced_tip = self.tr("Recorded on this terminal; the server has not confirmed it yet.")
        set_aside_tip = self.tr(
            "The club server set this entry aside for review: it is not in the balance, here or anywhere, "
            "until the club accepts it."
        )
        for row, entry in enumerate(profile.recent):
            unsynced = entry.id in profile.unsynced
            set_aside = entry.id in profile.set_aside
            refused = profile.refused.get(entry.id) if set_aside else None
            texts = self._entry_texts(entry, unsynced, set_aside, refused=refused is not None)
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if column in (self.POINTS, self.AMOUNT):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if column == self.SYNC and (unsynced or set_aside):
                    item.setForeground(QBrush(SET_ASIDE_COLOUR if set_aside else UNSYNCED_COLOUR))
                    tip = set_aside_tip if set_aside else unsynced_tip
                    item.setToolTip(self._refused_tip(refused) if refused is not None else tip)
                table.setItem(row, column, item)
        table.setVisible(bool(profile.recent))
        self.empty_history_label.setVisible(not profile.recent)

    def _refused_tip(self, note: str) -> str:
        text = self.tr("The club office reviewed this entry and confirmed that it does not count, anywhere.")
        return text + ("\n" + self.tr("Note: {note}").format(note=note) if note else "")

    def _entry_texts(
        self, entry: LedgerEntry, unsynced: bool, set_aside: bool = False, *, refused: bool = False
    ) -> list[str]:
        lang = self.ctx.session.lang
        points = ""
        if entry.points_delta:
            sign = "+" if entry.points_delta > 0 else ""
            points = isolated(sign + number(entry.points_delta, lang))
        amount = entry.sale_amount or entry.discount_rials or entry.cash_delta
        return [
            datetime_text(entry.created_at_us, lang),
            self._kind_text(entry.kind, entry.points_delta),
            points,
            toman_text(amount, lang) if amount else "",
            self._sync_text(unsynced, set_aside, refused),
        ]

    def _sync_text(self, unsynced: bool, set_aside: bool, refused: bool) -> str:
        if refused:
            return self.refused_text()
        if set_aside:
            return self.set_aside_text()
        return self.unsynced_text() if unsynced else ""

    def unsynced_text(self) -> str:
        """The marker on entries the server has not acknowledged yet (tests look for it)."""
        return self.tr("not synced yet")

    def set_aside_text(self) -> str:
        """The marker on entries the server set aside (not in the balance)."""
        return self.tr("set aside: not counted")

    def refused_text(self) -> str:
        """The marker on set-aside entries the club's review confirmed as refused (for good)."""
        return self.tr("refused after review")

    def _kind_text(self, kind: EntryKind, points: int = 0) -> str:
        if kind is EntryKind.EXPIRE and points > 0:  # the server giving back points it expired too early
            return self.tr("Expiry given back")
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
        self.note = QLabel()  # under the value: the wallet's "… spendable from tomorrow"
        self.note.setStyleSheet("QLabel { color: #A15C00; }")
        self.note.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 10, 18, 12)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.note)

    def set_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))
