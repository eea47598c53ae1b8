# SPDX-License-Identifier: GPL-3.0-or-later
"""The receipt: the screen ("150 points added" in the language's digits, the new balance, the QR), the
bytes an ESC/POS printer receives (python-escpos' Dummy and a real device file) and the PDF."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from escpos.printer import Dummy, File, Network
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest

from app.domain.digits import to_persian_digits
from app.format import number, points_text, toman_text
from app.receipts import escpos as receipt_escpos
from app.receipts.content import SaleContext, build_receipt
from app.receipts.escpos import (
    PrinterSettingError,
    paper_width,
    print_receipt,
    print_to_setting,
    printable_language,
    printer_from_setting,
)
from app.receipts.qr import qr_png
from app.receipts.setup import PRINTER_SETTING
from app.services.checkout import SaleRequest, record_sale
from app.store import club as club_store
from app.ui.views.receipt import ReceiptView
from tests.support.club import CASHIER
from tests.support.components import missing_component

BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069"))
QR_MODEL = b"\x1d(k\x04\x001A2\x00"  # GS ( k: select QR model 2
QR_PRINT = b"\x1d(k\x03\x001Q0"  # GS ( k: print the stored symbol
RASTER = b"\x1dv0"  # GS v 0: a raster image
BOLD_ON = b"\x1bE\x01"
ALIGN_LEFT = b"\x1ba\x00"
CUT = b"\x1dV\x00"  # GS V 0: full cut


def plain(text: str) -> str:
    return text.translate(BIDI_MARKS)


def set_printer(terminal, value: str) -> None:
    with terminal.db.write() as conn:
        club_store.put_setting(conn, PRINTER_SETTING, value)


@pytest.fixture
def sale(club):
    """Maryam spends 120 of her 520 points on a 250,000 Toman sale."""
    request = SaleRequest(club.maryam.id, 2_500_000, redeem_points=120, staff=CASHIER)
    return record_sale(club.terminal, request)


@pytest.fixture
def view(qtbot, ctx):
    ctx.session.log_in(CASHIER)
    widget = ReceiptView(ctx)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not ctx.tasks.busy())


def shown(qtbot, ctx, view, sale, member):
    view.show_sale(sale, member)
    qtbot.waitUntil(lambda: not ctx.tasks.busy())  # club, branch and printer setting read on the worker


@pytest.fixture
def showing(qtbot, ctx, view, sale, club):
    """The receipt view showing Maryam's sale, its setup read."""
    shown(qtbot, ctx, view, sale, club.maryam)
    return sale


# ---------------------------------------------------------------------------------------------- screen


def test_points_added_and_new_balance_in_the_languages_digits(view, showing, club, lang):
    sale = showing
    headline = plain(view.headline_label.text())
    assert number(23, lang) in headline
    if lang == "en":
        assert headline == "23 points added"
    else:
        assert "23" not in headline
    assert plain(points_text(sale.balance.points, lang)) in plain(view.balance_label.text())
    assert plain(toman_text(2_380_000, lang)) in plain(view.paid_label.text())
    assert plain(toman_text(120_000, lang)) in plain(view.spent_label.text())
    assert sale.invoice_ref in plain(view.invoice_label.text())
    assert club.maryam.name == plain(view.member_label.text())
    assert not view.note_label.isVisible()


def test_the_qr_code_holds_the_sale_id(view, showing):
    sale = showing
    pixmap = view.qr_label.pixmap()
    assert not pixmap.isNull()
    expected = QImage.fromData(qr_png(sale.sale_id, box_size=8)).convertToFormat(QImage.Format.Format_RGB32)
    assert pixmap.toImage().convertToFormat(QImage.Format.Format_RGB32) == expected


def test_a_sale_without_points_and_without_a_member(qtbot, ctx, view, club):
    small = record_sale(club.terminal, SaleRequest(club.john.id, 50_000))  # 5,000 Toman: no points
    shown(qtbot, ctx, view, small, None)
    assert not view.member_label.isVisible() and not view.spent_label.isVisible()
    assert view.receipt("en").headline == "Sale recorded"


def test_enter_and_escape_are_done(qtbot, view, showing):
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Escape):
        with qtbot.waitSignal(view.done):
            QTest.keyClick(view, key)


def test_without_a_printer_the_print_button_says_so(ctx, view, showing):
    assert not view.print_button.isEnabled()
    if ctx.session.lang == "en":
        assert view.print_button.text() == "No printer configured"
    QTest.keyClick(view, Qt.Key.Key_F6)
    assert PRINTER_SETTING in view.status_label.text()
    assert not ctx.tasks.busy()


def test_f6_prints_to_the_configured_printer(qtbot, view, sale, club, lang):
    set_printer(club.terminal, "dummy")
    printers: list[Dummy] = []

    def make(setting):
        printers.append(printer_from_setting(setting))
        return printers[-1]

    view.make_printer = make
    shown(qtbot, view.ctx, view, sale, club.maryam)
    assert view.print_button.isEnabled()
    with qtbot.waitSignal(view.printed, timeout=10_000):
        QTest.keyClick(view, Qt.Key.Key_F6)
    output = printers[0].output
    assert QR_MODEL in output and sale.sale_id.encode() in output and output.endswith(CUT)
    if printable_language(lang) == "en":
        assert b"Total paid         238,000 Toman" in output
    else:
        assert RASTER in output and b"Total paid" not in output


def test_a_printer_that_cannot_be_reached_is_reported(qtbot, view, sale, club, tmp_path):
    set_printer(club.terminal, f"file:{tmp_path / 'no-such-dir' / 'lp0'}")
    shown(qtbot, view.ctx, view, sale, club.maryam)
    QTest.keyClick(view, Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: not view.ctx.tasks.busy())
    assert "F6" in view.status_label.text()  # "… then press F6 again"


def test_f7_saves_a_pdf(qtbot, view, showing, tmp_path):
    with qtbot.waitSignal(view.pdf_saved) as blocker:
        view.save_pdf(tmp_path / "receipt.pdf")
    data = (tmp_path / "receipt.pdf").read_bytes()
    assert blocker.args == [str(tmp_path / "receipt.pdf")]
    assert data.startswith(b"%PDF") and len(data) > 1024
    if shutil.which("pdftoppm"):
        command = ["pdftoppm", "-png", "-r", "72", "-singlefile", str(tmp_path / "receipt.pdf")]
        subprocess.run([*command, str(tmp_path / "page")], check=True)
        page = QImage(str(tmp_path / "page.png"))
        assert page.width() > 100 and page.height() > page.width()  # a till roll: tall and narrow
        white = QColor("white").rgb()
        assert any(page.pixel(x, y) != white for x in range(page.width()) for y in range(0, page.height(), 7))


# ---------------------------------------------------------------------------------------------- escpos


@pytest.fixture
def place():
    return SaleContext("باشگاه", "Bashgah", "شعبه مرکزی", "Central", 1_722_600_000_000_000)


def test_dummy_printer_gets_english_text_bold_total_qr_and_cut(sale, club, place):
    printer = printer_from_setting("dummy")
    print_receipt(printer, build_receipt(sale, club.maryam, place, CASHIER.name, "en"))
    out = printer.output
    assert b"Amount             250,000 Toman\n" in out
    assert b"Discount            12,000 Toman\n" in out
    assert BOLD_ON + ALIGN_LEFT + b"Total paid         238,000 Toman\n" in out
    assert BOLD_ON + ALIGN_LEFT + b"New balance           423 points\n" in out
    assert b"23 points added\n" in out
    store = b"\x1d(k" + bytes([len(sale.sale_id) + 3, 0]) + b"1P0" + sale.sale_id.encode()
    assert QR_MODEL in out and store in out and QR_PRINT in out
    assert out.index(QR_PRINT) < out.index(b"Thank you for your purchase") and out.endswith(CUT)
    if printable_language("fa") == "fa":
        assert RASTER in out  # the Persian name on the English receipt is drawn, not garbled


def test_dummy_printer_gets_persian_as_raster_lines(sale, club, place):
    if not receipt_escpos.can_shape_persian():
        missing_component("Persian text shaping (libraqm / libfribidi0)", "Pillow has no Raqm layout here")
    printer = printer_from_setting("dummy")
    print_receipt(printer, build_receipt(sale, club.maryam, place, CASHIER.name, "fa"))
    out = printer.output
    assert out.count(RASTER) >= 10  # headline, every line, the thanks
    assert sale.sale_id.encode() in out and QR_PRINT in out
    assert to_persian_digits("238").encode() not in out  # no Persian text sent as characters


def test_without_persian_shaping_the_receipt_is_printed_in_english(monkeypatch, sale, club, place):
    monkeypatch.setattr(receipt_escpos, "can_shape_persian", lambda: False)
    assert printable_language("fa") == "en" and printable_language("en") == "en"
    printer = printer_from_setting("dummy")
    print_receipt(printer, build_receipt(sale, club.maryam, place, CASHIER.name, "en"))
    assert RASTER not in printer.output and b"Member" not in printer.output  # the name is left out


def test_a_device_file_printer_receives_the_bytes(sale, club, place, tmp_path):
    device = tmp_path / "lp0"
    print_to_setting(f"file:{device}", build_receipt(sale, club.maryam, place, None, "en"))
    assert b"238,000 Toman" in device.read_bytes() and CUT in device.read_bytes()


@pytest.mark.parametrize(
    ("setting", "kind", "details"),
    [
        ("dummy", Dummy, {}),
        ("file:/dev/usb/lp0", File, {"devfile": "/dev/usb/lp0"}),
        ("network:192.168.1.50", Network, {"host": "192.168.1.50", "port": 9100}),
        ("network:printer.local:9200?width=576", Network, {"host": "printer.local", "port": 9200}),
        ("network:[fe80::1]:9101", Network, {"host": "fe80::1", "port": 9101}),
    ],
)
def test_printer_settings(setting, kind, details):
    printer = printer_from_setting(setting)
    assert isinstance(printer, kind)
    assert all(getattr(printer, key) == value for key, value in details.items())
    assert paper_width(printer) == (576 if "width=576" in setting else 384)


@pytest.mark.parametrize("setting", [None, "", "  ", "none", "NONE"])
def test_no_printer_setting_means_no_printer(setting):
    assert printer_from_setting(setting) is None


@pytest.mark.parametrize(
    "setting", ["usb:04b8:0202", "file:", "network:", "network:host:port", "network:h:70000", "dummy?width=5"]
)
def test_a_wrong_printer_setting_is_refused(setting):
    with pytest.raises(PrinterSettingError):
        printer_from_setting(setting)


def test_profiles_are_not_shared_between_printers():
    wide, narrow = printer_from_setting("dummy?width=576"), printer_from_setting("dummy")
    assert (paper_width(wide), paper_width(narrow), paper_width(Dummy())) == (576, 384, 384)
