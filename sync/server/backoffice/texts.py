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
    # the member's file
    "Find a member": "یافتن عضو",
    "Name, phone or card number": "نام، تلفن یا شماره کارت",
    "Search": "جستجو",
    "Breadcrumb": "مسیر صفحه",
    "Photo of {name}": "عکس {name}",
    "No photo": "بدون عکس",
    "Restricted: balance below zero": "محدود: موجودی منفی",
    "Birth date": "تاریخ تولد",
    "National id": "کد ملی",
    "Joined": "تاریخ عضویت",
    "Marketing messages": "پیام‌های تبلیغاتی",
    "Agreed": "موافق است",
    "Not agreed": "موافق نیست",
    "Edit profile": "ویرایش مشخصات",
    "Tier and standing": "سطح و وضعیت",
    "Tier": "سطح",
    "Since": "از",
    "joining": "زمان عضویت",
    "Sales priced as": "قیمت‌گذاری خرید با سطح",
    "Paid membership": "عضویت ویژه",
    "until": "تا",
    "Qualifying points": "امتیاز معتبر برای سطح",
    "Qualifying spend (Toman)": "خرید معتبر برای سطح (تومان)",
    "Next tier": "سطح بعدی",
    "Still needed": "مانده تا سطح بعد",
    "Tier kept until": "حفظ سطح تا",
    "Points expiring": "امتیاز در آستانه انقضا",
    "Points and wallet": "امتیاز و کیف پول",
    "Points": "امتیاز",
    "Spent in all (Toman)": "کل خرید (تومان)",
    "Purchases": "تعداد خرید",
    "Last activity": "آخرین فعالیت",
    "Adjust points": "اصلاح امتیاز",
    "Points (+ or −)": "امتیاز (+ یا −)",
    "At branch": "در شعبه",
    "Reason": "دلیل",
    "At most {n} points in one adjustment.": "در هر اصلاح حداکثر {n} امتیاز.",
    "Adjust": "ثبت اصلاح",
    "Place in a tier": "تعیین سطح",
    "Place": "ثبت سطح",
    "The member keeps the tier a whole qualifying period and its grace from today.":
        "عضو این سطح را از امروز به اندازه یک دوره کامل ارزیابی و مهلت آن حفظ می‌کند.",
    "Cards": "کارت‌ها",
    "Issue a QR card": "صدور کارت QR",
    "Card number": "شماره کارت",
    "Kind": "نوع",
    "Issued": "تاریخ صدور",
    "Expires": "انقضا",
    "Actions": "عملیات",
    "QR code": "کد QR",
    "Card": "کارت",
    "active": "فعال",
    "lost": "مفقود",
    "revoked": "باطل",
    "Show QR": "نمایش QR",
    "Why (optional)": "دلیل (اختیاری)",
    "Mark lost": "اعلام مفقودی",
    "Revoke": "ابطال",
    "No card yet.": "هنوز کارتی ندارد.",
    "Invitations": "دعوت‌ها",
    "Event": "رویداد",
    "Starts": "شروع",
    "Invited": "نحوه دعوت",
    "through their tier": "بر اساس سطح",
    "by name": "با نام",
    "event cancelled": "رویداد لغو شد",
    "invitation cancelled": "دعوت لغو شد",
    "invited": "دعوت‌شده",
    "No invitations.": "دعوتی ندارد.",
    "Privacy": "حریم خصوصی",
    "Ledger": "گردش حساب",
    "When": "زمان",
    "Sale (Toman)": "مبلغ خرید (تومان)",
    "Reason or reference": "دلیل یا مرجع",
    "No entries yet.": "هنوز ردیفی ثبت نشده است.",
    "Older entries": "ردیف‌های قدیمی‌تر",
    "Back to the member's file": "بازگشت به پرونده عضو",
    "Name": "نام",
    "Phone": "تلفن",
    "Jalali (1369/01/01) or Gregorian (1990-03-21); leave empty if unknown.":
        "شمسی (۱۳۶۹/۰۱/۰۱) یا میلادی (1990-03-21)؛ اگر نمی‌دانید خالی بگذارید.",
    "Save": "ذخیره",
    "Cancel": "انصراف",
    "QR card": "کارت QR",
    "QR code of card {number}": "کد QR کارت {number}",
    "Print this page or send the image to the member: every terminal accepts it as their card.":
        "این صفحه را چاپ کنید یا تصویر را برای عضو بفرستید: همه پایانه‌ها آن را کارت او می‌شناسند.",
    "The profile is saved.": "مشخصات ذخیره شد.",
    "The points are adjusted.": "امتیاز اصلاح شد.",
    "The member is placed in the tier.": "سطح عضو ثبت شد.",
    "The card is revoked.": "کارت باطل شد.",
    "The card is marked lost.": "کارت مفقود اعلام شد.",
    # the ledger's entry kinds
    "Sale": "خرید",
    "Points spent": "خرج امتیاز",
    "Cashback": "بازگشت وجه به کیف پول",
    "Wallet spent": "خرج از کیف پول",
    "Adjustment": "اصلاح امتیاز",
    "Points expired": "انقضای امتیاز",
    "Bonus": "امتیاز هدیه",
    "Membership bought": "خرید عضویت ویژه",
    "Reversal": "برگشت",
    "Manager override": "مجوز مدیر",
    "Event admission": "ورود به رویداد",
    "Guest admission": "ورود مهمان",
    "Tier change": "تغییر سطح",
    "Reward": "جایزه",
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
    # the member's file
    "unknown_member": "چنین عضوی نیست.",
    "no_photo": "این عضو عکس ندارد.",
    "invalid_birth_date": "تاریخ تولد درست نیست. آن را به شکل ۱۳۶۹/۰۱/۰۱ یا 1990-03-21 بنویسید.",
    "duplicate_phone": "عضو دیگری این شماره تلفن را دارد.",
    "unknown_tier": "چنین سطحی در برنامه باشگاه نیست.",
    "same_tier": "عضو هم‌اکنون در همین سطح است.",
    "invalid_points": "امتیاز را عدد صحیح غیر صفر بنویسید: مثلاً ۵۰ برای افزودن و منفی ۲۰ برای کاستن.",
    "adjust_over_limit": "هر اصلاح حداکثر {limit} امتیاز است.",
    "insufficient_points": "عضو فقط {balance} امتیاز دارد.",
    "entry_conflict": "این فرم پیش‌تر برای اصلاح دیگری فرستاده شده است. صفحه را دوباره بارگذاری کنید.",
    "unknown_card": "چنین کارتی نیست.",
    "card_not_active": "این کارت پیش‌تر باطل یا مفقود اعلام شده است.",
    "not_a_server_card": "این کارت را یک پایانه صادر کرده است؛ کد QR آن فقط در همان پایانه نمایش داده می‌شود.",
    "card_series_full": "شماره‌های کارت سرور تمام شده است.",
    "club_not_set_up": "باشگاه هنوز راه‌اندازی نشده است.",
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
