# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah report day` through the real command on a real data dir: two cashiers' sales, a partial and a
full return, a redeem and a manager's override, figure by figure, per staff member and for the branch."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import jdatetime
import pytest

from app.domain.digits import to_persian_digits
from app.receipts.escpos import can_shape_persian
from app.receipts.setup import PRINTER_SETTING
from app.services.checkout import SaleRequest, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.identify import find_member
from app.services.spending import SpendOverride
from app.services.terminal import open_terminal
from app.store import club, sync_state
from tests.integration.test_cli import bashgah, ok_json
from tests.support.club import CASHIER, CASHIER_PIN, MANAGER, MANAGER_PIN, make_club
from tests.support.components import missing_component

PHONE = "09121112233"
CUT = b"\x1dV\x00"  # GS V 0: full cut
RASTER = b"\x1dv0"  # GS v 0: a raster image
KIAN = ("--staff", CASHIER.name, "--pin", CASHIER_PIN)
MINA = ("--staff", MANAGER.name, "--pin", MANAGER_PIN)


@pytest.fixture(scope="module")
def day_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("report") / "data"
    terminal = make_club(data_dir)
    enroll_member(terminal, EnrollRequest(name="مریم احمدی", phone=PHONE))
    terminal.db.close()
    ok_json(data_dir, "sale", PHONE, "--amount", "2,500,000", "--invoice", "F-1", *KIAN)  # 25 points
    ok_json(data_dir, "sale", PHONE, "--amount", "1000000", "--invoice", "F-2", *KIAN)  # 10
    ok_json(data_dir, "sale", PHONE, "--amount", "5000000", "--invoice", "F-3", *MINA)  # 50
    # 20 points for 20,000 rials off: 1,980,000 paid earns 19
    ok_json(data_dir, "sale", PHONE, "--amount", "2000000", "--redeem", "20", "--invoice", "F-4", *MINA)
    ok_json(data_dir, "return", "F-1", "--amount", "1000000", *KIAN)  # partial: F-1 stays a purchase
    ok_json(data_dir, "return", "F-2", *MINA)  # in full: F-2 is no purchase, the return is Mina's
    # enrolled and just seen by the server, with no grant: spending offline now needs a manager's override
    # (made through the use case: the command would first try to reach the server)
    terminal = open_terminal(data_dir)
    now = time.time_ns() // 1000
    with terminal.db.write() as conn:
        sync_state.put(conn, sync_state.SERVER_URL, "http://club.test")
        sync_state.note_contact(conn, now, now)
    member = find_member(terminal, PHONE).member
    sale = SaleRequest(
        member.id, 1_000_000, redeem_points=10, invoice_ref="F-5", staff=CASHIER,
        override=SpendOverride(MANAGER, "a regular"),
    )  # fmt: skip
    assert len(record_sale(terminal, sale).entry_ids) == 3  # earn, redeem, override
    terminal.db.close()
    return data_dir


def test_the_day_per_cashier_and_for_the_branch(day_dir):
    report = ok_json(day_dir, "report", "day")
    assert report["date"] == date.today().isoformat()
    staff = {row["name"]: row for row in report["staff"]}
    assert set(staff) == {CASHIER.name, MANAGER.name}
    kian, mina = staff[CASHIER.name], staff[MANAGER.name]
    figures = ("purchases", "net_sales_rials", "points_earned", "points_spent", "returns", "returned_rials")
    assert [kian[f] for f in figures] == [2, 1_500_000 + 1_000_000, 25 + 10 + 9, 10, 1, 1_000_000]
    assert [mina[f] for f in figures] == [2, 5_000_000 + 2_000_000, 50 + 19, 20, 1, 1_000_000]
    assert (kian["overrides"], mina["overrides"]) == (0, 1)
    assert kian["id"] == CASHIER.id and mina["id"] == MANAGER.id
    branch = report["branch"]
    for name, value in branch.items():
        assert value == kian[name] + mina[name], name
    assert (branch["purchases"], branch["net_sales_rials"], branch["reversals"]) == (4, 9_500_000, 0)


def test_the_day_by_its_jalali_date_in_persian_digits(day_dir):
    today = jdatetime.date.fromgregorian(date=date.today())
    jalali = to_persian_digits(f"{today.year}/{today.month:02d}/{today.day:02d}")
    assert ok_json(day_dir, "report", "day", "--date", jalali) == ok_json(day_dir, "report", "day")


def test_a_day_without_entries_is_all_zero(day_dir):
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    report = ok_json(day_dir, "report", "day", "--date", yesterday)
    assert report["staff"] == [] and set(report["branch"].values()) == {0}


def test_text_in_persian_and_english(day_dir):
    persian = bashgah(day_dir, "report", "day", env={"BASHGAH_LANG": "fa"})
    assert persian.returncode == 0, persian.stderr
    assert "جمع شعبه" in persian.stdout and "فروش خالص" in persian.stdout
    assert "۹۵۰٬۰۰۰ تومان" in persian.stdout  # 9,500,000 rials of net sales
    english = bashgah(day_dir, "report", "day")
    assert "Branch total" in english.stdout and CASHIER.name in english.stdout
    assert "950,000 Toman" in english.stdout


def test_a_date_that_is_not_one_is_refused(day_dir):
    result = bashgah(day_dir, "report", "day", "--date", "1404/13/40")
    assert result.returncode == 2 and result.stdout == ""
    assert "is not a date" in result.stderr


def test_a_pdf_of_the_day_in_persian_shaped_text(day_dir, tmp_path):
    for tool in ("pdftotext", "pdffonts"):
        if shutil.which(tool) is None:
            missing_component("poppler-utils", f"{tool} is missing (apt-get install -y poppler-utils)")
    pdf = tmp_path / "day.pdf"
    result = bashgah(day_dir, "report", "day", "--pdf", str(pdf), env={"BASHGAH_LANG": "fa"})
    assert result.returncode == 0, result.stderr
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    # shaped: Qt maps each glyph back to its joined form (Arabic Presentation Forms), which NFKC folds
    # back to the letters; unshaped text would read back as isolated letters or not at all
    assert any("\ufb50" <= ch <= "\ufeff" for ch in text)
    letters = unicodedata.normalize("NFKC", re.sub("[\u202a-\u202e\u2066-\u2069]", "", text))
    assert "جمع شعبه" in letters and "فروش خالص" in letters and CASHIER.name in letters
    assert "۹۵۰٬۰۰۰" in letters and "۱۴۰" in letters  # net sales in Toman; the Jalali year
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert any("Vazirmatn" in line and " yes " in line for line in fonts.splitlines()), fonts


def _set_printer(data_dir: Path, setting: str) -> None:
    terminal = open_terminal(data_dir)
    with terminal.db.write() as conn:
        club.put_setting(conn, PRINTER_SETTING, setting)
    terminal.db.close()


def test_printed_on_the_receipt_printer(day_dir, tmp_path):
    device = tmp_path / "lp0"
    _set_printer(day_dir, f"file:{device}")
    try:
        result = bashgah(day_dir, "report", "day", "--print")
        assert result.returncode == 0, result.stderr
        sent = device.read_bytes()
        assert b"\x1bE\x01\x1ba\x00Net sales          950,000 Toman\n" in sent  # bold, 32 columns
        assert b"Cashier Kian\n" in sent and sent.endswith(CUT)
        if can_shape_persian():
            persian = bashgah(day_dir, "report", "day", "--print", env={"BASHGAH_LANG": "fa"})
            assert persian.returncode == 0, persian.stderr
            assert device.read_bytes().count(RASTER) >= 14 * 3  # every line of every section drawn
    finally:
        _set_printer(day_dir, "none")


def test_without_a_printer_print_is_refused(day_dir):
    result = bashgah(day_dir, "report", "day", "--print")
    assert result.returncode == 2 and "no receipt printer" in result.stderr


def test_a_pdf_path_that_cannot_be_written_is_refused(day_dir, tmp_path):
    result = bashgah(day_dir, "report", "day", "--pdf", str(tmp_path / "missing" / "day.pdf"))
    assert result.returncode == 2 and result.stdout == "" and "day.pdf" in result.stderr
