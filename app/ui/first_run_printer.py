# SPDX-License-Identifier: GPL-3.0-or-later
"""The first-run setup's receipt printer step, without Qt: the choice (USB, network, none) as the
`receipt_printer` setting app.receipts.escpos reads, a test page, and keeping the setting.

Here and not in app.services because app.receipts (the printer) sits above the services. Every function
blocks on a printer or the store: call it on a worker.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from app.domain.errors import ClubError
from app.receipts.escpos import PrinterSettingError, printer_from_setting
from app.receipts.setup import PRINTER_SETTING
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


def print_test_page(setting: str, lines: tuple[str, ...]) -> None:
    """Print a short test page (ASCII `lines`, which any printer's font has) and cut. ClubError
    `printer_unreachable` in plain words when the printer cannot be reached or refuses."""
    printer = _printer(setting)
    try:
        printer.set(align="center", bold=True)
        for line in lines:
            printer.text(line + "\n")
        printer.ln(2)
        printer.cut()
    except Exception as error:  # escpos raises its own errors besides OSError: any means not printed
        raise ClubError("printer_unreachable", setting=setting, detail=_printer_problem(error)) from None
    finally:
        with contextlib.suppress(Exception):  # a printer that never opened may fail to close: nothing kept
            printer.close()


def _printer_problem(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def save_printer(terminal: Terminal, setting: str) -> None:
    with terminal.db.write() as conn:
        club.put_setting(conn, PRINTER_SETTING, setting)


def current_printer(terminal: Terminal) -> str:
    with terminal.db.read() as conn:
        return (club.setting(conn, PRINTER_SETTING) or "").strip()
