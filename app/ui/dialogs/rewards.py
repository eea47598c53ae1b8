# SPDX-License-Identifier: GPL-3.0-or-later
"""The rewards catalogue at the counter (F4 on the member screen): what this branch can give, for how
many points, and how many are left here.

Everything the branch offers is listed; what cannot be given now (out of stock here, more points than
the member holds, a card that may only earn) is shown disabled with why. Enter gives the chosen reward:
`redeem_reward` on the worker with the dialog's request id; the answer shows the new balance, and the
list the stock left (the store's count, from the redemption's own transaction).
"""

from __future__ import annotations

from dataclasses import replace

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.domain.ports import SpendAuthoriser
from app.domain.programme import Reward, RewardKind
from app.format import number, points_text
from app.services.identify import MemberProfile
from app.services.rewards import CatalogueItem, RewardResult, redeem_reward
from app.services.spending import SpendOverride
from app.ui.context import UiContext
from app.ui.dialogs.programme import SpendingDialog, load_catalogue
from app.ui.views.checkout import directed, name_isolated

REWARD_CODE_ROLE = Qt.ItemDataRole.UserRole


class RewardsDialog(SpendingDialog):
    """Choose a reward; Enter gives it for the member's points (see the module's notes)."""

    reward_redeemed = Signal(object)  # RewardResult

    REWARD, KIND, POINTS, LEFT, NOTE = range(5)  # the list's columns

    def __init__(
        self,
        ctx: UiContext,
        profile: MemberProfile,
        *,
        earn_only: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(ctx, profile, earn_only, parent)
        self.items: list[CatalogueItem] | None = None  # read on the worker when the dialog opens
        self.result: RewardResult | None = None
        self.reward_list = QTreeWidget()
        self.reward_list.setRootIsDecorated(False)
        self.reward_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.reward_list.setUniformRowHeights(True)
        self.reward_list.setMinimumHeight(180)
        self.reward_list.currentItemChanged.connect(lambda *_items: self._on_reward_changed())
        layout = QVBoxLayout(self)
        for widget in (self.intro_label, self.reward_list, self.message_label, self.buttons):
            layout.addWidget(widget)
        self.retranslate()
        self._refresh_state()
        terminal, member_id = ctx.terminal, profile.member.id
        ctx.tasks.run(
            lambda: load_catalogue(terminal, member_id), self.on_catalogue_loaded, self._loading_failed
        )

    # ---------------------------------------------------------------- the contract

    def inputs(self) -> list[QWidget]:
        return [self.reward_list]

    def points_to_spend(self) -> int:
        reward = self.selected_reward
        return reward.points if reward is not None else 0

    def override_hint(self) -> str:
        return self.tr("Manager override: F8.")

    @property
    def selected_reward(self) -> Reward | None:
        item = self.reward_list.currentItem()
        if item is None or item.isDisabled() or not item.isSelected():
            return None
        code = item.data(0, REWARD_CODE_ROLE)
        return next((i.reward for i in self.items or [] if i.reward.code == code), None)

    def select_reward(self, code: str) -> bool:
        """Choose a reward by code; False when it is not listed or cannot be given now."""
        item = self.item_of(code)
        if item is None or item.isDisabled():
            return False
        self.reward_list.setCurrentItem(item)
        return True

    def item_of(self, code: str) -> QTreeWidgetItem | None:
        for index in range(self.reward_list.topLevelItemCount()):
            item = self.reward_list.topLevelItem(index)
            if item.data(0, REWARD_CODE_ROLE) == code:
                return item
        return None

    def why_not(self, item: CatalogueItem) -> str | None:
        """Why the reward cannot be given now; None when it can."""
        if item.stock_left <= 0:
            return self.tr("Out of stock here")
        if self.earn_only:
            return self.tr("This card can only earn points")
        if item.reward.points > self._balance:
            return self.tr("{points} short").format(
                points=points_text(item.reward.points - self._balance, self.ctx.session.lang)
            )
        return None

    # ---------------------------------------------------------------- loading and giving

    def on_catalogue_loaded(self, loaded: tuple[list[CatalogueItem], int]) -> None:
        if not shiboken6.isValid(self):  # closed before the catalogue came back
            return
        self.items, self._balance = loaded
        self._set_loaded()
        self.retranslate()
        first = next((i for i in self.items if self.why_not(i) is None), None)
        if first is not None:
            self.select_reward(first.reward.code)
        self.reward_list.setFocus()

    def _on_reward_changed(self) -> None:
        if self.message and not self._done and not self.awaiting_manager:
            self._clear_message()  # a refusal was about another reward

    def submit(self) -> None:
        reward = self.selected_reward
        if reward is None:
            self._show(lambda: (self.tr("Choose a reward that can be given."), False))
            return
        terminal, member_id, code = self.ctx.terminal, self.profile.member.id, reward.code
        staff, request_id = self.ctx.session.staff, self._request_id

        def redeem(override: SpendOverride | None, authoriser: SpendAuthoriser | None) -> RewardResult:
            return redeem_reward(
                terminal, member_id, code, staff=staff, request_id=request_id, override=override,
                authoriser=authoriser,
            )  # fmt: skip

        self._spend(redeem, self.on_redeemed)

    def on_redeemed(self, result: RewardResult) -> None:
        self.result = result
        self._balance = result.points_balance
        if self.items is not None:  # the stock left is the store's, counted in the same transaction
            self.items = [
                replace(i, stock_left=result.stock_left) if i.reward.code == result.reward.code else i
                for i in self.items
            ]
        self._show(self._redeemed_message)
        self.reward_redeemed.emit(result)

    def _redeemed_message(self) -> tuple[str, bool]:
        result, lang = self.result, self.ctx.session.lang
        if result is None:
            return "", True
        text = self.tr("{reward} given. New balance: {points}. Left here: {left}.").format(
            reward=name_isolated(self.reward_name(result.reward)),
            points=points_text(result.points_balance, lang),
            left=number(result.stock_left, lang),
        )
        return text, True

    # ---------------------------------------------------------------- showing

    def reward_name(self, reward: Reward) -> str:
        return reward.name_fa if self.ctx.session.lang == "fa" else reward.name_en

    def kind_text(self, kind: RewardKind) -> str:
        return {RewardKind.GIFT: self.tr("Gift"), RewardKind.SERVICE: self.tr("Service")}.get(kind, str(kind))

    def retranslate(self) -> None:
        lang = self.ctx.session.lang
        self.setWindowTitle(self.tr("Rewards"))
        name = name_isolated(self.profile.member.name)
        intro = self.tr("{name} holds {points}. Choose a reward; its points are spent when it is given.")
        if self.items is not None and not self.items:
            intro = self.tr("{name} holds {points}. This branch has no rewards to give.")
        self.intro_label.setText(
            directed(intro.format(name=name, points=points_text(self._balance, lang)), lang)
        )
        self.reward_list.setHeaderLabels(
            [self.tr("Reward"), self.tr("Kind"), self.tr("Points"), self.tr("Left here"), self.tr("Note")]
        )
        self._fill_rewards()
        self.ok_button.setText(self.tr("Close (Enter)") if self._done else self.tr("Give (Enter)"))
        self.cancel_button.setText(self.tr("Cancel (Esc)"))
        self.override_button.setText(self.tr("Manager override (F8)"))
        self._paint_message()

    def _fill_rewards(self) -> None:
        if self.items is None:
            return
        lang, current = self.ctx.session.lang, self.reward_list.currentItem()
        code = current.data(0, REWARD_CODE_ROLE) if current is not None else None
        self.reward_list.blockSignals(True)
        self.reward_list.clear()
        for catalogue_item in self.items:
            reward, why = catalogue_item.reward, self.why_not(catalogue_item)
            item = QTreeWidgetItem(
                [
                    self.reward_name(reward),
                    self.kind_text(reward.kind),
                    points_text(reward.points, lang),
                    number(catalogue_item.stock_left, lang),
                    why or "",
                ]
            )
            item.setData(0, REWARD_CODE_ROLE, reward.code)
            item.setDisabled(why is not None)  # shown, with why, but it cannot be chosen
            self.reward_list.addTopLevelItem(item)
        for column in range(self.reward_list.columnCount()):
            self.reward_list.resizeColumnToContents(column)
        if code is not None:
            item = self.item_of(code)
            if item is not None:
                self.reward_list.setCurrentItem(item)
        self.reward_list.blockSignals(False)
