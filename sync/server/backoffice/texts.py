# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office's words in Persian, keyed by their English.

Pages call `_("English text")` (templates and page modules alike); Persian users see the entry here. A test
scans every `_("…")` under sync/server/backoffice and fails for one without a Persian entry, so nothing
ships half-translated. Refusals from the use cases are translated by their stable code (`error_text`).
"""

from __future__ import annotations

from collections.abc import Callable

FA: dict[str, str] = {
    # the frame
    "Back office": "پنل مدیریت",
    "Bashgah": "باشگاه",
    "Bashgah back office": "پنل مدیریت باشگاه",
    "Skip to content": "رفتن به محتوا",
    "Main": "اصلی",
    "Menu": "منو",
    "Dashboard": "پیشخوان",
    "Members": "اعضا",
    "Programme": "برنامه باشگاه",
    "Events": "رویدادها",
    "Review": "بازبینی",
    "Terminals and staff": "پایانه‌ها و کارکنان",
    "Branches": "شعبه‌ها",
    "Audit log": "گزارش رویدادها",
    "Users": "کاربران",
    "Log in": "ورود",
    "Log out": "خروج",
    "User name": "نام کاربری",
    "Password": "گذرواژه",
    "Refused": "پذیرفته نشد",
    "Back to the dashboard": "بازگشت به پیشخوان",
    # roles
    "owner": "مالک",
    "manager": "مدیر",
    "branch-manager": "مدیر شعبه",
    "marketing": "بازاریابی",
    "auditor": "حسابرس",
    # logging in
    "Wrong user name or password.": "نام کاربری یا گذرواژه درست نیست.",
    "This account is locked after repeated failures. Try again in 15 minutes.": "این حساب پس از چند تلاش ناموفق قفل شد. ۱۵ دقیقه دیگر دوباره امتحان کنید.",
    "Too many failed logins. Try again in {n} minutes.": "تلاش‌های ناموفق بسیار بود. {n} دقیقه دیگر دوباره امتحان کنید.",
    "This form has expired. Reload the page and try again.": "این فرم منقضی شده است. صفحه را دوباره بارگذاری و دوباره امتحان کنید.",
    "Your role may not do this.": "نقش شما اجازه این کار را ندارد.",
    # dashboard
    "Today": "امروز",
    "This month": "این ماه",
    "Ledger entries": "ردیف‌های دفتر",
    "Points added": "امتیاز افزوده",
    "Wallet (Toman)": "کیف پول (تومان)",
    "Waiting for review": "در انتظار بازبینی",
    "Entries set aside": "ردیف‌های کنارگذاشته",
    "Open alerts": "هشدارهای باز",
    "Terminals": "پایانه‌ها",
    "Terminal": "پایانه",
    "Branch": "شعبه",
    "Last seen": "آخرین تماس",
    "State": "وضعیت",
    "never": "هرگز",
    "lagging": "عقب‌مانده",
    "online": "برخط",
    "No terminal is enrolled yet.": "هنوز هیچ پایانه‌ای ثبت نشده است.",
    # lists and forms
    "Action": "کار",
    "Actions": "کارها",
    "Add": "افزودن",
    "Add a branch": "افزودن شعبه",
    "Add a user": "افزودن کاربر",
    "Back-office users": "کاربران پنل مدیریت",
    "Before and after": "پیش و پس",
    "Both names are needed.": "هر دو نام لازم است.",
    "Branches (branch managers)": "شعبه‌ها (برای مدیر شعبه)",
    "Check the code (letters and digits) and both names.": "کد (حرف و رقم) و هر دو نام را بررسی کنید.",
    "Close": "بستن",
    "Code": "کد",
    "Disable": "غیرفعال کردن",
    "Earning": "امتیازدهی",
    "English name": "نام انگلیسی",
    "Filter": "پالایش",
    "From (YYYY-MM-DD)": "از (YYYY-MM-DD میلادی)",
    "Name": "نام",
    "New password": "گذرواژه تازه",
    "Nothing matches.": "چیزی پیدا نشد.",
    "Older": "قدیمی‌تر",
    "Persian name": "نام فارسی",
    "Points": "امتیاز",
    "Rename": "تغییر نام",
    "Reopen": "بازگشایی",
    "Role": "نقش",
    "Save": "ذخیره",
    "Target": "هدف",
    "The new password is set; the user's sessions have ended.": "گذرواژه تازه ثبت شد و نشست‌های این کاربر بسته شد.",
    "To (YYYY-MM-DD)": "تا (YYYY-MM-DD میلادی)",
    "When": "زمان",
    "Who": "چه کسی",
    "active": "فعال",
    "closed": "بسته",
    "disabled": "غیرفعال",
    "open": "باز",
    "per Toman": "به ازای تومان",
    "{points} points per {toman} Toman": "{points} امتیاز به ازای {toman} تومان",
    # members
    "Name, phone or card number": "نام، تلفن یا شماره کارت",
    "Phone": "تلفن",
    "Tier": "سطح",
    "Joined": "تاریخ عضویت",
    "restricted": "محدود",
    "No member matches.": "عضوی پیدا نشد.",
    "More": "بیشتر",
}

# Refusals by their stable code (sync.server.errors.ApiError.code); the English is the API's own message.
ERRORS_FA: dict[str, str] = {
    "forbidden": "نقش شما اجازه این کار را ندارد.",
    "not_found": "پیدا نشد.",
    "http_404": "این صفحه پیدا نشد.",
    "http_405": "این کار در این صفحه ممکن نیست.",
    "invalid_request": "آنچه فرستاده شد معتبر نیست.",
    "weak_password": "گذرواژه باید دست‌کم ۱۰ نویسه باشد.",
    "invalid_user_name": "نام کاربری: ۲ تا ۳۲ حرف کوچک لاتین، رقم، نقطه، خط زیر یا خط تیره.",
    "user_exists": "کاربری با این نام هست.",
    "unknown_user": "چنین کاربری نیست.",
    "invalid_role": "نقش معتبر نیست.",
    "branch_required": "مدیر شعبه دست‌کم یک شعبه لازم دارد.",
    "unknown_branch": "چنین شعبه‌ای نیست.",
    "cannot_disable_self": "نمی‌توانید حساب خودتان را غیرفعال کنید.",
    "branch_closed": "این شعبه بسته است؛ نخست آن را بازگشایی کنید.",
    "branch_code_taken": "این کد شعبه به کار رفته است.",
}
ERRORS_EN: dict[str, str] = {
    "http_404": "This page was not found.",
    "http_405": "This cannot be done on this page.",
    "invalid_request": "What was sent is not valid.",
}


def translator(lang: str) -> Callable[[str], str]:
    if lang == "fa":
        return lambda text: FA.get(text, text)
    return lambda text: text


def error_text(code: str, lang: str, english: str) -> str:
    """A refusal in the user's language, by its code; the English message when Persian has no entry."""
    if lang == "fa":
        return ERRORS_FA.get(code, english or code.replace("_", " "))
    return ERRORS_EN.get(code, english or code.replace("_", " "))
