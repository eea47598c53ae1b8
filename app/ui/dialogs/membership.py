# SPDX-License-Identifier: GPL-3.0-or-later
"""Buying a paid membership card at the counter (F3 on the member screen).

The plans on sale with their price, term and the tier each holds the member in; points towards the card
in whole steps, up to what the member may use (app.domain.membership.max_points); the price recomputed as
the cashier types, with the domain's own arithmetic (`membership.price`, what `buy_membership` charges).
Buy runs `buy_membership` on the worker with the dialog's request id; the answer shows the new valid-until
date (Jalali in Persian) and the new balance. Buying the running plan again renews it from the end of the
running term, and says so before and after.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QGridLayout,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain import membership
from app.domain.errors import ClubError
from app.domain.membership import PlanPrice
from app.domain.ports import SpendAuthoriser
from app.domain.programme import MembershipPlan, TierRule
from app.format import date_text, listed, local_datetime, multiplier_text, number, points_text, toman_text
from app.services.identify import MemberProfile
from app.services.membership import MembershipResult, buy_membership
from app.services.spending import SpendOverride
from app.ui.context import UiContext
from app.ui.dialogs.programme import (
    MembershipOffer,
    SpendingDialog,
    load_membership_offer,
    percent_bp_text,
)
from app.ui.views.checkout import PointsSpinBox, directed, make_label, name_isolated
from app.ui.widgets.programme_panel import bilingual

PLAN_CODE_ROLE = Qt.ItemDataRole.UserRole


class MembershipDialog(SpendingDialog):
    """Choose a card, points towards it, see the price; Enter buys (see the module's notes)."""

    membership_bought = Signal(object)  # MembershipResult

    CARD, PRICE, TERM, TIER = range(4)  # the plan list's columns

    def __init__(
        self,
        ctx: UiContext,
        profile: MemberProfile,
        *,
        earn_only: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, profile, earn_only, parent)
        self.offer: MembershipOffer | None = None
        self.result: MembershipResult | None = None
        self._renewal = False  # whether the purchase made was a renewal (its message says so)
        self._build()
        self.retranslate()
        self._set_loaded_state()
        self.plan_list.setFocus()
        terminal, member_id = ctx.terminal, profile.member.id
        ctx.tasks.run(
            lambda: load_membership_offer(terminal, member_id), self.on_offer_loaded, self._loading_failed
        )

    # ---------------------------------------------------------------- building

    def _build(self) -> None:
        self.plan_list = QTreeWidget()
        self.plan_list.setRootIsDecorated(False)
        self.plan_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.plan_list.setUniformRowHeights(True)
        self.plan_list.setMinimumHeight(110)
        self.plan_list.currentItemChanged.connect(lambda *_items: self.on_plan_changed())
        self.benefits_label = make_label(12, wrap=True)
        self.benefits_label.setStyleSheet("color: #555;")
        self.points_caption = QLabel()
        self.points_spin = PointsSpinBox(lambda: self.ctx.session.lang)
        self.points_spin.setRange(0, 0)
        self.points_spin.valueChanged.connect(lambda _value: self.update_price())
        self.cap_label = make_label(12, wrap=True)
        self.cap_label.setStyleSheet("color: #555;")
        points_row = QWidget()
        form = QFormLayout(points_row)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.points_caption, self.points_spin)
        form.addRow(self.cap_label)
        self.list_caption, self.list_value = make_label(14), make_label(14)
        self.discount_caption, self.discount_value = make_label(14), make_label(14)
        self.pay_caption, self.pay_value = make_label(14), make_label(20, bold=True)
        price = QFrame()
        price.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(price)
        for row, (caption, value) in enumerate(
            [
                (self.list_caption, self.list_value),
                (self.discount_caption, self.discount_value),
                (self.pay_caption, self.pay_value),
            ]
        ):
            grid.addWidget(caption, row, 0)
            grid.addWidget(value, row, 1)
        grid.setColumnStretch(1, 1)
        self.term_label = make_label(14, bold=True, wrap=True)
        layout = QVBoxLayout(self)
        for widget in (
            self.intro_label, self.plan_list, self.benefits_label, points_row, price, self.term_label,
            self.message_label, self.buttons,
        ):  # fmt: skip
            layout.addWidget(widget)
        QWidget.setTabOrder(self.plan_list, self.points_spin)

    # ---------------------------------------------------------------- the contract

    def inputs(self) -> list[QWidget]:
        return [self.plan_list, self.points_spin]

    def points_to_spend(self) -> int:
        return self.points_spin.value()

    def override_hint(self) -> str:
        return self.tr("Manager override: F8.")

    @property
    def selected_plan(self) -> MembershipPlan | None:
        item = self.plan_list.currentItem()
        if item is None or self.offer is None:
            return None
        return self.offer.plan(item.data(0, PLAN_CODE_ROLE))

    def select_plan(self, code: str) -> bool:
        for index in range(self.plan_list.topLevelItemCount()):
            item = self.plan_list.topLevelItem(index)
            if item.data(0, PLAN_CODE_ROLE) == code:
                self.plan_list.setCurrentItem(item)
                return True
        return False

    @property
    def max_points(self) -> int:
        """What may go towards the chosen card: whole steps, within its cap and the balance."""
        plan = self.selected_plan
        if plan is None or self.earn_only:
            return 0
        return membership.max_points(plan, self._balance)

    def price(self) -> PlanPrice | ClubError | None:
        """The chosen card's price with the points typed, or why those points cannot go towards it."""
        plan = self.selected_plan
        if plan is None:
            return None
        try:
            return membership.price(plan, self.points_spin.value(), self._balance)
        except ClubError as refusal:
            return refusal

    # ---------------------------------------------------------------- loading and choosing

    def on_offer_loaded(self, offer: MembershipOffer) -> None:
        if not shiboken6.isValid(self):  # closed before the plans came back
            return
        self.offer = offer
        self._balance = offer.balance_points
        self._fill_plans()
        running = offer.running.plan_code if offer.running is not None else None
        if not (running and self.select_plan(running)) and self.plan_list.topLevelItemCount():
            self.plan_list.setCurrentItem(self.plan_list.topLevelItem(0))
        self._set_loaded_state()
        self.retranslate()
        self.plan_list.setFocus()

    def _set_loaded_state(self) -> None:
        if self.offer is not None and self.offer.plans:
            self._set_loaded()
        else:
            self._refresh_state()

    def on_plan_changed(self) -> None:
        plan = self.selected_plan
        self.points_spin.setSingleStep(plan.points_step if plan is not None else 1)
        self.points_spin.setMaximum(self.max_points)  # clamps what was typed for another card
        if self.message and not self._done:
            self._clear_message()  # a refusal was about the other card
        self._refresh_texts()  # not the list itself: its items are in the middle of this signal

    def submit(self) -> None:
        plan, price = self.selected_plan, self.price()
        if plan is None or price is None:
            self._show(lambda: (self.tr("Choose a membership card."), False))
            return
        if isinstance(price, ClubError):
            self.show_refusal(price)
            return
        self._renewal = self.offer is not None and self.offer.renews(plan, self.ctx.terminal.clock.now_us())
        terminal, member_id, code = self.ctx.terminal, self.profile.member.id, plan.code
        points, staff, request_id = price.points_used, self.ctx.session.staff, self._request_id

        def buy(override: SpendOverride | None, authoriser: SpendAuthoriser | None) -> MembershipResult:
            return buy_membership(
                terminal, member_id, code, points=points, staff=staff, request_id=request_id,
                override=override, authoriser=authoriser,
            )  # fmt: skip

        self._spend(buy, self.on_bought)

    def on_bought(self, result: MembershipResult) -> None:
        self.result = result
        self._balance = result.points_balance
        self._show(self._bought_message)
        self.membership_bought.emit(result)

    def _bought_message(self) -> tuple[str, bool]:
        result, lang = self.result, self.ctx.session.lang
        if result is None:
            return "", True
        plan = self.offer.plan(result.price.plan_code) if self.offer is not None else None
        name = self.plan_name(plan) if plan is not None else result.price.plan_code
        until = self.date(result.term.ends_us)
        first = (
            self.tr("{card} renewed: it now runs until {date}.")
            if self._renewal
            else self.tr("{card} bought: valid until {date}.")
        ).format(card=name_isolated(name), date=until)
        then = self.tr("Paid {amount}. New balance: {points}.").format(
            amount=toman_text(result.price.pay_rials, lang), points=points_text(result.points_balance, lang)
        )
        return f"{first} {then}", True

    # ---------------------------------------------------------------- showing

    def date(self, at_us: int) -> str:
        return date_text(local_datetime(at_us).date(), self.ctx.session.lang)

    def plan_name(self, plan: MembershipPlan) -> str:
        return plan.name_fa if self.ctx.session.lang == "fa" else plan.name_en

    def tier_name(self, tier: TierRule) -> str:
        return tier.name_fa if self.ctx.session.lang == "fa" else tier.name_en

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Membership card"))
        self.plan_list.setHeaderLabels([self.tr("Card"), self.tr("Price"), self.tr("Term"), self.tr("Tier")])
        self._fill_plans()
        self._refresh_texts()

    def _refresh_texts(self) -> None:
        """Everything on screen but the plan list, in the session's language."""
        lang = self.ctx.session.lang
        self.intro_label.setText(directed(self._intro_text(), lang))
        self.points_caption.setText(self.tr("Points towards it"))
        self.list_caption.setText(self.tr("List price"))
        self.discount_caption.setText(self.tr("Points discount"))
        self.pay_caption.setText(self.tr("To pay"))
        self.points_spin.refresh()
        self.update_price()
        self.ok_button.setText(self.tr("Close (Enter)") if self._done else self.tr("Buy (Enter)"))
        self.cancel_button.setText(self.tr("Cancel (Esc)"))
        self.override_button.setText(self.tr("Manager override (F8)"))
        self._paint_message()

    def _intro_text(self) -> str:
        lang, name = self.ctx.session.lang, name_isolated(self.profile.member.name)
        if self.offer is not None and not self.offer.plans:
            return self.tr("The club sells no membership cards.")
        text = self.tr("{name} holds {points}.").format(name=name, points=points_text(self._balance, lang))
        if self.offer is None:
            return text
        running = self.offer.running
        plan = self.offer.plan(running.plan_code) if running is not None else None
        if running is not None and not self._done:
            card = self.plan_name(plan) if plan is not None else running.plan_code
            text += " " + self.tr("Their {card} runs until {date}.").format(
                card=name_isolated(card), date=self.date(running.ends_us)
            )
        elif running is None:
            text += " " + self.tr("No membership card runs now.")
        return text

    def _fill_plans(self) -> None:
        if self.offer is None:
            return
        lang, selected = self.ctx.session.lang, self.plan_list.currentItem()
        code = selected.data(0, PLAN_CODE_ROLE) if selected is not None else None
        self.plan_list.blockSignals(True)
        self.plan_list.clear()
        for plan in self.offer.plans:
            tier = self.offer.tier(plan.tier_code)
            item = QTreeWidgetItem(
                [
                    self.plan_name(plan),
                    toman_text(plan.price_rials, lang),
                    self.tr("{days} days").format(days=number(plan.duration_days, lang)),
                    self.tier_name(tier) if tier is not None else "",
                ]
            )
            item.setData(0, PLAN_CODE_ROLE, plan.code)
            self.plan_list.addTopLevelItem(item)
        for column in range(self.plan_list.columnCount()):
            self.plan_list.resizeColumnToContents(column)
        if code is not None:
            self.select_plan(code)
        self.plan_list.blockSignals(False)

    def update_price(self) -> None:
        """The price, the discount, what is paid, the cap and the term, as the cashier types."""
        lang, plan, price = self.ctx.session.lang, self.selected_plan, self.price()
        self.benefits_label.setText(directed(self._benefits_text(plan), lang) if plan else "")
        self.cap_label.setText(directed(self._cap_text(plan), lang) if plan else "")
        if isinstance(price, PlanPrice):
            values = (price.list_rials, price.discount_rials, price.pay_rials)
            texts = [toman_text(rials, lang) for rials in values]
        else:
            texts = [toman_text(plan.price_rials, lang) if plan else "", "—", "—"]
        for label, text in zip((self.list_value, self.discount_value, self.pay_value), texts, strict=True):
            label.setText(directed(text, lang))
        self.term_label.setText(directed(self._term_text(plan), lang) if plan and not self._done else "")

    def _benefits_text(self, plan: MembershipPlan) -> str:
        lang = self.ctx.session.lang
        tier = self.offer.tier(plan.tier_code) if self.offer is not None else None
        perks: list[str] = []
        if tier is not None:
            if tier.multiplier_percent != 100:
                multiplier = multiplier_text(tier.multiplier_percent, lang)
                perks.append(self.tr("{multiplier} points").format(multiplier=multiplier))
            if tier.discount_percent:
                perks.append(self.tr("{percent}% off").format(percent=number(tier.discount_percent, lang)))
            if tier.cashback_bp:
                perks.append(
                    self.tr("{percent}% cashback").format(percent=percent_bp_text(tier.cashback_bp, lang))
                )
            perks.extend(bilingual(service, lang) for service in tier.free_services)
        perks.extend(bilingual(benefit, lang) for benefit in plan.benefits)
        joined = listed(perks, lang)
        if tier is None:
            return joined
        return self.tr("While it runs, the member counts as {tier}: {perks}.").format(
            tier=self.tier_name(tier), perks=joined
        )

    def _cap_text(self, plan: MembershipPlan) -> str:
        lang = self.ctx.session.lang
        if self.earn_only:
            return self.tr(
                "This card can only earn points: none go towards a membership until the terminal has an "
                "up-to-date list of revoked cards."
            )
        return self.tr("Up to {points}: each {step} take {percent}% off, at most {most}% off.").format(
            points=points_text(self.max_points, lang),
            step=points_text(plan.points_step, lang),
            percent=number(plan.percent_per_step, lang),
            most=number(plan.max_discount_percent, lang),
        )

    def _term_text(self, plan: MembershipPlan) -> str:
        if self.offer is None:
            return ""
        now = self.ctx.terminal.clock.now_us()
        until = self.date(self.offer.ends_us(plan, now))
        if self.offer.renews(plan, now):
            return self.tr("Renews the running card until {date}.").format(date=until)
        running = self.offer.running
        if running is not None and running.plan_code != plan.code:
            other = self.offer.plan(running.plan_code)
            return self.tr("Replaces the running {card}; valid until {date}.").format(
                card=name_isolated(self.plan_name(other) if other else running.plan_code), date=until
            )
        return self.tr("Valid until {date}.").format(date=until)
