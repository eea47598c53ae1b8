# SPDX-License-Identifier: GPL-3.0-or-later
"""Any report's `Result` as a file: CSV, XLSX or PDF; and as JSON, for the background jobs to keep.

The three files say the same thing: the report's title, the filters, each table (its title, its columns'
titles, its rows), the definitions of the numbers and the "as of" line (when the aggregates last counted).

- CSV is for machines and Excel: UTF-8 with a byte-order mark (Excel then reads Persian), raw values:
  integers as integers (rials as rials), rates and ratios as decimal fractions, dates ISO 8601. A month
  (the club's Jalali month) is two columns: its label ("Azar 1405") and its first day (ISO).
  In XLSX too: the label as text, then the first day as a real date formatted yyyy-mm-dd.
- XLSX (openpyxl): a sheet per table and one for the definitions, numbers stored as numbers with number
  formats (rials grouped by thousands, rates as percentages, dates as dates), sheets right to left in
  Persian.
- PDF (fpdf2, text shaped by HarfBuzz in Vazirmatn, as sync.server.privacy_pdf): for people, values as the
  back office shows them (Toman, Persian digits, Jalali dates), each table followed by the definitions of
  its numbers; right to left in Persian, first column on the right; a wide table is split into parts that
  each repeat the first column.

`result_to_json` / `result_from_json` keep a Result exactly (Fractions, dates, cells and their drills).
"""

from __future__ import annotations

import csv
import importlib.resources
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, fields
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import jdatetime

from app import format as fmt
from app.domain.digits import to_persian_digits
from sync.server.reports.aggregates import month_label, month_of
from sync.server.reports.table import AsOf, Cell, Chart, Column, Drill, Filters, Kind, Report, Result, Table

FORMATS = ("csv", "xlsx", "pdf")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
DECIMALS = 6  # a rate or ratio in the CSV: 0.333333 (enough for a percentage to a hundredth of a point)
BOM = "\ufeff"

# The files' own words: (English, Persian).
WORDS: dict[str, tuple[str, str]] = {
    "period": ("Period", "بازه"),
    "first_day": ("first day", "روز نخست"),
    "to": ("to", "تا"),
    "branch": ("Branch", "شعبه"),
    "tier": ("Tier", "سطح"),
    "campaign": ("Campaign", "کمپین"),
    "whole_club": ("Whole club", "کل باشگاه"),
    "definitions": ("Definitions", "تعریف‌ها"),
    "term": ("Term", "عنوان"),
    "definition": ("Definition", "تعریف"),
    "as_of": ("As of", "به‌روز تا"),
    "counted_to": ("counted up to server entry", "شمارش تا ردیف سرور"),
    "behind": ("entries not counted yet", "ردیف هنوز شمرده نشده"),
    "not_counted": ("Not counted from the aggregates", "بدون شمارش از جمع‌ها"),
    "rials": ("rials", "ریال"),
    "toman": ("Toman", "تومان"),
    "none": ("none", "هیچ"),
    "made": ("Made", "تهیه‌شده"),
}


def word(key: str, lang: str) -> str:
    english, persian = WORDS[key]
    return persian if lang == "fa" else english


def _pick(pair: tuple[str, str] | None, lang: str) -> str:
    """A definition's text: the pairs are (English, Persian)."""
    if pair is None:
        return ""
    return pair[1] if lang == "fa" else pair[0]


def _title(obj: Report | Table | Column, lang: str) -> str:
    return obj.title_fa if lang == "fa" else obj.title_en


def value_of(item: object) -> Any:
    """A row's item as its plain value (a Cell's value)."""
    return item.value if isinstance(item, Cell) else item


def iso_utc(us: int) -> str:
    return datetime.fromtimestamp(us / 1_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def when_text(us: int, lang: str) -> str:
    """A moment for people: `2026-12-06 11:40 UTC` and its Jalali date in Persian."""
    moment = datetime.fromtimestamp(us / 1_000_000, UTC)
    if lang != "fa":
        return f"{moment:%Y-%m-%d %H:%M} UTC"
    jalali = jdatetime.date.fromgregorian(date=moment.date())
    return to_persian_digits(f"{jalali.year}/{jalali.month:02d}/{jalali.day:02d} {moment:%H:%M} UTC")


def _unit_title(column: Column, lang: str, unit: str) -> str:
    """A rials column's title names its unit (rials in CSV and XLSX, Toman in the PDF), unless it does."""
    title = _title(column, lang)
    if column.kind is not Kind.RIALS:
        return title
    if any(name in title for name in (*WORDS["rials"], *WORDS["toman"], "ریال", "Rials")):
        return title
    return f"{title} ({word(unit, lang)})"


def filter_lines(filters: Filters, lang: str) -> list[tuple[str, str]]:
    """The filters as (label, value) lines; dates ISO in English, Jalali in Persian."""
    first, last = fmt.date_text(filters.first, lang), fmt.date_text(filters.last, lang)
    lines = [(word("period", lang), f"{first} {word('to', lang)} {last}")]
    lines.append((word("branch", lang), filters.branch or word("whole_club", lang)))
    if filters.tier:
        lines.append((word("tier", lang), filters.tier))
    if filters.campaign:
        lines.append((word("campaign", lang), filters.campaign))
    return lines


def as_of_line(as_of: AsOf | None, lang: str) -> str:
    if as_of is None:
        return word("not_counted", lang)
    digits = (lambda n: fmt.number(n, lang)) if lang == "fa" else (lambda n: f"{n:,}")
    text = f"{word('as_of', lang)} {when_text(as_of.counted_at_us, lang)} · "
    text += f"{word('counted_to', lang)} {digits(as_of.server_seq)}"
    if as_of.behind:
        text += f" · {digits(as_of.behind)} {word('behind', lang)}"
    return text


def definitions_used(result: Result, report: Report | None = None) -> list[tuple[str, tuple[str, str]]]:
    """The definitions the result's numbers use: the columns' keys in order of first use, then the rest of
    the result's own (a table of one metric a row names them there). A key the result lacks is looked up in
    the report's definitions."""
    known: dict[str, tuple[str, str]] = {**(report.definitions if report else {}), **result.definitions}
    keys = [c.definition for t in result.tables for c in t.columns if c.definition]
    keys += list(result.definitions)
    seen: dict[str, tuple[str, str]] = {}
    for key in keys:
        if key not in seen and key in known:
            seen[key] = known[key]
    return list(seen.items())


def _term(key: str, result: Result, lang: str) -> str:
    """What a definition defines: the titles of the columns that use it, else its key."""
    titles = [_title(c, lang) for t in result.tables for c in t.columns if c.definition == key]
    return " · ".join(dict.fromkeys(titles)) or key


# ---- CSV ----------------------------------------------------------------------------------------------


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """A text a spreadsheet will not run: one that starts like a formula (a member named "=HYPERLINK(…)")
    gets a leading apostrophe, as OWASP advises against CSV injection."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def raw(value: Any) -> Any:
    """A value as the CSV writes it: integers whole, fractions as decimals, dates ISO, none empty, texts
    inert."""
    if value is None:
        return ""
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, int):
        return int(value) if isinstance(value, bool) else value
    if isinstance(value, Fraction | float):
        return _decimal(value if isinstance(value, Fraction) else Fraction(value).limit_denominator(10**9))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _decimal(value: Fraction) -> str:
    rounded = round(value, DECIMALS)
    text = format(Decimal(rounded.numerator) / Decimal(rounded.denominator), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def to_csv(result: Result, report: Report, filters: Filters, lang: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # Excel's line ends
    writer.writerow([_title(report, lang)])
    for label, value in _raw_filters(filters, lang):
        writer.writerow([label, *value])
    writer.writerow([])
    for table in result.tables:
        writer.writerow([_title(table, lang)])
        writer.writerow([title for c in table.columns for title in _titles(c, lang, "rials")])
        for row in table.rows:
            writer.writerow([
                part for c, item in zip(table.columns, row, strict=False)
                for part in _month_parts(value_of(item), c, lang, raw)
            ])  # fmt: skip
        note = table.note_fa if lang == "fa" else table.note_en
        if note:
            writer.writerow([note])
        writer.writerow([])
    used = definitions_used(result, report)
    if used:
        writer.writerow([word("definitions", lang)])
        for key, pair in used:
            writer.writerow([_term(key, result, lang), _pick(pair, lang)])
        writer.writerow([])
    if result.as_of is None:
        writer.writerow([word("not_counted", lang)])
    else:
        a = result.as_of
        writer.writerow([word("as_of", lang), iso_utc(a.counted_at_us), word("counted_to", lang),
                         a.server_seq, word("behind", lang), a.behind])  # fmt: skip
    return (BOM + out.getvalue()).encode("utf-8")


def _titles(column: Column, lang: str, unit: str) -> list[str]:
    """A column's titles in a file: a month column is two, its label and its first day (ISO)."""
    title = _unit_title(column, lang, unit)
    return [title, f"{title} ({word('first_day', lang)})"] if column.kind is Kind.MONTH else [title]


def _month_parts(value: Any, column: Column, lang: str, other: Callable[[Any], Any]) -> list[Any]:
    """A month (its first day) as the club's month's label and the first day itself; else `other(value)`.
    A Jalali month is no Gregorian one: a date formatted "yyyy-mm" would name the wrong month."""
    if column.kind is not Kind.MONTH:
        return [other(value)]
    if not isinstance(value, date):
        return [other(value), ""]
    return [month_label(month_of(value), lang), other(value)]


def _raw_filters(filters: Filters, lang: str) -> list[tuple[str, list[str]]]:
    lines = [(word("period", lang), [filters.first.isoformat(), filters.last.isoformat()])]
    lines.append((word("branch", lang), [filters.branch or word("whole_club", lang)]))
    if filters.tier:
        lines.append((word("tier", lang), [filters.tier]))
    if filters.campaign:
        lines.append((word("campaign", lang), [filters.campaign]))
    return lines


# ---- XLSX ---------------------------------------------------------------------------------------------

XLSX_FORMATS = {
    Kind.COUNT: "#,##0",
    Kind.RIALS: "#,##0",
    Kind.RATE: "0.0%",
    Kind.RATIO: "0.00",
    Kind.Z: "0.0",
    Kind.DAY: "yyyy-mm-dd",
    # a month's first day, beside its label: "yyyy-mm" would name a Gregorian month, not the Jalali one
    Kind.MONTH: "yyyy-mm-dd",
}
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
SHEET_MAX = 31
HEADER_ROW = 5  # title, filters, as of, a blank line, then the columns


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid sheet name: no []:*?/\\, not starting or ending with an apostrophe, at most 31 characters,
    unique (case-insensitively, as Excel compares them)."""
    base = _SHEET_BAD.sub(" ", title).strip().strip("'").strip() or "Sheet"
    name, n = base[:SHEET_MAX], 1
    while name.lower() in taken:
        n += 1
        suffix = f" ({n})"
        name = base[: SHEET_MAX - len(suffix)].rstrip() + suffix
    taken.add(name.lower())
    return name


def _cell_value(value: Any) -> Any:
    if isinstance(value, Fraction):
        return float(value)
    if isinstance(value, bool):
        return int(value)
    return value


def to_xlsx(result: Result, report: Report, filters: Filters, lang: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    taken: set[str] = set()
    rtl = lang == "fa"
    filters_text = " · ".join(f"{label}: {value}" for label, value in filter_lines(filters, lang))
    bold, big = Font(bold=True), Font(bold=True, size=14)
    wrap = Alignment(wrap_text=True, vertical="top")
    tables = result.tables or [Table("empty", "", "", (), [])]
    for table in tables:
        sheet = book.create_sheet(sheet_name(_title(table, lang) or _title(report, lang), taken))
        sheet.sheet_view.rightToLeft = rtl
        sheet.cell(1, 1, f"{_title(report, lang)} · {_title(table, lang)}".strip(" ·")).font = big
        sheet.cell(2, 1, filters_text)
        sheet.cell(3, 1, as_of_line(result.as_of, lang))
        titles = [t for column in table.columns for t in _titles(column, lang, "rials")]
        for i, title in enumerate(titles, start=1):
            head = sheet.cell(HEADER_ROW, i, title)
            head.font = bold
            head.alignment = Alignment(wrap_text=True, vertical="center")
            sheet.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(title) + 4))
        for r, row in enumerate(table.rows, start=HEADER_ROW + 1):
            i = 1
            for column, item in zip(table.columns, row, strict=False):
                for part in _month_parts(value_of(item), column, lang, _cell_value):
                    cell = sheet.cell(r, i)
                    cell.value = part
                    if isinstance(part, str):
                        cell.data_type = "s"  # a text, never a formula, whatever it starts with
                    number_format = XLSX_FORMATS.get(column.kind)
                    if number_format and not isinstance(cell.value, str):
                        cell.number_format = number_format
                    i += 1
        note = table.note_fa if lang == "fa" else table.note_en
        if note:
            sheet.cell(HEADER_ROW + len(table.rows) + 2, 1, note)
        sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1)
    sheet = book.create_sheet(sheet_name(word("definitions", lang), taken))
    sheet.sheet_view.rightToLeft = rtl
    sheet.cell(1, 1, f"{_title(report, lang)} · {word('definitions', lang)}").font = big
    sheet.cell(2, 1, as_of_line(result.as_of, lang))
    sheet.cell(4, 1, word("term", lang)).font = bold
    sheet.cell(4, 2, word("definition", lang)).font = bold
    sheet.column_dimensions["A"].width = 32
    sheet.column_dimensions["B"].width = 100
    for r, (key, pair) in enumerate(definitions_used(result, report), start=5):
        sheet.cell(r, 1, _term(key, result, lang)).alignment = wrap
        sheet.cell(r, 2, _pick(pair, lang)).alignment = wrap
    book.properties.title = _title(report, lang)
    book.properties.creator = "bashgah-server"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- PDF ----------------------------------------------------------------------------------------------

FONT = "Vazirmatn"
_FONT_FILES = {"": "Vazirmatn-Regular.ttf", "B": "Vazirmatn-Bold.ttf"}
PORTRAIT_MAX_COLUMNS = 5  # more columns: a landscape page
PART_MAX_COLUMNS = 9  # more than this: the table is printed in parts, each repeating its first column
_ISOLATES = re.compile("[\u2066-\u2069]")  # app.format's isolates: HarfBuzz and bidi order runs themselves


def shown(value: Any, kind: Kind, lang: str) -> str:
    """A value as the back office shows it (app.format): Toman, grouped digits, percentages, Jalali dates."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        return _shown_date(value, kind, lang)
    if kind is Kind.RIALS and isinstance(value, int):
        return fmt.toman(value, lang)
    if isinstance(value, int) and kind is not Kind.RATE:
        return fmt.number(value, lang)
    number = Fraction(value) if isinstance(value, int | Fraction) else value
    places = {Kind.RATE: 1, Kind.RATIO: 2, Kind.Z: 1}.get(kind, 2)
    text = f"{float(number * 100 if kind is Kind.RATE else number):,.{places}f}"
    text += "%" if kind is Kind.RATE else ""
    if lang == "fa":
        text = to_persian_digits(text).replace(",", fmt.PERSIAN_GROUP).replace(".", "٫").replace("%", "٪")
    return text


def _shown_date(value: date, kind: Kind, lang: str) -> str:
    """A day as the back office shows it (Jalali in Persian); a month (its first day) as the club's month,
    the Jalali month the aggregates count: "آذر ۱۴۰۵" / "Azar 1405"."""
    if kind is not Kind.MONTH:
        return fmt.date_text(value, lang)
    return month_label(month_of(value), lang)


def _plain(text: str) -> str:
    return _ISOLATES.sub("", text)


def _parts(columns: int) -> Iterator[list[int]]:
    """Column indexes of each part of a table: all of them, or the first column and up to
    PART_MAX_COLUMNS - 1 others a part."""
    if columns <= PART_MAX_COLUMNS:
        yield list(range(columns))
        return
    step = PART_MAX_COLUMNS - 1
    for start in range(1, columns, step):
        yield [0, *range(start, min(columns, start + step))]


class _Pdf:
    """The PDF being written: one column of text, right-aligned in Persian."""

    def __init__(self, orientation: str, lang: str) -> None:
        from fpdf import FPDF

        self.lang = lang
        self.rtl = lang == "fa"
        self.pdf = pdf = FPDF(orientation=orientation, unit="mm", format="A4")
        fonts = importlib.resources.files("app.resources") / "fonts"
        for style, name in _FONT_FILES.items():
            with importlib.resources.as_file(fonts / name) as path:
                pdf.add_font(FONT, style, str(path))
        # HarfBuzz shapes; the bidi algorithm orders the runs of each paragraph. A Persian file's paragraphs
        # are right to left even when they start with a Latin word (a code, a key)
        pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if self.rtl else None)
        pdf.set_auto_page_break(auto=True, margin=14)
        pdf.set_margins(12, 12, 12)
        pdf.set_creator("bashgah-server")
        pdf.add_page()

    def line(self, text: str, size: float, style: str = "", height: float = 6) -> None:
        self.pdf.set_font(FONT, style, size)
        self.pdf.multi_cell(
            self.pdf.epw, height, _plain(text), align="R" if self.rtl else "L", new_x="LMARGIN", new_y="NEXT"
        )

    def table(self, table: Table) -> None:
        """The table's rows, in parts when it is wide; the first column on the right in Persian."""
        from fpdf.enums import TableCellFillMode
        from fpdf.fonts import FontFace

        headings = FontFace(family=FONT, emphasis="BOLD", fill_color=(215, 215, 215))
        text_side = "RIGHT" if self.rtl else "LEFT"
        for part in _parts(len(table.columns)):
            order = list(reversed(part)) if self.rtl else part  # a Persian reader starts on the right
            columns = [table.columns[i] for i in order]
            self.pdf.set_font(FONT, "", 8)
            with self.pdf.table(
                width=self.pdf.epw,
                text_align=tuple(text_side if c.kind is Kind.TEXT else "CENTER" for c in columns),
                headings_style=headings,
                cell_fill_color=(242, 242, 242),
                cell_fill_mode=TableCellFillMode.ROWS,
                line_height=4.5,
                repeat_headings=1,
            ) as grid:
                head = grid.row()
                for column in columns:
                    head.cell(_plain(_unit_title(column, self.lang, "toman")))
                for values in table.rows:
                    row = grid.row()
                    for i, column in zip(order, columns, strict=True):
                        item = values[i] if i < len(values) else None
                        row.cell(_plain(shown(value_of(item), column.kind, self.lang)))
            self.pdf.ln(1)


def to_pdf(result: Result, report: Report, filters: Filters, lang: str) -> bytes:
    widest = max((len(t.columns) for t in result.tables), default=0)
    doc = _Pdf("L" if widest > PORTRAIT_MAX_COLUMNS else "P", lang)
    doc.pdf.set_title(_title(report, lang))
    doc.line(_title(report, lang), 16, "B", 9)
    for label, value in filter_lines(filters, lang):
        doc.line(f"{label}: {value}", 10)
    doc.line(as_of_line(result.as_of, lang), 9)
    used = dict(definitions_used(result, report))
    printed: set[str] = set()
    for table in result.tables:
        doc.pdf.ln(3)
        doc.line(_title(table, lang), 12, "B", 8)
        if table.rows:
            doc.table(table)
        else:
            doc.line(f"— {word('none', lang)} —", 9)
        note = table.note_fa if lang == "fa" else table.note_en
        if note:
            doc.line(note, 8, "", 4.5)
        keys = [c.definition for c in table.columns if c.definition and c.definition in used]
        for key in dict.fromkeys(keys):  # each number's definition, under its table
            doc.line(f"{_term(key, result, lang)}: {_pick(used[key], lang)}", 8, "", 4.5)
            printed.add(key)
    rest = [(k, pair) for k, pair in used.items() if k not in printed]
    if rest:
        doc.pdf.ln(3)
        doc.line(word("definitions", lang), 12, "B", 8)
        for key, pair in rest:
            doc.line(f"{_term(key, result, lang)}: {_pick(pair, lang)}", 8, "", 4.5)
    return bytes(doc.pdf.output())


RENDERERS = {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}


def render(kind: str, result: Result, report: Report, filters: Filters, lang: str) -> bytes:
    """The result as a file of `kind` (csv | xlsx | pdf)."""
    return RENDERERS[kind](result, report, filters, lang)


def filename(report: Report, filters: Filters, kind: str) -> str:
    """A safe ASCII file name: the report's code and the period, e.g. `overview-2026-12-01-2026-12-06.csv`."""
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", report.code).strip("-") or "report"
    return f"{code}-{filters.first.isoformat()}-{filters.last.isoformat()}.{kind}"


# ---- JSON ---------------------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return {"f": value}  # kept apart from an int that happens to be whole
    if isinstance(value, Fraction):
        return {"q": [value.numerator, value.denominator]}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Cell):
        return {"c": _encode(value.value), "drill": None if value.drill is None else _drill_json(value.drill)}
    raise TypeError(f"a report cannot hold {type(value).__name__}: {value!r}")


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "q" in value:
        return Fraction(*value["q"])
    if "f" in value:
        return float(value["f"])
    if "d" in value:
        return date.fromisoformat(value["d"])
    if "c" in value:
        drill = value.get("drill")
        return Cell(_decode(value["c"]), None if drill is None else _drill_from(drill))
    raise ValueError(f"not a report value: {value!r}")


def _drill_json(drill: Drill) -> dict[str, Any]:
    data = asdict(drill)
    for key in ("first", "last"):
        if data[key] is not None:
            data[key] = data[key].isoformat()
    for key in ("kinds", "entry_ids", "member_ids"):
        data[key] = list(data[key])
    return data


def _drill_from(data: Mapping[str, Any]) -> Drill:
    known = {f.name for f in fields(Drill)}
    values = {k: v for k, v in data.items() if k in known}
    for key in ("first", "last"):
        if values.get(key) is not None:
            values[key] = date.fromisoformat(values[key])
    for key in ("kinds", "entry_ids", "member_ids"):
        values[key] = tuple(values.get(key) or ())
    return Drill(**values)


def result_to_json(result: Result) -> str:
    tables = [
        {
            "code": t.code, "title_fa": t.title_fa, "title_en": t.title_en,
            "columns": [
                {"key": c.key, "title_fa": c.title_fa, "title_en": c.title_en, "kind": c.kind.value,
                 "definition": c.definition}
                for c in t.columns
            ],
            "rows": [[_encode(item) for item in row] for row in t.rows],
            "chart": None if t.chart is None else {"kind": t.chart.kind, "x": t.chart.x,
                                                   "y": list(t.chart.y)},
            "note_fa": t.note_fa, "note_en": t.note_en,
        }
        for t in result.tables
    ]  # fmt: skip
    as_of = None if result.as_of is None else asdict(result.as_of)
    definitions = {k: list(v) for k, v in result.definitions.items()}
    return json.dumps({"tables": tables, "as_of": as_of, "definitions": definitions}, ensure_ascii=False)


def result_from_json(text: str) -> Result:
    data = json.loads(text)
    tables = [
        Table(
            code=t["code"], title_fa=t["title_fa"], title_en=t["title_en"],
            columns=tuple(
                Column(c["key"], c["title_fa"], c["title_en"], Kind(c["kind"]), c.get("definition"))
                for c in t["columns"]
            ),
            rows=[tuple(_decode(item) for item in row) for row in t["rows"]],
            chart=None if t.get("chart") is None else Chart(t["chart"]["kind"], t["chart"]["x"],
                                                             tuple(t["chart"]["y"])),
            note_fa=t.get("note_fa", ""), note_en=t.get("note_en", ""),
        )
        for t in data["tables"]
    ]  # fmt: skip
    as_of = None if data.get("as_of") is None else AsOf(**data["as_of"])
    definitions = {k: (v[0], v[1]) for k, v in data.get("definitions", {}).items()}
    return Result(tables, as_of, definitions)
