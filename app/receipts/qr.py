# SPDX-License-Identifier: GPL-3.0-or-later
"""The receipt's QR code as a PNG, for the screen and the PDF (the printer draws its own: GS ( k)."""

from __future__ import annotations

import io


def qr_png(data: str, box_size: int = 8, border: int = 2) -> bytes:
    """A black-on-white QR code of `data`, each module box_size pixels, with a quiet zone of `border`."""
    import qrcode  # with Pillow behind it: only once a receipt is shown, not when the window starts
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(data)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()
