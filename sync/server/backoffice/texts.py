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
    # events
    "New event": "رویداد تازه",
    "Events, the latest start first": "رویدادها، از تازه‌ترین آغاز",
    "Name": "نام",
    "When": "زمان",
    "Place": "مکان",
    "Invited": "دعوت‌شده",
    "Inside": "داخل",
    "Club-wide": "سراسر باشگاه",
    "No event yet.": "هنوز رویدادی نیست.",
    "Pages": "صفحه‌ها",
    "First page": "صفحه نخست",
    "Next page": "صفحه بعد",
    "Breadcrumb": "مسیر صفحه",
    "Invite whole tiers": "دعوت از همه اعضای سطح‌ها",
    "Create the event": "ساختن رویداد",
    "Updates itself every few seconds.": "هر چند ثانیه خودبه‌خود به‌روز می‌شود.",
    "Phone": "تلفن",
    "Tier": "سطح",
    "Their guests inside": "همراهان داخل",
    "Actions": "کارها",
    "By name": "با نام",
    "Through their tier": "از راه سطح",
    "Taken back": "پس گرفته شد",
    "Not invited": "دعوت نشده",
    "Admitted twice": "دو بار وارد شده",
    "Not yet": "هنوز نه",
    "QR code": "کد QR",
    "Take back": "پس گرفتن",
    "Nobody is invited yet.": "هنوز کسی دعوت نشده است.",
    "Pages of the guest list": "صفحه‌های فهرست مهمانان",
    "Cancelled": "لغو شده",
    "Ended": "پایان یافته",
    "Doors open": "درها باز",
    "Upcoming": "پیش رو",
    "Starts on": "تاریخ آغاز",
    "Starts at": "ساعت آغاز",
    "Ends on": "تاریخ پایان",
    "Ends at": "ساعت پایان",
    "Dates are Jalali (1405/09/30) or Gregorian (2026-12-21), at the club's local time.":
        "تاریخ شمسی (۱۴۰۵/۰۹/۳۰) یا میلادی (2026-12-21)، به وقت محلی باشگاه.",
    "Capacity (people)": "ظرفیت (نفر)",
    "Empty: no limit. Plus-ones count.": "خالی: بی‌محدودیت. همراهان هم شمرده می‌شوند.",
    "Guests each member may bring": "همراهان مجاز هر عضو",
    "Held by": "برگزارکننده",
    "The whole club": "کل باشگاه",
    "A branch's manager manages its events; the whole club's are head office's.":
        "رویدادهای هر شعبه را مدیر همان شعبه اداره می‌کند و رویدادهای کل باشگاه را دفتر مرکزی.",
    "The event is created and sent to the doors.": "رویداد ساخته و برای درهای ورودی فرستاده شد.",
    "The changes are saved and sent to the doors.": "تغییرها ذخیره و برای درهای ورودی فرستاده شد.",
    "The event is cancelled: the doors refuse its invitations from their next sync.":
        "رویداد لغو شد: درهای ورودی از همگام‌سازی بعدی، دعوت‌نامه‌های آن را نمی‌پذیرند.",
    "Invited. The doors get the guest list at their next sync.":
        "دعوت شد. درهای ورودی فهرست مهمانان را در همگام‌سازی بعدی دریافت می‌کنند.",
    "The invitation is taken back.": "دعوت پس گرفته شد.",
    "This event is cancelled: the doors refuse its invitations.":
        "این رویداد لغو شده است: درهای ورودی دعوت‌نامه‌های آن را نمی‌پذیرند.",
    "Details": "جزئیات",
    "Starts": "آغاز",
    "Ends": "پایان",
    "No limit": "بی‌محدودیت",
    "Invited tiers": "سطح‌های دعوت‌شده",
    "None": "هیچ",
    "Attendance (CSV)": "حضور و غیاب (CSV)",
    "Invitation sheet (PDF)": "برگه دعوت‌نامه‌ها (PDF)",
    "Invite": "دعوت",
    "Whole tiers": "همه اعضای سطح",
    "A member: id, phone number or card number": "یک عضو: شناسه، شماره تلفن یا شماره کارت",
    "Edit the event": "ویرایش رویداد",
    "Save": "ذخیره",
    "Cancel the event": "لغو رویداد",
    "The doors will refuse every invitation to it. This cannot be undone here.":
        "درهای ورودی هیچ دعوت‌نامه‌ای از آن را نمی‌پذیرند. این کار را اینجا نمی‌توان برگرداند.",
    "Yes, cancel this event": "بله، این رویداد لغو شود",
    "Guest list": "فهرست مهمانان",
    "Type a date like 1405/09/30 and a time like 18:30.":
        "تاریخی مانند ۱۴۰۵/۰۹/۳۰ و ساعتی مانند ۱۸:۳۰ بنویسید.",
    "Capacity is a whole number of people, at least 1; leave it empty for none.":
        "ظرفیت عددی درست و دست‌کم ۱ نفر است؛ برای بی‌محدودیت خالی بگذارید.",
    "Guests each member may bring: 0 to {n}.": "همراهان مجاز هر عضو: ۰ تا {n}.",
    "Give the event a name (up to 120 characters).": "برای رویداد نامی بنویسید (تا ۱۲۰ نویسه).",
    "The place is up to 120 characters.": "مکان حداکثر ۱۲۰ نویسه است.",
    "Tick the box to confirm that the event is cancelled.": "برای تأیید لغو رویداد، گزینه را تیک بزنید.",
    "Type a member id, a phone number or a card number.": "شناسه عضو، شماره تلفن یا شماره کارت را بنویسید.",
    "Choose a tier or type a member to invite.": "سطحی را انتخاب کنید یا عضوی را برای دعوت بنویسید.",
    "No member has this id or phone number.": "هیچ عضوی این شناسه یا شماره تلفن را ندارد.",
    "No member has this card.": "هیچ عضوی این کارت را ندارد.",
    "This is not a phone number.": "این شماره تلفن نیست.",
    "You may hold events only at the branches you manage.":
        "فقط در شعبه‌هایی که مدیرشان هستید می‌توانید رویداد برگزار کنید.",
    "Several members have this phone number: invite by member id.":
        "چند عضو این شماره تلفن را دارند: با شناسه عضو دعوت کنید.",
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
    # events
    "unknown_event": "چنین رویدادی نیست.",
    "event_exists": "رویدادی با این شناسه هست: آن را ویرایش کنید.",
    "invalid_event_name": "نام رویداد خالی است یا از ۱۲۰ نویسه بلندتر است.",
    "event_ends_before_start": "پایان رویداد باید پس از آغاز آن باشد.",
    "invalid_capacity": "ظرفیت دست‌کم ۱ نفر است.",
    "invalid_plus_ones": "شمار همراهان مجاز بیرون از اندازه است.",
    "too_many_tiers": "سطح‌های دعوت‌شده بیش از اندازه است.",
    "unknown_tier": "چنین سطحی نیست.",
    "event_cancelled": "این رویداد لغو شده است.",
    "event_ended": "این رویداد تمام شده است.",
    "unknown_invitation": "این عضو با نام به این رویداد دعوت نشده است.",
    "invitation_cancelled": "دعوت این عضو پس گرفته شده است.",
    "no_named_guests": "هیچ‌کس با نام به این رویداد دعوت نشده است.",
    "unknown_sheet": "فهرست مهمانان چنین بخشی ندارد.",
    "invalid_cursor": "این صفحه از فهرست دیگر معتبر نیست؛ از صفحه نخست شروع کنید.",
    "no_key_ids": "شناسه کلید آزادی برای امضای دعوت‌نامه نمانده است.",
}
ERRORS_EN: dict[str, str] = {
    "event_ends_before_start": "The event must end after it starts.",
    "unknown_invitation": "This member is not invited to the event by name.",
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
