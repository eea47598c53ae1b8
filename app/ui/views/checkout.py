# SPDX-License-Identifier: GPL-3.0-or-later
"""The checkout: the sale amount in Toman, a live preview of the points it earns, optional points spent
as a discount, Enter records the sale.

The preview is computed with the branch's own EarningRule and RedemptionPolicy (the same arithmetic the
use case runs), on what is actually paid: amount − discount. Recording runs `record_sale` on the worker
with an entry id made when the screen starts, so a second Enter (or a retry after a lost answer) can never
record the sale twice. Money is integer rials: the cashier types whole Toman, stored × 10.

On an enrolled terminal the club decides what may be spent (app.services.spending): the sale asks the
server through the sync worker's client; the cap shown is the branch's cap on the balance while the server
answers, the member's offline grant while it does not, nothing for a restricted member. Beyond the grant
(or with the clock behind the server) a manager may override (F8): the view emits `override_requested`,
the main window opens the manager's dialog and hands its `SpendOverride` back to `apply_override`; a sale
refused for that reason waits, unchangeable, for the manager and is recorded as soon as they approve.

Under a published rule set (app.domain.programme) the member's standing is read on the worker when the
checkout starts; then the preview is the rule set's own pricing (`app.domain.pricing.price_sale`: the
branch, the member's effective tier, campaigns and cashback — plain arithmetic, cheap on the UI thread),
the cashback wallet may pay part of the sale (F3: Toman, within what is spendable now and the club's
share, the cap shown) and the product category may be named (F4, none by default) for campaigns that
name one. Tab reaches every field: amount, points, wallet, category.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import pairwise
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QShowEvent, QValidator
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.branch import Branch
from app.domain.digits import to_latin_digits
from app.domain.errors import ClubError
from app.domain.money import RIALS_PER_TOMAN
from app.domain.pricing import Pricing, max_wallet_spend, price_sale
from app.domain.pricing import SaleContext as PricedSale
from app.domain.rules import EarningRule, RedemptionPolicy
from app.domain.tier import Tier
from app.format import PERSIAN_GROUP, name_isolated, number, points_text, toman_text
from app.services.checkout import SaleRequest, SaleResult, record_sale
from app.services.identify import MemberProfile
from app.services.spending import SpendOverride
from app.ui.context import UiContext
from app.ui.messages import club_error_text
from app.ui.spend_limit import SpendLimit, read_spend_limit
from app.ui.views.member import ProgrammeText, read_standing
from app.ui.widgets.banner import BannerKind, BannerWidget
from app.ui.widgets.programme_panel import percent_text, signed_toman_text
from app.ui.widgets.style import TOUCH_HEIGHT, touch_button

if TYPE_CHECKING:
    from app.domain.programme import TierRule
    from app.services.programme import Standing
    from sync.client import SyncStatus

MAX_SPIN = 2**31 - 1  # what a QSpinBox holds
MAX_TOMAN_DIGITS = 12  # 999,999,999,999 Toman: below the use case's ceiling of 10^13 rials
_SIGNED_INTEGER = re.compile(r"[+-]?\d+")
OVERRIDABLE = ("offline_limit", "clock_behind_server")  # refusals a manager may override


def directed(text: str, lang: str) -> str:
    """Text that reads in the session's direction whatever it starts with (a Persian name in English,
    a number alone in Persian): a leading right-to-left or left-to-right mark sets the paragraph's way."""
    return ("\u200f" if lang == "fa" else "\u200e") + text


def digits_of(text: str) -> str:
    """The ASCII digits in text, whatever script they were typed in."""
    return "".join(ch for ch in to_latin_digits(text) if "0" <= ch <= "9")


class AmountEdit(QLineEdit):
    """Whole Toman typed as digits (Latin, Persian or Arabic-Indic), grouped by thousands as they are
    typed, in the session's digits. Deleting a group separator deletes the digit beside it."""

    amount_changed = Signal(object)  # rials (an int beyond 32 bits: Signal(int) would overflow)

    def __init__(self, lang: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lang = lang
        self._digits = ""
        self._last_key = 0
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)  # numbers read left to right
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        self.textEdited.connect(self.on_text_edited)

    @property
    def toman(self) -> int:
        return int(self._digits or 0)

    @property
    def rials(self) -> int:
        return self.toman * RIALS_PER_TOMAN

    def set_toman(self, toman: int) -> None:
        self._show(str(toman) if toman > 0 else "", None)

    def refresh(self) -> None:
        """Show the same amount again, e.g. in the other language's digits."""
        self._show(self._digits, None)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        self._last_key = event.key()
        super().keyPressEvent(event)

    def on_text_edited(self, text: str) -> None:
        cursor = self.cursorPosition()
        digits = digits_of(text)
        before = len(digits_of(text[:cursor]))
        if digits == self._digits and len(text) < len(self._formatted(self._digits)):
            # only a separator went: remove the digit the key was aimed at
            if self._last_key == Qt.Key.Key_Backspace and before > 0:
                digits, before = digits[: before - 1] + digits[before:], before - 1
            elif self._last_key == Qt.Key.Key_Delete:
                digits = digits[:before] + digits[before + 1 :]
        stripped = digits.lstrip("0")
        before = max(0, before - (len(digits) - len(stripped)))
        if len(stripped) > MAX_TOMAN_DIGITS:
            self._show(self._digits, None)  # refuse the keystroke, keep what was there
            return
        self._show(stripped, before)

    def _formatted(self, digits: str) -> str:
        return number(int(digits), self._lang()) if digits else ""

    def _show(self, digits: str, digits_before_cursor: int | None) -> None:
        changed = digits != self._digits
        self._digits = digits
        shown = self._formatted(digits)
        self.setText(shown)
        if digits_before_cursor is not None:
            self.setCursorPosition(_position_after_digits(shown, digits_before_cursor))
        if changed:
            self.amount_changed.emit(self.rials)


def _position_after_digits(text: str, count: int) -> int:
    if count <= 0:
        return 0
    seen = 0
    for index, ch in enumerate(text):
        if ch.isdigit():
            seen += 1
            if seen == count:
                return index + 1
    return len(text)


class PointsSpinBox(QSpinBox):
    """Whole points, shown grouped in the session's digits and typed in any digits (a sign if allowed)."""

    def __init__(self, lang: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lang = lang
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAccelerated(True)
        self.setMinimumHeight(TOUCH_HEIGHT)

    def textFromValue(self, value: int) -> str:  # noqa: N802 (Qt's name)
        text = number(value, self._lang())
        return "+" + text if value > 0 and self.minimum() < 0 else text

    def valueFromText(self, text: str) -> int:  # noqa: N802 (Qt's name)
        cleaned = _clean_number(text)
        return int(cleaned) if _SIGNED_INTEGER.fullmatch(cleaned) else 0

    def validate(self, text: str, pos: int) -> QValidator.State:
        cleaned = _clean_number(text)
        if cleaned in ("", "-", "+"):
            return QValidator.State.Intermediate
        if not _SIGNED_INTEGER.fullmatch(cleaned) or (cleaned[0] == "-" and self.minimum() >= 0):
            return QValidator.State.Invalid
        value = int(cleaned)
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable
        # more digits only move a number further from zero: beyond the range it can never come back
        too_far = (value > self.maximum() and value >= 0) or (value < self.minimum() and value <= 0)
        return QValidator.State.Invalid if too_far else QValidator.State.Intermediate

    def refresh(self) -> None:
        """Show the value again, e.g. in the other language's digits."""
        self.lineEdit().setText(self.textFromValue(self.value()))


def _clean_number(text: str) -> str:
    return "".join(to_latin_digits(text).replace(",", "").replace(PERSIAN_GROUP, "").split())


class CheckoutView(QWidget):
    sale_recorded = Signal(object)  # SaleResult
    cancelled = Signal()
    refused = Signal(str)  # the refusal's code, once it is on screen
    override_requested = Signal()  # F8: a manager is to let this sale spend beyond the offline limit
    spend_limit_loaded = Signal(object)  # SpendLimit, once the cap follows it (enrolled terminals)
    standing_loaded = Signal(object)  # Standing, once the preview prices with the club's rule set

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._profile: MemberProfile | None = None
        self._branch: Branch | None = None
        self._tier: Tier | None = None
        self._earn_only = False
        self._entry_id: str | None = None
        self._busy = False
        self._recorded = False
        self._standing: Standing | None = None  # read on the worker when the checkout starts
        self.words = ProgrammeText(self)
        self._reset_spending()
        self._online = ctx.sync.online if ctx.sync is not None else None
        self._build()
        ctx.session.language_changed.connect(self.on_language_changed)
        if ctx.sync is not None:
            ctx.sync.status_changed.connect(self.on_sync_status_changed)
        self.retranslate()

    def _reset_spending(self) -> None:
        self._limit: SpendLimit | None = None  # enrolled: read on the worker when the checkout starts
        self._override: SpendOverride | None = None
        self._awaiting_manager = False  # a sale refused for the offline limit waits for the override
        self._server_available: int | None = None  # what the server said it allows, after it refused

    # ---------------------------------------------------------------- building

    def _build(self) -> None:
        lang = lambda: self.ctx.session.lang  # noqa: E731 (read at call time: the language can change)
        self.member_label = make_label(18, bold=True)
        self.balance_label = make_label(14)
        self.amount_caption = make_label(14)
        self.amount_edit = AmountEdit(lang)
        self.amount_edit.setFont(make_font(28, bold=True))
        self.amount_edit.setMinimumHeight(TOUCH_HEIGHT + 24)
        self.amount_edit.amount_changed.connect(lambda _rials: self.update_preview())
        self.redeem_caption = make_label(14)
        self.points_spin = PointsSpinBox(lang)
        self.points_spin.setFont(make_font(18))
        self.points_slider = QSlider(Qt.Orientation.Horizontal)
        self.points_slider.setMinimumHeight(TOUCH_HEIGHT)
        self.points_spin.valueChanged.connect(self.on_points_changed)
        self.points_slider.valueChanged.connect(self.points_spin.setValue)
        self.cap_label = make_label(12, wrap=True)
        self._build_programme_fields(lang)
        self.earn_only_banner = BannerWidget()
        self.spend_banner = BannerWidget()
        self.refusal_banner = BannerWidget()
        self.confirm_button = action_button(self.on_confirm, primary=True)
        self.cancel_button = action_button(self.on_cancel)
        self.override_button = action_button(self.on_override_clicked)
        self._build_preview()
        self._layout()
        self._tab_order()

    def _build_programme_fields(self, lang: Callable[[], str]) -> None:
        """The rule set's fields: the member's privileges, the wallet (F3), the product category (F4)."""
        self.privilege_label = make_label(13, wrap=True)
        self.privilege_label.setStyleSheet("color: #546E7A;")
        self.wallet_caption = make_label(14)
        self.wallet_edit = AmountEdit(lang)
        self.wallet_edit.setFont(make_font(18))
        self.wallet_edit.setMinimumHeight(TOUCH_HEIGHT)
        self.wallet_edit.amount_changed.connect(lambda _rials: self.update_preview())
        self.wallet_cap_label = make_label(12, wrap=True)
        self.category_caption = make_label(14)
        self.category_combo = QComboBox()
        self.category_combo.setFont(make_font(16))
        self.category_combo.setMinimumHeight(TOUCH_HEIGHT)
        self.category_combo.currentIndexChanged.connect(lambda _index: self.update_preview())
        self.category_combo.installEventFilter(self)  # F4 on it picks the next category, not its popup
        self.campaigns_hint = make_label(12, wrap=True)
        self.campaigns_hint.setStyleSheet("color: #1b7f3b;")
        self.wallet_fields = (self.wallet_caption, self.wallet_edit, self.wallet_cap_label)
        self.category_fields = (self.category_caption, self.category_combo)
        for widget in (*self.wallet_fields, *self.category_fields, self.privilege_label, self.campaigns_hint):
            widget.hide()  # until the standing says the club has a programme (and categories)

    def _build_preview(self) -> None:
        self.earn_caption = make_label(14)
        self.earn_value = make_label(34, bold=True)
        self.earn_value.setStyleSheet("color: #1b7f3b;")
        self.discount_caption, self.discount_value = make_label(14), make_label(16)
        self.pay_caption, self.pay_value = make_label(14), make_label(20, bold=True)
        self.after_caption, self.after_value = make_label(14), make_label(16)
        self.wallet_pay_caption, self.wallet_pay_value = make_label(14), make_label(16)
        self.cashback_caption, self.cashback_value = make_label(14), make_label(16)
        self.cashback_value.setStyleSheet("color: #1b7f3b;")
        self.campaigns_label = make_label(13, bold=True, wrap=True)
        self.campaigns_label.setStyleSheet("color: #1b7f3b;")
        self.campaigns_label.hide()
        for widget in (
            self.wallet_pay_caption,
            self.wallet_pay_value,
            self.cashback_caption,
            self.cashback_value,
        ):
            widget.hide()
        self.rule_label = make_label(12, wrap=True)
        self.rule_label.setStyleSheet("color: #555;")

    def _layout(self) -> None:
        preview = QFrame()
        preview.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(preview)
        grid.addWidget(self.earn_caption, 0, 0)
        grid.addWidget(self.earn_value, 0, 1)
        grid.addWidget(self.campaigns_label, 1, 0, 1, 2)
        for row, (caption, value) in enumerate(
            [
                (self.discount_caption, self.discount_value),
                (self.wallet_pay_caption, self.wallet_pay_value),
                (self.pay_caption, self.pay_value),
                (self.after_caption, self.after_value),
                (self.cashback_caption, self.cashback_value),
            ],
            start=2,
        ):
            grid.addWidget(caption, row, 0)
            grid.addWidget(value, row, 1)
        grid.addWidget(self.rule_label, 7, 0, 1, 2)
        grid.setRowStretch(8, 1)
        grid.setColumnStretch(1, 1)
        grid.setVerticalSpacing(16)

        redeem = QHBoxLayout()
        redeem.addWidget(self.points_spin, 1)
        redeem.addWidget(self.points_slider, 3)
        entry = QVBoxLayout()
        for widget in (self.member_label, self.balance_label, self.privilege_label):
            entry.addWidget(widget)
        entry.addWidget(self.amount_caption)
        entry.addWidget(self.amount_edit)
        entry.addSpacing(12)
        entry.addWidget(self.redeem_caption)
        entry.addLayout(redeem)
        entry.addWidget(self.cap_label)
        entry.addLayout(self._programme_fields())
        entry.addWidget(self.spend_banner)
        entry.addWidget(self.earn_only_banner)
        entry.addStretch(1)

        columns = QHBoxLayout()
        columns.addLayout(entry, 3)
        columns.addSpacing(24)
        columns.addWidget(preview, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.override_button)
        buttons.addWidget(self.confirm_button)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 24, 32, 24)
        outer.addLayout(columns, 1)
        outer.addWidget(self.refusal_banner)
        outer.addLayout(buttons)

    def _programme_fields(self) -> QGridLayout:
        """The rule set's fields side by side: the wallet, the product category."""
        extras = QGridLayout()  # the rule set's: wallet and category side by side
        extras.addWidget(self.wallet_caption, 0, 0)
        extras.addWidget(self.wallet_edit, 1, 0)
        extras.addWidget(self.wallet_cap_label, 2, 0)
        extras.addWidget(self.category_caption, 0, 1)
        extras.addWidget(self.category_combo, 1, 1)
        extras.addWidget(self.campaigns_hint, 2, 1)
        extras.setColumnStretch(0, 1)
        extras.setColumnStretch(1, 1)
        extras.setHorizontalSpacing(16)
        return extras

    def _tab_order(self) -> None:
        # Tab: amount → points → slider → wallet → category (the buttons stay out of the chain)
        chain = (
            self.amount_edit,
            self.points_spin,
            self.points_slider,
            self.wallet_edit,
            self.category_combo,
        )
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    # ---------------------------------------------------------------- the contract

    def start(self, profile: MemberProfile, branch: Branch, tier: Tier, earn_only: bool) -> None:
        """A new checkout for this member: empty amount, no points spent, a fresh entry id."""
        self._profile, self._branch, self._tier, self._earn_only = profile, branch, tier, earn_only
        self._entry_id = self.ctx.terminal.new_id()
        self._busy = self._recorded = False
        self._reset_spending()
        self._set_standing(None)
        self.amount_edit.set_toman(0)
        self.wallet_edit.set_toman(0)
        self.points_spin.setValue(0)
        self.refusal_banner.clear()
        self._load_spend_limit()
        self._load_standing()
        self._set_busy(False)
        self.amount_edit.setFocus()

    def _load_standing(self) -> None:
        """The member's standing under the club's rule set (tier, wallet, campaigns), read on the worker."""
        if self._profile is None:
            return
        terminal, member_id, entry_id = self.ctx.terminal, self._profile.member.id, self._entry_id
        self.ctx.tasks.run(
            lambda: read_standing(terminal, member_id),
            lambda standing: self.on_standing_loaded(entry_id, standing),
            lambda _error: None,  # without it the checkout prices as before: the branch and the tier
        )

    def on_standing_loaded(self, entry_id: str | None, standing: Standing) -> None:
        if entry_id != self._entry_id:
            return  # an earlier checkout's answer
        self._set_standing(standing)
        self.retranslate()
        self.standing_loaded.emit(standing)

    def _set_standing(self, standing: Standing | None) -> None:
        self._standing = standing
        active = self.programme is not None
        categories = self.programme.rules.categories if self.programme is not None else ()
        combo = self.category_combo
        chosen = combo.currentData()  # kept when the standing is read again during the same checkout
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("", None)  # "no category", named in retranslate
        for code in categories:
            combo.addItem(code, code)
        combo.setCurrentIndex(max(0, combo.findData(chosen)) if chosen else 0)
        combo.blockSignals(False)
        for widget in self.wallet_fields:
            widget.setVisible(active)
        for widget in self.category_fields:
            widget.setVisible(bool(categories))
        for widget in (
            self.wallet_pay_caption,
            self.wallet_pay_value,
            self.cashback_caption,
            self.cashback_value,
        ):
            widget.setVisible(active)

    def _load_spend_limit(self) -> None:
        """Enrolled: read what the member may spend here (the grant, the restricted list) on the worker."""
        if self.ctx.sync is None or self._profile is None:
            return
        terminal, member_id = self.ctx.terminal, self._profile.member.id
        self.ctx.tasks.run(lambda: read_spend_limit(terminal, member_id), self.on_spend_limit_loaded)

    def on_spend_limit_loaded(self, limit: SpendLimit) -> None:
        self._limit = limit
        self.retranslate()
        self.spend_limit_loaded.emit(limit)

    def on_sync_status_changed(self, status: SyncStatus) -> None:
        """The server came or went: the cap follows (offline, the grant's allowance is the cap)."""
        if status.online != self._online:
            self._online = status.online
            self.update_preview()

    @property
    def amount_rials(self) -> int:
        return self.amount_edit.rials

    @property
    def programme(self) -> Standing | None:
        """The member's standing when the club has published a rule set (the wallet, campaigns, cashback)."""
        standing = self._standing
        return standing if standing is not None and standing.rules.version else None

    @property
    def _redemption(self) -> RedemptionPolicy | None:
        if self._branch is None:
            return None
        if self.programme is not None:  # what the sale's transaction will use
            return self.programme.rules.branch_rules(self._branch.code).redemption
        return self._branch.redemption

    @property
    def _earning(self) -> EarningRule | None:
        if self._branch is None:
            return None
        if self.programme is not None:
            return self.programme.rules.branch_rules(self._branch.code).earning
        return self._branch.earning

    @property
    def pricing_tier(self) -> Tier | TierRule | None:
        """The tier that prices the sale: the effective one under a rule set (a paid membership's)."""
        return self.programme.tier if self.programme is not None else self._tier

    @property
    def category(self) -> str | None:
        return self.category_combo.currentData() if self.programme is not None else None

    @property
    def wallet_rials(self) -> int:
        """What the cashier typed to pay from the cashback wallet (rials)."""
        return self.wallet_edit.rials if self.programme is not None and not self._earn_only else 0

    @property
    def wallet_available_rials(self) -> int:
        return self.programme.wallet_available_rials if self.programme is not None else 0

    @property
    def wallet_cap(self) -> int:
        """The most the wallet may pay on this sale (rials): the club's share of what is left to pay after
        points, within what is spendable now (the use case's own check)."""
        standing = self.programme
        if standing is None or self._earn_only:
            return 0
        payable = max(0, self.amount_rials - self.discount_rials)
        return min(max_wallet_spend(standing.rules, payable, standing.wallet_available_rials), payable)

    @property
    def wallet_paid_rials(self) -> int:
        """What the wallet pays in the preview (never more than is left to pay)."""
        return min(self.wallet_rials, max(0, self.amount_rials - self.discount_rials))

    def pricing(self) -> Pricing | None:
        """The rule set's price of the sale as typed (points with campaigns, cashback), or None without
        a rule set."""
        standing = self.programme
        if standing is None or self._branch is None:
            return None
        sale = PricedSale(
            self._branch.code,
            standing.tier.code,
            self.amount_rials,
            self.discount_rials + self.wallet_paid_rials,
            self.ctx.terminal.clock.now_us(),
            self.category,
            self._profile.member.id,  # a campaign's holdout: the preview prices as the sale will
        )
        return price_sale(standing.rules, sale)

    @property
    def redeem_points(self) -> int:
        return 0 if self._earn_only else self.points_spin.value()

    @property
    def redeem_cap(self) -> int:
        """What may be spent on this sale: the branch's cap on the balance, within the club's ceiling."""
        cap = self.branch_cap
        ceiling = self.spend_ceiling
        return cap if ceiling is None else min(cap, ceiling)

    @property
    def branch_cap(self) -> int:
        redemption = self._redemption
        if redemption is None or self._profile is None or self._earn_only:
            return 0
        return redemption.max_points(self.amount_rials, self._profile.balance.points)

    @property
    def spend_ceiling(self) -> int | None:
        """The club's limit beyond the branch's rules; None: none (never enrolled, or the server decides)."""
        if self.ctx.sync is None:
            return None  # a terminal that never enrolled is its own authority
        if self._limit is None or self._limit.restricted:
            return 0  # not read yet, or on the restricted list
        server = self._server_available
        if self._override is not None or self._awaiting_manager or self._online is not False:
            return server  # the server is asked first; offline, the manager's word lifts the grant's limit
        offline = self._limit.offline_cap()
        return offline if server is None else min(offline, server)

    @property
    def override_offered(self) -> bool:
        """Whether F8 may bring a manager: offline beyond the grant, or after such a refusal."""
        limit = self._limit
        if self.ctx.sync is None or limit is None or limit.restricted or self._earn_only:
            return False
        if self._override is not None or self._busy or self._recorded:
            return False
        return self._awaiting_manager or (self._online is False and self.branch_cap > limit.offline_cap())

    @property
    def spend_override(self) -> SpendOverride | None:
        return self._override

    @property
    def spend_limit(self) -> SpendLimit | None:
        return self._limit

    @property
    def awaiting_manager(self) -> bool:
        """A sale was refused for the offline limit and waits, as typed, for a manager's override."""
        return self._awaiting_manager

    @property
    def discount_rials(self) -> int:
        """What the points spent take off (the wallet's part is `wallet_paid_rials`)."""
        redemption = self._redemption
        return redemption.discount_for(self.redeem_points) if redemption is not None else 0

    @property
    def points_to_earn(self) -> int:
        priced = self._priced()
        if priced is not None:
            return priced.points
        if self._branch is None or self._tier is None:
            return 0
        paid = self.amount_rials - self.discount_rials
        return self._branch.earning.points_for(paid, self._tier.multiplier_percent)

    # ---------------------------------------------------------------- events

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def on_language_changed(self, _lang: str) -> None:
        self.retranslate()  # digits and names follow the language even before a translator loads

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.amount_edit.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.on_confirm()
        elif event.key() == Qt.Key.Key_Escape:
            self.on_cancel()
        elif event.key() == Qt.Key.Key_F8:
            self.on_override_clicked()
        elif event.key() == Qt.Key.Key_F3:
            self.focus_wallet()
        elif event.key() == Qt.Key.Key_F4:
            self.next_category()
        else:
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if (
            watched is self.category_combo
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_F4
        ):
            self.next_category()
            return True
        return super().eventFilter(watched, event)

    def focus_wallet(self) -> None:
        """F3: to the wallet field, its amount selected (typing replaces it)."""
        if self.wallet_edit.isVisible() and self.wallet_edit.isEnabled():
            self.wallet_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.wallet_edit.selectAll()

    def next_category(self) -> None:
        """F4: to the category field; pressed again there, the next category (after the last: none)."""
        combo = self.category_combo
        if not combo.isVisible() or not combo.isEnabled():
            return
        if self.focusWidget() is combo:
            combo.setCurrentIndex((combo.currentIndex() + 1) % combo.count())
        else:
            combo.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def on_override_clicked(self) -> None:
        if self.override_offered:
            self.override_requested.emit()

    def apply_override(self, override: SpendOverride) -> None:
        """The manager approved (PIN and reason checked): a refused sale is recorded now; before one, the
        cap is lifted to the branch's and the cashier records it."""
        self._override = override
        waiting, self._awaiting_manager = self._awaiting_manager, False
        self.refusal_banner.clear()
        self._set_busy(False)
        if waiting:
            self.on_confirm()

    def on_override_declined(self) -> None:
        """The manager's dialog was cancelled: the sale may be changed again, within the offline cap."""
        self._awaiting_manager = False
        self._set_busy(False)

    def on_points_changed(self, value: int) -> None:
        self.points_slider.setValue(value)
        self.update_preview()

    def on_confirm(self) -> None:
        if self._busy or self._recorded or self._profile is None:
            return  # a second Enter while the first is being recorded does nothing
        if self.amount_rials <= 0:
            self._show_refusal(self.tr("Type the sale amount first."))
            return
        if self._awaiting_manager:
            self.on_override_clicked()  # Enter again on a refused sale: the manager, not a second refusal
            return
        request = SaleRequest(
            member_id=self._profile.member.id,
            amount_rials=self.amount_rials,
            redeem_points=self.redeem_points,
            staff=self.ctx.session.staff,
            entry_id=self._entry_id,
            override=self._override,
            wallet_rials=self.wallet_rials,
            category=self.category,
        )
        terminal = self.ctx.terminal
        # enrolled: the server is asked first (on the worker, 2 s / 4 s at most); unreachable, the grant
        sync = self.ctx.sync  # its client is asked for on the worker: it may still be being built
        self._set_busy(True)
        self.ctx.tasks.run(
            lambda: record_sale(terminal, request, sync.client if sync is not None else None),
            self.on_recorded,
            self.on_refused,
        )

    def on_cancel(self) -> None:
        if not self._busy:  # a sale being written is finished, not abandoned half-way
            self.cancelled.emit()

    def on_recorded(self, result: SaleResult) -> None:
        self._recorded = True
        self._set_busy(False)
        self.sale_recorded.emit(result)

    def on_refused(self, error: BaseException) -> None:
        code = error.code if isinstance(error, ClubError) else "error"
        self._note_refusal(error, code)
        self._set_busy(False)
        text = club_error_text(error, self.ctx.session.lang)
        if self._awaiting_manager:
            text += " " + self.tr("Manager override: F8.")
        self._show_refusal(text)
        self.refused.emit(code)

    def _note_refusal(self, error: BaseException, code: str) -> None:
        """What a refusal teaches about what may be spent; the sync worker is told to look at the server."""
        if code in OVERRIDABLE or code == "restricted_member":
            overridable = code in OVERRIDABLE and self._limit is not None and not self._limit.restricted
            self._awaiting_manager = overridable and self._override is None
            if self.ctx.sync is not None:
                self.ctx.sync.wake()  # the server did not answer: let the status bar say so soon
            self._load_spend_limit()
        elif code == "server_refused_spend" and isinstance(error, ClubError):
            self._server_available = int(error.params.get("available", 0))
        elif code == "wallet_over_cap":
            self._load_standing()  # what is spendable may have changed since the checkout started

    # ---------------------------------------------------------------- showing

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        frozen = busy or self._awaiting_manager  # the sale a manager approves is the sale recorded
        self.amount_edit.setReadOnly(frozen)
        self.points_spin.setReadOnly(frozen)
        self.wallet_edit.setReadOnly(frozen)
        self.category_combo.setEnabled(not frozen)
        self.retranslate()

    def _show_refusal(self, text: str) -> None:
        self.refusal_banner.show_message(directed(text, self.ctx.session.lang), "", BannerKind.ERROR)

    def retranslate(self) -> None:
        lang = self.ctx.session.lang
        captions = {
            self.amount_caption: self.tr("Sale amount (Toman)"),
            self.redeem_caption: self.tr("Points to spend as a discount"),
            self.earn_caption: self.tr("Points to earn"),
            self.discount_caption: self.tr("Discount"),
            self.pay_caption: self.tr("To pay"),
            self.after_caption: self.tr("Balance after"),
            self.wallet_caption: self.tr("Pay from the cashback wallet, Toman (F3)"),
            self.category_caption: self.tr("Product category (F4)"),
            self.wallet_pay_caption: self.tr("From the wallet"),
            self.cashback_caption: self.tr("Cashback"),
        }
        for label, text in captions.items():
            label.setText(directed(text, lang))
        self.amount_edit.setPlaceholderText(number(0, lang))
        self.wallet_edit.setPlaceholderText(number(0, lang))
        self.wallet_edit.refresh()
        combo = self.category_combo
        for index in range(combo.count()):
            code = combo.itemData(index)
            combo.setItemText(index, self.words.category_name(code) if code else self.tr("No category"))
        self.confirm_button.setText(self.tr("Recording…") if self._busy else self.tr("Record sale (Enter)"))
        self.cancel_button.setText(self.tr("Cancel (Esc)"))
        self.override_button.setText(self.tr("Manager override (F8)"))
        self.amount_edit.refresh()
        self.points_spin.refresh()
        self._show_member()
        self.update_preview()

    def _show_member(self) -> None:
        tier_rule = self.pricing_tier
        if self._profile is None or tier_rule is None:
            return
        lang = self.ctx.session.lang
        tier = tier_rule.name_fa if lang == "fa" else tier_rule.name_en
        name = name_isolated(self._profile.member.name)
        standing = self.programme
        privileges = self.words.all_privileges(standing.tier, lang) if standing is not None else ""
        self.privilege_label.setText(directed(privileges, lang) if privileges else "")
        self.privilege_label.setVisible(bool(privileges))
        self.member_label.setText(directed(self.tr("{name} — {tier}").format(name=name, tier=tier), lang))
        self.balance_label.setText(
            directed(
                self.tr("Balance: {points}").format(points=points_text(self._profile.balance.points, lang)),
                lang,
            )
        )

    def update_preview(self) -> None:
        """Recompute the cap, the discount, what is paid and the points earned, as the cashier types."""
        lang = self.ctx.session.lang
        cap = min(self.redeem_cap, MAX_SPIN)
        if not self._awaiting_manager:  # never clamp the points of a sale waiting for the manager
            for widget in (self.points_spin, self.points_slider):
                widget.setMaximum(cap)  # clamps the value: a smaller amount lowers what may be spent
        for widget in (self.points_spin, self.points_slider):
            widget.setEnabled(cap > 0 and not self._earn_only and not self._awaiting_manager)
        self._show_earn_only()
        self._show_spend_limit()
        self.override_button.setVisible(self.override_offered)
        self.cap_label.setVisible(not self._earn_only)
        balance = self._profile.balance.points if self._profile else 0
        priced = self._priced()
        earned = priced.points if priced is not None else self.points_to_earn
        values = {
            self.earn_value: number(earned, lang),
            self.discount_value: toman_text(self.discount_rials, lang),
            self.pay_value: toman_text(
                self.amount_rials - self.discount_rials - self.wallet_paid_rials, lang
            ),
            self.after_value: points_text(balance - self.redeem_points + earned, lang),
            self.cap_label: self._cap_text(cap),
            self.rule_label: self._rule_text(),
        }
        for label, text in values.items():
            label.setText(directed(text, lang))
        self._show_programme(priced)
        self.confirm_button.setEnabled(self.amount_rials > 0 and not self._busy and not self._recorded)

    def _priced(self) -> Pricing | None:
        try:
            return self.pricing()
        except ClubError:  # points beyond the amount of a sale waiting for the manager: no preview
            return None

    def _show_programme(self, priced: Pricing | None) -> None:
        """The wallet's cap and what it pays, the cashback, the campaigns that apply and those running."""
        standing, lang = self.programme, self.ctx.session.lang
        if standing is None:
            self.campaigns_label.hide()
            self.campaigns_hint.hide()
            return
        frozen = self._busy or self._awaiting_manager or self._recorded
        self.wallet_edit.setEnabled(
            not self._earn_only and (self.wallet_available_rials > 0 or self.wallet_rials > 0)
        )
        self.wallet_edit.setReadOnly(frozen)
        over = self.wallet_rials > self.wallet_cap
        self.wallet_cap_label.setStyleSheet("color: #C62828; font-weight: bold;" if over else "")
        self.wallet_cap_label.setText(directed(self._wallet_cap_text(standing), lang))
        self.wallet_pay_value.setText(directed(toman_text(self.wallet_paid_rials, lang), lang))
        cashback = priced.cashback_rials if priced is not None else 0
        cashback_text = signed_toman_text(cashback, lang) if cashback else toman_text(0, lang)
        if cashback and standing.rules.cashback.from_next_day:
            cashback_text = self.tr("{amount}, spendable from tomorrow").format(amount=cashback_text)
        self.cashback_value.setText(directed(cashback_text, lang))
        applied = [c for c in standing.rules.campaigns if priced is not None and c.code in priced.campaigns]
        names = self.words.campaign_names(applied, lang)
        self.campaigns_label.setText(
            directed(self.tr("Campaigns: {campaigns}").format(campaigns=names), lang) if names else ""
        )
        self.campaigns_label.setVisible(bool(names))
        running = self.words.campaign_names((c for c in standing.campaigns if c not in applied), lang)
        self.campaigns_hint.setText(
            directed(self.tr("Running now: {campaigns}").format(campaigns=running), lang) if running else ""
        )
        self.campaigns_hint.setVisible(bool(running) and self.category_combo.isVisibleTo(self))

    def _wallet_cap_text(self, standing: Standing) -> str:
        lang = self.ctx.session.lang
        available = standing.wallet_available_rials
        pending = standing.wallet_rials - available
        if self._earn_only:
            return self.tr("The wallet cannot be spent with this card now.")
        if available <= 0:
            text = self.tr("Nothing in the wallet can be spent today.")
        else:
            text = self.tr(
                "At most {amount} from the wallet on this sale: up to {percent} of what is left to pay, "
                "and no more than is spendable now ({available})."
            ).format(
                amount=toman_text(self.wallet_cap, lang),
                percent=percent_text(standing.rules.cashback.max_share_percent, lang),
                available=toman_text(available, lang),
            )
        if pending > 0:
            text += " " + self.tr("{amount} more from tomorrow.").format(amount=toman_text(pending, lang))
        return text

    def _show_earn_only(self) -> None:
        if not self._earn_only:
            self.earn_only_banner.clear()
            return
        note = self.tr(
            "Earning only: this card cannot spend points until the terminal has an up-to-date list "
            "of revoked cards."
        )
        self.earn_only_banner.show_message(directed(note, self.ctx.session.lang), "", BannerKind.WARNING)

    def _show_spend_limit(self) -> None:
        """Enrolled: why the cap is what it is — restricted, offline, the clock, a manager's override."""
        shown = self._spend_limit_message()
        if shown is None:
            self.spend_banner.clear()
            return
        kind, title, detail = shown
        lang = self.ctx.session.lang
        self.spend_banner.show_message(directed(title, lang), directed(detail, lang), kind)

    def _spend_limit_message(self) -> tuple[BannerKind, str, str] | None:
        limit = self._limit
        if self.ctx.sync is None or limit is None or self._earn_only:
            return None
        lang = self.ctx.session.lang
        if limit.restricted:
            return (
                BannerKind.ERROR,
                self.tr("Restricted member: no points can be spent"),
                self.tr("The club has put this member on its restricted list; a manager cannot override it."),
            )
        if self._override is not None:
            return (
                BannerKind.INFO,
                self.tr("Manager override by {name}").format(name=name_isolated(self._override.manager.name)),
                self.tr("Reason: {reason}").format(reason=name_isolated(self._override.reason)),
            )
        if self._online is not False:
            return None
        if limit.clock_behind:
            return (
                BannerKind.WARNING,
                self.tr("Offline: no points can be spent without a manager"),
                self.tr("This terminal's clock is behind the club server's. Manager override: F8."),
            )
        return (
            BannerKind.WARNING,
            self.tr("Offline: at most {points} can be spent").format(
                points=points_text(limit.offline_allowance, lang)
            ),
            self.tr(
                "The club server cannot be reached; this is what the member's offline grant allows. "
                "Manager override: F8."
            ),
        )

    def _cap_text(self, cap: int) -> str:
        redemption = self._redemption
        if redemption is None:
            return ""
        lang = self.ctx.session.lang
        return self.tr(
            "At most {points} on this sale ({discount} off): up to {percent}% of the amount, "
            "and no more than the member holds. One point is {value}."
        ).format(
            points=points_text(cap, lang),
            discount=toman_text(redemption.discount_for(cap), lang),
            percent=number(redemption.max_share_percent, lang),
            value=toman_text(redemption.rials_per_point, lang),
        )

    def _rule_text(self) -> str:
        rule, tier = self._earning, self.pricing_tier
        if rule is None or tier is None:
            return ""
        lang = self.ctx.session.lang
        parts = [
            self.tr("Points for each {amount} paid: {points}; {tier} members earn {percent}%.").format(
                points=number(rule.points_per_unit, lang),
                amount=toman_text(rule.rials_per_unit, lang),
                tier=tier.name_fa if lang == "fa" else tier.name_en,
                percent=number(tier.multiplier_percent, lang),
            )
        ]
        if rule.min_sale_rials:
            parts.append(
                self.tr("No points under {amount}.").format(amount=toman_text(rule.min_sale_rials, lang))
            )
        if rule.max_points_per_sale is not None:
            parts.append(
                self.tr("At most {points} a sale.").format(points=points_text(rule.max_points_per_sale, lang))
            )
        return " ".join(parts)


def make_font(point_size: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSize(point_size)
    font.setBold(bold)
    return font


def make_label(point_size: int, bold: bool = False, wrap: bool = False) -> QLabel:
    label = QLabel()
    label.setFont(make_font(point_size, bold))
    label.setWordWrap(wrap)
    return label


def action_button(slot: Callable[[], None], primary: bool = False) -> QPushButton:
    """A touch-sized button out of the focus chain (Enter and Esc belong to the view), wired to slot."""
    button = touch_button(primary=primary)
    button.setMinimumWidth(160)
    button.clicked.connect(slot)
    return button
