# SPDX-License-Identifier: GPL-3.0-or-later
"""The receipt screen: the moment of delight ("150 points added") in big type, what was spent and paid,
the new balance, and a QR code of the sale's entry id; print it (F6), save it as PDF (F7), done (Enter).

Under the club's rule set it also shows what the programme did: the wallet's part of the payment, the
cashback credited, the campaigns and bonuses that applied, the wallet's new balance; a sale that lifted
the member into a higher tier is celebrated in the tier's colour ("Upgraded to Gold!" with the new
privileges: a short animation that needs no click); and the member is asked "How was it?" — keys or
buttons 1–5 rate the purchase (`app.services.bonuses.rate_sale` on the worker), the survey bonus, if
any, is shown, and the buttons go.

The club's and branch's names, the sale's time, the `receipt_printer` setting and the rule set that
priced the sale are read on the worker when the screen opens; printing runs on the worker too (a USB
device file or a network socket).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QStandardPaths, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPixmap, QShowEvent
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain.digits import to_latin_digits
from app.domain.errors import ClubError
from app.domain.member import Member
from app.domain.programme import RuleSet
from app.format import isolated, number, points_text, toman_text
from app.receipts.content import Receipt, SaleContext, build_receipt
from app.receipts.escpos import (
    PrinterSettingError,
    print_to_setting,
    printable_language,
    printer_from_setting,
)
from app.receipts.qr import qr_png
from app.receipts.setup import PRINTER_SETTING, ReceiptSetup, load_receipt_setup
from app.services.bonuses import BonusResult, rate_sale
from app.services.checkout import SaleResult
from app.services.terminal import Terminal
from app.ui.context import UiContext
from app.ui.messages import club_error_text
from app.ui.views.checkout import action_button, directed, make_label, name_isolated
from app.ui.views.member import ProgrammeText
from app.ui.widgets.badge import tier_colour
from app.ui.widgets.celebration import CelebrationWidget
from app.ui.widgets.programme_panel import signed_toman_text
from app.ui.widgets.style import touch_button

QR_SIZE_PX = 240
RATINGS = range(1, 6)
_RATING_KEYS = {getattr(Qt.Key, f"Key_{n}"): n for n in RATINGS}


def read_rules(terminal: Terminal, version: int | None) -> RuleSet:
    """Worker: the rule set that priced the sale (tier names and privileges, campaign names)."""
    from app.store import programme

    with terminal.db.read() as conn:
        return programme.version(conn, version)


class ReceiptView(QWidget):
    done = Signal()
    rated = Signal(object)  # BonusResult, once the rating is recorded and its thanks on screen
    printed = Signal()  # the printer took the receipt
    pdf_saved = Signal(str)  # the file written

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        # how a `receipt_printer` setting becomes a printer; tests hand in an escpos Dummy they keep
        self.make_printer: Callable[[str | None], object] = printer_from_setting
        self._result: SaleResult | None = None
        self._member: Member | None = None
        self._staff_name: str | None = None
        self._setup: ReceiptSetup | None = None
        self._printing = False
        self._status: Callable[[], str] = str
        self._rules: RuleSet | None = None  # the rule set that priced the sale, once read
        self._rules_read = False
        self._rating_busy = False
        self._rated: BonusResult | None = None
        self._survey_note: Callable[[], str] = str  # a refusal of the rating, in the session's language
        self.words = ProgrammeText(self)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._build()
        ctx.session.language_changed.connect(self.on_language_changed)
        self.retranslate()

    def _build(self) -> None:
        self.headline_label = make_label(40, bold=True)
        self.headline_label.setStyleSheet("color: #1b7f3b;")
        self.member_label = make_label(20)
        self.balance_label = make_label(26, bold=True)
        self.paid_label = make_label(18)
        self.spent_label = make_label(18)
        self.invoice_label = make_label(13)
        self.wallet_label = make_label(18)
        self.cashback_label = make_label(16, wrap=True)
        self.cashback_label.setStyleSheet("color: #1b7f3b;")
        self.wallet_balance_label = make_label(18, bold=True)
        self.campaigns_label = make_label(14, wrap=True)
        self.bonuses_label = make_label(14, bold=True, wrap=True)
        self.bonuses_label.setStyleSheet("color: #1b7f3b;")
        self.celebration = CelebrationWidget()
        self._build_survey()
        self.note_label = make_label(13, wrap=True)
        self.note_label.setStyleSheet("color: #a15c00;")
        self.status_label = make_label(13, wrap=True)
        self.qr_label = QLabel()
        self.qr_label.setFixedSize(QR_SIZE_PX, QR_SIZE_PX)
        self.qr_label.setScaledContents(True)
        self.qr_caption = make_label(11, wrap=True)
        self.qr_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.print_button = action_button(self.on_print)
        self.pdf_button = action_button(self.on_save_pdf)
        self.done_button = action_button(self.on_done, primary=True)
        self._layout()

    def _build_survey(self) -> None:
        self.survey_caption = make_label(15, bold=True, wrap=True)
        self.survey_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rating_buttons: list[QPushButton] = []
        for rating in RATINGS:
            button = touch_button()
            button.setMinimumWidth(56)
            button.clicked.connect(lambda _checked=False, r=rating: self.rate(r))
            self.rating_buttons.append(button)
        self.survey_result = make_label(15, bold=True, wrap=True)
        self.survey_result.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.survey_result.setStyleSheet("color: #1b7f3b;")

    def _layout(self) -> None:
        details = QVBoxLayout()
        for widget in (self.headline_label, self.member_label, self.balance_label, self.wallet_balance_label):
            details.addWidget(widget)
        details.addSpacing(12)
        for widget in (
            self.spent_label,
            self.wallet_label,
            self.paid_label,
            self.cashback_label,
            self.campaigns_label,
            self.bonuses_label,
            self.invoice_label,
            self.note_label,
        ):
            details.addWidget(widget)
        details.addStretch(1)
        qr = QVBoxLayout()  # the QR, and under it the survey: the member looks at this side
        qr.addWidget(self.qr_label, 0, Qt.AlignmentFlag.AlignHCenter)
        qr.addWidget(self.qr_caption)
        qr.addSpacing(12)
        qr.addWidget(self.survey_caption)
        ratings = QHBoxLayout()
        ratings.setSpacing(6)
        for button in self.rating_buttons:
            ratings.addWidget(button)
        qr.addLayout(ratings)
        qr.addWidget(self.survey_result)
        qr.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(details, 1)
        columns.addSpacing(24)
        columns.addLayout(qr)
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.pdf_button)
        buttons.addStretch(1)
        buttons.addWidget(self.done_button)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 24, 32, 24)
        outer.addWidget(self.celebration)
        outer.addLayout(columns, 1)
        outer.addWidget(self.status_label)
        outer.addLayout(buttons)

    # ---------------------------------------------------------------- the contract

    def show_sale(self, result: SaleResult, member: Member | None) -> None:
        """Show a recorded sale; the club, branch and printer setting are read on the worker."""
        self._result, self._member = result, member
        staff = self.ctx.session.staff
        self._staff_name = staff.name if staff else None
        self._setup = None
        self._printing = False
        self._status = str
        self._rules, self._rules_read = None, False
        self._rating_busy = False
        self._rated = None
        self._survey_note = str
        self.celebration.clear()
        pixmap = QPixmap()
        pixmap.loadFromData(qr_png(result.sale_id, box_size=8))
        self.qr_label.setPixmap(pixmap)
        self.retranslate()
        terminal, sale_id = self.ctx.terminal, result.sale_id
        self.ctx.tasks.run(
            lambda: load_receipt_setup(terminal, sale_id),
            lambda setup: self.on_setup_loaded(sale_id, setup),
            self.on_setup_failed,
        )
        if result.rules_version:
            version = result.rules_version
            self.ctx.tasks.run(
                lambda: read_rules(terminal, version),
                lambda rules: self.on_rules_loaded(sale_id, rules),
                lambda _error: self.on_rules_loaded(sale_id, None),
            )
        self.setFocus()

    def receipt(self, lang: str | None = None) -> Receipt | None:
        """The receipt's printable content in `lang` (the session's by default), once the setup is read."""
        if self._result is None or self._setup is None:
            return None
        return build_receipt(
            self._result, self._member, self._setup.place, self._staff_name, lang or self.ctx.session.lang
        )

    @property
    def has_printer(self) -> bool:
        return self._setup is not None and self._setup.printer is not None

    @property
    def survey_open(self) -> bool:
        """Whether the member may still rate this purchase here (a sale under the club's rule set)."""
        sale = self._result
        return sale is not None and bool(sale.rules_version) and self._rated is None and not self._rating_busy

    def on_rules_loaded(self, sale_id: str, rules: RuleSet | None) -> None:
        """The rule set that priced the sale: names for its campaigns and, at an upgrade, the celebration
        (in the tier's colour, with its privileges; the tier's code when the rules cannot be read)."""
        if self._result is None or self._result.sale_id != sale_id:
            return
        self._rules, self._rules_read = rules, True
        self._celebrate(animate=True)
        self.retranslate()

    # ---------------------------------------------------------------- events

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def on_language_changed(self, _lang: str) -> None:
        self.retranslate()  # digits and names follow the language even before a translator loads

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        key = event.key()
        rating = _RATING_KEYS.get(key) or _typed_rating(event.text())
        if rating is not None and self.survey_open:
            self.rate(rating)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape):
            self.on_done()
        elif key == Qt.Key.Key_F6:
            self.on_print()
        elif key == Qt.Key.Key_F7:
            self.on_save_pdf()
        else:
            super().keyPressEvent(event)

    def on_setup_loaded(self, sale_id: str, setup: ReceiptSetup) -> None:
        if self._result is not None and self._result.sale_id == sale_id:  # not an earlier sale's answer
            self._setup = setup
            self.retranslate()

    def on_setup_failed(self, error: BaseException) -> None:
        if self._result is not None:  # the receipt can still be saved, with what the screen knows
            place = SaleContext("", "", "", "", self.ctx.terminal.clock.now_us())
            self._setup = ReceiptSetup(place, None)
        self._set_status(lambda: club_error_text(error, self.ctx.session.lang))

    def on_done(self) -> None:
        self.done.emit()

    # ---------------------------------------------------------------- the survey

    def rate(self, rating: int) -> None:
        """1–5 (a key or a button): the member's rating of the purchase, recorded on the worker."""
        if not self.survey_open or self._result is None:
            return
        self._rating_busy = True
        self._show_survey()
        terminal, sale_id, staff = self.ctx.terminal, self._result.sale_id, self.ctx.session.staff
        self.ctx.tasks.run(
            lambda: rate_sale(terminal, sale_id, rating, staff),
            lambda result: self.on_rated(sale_id, result),
            lambda error: self.on_rating_refused(sale_id, error),
        )

    def on_rated(self, sale_id: str, result: BonusResult) -> None:
        if self._result is None or self._result.sale_id != sale_id:
            return
        self._rating_busy = False
        self._rated = result
        self.retranslate()
        self.rated.emit(result)

    def on_rating_refused(self, sale_id: str, error: BaseException) -> None:
        if self._result is None or self._result.sale_id != sale_id:
            return
        self._rating_busy = False
        if isinstance(error, ClubError) and error.code == "survey_already_answered":
            self._rated = BonusResult(None, "", 0, self._result.balance.points)  # nothing more to ask
        self._survey_note = lambda: club_error_text(error, self.ctx.session.lang)
        self.retranslate()

    def on_print(self) -> None:
        receipt = self.receipt(printable_language(self.ctx.session.lang))
        if receipt is None or self._printing:
            return
        if self._setup is None or self._setup.printer is None:
            self._set_status(self._no_printer_text)
            return
        setting, make = self._setup.printer, self.make_printer
        self._printing = True
        self._set_status(lambda: self.tr("Printing…"))
        self.ctx.tasks.run(
            lambda: print_to_setting(setting, receipt, make), self.on_printed, self.on_print_failed
        )

    def on_printed(self, _none: object) -> None:
        self._printing = False
        self._set_status(lambda: self.tr("Receipt printed."))
        self.printed.emit()

    def on_print_failed(self, error: BaseException) -> None:
        self._printing = False
        if isinstance(error, PrinterSettingError):
            setting = str(error)
            self._set_status(
                lambda: self.tr(
                    "The printer setting “{setting}” is not understood: use file:/dev/usb/lp0, "
                    "network:HOST[:PORT] or dummy."
                ).format(setting=setting)
            )
        else:
            detail = str(error) or type(error).__name__
            self._set_status(
                lambda: self.tr(
                    "The printer did not take the receipt ({error}). Check that it is on, connected and "
                    "has paper, then press F6 again."
                ).format(error=detail)
            )

    def on_save_pdf(self) -> None:
        if self.receipt() is None or self._result is None:
            return
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        name = "receipt-" + re.sub(r"[^A-Za-z0-9_-]", "_", self._result.invoice_ref or "sale") + ".pdf"
        start = str(Path(folder or Path.home()) / name)
        dialog = QFileDialog(self, self.tr("Save the receipt as PDF"), start)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("PDF files (*.pdf)"))
        dialog.setDefaultSuffix("pdf")
        dialog.fileSelected.connect(self.save_pdf)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def save_pdf(self, path: str | Path) -> Path | None:
        """Write the receipt, in the session's language, to `path` (what F7's dialog calls)."""
        from app.ui.receipt_pdf import write_receipt_pdf  # the PDF machinery: only once a PDF is asked for

        receipt = self.receipt()
        if receipt is None:
            return None
        try:
            written = write_receipt_pdf(receipt, path, self.font())
        except OSError as error:
            detail = error.strerror or str(error)
            self._set_status(lambda: self.tr("The PDF could not be saved: {error}").format(error=detail))
            return None
        self._set_status(lambda: self.tr("Saved {path}").format(path=isolated(str(written))))
        self.pdf_saved.emit(str(written))
        return written

    # ---------------------------------------------------------------- showing

    def _no_printer_text(self) -> str:
        return self.tr("No receipt printer is configured (setting “{key}”).").format(key=PRINTER_SETTING)

    def _set_status(self, text: Callable[[], str]) -> None:
        self._status = text
        self.status_label.setText(directed(text(), self.ctx.session.lang))

    def retranslate(self) -> None:
        lang = self.ctx.session.lang
        self.pdf_button.setText(self.tr("Save PDF (F7)"))
        self.done_button.setText(self.tr("Done (Enter)"))
        self.qr_caption.setText(self.tr("Scan to find this sale"))
        self.print_button.setText(
            self.tr("No printer configured")
            if self._setup is not None and self._setup.printer is None
            else self.tr("Print (F6)")
        )
        self.print_button.setEnabled(self.has_printer)
        self.pdf_button.setEnabled(self._setup is not None)
        self.status_label.setText(directed(self._status(), lang))
        if self._result is not None:
            texts = self._texts(self._result, lang) | self._programme_texts(self._result, lang)
            for label, text in texts.items():
                label.setText(directed(text, lang) if text else "")
                label.setVisible(bool(text))
        self._show_survey()
        self._celebrate(animate=False)

    def _celebrate(self, animate: bool) -> None:
        """The upgrade band, once the rule set is read (or could not be: then the tier's code)."""
        sale, lang = self._result, self.ctx.session.lang
        if sale is None or not sale.tier_upgrade:
            self.celebration.clear()
            return
        if not self._rules_read:
            return  # read on the worker as the screen opens: a few milliseconds
        code, name, detail = sale.tier_upgrade, sale.tier_upgrade, ""
        tier = next((t for t in self._rules.tiers if t.code == code), None) if self._rules else None
        if tier is not None:
            name, detail = self.words.tier_name(tier, lang), self.words.all_privileges(tier, lang)
        title = directed(self.words.upgraded(name), lang)
        self.celebration.celebrate(
            title, directed(detail, lang) if detail else "", tier_colour(code), animate
        )

    def _show_survey(self) -> None:
        lang = self.ctx.session.lang
        sale = self._result
        asking = sale is not None and bool(sale.rules_version) and self._rated is None
        self.survey_caption.setText(directed(self.tr("How was it? Rate 1–5"), lang))
        self.survey_caption.setVisible(asking)
        for rating, button in zip(RATINGS, self.rating_buttons, strict=True):
            button.setText("★ " + number(rating, lang))
            button.setVisible(asking)
            button.setEnabled(not self._rating_busy)
        text = self._survey_note()
        if self._rated is not None and self._rated.entry_id is not None:
            points = self._rated.points
            text = (
                self.tr("{points} points, thank you!").format(points=isolated("+" + number(points, lang)))
                if points
                else self.tr("Thank you!")
            )
        self.survey_result.setText(directed(text, lang) if text else "")
        self.survey_result.setVisible(bool(text))

    def _texts(self, sale: SaleResult, lang: str) -> dict[QLabel, str]:
        if sale.points_earned == 1:
            headline = self.tr("{points} point added").format(points=number(1, lang))
        elif sale.points_earned:
            headline = self.tr("{points} points added").format(points=number(sale.points_earned, lang))
        else:
            headline = self.tr("Sale recorded")
        spent = ""
        if sale.points_redeemed:
            spent = self.tr("{points} spent: {amount} off").format(
                points=points_text(sale.points_redeemed, lang), amount=toman_text(sale.discount_rials, lang)
            )
        points_balance = self._rated.points_balance if self._rated is not None else sale.balance.points
        return {
            self.headline_label: headline,
            self.member_label: name_isolated(self._member.name) if self._member else "",
            self.balance_label: self.tr("New balance: {points}").format(
                points=points_text(points_balance, lang)
            ),
            self.spent_label: spent,
            self.paid_label: self.tr("Paid: {amount}").format(amount=toman_text(sale.paid_rials, lang)),
            self.invoice_label: self.tr("Invoice {invoice}").format(invoice=isolated(sale.invoice_ref)),
            self.note_label: self.tr("This sale had already been recorded; it was not recorded twice.")
            if sale.replayed
            else "",
        }

    def _programme_texts(self, sale: SaleResult, lang: str) -> dict[QLabel, str]:
        """What the club's rule set did on this sale (nothing to say without one)."""
        if not sale.rules_version:
            return {
                label: ""
                for label in (
                    self.wallet_label,
                    self.cashback_label,
                    self.wallet_balance_label,
                    self.campaigns_label,
                    self.bonuses_label,
                )
            }
        cashback = ""
        if sale.cashback_rials:
            amount = signed_toman_text(sale.cashback_rials, lang)
            later = self._rules is not None and self._rules.cashback.from_next_day
            cashback = (
                self.tr("Cashback: {amount} to the wallet, spendable from tomorrow")
                if later
                else self.tr("Cashback: {amount} to the wallet")
            ).format(amount=amount)
        campaigns = self.words.campaigns_by_code(sale.campaigns, self._rules, lang)
        bonuses = self.words.join((self.words.bonus(key, points, lang) for key, points in sale.bonuses), lang)
        return {
            self.wallet_label: self.tr("From the wallet: {amount}").format(
                amount=toman_text(sale.wallet_spent_rials, lang)
            )
            if sale.wallet_spent_rials
            else "",
            self.cashback_label: cashback,
            self.wallet_balance_label: self.tr("Wallet: {amount}").format(
                amount=toman_text(sale.balance.wallet_rials, lang)
            ),
            self.campaigns_label: self.tr("Campaigns: {campaigns}").format(campaigns=campaigns)
            if campaigns
            else "",
            self.bonuses_label: self.tr("Bonuses: {bonuses}").format(bonuses=bonuses) if bonuses else "",
        }


def _typed_rating(text: str) -> int | None:
    """A rating typed in any digits (a Persian keyboard sends ۱–۵)."""
    digit = to_latin_digits(text)
    return int(digit) if len(digit) == 1 and digit in "12345" else None
