# SPDX-License-Identifier: GPL-3.0-or-later
"""What a receipt needs besides the sale: the club's and branch's names, the sale's time, the printer.

The printer is the terminal's `receipt_printer` setting (see app.receipts.escpos.printer_from_setting);
without it the terminal has no printer. Reads the store: call it on the worker, not the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.receipts.content import SaleContext
from app.services.terminal import Terminal
from app.store import club, ledger

PRINTER_SETTING = "receipt_printer"
NO_PRINTER = ("", "none")


@dataclass(frozen=True, slots=True)
class ReceiptSetup:
    place: SaleContext
    printer: str | None  # the setting's text, None when no printer is configured


def load_receipt_setup(terminal: Terminal, sale_id: str) -> ReceiptSetup:
    with terminal.db.read() as conn:
        entry = ledger.get(conn, sale_id)
        branch = club.branch(conn, entry.branch_id if entry else terminal.branch_id)
        place = SaleContext(
            club_name_fa=club.setting(conn, "club_name_fa") or "",
            club_name_en=club.setting(conn, "club_name_en") or "",
            branch_name_fa=branch.name_fa,
            branch_name_en=branch.name_en,
            sale_at_us=entry.created_at_us if entry else terminal.clock.now_us(),
        )
        printer = (club.setting(conn, PRINTER_SETTING) or "").strip()
    return ReceiptSetup(place, None if printer.lower() in NO_PRINTER else printer)


def configured_printer(terminal: Terminal) -> str | None:
    """The `receipt_printer` setting's text, None when the terminal has no printer."""
    with terminal.db.read() as conn:
        printer = (club.setting(conn, PRINTER_SETTING) or "").strip()
    return None if printer.lower() in NO_PRINTER else printer
