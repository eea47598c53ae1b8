# SPDX-License-Identifier: GPL-3.0-or-later
"""The club programme at the counter (issue 7): what the membership and rewards dialogs share, what they
read on the worker, and a manager's brand-ambassador grant.

- `SpendingDialog` is the frame of the two dialogs that spend a member's points (a membership card bought
  down with points: app.ui.dialogs.membership; a reward: app.ui.dialogs.rewards). One request id is made
  when the dialog opens and sent with every try, so a second Enter (or a retry after a refusal) can never
  write twice; Enter confirms, Esc cancels (not while something is being written), after a success Enter
  closes. On an enrolled terminal the server is asked first (the sync worker's client); offline beyond
  the member's grant, or with the clock behind the server, the refusal offers a manager's override (F8,
  `OverrideDialog`, as the checkout does) and the same request is sent again with it.
- `AmbassadorDialog` is a manager's grant (`grant_ambassador`): the points within the programme's caps
  (shown), a reason first, the approver's PIN typed again, like the other manager dialogs.

The loaders (`load_membership_offer`, `load_catalogue`, `load_ambassador_cap`) run on the worker; the
dialogs only paint what they return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from app.domain import bonus, membership
from app.domain.digits import to_persian_digits
from app.domain.errors import ClubError
from app.domain.membership import Term
from app.domain.programme import US_PER_DAY, MembershipPlan, TierRule
from app.domain.staff import Action
from app.format import number, points_text
from app.services.bonuses import BonusResult, grant_ambassador
from app.services.identify import MemberProfile
from app.services.rewards import CatalogueItem, catalogue
from app.services.spending import SpendOverride
from app.services.terminal import Terminal
from app.store import ledger, programme
from app.ui.context import UiContext
from app.ui.dialogs.manager import OverrideDialog, _ActionDialog
from app.ui.messages import club_error_text
from app.ui.views.checkout import OVERRIDABLE, PointsSpinBox, directed, make_label, name_isolated
from app.ui.widgets.style import TOUCH_HEIGHT

# ---------------------------------------------------------------------------------------------- worker


@dataclass(frozen=True, slots=True)
class MembershipOffer:
    """The plans on sale and where the member stands, read in one snapshot."""

    plans: tuple[MembershipPlan, ...]
    tiers: tuple[TierRule, ...]
    running: Term | None  # the term that holds now (a renewal chain shows its last end)
    last: Term | None  # the latest term bought: a purchase of its plan before it ends renews it
    balance_points: int

    def tier(self, code: str | None) -> TierRule | None:
        return next((t for t in self.tiers if t.code == code), None)

    def plan(self, code: str) -> MembershipPlan | None:
        return next((p for p in self.plans if p.code == code), None)

    def renews(self, plan: MembershipPlan, now_us: int) -> bool:
        """Whether buying `plan` now extends the running term (app.domain.membership.terms decides so)."""
        return self.last is not None and self.last.plan_code == plan.code and self.last.ends_us > now_us

    def ends_us(self, plan: MembershipPlan, now_us: int) -> int:
        """When the term bought now would end: from the end of the running one for a renewal."""
        start = self.last.ends_us if self.last is not None and self.renews(plan, now_us) else now_us
        return start + plan.duration_days * US_PER_DAY


def load_membership_offer(terminal: Terminal, member_id: str) -> MembershipOffer:
    """Worker: the rule set's plans and tiers, the member's terms and balance."""
    with terminal.db.read() as conn:
        rules = programme.current(conn)
        entries = ledger.member_entries(conn, member_id)
        terms = membership.terms(entries, lambda v: programme.version(conn, v))
        balance = ledger.balance(conn, member_id).points
    now = terminal.clock.now_us()
    return MembershipOffer(
        rules.memberships, rules.tiers, membership.current(terms, now), terms[-1] if terms else None, balance
    )


def load_catalogue(terminal: Terminal, member_id: str) -> tuple[list[CatalogueItem], int]:
    """Worker: this branch's rewards with their stock, and the member's balance."""
    items = catalogue(terminal, member_id)
    with terminal.db.read() as conn:
        return items, ledger.balance(conn, member_id).points


@dataclass(frozen=True, slots=True)
class AmbassadorCap:
    per_grant: int  # the most one grant may give
    per_month: int  # the most a member may be given within 30 days
    now: int  # the most this member may be given by a grant now


def load_ambassador_cap(terminal: Terminal, member_id: str) -> AmbassadorCap:
    """Worker: the programme's caps on a grant, and what is left of them for this member now (as
    app.domain.bonus.ambassador decides: its refusal names what is allowed)."""
    with terminal.db.read() as conn:
        rules = programme.current(conn)
        entries = ledger.member_entries(conn, member_id)
    caps = rules.bonuses
    now = caps.ambassador_max_points
    try:
        bonus.ambassador(rules, "", caps.ambassador_max_points, entries, terminal.clock.now_us())
    except ClubError as refusal:
        now = int(refusal.params.get("allowed", 0))
    return AmbassadorCap(caps.ambassador_max_points, caps.ambassador_max_per_month, now)


# ---------------------------------------------------------------------------------------------- showing


def percent_bp_text(basis_points: int, lang: str) -> str:
    """Basis points as a percentage: 300 → "3", 250 → "2.5" (Persian digits in Persian)."""
    whole, rest = divmod(basis_points, 100)
    text = number(whole, lang)
    if rest:
        decimals = f"{rest:02d}".rstrip("0")
        text += ("٫" + to_persian_digits(decimals)) if lang == "fa" else "." + decimals
    return text


def message_style(ok: bool) -> str:
    return "color: #1b7f3b; font-weight: bold;" if ok else "color: #b00020; font-weight: bold;"


Message = Callable[[], tuple[str, bool]]  # (text, ok): drawn again in the new language


class SpendingDialog(QDialog):
    """The frame of a dialog that spends the member's points at the counter (see the module's notes).

    Subclasses build their middle part, implement `submit` (calling `_spend`), `retranslate` and the few
    texts asked of them; the visible strings live in the subclasses, so each has one translation context.
    """

    def __init__(
        self, ctx: UiContext, profile: MemberProfile, earn_only: bool, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.profile = profile
        self.earn_only = earn_only  # the card may earn but not spend (an old revocation list)
        self._request_id = ctx.terminal.new_id()  # a second Enter repeats the request, never doubles it
        self._balance = profile.balance.points
        self._busy = False
        self._done = False
        self._loaded = False
        self._override: SpendOverride | None = None
        self._awaiting: ClubError | None = None  # a refusal a manager may override (F8)
        self._message: Message | None = None
        self.intro_label = make_label(14, wrap=True)
        self.intro_label.setMinimumWidth(640)  # on a child: the dialog still grows with a message
        self.message_label = make_label(13, wrap=True)
        self.message_label.hide()
        standard = QDialogButtonBox.StandardButton
        self.buttons = QDialogButtonBox(standard.Ok | standard.Cancel)
        self.ok_button = self.buttons.button(standard.Ok)
        self.cancel_button = self.buttons.button(standard.Cancel)
        self.override_button = QPushButton()
        self.buttons.addButton(self.override_button, QDialogButtonBox.ButtonRole.ActionRole)
        for button in (self.ok_button, self.cancel_button, self.override_button):
            button.setMinimumHeight(TOUCH_HEIGHT)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Enter confirms and Esc cancels, wherever focus is
            button.setAutoDefault(False)
        self.ok_button.setDefault(True)
        self.override_button.hide()
        self.override_button.clicked.connect(self.request_override)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        ctx.session.language_changed.connect(self.on_language_changed)

    # ---------------------------------------------------------------- what subclasses give

    def submit(self) -> None:
        raise NotImplementedError

    def retranslate(self) -> None:
        raise NotImplementedError

    def override_hint(self) -> str:
        """Said after a refusal a manager may override (it names the key)."""
        raise NotImplementedError

    def points_to_spend(self) -> int:
        """The points the request spends (told to the manager who overrides)."""
        raise NotImplementedError

    def inputs(self) -> list[QWidget]:
        """What the cashier changes: frozen while a request is written or waits for a manager."""
        raise NotImplementedError

    # ---------------------------------------------------------------- state

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def done(self) -> bool:
        return self._done

    @property
    def awaiting_manager(self) -> bool:
        """Refused offline beyond the grant (or with the clock behind): F8 brings a manager."""
        return self._awaiting is not None

    @property
    def spend_override(self) -> SpendOverride | None:
        return self._override

    @property
    def request_id(self) -> str:
        return self._request_id

    @property
    def message(self) -> str:
        return "" if self.message_label.isHidden() else self.message_label.text()

    # ---------------------------------------------------------------- keys

    def accept(self) -> None:
        if self._done:
            super().accept()
        elif self._busy or not self._loaded:
            return  # a second Enter while the first is written does nothing
        elif self._awaiting is not None:
            self.request_override()  # Enter again on a refused request: the manager, not a second refusal
        else:
            self.submit()

    def reject(self) -> None:
        if not self._busy:  # what is being written is finished first
            super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() == Qt.Key.Key_F8:
            self.request_override()
        else:
            super().keyPressEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def on_language_changed(self, _lang: str) -> None:
        self.retranslate()  # digits and names follow the language even before a translator loads

    # ---------------------------------------------------------------- the manager's override

    def request_override(self) -> None:
        refusal = self._awaiting
        if refusal is None or self._busy or self._done:
            return
        dialog = OverrideDialog(
            self.ctx, self.profile, int(refusal.params.get("allowance", 0)), points=self.points_to_spend(),
            clock_behind=refusal.code == "clock_behind_server", parent=self,
        )  # fmt: skip
        dialog.override_approved.connect(self.apply_override)
        dialog.rejected.connect(self.on_override_declined)
        dialog.open()

    def apply_override(self, override: SpendOverride) -> None:
        """The manager approved (PIN and reason checked): the same request goes again, with the override."""
        self._override = override
        self._awaiting = None
        self._clear_message()
        self._refresh_state()
        self.submit()

    def on_override_declined(self) -> None:
        """No manager: the cashier may change the request (fewer points) or cancel."""
        self._awaiting = None
        self._refresh_state()

    # ---------------------------------------------------------------- running

    def _spend(
        self,
        work: Callable[[SpendOverride | None, Any], Any],
        on_done: Callable[[Any], None],
    ) -> None:
        """Run the use case on the worker with the override (if any) and, enrolled, the server to ask."""
        override = self._override
        sync = self.ctx.sync  # its client is asked for on the worker: it may still be being built
        self._set_busy(True)
        self.ctx.tasks.run(
            lambda: work(override, sync.client if sync is not None else None),
            lambda result: self._finish(on_done, result),
            self._refused,
        )

    def _finish(self, on_done: Callable[[Any], None], result: Any) -> None:
        self._done = True
        self._set_busy(False)
        on_done(result)
        self.retranslate()

    def _refused(self, error: BaseException) -> None:
        code = error.code if isinstance(error, ClubError) else "error"
        if code in OVERRIDABLE and self._override is None and isinstance(error, ClubError):
            self._awaiting = error
        self._set_busy(False)
        self.show_refusal(error)

    def show_refusal(self, error: BaseException) -> None:
        def text() -> tuple[str, bool]:
            said = club_error_text(error, self.ctx.session.lang)
            return (f"{said} {self.override_hint()}" if self._awaiting is error else said), False

        self._show(text)

    def _show(self, message: Message) -> None:
        self._message = message
        self._paint_message()

    def _paint_message(self) -> None:
        if self._message is None:
            self.message_label.hide()
            return
        text, ok = self._message()
        self.message_label.setStyleSheet(message_style(ok))
        self.message_label.setText(directed(text, self.ctx.session.lang))
        self.message_label.show()

    def _clear_message(self) -> None:
        self._message = None
        self.message_label.hide()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._refresh_state()

    def _set_loaded(self) -> None:
        self._loaded = True
        self._refresh_state()

    def _refresh_state(self) -> None:
        frozen = self._busy or self._done or self._awaiting is not None
        for widget in self.inputs():
            widget.setEnabled(not frozen and self._loaded)
        self.ok_button.setEnabled(not self._busy and (self._loaded or self._done))
        self.override_button.setVisible(self._awaiting is not None and not self._busy)
        self.cancel_button.setVisible(not self._done)

    def _loading_failed(self, error: BaseException) -> None:
        if shiboken6.isValid(self):
            self.show_refusal(error)


# ---------------------------------------------------------------------------------------------- ambassador


class AmbassadorDialog(_ActionDialog):
    """A manager's "brand ambassador" grant: points within the programme's caps (shown), a reason first,
    the approver's PIN; `grant_ambassador` refuses a role without ADJUST_BALANCE and a grant over a cap."""

    ambassador_granted = Signal(object)  # BonusResult

    def __init__(self, ctx: UiContext, profile: MemberProfile, parent: QWidget | None = None) -> None:
        super().__init__(ctx, profile, Action.ADJUST_BALANCE, parent)
        self.cap: AmbassadorCap | None = None  # read on the worker when the dialog opens
        self.points_spin = PointsSpinBox(lambda: self.ctx.session.lang)
        self.points_spin.setRange(0, 0)
        self.points_caption = QLabel()
        self.cap_label = make_label(12, wrap=True)
        self.cap_label.setStyleSheet("color: #555;")
        points_row = QWidget()
        form = QFormLayout(points_row)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.points_caption, self.points_spin)
        form.addRow(self.cap_label)
        self._layout(points_row)
        self._reason_first()
        # the reason, then the points, then who approves and their PIN
        QWidget.setTabOrder(self.approval.reason_edit, self.points_spin)
        QWidget.setTabOrder(self.points_spin, self.approval.approver_combo)
        terminal, member_id = ctx.terminal, profile.member.id
        ctx.tasks.run(
            lambda: load_ambassador_cap(terminal, member_id),
            self.on_cap_loaded,
            self.approval.show_refusal_of,
        )

    def on_cap_loaded(self, cap: AmbassadorCap) -> None:
        if not shiboken6.isValid(self):  # closed before the caps came back
            return
        self.cap = cap
        # one grant's cap bounds the field; the 30-day cap is said, and refused by the use case
        self.points_spin.setRange(0, cap.per_grant)
        self.retranslate()

    def submit(self) -> None:
        reason = self._given_reason()  # before the PIN is tried: a missing reason costs no attempt
        if reason is None:
            return
        points = self.points_spin.value()
        if points <= 0:
            self.approval.show_message(self.tr("Type the points to grant."), ok=False)
            return
        member_id, request_id, terminal = self.profile.member.id, self._request_id, self.ctx.terminal
        self._run(
            lambda manager: grant_ambassador(
                terminal, member_id, points, reason, manager, request_id=request_id
            ),
            self.on_granted,
        )

    def on_granted(self, result: BonusResult) -> None:
        lang = self.ctx.session.lang
        self.approval.show_message(
            self.tr("Granted {points}. New balance: {balance}.").format(
                points=points_text(result.points, lang), balance=points_text(result.points_balance, lang)
            ),
            ok=True,
        )
        self.points_spin.setEnabled(False)
        self.ambassador_granted.emit(result)

    def retranslate(self) -> None:
        lang = self.ctx.session.lang
        self.setWindowTitle(self.tr("Brand ambassador points"))
        self.intro_label.setText(
            directed(
                self.tr(
                    "Grant {name} points as a brand ambassador. A manager approves it with their PIN; "
                    "the reason and their name are kept in the ledger."
                ).format(name=name_isolated(self.profile.member.name)),
                lang,
            )
        )
        self.points_caption.setText(self.tr("Points"))
        self.points_spin.refresh()
        self.cap_label.setText(directed(self._cap_text(), lang))
        self.ok_button.setText(self.tr("Close (Enter)") if self._done else self.tr("Grant (Enter)"))
        self.cancel_button.setText(self.tr("Cancel (Esc)"))

    def _cap_text(self) -> str:
        cap, lang = self.cap, self.ctx.session.lang
        if cap is None:
            return ""
        return self.tr(
            "At most {now} now: {per_grant} a grant, and {per_month} for one member within 30 days."
        ).format(
            now=points_text(cap.now, lang),
            per_grant=points_text(cap.per_grant, lang),
            per_month=points_text(cap.per_month, lang),
        )
