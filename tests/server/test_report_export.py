# SPDX-License-Identifier: GPL-3.0-or-later
"""A report's Result as CSV, XLSX and PDF, read back with the csv module, openpyxl and poppler's pdftotext;
and as JSON, kept exactly (Fractions, dates, cells and their drills)."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from sync.server.club.access import Permission
from sync.server.reports import export
from sync.server.reports.table import AsOf, Cell, Chart, Column, Drill, Filters, Kind, Report, Result, Table
from tests.support.components import missing_component

DEFINITIONS = {
    "members_active": (
        "Members with at least one purchase in the period.",
        "اعضایی که در بازه دست‌کم یک خرید داشته‌اند.",
    ),
    "net_sales_rials": ("The purchases' sale amounts net of partial returns.", "مبلغ خریدها منهای مرجوعی‌ها."),
    "engagement_rate": ("Engaged members divided by members_total.", "اعضای درگیر تقسیم بر کل اعضا."),
    "note_only": ("A definition no column names.", "تعریفی که هیچ ستونی به آن اشاره نمی‌کند."),
}
COLUMNS = (
    Column("branch", "شعبه", "Branch", Kind.TEXT),
    Column("active", "اعضای فعال", "Active members", Kind.COUNT, "members_active"),
    Column("sales", "فروش خالص", "Net sales", Kind.RIALS, "net_sales_rials"),
    Column("rate", "نرخ مشارکت", "Engagement rate", Kind.RATE, "engagement_rate"),
    Column("frequency", "دفعات خرید", "Purchase frequency", Kind.RATIO),
    Column("day", "روز", "Day", Kind.DAY),
    Column("month", "ماه", "Month", Kind.MONTH),
    Column("z", "نمره", "Robust z", Kind.Z),
)
DRILL = Drill("members", first=date(2026, 12, 1), last=date(2026, 12, 6), branch="THR", named="active",
              kinds=("earn", "redeem"), member_ids=("m1", "m2"))  # fmt: skip
ROWS = [
    ("تهران", Cell(12, DRILL), 15_000_000, Fraction(1, 3), Fraction(7, 4), date(2026, 12, 1),
     date(2026, 11, 1), -2.5),
    ("Isfahan", 3, Cell(-25, None), Fraction(1, 4), Fraction(0), None, date(2026, 12, 1), Fraction(31, 10)),
]  # fmt: skip
TABLE = Table("by_branch", "مقایسه شعبه‌ها", "Branches compared", COLUMNS, ROWS,
              Chart("bar", "branch", ("active",)), note_fa="فقط شعبه‌های باز.",
              note_en="Open branches only.")  # fmt: skip
SECOND = Table("empty", "جدول خالی", "An empty table", (Column("n", "تعداد", "Count"),), [])
AS_OF = AsOf(counted_at_us=1_765_000_000_000_000, server_seq=1_234, behind=5)
RESULT = Result([TABLE, SECOND], AS_OF, DEFINITIONS)
REPORT = Report("overview", "نمای کلی باشگاه", "Club overview", lambda call, f: RESULT, DEFINITIONS,
                Permission.READ)  # fmt: skip
FILTERS = Filters(date(2026, 12, 1), date(2026, 12, 6), "THR", "silver", "yalda")


def test_json_keeps_a_result_exactly():
    text = export.result_to_json(RESULT)
    back = export.result_from_json(text)
    assert back == RESULT
    cell = back.tables[0].rows[0][1]
    assert isinstance(cell, Cell) and cell.drill == DRILL and isinstance(cell.drill.kinds, tuple)
    assert isinstance(back.tables[0].rows[0][3], Fraction) and isinstance(back.tables[0].rows[0][7], float)
    assert isinstance(back.tables[0].rows[1][7], Fraction)
    assert export.result_from_json(export.result_to_json(Result([]))) == Result([])


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())  # Excel reads UTF-8 (and Persian) only after a BOM
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_csv_read_back_is_the_result(lang: str):
    rows = _csv_rows(export.to_csv(RESULT, REPORT, FILTERS, lang))
    fa = lang == "fa"
    assert rows[0] == ["نمای کلی باشگاه" if fa else "Club overview"]
    assert rows[1] == ["بازه" if fa else "Period", "2026-12-01", "2026-12-06"]
    assert rows[2] == ["شعبه" if fa else "Branch", "THR"]
    assert rows[3][1:] == ["silver"] and rows[4][1:] == ["yalda"]
    start = rows.index(["مقایسه شعبه‌ها" if fa else "Branches compared"])
    header = rows[start + 1]
    assert header[2] == ("فروش خالص (ریال)" if fa else "Net sales (rials)")  # raw rials, said so
    # a month is two columns: the club's (Jalali) month's label, then its first day (ISO)
    assert len(header) == len(COLUMNS) + 1
    assert header[6:8] == (["ماه", "ماه (روز نخست)"] if fa else ["Month", "Month (first day)"])
    body = rows[start + 2 : start + 4]
    assert [r[6] for r in body] == (["آبان ۱۴۰۵", "آذر ۱۴۰۵"] if fa else ["Aban 1405", "Azar 1405"])
    for written, row in zip(body, ROWS, strict=True):
        written = written[:6] + written[7:]  # noqa: PLW2901 -- the label aside, one value a column
        assert len(written) == len(row)
        for text, item, column in zip(written, row, COLUMNS, strict=True):
            value = item.value if isinstance(item, Cell) else item
            if value is None:
                assert text == ""
            elif column.kind in (Kind.COUNT, Kind.RIALS):
                assert int(text) == value  # integers as integers: 15000000, no grouping
            elif column.kind in (Kind.RATE, Kind.RATIO, Kind.Z):
                assert abs(Fraction(text) - Fraction(value)) < Fraction(1, 10**6)  # decimal fractions
            elif column.kind in (Kind.DAY, Kind.MONTH):
                assert date.fromisoformat(text) == value
            else:
                assert text == value
    assert body[0][3] == "0.333333" and body[0][2] == "15000000" and body[1][4] == "0"
    assert rows[start + 4] == ["فقط شعبه‌های باز." if fa else "Open branches only."]
    empty = rows.index(["جدول خالی" if fa else "An empty table"])
    assert rows[empty + 1] == ["تعداد" if fa else "Count"] and rows[empty + 2] == []
    defs = rows.index(["تعریف‌ها" if fa else "Definitions"])
    pick = 1 if fa else 0
    assert rows[defs + 1] == ["اعضای فعال" if fa else "Active members", DEFINITIONS["members_active"][pick]]
    assert rows[defs + 4] == ["note_only", DEFINITIONS["note_only"][pick]]  # a definition no column names
    as_of = rows[-1]
    assert as_of[1] == "2025-12-06T05:46:40Z" and as_of[3] == "1234" and as_of[5] == "5"


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_xlsx_read_back(lang: str):
    book = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(RESULT, REPORT, FILTERS, lang)))
    fa = lang == "fa"
    assert book.sheetnames == (
        ["مقایسه شعبه‌ها", "جدول خالی", "تعریف‌ها"]
        if fa
        else ["Branches compared", "An empty table", "Definitions"]
    )
    assert all(sheet.sheet_view.rightToLeft is (True if fa else None) or
               bool(sheet.sheet_view.rightToLeft) is fa for sheet in book)  # fmt: skip
    sheet = book.worksheets[0]
    assert sheet["A1"].value == (
        "نمای کلی باشگاه · مقایسه شعبه‌ها" if fa else "Club overview · Branches compared"
    )
    assert ("THR" in sheet["A2"].value) and ("1,234" in sheet["A3"].value or "۱٬۲۳۴" in sheet["A3"].value)
    header = [c.value for c in sheet[export.HEADER_ROW]]
    assert header[1] == ("اعضای فعال" if fa else "Active members") and all(
        c.font.b for c in sheet[export.HEADER_ROW]
    )
    first = sheet[export.HEADER_ROW + 1]
    assert first[0].value == "تهران"
    assert first[1].value == 12 and first[1].number_format == "#,##0"
    assert first[2].value == 15_000_000 and first[2].number_format == "#,##0"  # rials, grouped by thousands
    assert first[3].value == pytest.approx(1 / 3) and first[3].number_format == "0.0%"
    assert first[4].value == 1.75 and first[4].number_format == "0.00"
    assert (
        first[5].value == datetime(2026, 12, 1)
        and first[5].is_date
        and first[5].number_format == "yyyy-mm-dd"
    )
    # the club's month: its label as text, then its first day, a real date that names no Gregorian month
    assert first[6].value == ("آبان ۱۴۰۵" if fa else "Aban 1405")
    assert header[6:8] == (["ماه", "ماه (روز نخست)"] if fa else ["Month", "Month (first day)"])
    assert first[7].value == datetime(2026, 11, 1) and first[7].number_format == "yyyy-mm-dd"
    assert first[8].value == -2.5
    second = sheet[export.HEADER_ROW + 2]
    assert second[2].value == -25 and second[5].value is None and second[8].value == pytest.approx(3.1)
    assert second[6].value == ("آذر ۱۴۰۵" if fa else "Azar 1405")
    definitions = book.worksheets[-1]
    texts = {definitions.cell(r, 2).value for r in range(5, 9)}
    assert texts == {pair[1 if fa else 0] for pair in DEFINITIONS.values()}


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    names = [
        export.sheet_name(t, taken) for t in ("a/b:c*d?[e]\\f", "x" * 40, "x" * 40, "'quoted'", "", "A", "a")
    ]
    assert names[0] == "a b c d  e  f"
    assert len(names[1]) == 31 and len(names[2]) == 31 and names[1] != names[2] and names[2].endswith("(2)")
    assert names[3] == "quoted" and names[4] == "Sheet" and names[5] == "A" and names[6] == "a (2)"
    assert all(not re.search(r"[\[\]:*?/\\]", n) and len(n) <= 31 for n in names)


def _pdf_text(tmp_path: Path, body: bytes, *options: str) -> str:
    if shutil.which("pdftotext") is None:
        missing_component("poppler-utils", "pdftotext is missing (apt-get install -y poppler-utils)")
    path = tmp_path / "report.pdf"
    path.write_bytes(body)
    text = subprocess.run(
        ["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)  # bidi marks aside


def test_the_pdf_in_persian_reads_back_shaped_and_in_order(tmp_path: Path):
    body = export.to_pdf(RESULT, REPORT, FILTERS, "fa")
    assert body.startswith(b"%PDF-")
    text = _pdf_text(tmp_path, body)
    # shaped into real text: the words read back letter for letter, in logical order
    assert "نمای کلی باشگاه" in text
    assert "اعضای فعال" in text and "نرخ مشارکت" in text
    assert "اعضایی که در بازه دست‌کم یک خرید داشته‌اند" in text.replace("\u200c", "\u200c")
    assert "تعریفی که هیچ ستونی به آن اشاره نمی‌کند" in text
    # values as the back office shows them: Toman, Persian digits, a percentage, a Jalali day
    assert "۱٬۵۰۰٬۰۰۰" in text and "۳۳٫۳٪" in text and "۱۴۰۵/۰۹/۱۰" in text
    lines = [line.strip() for line in _pdf_text(tmp_path, body, "-layout").splitlines() if line.strip()]
    # each definition is printed under its table, before the next table's title
    definition = next(i for i, line in enumerate(lines) if "دست‌کم یک خرید" in line)
    empty = next(i for i, line in enumerate(lines) if "جدول خالی" in line)
    assert definition < empty
    # right to left: the first column (the branch) is the rightmost of the header
    header = next(line for line in lines if "اعضای فعال" in line and "روز" in line)
    assert header.rstrip().endswith("شعبه")


def test_the_pdf_in_english_and_a_wide_table_in_parts(tmp_path: Path):
    wide = Table("wide", "پهن", "Wide", tuple(Column(f"c{i}", f"ستون {i}", f"Col{i}") for i in range(20)),
                 [tuple(range(100, 120))])  # fmt: skip
    body = export.to_pdf(Result([wide], None, {}), REPORT, FILTERS, "en")
    text = _pdf_text(tmp_path, body)
    assert "Club overview" in text and "Not counted from the aggregates" in text
    assert all(f"Col{i}" in text for i in range(20))
    assert text.count("Col0") == 3  # 20 columns in three parts, each repeating the first
    info = subprocess.run(["pdfinfo", "-"], input=body, capture_output=True, check=True).stdout.decode()
    assert re.search(r"Page size:\s+841\.\d+ x 595\.\d+ pts", info), info  # landscape for a wide table


def test_file_names_are_ascii():
    assert export.filename(REPORT, FILTERS, "xlsx") == "overview-2026-12-01-2026-12-06.xlsx"
    persian = Report("گزارش/ها", "x", "x", REPORT.build, {}, Permission.READ)
    assert export.filename(persian, FILTERS, "csv") == "report-2026-12-01-2026-12-06.csv"


def test_a_text_that_starts_like_a_formula_stays_a_text():
    """CSV/formula injection (OWASP): a member named "=HYPERLINK(…)" is written as text in both files;
    a negative number stays a number."""
    hostile = '=HYPERLINK("http://evil.example","click")'
    table = Table("names", "نام‌ها", "Names", (Column("name", "نام", "Name", Kind.TEXT),
                                              Column("points", "امتیاز", "Points", Kind.COUNT)),
                  [(hostile, -5), ("+98 912", Fraction(-1, 2)), ("@sum", 3)])  # fmt: skip
    found = Result([table])
    filters = Filters(date(2026, 12, 1), date(2026, 12, 6))
    rows = list(csv.reader(io.StringIO(export.to_csv(found, REPORT, filters, "en").decode("utf-8-sig"))))
    written = [row for row in rows if row and row[0].startswith("'")]
    assert [row[0] for row in written] == ["'" + hostile, "'+98 912", "'@sum"]
    assert [row[1] for row in written] == ["-5", "-0.5", "3"]
    sheet = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(found, REPORT, filters, "en"))).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == hostile]
    assert len(cells) == 1 and cells[0].data_type == "s"
    assert sheet.cell(cells[0].row, cells[0].column + 1).value == -5
