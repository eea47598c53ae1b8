# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah printer show|set|test` and `bashgah receipt print INVOICE`.

The receipt printer is the `receipt_printer` setting (app.receipts.escpos.printer_from_setting reads it).
Setting it takes a manager's name and PIN: it decides where receipts with members' names and balances
go. Testing it needs no one: the test page (app.receipts.test_page) says nothing about anybody.

Reprinting a receipt takes a member of staff's name and PIN (one who may record sales): the copy shows a
member's name and balance, so the counter should know who asked; nothing is recorded. The copy is the
window's receipt (app.receipts.content.build_receipt) of the stored sale, marked "رونوشت / COPY" so it
cannot pass for a second original, with the balance as it stood after the sale and what was returned.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING, Any

from app.cli.output import Output, staff_from_args, terminal_from_args
from app.domain.errors import ClubError
from app.domain.staff import Role

if TYPE_CHECKING:
    from app.receipts.content import Receipt
    from app.services.terminal import Terminal

MANAGERS = (Role.MANAGER, Role.ADMIN)
COPY_MARK = {"fa": "رونوشت / COPY", "en": "COPY - not an original receipt"}
RETURNED = ("Returned", "مرجوع شده")


def describe(setting: str | None, out: Output) -> tuple[dict[str, Any], str]:
    """What a setting means: its parts for --json, and a sentence. ClubError if it names no printer."""
    from app.receipts.escpos import PrinterSettingError, paper_width, printer_from_setting

    text = (setting or "").strip()
    try:
        printer = printer_from_setting(text)
    except PrinterSettingError:
        raise ClubError("printer_setting_invalid", setting=text) from None
    if printer is None:
        return {"setting": "none", "kind": "none"}, out.t(
            "No receipt printer: receipts are shown on screen and can be saved as PDF.",
            "چاپگر رسید ندارد: رسیدها روی صفحه نمایش داده می‌شوند و می‌توان PDF ذخیره کرد.",
        )
    width = paper_width(printer)
    kind = text.partition(":")[0].partition("?")[0]
    data: dict[str, Any] = {"setting": text, "kind": kind, "width_dots": width}
    if kind == "file":
        data["device"] = getattr(printer, "devfile", "")
        said = out.t(
            "A USB printer or file: {device}, paper {width} dots wide.",
            "چاپگر USB یا فایل: {device}، عرض کاغذ {width} نقطه.",
            device=data["device"],
            width=width,
        )
    elif kind == "network":
        data["host"], data["port"] = getattr(printer, "host", ""), getattr(printer, "port", 0)
        said = out.t(
            "A network printer at {host} port {port} (raw TCP), paper {width} dots wide.",
            "چاپگر شبکه در {host} درگاه {port} (TCP خام)، عرض کاغذ {width} نقطه.",
            host=data["host"],
            port=str(data["port"]),
            width=width,
        )
    else:
        said = out.t("A dummy printer that keeps the bytes (for tests).", "چاپگر ساختگی (برای آزمون).")
    return data, said


def cmd_printer_show(args: argparse.Namespace, out: Output) -> int:
    from app.receipts.setup import PRINTER_SETTING
    from app.store import club

    terminal = terminal_from_args(args)
    with terminal.db.read() as conn:
        stored = (club.setting(conn, PRINTER_SETTING) or "").strip()
    data, said = describe(stored, out)
    out.emit(data, [f"{PRINTER_SETTING} = {stored or 'none'}", said])
    return 0


def cmd_printer_set(args: argparse.Namespace, out: Output) -> int:
    from app.receipts.setup import PRINTER_SETTING
    from app.store import club

    data, said = describe(args.setting, out)  # refused before the PIN is even asked: nothing to check
    terminal = terminal_from_args(args)
    staff = staff_from_args(args, required=True)
    assert staff is not None
    if not staff.active or staff.role not in MANAGERS:
        raise ClubError("printer_manager_only", staff=staff.name, role=staff.role.value)
    with terminal.db.write() as conn:
        club.put_setting(conn, PRINTER_SETTING, data["setting"])
    out.emit(
        data,
        [
            out.t(
                "Receipt printer set: {setting}", "چاپگر رسید تنظیم شد: {setting}", setting=data["setting"]
            ),
            said,
        ],
    )
    return 0


def cmd_printer_test(args: argparse.Namespace, out: Output) -> int:
    from app.receipts.setup import configured_printer
    from app.receipts.test_page import load_test_page, print_page

    terminal = terminal_from_args(args)
    setting = args.setting.strip() if args.setting else configured_printer(terminal)
    if setting is None:
        raise ClubError("no_printer")
    data, _said = describe(setting, out)
    if data["kind"] == "none":
        raise ClubError("no_printer")
    page = load_test_page(terminal, setting)
    print_page(setting, page)
    out.emit(
        data | {"printed": True},
        [
            out.t(
                "Test page sent to {setting}. Did it print, Persian included? If not: paper, cable, power.",
                "صفحهٔ آزمایش به {setting} فرستاده شد. چاپ شد، فارسی هم؟ اگر نه: کاغذ، کابل، برق.",
                setting=setting,
            )
        ],
    )
    return 0


def cmd_receipt_print(args: argparse.Namespace, out: Output) -> int:
    from app.domain.staff import Action
    from app.receipts.escpos import printable_language
    from app.receipts.setup import configured_printer
    from app.receipts.test_page import print_page

    terminal = terminal_from_args(args)
    staff = staff_from_args(args, required=True, who="any")
    assert staff is not None
    staff.require(Action.RECORD_SALE)
    setting = f"file:{args.out}" if args.out else configured_printer(terminal)
    if setting is None:
        raise ClubError("no_printer")
    receipt, sale_id = reprinted(terminal, args.invoice, printable_language(out.lang))
    print_page(setting, receipt)
    out.emit(
        {"invoice": args.invoice, "sale_id": sale_id, "printer": setting, "copy": True},
        [
            *receipt.text_lines(),
            out.t("Copy printed on {setting}.", "رونوشت روی {setting} چاپ شد.", setting=setting),
        ],
    )
    return 0


def reprinted(terminal: Terminal, invoice: str, lang: str) -> tuple[Receipt, str]:
    """The receipt of the sale on `invoice` as the window printed it, marked as a copy."""
    from app.receipts.content import ReceiptLine, build_receipt, text, toman
    from app.receipts.setup import load_receipt_setup
    from app.services.checkout import recorded_sale

    recorded = recorded_sale(terminal, invoice)
    sale_id = recorded.result.sale_id
    place = load_receipt_setup(terminal, sale_id).place
    receipt = build_receipt(recorded.result, recorded.member, place, recorded.staff_name, lang)
    lines = receipt.lines
    if recorded.returned_rials:
        lines += (
            ReceiptLine(RETURNED[1] if lang == "fa" else RETURNED[0], toman(recorded.returned_rials, lang)),
        )
    note = f"{COPY_MARK[lang]} — {text('copy', lang)}" if lang == "fa" else COPY_MARK["en"]
    return dataclasses.replace(receipt, note=note, lines=lines), sale_id
