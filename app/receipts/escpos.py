# SPDX-License-Identifier: GPL-3.0-or-later
"""Receipts on ESC/POS thermal printers through python-escpos.

Persian on a thermal printer: the fonts built into cheap ESC/POS printers know ASCII and a few code pages;
the Arabic ones (PC864, PC720, or the Iran System page some local printers ship) differ from printer to
printer, hold no Persian-specific letters on most models (پ چ ژ گ) and leave letter joining and
right-to-left order to the host. So this module prints every line that is plain ASCII as printer text
(sharp and fast) and draws every other line — all of a Persian receipt, a Persian name on an English
one — as a raster image (GS v 0, which every thermal printer we know of supports) with Pillow and the
bundled Vazirmatn. Shaping Persian needs Pillow's Raqm layout (HarfBuzz + FriBiDi); where it is missing,
`printable_language` answers "en" so the caller prints the receipt in English rather than in broken
Persian, and a line that still is not ASCII is left out. The QR code is the printer's own (GS ( k).

Threading: printing is device or network I/O — call `print_to_setting` on a worker, never on the UI
thread. python-escpos is imported only when a printer is made (its import configures logging), and
Pillow only when a row is drawn: the window imports this module at start-up, long before any receipt.
"""

from __future__ import annotations

import functools
import importlib.resources
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.receipts.content import Receipt, pair_line

if TYPE_CHECKING:
    from escpos.escpos import Escpos
    from PIL import Image, ImageDraw, ImageFont

    from app.receipts.day_report import DayReportContent

DEFAULT_WIDTH_DOTS = 384  # a 58 mm printer at 203 dpi; 80 mm printers have 576 (`?width=576`)
DOTS_PER_COLUMN = 12  # font A
NETWORK_PORT = 9100
NETWORK_TIMEOUT_S = 5  # an unreachable printer must not hold the worker for a minute
FONT_PX = {"normal": 24, "large": 36}
MARGIN_PX = 4
INK_THRESHOLD = 140  # anti-aliased grey darker than this prints as a dot


class PrinterSettingError(ValueError):
    """The `receipt_printer` setting names no printer this module knows how to reach."""


@dataclass(frozen=True, slots=True)
class _Row:
    text: str = ""
    value: str | None = None  # a label/value pair when set
    bold: bool = False
    large: bool = False
    rule: bool = False  # a dashed separator


def can_shape_persian() -> bool:
    """Whether Pillow can join and order Persian letters here (Raqm with FriBiDi)."""
    from PIL import features

    return bool(features.check("raqm"))


def printable_language(lang: str) -> str:
    """The language a receipt should be printed in: English when Persian cannot be drawn."""
    return lang if lang != "fa" or can_shape_persian() else "en"


# ---------------------------------------------------------------------------------------------- printer


def printer_from_setting(setting: str | None) -> Escpos | None:
    """The printer a `receipt_printer` setting names, or None when there is none.

    "file:/dev/usb/lp0" (a USB printer's device file), "network:HOST[:PORT]" (raw TCP, port 9100 by
    default; "[::1]:9100" for IPv6), "dummy" (keeps the bytes, for tests); "?width=576" after any of
    them gives the paper's width in dots (default 384, 58 mm paper). Opening happens on the first write.
    """
    text = (setting or "").strip()
    if not text or text.lower() == "none":
        return None
    target, _, options = text.partition("?")
    width = _width_option(options, text)
    from escpos import printer

    kind, _, where = target.partition(":")
    if kind == "dummy" and not where:
        made: Escpos = printer.Dummy()
    elif kind == "file" and where:
        made = printer.File(devfile=where)
    elif kind == "network" and where:
        host, port = _host_port(where, text)
        made = printer.Network(host=host, port=port, timeout=NETWORK_TIMEOUT_S)
    else:
        raise PrinterSettingError(text)
    return with_paper_width(made, width)


def _width_option(options: str, setting: str) -> int:
    if not options:
        return DEFAULT_WIDTH_DOTS
    key, _, value = options.partition("=")
    if key != "width" or not value.isdigit() or not 128 <= int(value) <= 1024:
        raise PrinterSettingError(setting)
    return int(value)


def _host_port(where: str, setting: str) -> tuple[str, int]:
    if where.startswith("["):  # [IPv6]:port
        host, _, rest = where[1:].partition("]")
        port = rest.removeprefix(":")
    else:
        host, _, port = where.partition(":")
    if not host or (port and not port.isdigit()) or (port and not 0 < int(port) < 65536):
        raise PrinterSettingError(setting)
    return host, int(port) if port else NETWORK_PORT


def with_paper_width(printer: Escpos, dots: int) -> Escpos:
    """Give the printer a profile that knows the paper width (images are checked and centred on it)."""
    data = dict(type(printer.profile).profile_data)
    data["media"] = {**data.get("media", {}), "width": {"pixels": dots}}
    profile = type(printer.profile)()
    profile.profile_data = data  # on the instance: the class's dict is shared by every printer
    printer.profile = profile
    return printer


def paper_width(printer: Escpos) -> int:
    try:
        return int(printer.profile.profile_data["media"]["width"]["pixels"])
    except (KeyError, TypeError, ValueError):
        return DEFAULT_WIDTH_DOTS


def print_to_setting(
    setting: str | None,
    receipt: Receipt,
    make: Callable[[str | None], Escpos | None] = printer_from_setting,
) -> None:
    """Make the configured printer, print the receipt, close it. Raises PrinterSettingError when the
    setting is wrong or names no printer; escpos errors or OSError when the printer cannot be reached."""
    _with_printer(setting, make, lambda printer: print_receipt(printer, receipt))


def print_report_to_setting(
    setting: str | None,
    report: DayReportContent,
    make: Callable[[str | None], Escpos | None] = printer_from_setting,
) -> None:
    """The same as print_to_setting, for the branch's day report."""
    _with_printer(setting, make, lambda printer: print_day_report(printer, report))


def _with_printer(
    setting: str | None, make: Callable[[str | None], Escpos | None], send: Callable[[Escpos], None]
) -> None:
    printer = make(setting)
    if printer is None:
        raise PrinterSettingError(setting or "")
    try:
        send(printer)
    finally:
        printer.close()


# ---------------------------------------------------------------------------------------------- layout


def print_receipt(printer: Escpos, receipt: Receipt) -> None:
    """Send the receipt: header, the headline, the lines (totals in bold), the QR of the sale id, a cut."""
    width = paper_width(printer)
    rows = _rows(receipt)
    for row in rows[:-1]:
        _print_row(printer, row, width, receipt.right_to_left)
    printer.set(align="center", bold=False, normal_textsize=True)
    printer.qr(receipt.qr_data, native=True, size=6)
    printer.ln()
    _print_row(printer, rows[-1], width, receipt.right_to_left)  # the footer under the QR
    printer.set(align="left", bold=False, normal_textsize=True)
    printer.cut()


def print_day_report(printer: Escpos, report: DayReportContent) -> None:
    """Send the day report: header and date, then each section (the branch's, each staff member's) with its
    title in bold and its lines, net sales in bold; the moment it was made; a cut. No QR: it names no sale."""
    width = paper_width(printer)
    rows = [_Row(report.club_name, bold=True, large=True), _Row(report.branch_name)]
    rows += [_Row(report.title, bold=True), _Row(rule=True)]
    for section in report.sections:
        rows.append(_Row(section.title, bold=True))
        rows += [_Row(line.label, line.value, bold=line.bold) for line in section.lines]
        rows.append(_Row(rule=True))
    rows.append(_Row(report.footer))
    for row in rows:
        if row.text or row.rule:
            _print_row(printer, row, width, report.right_to_left)
    printer.set(align="left", bold=False, normal_textsize=True)
    printer.cut()


def _rows(receipt: Receipt) -> list[_Row]:
    rows = [_Row(receipt.club_name, bold=True, large=True), _Row(receipt.branch_name), _Row(rule=True)]
    rows.append(_Row(receipt.headline, bold=True, large=True))
    if receipt.note:
        rows.append(_Row(receipt.note))
    rows.append(_Row(rule=True))
    rows += [_Row(line.label, line.value, bold=line.bold) for line in receipt.lines]
    rows.append(_Row(rule=True))
    rows.append(_Row(receipt.footer))
    return rows


def _print_row(printer: Escpos, row: _Row, width: int, rtl: bool) -> None:
    columns = width // DOTS_PER_COLUMN
    if row.rule:
        printer.set(align="left", bold=False, normal_textsize=True)
        printer.textln("-" * columns)
    elif _is_ascii(row.text + (row.value or "")):
        _print_text_row(printer, row, columns)
    elif can_shape_persian():
        printer.image(_row_image(row, width, rtl), center=False)
    # else: a line the printer cannot draw is left out (see the module docstring)


def _print_text_row(printer: Escpos, row: _Row, columns: int) -> None:
    if row.value is not None:
        printer.set(align="left", bold=row.bold, normal_textsize=True)
        printer.textln(pair_line(row.text, row.value, columns))
    else:
        large = {"double_height": True, "double_width": True} if row.large else {"normal_textsize": True}
        printer.set(align="center", bold=row.bold, **large)
        printer.textln(row.text)


def _is_ascii(text: str) -> bool:
    return text.isascii() and text.isprintable()


# ---------------------------------------------------------------------------------------------- raster


@functools.cache
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    name = "Vazirmatn-Bold.ttf" if bold else "Vazirmatn-Regular.ttf"
    data = (importlib.resources.files("app.resources") / "fonts" / name).read_bytes()
    return ImageFont.truetype(io.BytesIO(data), size, layout_engine=ImageFont.Layout.RAQM)


def _row_image(row: _Row, width: int, rtl: bool) -> Image.Image:
    """One receipt row drawn black on white at the paper's width, thresholded so no dot is dithered."""
    from PIL import Image, ImageDraw

    font = _font(FONT_PX["large" if row.large else "normal"], row.bold)
    ascent, descent = font.getmetrics()
    line_h = ascent + descent
    canvas = Image.new("L", (width, line_h * 2 + MARGIN_PX), 255)
    draw = ImageDraw.Draw(canvas)
    if row.value is None:
        x = max(0, (width - _text_width(draw, row.text, font)) // 2)
        draw.text((x, 0), row.text, font=font, fill=0)
        height = line_h
    else:
        height = _draw_pair(draw, row, font, width, rtl=rtl)
    canvas = canvas.crop((0, 0, width, height + MARGIN_PX))
    return canvas.point(lambda v: 0 if v < INK_THRESHOLD else 255)


def _draw_pair(
    draw: ImageDraw.ImageDraw, row: _Row, font: ImageFont.FreeTypeFont, width: int, *, rtl: bool
) -> int:
    """Label at the start of the line (the right in Persian), value at its end; a value that does not
    fit beside its label goes on a line of its own. Returns the height used."""
    ascent, descent = font.getmetrics()
    line_h = ascent + descent
    value = row.value or ""
    label_w, value_w = _text_width(draw, row.text, font), _text_width(draw, value, font)
    start, end = MARGIN_PX, width - MARGIN_PX
    label_x, value_x = (end - label_w, start) if rtl else (start, end - value_w)
    draw.text((label_x, 0), row.text, font=font, fill=0)
    if label_w + value_w + 3 * MARGIN_PX > width:
        draw.text((max(0, value_x), line_h), value, font=font, fill=0)
        return line_h * 2
    draw.text((value_x, 0), value, font=font, fill=0)
    return line_h


def _text_width(draw: ImageDraw.ImageDraw, text: str, font: Any) -> int:
    return int(draw.textlength(text, font=font) + 0.5)
