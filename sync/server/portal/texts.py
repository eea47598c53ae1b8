# SPDX-License-Identifier: GPL-3.0-or-later
"""The member page's refusals in the member's words: Persian first, English when the browser prefers it."""

from __future__ import annotations

LANGUAGES = ("fa", "en")

MESSAGES: dict[str, tuple[str, str]] = {  # code → (fa, en)
    "phone_invalid": ("شمارهٔ موبایل درست نیست.", "That is not a valid mobile number."),
    "too_many": (
        "درخواست‌ها بیش از اندازه است؛ کمی بعد دوباره امتحان کنید.",
        "Too many tries; please try again a little later.",
    ),
    "code_wrong": ("کد درست نیست.", "That code is not right."),
    "code_expired": (
        "این کد دیگر معتبر نیست؛ کد تازه‌ای بخواهید.",
        "That code is no longer valid; ask for a new one.",
    ),
    "signed_out": (
        "وارد نشده‌اید یا زمان نشست شما گذشته است؛ دوباره وارد شوید.",
        "You are not signed in, or your session has ended; please sign in again.",
    ),
    "forbidden": ("این درخواست پذیرفته نشد.", "This request was refused."),
    "key_invalid": ("کلید این گوشی پذیرفتنی نیست.", "This phone's key cannot be accepted."),
    "too_many_phones": (
        "بیش از ۵ گوشی فعال نمی‌توانید داشته باشید؛ نخست یکی را حذف کنید.",
        "You can have at most 5 active phones; remove one first.",
    ),
    "unknown_phone": ("چنین گوشی‌ای در حساب شما نیست.", "There is no such phone on your account."),
    "phone_not_active": ("این گوشی پیش‌تر حذف شده است.", "This phone was removed already."),
    "member_erased": ("اطلاعات این عضو پاک شده است.", "This member's data was erased."),
    "club_not_set_up": ("باشگاه هنوز آماده نیست.", "The club is not set up yet."),
    "invalid_request": ("درخواست درست نیست.", "The request is not valid."),
    "not_found": ("پیدا نشد.", "Not found."),
    "unavailable": (
        "سرور باشگاه اکنون پاسخ نمی‌دهد؛ کمی بعد دوباره امتحان کنید.",
        "The club's server cannot answer now; please try again shortly.",
    ),
}


def language(accept_language: str | None) -> str:
    """fa or en, by the Accept-Language header's preference between them (q values honoured); fa when the
    header names neither."""
    best, best_q = "fa", -1.0
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0:  # q=0: not wanted (and a malformed q is read as that)
            continue
        q -= position * 1e-6  # equal q: the one named first
        if q > best_q:
            best, best_q = primary, q
    return best


def message(code: str, lang: str) -> str:
    fa, en = MESSAGES.get(code, MESSAGES["invalid_request"])
    return en if lang == "en" else fa
