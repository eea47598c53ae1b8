# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah report day`: the branch's own day report, offline, from the terminal's ledger.

On screen (text in the user's language, or `--json`), and optionally as a PDF (`--pdf FILE`) or on the
receipt printer (`--print`). The date is the local date, Jalali or Gregorian, in either digits.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from app.cli.output import Output, iso_utc, terminal_from_args
from app.domain.digits import to_latin_digits
from app.domain.errors import ClubError

if TYPE_CHECKING:
    from app.receipts.day_report import DayReportContent
    from app.services.day_report import BranchDay
    from app.services.terminal import Terminal

def add_report_commands(sub: Any, add: Callable[..., Any]) -> None:
    report = sub.add_parser("report", help="reports").add_subparsers(dest="report_command", required=True)
    day = add("day", cmd_report_day, "the branch's day report from this terminal's ledger", report)
    day.add_argument("--date", help="the local date, YYYY-MM-DD or Jalali YYYY/MM/DD (default: today)")
    day.add_argument("--pdf", metavar="FILE", help="also write the report to this PDF file")
    day.add_argument("--print", action="store_true", help="also print it on the terminal's receipt printer")


def parse_day(text: str | None) -> date | None:
    """A date as people type it (app.format.parse_day: Gregorian or Jalali by the year, Persian digits
    welcome); None is today; anything else is refused."""
    if text is None:
        return None
    from app.format import parse_day as typed_day  # jdatetime only when a date is given

    day = typed_day(text)
    if day is None:
        raise ClubError("invalid_report_date", date=text)
    return day


def cmd_report_day(args: argparse.Namespace, out: Output) -> int:
    from app.receipts.day_report import build_day_report, day_text
    from app.services.day_report import branch_day_report

    terminal = terminal_from_args(args)
    day = branch_day_report(terminal, parse_day(args.date))
    content = build_day_report(day, out.lang)
    if args.print:
        _print(terminal, day, out.lang)
    if args.pdf:
        _write_pdf(content, args.pdf)
    staff = sorted(
        day.report.by_staff.items(), key=lambda item: (item[0] is None, day.staff_name(item[0]) or "")
    )
    data = {
        "date": day.day.isoformat(),
        "date_jalali": to_latin_digits(day_text(day, "fa")),
        "from": iso_utc(day.start_us),
        "to": iso_utc(day.end_us),
        "branch_id": day.branch.id,
        "branch": day.report.branch.as_dict(),
        "staff": [
            {"id": staff_id, "name": day.staff_name(staff_id), **figures.as_dict()}
            for staff_id, figures in staff
        ],
    }
    out.emit(data, content.text_lines())
    return 0


def _print(terminal: Terminal, day: BranchDay, lang: str) -> None:
    """On the receipt printer, in the language it can draw (app.receipts.escpos.printable_language)."""
    from escpos.exceptions import Error as EscposError

    from app.receipts.day_report import build_day_report
    from app.receipts.escpos import PrinterSettingError, print_report_to_setting, printable_language
    from app.receipts.setup import configured_printer

    setting = configured_printer(terminal)
    if setting is None:
        raise ClubError("no_printer")
    try:
        print_report_to_setting(setting, build_day_report(day, printable_language(lang)))
    except PrinterSettingError:
        raise ClubError("printer_setting_invalid", setting=setting) from None
    except (EscposError, OSError) as error:
        raise ClubError("printer_unreachable", setting=setting, detail=str(error)) from None


def _write_pdf(content: DayReportContent, path: str) -> None:
    """Through the window's PDF machinery (QTextDocument shapes Persian), on Qt's offscreen platform: a
    PDF needs no display."""
    with open(path, "wb"):  # a path that cannot be written is refused here, clearly (Qt would only warn)
        pass
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QFont, QGuiApplication

    from app.ui.i18n import install_fonts
    from app.ui.receipt_pdf import write_day_report_pdf

    app = QGuiApplication.instance() or QGuiApplication(["bashgah"])
    family = install_fonts(app)  # type: ignore[arg-type]
    write_day_report_pdf(content, path, QFont(family) if family else None)
