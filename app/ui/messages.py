# SPDX-License-Identifier: GPL-3.0-or-later
"""A refusal's text for the window, in the session's language."""

from __future__ import annotations

from app.domain.errors import ClubError
from app.messages import message


def club_error_text(error: BaseException, lang: str) -> str:
    """What to tell the person at the counter; an unexpected error says so without a traceback."""
    if isinstance(error, ClubError):
        return message(error, lang)
    return (
        "خطای پیش‌بینی‌نشده؛ چیزی ثبت نشد. دوباره امتحان کنید."
        if lang == "fa"
        else "Something unexpected went wrong; nothing was recorded. Please try again."
    )
