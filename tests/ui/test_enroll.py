# SPDX-License-Identifier: GPL-3.0-or-later
"""The enrolment dialog on a real store, in Persian and in English, driven from the keyboard."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QWidget

from app.cards.manager import CardManager
from app.domain.member import Member
from app.services.cards import identify_card
from app.services.enroll import MAX_PHOTO_BYTES, EnrollResult
from app.store import members
from app.ui.context import UiContext
from app.ui.dialogs.enroll import EnrollDialog, photo_to_jpeg
from app.ui.dialogs.jalali_date import JalaliDateEdit
from tests.support.club import CASHIER, MANAGER
from tests.ui.conftest import Club

NEW_PHONE = "09351112233"
NEW_PHONE_E164 = "+989351112233"
NATIONAL_ID = "0012345679"  # a valid check digit
# Persian dates are typed as a Persian cashier would, in Persian digits; both mean 1 May 1990.
BIRTH_KEYS = {"fa": ("۱۱", "۲", "۱۳۶۹"), "en": ("1", "5", "1990")}
NAMES = {"fa": "سارا کریمی", "en": "Sara Karimi"}


# ---------------------------------------------------------------------------- keyboard helpers


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def type_text(text: str) -> None:
    """Type into whatever has the focus, Persian letters and digits included (QTest types ASCII only)."""
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(focused(), QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char))


def press(qtbot, key: Qt.Key, times: int = 1) -> None:
    for _ in range(times):
        qtbot.keyClick(focused(), key)


def stored(club: Club, member_id: str) -> Member | None:
    with club.terminal.db.read() as conn:
        return members.get(conn, member_id)


def member_count(club: Club) -> int:
    with club.terminal.db.read() as conn:
        return members.count(conn)


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def open_dialog(qtbot, ctx: UiContext) -> Iterator:
    """Opens dialogs on a context; joins the worker, then closes them (not qtbot.addWidget: pytest-qt
    closes those before fixtures are torn down, while an answer from the worker may still be queued)."""
    opened: list[EnrollDialog] = []

    def make(context: UiContext = ctx) -> EnrollDialog:
        dialog = EnrollDialog(context)
        dialog.show()
        dialog.activateWindow()
        qtbot.waitUntil(dialog.name_edit.hasFocus)
        opened.append(dialog)
        return dialog

    yield make
    qtbot.waitUntil(lambda: not ctx.tasks.busy())
    for dialog in opened:
        dialog.hide()
        qtbot.waitUntil(lambda: not ctx.tasks.busy())
        dialog.deleteLater()


@pytest.fixture
def dialog(open_dialog) -> EnrollDialog:
    return open_dialog()


def fill_and_enroll(qtbot, dialog: EnrollDialog, phone: str = NEW_PHONE) -> EnrollResult:
    dialog.name_edit.setText("Sara Karimi")
    dialog.phone_edit.setText(phone)
    with qtbot.waitSignal(dialog.enrolled) as blocker:
        dialog.submit_button.click()
    return blocker.args[0]


# ---------------------------------------------------------------------------- enrolment


def test_enrolment_by_keyboard_only(qtbot, dialog: EnrollDialog, club: Club, lang: str) -> None:
    type_text(NAMES[lang])
    press(qtbot, Qt.Key.Key_Tab)
    type_text("۰۹۳۵ ۱۱۱ ۲۲۳۳" if lang == "fa" else "0935 111 2233")
    for part in BIRTH_KEYS[lang]:
        press(qtbot, Qt.Key.Key_Tab)
        type_text(part)
    press(qtbot, Qt.Key.Key_Tab)
    type_text(NATIONAL_ID)
    press(qtbot, Qt.Key.Key_Tab, 3)  # past the photo and camera buttons
    assert focused() is dialog.referrer_edit
    type_text("09121234567")  # Maryam referred her
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Space)  # marketing consent
    assert dialog.consent_box.isChecked()

    with qtbot.waitSignal(dialog.enrolled) as blocker:
        press(qtbot, Qt.Key.Key_Return)
    result: EnrollResult = blocker.args[0]

    member = stored(club, result.member.id)
    assert member is not None
    assert (member.name, member.phone) == (NAMES[lang], NEW_PHONE_E164)
    assert member.birth_date == date(1990, 5, 1)
    assert member.national_id_last4 == "5679"  # the rest of the national id is never stored
    assert member.referrer_id == club.maryam.id
    assert member.consent_marketing
    assert result.card is not None
    assert dialog.pages.currentIndex() == 1
    assert NAMES[lang] in dialog.done_title.text()

    press(qtbot, Qt.Key.Key_Return)  # "Done (Enter)"
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_escape_cancels_and_writes_nothing(qtbot, dialog: EnrollDialog, club: Club) -> None:
    before = member_count(club)
    type_text("Someone")
    with qtbot.waitSignal(dialog.rejected):
        press(qtbot, Qt.Key.Key_Escape)
    assert member_count(club) == before


def test_phone_is_checked_when_leaving_the_field(qtbot, dialog: EnrollDialog, club: Club) -> None:
    dialog.phone_edit.setFocus()
    type_text("0912123")
    press(qtbot, Qt.Key.Key_Tab)
    assert dialog.phone_note.isVisible() and dialog.phone_note.kind == "error"
    assert "0912123" in dialog.phone_note.text()

    dialog.phone_edit.setFocus()
    dialog.phone_edit.clear()
    type_text("+44 7700 900999")  # international numbers are fine
    press(qtbot, Qt.Key.Key_Tab)
    assert dialog.phone_note.kind == "ok"
    assert "+447700900999" in dialog.phone_note.text()

    dialog.phone_edit.setFocus()
    dialog.phone_edit.clear()
    type_text("0912 123 4567")  # Maryam's: said before the rest of the form is typed
    press(qtbot, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: club.maryam.name in dialog.phone_note.text())
    assert dialog.phone_note.kind == "error"


def test_submit_with_a_bad_phone_writes_nothing(qtbot, dialog: EnrollDialog, club: Club) -> None:
    before = member_count(club)
    dialog.name_edit.setText("Sara Karimi")
    dialog.phone_edit.setText("12345")
    dialog.submit_button.click()
    assert dialog.phone_edit.hasFocus()
    assert dialog.phone_note.kind == "error"
    assert not dialog._busy and dialog.pages.currentIndex() == 0
    assert member_count(club) == before


def test_duplicate_phone_is_refused_with_the_members_name(qtbot, dialog: EnrollDialog, club: Club) -> None:
    before = member_count(club)
    enrolled: list[EnrollResult] = []
    dialog.enrolled.connect(enrolled.append)
    dialog.name_edit.setText("Someone Else")
    dialog.phone_edit.setText("+98 912 123 4567")  # Maryam's number, spelt differently
    with qtbot.waitSignal(dialog.refused) as blocker:
        dialog.submit_button.click()
    assert blocker.args == ["duplicate_phone"]
    assert club.maryam.name in dialog.form_error.text()
    assert dialog.form_error.isVisible()
    assert dialog.phone_edit.hasFocus()
    assert member_count(club) == before
    assert not enrolled and dialog.pages.currentIndex() == 0
    assert dialog.submit_button.isEnabled()  # fix the phone and try again


def test_unknown_referrer_blocks_enrolment(qtbot, dialog: EnrollDialog, club: Club) -> None:
    before = member_count(club)
    dialog.name_edit.setText("Sara Karimi")
    dialog.phone_edit.setText(NEW_PHONE)
    dialog.referrer_edit.setText("09359999999")
    with qtbot.waitSignal(dialog.refused) as blocker:
        dialog.submit_button.click()
    assert blocker.args == ["unknown_referrer"]
    assert dialog.referrer_edit.hasFocus() and dialog.referrer_note.kind == "error"
    assert member_count(club) == before


def test_double_enter_enrolls_once(qtbot, dialog: EnrollDialog, club: Club) -> None:
    before = member_count(club)
    enrolled: list[EnrollResult] = []
    dialog.enrolled.connect(enrolled.append)
    type_text("Sara Karimi")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(NEW_PHONE)
    with qtbot.waitSignal(dialog.enrolled):
        press(qtbot, Qt.Key.Key_Return, 2)  # both before the worker answers
    dialog.on_submit()  # and once more after: nothing happens
    qtbot.waitUntil(lambda: not dialog.ctx.tasks.busy())
    assert len(enrolled) == 1
    assert member_count(club) == before + 1


# ---------------------------------------------------------------------------- birth date


def type_date(qtbot, edit: JalaliDateEdit, parts: tuple[str, str, str]) -> None:
    edit.day.setFocus()
    for index, part in enumerate(parts):
        if index:
            press(qtbot, Qt.Key.Key_Tab)
        type_text(part)
    press(qtbot, Qt.Key.Key_Tab)


@pytest.mark.parametrize("digits", ["persian", "latin"])
def test_jalali_date_in_persian_gives_the_gregorian_date(qtbot, digits: str) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    edit = JalaliDateEdit("fa", host, today=date(2025, 6, 1))
    host.show()
    host.activateWindow()
    qtbot.waitUntil(host.isActiveWindow)
    assert edit.date() is None and edit.is_empty() and edit.is_valid()
    parts = ("۱۱", "۲", "۱۳۶۹") if digits == "persian" else ("11", "2", "1369")
    type_date(qtbot, edit, parts)
    assert edit.date() == date(1990, 5, 1)  # 11 Ordibehesht 1369
    assert edit.month.currentText().startswith("اردیبهشت")
    assert edit.year.text() == "۱۳۶۹" and edit.day.text() == "۱۱"  # Persian digits on screen
    assert "۳۵" in edit.status.text()  # 35 years old on 1 June 2025

    edit.set_language("en")  # the same day in the Gregorian calendar
    assert (edit.year.value(), edit.month.currentIndex(), edit.day.value()) == (1990, 5, 1)
    assert edit.month.currentText().startswith("May")
    edit.set_language("fa")
    assert (edit.year.value(), edit.month.currentIndex(), edit.day.value()) == (1369, 2, 11)


def test_jalali_date_refuses_days_that_do_not_exist(qtbot) -> None:
    edit = JalaliDateEdit("fa", today=date(2025, 6, 1))
    qtbot.addWidget(edit)
    edit.year.setValue(1402)  # not a leap year: Esfand has 29 days
    edit.month.setCurrentIndex(12)
    edit.day.setValue(30)
    assert edit.date() is None and not edit.is_valid()
    assert edit.status.text()
    edit.year.setValue(1403)  # a leap year
    assert edit.date() == date(2025, 3, 20)
    edit.setDate(date(2030, 1, 1))
    assert not edit.is_valid()  # a birth date in the future
    edit.clear()
    assert edit.is_empty() and edit.is_valid()


def test_unfinished_birth_date_blocks_enrolment(qtbot, dialog: EnrollDialog, club: Club) -> None:
    before = member_count(club)
    dialog.name_edit.setText("Sara Karimi")
    dialog.phone_edit.setText(NEW_PHONE)
    dialog.birth_edit.year.setValue(dialog.birth_edit.year.maximum())  # a year, but no month or day
    dialog.submit_button.click()
    assert dialog.form_error.kind == "error"
    assert dialog.birth_edit.day.hasFocus()
    assert member_count(club) == before


# ---------------------------------------------------------------------------- photo


def big_jpeg(path: Path) -> None:
    """A noisy 2400 px photo: several megabytes, far over the 512 KB limit."""
    rng = random.Random(7)
    image = Image.frombytes("RGB", (2400, 1800), rng.randbytes(2400 * 1800 * 3))
    image.save(path, "JPEG", quality=95)


def transparent_png(path: Path) -> None:
    image = Image.new("RGBA", (300, 400), (0, 0, 0, 0))
    image.paste((200, 30, 30, 255), (50, 50, 250, 350))
    image.save(path, "PNG")


@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_photo_from_a_file_is_shrunk_and_stored(
    qtbot, dialog: EnrollDialog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    path = tmp_path / f"photo.{'jpg' if kind == 'jpeg' else 'png'}"
    (big_jpeg if kind == "jpeg" else transparent_png)(path)
    if kind == "jpeg":
        assert path.stat().st_size > MAX_PHOTO_BYTES
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *_args, **_kw: (str(path), "")))

    with qtbot.waitSignal(dialog.photo_loaded) as blocker:
        dialog.photo_button.click()
    assert blocker.args[0] <= MAX_PHOTO_BYTES
    assert not dialog.photo_preview.pixmap().isNull()

    result = fill_and_enroll(qtbot, dialog)
    with dialog.ctx.terminal.db.read() as conn:
        photo = members.photo(conn, result.member.id)
    assert photo is not None and photo[:3] == b"\xff\xd8\xff" and len(photo) <= MAX_PHOTO_BYTES
    with Image.open(io.BytesIO(photo)) as image:
        assert max(image.size) <= 800
        if kind == "png":
            assert image.getpixel((5, 5)) >= (240, 240, 240)  # transparency became white, not black


def test_a_file_that_is_not_a_picture_is_refused(
    qtbot, dialog: EnrollDialog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("not a picture")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *_args, **_kw: (str(path), "")))
    dialog.photo_button.click()
    qtbot.waitUntil(lambda: dialog.photo_note.kind == "error")
    assert dialog._photo is None


def test_photo_to_jpeg_refuses_garbage() -> None:
    with pytest.raises(ValueError):
        photo_to_jpeg(b"\x89PNG but not really")


# ---------------------------------------------------------------------------- QR and card


def test_qr_is_issued_for_a_manager(
    qtbot, dialog: EnrollDialog, club: Club, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = fill_and_enroll(qtbot, dialog)
    dialog.ctx.session.log_in(MANAGER)
    with qtbot.waitSignal(dialog.qr_issued) as blocker:
        press(qtbot, Qt.Key.Key_F6)
    prepared = blocker.args[0]
    assert not dialog.qr_image.pixmap().isNull() and dialog.save_qr_button.isVisible()
    identification = identify_card(club.terminal, prepared.qr_text, None)
    assert identification.verdict.valid and identification.member.id == result.member.id

    target = tmp_path / "qr.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *_args, **_kw: (str(target), "")))
    dialog.save_qr_button.click()
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert dialog.done_note.kind == "ok"


def test_qr_is_refused_for_a_cashier(qtbot, dialog: EnrollDialog) -> None:
    fill_and_enroll(qtbot, dialog)
    dialog.ctx.session.log_in(CASHIER)
    with qtbot.waitSignal(dialog.refused) as blocker:
        press(qtbot, Qt.Key.Key_F6)
    assert blocker.args == ["not_permitted"]
    assert CASHIER.name in dialog.done_note.text() and dialog.done_note.kind == "error"
    assert dialog.qr_image.isHidden()


def test_write_card_only_with_a_card_manager(qtbot, ctx: UiContext, open_dialog) -> None:
    without = open_dialog()
    fill_and_enroll(qtbot, without)
    assert not without.card_button.isVisible()

    with_cards = open_dialog(replace(ctx, cards=CardManager([])))  # never started: no device thread
    result = fill_and_enroll(qtbot, with_cards, phone="09357778899")
    assert with_cards.card_button.isVisible()
    with qtbot.waitSignal(with_cards.card_write_requested) as blocker:
        press(qtbot, Qt.Key.Key_F7)
    assert blocker.args == [result.member.id]


def test_switching_language_keeps_the_birth_date(dialog: EnrollDialog, lang: str) -> None:
    dialog.birth_edit.setDate(date(1990, 5, 1))
    other = "en" if lang == "fa" else "fa"
    dialog.ctx.session.set_language(other)
    assert dialog.birth_edit.language() == other
    assert dialog.birth_edit.date() == date(1990, 5, 1)
    assert dialog.birth_edit.year.value() == (1369 if other == "fa" else 1990)
