# SPDX-License-Identifier: GPL-3.0-or-later
"""Invitation QR codes on paper and as images: a PNG per guest, and a printable A4 sheet of every guest's
name and code, to cut out and hand over (sync.server.club.events signs the codes; this only draws them).

The sheet is drawn with fpdf2 in the terminal's font, Vazirmatn, embedded (a subset) so it prints the same
anywhere; names go through HarfBuzz (uharfbuzz) and the bidirectional algorithm, so Persian letters join and
run right to left, and a Latin name in a Persian list still reads left to right. The QR images are the
ones the door's camera reads: the same error correction and quiet zone as the terminal's member codes
(app.cli.card_commands).
"""

from __future__ import annotations

import importlib.resources
import io
from dataclasses import dataclass
from pathlib import Path

import qrcode
from fpdf import FPDF
from PIL.Image import Image
from qrcode.constants import ERROR_CORRECT_M

from app import format as fmt

QR_BOX_PX = 8  # pixels a module: a phone screen or a print shows it crisp
QR_BORDER = 4  # modules of quiet zone, as the QR standard asks
FONT = "Vazirmatn"
# A4 portrait, in millimetres: three cards across, four down, with room for the heading
PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 10.0
COLUMNS, ROWS = 3, 4
HEADING_H = 22.0
CARD_W = (PAGE_W - 2 * MARGIN) / COLUMNS
CARD_H = (PAGE_H - 2 * MARGIN - HEADING_H) / ROWS
QR_MM = 42.0


@dataclass(frozen=True, slots=True)
class SheetEvent:
    name: str
    venue: str
    starts_at_us: int


@dataclass(frozen=True, slots=True)
class SheetGuest:
    name: str
    code: str  # the signed invitation text (BGI1:…)
    plus_ones: int


def qr_image(text: str) -> Image:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QR_BORDER, box_size=QR_BOX_PX)
    code.add_data(text)
    code.make(fit=True)
    return code.make_image().get_image()  # type: ignore[no-any-return]


def qr_png(text: str) -> bytes:
    out = io.BytesIO()
    qr_image(text).save(out, format="PNG")
    return out.getvalue()


def _font_dir() -> Path:
    return Path(str(importlib.resources.files("app.resources") / "fonts"))


def sheet_pdf(event: SheetEvent, guests: list[SheetGuest], lang: str) -> bytes:
    """The A4 sheet: a heading (the event, when, where) on every page, then the guests' cards in reading
    order (from the right in Persian)."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    fonts = _font_dir()
    pdf.add_font(FONT, "", str(fonts / "Vazirmatn-Regular.ttf"))
    pdf.add_font(FONT, "B", str(fonts / "Vazirmatn-Bold.ttf"))
    pdf.set_text_shaping(use_shaping_engine=True)  # direction found per text: Persian right to left
    pdf.set_title(event.name)
    pdf.set_creator("Bashgah")
    per_page = COLUMNS * ROWS
    for start in range(0, max(len(guests), 1), per_page):
        pdf.add_page()
        _heading(pdf, event, lang)
        for slot, guest in enumerate(guests[start : start + per_page]):
            column, row = slot % COLUMNS, slot // COLUMNS
            if lang == "fa":
                column = COLUMNS - 1 - column
            _card(pdf, guest, MARGIN + column * CARD_W, MARGIN + HEADING_H + row * CARD_H, lang)
    return bytes(pdf.output())


def _heading(pdf: FPDF, event: SheetEvent, lang: str) -> None:
    align = "R" if lang == "fa" else "L"
    pdf.set_xy(MARGIN, MARGIN)
    pdf.set_font(FONT, "B", 16)
    pdf.cell(PAGE_W - 2 * MARGIN, 9, event.name, align=align)
    pdf.set_xy(MARGIN, MARGIN + 10)
    pdf.set_font(FONT, "", 11)
    when = fmt.datetime_text(event.starts_at_us, lang)
    pdf.cell(PAGE_W - 2 * MARGIN, 7, f"{when} · {event.venue}" if event.venue else when, align=align)


def _card(pdf: FPDF, guest: SheetGuest, x: float, y: float, lang: str) -> None:
    pdf.set_draw_color(190, 190, 190)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)  # where to cut
    pdf.rect(x, y, CARD_W, CARD_H)
    pdf.set_dash_pattern()
    pdf.set_xy(x + 2, y + 3)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(CARD_W - 4, 7, guest.name, align="C")
    pdf.image(qr_image(guest.code), x=x + (CARD_W - QR_MM) / 2, y=y + 11, w=QR_MM, h=QR_MM)
    if guest.plus_ones:
        pdf.set_xy(x + 2, y + 11 + QR_MM + 1)
        pdf.set_font(FONT, "", 10)
        pdf.cell(CARD_W - 4, 6, "+" + fmt.number(guest.plus_ones, lang), align="C")
