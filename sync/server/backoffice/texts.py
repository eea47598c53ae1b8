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
    # the programme (pages/programme.py, templates/programme/)
    "Breadcrumb": "مسیر صفحه",
    "Tiers": "سطح‌ها",
    "Tier": "سطح",
    "Code": "کد",
    "Threshold": "آستانه",
    "Multiplier": "ضریب",
    "Discount": "تخفیف",
    "Cashback": "بازگشت وجه",
    "points": "امتیاز",
    "rials": "ریال",
    "Toman": "تومان",
    "Window": "بازه",
    "Grace": "مهلت",
    "days": "روز",
    "Tiers are earned with points within the window.": "سطح‌ها با امتیاز کسب‌شده در بازه زمانی به دست می‌آیند.",
    "Tiers are earned with spending within the window.": "سطح‌ها با مبلغ خرید در بازه زمانی به دست می‌آیند.",
    "Each branch's earning": "امتیازدهی هر شعبه",
    "Points per unit": "امتیاز هر واحد",
    "Unit (Toman)": "واحد (تومان)",
    "Minimum sale (Toman)": "کمترین مبلغ خرید (تومان)",
    "Most points per sale": "بیشترین امتیاز هر خرید",
    "A point pays (Toman)": "ارزش هر امتیاز (تومان)",
    "Points may pay at most": "سقف پرداخت با امتیاز",
    "no limit": "بی‌سقف",
    "Campaigns": "کمپین‌ها",
    "Campaign": "کمپین",
    "From": "از",
    "To": "تا",
    "Bonus points": "امتیاز هدیه",
    "every branch": "همه شعبه‌ها",
    "every tier": "همه سطح‌ها",
    "No campaign.": "کمپینی نیست.",
    "Rewards": "جایزه‌ها",
    "Reward": "جایزه",
    "Points": "امتیاز",
    "Stock by branch": "موجودی هر شعبه",
    "not offered at any branch": "در هیچ شعبه‌ای عرضه نمی‌شود",
    "No reward.": "جایزه‌ای نیست.",
    "And the rest": "سایر قواعد",
    "at most": "حداکثر",
    "Toman a sale": "تومان در هر خرید",
    "Points expire": "انقضای امتیاز",
    "after {n} days": "پس از {n} روز",
    "Offline grants": "اعتبار آفلاین",
    "{share}% of the balance, at most {points} points, for {hours} hours":
        "{share}٪ موجودی، حداکثر {points} امتیاز، به مدت {hours} ساعت",
    "Product categories": "دسته‌های کالا",
    "version": "نسخه",
    "Version": "نسخه",
    "Versions": "نسخه‌ها",
    "current": "جاری",
    "Published": "منتشرشده",
    "By": "توسط",
    "Note": "یادداشت",
    "Changes": "تغییرات",
    "what changed": "تغییرات",
    "Older versions": "نسخه‌های قدیمی‌تر",
    "No version was published yet: the tier and branch tables price sales (version 0).":
        "هنوز نسخه‌ای منتشر نشده است: جدول سطح‌ها و شعبه‌ها امتیاز خریدها را تعیین می‌کنند (نسخه ۰).",
    "What would a sale earn?": "یک خرید چه امتیازی می‌گیرد؟",
    "Compare versions": "مقایسه نسخه‌ها",
    "Edit the programme": "ویرایش برنامه باشگاه",
    "Edit": "ویرایش",
    "Version {n} is published; terminals receive it at their next sync.":
        "نسخه {n} منتشر شد؛ پایانه‌ها در همگام‌سازی بعدی آن را دریافت می‌کنند.",
    "What changed in this version": "تغییرات این نسخه",
    "Compare with the current version": "مقایسه با نسخه جاری",
    "Version 0 is the tier and branch tables' programme, before any version was published.":
        "نسخه ۰ همان جدول سطح‌ها و شعبه‌هاست، پیش از انتشار هر نسخه‌ای.",
    "The whole rule set (YAML)": "همه قواعد (YAML)",
    "What changed from version {a} to version {b}": "تغییرات از نسخه {a} تا نسخه {b}",
    "From version": "از نسخه",
    "To version": "تا نسخه",
    "Compare": "مقایسه",
    "As a text diff of the two files": "تفاوت متنی دو فایل",
    "changed": "تغییر",
    "added": "افزوده",
    "removed": "حذف",
    "Nothing changed.": "تغییری نیست.",
    "Starting from version {n}. Publishing makes a new version; terminals receive it at their next sync.":
        "ویرایش بر پایه نسخه {n}. انتشار، نسخه تازه‌ای می‌سازد که پایانه‌ها در همگام‌سازی بعدی دریافت می‌کنند.",
    "The common parts": "بخش‌های رایج",
    "Add or remove tiers, or change their names and ranks, in the YAML.":
        "افزودن یا حذف سطح‌ها و تغییر نام و رتبه آن‌ها در YAML انجام می‌شود.",
    "A sale earns the points per unit for each whole unit paid; leave the most points empty for no limit.":
        "هر خرید به ازای هر واحد کامل پرداخت‌شده «امتیاز هر واحد» را می‌گیرد؛ برای نداشتن سقف، "
        "«بیشترین امتیاز هر خرید» را خالی بگذارید.",
    "A new campaign": "کمپین تازه",
    "A new reward": "جایزه تازه",
    "Name (Persian)": "نام (فارسی)",
    "Name (English)": "نام (انگلیسی)",
    "From (1404/09/29)": "از (۱۴۰۴/۰۹/۲۹)",
    "To (1404/10/01)": "تا (۱۴۰۴/۱۰/۰۱)",
    "From (2025-12-20)": "از (2025-12-20)",
    "To (2025-12-22)": "تا (2025-12-22)",
    "Branches (none ticked: every branch)": "شعبه‌ها (اگر هیچ‌کدام انتخاب نشود: همه شعبه‌ها)",
    "Remove": "حذف",
    "Tiers, categories, weekdays and bonus points of a campaign are in the YAML.":
        "سطح‌ها، دسته‌ها، روزهای هفته و امتیاز هدیه کمپین در YAML ویرایش می‌شوند.",
    "Stock by branch (empty: not offered there)": "موجودی هر شعبه (خالی: در آن شعبه عرضه نمی‌شود)",
    "Note (why this version)": "یادداشت (چرا این نسخه)",
    "Validate": "بررسی",
    "Publish": "انتشار",
    "This rule set has problems; it cannot be published as it is.":
        "این قواعد ایراد دارد و به همین شکل منتشر نمی‌شود.",
    "Line {n}": "سطر {n}",
    "The rule set is valid. Publishing it makes version {n}, with these changes:":
        "قواعد معتبر است. انتشار آن، نسخه {n} را با این تغییرات می‌سازد:",
    "What would a sale earn under this draft?": "یک خرید با این پیش‌نویس چه امتیازی می‌گیرد؟",
    "As a terminal prices it: the branch's earning, the tier's multiplier, the campaigns of that day and the "
    "cashback.": "همان‌گونه که پایانه حساب می‌کند: امتیازدهی شعبه، ضریب سطح، کمپین‌های آن روز و بازگشت وجه.",
    "Member id": "شناسه عضو",
    "or a tier": "یا یک سطح",
    "Sale (Toman)": "مبلغ خرید (تومان)",
    "Category (optional)": "دسته کالا (اختیاری)",
    "On (optional; default today)": "تاریخ (اختیاری؛ پیش‌فرض امروز)",
    "Version (optional)": "نسخه (اختیاری)",
    "Work it out": "محاسبه",
    "Under the draft": "با پیش‌نویس",
    "Under version {n}": "با نسخه {n}",
    "Points earned": "امتیاز کسب‌شده",
    "of which the branch and tier give": "سهم شعبه و سطح",
    "Cashback (Toman)": "بازگشت وجه (تومان)",
    "Campaigns applied": "کمپین‌های اعمال‌شده",
    "none": "هیچ",
    "Type the amount in Toman, e.g. 250000.": "مبلغ را به تومان بنویسید، مثلاً ۲۵۰۰۰۰.",
    "Give a member's id or choose a tier, one of them.":
        "یا شناسه عضو را بنویسید یا یک سطح را انتخاب کنید، فقط یکی.",
    "Type a date, e.g. 1404/09/30 or 2025-12-21.": "تاریخ را بنویسید، مثلاً ۱۴۰۴/۰۹/۳۰ یا 2025-12-21.",
    "A version is a whole number.": "نسخه باید عدد صحیح باشد.",
    "The draft has problems: validate it first.": "پیش‌نویس ایراد دارد: نخست آن را بررسی کنید.",
    # why a draft is refused (pages/programme.py REASONS)
    "must be above the tier before it": "باید از سطح پیش از خود بیشتر باشد",
    "the first tier's threshold must be 0": "آستانه نخستین سطح باید ۰ باشد",
    "ranks must rise from one tier to the next": "رتبه‌ها باید از هر سطح به سطح بعد بالا بروند",
    "the threshold must be 0 or more and the multiplier 0 to 1000 %":
        "آستانه باید ۰ یا بیشتر و ضریب ۰ تا ۱۰۰۰ درصد باشد",
    "is outside the allowed range": "بیرون از بازه مجاز است",
    "cannot be negative": "نباید منفی باشد",
    "must be at least 1": "باید دست‌کم ۱ باشد",
    "the end is before the start": "پایان پیش از آغاز است",
    "the multiplier must be 100 to 1000 % and the bonus 0 or more":
        "ضریب باید ۱۰۰ تا ۱۰۰۰ درصد و امتیاز هدیه ۰ یا بیشتر باشد",
    "names something the rule set does not have": "به چیزی اشاره دارد که در قواعد نیست",
    "a code is Latin letters, digits, _ and -, at most 32 characters":
        "کد از حروف لاتین، رقم، _ و - ساخته می‌شود و حداکثر ۳۲ نویسه دارد",
    "this code is used twice": "این کد دو بار به کار رفته است",
    "cannot be empty": "نباید خالی باشد",
    "the window must be at least a day and the grace 0 or more":
        "بازه باید دست‌کم یک روز و مهلت ۰ یا بیشتر باشد",
    "the price and the duration must be at least 1": "قیمت و مدت باید دست‌کم ۱ باشند",
    "the points step, the percent per step or the maximum discount is out of range":
        "گام امتیاز، درصد هر گام یا سقف تخفیف بیرون از بازه مجاز است",
    "must be a whole number": "باید عدد صحیح باشد",
    "is required": "لازم است",
    "is not a field of the rule set": "از بخش‌های قواعد نیست",
    "must be text": "باید متن باشد",
    "is too long": "بیش از اندازه بلند است",
    "has too many entries": "ردیف‌های بیش از اندازه دارد",
    "must be true or false": "باید true یا false باشد",
    "is not one of the allowed values": "از مقدارهای مجاز نیست",
    "must be a date": "باید تاریخ باشد",
    "is too small": "بیش از اندازه کوچک است",
    "is too large": "بیش از اندازه بزرگ است",
    "must be a mapping of fields": "باید مجموعه‌ای از بخش‌ها باشد",
    "must be a mapping": "باید نگاشت (کلید و مقدار) باشد",
    "must be a list": "باید فهرست باشد",
    "is not valid YAML": "YAML معتبر نیست",
    "is not valid JSON": "JSON معتبر نیست",
    "is written twice": "دو بار نوشته شده است",
    "holds a character that cannot be stored": "نویسه‌ای دارد که ذخیره‌شدنی نیست",
    "nests too deep": "تودرتوی بیش از اندازه دارد",
    "uses too many YAML aliases": "ارجاع‌های YAML بیش از اندازه دارد",
    "holds a value that is too long": "مقداری بیش از اندازه بلند دارد",
    "is not UTF-8 text": "متن UTF-8 نیست",
    "is empty": "خالی است",
    "must be an amount in Toman": "باید مبلغی به تومان باشد",
    "must be a date (1404/09/29 or 2025-12-20)": "باید تاریخ باشد (۱۴۰۴/۰۹/۲۹ یا 2025-12-20)",
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
    # the programme
    "invalid_rules": "قواعد معتبر نیست.",
    "unknown_rules_version": "چنین نسخه‌ای از قواعد نیست.",
    "rules_changed": "از وقتی این صفحه را باز کردید نسخه تازه‌ای منتشر شده است. "
    "صفحه را دوباره باز و تغییرات را دوباره اعمال کنید.",
    "note_too_long": "یادداشت حداکثر ۵۰۰ نویسه است.",
    "setting_in_rule_set": "سیاست اعتبار آفلاین بخشی از قواعد باشگاه است: آن را در برنامه باشگاه تغییر دهید.",
    "tier_or_member": "یا شناسه عضو را بنویسید یا یک سطح را انتخاب کنید، فقط یکی.",
    "invalid_amount": "مبلغ معتبر نیست.",
    "unknown_member": "عضوی با این شناسه نیست.",
    "unknown_tier": "این سطح در قواعد نیست.",
    "unknown_category": "این دسته کالا در قواعد نیست.",
    "discount_over_amount": "تخفیف بیش از مبلغ خرید است.",
    "rank_taken": "سطح دیگری این رتبه را دارد.",
}
ERRORS_EN: dict[str, str] = {
    "http_404": "This page was not found.",
    "http_405": "This cannot be done on this page.",
    "invalid_request": "What was sent is not valid.",
    "rules_changed": "A new version was published since you opened this page. "
    "Open it again and redo your changes.",
    "unknown_member": "No member has this id.",
    "unknown_tier": "This tier is not in the rule set.",
    "unknown_category": "This product category is not in the rule set.",
    "tier_or_member": "Give a member's id or choose a tier, one of them.",
    "discount_over_amount": "The discount is more than the sale.",
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
