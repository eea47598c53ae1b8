# SPDX-License-Identifier: GPL-3.0-or-later
"""Sale receipts without Qt: what a receipt says (content), how it reaches a thermal printer (escpos),
its QR code (qr) and where its club, branch and printer come from (setup). The window renders the same
`Receipt` to PDF in app/ui/receipt_pdf.py.
"""

from app.receipts.content import Receipt, ReceiptLine, SaleContext, build_receipt

__all__ = ["Receipt", "ReceiptLine", "SaleContext", "build_receipt"]
