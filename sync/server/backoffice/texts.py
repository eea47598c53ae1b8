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
    # review queues (pages/review.py)
    "Review queues": "صف‌های بازبینی",
    "Double admissions": "ورود دوباره",
    "Negative balances": "موجودی منفی",
    "Other alerts": "هشدارهای دیگر",
    "Entries the server did not count. Accept one to count it after all (an audited override), or confirm "
    "its refusal; the terminals are told either way.":
        "ثبت‌هایی که سرور حساب نکرد. یکی را بپذیرید تا با این حال حساب شود (استثنایی که در گزارش رویدادها "
        "ثبت می‌شود)، یا رد شدنش را تأیید کنید؛ در هر دو حال پایانه‌ها باخبر می‌شوند.",
    "Why it was set aside": "دلیل کنار گذاشتن",
    "Any reason": "هر دلیلی",
    "Filter": "پالایش",
    "What": "شرح",
    "When": "زمان",
    "Member": "عضو",
    "Why": "دلیل",
    "Decision": "تصمیم",
    "Details": "جزئیات",
    "Resolution": "رسیدگی",
    "Nothing is waiting here.": "چیزی این‌جا در انتظار نیست.",
    "Pages": "صفحه‌ها",
    "First page": "صفحه نخست",
    "Next page": "صفحه بعد",
    "points": "امتیاز",
    "Points": "امتیاز",
    "Toman": "تومان",
    "not held by the server": "در سرور نیست",
    "Alert": "هشدار",
    "Note": "یادداشت",
    "Accept": "پذیرفتن",
    "Confirm refusal": "تأیید رد",
    "This entry cannot be counted: only its refusal can be confirmed.":
        "این ثبت را نمی‌توان حساب کرد: تنها می‌توان رد شدنش را تأیید کرد.",
    "Accepted": "پذیرفته شد",
    "Refusal confirmed": "رد تأیید شد",
    "resolved by {name} at {time}": "رسیدگی به دست {name} در {time}",
    "Event": "رویداد",
    "Doors": "درها",
    "Mark resolved": "بستن هشدار",
    "Open": "باز",
    "Resolved": "رسیدگی‌شده",
    # entry kinds
    "Purchase": "خرید",
    "Points spent": "خرج امتیاز",
    "Cashback added": "واریز کش‌بک",
    "Cashback spent": "خرج کش‌بک",
    "Adjustment": "اصلاح",
    "Points expired": "انقضای امتیاز",
    "Bonus": "جایزه",
    "Membership bought": "خرید عضویت",
    "Reversal": "برگشت",
    "Manager override": "اجازه مدیر",
    "Event admission": "ورود به رویداد",
    "Guest admission": "ورود مهمان",
    "Tier change": "تغییر سطح",
    "Reward": "هدیه",
    # why an entry was set aside
    "The entry was changed after its terminal sealed it: its hash does not hold.":
        "این ثبت پس از مهر شدن در پایانه‌اش تغییر کرده است: هش آن درست درنمی‌آید.",
    "The entry holds text the server cannot store.": "این ثبت متنی دارد که سرور نمی‌تواند نگه دارد.",
    "The entry names a member the server does not hold.": "این ثبت به عضوی اشاره دارد که در سرور نیست.",
    "The entry names a branch the server does not hold.": "این ثبت به شعبه‌ای اشاره دارد که در سرور نیست.",
    "The entry moves the member to a tier the club does not have.":
        "این ثبت عضو را به سطحی می‌برد که باشگاه ندارد.",
    "Another terminal already granted this bonus to the member.":
        "پایانه دیگری این جایزه را پیش‌تر به این عضو داده است.",
    "The terminal wrote the entry for another branch than its own.":
        "پایانه این ثبت را برای شعبه‌ای جز شعبه خودش نوشته است.",
    "Only the server may write this kind of entry (points expiring).":
        "این نوع ثبت (انقضای امتیاز) را تنها سرور می‌تواند بنویسد.",
    "The sale this entry goes with was set aside, so it was too.":
        "خریدی که این ثبت همراه آن است کنار گذاشته شد، پس این هم کنار گذاشته شد.",
    "The entry names a staff member the club does not know.":
        "این ثبت به کارمندی اشاره دارد که باشگاه نمی‌شناسد.",
    "The entry names a staff member who is no longer active.":
        "این ثبت به کارمندی اشاره دارد که دیگر فعال نیست.",
    "The entry names a staff member of another branch.": "این ثبت به کارمند شعبه دیگری اشاره دارد.",
    "The staff member named on the entry may not do this.":
        "کارمندی که در این ثبت آمده اجازه این کار را ندارد.",
    "A manager's act that names no manager.": "کاری در اختیار مدیر که نام هیچ مدیری در آن نیامده است.",
    "The entry was priced by a rule-set version the server does not have.":
        "این ثبت با نسخه‌ای از قواعد باشگاه قیمت‌گذاری شده که در سرور نیست.",
    "The points or amounts are not what the club's rules give for this sale.":
        "امتیاز یا مبلغ‌ها با آنچه قواعد باشگاه برای این خرید می‌دهد یکی نیست.",
    "A tier upgrade the member has not earned.": "ارتقای سطحی که عضو به آن نرسیده است.",
    "A companion entry (cashback, bonus, redemption) without its sale.":
        "ثبتی همراه (کش‌بک، جایزه یا خرج امتیاز) بدون خرید خودش.",
    "A reversal of an entry the server does not hold.": "برگشت ثبتی که در سرور نیست.",
    "A reversal that undoes more than the original entry.": "برگشتی که بیش از ثبت اصلی را برمی‌گرداند.",
    "The terminal added more in an hour than the club allows one terminal.":
        "پایانه در یک ساعت بیش از سقفی که باشگاه برای هر پایانه گذاشته افزوده است.",
    # what an alert says
    "An entry was changed after its terminal sealed it.": "ثبتی پس از مهر شدن در پایانه‌اش تغییر کرده است.",
    "An entry was set aside for review.": "ثبتی برای بازبینی کنار گذاشته شد.",
    "A terminal sent another body for an entry the server already holds.":
        "پایانه‌ای برای ثبتی که در سرور هست، محتوای دیگری فرستاد.",
    "A terminal sent another version of a record the server already holds.":
        "پایانه‌ای نسخه دیگری از رکوردی را فرستاد که در سرور هست.",
    "A terminal's record (member, card or revocation) was refused.":
        "رکوردی از یک پایانه (عضو، کارت یا ابطال کارت) پذیرفته نشد.",
    "A terminal's chain of entries has a gap or is out of order.":
        "زنجیره ثبت‌های یک پایانه جاافتادگی دارد یا ترتیبش به هم خورده است.",
    "A member's balance went below zero: they are on the restricted list.":
        "موجودی عضوی زیر صفر رفت: در فهرست محدود است.",
    "A member's balance is back to zero or more: they are off the restricted list.":
        "موجودی عضوی به صفر یا بیشتر برگشت: از فهرست محدود بیرون آمد.",
    "Two members share a phone number (enrolled twice, offline).":
        "دو عضو یک شماره تلفن دارند (بدون اتصال، دو بار ثبت‌نام شده است).",
    "A member photo was refused.": "عکس عضوی پذیرفته نشد.",
    "A member was admitted to an event at two doors.": "عضوی از دو در به یک رویداد وارد شد.",
    "A terminal went past an hourly limit; what was over it was set aside.":
        "پایانه‌ای از سقف ساعتی گذشت؛ آنچه از سقف بیشتر بود کنار گذاشته شد.",
    "Two terminals undid the same entry while offline.": "دو پایانه بدون اتصال یک ثبت را برگرداندند.",
    "A terminal enrolled a member at another branch or tier; the server corrected it.":
        "پایانه‌ای عضوی را در شعبه یا سطح دیگری ثبت‌نام کرد؛ سرور آن را درست کرد.",
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
    "already_resolved": "پیش‌تر به این مورد رسیدگی شده است.",
    "not_acceptable": "این ثبت را نمی‌توان حساب کرد: تنها می‌توان رد شدنش را تأیید کرد.",
    "note_required": "بنویسید چرا؛ دست‌کم ۳ نویسه.",
    "note_too_long": "یادداشت حداکثر ۵۰۰ نویسه است.",
    "unknown_set_aside": "چنین ثبت کنارگذاشته‌ای نیست.",
    "unknown_alert": "چنین هشداری نیست.",
    "invalid_cursor": "این نشانی صفحه معتبر نیست.",
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
