# SPDX-License-Identifier: GPL-3.0-or-later
"""A refusal's text for the window, in the session's language.

Every code reads as in app/messages.py (the catalogue the command line uses too), except the refusals
whose amounts that catalogue gives in rials: the cashier types and reads Toman, so the window says them
in Toman, with the same placeholders. A window lays text out in both directions, so the words it is
given are isolated first: a card number grouped and left to right, a name or reason in its own direction
(a terminal's command line shows them as they are).
"""

from __future__ import annotations

from app.domain.errors import ClubError
from app.format import card_number_text, name_isolated, toman_text
from app.messages import message

# code: (English, Persian); every integer parameter is an amount in rials, shown in Toman
IN_TOMAN: dict[str, tuple[str, str]] = {
    "wallet_over_cap": (
        "At most {allowed} of the wallet can be spent on this sale (asked: {requested}).",
        "از کیف پول حداکثر {allowed} روی این خرید قابل استفاده است (درخواست: {requested}).",
    ),
    "discount_over_amount": (
        "Points and wallet together ({discount}) cannot pay more than the sale ({amount}).",
        "امتیاز و کیف پول با هم ({discount}) نمی‌توانند بیش از مبلغ خرید ({amount}) بپردازند.",
    ),
}


def club_error_text(error: BaseException, lang: str) -> str:
    """What to tell the person at the counter; an unexpected error says so without a traceback."""
    if isinstance(error, ClubError):
        texts = IN_TOMAN.get(error.code)
        if texts is None:
            return message(ClubError(error.code, **_isolated(_worded(error.params, lang))), lang)
        params = {
            key: toman_text(value, lang) if isinstance(value, int) and not isinstance(value, bool) else value
            for key, value in _isolated(error.params).items()
        }
        return (texts[1] if lang == "fa" else texts[0]).format_map(_Lenient(params))
    return (
        "خطای پیش‌بینی‌نشده؛ چیزی ثبت نشد. دوباره امتحان کنید."
        if lang == "fa"
        else "Something unexpected went wrong; nothing was recorded. Please try again."
    )


# a card's status as the refusal names it ("Card … is {status}"): in the reader's language
CARD_STATUS: dict[str, tuple[str, str]] = {
    "lost": ("lost", "مفقود"),
    "revoked": ("revoked", "باطل‌شده"),
    "expired": ("expired", "منقضی"),
}


def _worded(params: dict[str, object], lang: str) -> dict[str, object]:
    status = params.get("status")
    if isinstance(status, str) and status in CARD_STATUS:
        return {**params, "status": CARD_STATUS[status][1 if lang == "fa" else 0]}
    return params


def _isolated(params: dict[str, object]) -> dict[str, object]:
    """Text parameters isolated for a window: a card number grouped left to right ("9826 0000 0000 0029"),
    anything else (a name, a reason, a door) in its own direction; numbers are left to `message`."""
    return {
        key: (
            (card_number_text(value) if key == "card" and value.isdigit() else name_isolated(value))
            if isinstance(value, str) and value
            else value
        )
        for key, value in params.items()
    }


class _Lenient(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "?"
