# SPDX-License-Identifier: GPL-3.0-or-later
"""The first-run setup's receipt printer step, without Qt: the choice (USB, network, none) as the
`receipt_printer` setting app.receipts.escpos reads, the test page (the same as `bashgah printer test`),
and keeping the setting.

Here and not in app.services because app.receipts (the printer) sits above the services. Every function
blocks on a printer or the store: call it on a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.errors import ClubError
from app.receipts.content import SaleContext
from app.receipts.escpos import PrinterSettingError, printer_from_setting
from app.receipts.setup import PRINTER_SETTING
from app.receipts.test_page import build_test_page, print_page
from app.services.terminal import Terminal
from app.store import club

if TYPE_CHECKING:
    from escpos.escpos import Escpos  # imported only when a printer is made (its import configures logging)

USB_PRINTER = "/dev/usb/lp0"


def printer_setting(kind: str, where: str = "") -> str:
    """The `receipt_printer` setting for a choice: "usb" (the device file, /dev/usb/lp0 if blank),
    "network" (HOST[:PORT], port 9100 if none), "none". ClubError `printer_setting_invalid` if it names
    no printer (checked as app.receipts.escpos reads it)."""
    where = where.strip()
    if kind == "none":
        return "none"
    if kind == "usb":
        setting = f"file:{where or USB_PRINTER}"
    elif kind == "network" and where:
        setting = f"network:{where.removeprefix('network:')}"
    elif kind == "file" and where:  # a file printer (tests, or a printer shared as a file)
        setting = f"file:{where}"
    else:
        raise ClubError("printer_setting_invalid", setting=where or kind)
    _printer(setting)  # parses it; the printer is opened by the first write, not here
    return setting


def _printer(setting: str) -> Escpos:
    try:
        made = printer_from_setting(setting)
    except PrinterSettingError:
        raise ClubError("printer_setting_invalid", setting=setting) from None
    if made is None:
        raise ClubError("printer_setting_invalid", setting=setting)
    return made


def print_test_page(setting: str, lines: tuple[str, ...], *, place: SaleContext | None = None) -> None:
    """Print the test page (app.receipts.test_page: Persian and English, the date, the setting, a QR),
    with `lines` (ASCII) on it too, and cut; `place` names the club and branch when known. ClubError in
    plain words when the printer cannot be reached or refuses (app.receipts.test_page.printer_problem)."""
    _printer(setting)  # a setting that names no printer is refused as such, before any page is made
    print_page(setting, build_test_page(setting, place, extra_lines=lines))


def save_printer(terminal: Terminal, setting: str) -> None:
    with terminal.db.write() as conn:
        club.put_setting(conn, PRINTER_SETTING, setting)


def current_printer(terminal: Terminal) -> str:
    with terminal.db.read() as conn:
        return (club.setting(conn, PRINTER_SETTING) or "").strip()
