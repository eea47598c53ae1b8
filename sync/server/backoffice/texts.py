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
    "This account is locked after repeated failures. Try again in 15 minutes.":
        "این حساب پس از چند تلاش ناموفق قفل شد. ۱۵ دقیقه دیگر دوباره امتحان کنید.",
    "Too many failed logins. Try again in {n} minutes.":
        "تلاش‌های ناموفق بسیار بود. {n} دقیقه دیگر دوباره امتحان کنید.",
    "This form has expired. Reload the page and try again.":
        "این فرم منقضی شده است. صفحه را دوباره بارگذاری و دوباره امتحان کنید.",
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
    "Not yet sent": "ارسال‌نشده",
    "not reported": "گزارش نشده",
    # terminals
    "Name": "نام",
    "Version": "نسخه",
    "Actions": "عملیات",
    "revoked": "باطل‌شده",
    "enrolled, not used yet": "ثبت‌شده، هنوز استفاده نشده",
    "not seen yet": "هنوز تماسی نگرفته",
    "Revoke": "ابطال",
    "Cancel": "انصراف",
    "Revoke a terminal": "ابطال پایانه",
    "Revoke {code} at {branch}?": "پایانهٔ {code} در شعبهٔ {branch} باطل شود؟",
    "The server will refuse it from now on; entries it has not sent stay on it. Cards it issued stay valid. "
    "To use it again, enrol it with a new code.":
        "از این پس سرور آن را نمی‌پذیرد؛ ردیف‌هایی که نفرستاده روی خود پایانه می‌ماند. کارت‌هایی که صادر کرده "
        "معتبر می‌مانند. برای استفادهٔ دوباره، آن را با کدی تازه ثبت کنید.",
    "It last said {n} entries were waiting to be sent.": "در آخرین گزارش، {n} ردیف در انتظار ارسال داشت.",
    "The terminal is revoked: the server refuses it from now on.":
        "پایانه باطل شد: سرور از این پس آن را نمی‌پذیرد.",
    "New enrolment code": "کد ثبت تازه",
    "A code enrols one terminal at the branch. It is shown once, as text and as a QR code a scanner can "
    "type into the terminal's enrolment.":
        "هر کد یک پایانهٔ شعبه را ثبت می‌کند. کد فقط یک بار نشان داده می‌شود، هم به صورت متن و هم به صورت "
        "کد QR که اسکنر می‌تواند آن را در بخش ثبت پایانه وارد کند.",
    "Valid for (hours)": "مدت اعتبار (ساعت)",
    "Enrolment code": "کد ثبت پایانه",
    "Enrol one terminal of {branch} with this code before {expires}. It is shown only now: write it down or "
    "scan it.":
        "با این کد تا پیش از {expires} یک پایانهٔ شعبهٔ {branch} را ثبت کنید. این کد فقط همین حالا نمایش "
        "داده می‌شود: آن را یادداشت یا اسکن کنید.",
    "On the terminal, as its administrator:": "روی پایانه، با دسترسی مدیر سیستم:",
    "Back to terminals": "بازگشت به پایانه‌ها",
    "QR code of the enrolment code {code}": "کد QR برای کد ثبت {code}",
    "The QR code holds the code alone: a scanner types it where the terminal asks for the code.":
        "کد QR فقط خود کد را در بر دارد: اسکنر آن را همان‌جا که پایانه کد را می‌خواهد تایپ می‌کند.",
    # staff
    "Staff on the terminals": "کارکنان پایانه‌ها",
    "Staff log in on the terminals with their PIN. Every change reaches each terminal at its next sync. "
    "Wrong PINs lock a person out on that terminal; Unlock lifts it everywhere.":
        "کارکنان با رمز خود وارد پایانه‌ها می‌شوند. هر تغییر در همگام‌سازی بعدی به هر پایانه می‌رسد. چند رمز "
        "نادرست، شخص را روی همان پایانه قفل می‌کند؛ «رفع قفل» قفل را در همهٔ پایانه‌ها برمی‌دارد.",
    "Add a member of staff": "افزودن کارمند",
    "Role": "نقش",
    "Every branch": "همهٔ شعبه‌ها",
    "PIN (4 to 12 digits)": "رمز (۴ تا ۱۲ رقم)",
    "Add": "افزودن",
    "No staff yet.": "هنوز کارمندی ثبت نشده است.",
    "active": "فعال",
    "disabled": "غیرفعال",
    "Role of {name}": "نقش {name}",
    "Change role": "تغییر نقش",
    "New PIN for {name}": "رمز تازه برای {name}",
    "New PIN": "رمز تازه",
    "Reset PIN": "تعیین رمز تازه",
    "Unlock": "رفع قفل",
    "Disable": "غیرفعال کردن",
    "Enable": "فعال کردن",
    "cashier": "صندوقدار",
    "host": "میزبان",
    "admin": "مدیر سیستم",
    "Added. Terminals get the new member of staff at their next sync.":
        "افزوده شد. پایانه‌ها در همگام‌سازی بعدی کارمند تازه را دریافت می‌کنند.",
    "Role changed. Terminals apply it at their next sync.":
        "نقش تغییر کرد. پایانه‌ها در همگام‌سازی بعدی آن را اعمال می‌کنند.",
    "PIN changed. Each terminal uses it, and lifts any lockout, at its next sync.":
        "رمز تغییر کرد. هر پایانه در همگام‌سازی بعدی رمز تازه را به کار می‌گیرد و قفل را هم برمی‌دارد.",
    "Unlocked. Each terminal lifts the lockout at its next sync.":
        "قفل برداشته شد. هر پایانه در همگام‌سازی بعدی قفل را برمی‌دارد.",
    "Disabled. They can no longer log in once the terminals have synced.":
        "غیرفعال شد. پس از همگام‌سازی پایانه‌ها دیگر نمی‌تواند وارد شود.",
    "Enabled again. They can log in once the terminals have synced.":
        "دوباره فعال شد. پس از همگام‌سازی پایانه‌ها می‌تواند وارد شود.",
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
    "unknown_device": "چنین پایانه‌ای نیست.",
    "invalid_ttl": "مدت اعتبار کد باید ۱ تا ۷۲۰ ساعت باشد.",
    "unknown_staff": "چنین کارمندی نیست.",
    "invalid_staff_name": "نام کارمند را وارد کنید (حداکثر ۱۲۰ نویسه).",
    "invalid_staff_role": "نقش کارمند معتبر نیست.",
    "invalid_pin_format": "رمز باید ۴ تا ۱۲ رقم باشد.",
}
ERRORS_EN: dict[str, str] = {
    "http_404": "This page was not found.",
    "http_405": "This cannot be done on this page.",
    "invalid_request": "What was sent is not valid.",
    "unknown_device": "No such terminal.",
    "invalid_ttl": "A code is valid for 1 to 720 hours.",
    "unknown_staff": "No such member of staff.",
    "invalid_staff_name": "A member of staff needs a name (at most 120 characters).",
    "invalid_staff_role": "Choose one of the staff roles.",
    "invalid_pin_format": "A PIN is 4 to 12 digits.",
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
