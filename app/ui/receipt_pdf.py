# SPDX-License-Identifier: GPL-3.0-or-later
"""A receipt (or the branch's day report) as a PDF: one page the width of a till roll (80 mm), as tall as
it needs.

The page is laid out by QTextDocument, which shapes Persian and orders right-to-left text with the
window's font (Vazirmatn, embedded in the file). It draws the same `Receipt` the printer prints.
Runs on the UI thread (QTextDocument and fonts); a receipt takes a few milliseconds.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF, QUrl
from PySide6.QtGui import (
    QFont,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

from app.receipts.content import Receipt, ReceiptLine
from app.receipts.day_report import DayReportContent
from app.receipts.qr import qr_png

PAGE_WIDTH_MM = 80.0
MARGIN_MM = 5.0
QR_WIDTH_MM = 30.0
RESOLUTION_DPI = 300
BODY_POINT_SIZE = 9
MM_PER_INCH = 25.4
HTML_DPI = 96  # rich text measures images in screen pixels and scales them to the device
QR_URL = QUrl("bashgah:qr.png")


def write_receipt_pdf(receipt: Receipt, path: Path | str, font: QFont | None = None) -> Path:
    """Write the receipt to `path` as a one-page PDF; returns the path."""
    images = {QR_URL: QImage.fromData(qr_png(receipt.qr_data))}
    return write_roll_pdf(receipt_html(receipt), receipt.headline, path, font, images)


def write_day_report_pdf(report: DayReportContent, path: Path | str, font: QFont | None = None) -> Path:
    """Write the branch's day report to `path` as a one-page PDF the width of a till roll."""
    return write_roll_pdf(day_report_html(report), report.title, path, font)


def write_roll_pdf(
    body_html: str,
    title: str,
    path: Path | str,
    font: QFont | None = None,
    images: dict[QUrl, QImage] | None = None,
) -> Path:
    """Lay out rich text on one page the width of a till roll, as tall as it needs; returns the path."""
    path = Path(path)
    writer = QPdfWriter(str(path))
    writer.setResolution(RESOLUTION_DPI)
    writer.setTitle(title)
    writer.setCreator("Bashgah")
    document = _document(body_html, font, images or {})
    document.documentLayout().setPaintDevice(writer)  # lay out in the PDF's own units
    document.setTextWidth(_px(PAGE_WIDTH_MM - 2 * MARGIN_MM))
    height_mm = document.size().height() / RESOLUTION_DPI * MM_PER_INCH + 2 * MARGIN_MM
    size = QPageSize(QSizeF(PAGE_WIDTH_MM, height_mm), QPageSize.Unit.Millimeter, "receipt")
    writer.setPageLayout(
        QPageLayout(
            size,
            QPageLayout.Orientation.Portrait,
            QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    )
    painter = QPainter(writer)
    try:
        document.drawContents(painter)
    finally:
        painter.end()
    return path


def _px(mm: float) -> int:
    return round(mm / MM_PER_INCH * RESOLUTION_DPI)


def _document(body_html: str, font: QFont | None, images: dict[QUrl, QImage]) -> QTextDocument:
    document = QTextDocument()
    document.setDocumentMargin(0)
    body = QFont(font or QGuiApplication.font())
    body.setPointSize(BODY_POINT_SIZE)
    document.setDefaultFont(body)
    for url, image in images.items():
        document.addResource(QTextDocument.ResourceType.ImageResource, url, image)
    document.setHtml(body_html)
    return document


def _table(lines: Sequence[ReceiptLine], rtl: bool) -> str:
    """Label/value rows; in Persian left to right with the columns swapped (see receipt_html)."""
    direction = "rtl" if rtl else "ltr"
    start, end = ("right", "left") if rtl else ("left", "right")
    e = html.escape
    rows = []
    for line in lines:
        label = f'<td align="{start}" dir="{direction}">{_bold(e(line.label), line.bold)}</td>'
        value = f'<td align="{end}" dir="{direction}">{_bold(e(line.value), line.bold)}</td>'
        rows.append(f"<tr>{value}{label}</tr>" if rtl else f"<tr>{label}{value}</tr>")
    return f'<table width="100%" cellspacing="0" cellpadding="1">{"".join(rows)}</table>'


def day_report_html(report: DayReportContent) -> str:
    """The day report: club, branch and date, then each section's title and its label/value table."""
    direction = "rtl" if report.right_to_left else "ltr"
    e = html.escape
    sections = "".join(
        _centred(f"<b>{e(section.title)}</b>", direction, 11)
        + _table(section.lines, report.right_to_left)
        + "<hr/>"
        for section in report.sections
    )
    return (
        "<html><body>"
        + _centred(f"<b>{e(report.club_name)}</b>", direction, 13)
        + _centred(e(report.branch_name), direction)
        + _centred(f"<b>{e(report.title)}</b>", direction, 12)
        + "<hr/>"
        + sections
        + _centred(e(report.footer), direction)
        + "</body></html>"
    )


def receipt_html(receipt: Receipt) -> str:
    """The receipt in Qt's rich-text subset: header, headline, a label/value table, QR, thanks.

    Qt lays tables out left to right whatever the text direction (a right-to-left default breaks their
    widths), so a Persian receipt's table is left to right with its columns swapped: the label on the
    right, the value on the left, each cell's text right to left.
    """
    rtl = receipt.right_to_left
    direction = "rtl" if rtl else "ltr"
    e = html.escape
    qr = round(QR_WIDTH_MM / MM_PER_INCH * HTML_DPI)
    note = _centred(e(receipt.note), direction) if receipt.note else ""
    return (
        "<html><body>"
        + _centred(f"<b>{e(receipt.club_name)}</b>", direction, 13)
        + _centred(e(receipt.branch_name), direction)
        + "<hr/>"
        + _centred(f"<b>{e(receipt.headline)}</b>", direction, 15)
        + note
        + "<hr/>"
        + _table(receipt.lines, rtl)
        + "<hr/>"
        + f'<p align="center"><img src="{QR_URL.toString()}" width="{qr}" height="{qr}"/></p>'
        + _centred(e(receipt.footer), direction)
        + "</body></html>"
    )


def _centred(inner: str, direction: str, point_size: int | None = None) -> str:
    style = f' style="font-size:{point_size}pt"' if point_size else ""
    return f'<p align="center" dir="{direction}"{style}>{inner}</p>'


def _bold(text: str, bold: bool) -> str:
    return f"<b>{text}</b>" if bold else text
