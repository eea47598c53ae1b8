# SPDX-License-Identifier: GPL-3.0-or-later
"""The printer's test page, in Persian and English, and why a printer did not print, in plain words.

The page is a `Receipt` printed by app.receipts.escpos.print_receipt, the very path a sale's receipt takes:
the club's and branch's names in both languages, today's date (Jalali in Persian digits, and Gregorian),
a line of Persian drawn as a raster image (so a page that shows it proves receipts will show Persian),
the `receipt_printer` setting, and a QR code. Where Pillow cannot shape Persian the Persian rows are left
out, as on receipts, and the English ones still print.

`printer_problem` turns what python-escpos or the operating system raised into a ClubError whose message
(app.messages) says what to do: no paper, a USB device file this user may not write, no device there, a
network printer that does not answer.
"""

from __future__ import annotations

import contextlib
import errno
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from app.domain.errors import ClubError
from app.receipts.content import Receipt, ReceiptLine, SaleContext, moment
from app.receipts.escpos import PrinterSettingError, print_receipt, printer_from_setting

if TYPE_CHECKING:
    from escpos.escpos import Escpos

    from app.services.terminal import Terminal

TITLE = ("Printer test page", "صفحهٔ آزمایش چاپگر")
PERSIAN_SAMPLE = "چاپ فارسی: پ چ ژ گ — ۰۱۲۳۴۵۶۷۸۹"  # the letters Arabic code pages lack, and the digits
FOOTER = "اگر این را می‌خوانید، چاپگر آماده است"
ENGLISH_FOOTER = "If you can read this, the printer works."
QR_PREFIX = "bashgah:printer-test:"


def build_test_page(
    setting: str, place: SaleContext | None = None, *, extra_lines: Sequence[str] = ()
) -> Receipt:
    """The test page for `setting`; `place` gives the club's and branch's names and the moment (none: the
    first-run setup before the club is known, and now); `extra_lines` are printed too (plain ASCII)."""
    now_us = place.sale_at_us if place else time.time_ns() // 1000
    club_fa, club_en = (place.club_name_fa, place.club_name_en) if place else ("باشگاه", "Bashgah")
    branch_fa, branch_en = (place.branch_name_fa, place.branch_name_en) if place else ("", "")
    lines = [
        ReceiptLine("Club", club_en or "-"),
        ReceiptLine("Branch", branch_en or "-"),
        ReceiptLine("تاریخ", moment(now_us, "fa")),
        ReceiptLine("Date", moment(now_us, "en")),
        ReceiptLine("Printer", setting),
        ReceiptLine("فارسی", PERSIAN_SAMPLE),
    ]
    if branch_fa:
        lines.insert(2, ReceiptLine("شعبه", branch_fa))
    lines += [ReceiptLine(line, "") for line in extra_lines if line]
    return Receipt(
        lang="fa",  # labels on the right in the drawn rows; ASCII rows print as the printer's own text
        club_name=club_fa or club_en,
        branch_name=TITLE[1],
        headline=TITLE[0],
        lines=tuple(lines),
        footer=FOOTER,
        qr_data=QR_PREFIX + setting,
        note=ENGLISH_FOOTER,
    )


def load_test_page(terminal: Terminal, setting: str) -> Receipt:
    """The test page with this terminal's club and branch names (reads the store: call it on a worker)."""
    from app.receipts.setup import load_receipt_setup

    return build_test_page(setting, load_receipt_setup(terminal, "").place)


def print_page(
    setting: str,
    page: Receipt,
    make: Callable[[str | None], Escpos | None] = printer_from_setting,
) -> None:
    """Print the page (or a receipt) on the printer `setting` names. ClubError in plain words when the
    setting is wrong or the printer did not take it (see printer_problem)."""
    try:
        printer = make(setting)
    except PrinterSettingError:
        raise ClubError("printer_setting_invalid", setting=setting) from None
    if printer is None:
        raise ClubError("no_printer")
    try:
        print_receipt(printer, page)
    except Exception as error:  # escpos raises its own errors besides OSError: any means not printed
        raise printer_problem(error, setting) from None
    finally:
        with contextlib.suppress(Exception):  # a printer that never opened may fail to close: nothing kept
            printer.close()


def printer_problem(error: BaseException, setting: str) -> ClubError:
    """Why the printer did not print, as a ClubError a cashier can act on."""
    cause = _os_error(error)
    device = setting.partition("?")[0].removeprefix("file:")
    number = cause.errno if cause is not None else None
    if number == errno.ENOSPC:  # the usblp driver's answer when the printer reports no paper
        return ClubError("printer_no_paper", setting=setting)
    if number in (errno.EACCES, errno.EPERM) and setting.startswith("file:"):
        return ClubError("printer_permission_denied", device=device)
    if number in (errno.ENOENT, errno.ENODEV, errno.ENXIO) and setting.startswith("file:"):
        return ClubError("printer_not_connected", device=device)
    if isinstance(cause, TimeoutError) or number == errno.ETIMEDOUT:
        return ClubError("printer_no_answer", setting=setting)
    said = (cause.strerror if cause is not None else None) or str(error).strip()
    return ClubError(
        "printer_unreachable", setting=setting, detail=said.splitlines()[-1] if said else type(error).__name__
    )


def _os_error(error: BaseException | None) -> OSError | None:
    """The OSError behind an escpos error (DeviceNotFoundError is raised while handling one)."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, OSError):
            return error
        error = error.__cause__ or error.__context__
        seen += 1
    return None
