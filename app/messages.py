# SPDX-License-Identifier: GPL-3.0-or-later
"""What each refusal says, in Persian and English, for the command line.

The Qt window translates the same codes through `tr`; this catalogue serves the CLI, which must work
without Qt. A test checks that every code raised anywhere in `app` has both texts with the same
placeholders.
"""

from __future__ import annotations

import os

from app.domain.digits import to_persian_digits
from app.domain.errors import ClubError

# code: (English, Persian). Placeholders are str.format fields filled from ClubError.params.
MESSAGES: dict[str, tuple[str, str]] = {
    "invalid_amount": (
        "The amount must be a whole number of rials, zero or more: {value!s} is not.",
        "مبلغ باید عددی صحیح به ریال و نامنفی باشد؛ «{value!s}» نیست.",
    ),
    "invalid_points": (
        "Points must be a whole number, zero or more: {value!s} is not.",
        "امتیاز باید عددی صحیح و نامنفی باشد؛ «{value!s}» نیست.",
    ),
    "invalid_phone": (
        "“{phone}” is not a phone number: use 09xxxxxxxxx or +country code and number.",
        "«{phone}» شماره تلفن معتبری نیست؛ به شکل ۰۹xxxxxxxxx یا با پیش‌شماره کشور وارد کنید.",
    ),
    "invalid_name": ("A member needs a name.", "نام عضو را وارد کنید."),
    "member_erased": (
        "The club erased this member's personal data: their record cannot be changed.",
        "باشگاه اطلاعات شخصی این عضو را پاک کرده است؛ پرونده او قابل تغییر نیست.",
    ),
    "invalid_national_id": (
        "That national id is not valid (10 digits with a check digit).",
        "کد ملی معتبر نیست (۱۰ رقم با رقم کنترل).",
    ),
    "invalid_report_date": (
        "“{date}” is not a date: use YYYY-MM-DD, or the Jalali YYYY/MM/DD.",
        "«{date}» تاریخ معتبری نیست؛ به شکل ۱۴۰۴/۰۹/۱۵ (شمسی) یا YYYY-MM-DD وارد کنید.",
    ),
    "no_printer": (
        "This terminal has no receipt printer: set `receipt_printer` first.",
        "این پایانه چاپگر رسید ندارد؛ ابتدا «receipt_printer» را تنظیم کنید.",
    ),
    "printer_setting_invalid": (
        "The receipt printer setting “{setting}” names no printer this terminal can reach.",
        "تنظیم چاپگر رسید «{setting}» چاپگری را که این پایانه بشناسد نام نمی‌برد.",
    ),
    "printer_unreachable": (
        "The receipt printer {setting} could not be reached: {detail}",
        "چاپگر رسید {setting} در دسترس نیست: {detail}",
    ),
    "invalid_birth_date": (
        "The birth date {birth_date} is not possible.",
        "تاریخ تولد {birth_date} ممکن نیست.",
    ),
    "invalid_photo": (
        "The photo must be a JPEG of at most 512 KB.",
        "عکس باید JPEG و حداکثر ۵۱۲ کیلوبایت باشد.",
    ),
    "invalid_invoice": (
        "“{invoice}” cannot be an invoice number (1–64 printable characters).",
        "«{invoice}» نمی‌تواند شماره فاکتور باشد (۱ تا ۶۴ نویسه).",
    ),
    "invalid_rule": ("The {rule} rule is not valid.", "قاعده {rule} معتبر نیست."),
    "invalid_tier": ("The tier {code} is not valid.", "سطح {code} معتبر نیست."),
    "invalid_pin_format": ("A PIN is at least 4 digits.", "رمز باید دست‌کم ۴ رقم باشد."),
    "insufficient_points": (
        "The member has {balance} points; {requested} cannot be spent.",
        "عضو {balance} امتیاز دارد؛ خرج کردن {requested} امتیاز ممکن نیست.",
    ),
    "redeem_over_cap": (
        "At most {allowed} points can be spent on this sale (asked: {requested}).",
        "روی این خرید حداکثر {allowed} امتیاز قابل استفاده است (درخواست: {requested}).",
    ),
    "unknown_member": (
        "No member found for “{member}”. Check the card, phone number or id.",
        "عضوی با «{member}» پیدا نشد. کارت، شماره تلفن یا شناسه را بررسی کنید.",
    ),
    "unknown_card": (
        "Card {card} is not registered with the club.",
        "کارت {card} در باشگاه ثبت نشده است.",
    ),
    "card_not_active": (
        "Card {card} is {status}: do not accept it; ask for ID and look the member up by phone.",
        "کارت {card} {status} است: آن را نپذیرید؛ مدرک شناسایی بخواهید و عضو را با شماره تلفن پیدا کنید.",
    ),
    "unknown_invoice": (
        "No sale with invoice “{invoice}” was found.",
        "خریدی با فاکتور «{invoice}» پیدا نشد.",
    ),
    "already_returned": (
        "Everything on invoice {invoice} has already been returned.",
        "همه اقلام فاکتور {invoice} قبلاً مرجوع شده است.",
    ),
    "return_exceeds_sale": (
        "Only {returnable} rials of this sale are left to return (asked: {requested}).",
        "از این خرید فقط {returnable} ریال قابل مرجوع است (درخواست: {requested}).",
    ),
    "unknown_entry": ("No ledger entry {entry}.", "سندی با شناسه {entry} وجود ندارد."),
    "already_reversed": (
        "Entry {entry} has already been fully reversed.",
        "سند {entry} پیش‌تر کاملاً برگشت خورده است.",
    ),
    "cannot_reverse_reversal": (
        "Entry {entry} is itself a reversal; record a new entry instead.",
        "سند {entry} خودش برگشتی است؛ به‌جای آن سند تازه‌ای ثبت کنید.",
    ),
    "reason_required": ("Give a reason (at most 500 characters).", "دلیل را بنویسید (حداکثر ۵۰۰ نویسه)."),
    "adjust_over_limit": (
        "A {role} may adjust at most {limit} points at a time (asked: {requested}).",
        "نقش {role} در هر بار حداکثر {limit} امتیاز می‌تواند اصلاح کند (درخواست: {requested}).",
    ),
    "not_permitted": (
        "{staff} ({role}) may not do this ({action}); ask a manager.",
        "{staff} ({role}) اجازه این کار ({action}) را ندارد؛ از مدیر کمک بگیرید.",
    ),
    "unknown_staff": ("No staff member “{staff}”.", "کارمندی با نام «{staff}» وجود ندارد."),
    "wrong_pin": (
        "Wrong PIN for {staff}; {tries_left} tries left before the account locks.",
        "رمز {staff} نادرست است؛ {tries_left} بار دیگر تا قفل شدن حساب.",
    ),
    "staff_locked": (
        "{staff} is locked after too many wrong PINs; try again in {minutes} minutes or ask a manager.",
        "حساب {staff} پس از رمزهای نادرست پیاپی قفل شد؛ "
        "{minutes} دقیقه دیگر امتحان کنید یا از مدیر کمک بگیرید.",
    ),
    "staff_inactive": ("{staff} is no longer active.", "حساب {staff} غیرفعال است."),
    "staff_required": (
        "This needs a manager: give --staff and --pin.",
        "این کار به مدیر نیاز دارد: ‎--staff‎ و ‎--pin‎ را بدهید.",
    ),
    "staff_required_host": (
        "This needs an event host (or a manager): give --staff and --pin.",
        "این کار به میزبان رویداد (یا مدیر) نیاز دارد: ‎--staff‎ و ‎--pin‎ را بدهید.",
    ),
    "staff_required_any": (
        "This needs a staff member: give --staff and --pin.",
        "این کار به یکی از کارکنان نیاز دارد: ‎--staff‎ و ‎--pin‎ را بدهید.",
    ),
    "duplicate_phone": (
        "{phone} already belongs to member {name} ({member}).",
        "شماره {phone} متعلق به عضو دیگری است: {name} ({member}).",
    ),
    "unknown_referrer": ("The referrer {member} is not a member.", "معرف {member} عضو باشگاه نیست."),
    "invalid_entry_id": (
        "“{entry}” cannot be an entry id (a UUID such as 01900000-0000-7000-8000-000000000001).",
        "«{entry}» نمی‌تواند شناسه سند باشد (شناسه‌ای مانند 01900000-0000-7000-8000-000000000001).",
    ),
    "entry_conflict": (
        "The id {entry} was already used for a different request; nothing was written.",
        "شناسه {entry} قبلاً برای درخواست دیگری به کار رفته است؛ چیزی ثبت نشد.",
    ),
    "invoice_in_use": (
        "Invoice {invoice} already has a sale; use another invoice number.",
        "فاکتور {invoice} قبلاً ثبت شده است؛ شماره دیگری به کار ببرید.",
    ),
    "unknown_branch": ("No branch {branch}.", "شعبه‌ای با شناسه {branch} وجود ندارد."),
    "unknown_tier": ("No tier {tier}.", "سطحی با نام {tier} وجود ندارد."),
    "period_needs_both_ends": (
        "A period needs both its first and its last day (--from and --to).",
        "بازه هم روز نخست و هم روز آخر می‌خواهد (‎--from‎ و ‎--to‎).",
    ),
    "period_too_long": (
        "A report's period is at most {days} days.",
        "بازهٔ گزارش حداکثر {days} روز است.",
    ),
    "unknown_campaign": (
        "No campaign {campaign} in the current rules.",
        "کمپینی با کد {campaign} در قواعد جاری نیست.",
    ),
    "period_ends_before_it_starts": (
        "The period ends ({last}) before it starts ({first}).",
        "پایان بازه ({last}) پیش از آغاز آن ({first}) است.",
    ),
    "unknown_device": ("No device {device}.", "دستگاهی با شناسه {device} وجود ندارد."),
    "club_not_set_up": (
        "This terminal has no club yet: enrol it with `bashgah enroll --server URL --code CODE` "
        "(if it is enrolled already, `bashgah sync` fetches the club), "
        "or run `bashgah demo seed` for the demo club.",
        "این پایانه هنوز باشگاهی ندارد: با ‎`bashgah enroll --server URL --code CODE`‎ آن را ثبت کنید "
        "(اگر ثبت شده است، ‎`bashgah sync`‎ باشگاه را دریافت می‌کند) "
        "یا برای باشگاه نمایشی ‎`bashgah demo seed`‎ را اجرا کنید.",
    ),
    "club_already_set_up": (
        "This terminal already has a club; nothing was changed.",
        "این پایانه از قبل باشگاه دارد؛ چیزی تغییر نکرد.",
    ),
    "no_issuing_key": (
        "This terminal cannot issue cards: it holds no issuing key. Issue the card at the club office.",
        "این پایانه کلید صدور کارت ندارد و نمی‌تواند کارت صادر کند؛ کارت را در دفتر باشگاه صادر کنید.",
    ),
    "uid_required": (
        "A chip card is bound to its chip: give the chip's UID, or put the blank card on the reader.",
        "کارت تراشه‌دار به تراشه‌اش گره می‌خورد: شناسه تراشه را بدهید یا کارت خام را روی کارت‌خوان بگذارید.",
    ),
    "uid_in_use": (
        "This chip already holds card {card}; use a blank card.",
        "این تراشه از قبل کارت {card} را دارد؛ از کارت خام استفاده کنید.",
    ),
    "reader_unavailable": (
        "No card reader is available ({reader}): plug one in, or start pcscd; `bashgah readers` shows "
        "their state.",
        "هیچ کارت‌خوانی در دسترس نیست ({reader})؛ کارت‌خوان را وصل کنید یا pcscd را راه بیندازید. "
        "‎`bashgah readers`‎ وضعیت آن‌ها را نشان می‌دهد.",
    ),
    "no_card_presented": (
        "No card was presented within {seconds} seconds.",
        "در {seconds} ثانیه کارتی به کارت‌خوان نزدیک نشد.",
    ),
    "card_unreadable": (
        "The card could not be read ({reason}): hold it still on the reader and try again.",
        "کارت خوانده نشد ({reason}): آن را ثابت روی کارت‌خوان نگه دارید و دوباره امتحان کنید.",
    ),
    "card_place_blank": (
        "Place the blank card on the reader…",
        "کارت خام را روی کارت‌خوان بگذارید…",
    ),
    "uid_mismatch_on_reader": (
        "The card on the reader ({found}) is not the one asked for ({expected}).",
        "کارت روی کارت‌خوان ({found}) همان کارت خواسته‌شده ({expected}) نیست.",
    ),
    "card_write_failed": (
        "Writing the card failed ({reason}); nothing was recorded. Try again with the card held still.",
        "نوشتن کارت ناموفق بود ({reason})؛ چیزی ثبت نشد. کارت را ثابت نگه دارید و دوباره امتحان کنید.",
    ),
    "invalid_uid": (
        "“{uid}” is not a chip UID (hexadecimal, 1–32 bytes).",
        "«{uid}» شناسه تراشه نیست (هگزادسیمال، ۱ تا ۳۲ بایت).",
    ),
    "database_busy": (
        "The data file is busy (another Bashgah program is writing). "
        "Try again in a moment; nothing was written.",
        "فایل داده مشغول است (برنامه دیگری از باشگاه در حال نوشتن است). "
        "کمی بعد دوباره امتحان کنید؛ چیزی ثبت نشد.",
    ),
    "database_corrupt": (
        "The data file is damaged and cannot be read ({detail}). Restore it from a backup; "
        "nothing was written.",
        "فایل داده آسیب دیده و خواندنی نیست ({detail}). آن را از نسخه پشتیبان برگردانید؛ چیزی ثبت نشد.",
    ),
    "database_unavailable": (
        "The data file cannot be opened ({detail}).",
        "فایل داده باز نمی‌شود ({detail}).",
    ),
    # ---- sync with the club server, and spending points it authorises
    "invalid_member_id": (
        "“{member}” cannot be a member id (a UUID such as 01900000-0000-7000-8000-000000000001).",
        "«{member}» نمی‌تواند شناسه عضو باشد (شناسه‌ای مانند 01900000-0000-7000-8000-000000000001).",
    ),
    "invalid_server_url": (
        "“{url}” is not a club server address (http://… or https://…).",
        "«{url}» نشانی سرور باشگاه نیست (‎http://…‎ یا ‎https://…‎).",
    ),
    "already_enrolled": (
        "This data folder already belongs to a club ({data_dir}): enrol a new terminal in an empty folder; "
        "nothing was changed.",
        "این پوشه داده از قبل متعلق به یک باشگاه است ({data_dir}): پایانه تازه را در پوشه‌ای خالی ثبت کنید؛ "
        "چیزی تغییر نکرد.",
    ),
    "wrap_key_unusable": (
        "This terminal's chip-key wrap key cannot be used ({detail}): run `bashgah doctor`; nothing was "
        "sent.",
        "کلید بسته‌بندی کلیدهای تراشه این پایانه قابل استفاده نیست ({detail}): ‎`bashgah doctor`‎ را اجرا کنید؛ "
        "چیزی فرستاده نشد.",
    ),
    "enrollment_incomplete": (
        "The terminal is enrolled, but the club could not be fetched yet ({detail}): run `bashgah sync`.",
        "پایانه ثبت شد، اما اطلاعات باشگاه هنوز دریافت نشد ({detail}): ‎`bashgah sync`‎ را اجرا کنید.",
    ),
    "enrollment_code_refused": (
        "The club server did not accept the enrolment code (unknown, used or expired): ask for a new one.",
        "سرور باشگاه کد ثبت را نپذیرفت (نادرست، استفاده‌شده یا منقضی): کد تازه‌ای بگیرید.",
    ),
    "not_enrolled": (
        "This terminal is not enrolled with the club server, or the server no longer knows it: "
        "ask the club office for an enrolment code.",
        "این پایانه در سرور باشگاه ثبت نشده است یا سرور آن را نمی‌شناسد: از دفتر باشگاه کد ثبت بگیرید.",
    ),
    "device_revoked": (
        "The club server has revoked this terminal: it can no longer sync. Ask the club office.",
        "سرور باشگاه این پایانه را باطل کرده است و دیگر همگام نمی‌شود. با دفتر باشگاه تماس بگیرید.",
    ),
    "server_unreachable": (
        "The club server cannot be reached ({detail}); the terminal keeps working offline.",
        "سرور باشگاه در دسترس نیست ({detail})؛ پایانه بدون اتصال به کار ادامه می‌دهد.",
    ),
    "sync_refused": (
        "The club server refused the request ({status} {detail}).",
        "سرور باشگاه درخواست را نپذیرفت ({status} {detail}).",
    ),
    "server_refused_spend": (
        "The club server allows this member to spend only {available} points now (asked: {requested}).",
        "سرور باشگاه اکنون فقط {available} امتیاز از این عضو را قابل خرج می‌داند (درخواست: {requested}).",
    ),
    "offline_limit": (
        "Offline, this member may spend at most {allowance} points here (asked: {requested}); "
        "a manager can override with PIN and reason.",
        "بدون اتصال، این عضو اینجا حداکثر {allowance} امتیاز می‌تواند خرج کند (درخواست: {requested})؛ "
        "مدیر می‌تواند با رمز و ذکر دلیل اجازه دهد.",
    ),
    "restricted_member": (
        "This member is on the club's restricted list: points cannot be spent without the club server, "
        "not even by a manager's override.",
        "این عضو در فهرست محدود باشگاه است: بدون سرور باشگاه امتیازی خرج نمی‌شود، حتی با اجازه مدیر.",
    ),
    "clock_behind_server": (
        "This terminal's clock is more than 5 minutes behind the club server's: offline spending is blocked "
        "until the clock is right and the terminal has synced.",
        "ساعت این پایانه بیش از ۵ دقیقه از ساعت سرور باشگاه عقب است: تا درست شدن ساعت و همگام شدن پایانه، "
        "خرج امتیاز بدون اتصال ممکن نیست.",
    ),
    "override_needs_reason": (
        "An override needs the manager, their PIN and a reason.",
        "اجازه مدیر به نام مدیر، رمز او و ذکر دلیل نیاز دارد.",
    ),
    # Card verdicts (app/cards/verify.py): the code is "card_" + the verdict's reason.
    "card_malformed": (
        "This is not a club card, or it was not read completely. Hold it still on the reader and try "
        "again; if it still fails, look the member up by phone.",
        "این کارت باشگاه نیست یا کامل خوانده نشد. کارت را ثابت روی کارت‌خوان نگه دارید و دوباره "
        "امتحان کنید؛ اگر باز هم نشد، عضو را با شماره تلفن پیدا کنید.",
    ),
    "card_unknown_key": (
        "This card was signed with a key this terminal does not know yet. Sync the terminal and try "
        "again; meanwhile look the member up by phone.",
        "این کارت با کلیدی امضا شده که این پایانه هنوز آن را نمی‌شناسد. پایانه را همگام‌سازی کنید و "
        "دوباره امتحان کنید؛ تا آن زمان عضو را با شماره تلفن پیدا کنید.",
    ),
    "card_bad_signature": (
        "This card's data was altered or forged — do not accept it; ask for ID and look the member "
        "up by phone.",
        "اطلاعات این کارت دست‌کاری یا جعل شده است — آن را نپذیرید؛ مدرک شناسایی بخواهید و عضو را "
        "با شماره تلفن پیدا کنید.",
    ),
    "card_uid_mismatch": (
        "The data of card {card} was copied onto another card or code — do not accept it; ask for ID "
        "and look the member up by phone.",
        "اطلاعات کارت {card} روی کارت یا کد دیگری کپی شده است — آن را نپذیرید؛ مدرک شناسایی بخواهید "
        "و عضو را با شماره تلفن پیدا کنید.",
    ),
    "card_expired": (
        "Card {card} has expired. Look the member up by phone and offer a new card.",
        "کارت {card} منقضی شده است. عضو را با شماره تلفن پیدا کنید و کارت تازه پیشنهاد دهید.",
    ),
    "card_revoked": (
        "Card {card} was reported lost or revoked — do not accept it; ask for ID and look the member "
        "up by phone.",
        "کارت {card} مفقود اعلام شده یا باطل شده است — آن را نپذیرید؛ مدرک شناسایی بخواهید و عضو را "
        "با شماره تلفن پیدا کنید.",
    ),
    "card_revocation_list_stale": (
        "Card {card} is accepted for earning only: this terminal's list of lost cards is out of date, "
        "so points and cashback cannot be spent. Connect to the server to sync.",
        "کارت {card} فقط برای کسب امتیاز پذیرفته شد: فهرست کارت‌های مفقود این پایانه قدیمی است، پس "
        "خرج کردن امتیاز و اعتبار ممکن نیست. برای همگام‌سازی به سرور وصل شوید.",
    ),
    "card_unknown_member": (
        "Card {card} is genuine, but its member is not on this terminal yet. Sync the terminal and "
        "try again; if a name and photo from the card are shown, check them against the holder.",
        "کارت {card} معتبر است، اما عضو آن هنوز روی این پایانه نیست. پایانه را همگام‌سازی کنید و "
        "دوباره امتحان کنید؛ اگر نام و عکسی از روی کارت نمایش داده شد، آن را با دارنده کارت تطبیق دهید.",
    ),
    # A member's phone showing its rotating code (app/cards/phone_pass.py): a card of kind "phone".
    "card_phone_expired": (
        "The club's certificate on phone {card} has run out: the member should sign in to the member page "
        "again and show the new code. Meanwhile look the member up by phone number.",
        "گواهی باشگاه روی گوشی {card} منقضی شده است: عضو باید دوباره وارد صفحهٔ عضو شود و کد تازه را نشان "
        "دهد. تا آن زمان عضو را با شماره تلفن پیدا کنید.",
    ),
    "card_phone_code_expired": (
        "This code of phone {card} has expired: ask the member to show the fresh code on the phone "
        "(it changes every 30 seconds). A photo or screenshot of a code is not accepted.",
        "این کد گوشی {card} منقضی شده است؛ از عضو بخواهید کد تازهٔ روی گوشی را نشان دهد "
        "(هر ۳۰ ثانیه عوض می‌شود). عکس یا تصویر صفحه از کد پذیرفته نمی‌شود.",
    ),
    "card_phone_clock_off": (
        "The time of this code of phone {card} has not come yet: this terminal's clock or the phone's "
        "is off. Check the terminal's date and time; meanwhile look the member up by phone number.",
        "زمان این کد گوشی {card} هنوز نرسیده است: ساعت این پایانه یا ساعت گوشی عضو درست نیست. "
        "تاریخ و ساعت پایانه را بررسی کنید؛ تا آن زمان عضو را با شماره تلفن پیدا کنید.",
    ),
    "card_phone_revoked": (
        "This phone (card {card}) was removed from the club, lost or by its member — do not accept it; "
        "ask for ID and look the member up by phone number.",
        "این گوشی (کارت {card}) از باشگاه حذف شده است، به‌دلیل مفقود شدن یا به‌دست خود عضو — آن را "
        "نپذیرید؛ مدرک شناسایی بخواهید و عضو را با شماره تلفن پیدا کنید.",
    ),
    "card_phone_code_replayed": (
        "This code of phone {card} was already used at this terminal. The phone shows a new code every "
        "30 seconds: ask the member to show the current one. The same code shown again may be a copy.",
        "این کد گوشی {card} پیش‌تر در همین پایانه استفاده شده است. گوشی هر ۳۰ ثانیه کد تازه‌ای نشان "
        "می‌دهد؛ از عضو بخواهید کد فعلی را نشان دهد. کدی که دوباره نشان داده شود ممکن است کپی باشد.",
    ),
    # A chip-keyed card (NTAG 424 DNA; app/cards/verify.py, issue 19).
    "card_chip_not_genuine": (
        "Card {card} is not a genuine club card: its chip was not made by the chip's maker — do not accept "
        "it; keep it if you can, ask for ID and look the member up by phone number.",
        "کارت {card} کارت اصلی باشگاه نیست: تراشهٔ آن ساخت سازندهٔ تراشه نیست — آن را نپذیرید؛ اگر "
        "می‌توانید نگهش دارید، مدرک شناسایی بخواهید و عضو را با شماره تلفن پیدا کنید.",
    ),
    "card_chip_copy": (
        "Card {card} is a copy: its chip does not hold the card's key — do not accept it; keep it if you "
        "can, ask for ID and look the member up by phone number. The manager is told at the next sync.",
        "کارت {card} کپی است: تراشهٔ آن کلید این کارت را ندارد — آن را نپذیرید؛ اگر می‌توانید نگهش "
        "دارید، مدرک شناسایی بخواهید و عضو را با شماره تلفن پیدا کنید.",
    ),
    "card_chip_unchecked": (
        "Card {card} is accepted for earning only: its chip could not be checked at this terminal (a card "
        "of another branch, or this terminal has no chip keys yet), so points and cashback cannot be spent.",
        "کارت {card} فقط برای کسب امتیاز پذیرفته شد: تراشهٔ آن در این پایانه بررسی نشد (کارت شعبهٔ "
        "دیگر، یا این پایانه هنوز کلید تراشه ندارد)، پس امتیاز و پول برگشتی خرج نمی‌شود.",
    ),
    "card_old_card": (
        "Card {card} is an old card without a chip check: the club now takes it for earning only, or not "
        "at all. Offer the member a new card.",
        "کارت {card} کارت قدیمی بدون بررسی تراشه است: باشگاه اکنون آن را فقط برای کسب امتیاز می‌پذیرد "
        "یا اصلاً نمی‌پذیرد. به عضو کارت تازه پیشنهاد کنید.",
    ),
    # Issuing a chip-keyed card (app/services/cards.py, app/cards/ntag424/personalise.py).
    "card_chip_no_profile": (
        "A chip-keyed card holds no profile or photo (its chip has room for the card alone): issue it "
        "without the profile.",
        "کارت تراشه‌دار جای مشخصات و عکس ندارد (تراشهٔ آن فقط برای خود کارت جا دارد): کارت را بدون "
        "مشخصات صادر کنید.",
    ),
    "card_chip_required": (
        "This card is not an NTAG 424 DNA, and the club no longer issues cards without a chip check: use a "
        "new blank club card.",
        "این کارت NTAG 424 DNA نیست و باشگاه دیگر کارت بدون بررسی تراشه صادر نمی‌کند: از کارت خام تازهٔ "
        "باشگاه استفاده کنید.",
    ),
    "card_chip_already_issued": (
        "This chip is already a club card holding another card's data; it was left as it is. Revoke that "
        "card first, or use a new blank card.",
        "این تراشه پیش‌تر کارت باشگاه شده و اطلاعات کارت دیگری را دارد؛ دست نخورد. نخست آن کارت را باطل "
        "کنید یا از کارت خام تازه استفاده کنید.",
    ),
    "card_chip_not_fresh": (
        "This chip is not a blank card: its keys are not the maker's and not this branch's. Use a new blank "
        "card (a card of another branch is rewritten only at its branch).",
        "این تراشه خام نیست: کلیدهای آن نه کلید سازنده است و نه کلید این شعبه. از کارت خام تازه استفاده "
        "کنید (کارت شعبهٔ دیگر فقط در همان شعبه بازنویسی می‌شود).",
    ),
    "card_chip_wrong_card": (
        "Another card was put on the reader while issuing: put back the card you started with.",
        "هنگام صدور کارت دیگری روی کارت‌خوان گذاشته شد: همان کارت نخست را برگردانید.",
    ),
    "card_chip_interrupted": (
        "The card left the reader before card {card} was finished: put it back and issue again; it "
        "continues where it stopped.",
        "کارت پیش از پایان صدور کارت {card} از کارت‌خوان برداشته شد: آن را برگردانید و دوباره صادر کنید؛ "
        "از همان‌جا ادامه می‌یابد.",
    ),
    "card_chip_failed": (
        "The chip answered something unexpected while card {card} was being issued: try again; if it fails "
        "again, use another blank card.",
        "تراشه هنگام صدور کارت {card} پاسخ نادرست داد: دوباره امتحان کنید؛ اگر باز نشد از کارت خام دیگری "
        "استفاده کنید.",
    ),
    "card_chip_unverified": (
        "Card {card} was written but did not prove itself when read back: do not hand it out; issue again.",
        "کارت {card} نوشته شد ولی هنگام بازخوانی خود را ثابت نکرد: آن را تحویل ندهید؛ دوباره صادر کنید.",
    ),
    # The event door (app/services/door.py, app/domain/event.py).
    "door_not_invited": (
        "Not on this event's guest list.",
        "در فهرست مهمانان این رویداد نیست.",
    ),
    "door_event_cancelled": ("This event was cancelled.", "این رویداد لغو شده است."),
    "door_event_closed": (
        "The doors are not open: the event has not started yet or is over.",
        "درها باز نیست: رویداد هنوز شروع نشده یا تمام شده است.",
    ),
    "door_event_full": (
        "The event is full: no one more may come in.",
        "ظرفیت رویداد پر است؛ کسی دیگر نمی‌تواند وارد شود.",
    ),
    "door_member_not_inside": (
        "Admit the member first; a plus-one comes in with them.",
        "اول خود عضو را پذیرش کنید؛ همراه با او وارد می‌شود.",
    ),
    "door_no_plus_ones_left": (
        "This member has brought every plus-one the invitation allows.",
        "این عضو همه همراهانی را که دعوت‌نامه اجازه می‌دهد آورده است.",
    ),
    "door_other_event": (
        "This invitation is for another event.",
        "این دعوت‌نامه برای رویداد دیگری است.",
    ),
    "unknown_event": ("No event {event} on this terminal.", "رویداد {event} روی این پایانه نیست."),
    "no_open_event": (
        "No event is open on this terminal. Sync it, or ask a manager to create one.",
        "هیچ رویدادی روی این پایانه باز نیست. همگام‌سازی کنید یا از مدیر بخواهید رویدادی بسازد.",
    ),
    "several_open_events": (
        "{count} events are open on this terminal: name one with --event.",
        "{count} رویداد روی این پایانه باز است؛ یکی را با ‎--event‎ مشخص کنید.",
    ),
    "name_the_event": (
        "Several events are not over yet: name one with --event ({events}).",
        "چند رویداد هنوز تمام نشده است؛ یکی را با ‎--event‎ مشخص کنید ({events}).",
    ),
    "invalid_time": (
        "“{value}” is not a date and time: write e.g. 1405/09/30T18:00 (Jalali) or 2026-12-21T18:00.",
        "«{value}» تاریخ و ساعت نیست؛ مثلاً ‎۱۴۰۵/۰۹/۳۰T18:00‎ (شمسی) یا ‎2026-12-21T18:00‎ بنویسید.",
    ),
    "unknown_check_in": (
        "{entry} is not an admission at this event.",
        "{entry} پذیرشی در این رویداد نیست.",
    ),
    "invalid_event_name": (
        "An event needs a name (at most 120 characters).",
        "رویداد به نام نیاز دارد (حداکثر ۱۲۰ نویسه).",
    ),
    "event_ends_before_start": (
        "An event must end after it starts.",
        "پایان رویداد باید بعد از شروع آن باشد.",
    ),
    "invalid_capacity": ("The capacity must be at least 1.", "ظرفیت باید دست‌کم ۱ باشد."),
    "invalid_plus_ones": (
        "Plus-ones must be between 0 and {limit}.",
        "تعداد همراه باید بین ۰ و {limit} باشد.",
    ),
    "too_many_tiers": (
        "At most {limit} tiers can be invited.",
        "حداکثر {limit} سطح را می‌توان دعوت کرد.",
    ),
    # Issuing a card (app/cards/payload.py, app/cards/qr.py).
    "card_number_invalid": (
        "“{card}” is not a valid card number (16 digits with a check digit).",
        "«{card}» شماره کارت معتبری نیست (۱۶ رقم با رقم کنترل).",
    ),
    "card_dates_invalid": (
        "A card must expire after the moment it is issued.",
        "تاریخ انقضای کارت باید پس از تاریخ صدور آن باشد.",
    ),
    "card_name_too_long": (
        "The name is too long to write on the card (at most {limit} bytes); shorten it for the card.",
        "نام برای نوشتن روی کارت بیش از حد بلند است (حداکثر {limit} بایت)؛ آن را برای کارت کوتاه کنید.",
    ),
    "card_photo_too_large": (
        "The photo is {size} bytes; a card holds a photo of at most {limit} bytes. Use a smaller photo.",
        "عکس {size} بایت است؛ کارت حداکثر عکسی {limit} بایتی جا می‌دهد. عکس کوچک‌تری به کار ببرید.",
    ),
    "card_photo_invalid": (
        "The photo for the card must be a JPEG.",
        "عکس کارت باید با قالب JPEG باشد.",
    ),
    "card_qr_too_large": (
        "This QR code would be too dense to scan ({size} characters, at most {limit}); issue it without "
        "the photo, or issue a chip card.",
        "این کد QR برای اسکن بیش از حد فشرده می‌شود ({size} نویسه، حداکثر {limit})؛ آن را بدون عکس صادر "
        "کنید یا کارت هوشمند صادر کنید.",
    ),
    "invalid_rules": (
        "The club's rules are not valid at {path}: {reason}.",
        "قواعد باشگاه در «{path}» معتبر نیست: {reason}.",
    ),
    "unknown_rules_version": (
        "This terminal holds no rule set version {version}.",
        "نسخه {version} قواعد باشگاه در این پایانه نیست.",
    ),
    "unknown_plan": ("There is no membership plan “{plan}”.", "طرح عضویت «{plan}» وجود ندارد."),
    "unknown_reward": ("There is no reward “{reward}”.", "جایزه «{reward}» وجود ندارد."),
    "unknown_category": (
        "“{category}” is not one of the club's product categories.",
        "«{category}» از دسته‌های کالای باشگاه نیست.",
    ),
    "discount_over_amount": (
        "Points and wallet together ({discount} rials) cannot pay more than the sale ({amount} rials).",
        "امتیاز و کیف پول با هم ({discount} ریال) نمی‌توانند بیش از مبلغ خرید ({amount} ریال) بپردازند.",
    ),
    "wallet_over_cap": (
        "At most {allowed} rials of the wallet can be spent on this sale (asked: {requested}): the wallet "
        "pays at most its share of a sale, and cashback may be spendable only from the day after it was "
        "credited (`member standing` shows what is spendable now).",
        "از کیف پول حداکثر {allowed} ریال روی این خرید قابل استفاده است (درخواست: {requested})؛ کیف پول "
        "تنها سهمی از خرید را می‌پردازد و بازگشت وجه ممکن است از روز بعد از واریز قابل خرج باشد "
        "(«member standing» مقدار قابل خرج را نشان می‌دهد).",
    ),
    "points_not_whole_steps": (
        "Points go towards a membership in steps of {step}.",
        "امتیاز برای خرید عضویت در گام‌های {step} تایی به کار می‌رود.",
    ),
    "invalid_rating": ("A rating is from 1 to 5.", "امتیاز نظرسنجی باید از ۱ تا ۵ باشد."),
    "survey_already_answered": (
        "This purchase has already been rated.",
        "برای این خرید پیش‌تر نظر ثبت شده است.",
    ),
    "bonus_over_cap": (
        "At most {allowed} points can be granted now (asked: {requested}).",
        "اکنون حداکثر {allowed} امتیاز قابل اهدا است (درخواست: {requested}).",
    ),
    "reward_not_here": (
        "This branch does not offer the reward “{reward}”.",
        "این شعبه جایزه «{reward}» را ارائه نمی‌دهد.",
    ),
    "reward_out_of_stock": (
        "The reward “{reward}” is out of stock at this branch.",
        "موجودی جایزه «{reward}» در این شعبه تمام شده است.",
    ),
    "argument_not_text": (
        "“{argument}” is not valid text (bytes that are not UTF-8, or a NUL character); nothing was done. "
        "Type it again, or make the terminal or script write UTF-8.",
        "«{argument}» متن معتبری نیست (بایت‌هایی که UTF-8 نیستند یا نویسه NUL)؛ کاری انجام نشد. آن را "
        "دوباره تایپ کنید یا ترمینال یا اسکریپت را روی UTF-8 تنظیم کنید.",
    ),
    "argument_too_long": (
        "“{argument}” is {length} characters long; at most {limit} are accepted. Nothing was done.",
        "«{argument}» {length} نویسه است؛ حداکثر {limit} نویسه پذیرفته می‌شود. کاری انجام نشد.",
    ),
    "enrollment_too_many_attempts": (
        "The club server is refusing enrolments from this address after too many wrong codes: "
        "try again in {retry_after} seconds, with the code exactly as given.",
        "سرور باشگاه پس از کدهای نادرست پیاپی، ثبت از این نشانی را موقتاً نمی‌پذیرد: "
        "{retry_after} ثانیه دیگر با همان کدی که داده شده دوباره امتحان کنید.",
    ),
    # The first-run setup in the window (app.services.first_run, app.ui.first_run): said to a branch
    # manager, each with what to do next.
    "setup_server_unreachable": (
        "The club server at {url} cannot be reached ({detail}). Check the address, that this computer is "
        "on the network, and that the server is running; then press Retry.",
        "سرور باشگاه در نشانی {url} در دسترس نیست ({detail}). نشانی، اتصال این رایانه به شبکه و روشن بودن "
        "سرور را بررسی کنید و «دوباره» را بزنید.",
    ),
    "not_a_club_server": (
        "{url} answers, but it is not a club server (or a much older one): check the address.",
        "{url} پاسخ می‌دهد، اما سرور باشگاه نیست (یا نسخه‌ای بسیار قدیمی است): نشانی را بررسی کنید.",
    ),
    "enrollment_code_missing": (
        "Type the enrolment code from the club office (like K7QM-2XPD-9TAR), or scan its QR code.",
        "کد ثبت را که دفتر باشگاه داده است (مانند K7QM-2XPD-9TAR) وارد کنید یا کد QR آن را اسکن کنید.",
    ),
    "enrollment_code_unknown": (
        "The club server does not know this code: check it letter by letter, or ask the club office for a "
        "new one.",
        "سرور باشگاه این کد را نمی‌شناسد: آن را حرف به حرف بررسی کنید یا از دفتر باشگاه کد تازه بگیرید.",
    ),
    "enrollment_code_used": (
        "This code has already enrolled a terminal; a code works once. Ask the club office for a new one.",
        "با این کد قبلاً پایانه‌ای ثبت شده است و هر کد یک بار کار می‌کند. از دفتر باشگاه کد تازه بگیرید.",
    ),
    "enrollment_code_expired": (
        "This code has expired. Ask the club office for a new one.",
        "مهلت این کد تمام شده است. از دفتر باشگاه کد تازه بگیرید.",
    ),
    "enrollment_branch_closed": (
        "Head office has closed the branch this code is for: ask the club office for a code of an open "
        "branch.",
        "دفتر مرکزی شعبه‌ای را که این کد برای آن است بسته است: از دفتر باشگاه کد یک شعبه باز را بگیرید.",
    ),
    "clock_off": (
        "The clock of this computer is {minutes} minutes ahead of the club server's: set the date, time and "
        "time zone right, then press Retry.",
        "ساعت این رایانه {minutes} دقیقه از ساعت سرور باشگاه جلوتر است: تاریخ، ساعت و منطقه زمانی را درست "
        "کنید و «دوباره» را بزنید.",
    ),
    "clock_off_behind": (
        "The clock of this computer is {minutes} minutes behind the club server's: set the date, time and "
        "time zone right, then press Retry.",
        "ساعت این رایانه {minutes} دقیقه از ساعت سرور باشگاه عقب است: تاریخ، ساعت و منطقه زمانی را درست "
        "کنید و «دوباره» را بزنید.",
    ),
    "setup_pull_failed": (
        "The terminal is enrolled, but the club's data could not be fetched yet ({detail}). Check the "
        "connection and press Retry: the enrolment is kept and finishes where it stopped.",
        "پایانه ثبت شد، اما اطلاعات باشگاه هنوز دریافت نشد ({detail}). اتصال را بررسی کنید و «دوباره» را "
        "بزنید: ثبت حفظ شده است و از همان‌جا ادامه می‌یابد.",
    ),
}

# Why a card could not be read (app.cards.base.ReadError), as the cashier should hear it.
READ_ERRORS: dict[str, tuple[str, str]] = {
    "removed_mid_read": ("the card was taken away too soon", "کارت زود برداشته شد"),
    "not_ndef": ("it is blank or not a club card", "کارت خام است یا کارت باشگاه نیست"),
    "bad_response": ("the card answered garbled data", "کارت پاسخ نامعتبر داد"),
    "too_large": ("the card holds more data than a club card", "داده کارت بیش از کارت باشگاه است"),
    "unsupported_card": ("this kind of card is not supported", "این نوع کارت پشتیبانی نمی‌شود"),
    "reader_failed": ("the reader failed", "کارت‌خوان خطا داد"),
}

LANGUAGES = ("en", "fa")


def read_error_text(code: str, lang: str) -> str:
    english, persian = READ_ERRORS.get(code, (code, code))
    return persian if lang == "fa" else english


def language(explicit: str | None = None) -> str:
    """The user's language: an explicit choice, else BASHGAH_LANG, else the locale; English by default."""
    for value in (
        explicit,
        os.environ.get("BASHGAH_LANG"),
        os.environ.get("LC_ALL"),
        os.environ.get("LC_MESSAGES"),
        os.environ.get("LANG"),
    ):
        if value:
            return "fa" if value.lower().startswith("fa") else "en"
    return "en"


class _Lenient(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "?"


def shown_number(value: int, lang: str = "en") -> str:
    """A count or amount grouped by thousands, in Persian digits for Persian."""
    text = f"{value:,}"
    return to_persian_digits(text).replace(",", "٬") if lang == "fa" else text


def message(error: ClubError, lang: str = "en") -> str:
    """The sentence that tells the user what went wrong and what to do, in their language."""
    english, persian = MESSAGES.get(error.code, (f"Refused: {error}", f"درخواست پذیرفته نشد: {error}"))
    params = {
        key: shown_number(value, lang) if isinstance(value, int) and not isinstance(value, bool) else value
        for key, value in error.params.items()
    }
    return (persian if lang == "fa" else english).format_map(_Lenient(params))


# Why the receipt printer did not print, in words a cashier can act on (app.receipts.test_page), and the
# `bashgah printer` commands' refusals.
MESSAGES.update(
    {
        "printer_no_paper": (
            "The receipt printer {setting} has no paper (or its cover is open): load paper, close the "
            "cover and try again.",
            "چاپگر رسید {setting} کاغذ ندارد (یا درش باز است): کاغذ بگذارید، در را ببندید و دوباره "
            "امتحان کنید.",
        ),
        "printer_permission_denied": (
            "This user may not write to the printer's device file {device}: add the user to the `lp` "
            "group (sudo usermod -aG lp $USER), log in again and try again.",
            "این کاربر اجازهٔ نوشتن روی فایل دستگاه چاپگر {device} را ندارد: کاربر را به گروه lp بیفزایید "
            "(sudo usermod -aG lp $USER)، دوباره وارد شوید و امتحان کنید.",
        ),
        "printer_not_connected": (
            "There is no printer at {device}: check that it is connected by USB and switched on.",
            "چاپگری در {device} نیست: بررسی کنید که با USB وصل و روشن باشد.",
        ),
        "printer_no_answer": (
            "The receipt printer {setting} did not answer in time: check that it is on and on the network.",
            "چاپگر رسید {setting} به‌موقع پاسخ نداد: بررسی کنید که روشن و به شبکه وصل باشد.",
        ),
        "printer_manager_only": (
            "{staff} ({role}) may not change the receipt printer; a manager must.",
            "{staff} ({role}) اجازهٔ تغییر چاپگر رسید را ندارد؛ این کار مدیر است.",
        ),
    }
)


# Words the command line prints for stored codes (entry kinds, staff roles, reader and card states): the
# code stays in --json, people read the word in their language.
WORDS: dict[str, tuple[str, str]] = {
    # ledger entry kinds (app.domain.ledger.EntryKind)
    "earn": ("earn", "کسب امتیاز"),
    "redeem": ("redeem", "خرج امتیاز"),
    "cashback_credit": ("cashback", "واریز بازگشت وجه"),
    "cashback_spend": ("wallet spent", "خرج کیف پول"),
    "adjust": ("adjustment", "اصلاح"),
    "expire": ("expired", "انقضا"),
    "expiry_given_back": ("expiry given back", "بازگشت امتیاز منقضی‌شده"),  # an expire entry of + points
    "bonus": ("bonus", "پاداش"),
    "membership_purchase": ("membership", "خرید عضویت"),
    "reversal": ("reversal", "برگشت"),
    "override": ("override", "مجوز مدیر"),
    "check_in": ("check-in", "ورود به رویداد"),
    "guest_check_in": ("guest in", "ورود همراه"),
    "tier_change": ("tier change", "تغییر سطح"),
    "reward": ("reward", "جایزه"),
    # staff roles (app.domain.staff.Role)
    "cashier": ("cashier", "صندوق‌دار"),
    "host": ("host", "میزبان"),
    "manager": ("manager", "مدیر"),
    "admin": ("admin", "مدیر ارشد"),
    # reader states (app.cards.base.ReaderState)
    "ready": ("ready", "آماده"),
    "card_present": ("card present", "کارت روی کارت‌خوان"),
    "unavailable": ("unavailable", "در دسترس نیست"),
    # card statuses (app.domain.card.CardStatus)
    "active": ("active", "فعال"),
    "lost": ("lost", "گم‌شده"),
    "revoked": ("revoked", "باطل‌شده"),
}


def word(code: str, lang: str = "en") -> str:
    """The word for a stored code in the user's language; an unknown code is shown as it is."""
    english, persian = WORDS.get(code, (code, code))
    return persian if lang == "fa" else english
