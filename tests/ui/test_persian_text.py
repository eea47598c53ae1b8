# SPDX-License-Identifier: GPL-3.0-or-later
"""Persian that reads right: the real window driven through its screens in Persian and English (login,
idle, members in the programme, checkout, receipt and what is printed, the programme's and manager's
dialogs, enrolment, the event door, the first run), every text a cashier can see collected — labels,
buttons, placeholders, list, tree and table cells, headers, combo items, text browsers, tooltips, window
titles, the status bar — and checked for what a reader misreads:

- a middle dot or bullet (`·` `•` `⋅` `∙`) between words looks exactly like the Persian zero `۰`
  ("×۱٫۲۵ امتیاز · ۵٪ تخفیف" reads "1.25× points 0 5 %"); English uses the same separators (commas and
  semicolons), so it fails there too; a spaced slash or bar beside a Persian digit reads as the one `۱`;
- a Latin `%` beside a number in Persian (Persian has `٪`), Latin digits glued to Persian ones;
- a number pulled into a run of the other direction: a Persian digit whose nearest strong letter before
  it (outside isolates) is Latin is laid out with the Latin name, on the wrong side of it (the Unicode
  bidi rule W7); in English, a digit after a Persian name goes to the name's far side (W2); Latin digits
  (a card number) or a `×` outside an isolate in Persian; an embedding or override instead of an isolate.
  Names, card numbers and amounts are wrapped in isolates (FSI/LRI … PDI) to stay whole;
- the other language's digits, percent sign or commas in English.

The checker itself is tested on known good and bad strings first, so the tour's silence means something;
the catalogues (both .ts files, app/messages.py, the receipt's texts) are read whole as well, for the
screens the tour does not reach.
"""

from __future__ import annotations

import html
import re
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from app.cards.simulated import SimulatedReader
from app.domain.errors import ClubError
from app.messages import MESSAGES, message
from app.receipts.content import TEXTS as RECEIPT_TEXTS
from app.services.cards import bind_card, prepare_card, revoke_card
from app.services.checkout import SaleRequest, record_sale
from app.services.identify import find_member
from app.ui.dialogs.jalali_date import JalaliDateEdit
from app.ui.dialogs.manager import UndoAdmissionDialog
from app.ui.messages import club_error_text
from app.ui.receipt_pdf import receipt_html
from app.ui.views.door import Page
from tests.support.club import CASHIER, MANAGER
from tests.ui.test_checkout_programme import type_text
from tests.ui.test_door import JOHN_UID, MARYAM_UID, card_event, party  # noqa: F401  (the door's fixture)
from tests.ui.test_programme_member import days_ago, install_programme
from tests.ui.test_translations import QT_ARG, TS, read_ts

# ------------------------------------------------------------------------------------------- the checker

DOTS = "\u00b7\u2022\u22c5\u2219"  # middle dot, bullet, dot operator, bullet operator: all read as ۰
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
LRE, RLE, LRO, RLO, PDF = "\u202a", "\u202b", "\u202d", "\u202e", "\u202c"
PERSIAN_DIGIT = re.compile("[۰-۹]")
LATIN_DIGIT = re.compile("[0-9]")
LATIN_NUMBER = re.compile("(?<![0-9])[0-9]")  # the first digit of each run
_GAP = r"[\s\u2066-\u2069\u200e\u200f]*"  # spaces and invisible direction marks
PERCENT_BY_A_NUMBER = re.compile(f"[0-9۰-۹]{_GAP}%|%{_GAP}[0-9۰-۹]")
SLASH_BY_A_DIGIT = re.compile(f"[۰-۹]{_GAP} [/|]|[/|] {_GAP}[۰-۹]")  # a date's 1405/09/30 has no spaces
MIXED_DIGITS = re.compile("[0-9][\u2066-\u2069\u200e\u200f]*[۰-۹]|[۰-۹][\u2066-\u2069\u200e\u200f]*[0-9]")


def _strong_before(text: str, at: int) -> str | None:
    """The bidi class ("L" or "R") of the nearest strong character before `at` at the same isolate
    level, skipping nested isolates; None at the paragraph's start or the isolate's (an isolate's
    direction is chosen on purpose: a number in an LRI reads left to right in any language)."""
    depth = 0
    for i in range(at - 1, -1, -1):
        ch = text[i]
        if ch == PDI:
            depth += 1
        elif ch in (LRI, RLI, FSI):
            if depth == 0:
                return None
            depth -= 1
        elif depth == 0:
            kind = unicodedata.bidirectional(ch)
            if kind == "L":
                return "L"
            if kind in ("R", "AL"):
                return "R"
    return None


def _level(text: str, at: int) -> int:
    """How many isolates `at` is inside."""
    depth = 0
    for ch in text[:at]:
        if ch in (LRI, RLI, FSI):
            depth += 1
        elif ch == PDI and depth:
            depth -= 1
    return depth


def _paragraph_problems(text: str, lang: str) -> list[str]:
    found = []
    if lang == "fa":
        if PERCENT_BY_A_NUMBER.search(text):
            found.append("a Latin % beside a number (Persian has ٪)")
        if SLASH_BY_A_DIGIT.search(text):
            found.append("a spaced slash or bar beside a Persian digit (reads as ۱)")
        if any(ch == "×" and _level(text, i) == 0 for i, ch in enumerate(text)):
            found.append("a multiplication sign outside an isolate (it moves to the number's far side)")
        for digit in PERSIAN_DIGIT.finditer(text):
            if _strong_before(text, digit.start()) == "L":
                found.append(f"the Persian number at {digit.start()} is laid out with the Latin before it")
                break
        for digits in LATIN_NUMBER.finditer(text):
            if _level(text, digits.start()) == 0 and _strong_before(text, digits.start()) != "L":
                found.append(f"Latin digits at {digits.start()} outside an isolate (a card number, a code?)")
                break
    else:
        if PERSIAN_DIGIT.search(text) or any(mark in text for mark in "٪٫٬،؛"):
            found.append("Persian digits or punctuation in English")
        for digit in LATIN_DIGIT.finditer(text):
            if _strong_before(text, digit.start()) == "R":
                found.append(f"the number at {digit.start()} is laid out with the Persian text before it")
                break
    return found


def problems(text: str, lang: str) -> list[str]:
    """What a reader of `lang` would misread in `text`; [] when it reads right."""
    found = []
    if any(dot in text for dot in DOTS):
        found.append("a middle dot or bullet (looks like ۰)")
    if any(mark in text for mark in (LRE, RLE, LRO, RLO, PDF)):
        found.append("an embedding or override instead of an isolate")
    if MIXED_DIGITS.search(text):
        found.append("Latin and Persian digits in one number")
    for paragraph in re.split("[\n\u2029]", text):  # the bidi rules work paragraph by paragraph
        found += _paragraph_problems(paragraph, lang)
    return found


# ------------------------------------------------------------------------------------ what is on screen


def _shown(text: str) -> str:
    """A label's text as the reader sees it: rich text without its tags and entities."""
    if re.search(r"<[a-zA-Z/!][^>]*>", text):
        text = re.sub(r"<br\s*/?>|<hr\s*/?>|</(p|td|tr|div|h\d)>", "\n", text)  # one paragraph each
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return text


def _item_texts(view: QAbstractItemView) -> Iterator[str]:
    model = view.model()
    if model is None:
        return
    roles = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
    columns = 0  # a list model's columnCount is private in PySide: count the valid indexes instead
    while model.index(0, columns).isValid():
        columns += 1
    for row in range(model.rowCount()):
        for column in range(columns):
            index = model.index(row, column)
            for role in roles:
                value = index.data(role)
                if isinstance(value, str):
                    yield value
    for orientation, count in ((Qt.Orientation.Horizontal, columns), (Qt.Orientation.Vertical, 0)):
        for section in range(count):
            value = model.headerData(section, orientation, Qt.ItemDataRole.DisplayRole)
            if isinstance(value, str):
                yield value


def _widget_texts(widget: QWidget) -> Iterator[str]:
    yield widget.toolTip()
    if isinstance(widget, QLabel):
        yield _shown(widget.text())
    elif isinstance(widget, QAbstractButton):
        yield widget.text()
    elif isinstance(widget, QLineEdit):
        yield widget.placeholderText()
        if widget.isReadOnly():
            yield widget.text()
    elif isinstance(widget, QComboBox):
        yield from (widget.itemText(i) for i in range(widget.count()))
    elif isinstance(widget, QAbstractItemView):
        yield from _item_texts(widget)
    elif isinstance(widget, QGroupBox):
        yield widget.title()
    elif isinstance(widget, QTabWidget):
        yield from (widget.tabText(i) for i in range(widget.count()))
    elif isinstance(widget, (QTextEdit, QPlainTextEdit)):
        yield widget.toPlainText()
    if widget.isWindow():
        yield widget.windowTitle()
    if isinstance(widget, QMainWindow) and widget.statusBar() is not None:
        yield widget.statusBar().currentMessage()


def visible_texts() -> Iterator[tuple[str, str]]:
    """(where, text) for every non-empty text on every visible window of the application."""
    for window in QApplication.topLevelWidgets():
        if not window.isVisible():
            continue
        for widget in [window, *window.findChildren(QWidget)]:
            if not widget.isVisible() or widget.window() is not window or isinstance(widget, QHeaderView):
                continue  # a dialog is read as its own window; a header through its view
            where = f"{type(window).__name__} › {type(widget).__name__} {widget.objectName()}".strip()
            for text in _widget_texts(widget):
                if text and text.strip():
                    yield where, text


@dataclass
class Reading:
    """The texts seen on the tour, by screen, and what a reader would misread in them."""

    lang: str
    seen: dict[str, list[tuple[str, str]]]

    def look(self, screen: str) -> None:
        QApplication.processEvents()
        self.seen[screen] = list(visible_texts())

    def misread(self) -> list[str]:
        return [
            f"{screen}: {where}: {text!r}: {', '.join(found)}"
            for screen, texts in self.seen.items()
            for where, text in texts
            if (found := problems(text, self.lang))
        ]

    def all_text(self) -> str:
        return "\n".join(text for texts in self.seen.values() for _, text in texts)


# ---------------------------------------------------------------------------------------- the checker's tests


@pytest.mark.parametrize(
    "text",
    [
        "نقره‌ای: ×۱٫۲۵ امتیاز · ۵٪ تخفیف",  # the example: "1.25× points 0 5 %"
        "امتیاز • ۵",
        "نقره‌ای: ×۱٫۲۵ امتیاز",  # the sign is laid out after the number: "۱٫۲۵×"
        "وارد شده ۱ / دعوت‌شده ۱ / ظرفیت ۴۰",
        "۵% تخفیف",
        "تا ۵۰ % مبلغ",
        "John Smith: ۵۰۰ امتیاز",  # the number is laid out with the name, on its far side
        "۱۲3 امتیاز",
        "کارت 9826000000000029 مفقود است",  # a card number outside an isolate
        f"کارت {LRE}9826{PDF}",
    ],
)
def test_the_checker_finds_what_a_persian_reader_misreads(text):
    assert problems(text, "fa")


@pytest.mark.parametrize(
    "text",
    [
        f"نقره‌ای: {LRI}×۱٫۲۵{PDI} امتیاز، ۵٪ تخفیف در صندوق؛ رایگان: بسته‌بندی هدیه",
        f"{FSI}John Smith{PDI}: {LRI}۵۰۰{PDI} امتیاز",
        f"کارت {LRI}6037 9912 3456 7890{PDI}",
        "اجازه مدیر: F8.",  # a key's name is Latin and stays so
        "ورود در ۱۴۰۵/۰۹/۱۶ ۰۷:۲۱",
        f"{FSI}John Smith{PDI} ۵۰۰ امتیاز",
    ],
)
def test_the_checker_lets_right_persian_pass(text):
    assert problems(text, "fa") == []


@pytest.mark.parametrize(
    "text", ["Silver: ×1.25 points · 5% off", "مریم احمدی 520 points", "5٪ off", "Points: ۵۰۰", "A، B"]
)
def test_the_checker_finds_what_an_english_reader_misreads(text):
    assert problems(text, "en")


@pytest.mark.parametrize(
    "text", ["Silver: ×1.25 points, 5% off at the till; Free: Gift wrap", f"{FSI}مریم احمدی{PDI} 520 points"]
)
def test_the_checker_lets_right_english_pass(text):
    assert problems(text, "en") == []


# ------------------------------------------------------------------------------------ the window's refusals


def test_a_refusal_groups_and_isolates_the_card_number_and_says_the_status_in_persian():
    lost = ClubError("card_not_active", card="9826000000000029", status="lost")
    assert problems(message(lost, "fa"), "fa")  # the catalogue's text as the command line prints it
    shown = club_error_text(lost, "fa")
    assert f"{LRI}9826 0000 0000 0029{PDI}" in shown and "مفقود" in shown and "lost" not in shown
    assert problems(shown, "fa") == []
    assert f"Card {LRI}9826 0000 0000 0029{PDI} is {FSI}lost{PDI}" in club_error_text(lost, "en")


def test_a_number_after_a_name_of_the_other_script_stays_on_its_side():
    """"Wrong PIN for مینا; 4 tries left": unisolated, the 4 joins the Persian name's run and is laid out
    before it (bidi rule W2); isolated, it stays where the sentence puts it. The same for a Latin name
    before a Persian number in Persian (W7)."""
    english = ClubError("wrong_pin", staff="مینا", tries_left=4)
    assert problems(message(english, "en"), "en")
    assert problems(club_error_text(english, "en"), "en") == []
    persian = ClubError("wrong_pin", staff="Kian", tries_left=4)
    assert f"{FSI}Kian{PDI}" in club_error_text(persian, "fa") and "۴" in club_error_text(persian, "fa")
    assert problems(club_error_text(persian, "fa"), "fa") == []


# ----------------------------------------------------------------------------------- every catalogue


def catalogue_texts() -> Iterator[tuple[str, str, str]]:
    """(where, language, text) for every string the window, its refusals and the receipt can show,
    visited by the tour or not (the crash notice, the self-test, a printer's failure)."""
    for lang in ("fa", "en"):
        for entry in read_ts(TS[lang]):
            for text in entry.translations:
                yield f"{entry.context}: {entry.source!r}", lang, QT_ARG.sub("", text)
    for code, (english, persian) in MESSAGES.items():
        yield f"app/messages.py {code}", "en", english
        yield f"app/messages.py {code}", "fa", persian
    for key, (english, persian) in RECEIPT_TEXTS.items():
        yield f"app/receipts/content.py {key}", "en", english
        yield f"app/receipts/content.py {key}", "fa", persian


def test_no_string_of_the_window_separates_with_a_dot_or_says_a_latin_percent_in_persian():
    wrong = []
    for where, lang, text in catalogue_texts():
        if any(dot in text for dot in DOTS):
            wrong.append(f"{where}: a middle dot or bullet")
        if lang == "fa" and "%" in text:
            wrong.append(f"{where}: a Latin % in Persian")
    assert wrong == [], "\n".join(wrong)
    assert sum(1 for _ in catalogue_texts()) > 1_000  # the catalogues were read


# ---------------------------------------------------------------------------------------------- the tour

WAIT_MS = 10_000
LOST_UID = bytes.fromhex("04D1D2D3D4D5D6")


@pytest.fixture
def window_at_login(qapp, club, lang) -> Iterator:
    """The real window on the test club (with the demo club's programme), nobody logged in yet."""
    from app.ui.app import start_window

    install_programme(club.terminal)
    running = start_window(club.terminal, [SimulatedReader("Test reader")], lang=lang)
    yield running
    QTest.qWait(50)
    running.close()


def _settle(qtbot, running) -> None:
    qtbot.waitUntil(lambda: not running.ctx.tasks.busy(), timeout=WAIT_MS)


def _close_dialog(qtbot, running, dialog) -> None:
    dialog.reject()
    _settle(qtbot, running)


def _tour(qtbot, running, club, reading: Reading) -> None:
    """Login → idle (searches, a refused card) → members (Persian and Latin names, in the programme) →
    checkout → receipt with a tier upgrade (and what is printed) → the upgraded member and their checkout →
    the programme's and manager's dialogs → enrolment with a birth date."""
    window = running.window
    qtbot.waitUntil(lambda: window.login.staff_list.count() > 0, timeout=WAIT_MS)
    reading.look("login")
    running.ctx.session.log_in(CASHIER)
    window.login.logged_in.emit(CASHIER)
    _settle(qtbot, running)
    reading.look("idle")
    for query in ("0912", "Smith", "مریم", "0000"):
        window.idle.search_field.clear()
        with qtbot.waitSignal(window.idle.search_finished, timeout=WAIT_MS):
            type_text(window.idle.search_field, query)
            window.idle.search()
        reading.look(f"idle search {query}")
    revoked = prepare_card(club.terminal, club.john.id, staff=MANAGER, uid=LOST_UID)
    bind_card(club.terminal, revoked.card.number, LOST_UID)
    revoke_card(club.terminal, revoked.card.number, "reported lost", MANAGER, lost=True)
    with qtbot.waitSignal(window.card_refused, timeout=WAIT_MS):
        running.ctx.simulated.tap(LOST_UID, revoked.ndef)
    reading.look("idle refusal")

    record_sale(days_ago(club.terminal, 1), SaleRequest(club.john.id, 10_000_000, staff=CASHIER))  # cashback
    for member in (club.maryam, club.john):
        with qtbot.waitSignal(window.member.programme_shown, timeout=WAIT_MS):
            window.open_member(member.id)
        _settle(qtbot, running)
        reading.look(f"member {member.name}")

    QTest.keyClick(window.member, Qt.Key.Key_Return)
    checkout = window.checkout
    qtbot.waitUntil(lambda: checkout.programme is not None, timeout=WAIT_MS)
    type_text(checkout.amount_edit, "6000000")
    _settle(qtbot, running)
    reading.look("checkout")
    with qtbot.waitSignal(checkout.sale_recorded, timeout=WAIT_MS):
        QTest.keyClick(checkout.amount_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(window.receipt.celebration.isVisible, timeout=WAIT_MS)
    _settle(qtbot, running)
    reading.look("receipt")
    printed = window.receipt.receipt()  # what the printer and the PDF get
    assert printed is not None
    reading.seen["printed receipt"] = [("text line", line) for line in printed.text_lines(48)] + [
        ("PDF", _shown(receipt_html(printed)))
    ]
    QTest.keyClick(window.receipt, Qt.Key.Key_Return)
    with qtbot.waitSignal(window.member.programme_shown, timeout=WAIT_MS):
        window.open_member(club.john.id)
    _settle(qtbot, running)
    reading.look("member John Smith, silver now")
    QTest.keyClick(window.member, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: checkout.programme is not None, timeout=WAIT_MS)
    type_text(checkout.amount_edit, "150000")
    _settle(qtbot, running)
    reading.look("checkout, silver")
    QTest.keyClick(checkout, Qt.Key.Key_Escape)

    with qtbot.waitSignal(window.member.programme_shown, timeout=WAIT_MS):
        window.open_member(club.maryam.id)
    _settle(qtbot, running)
    for key, screen in ((Qt.Key.Key_F3, "membership"), (Qt.Key.Key_F4, "rewards")):
        QTest.keyClick(window.member, key)
        dialog = window.member_dialog()
        assert dialog is not None, screen
        _settle(qtbot, running)
        reading.look(screen)
        with qtbot.waitSignal(window.member_shown, timeout=WAIT_MS):
            dialog.reject()
        _settle(qtbot, running)
    running.ctx.session.log_in(MANAGER)
    window.open_ambassador()
    _settle(qtbot, running)
    reading.look("ambassador")
    with qtbot.waitSignal(window.member_shown, timeout=WAIT_MS):
        window.member_dialog().reject()
    _open_manager_dialogs(qtbot, running, club, reading)

    window.open_enrolment()
    _settle(qtbot, running)
    reading.look("enrolment")
    enrolment = next(w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not window)
    birth = enrolment.findChild(JalaliDateEdit)
    birth.setDate(date(1990, 5, 1))
    reading.look("enrolment, a birth date")
    for dialog in [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not window]:
        dialog.reject()
    _settle(qtbot, running)


def _open_manager_dialogs(qtbot, running, club, reading: Reading) -> None:
    from app.ui.dialogs.day_report import DayReportDialog
    from app.ui.dialogs.manager import AdjustDialog, OverrideDialog, ReverseDialog

    window = running.window
    profile = find_member(club.terminal, club.maryam.id)
    for name, make in (
        ("reverse", lambda: ReverseDialog(running.ctx, profile, window)),
        ("adjust", lambda: AdjustDialog(running.ctx, profile, window)),
        ("override", lambda: OverrideDialog(running.ctx, profile, 300, points=500, parent=window)),
        ("day report", lambda: DayReportDialog(running.ctx, window)),
    ):
        dialog = make()
        dialog.show()
        _settle(qtbot, running)
        reading.look(name)
        _close_dialog(qtbot, running, dialog)


def _door(qtbot, running, party, reading: Reading) -> None:  # noqa: F811 (the fixture's value)
    """The event door (a manager opens it with F7): a guest admitted with a plus-one to come, the guest
    search, a manager's undo."""
    window = running.window
    window.toggle_door()
    qtbot.waitUntil(lambda: window.door_open() and window.door.page() is Page.IDLE, timeout=WAIT_MS)
    _settle(qtbot, running)
    reading.look("door")
    view = window.door
    with qtbot.waitSignal(view.verdict_shown, timeout=WAIT_MS):
        view.present_card(card_event(party.maryam_card, MARYAM_UID))
    reading.look("door, admitted")
    QTest.keyClick(view, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: window.findChild(UndoAdmissionDialog) is not None, timeout=WAIT_MS)
    _settle(qtbot, running)
    reading.look("door, undo")
    window.findChild(UndoAdmissionDialog).reject()
    with qtbot.waitSignal(view.verdict_shown, timeout=WAIT_MS):
        view.present_card(card_event(party.john_card, JOHN_UID))
    reading.look("door, not invited")
    with qtbot.waitSignal(view.guests_found, timeout=WAIT_MS):
        QTest.keyClick(view, Qt.Key.Key_F3)
    with qtbot.waitSignal(view.guests_found, timeout=WAIT_MS):
        QTest.keyClicks(view.search_field, "0912")
        QTest.keyClick(view.search_field, Qt.Key.Key_Return)
    _settle(qtbot, running)
    reading.look("door, search")


def test_every_screen_reads_right(qtbot, window_at_login, club, party, lang):  # noqa: F811
    reading = Reading(lang, {})
    _tour(qtbot, window_at_login, club, reading)
    _door(qtbot, window_at_login, party, reading)
    assert len(reading.seen) >= 25 and "مریم احمدی" in reading.all_text()
    if lang == "fa":
        assert PERSIAN_DIGIT.search(reading.all_text())  # the tour saw numbers in Persian
    misread = reading.misread()
    assert misread == [], "\n".join(misread)


def test_the_first_run_reads_right(qtbot, tmp_path, lang):
    """The setup a new terminal opens with: the language, the server step with a refused address and a
    missing code, then the branch to confirm (the answer a club server gives, handed to the wizard as its
    worker does: tests/ui/test_first_run.py talks to a real server)."""
    from app.services.first_run import BranchPreview
    from app.ui.first_run import start_first_run

    running = start_first_run(
        tmp_path / "till", lambda: [SimulatedReader("Setup reader")], lang, open_window=lambda *_: None
    )
    try:
        wizard, reading = running.wizard, Reading(lang, {})
        reading.look("first run: language")
        wizard.language_next.click()
        reading.look("first run: server")
        for url, code in (("club.example", "K7QM-2XPD-9TAR"), ("http://127.0.0.1:1", "")):
            wizard.server_field.setText(url)
            wizard.code_field.setText(code)
            with qtbot.waitSignal(wizard.failed, timeout=WAIT_MS):
                wizard.check_button.click()
            reading.look(f"first run: {url} {code or 'no code'}")
        now = time.time_ns() // 1000
        wizard._on_preview(
            BranchPreview(
                "https://club.example.ir", "K7QM-2XPD-9TAR", "باشگاه نمونه", "Sample Club", "THR2",
                "شعبه تهران ۲", "Tehran 2", now + 3_600_000_000, 0, resuming=False,
            )
        )  # fmt: skip
        reading.look("first run: confirm")
        assert wizard.current_step() == "confirm" and "THR2" in reading.all_text()
        misread = reading.misread()
        assert misread == [], "\n".join(misread)
    finally:
        running.close()
