<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fa_IR" sourcelanguage="en_US">
<context>
    <name>AdjustDialog</name>
    <message>
        <source>Type the points to add, or a negative number to remove points.</source>
        <translation>امتیازی را که باید اضافه شود وارد کنید؛ برای کم کردن، عدد منفی بزنید.</translation>
    </message>
    <message>
        <source>Adjusted: {points}. New balance: {balance}.</source>
        <translation>اصلاح شد: {points}. موجودی جدید: {balance}.</translation>
    </message>
    <message>
        <source>Adjust points</source>
        <translation>اصلاح امتیاز</translation>
    </message>
    <message>
        <source>{name} holds {points}. Add points, or remove them with a minus sign.</source>
        <translation>{name} {points} دارد. امتیاز اضافه کنید یا با علامت منفی کم کنید.</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>امتیاز</translation>
    </message>
    <message>
        <source>Close (Enter)</source>
        <translation>بستن (Enter)</translation>
    </message>
    <message>
        <source>Adjust (Enter)</source>
        <translation>اصلاح (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>انصراف (Esc)</translation>
    </message>
    <message>
        <source>A {role} may adjust at most {limit} at a time.</source>
        <translation>نقش {role} در هر بار حداکثر {limit} را می‌تواند اصلاح کند.</translation>
    </message>
    <message>
        <source>A {role} may not adjust points; a manager must approve.</source>
        <translation>نقش {role} اجازه اصلاح امتیاز ندارد؛ مدیر باید تأیید کند.</translation>
    </message>
</context>
<context>
    <name>AmbassadorDialog</name>
    <message>
        <source>Type the points to grant.</source>
        <translation>امتیاز اهدایی را وارد کنید.</translation>
    </message>
    <message>
        <source>Granted {points}. New balance: {balance}.</source>
        <translation>{points} اهدا شد. موجودی جدید: {balance}.</translation>
    </message>
    <message>
        <source>Brand ambassador points</source>
        <translation>امتیاز سفیر برند</translation>
    </message>
    <message>
        <source>Grant {name} points as a brand ambassador. A manager approves it with their PIN; the reason and their name are kept in the ledger.</source>
        <translation>اهدای امتیاز سفیر برند به {name}. مدیر با رمز خود تأیید می‌کند؛ دلیل و نام مدیر در دفتر ثبت می‌ماند.</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>امتیاز</translation>
    </message>
    <message>
        <source>Close (Enter)</source>
        <translation>بستن (Enter)</translation>
    </message>
    <message>
        <source>Grant (Enter)</source>
        <translation>اهدا (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>انصراف (Esc)</translation>
    </message>
    <message>
        <source>At most {now} now: {per_grant} a grant, and {per_month} for one member within 30 days.</source>
        <translation>اکنون حداکثر {now}: هر بار {per_grant} و برای هر عضو در ۳۰ روز {per_month}.</translation>
    </message>
</context>
<context>
    <name>ApprovalForm</name>
    <message>
        <source>cashier</source>
        <translation>صندوق‌دار</translation>
    </message>
    <message>
        <source>event host</source>
        <translation>میزبان رویداد</translation>
    </message>
    <message>
        <source>manager</source>
        <translation>مدیر</translation>
    </message>
    <message>
        <source>club admin</source>
        <translation>مدیر باشگاه</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>دلیل</translation>
    </message>
    <message>
        <source>Why (kept in the ledger)</source>
        <translation>چرا؟ (در دفتر ثبت می‌ماند)</translation>
    </message>
    <message>
        <source>Approved by</source>
        <translation>تأییدکننده</translation>
    </message>
    <message>
        <source>Their PIN</source>
        <translation>رمز تأییدکننده</translation>
    </message>
    <message>
        <source>{name} ({role})</source>
        <translation>{name} ({role})</translation>
    </message>
</context>
<context>
    <name>CameraDialog</name>
    <message>
        <source>That photo could not be saved. Retake it.</source>
        <translation>این عکس ذخیره نشد. دوباره عکس بگیرید.</translation>
    </message>
    <message>
        <source>Starting the camera…</source>
        <translation>دوربین در حال روشن شدن است…</translation>
    </message>
    <message>
        <source>Keep the face inside the oval, then take the photo (Space).</source>
        <translation>چهره را درون بیضی نگه دارید، سپس عکس بگیرید (Space).</translation>
    </message>
    <message>
        <source>Taking the photo…</source>
        <translation>در حال گرفتن عکس…</translation>
    </message>
    <message>
        <source>Use this photo (Enter), or retake it (Backspace).</source>
        <translation>از این عکس استفاده کنید (Enter) یا دوباره عکس بگیرید (Backspace).</translation>
    </message>
    <message>
        <source>Saving the photo…</source>
        <translation>در حال ذخیرهٔ عکس…</translation>
    </message>
    <message>
        <source>The camera sends no picture. Close this window and choose a file.</source>
        <translation>دوربین تصویری نمی‌فرستد. این پنجره را ببندید و یک فایل انتخاب کنید.</translation>
    </message>
    <message>
        <source>The camera could not be started. Close this window and choose a file.</source>
        <translation>دوربین روشن نشد. این پنجره را ببندید و یک فایل انتخاب کنید.</translation>
    </message>
    <message>
        <source>Photo from the camera</source>
        <translation>عکس با دوربین</translation>
    </message>
    <message>
        <source>Take photo (Space)</source>
        <translation>گرفتن عکس (Space)</translation>
    </message>
    <message>
        <source>Retake (Backspace)</source>
        <translation>عکس دوباره (Backspace)</translation>
    </message>
    <message>
        <source>Use this photo (Enter)</source>
        <translation>استفاده از این عکس (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>انصراف (Esc)</translation>
    </message>
</context>
<context>
    <name>CheckoutView</name>
    <message>
        <source>Type the sale amount first.</source>
        <translation>اول مبلغ خرید را وارد کنید.</translation>
    </message>
    <message>
        <source>Sale amount (Toman)</source>
        <translation>مبلغ خرید (تومان)</translation>
    </message>
    <message>
        <source>Points to spend as a discount</source>
        <translation>امتیاز برای تخفیف</translation>
    </message>
    <message>
        <source>Points to earn</source>
        <translation>امتیاز این خرید</translation>
    </message>
    <message>
        <source>Discount</source>
        <translation>تخفیف</translation>
    </message>
    <message>
        <source>To pay</source>
        <translation>مبلغ قابل پرداخت</translation>
    </message>
    <message>
        <source>Balance after</source>
        <translation>مانده پس از خرید</translation>
    </message>
    <message>
        <source>Earning only: this card cannot spend points until the terminal has an up-to-date list of revoked cards.</source>
        <translation>فقط کسب امتیاز: تا فهرست کارت‌های باطل‌شده در این پایانه به‌روز نشود، با این کارت نمی‌توان امتیاز خرج کرد.</translation>
    </message>
    <message>
        <source>Recording…</source>
        <translation>در حال ثبت…</translation>
    </message>
    <message>
        <source>Manager override: F8.</source>
        <translation>اجازه مدیر: F8.</translation>
    </message>
    <message>
        <source>Pay from the cashback wallet, Toman (F3)</source>
        <translation>پرداخت از کیف پول کش‌بک، تومان (F3)</translation>
    </message>
    <message>
        <source>Product category (F4)</source>
        <translation>دسته کالا (F4)</translation>
    </message>
    <message>
        <source>From the wallet</source>
        <translation>از کیف پول</translation>
    </message>
    <message>
        <source>Cashback</source>
        <translation>کش‌بک</translation>
    </message>
    <message>
        <source>No category</source>
        <translation>بدون دسته</translation>
    </message>
    <message>
        <source>Record sale (Enter)</source>
        <translation>ثبت خرید (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>انصراف (Esc)</translation>
    </message>
    <message>
        <source>Manager override (F8)</source>
        <translation>اجازه مدیر (F8)</translation>
    </message>
    <message>
        <source>{name} — {tier}</source>
        <translation>{name} — {tier}</translation>
    </message>
    <message>
        <source>Balance: {points}</source>
        <translation>موجودی: {points}</translation>
    </message>
    <message>
        <source>{amount}, spendable from tomorrow</source>
        <translation>{amount}، قابل خرج از فردا</translation>
    </message>
    <message>
        <source>Campaigns: {campaigns}</source>
        <translation>کمپین‌ها: {campaigns}</translation>
    </message>
    <message>
        <source>Running now: {campaigns}</source>
        <translation>در جریان: {campaigns}</translation>
    </message>
    <message>
        <source>The wallet cannot be spent with this card now.</source>
        <translation>با این کارت اکنون نمی‌توان از کیف پول خرج کرد.</translation>
    </message>
    <message>
        <source>Nothing in the wallet can be spent today.</source>
        <translation>امروز چیزی از کیف پول قابل خرج نیست.</translation>
    </message>
    <message>
        <source>At most {amount} from the wallet on this sale: up to {percent} of what is left to pay, and no more than is spendable now ({available}).</source>
        <translation>روی این خرید حداکثر {amount} از کیف پول: تا {percent} مبلغ باقی‌مانده و نه بیشتر از آنچه اکنون قابل خرج است ({available}).</translation>
    </message>
    <message>
        <source>{amount} more from tomorrow.</source>
        <translation>{amount} دیگر از فردا.</translation>
    </message>
    <message>
        <source>Restricted member: no points can be spent</source>
        <translation>عضو محدود: هیچ امتیازی خرج نمی‌شود</translation>
    </message>
    <message>
        <source>The club has put this member on its restricted list; a manager cannot override it.</source>
        <translation>باشگاه این عضو را در فهرست محدود گذاشته است؛ مدیر هم نمی‌تواند اجازه دهد.</translation>
    </message>
    <message>
        <source>Manager override by {name}</source>
        <translation>با اجازه مدیر: {name}</translation>
    </message>
    <message>
        <source>Reason: {reason}</source>
        <translation>دلیل: {reason}</translation>
    </message>
    <message>
        <source>Offline: no points can be spent without a manager</source>
        <translation>بدون اتصال: بدون اجازه مدیر امتیازی خرج نمی‌شود</translation>
    </message>
    <message>
        <source>This terminal&apos;s clock is behind the club server&apos;s. Manager override: F8.</source>
        <translation>ساعت این پایانه از ساعت سرور باشگاه عقب است. اجازه مدیر: F8.</translation>
    </message>
    <message>
        <source>Offline: at most {points} can be spent</source>
        <translation>بدون اتصال: حداکثر {points} خرج می‌شود</translation>
    </message>
    <message>
        <source>The club server cannot be reached; this is what the member&apos;s offline grant allows. Manager override: F8.</source>
        <translation>سرور باشگاه در دسترس نیست؛ سهمیه خرج بدون اتصال این عضو همین اندازه است. اجازه مدیر: F8.</translation>
    </message>
    <message>
        <source>At most {points} on this sale ({discount} off): up to {percent}% of the amount, and no more than the member holds. One point is {value}.</source>
        <translation>روی این خرید حداکثر {points} ({discount} تخفیف): تا {percent}٪ مبلغ و نه بیشتر از موجودی عضو. ارزش هر امتیاز {value} است.</translation>
    </message>
    <message>
        <source>Points for each {amount} paid: {points}; {tier} members earn {percent}%.</source>
        <translation>امتیاز به ازای هر {amount} خرید: {points}؛ اعضای سطح {tier} {percent}٪ می‌گیرند.</translation>
    </message>
    <message>
        <source>No points under {amount}.</source>
        <translation>خرید کمتر از {amount} امتیاز ندارد.</translation>
    </message>
    <message>
        <source>At most {points} a sale.</source>
        <translation>حداکثر {points} در هر خرید.</translation>
    </message>
</context>
<context>
    <name>CrashNotice</name>
    <message>
        <source>Bashgah stopped unexpectedly last time</source>
        <translation>باشگاه دفعه پیش ناگهان بسته شد</translation>
    </message>
    <message>
        <source>A crash report was saved to {path}. If it happens again, send that file to support.</source>
        <translation>گزارش خرابی در {path} ذخیره شد. اگر دوباره پیش آمد، این فایل را برای پشتیبانی بفرستید.</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>بستن</translation>
    </message>
</context>
<context>
    <name>CrashWatch</name>
    <message>
        <source>Something went wrong in the window. A report was saved to:
{path}

You can go on working. If it happens again, restart Bashgah and send that file to support.</source>
        <translation>در پنجره خطایی رخ داد. گزارش آن اینجا ذخیره شد:
{path}

می‌توانید به کار ادامه دهید. اگر دوباره پیش آمد، باشگاه را دوباره باز کنید و این فایل را برای پشتیبانی بفرستید.</translation>
    </message>
    <message>
        <source>Bashgah: an error</source>
        <translation>باشگاه: خطا</translation>
    </message>
</context>
<context>
    <name>DayReportDialog</name>
    <message>
        <source>Only a manager can see the branch&apos;s day report.</source>
        <translation>گزارش روزانه شعبه را فقط مدیر می‌تواند ببیند.</translation>
    </message>
    <message>
        <source>Branch day report</source>
        <translation>گزارش روزانه شعبه</translation>
    </message>
</context>
<context>
    <name>DoorView</name>
    <message>
        <source>Opening the door…</source>
        <translation>در حال باز کردن در ورودی…</translation>
    </message>
    <message>
        <source>Look again (F5)</source>
        <translation>دوباره بررسی کن (F5)</translation>
    </message>
    <message>
        <source>Several events are open: choose this door&apos;s event</source>
        <translation>چند رویداد باز است: رویداد این در را انتخاب کنید</translation>
    </message>
    <message>
        <source>Tap a card or scan an invitation</source>
        <translation>کارت را به دستگاه بزنید یا دعوت‌نامه را اسکن کنید</translation>
    </message>
    <message>
        <source>A guest without a card? Find them by name or phone (F3).</source>
        <translation>مهمان کارت ندارد؟ او را با نام یا شماره تلفن پیدا کنید (F3).</translation>
    </message>
    <message>
        <source>Find a guest</source>
        <translation>جست‌وجوی مهمان</translation>
    </message>
    <message>
        <source>Name or phone</source>
        <translation>نام یا شماره تلفن</translation>
    </message>
    <message>
        <source>Admit (Enter)</source>
        <translation>پذیرش ورود (Enter)</translation>
    </message>
    <message>
        <source>Back (Esc)</source>
        <translation>بازگشت (Esc)</translation>
    </message>
    <message>
        <source>Find a guest (F3)</source>
        <translation>جست‌وجوی مهمان (F3)</translation>
    </message>
    <message>
        <source>Export attendance (F4)</source>
        <translation>خروجی فهرست حاضران (F4)</translation>
    </message>
    <message>
        <source>Admit plus-one (F6)</source>
        <translation>ورود همراه (F6)</translation>
    </message>
    <message>
        <source>Undo admission (F8)</source>
        <translation>لغو پذیرش (F8)</translation>
    </message>
    <message>
        <source>Back to the till (F7)</source>
        <translation>بازگشت به صندوق (F7)</translation>
    </message>
    <message>
        <source>{start} to {end}</source>
        <translation>{start} تا {end}</translation>
    </message>
    <message>
        <source>Event door</source>
        <translation>در ورودی رویداد</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>بدون محدودیت</translation>
    </message>
    <message>
        <source>Admitted …, invited …, capacity …</source>
        <translation>وارد شده …، دعوت‌شده …، ظرفیت …</translation>
    </message>
    <message>
        <source>Admitted {admitted}, invited {invited}, capacity {capacity}</source>
        <translation>وارد شده {admitted}، دعوت‌شده {invited}، ظرفیت {capacity}</translation>
    </message>
    <message>
        <source>Unknown guest</source>
        <translation>مهمان ناشناس</translation>
    </message>
    <message>
        <source>From the card: this guest was never synced here. Compare the photo with their face.</source>
        <translation>از روی کارت: اطلاعات این مهمان هرگز با این پایانه همگام نشده است. عکس را با چهره او مقایسه کنید.</translation>
    </message>
    <message>
        <source>ADMIT PLUS-ONE</source>
        <translation>ورود همراه مجاز</translation>
    </message>
    <message>
        <source>ADMIT</source>
        <translation>ورود مجاز</translation>
    </message>
    <message>
        <source>ALREADY INSIDE</source>
        <translation>قبلاً وارد شده</translation>
    </message>
    <message>
        <source>NOT INVITED</source>
        <translation>دعوت نشده</translation>
    </message>
    <message>
        <source>CARD REFUSED</source>
        <translation>کارت پذیرفته نشد</translation>
    </message>
    <message>
        <source>FULL</source>
        <translation>ظرفیت تکمیل</translation>
    </message>
    <message>
        <source>Admitted at {time}</source>
        <translation>ورود در {time}</translation>
    </message>
    <message>
        <source>Admitted at {time}, at this door</source>
        <translation>ورود در {time}، از همین در</translation>
    </message>
    <message>
        <source>Admitted at {time}, at door {door}</source>
        <translation>ورود در {time}، از در {door}</translation>
    </message>
    <message>
        <source>On the guest list</source>
        <translation>در فهرست مهمانان</translation>
    </message>
    <message>
        <source>Not on the guest list</source>
        <translation>در فهرست مهمانان نیست</translation>
    </message>
    <message>
        <source>No plus-ones</source>
        <translation>بدون همراه</translation>
    </message>
    <message>
        <source>Plus-ones: {admitted} of {allowed} admitted</source>
        <translation>همراهان: {admitted} از {allowed} وارد شده</translation>
    </message>
    <message>
        <source>The admission was undone.</source>
        <translation>پذیرش ورود لغو شد.</translation>
    </message>
    <message>
        <source>No guest matches “{query}”.</source>
        <translation>هیچ مهمانی با «{query}» پیدا نشد.</translation>
    </message>
    <message>
        <source>phone ending {tail}</source>
        <translation>تلفن با پایان {tail}</translation>
    </message>
    <message>
        <source>inside since {time}</source>
        <translation>داخل از {time}</translation>
    </message>
    <message>
        <source>not arrived yet</source>
        <translation>هنوز نیامده</translation>
    </message>
</context>
<context>
    <name>EnrollDialog</name>
    <message>
        <source>New member</source>
        <translation>عضو جدید</translation>
    </message>
    <message>
        <source>&amp;Name</source>
        <translation>نام</translation>
    </message>
    <message>
        <source>&amp;Mobile phone</source>
        <translation>تلفن همراه</translation>
    </message>
    <message>
        <source>&amp;Birth date</source>
        <translation>تاریخ تولد</translation>
    </message>
    <message>
        <source>National &amp;ID</source>
        <translation>کد ملی</translation>
    </message>
    <message>
        <source>Photo</source>
        <translation>عکس</translation>
    </message>
    <message>
        <source>&amp;Referred by</source>
        <translation>معرف</translation>
    </message>
    <message>
        <source>First and last name</source>
        <translation>نام و نام خانوادگی</translation>
    </message>
    <message>
        <source>09xx xxx xxxx or +country code</source>
        <translation>مثلاً ۰۹۱۲۳۴۵۶۷۸۹ یا شماره خارجی با +</translation>
    </message>
    <message>
        <source>Optional, 10 digits</source>
        <translation>اختیاری، ۱۰ رقم</translation>
    </message>
    <message>
        <source>Phone of the member who referred them (optional)</source>
        <translation>شماره تلفن عضو معرف (اختیاری)</translation>
    </message>
    <message>
        <source>Agrees to receive offers and news by SMS</source>
        <translation>با دریافت پیشنهادها و خبرها از راه پیامک موافق است</translation>
    </message>
    <message>
        <source>Choose a file…</source>
        <translation>انتخاب فایل…</translation>
    </message>
    <message>
        <source>Enroll (Enter)</source>
        <translation>ثبت‌نام (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>انصراف (Esc)</translation>
    </message>
    <message>
        <source>Issue QR (F6)</source>
        <translation>صدور QR (F6)</translation>
    </message>
    <message>
        <source>Write card (F7)</source>
        <translation>نوشتن کارت (F7)</translation>
    </message>
    <message>
        <source>Save PNG…</source>
        <translation>ذخیره PNG…</translation>
    </message>
    <message>
        <source>Done (Enter)</source>
        <translation>تمام (Enter)</translation>
    </message>
    <message>
        <source>Optional. Only its last 4 digits are kept.</source>
        <translation>اختیاری. فقط ۴ رقم آخر آن نگه داشته می‌شود.</translation>
    </message>
    <message>
        <source>Camera…</source>
        <translation>دوربین…</translation>
    </message>
    <message>
        <source>A mobile number is needed.</source>
        <translation>شماره تلفن همراه لازم است.</translation>
    </message>
    <message>
        <source>Will be saved as {phone}</source>
        <translation>به صورت {phone} ثبت می‌شود</translation>
    </message>
    <message>
        <source>Already a member: {name}</source>
        <translation>از قبل عضو است: {name}</translation>
    </message>
    <message>
        <source>Not a valid national ID (10 digits with a check digit).</source>
        <translation>کد ملی معتبر نیست (۱۰ رقم با رقم کنترل).</translation>
    </message>
    <message>
        <source>No member found with “{text}”.</source>
        <translation>عضوی با «{text}» پیدا نشد.</translation>
    </message>
    <message>
        <source>{count} members match; type the referrer&apos;s phone number.</source>
        <translation>{count} عضو پیدا شد؛ شماره تلفن معرف را وارد کنید.</translation>
    </message>
    <message>
        <source>Referred by {name} ({phone})</source>
        <translation>معرف: {name} ({phone})</translation>
    </message>
    <message>
        <source>Choose the member&apos;s photo</source>
        <translation>انتخاب عکس عضو</translation>
    </message>
    <message>
        <source>Pictures</source>
        <translation>تصویرها</translation>
    </message>
    <message>
        <source>Loading the photo…</source>
        <translation>در حال بارگذاری عکس…</translation>
    </message>
    <message>
        <source>No camera is connected to this computer: choose a photo file instead.</source>
        <translation>دوربینی به این رایانه وصل نیست؛ عکس را از یک فایل انتخاب کنید.</translation>
    </message>
    <message>
        <source>This installation cannot use a camera: choose a photo file instead.</source>
        <translation>این نسخهٔ نصب‌شده نمی‌تواند از دوربین استفاده کند؛ عکس را از یک فایل انتخاب کنید.</translation>
    </message>
    <message>
        <source>The camera sends no picture: choose a photo file instead.</source>
        <translation>دوربین تصویری نمی‌فرستد؛ عکس را از یک فایل انتخاب کنید.</translation>
    </message>
    <message>
        <source>The camera could not be started: choose a photo file instead.</source>
        <translation>دوربین روشن نشد؛ عکس را از یک فایل انتخاب کنید.</translation>
    </message>
    <message>
        <source>Photo ready ({size} KB)</source>
        <translation>عکس آماده است ({size} کیلوبایت)</translation>
    </message>
    <message>
        <source>That file could not be read as a picture (use JPEG or PNG).</source>
        <translation>این فایل به‌عنوان تصویر خوانده نشد (JPEG یا PNG انتخاب کنید).</translation>
    </message>
    <message>
        <source>Type the member&apos;s name.</source>
        <translation>نام عضو را وارد کنید.</translation>
    </message>
    <message>
        <source>Finish the birth date, or clear it.</source>
        <translation>تاریخ تولد را کامل یا پاک کنید.</translation>
    </message>
    <message>
        <source>Wait a moment: the photo is still loading.</source>
        <translation>لحظه‌ای صبر کنید: عکس هنوز در حال بارگذاری است.</translation>
    </message>
    <message>
        <source>This phone number already belongs to {name}. Nothing was saved.</source>
        <translation>این شماره تلفن متعلق به {name} است. چیزی ثبت نشد.</translation>
    </message>
    <message>
        <source>{name} is now a member.</source>
        <translation>{name} عضو باشگاه شد.</translation>
    </message>
    <message>
        <source>Card number: {number}</source>
        <translation>شماره کارت: {number}</translation>
    </message>
    <message>
        <source>Give them a QR code (F6) or write a card (F7).</source>
        <translation>برای عضو کد QR صادر کنید (F6) یا کارت بنویسید (F7).</translation>
    </message>
    <message>
        <source>Give them a QR code (F6) to show at the counter.</source>
        <translation>برای عضو کد QR صادر کنید (F6) تا هنگام خرید نشان دهد.</translation>
    </message>
    <message>
        <source>Log in as a manager to issue a QR code.</source>
        <translation>برای صدور کد QR با حساب مدیر وارد شوید.</translation>
    </message>
    <message>
        <source>QR code for card {number}: the member can show it instead of a card.</source>
        <translation>کد QR کارت {number}: عضو می‌تواند آن را به‌جای کارت نشان دهد.</translation>
    </message>
    <message>
        <source>Save the QR code</source>
        <translation>ذخیره کد QR</translation>
    </message>
    <message>
        <source>PNG pictures</source>
        <translation>تصویرهای PNG</translation>
    </message>
    <message>
        <source>Could not save: {reason}</source>
        <translation>ذخیره نشد: {reason}</translation>
    </message>
    <message>
        <source>Saved to {path}</source>
        <translation>در {path} ذخیره شد</translation>
    </message>
</context>
<context>
    <name>FirstRunWizard</name>
    <message>
        <source>Welcome to Bashgah: set up this terminal</source>
        <translation>به باشگاه خوش آمدید: راه‌اندازی این پایانه</translation>
    </message>
    <message>
        <source>Connect to the club server</source>
        <translation>اتصال به سرور باشگاه</translation>
    </message>
    <message>
        <source>Is this the right branch?</source>
        <translation>شعبه درست است؟</translation>
    </message>
    <message>
        <source>Test the card reader</source>
        <translation>آزمایش کارت‌خوان</translation>
    </message>
    <message>
        <source>Receipt printer</source>
        <translation>چاپگر رسید</translation>
    </message>
    <message>
        <source>This terminal is ready</source>
        <translation>این پایانه آماده است</translation>
    </message>
    <message>
        <source>Step {n} of {total}</source>
        <translation>مرحله {n} از {total}</translation>
    </message>
    <message>
        <source>Choose the language of this terminal. You can switch later with F10.</source>
        <translation>زبان این پایانه را انتخاب کنید. بعداً با F10 می‌توانید آن را تغییر دهید.</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>بعدی</translation>
    </message>
    <message>
        <source>The club office gives you the server&apos;s address and a one-time enrolment code (on the back office&apos;s Terminals page). Scan its QR code with the scanner, or type both.</source>
        <translation>دفتر باشگاه نشانی سرور و یک کد ثبت یک‌بارمصرف به شما می‌دهد (در صفحه «پایانه‌ها»ی پنل مدیریت). کد QR آن را با اسکنر بخوانید یا هر دو را تایپ کنید.</translation>
    </message>
    <message>
        <source>Club server address</source>
        <translation>نشانی سرور باشگاه</translation>
    </message>
    <message>
        <source>Enrolment code</source>
        <translation>کد ثبت</translation>
    </message>
    <message>
        <source>Check (Enter)</source>
        <translation>بررسی (Enter)</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>بازگشت</translation>
    </message>
    <message>
        <source>Finish the enrolment</source>
        <translation>تکمیل ثبت</translation>
    </message>
    <message>
        <source>Enrol this terminal</source>
        <translation>ثبت این پایانه</translation>
    </message>
    <message>
        <source>Put any card on the reader: a club card, a bank card or a travel card will do.</source>
        <translation>یک کارت روی کارت‌خوان بگذارید: کارت باشگاه، کارت بانکی یا کارت مترو، هر کدام باشد.</translation>
    </message>
    <message>
        <source>Readers found</source>
        <translation>کارت‌خوان‌های پیداشده</translation>
    </message>
    <message>
        <source>Look again</source>
        <translation>جست‌وجوی دوباره</translation>
    </message>
    <message>
        <source>Skip</source>
        <translation>رد شدن</translation>
    </message>
    <message>
        <source>How is the receipt printer connected? You can change it later in the terminal&apos;s settings.</source>
        <translation>چاپگر رسید چگونه وصل است؟ بعداً در تنظیمات پایانه می‌توانید آن را تغییر دهید.</translation>
    </message>
    <message>
        <source>USB (its device file)</source>
        <translation>USB (فایل دستگاه آن)</translation>
    </message>
    <message>
        <source>Network (its address and port)</source>
        <translation>شبکه (نشانی و درگاه آن)</translation>
    </message>
    <message>
        <source>No receipt printer</source>
        <translation>بدون چاپگر رسید</translation>
    </message>
    <message>
        <source>Test print</source>
        <translation>چاپ آزمایشی</translation>
    </message>
    <message>
        <source>Save and continue</source>
        <translation>ذخیره و ادامه</translation>
    </message>
    <message>
        <source>Start: the cashier&apos;s login</source>
        <translation>شروع: ورود صندوق‌دار</translation>
    </message>
    <message>
        <source>Scanned: the address and the code are filled in.</source>
        <translation>اسکن شد: نشانی و کد وارد شدند.</translation>
    </message>
    <message>
        <source>Persian letters were typed: the code is in English letters. Switch the keyboard to English (Alt+Shift) and type it again.</source>
        <translation>حروف فارسی تایپ شد، اما کد با حروف انگلیسی است. صفحه‌کلید را انگلیسی کنید (Alt+Shift) و دوباره تایپ کنید.</translation>
    </message>
    <message>
        <source>Asking the club server…</source>
        <translation>در حال پرسیدن از سرور باشگاه…</translation>
    </message>
    <message>
        <source>This terminal was enrolled with {server}, but the club&apos;s data has not all arrived yet. Press the button to finish.</source>
        <translation>این پایانه در {server} ثبت شده، اما همه اطلاعات باشگاه هنوز دریافت نشده است. برای تکمیل، دکمه را بزنید.</translation>
    </message>
    <message>
        <source>The code belongs to this club and branch. Enrol this terminal there?</source>
        <translation>این کد متعلق به این باشگاه و شعبه است. این پایانه در آن ثبت شود؟</translation>
    </message>
    <message>
        <source>Club: {name}</source>
        <translation>باشگاه: {name}</translation>
    </message>
    <message>
        <source>Branch: {name} ({code})</source>
        <translation>شعبه: {name} ({code})</translation>
    </message>
    <message>
        <source>Server {server}; the code is valid until {when}</source>
        <translation>سرور {server}؛ کد تا {when} معتبر است</translation>
    </message>
    <message>
        <source>Enrolling this terminal with the club server…</source>
        <translation>در حال ثبت این پایانه در سرور باشگاه…</translation>
    </message>
    <message>
        <source>Fetching the club&apos;s members, staff and rules…</source>
        <translation>در حال دریافت اعضا، کارکنان و قواعد باشگاه…</translation>
    </message>
    <message>
        <source>Enrolled.</source>
        <translation>ثبت شد.</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>آماده</translation>
    </message>
    <message>
        <source>a card is on it</source>
        <translation>کارتی روی آن است</translation>
    </message>
    <message>
        <source>not available</source>
        <translation>در دسترس نیست</translation>
    </message>
    <message>
        <source>No card reader found. Check that it is plugged into a USB port (try another port) and that its light is on; on Linux the smart card service must run (pcscd: sudo systemctl start pcscd). Then press Look again, or Skip to do it later.</source>
        <translation>کارت‌خوانی پیدا نشد. بررسی کنید که به درگاه USB وصل باشد (درگاه دیگری را هم امتحان کنید) و چراغ آن روشن باشد؛ در لینوکس سرویس کارت هوشمند باید در حال اجرا باشد (pcscd: sudo systemctl start pcscd). سپس «جست‌وجوی دوباره» را بزنید، یا با «رد شدن» آن را به بعد بسپارید.</translation>
    </message>
    <message>
        <source>Waiting for a card…</source>
        <translation>در انتظار کارت…</translation>
    </message>
    <message>
        <source>Card read on {reader}: UID {uid}. The reader works.</source>
        <translation>کارت با {reader} خوانده شد: UID {uid}. کارت‌خوان کار می‌کند.</translation>
    </message>
    <message>
        <source>A card was seen on {reader} (UID {uid}) but not read ({reason}); the reader works.</source>
        <translation>کارتی روی {reader} دیده شد (UID {uid}) اما خوانده نشد ({reason})؛ کارت‌خوان کار می‌کند.</translation>
    </message>
    <message>
        <source>Device file</source>
        <translation>فایل دستگاه</translation>
    </message>
    <message>
        <source>Address and port (port 9100 if none)</source>
        <translation>نشانی و درگاه (بی درگاه: ۹۱۰۰)</translation>
    </message>
    <message>
        <source>Printing a test page…</source>
        <translation>در حال چاپ صفحه آزمایشی…</translation>
    </message>
    <message>
        <source>The test page was sent. Did it print? If not, check the paper, the cable and the power, then try again.</source>
        <translation>صفحه آزمایشی فرستاده شد. چاپ شد؟ اگر نه، کاغذ، کابل و برق چاپگر را بررسی کنید و دوباره امتحان کنید.</translation>
    </message>
    <message>
        <source>The terminal is enrolled and has the club&apos;s data.</source>
        <translation>پایانه ثبت شد و اطلاعات باشگاه را دارد.</translation>
    </message>
    <message>
        <source>The terminal is enrolled at {branch} and has the club&apos;s data. The cashiers log in with their name and PIN from now on.</source>
        <translation>پایانه در {branch} ثبت شد و اطلاعات باشگاه را دارد. از این پس صندوق‌داران با نام و رمز خود وارد می‌شوند.</translation>
    </message>
</context>
<context>
    <name>IdleView</name>
    <message>
        <source>Tap a card or scan a QR</source>
        <translation>کارت را به دستگاه بزنید یا QR را اسکن کنید</translation>
    </message>
    <message>
        <source>or find the member:</source>
        <translation>یا عضو را پیدا کنید:</translation>
    </message>
    <message>
        <source>Phone, card number or part of a name</source>
        <translation>تلفن، شماره کارت یا بخشی از نام</translation>
    </message>
    <message>
        <source>Enroll new member (F2)</source>
        <translation>ثبت‌نام عضو جدید (F2)</translation>
    </message>
    <message>
        <source>Event door (F7)</source>
        <translation>در ورودی رویداد (F7)</translation>
    </message>
    <message>
        <source>Card refused</source>
        <translation>کارت پذیرفته نشد</translation>
    </message>
    <message>
        <source>Several members match: choose with ↑ ↓ and Enter, or tap one.</source>
        <translation>چند عضو پیدا شد: با ↑ ↓ و Enter انتخاب کنید یا روی یکی بزنید.</translation>
    </message>
    <message>
        <source>No member found for “{query}”. Check it, or enroll a new member (F2).</source>
        <translation>عضوی با «{query}» پیدا نشد. آن را بررسی کنید یا عضو جدید ثبت‌نام کنید (F2).</translation>
    </message>
    <message>
        <source>phone ending {tail} — {points}</source>
        <translation>تلفن مختوم به {tail} — {points}</translation>
    </message>
</context>
<context>
    <name>JalaliDateEdit</name>
    <message>
        <source>Day</source>
        <translation>روز</translation>
    </message>
    <message>
        <source>Month</source>
        <translation>ماه</translation>
    </message>
    <message>
        <source>Year</source>
        <translation>سال</translation>
    </message>
    <message>
        <source>Day of birth</source>
        <translation>روز تولد</translation>
    </message>
    <message>
        <source>Month of birth</source>
        <translation>ماه تولد</translation>
    </message>
    <message>
        <source>Year of birth</source>
        <translation>سال تولد</translation>
    </message>
    <message>
        <source>Clear the birth date</source>
        <translation>پاک کردن تاریخ تولد</translation>
    </message>
    <message>
        <source>This month has {days} days</source>
        <translation>این ماه {days} روز دارد</translation>
    </message>
    <message>
        <source>That day has not come yet</source>
        <translation>این تاریخ هنوز نرسیده است</translation>
    </message>
    <message>
        <source>Too long ago</source>
        <translation>این تاریخ بیش از حد قدیمی است</translation>
    </message>
    <message>
        <source>{age} years old</source>
        <translation>{age} ساله</translation>
    </message>
    <message>
        <source>{date} Gregorian</source>
        <translation>{date} میلادی</translation>
    </message>
</context>
<context>
    <name>KioskExitDialog</name>
    <message>
        <source>Close the terminal</source>
        <translation>بستن پایانه</translation>
    </message>
    <message>
        <source>A manager closes this terminal with their PIN.</source>
        <translation>مدیر با رمز خود این پایانه را می‌بندد.</translation>
    </message>
    <message>
        <source>Close the terminal (Enter)</source>
        <translation>بستن پایانه (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>انصراف (Esc)</translation>
    </message>
</context>
<context>
    <name>LoginView</name>
    <message>
        <source>Who is at the counter?</source>
        <translation>چه کسی پشت پیشخوان است؟</translation>
    </message>
    <message>
        <source>Choose your name (↑ ↓)</source>
        <translation>نام خود را انتخاب کنید (↑ ↓)</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>رمز</translation>
    </message>
    <message>
        <source>Type your PIN</source>
        <translation>رمز خود را وارد کنید</translation>
    </message>
    <message>
        <source>Log in (Enter)</source>
        <translation>ورود (Enter)</translation>
    </message>
    <message>
        <source>Erase</source>
        <translation>پاک کردن</translation>
    </message>
    <message>
        <source>Cashier</source>
        <translation>صندوق‌دار</translation>
    </message>
    <message>
        <source>Event host</source>
        <translation>میزبان رویداد</translation>
    </message>
    <message>
        <source>Manager</source>
        <translation>مدیر</translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation>مدیر باشگاه</translation>
    </message>
    <message>
        <source>No staff are set up on this terminal yet; ask a manager.</source>
        <translation>هنوز کارمندی در این پایانه تعریف نشده است؛ از مدیر کمک بگیرید.</translation>
    </message>
    <message>
        <source>Choose your name in the list first.</source>
        <translation>اول نام خود را از فهرست انتخاب کنید.</translation>
    </message>
    <message>
        <source>Type your PIN, then press Enter.</source>
        <translation>رمز خود را وارد کنید و Enter را بزنید.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Bashgah — customer club</source>
        <translation>باشگاه — سامانه باشگاه مشتریان</translation>
    </message>
    <message>
        <source>Only event hosts and managers work at the door.</source>
        <translation>فقط میزبانان رویداد و مدیران در ورودی کار می‌کنند.</translation>
    </message>
    <message>
        <source>Export attendance</source>
        <translation>خروجی فهرست حاضران</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>فایل‌های CSV (*.csv)</translation>
    </message>
    <message>
        <source>Attendance saved to {path}</source>
        <translation>فهرست حاضران در {path} ذخیره شد</translation>
    </message>
    <message>
        <source>Place the blank card on the reader…</source>
        <translation>کارت خام را روی کارت‌خوان بگذارید…</translation>
    </message>
    <message>
        <source>Reverse an entry…</source>
        <translation>برگشت یک سند…</translation>
    </message>
    <message>
        <source>Adjust points…</source>
        <translation>اصلاح امتیاز…</translation>
    </message>
    <message>
        <source>Brand ambassador points…</source>
        <translation>امتیاز سفیر برند…</translation>
    </message>
    <message>
        <source>Branch day report…</source>
        <translation>گزارش روزانه شعبه…</translation>
    </message>
    <message>
        <source>Not found</source>
        <translation>پیدا نشد</translation>
    </message>
    <message>
        <source>Log in first, then tap the card again.</source>
        <translation>اول وارد شوید، بعد دوباره کارت را بزنید.</translation>
    </message>
    <message>
        <source>Finish or cancel this sale before the next card.</source>
        <translation>پیش از کارت بعدی، این خرید را تمام یا لغو کنید.</translation>
    </message>
    <message>
        <source>An event invitation: scan it at the event door (F7).</source>
        <translation>این دعوت‌نامه رویداد است: آن را در ورودی رویداد اسکن کنید (F7).</translation>
    </message>
    <message>
        <source>Card refused</source>
        <translation>کارت پذیرفته نشد</translation>
    </message>
    <message>
        <source>Card written.</source>
        <translation>کارت نوشته شد.</translation>
    </message>
</context>
<context>
    <name>MemberView</name>
    <message>
        <source>Points</source>
        <translation>امتیاز</translation>
    </message>
    <message>
        <source>Cashback wallet</source>
        <translation>کیف پول کش‌بک</translation>
    </message>
    <message>
        <source>Member since</source>
        <translation>عضو از</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>کارت</translation>
    </message>
    <message>
        <source>Recent activity</source>
        <translation>فعالیت‌های اخیر</translation>
    </message>
    <message>
        <source>No purchases or points yet.</source>
        <translation>هنوز خرید یا امتیازی ثبت نشده است.</translation>
    </message>
    <message>
        <source>When</source>
        <translation>زمان</translation>
    </message>
    <message>
        <source>What</source>
        <translation>شرح</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>مبلغ</translation>
    </message>
    <message>
        <source>Sync</source>
        <translation>همگام‌سازی</translation>
    </message>
    <message>
        <source>Checkout (Enter / F5)</source>
        <translation>ثبت خرید (Enter / F5)</translation>
    </message>
    <message>
        <source>Manager (F8)</source>
        <translation>مدیر (F8)</translation>
    </message>
    <message>
        <source>Back (Esc)</source>
        <translation>بازگشت (Esc)</translation>
    </message>
    <message>
        <source>Erased member</source>
        <translation>عضو حذف‌شده</translation>
    </message>
    <message>
        <source>Birthday today!</source>
        <translation>امروز تولدش است!</translation>
    </message>
    <message>
        <source>Birthday this week</source>
        <translation>تولدش همین هفته است</translation>
    </message>
    <message>
        <source>The club erased this member&apos;s personal data</source>
        <translation>باشگاه اطلاعات شخصی این عضو را پاک کرده است</translation>
    </message>
    <message>
        <source>Name, phone, birth date and photo are gone; the points and history stay.</source>
        <translation>نام، تلفن، تاریخ تولد و عکس پاک شده‌اند؛ امتیازها و سابقه می‌مانند.</translation>
    </message>
    <message>
        <source>Points can be earned but not spent</source>
        <translation>امتیاز فقط کسب می‌شود، خرج نمی‌شود</translation>
    </message>
    <message>
        <source>The revocation list is old: sync the terminal before spending points or cashback.</source>
        <translation>فهرست کارت‌های باطل‌شده قدیمی است: پیش از خرج امتیاز یا کش‌بک، پایانه را همگام کنید.</translation>
    </message>
    <message>
        <source>Now: {campaigns}</source>
        <translation>اکنون: {campaigns}</translation>
    </message>
    <message>
        <source>{amount} spendable from tomorrow</source>
        <translation>{amount} از فردا قابل خرج</translation>
    </message>
    <message>
        <source>{plan} valid until {date}</source>
        <translation>{plan} تا {date} معتبر است</translation>
    </message>
    <message>
        <source>Top tier</source>
        <translation>بالاترین سطح</translation>
    </message>
    <message>
        <source>{amount} to {tier}</source>
        <translation>{amount} تا {tier}</translation>
    </message>
    <message>
        <source>{tier} kept until {date}</source>
        <translation>سطح {tier} تا {date} می‌ماند</translation>
    </message>
    <message>
        <source>{points} are due to expire at the next sync</source>
        <translation>{points} در همگام‌سازی بعدی منقضی می‌شود</translation>
    </message>
    <message>
        <source>{points} expire on {date}</source>
        <translation>{points} در {date} منقضی می‌شود</translation>
    </message>
    <message>
        <source>none yet</source>
        <translation>هنوز ندارد</translation>
    </message>
    <message>
        <source>{number} (phone)</source>
        <translation>{number} (گوشی)</translation>
    </message>
    <message>
        <source>{number} ({status})</source>
        <translation>{number} ({status})</translation>
    </message>
    <message>
        <source>lost</source>
        <translation>مفقود</translation>
    </message>
    <message>
        <source>revoked</source>
        <translation>باطل‌شده</translation>
    </message>
    <message>
        <source>Recorded on this terminal; the server has not confirmed it yet.</source>
        <translation>در این پایانه ثبت شده؛ سرور هنوز آن را تأیید نکرده است.</translation>
    </message>
    <message>
        <source>The club server set this entry aside for review: it is not in the balance, here or anywhere, until the club accepts it.</source>
        <translation>سرور باشگاه این ثبت را برای بررسی کنار گذاشته است: تا باشگاه آن را نپذیرد، نه اینجا و نه هیچ جای دیگر در موجودی حساب نمی‌شود.</translation>
    </message>
    <message>
        <source>The club office reviewed this entry and confirmed that it does not count, anywhere.</source>
        <translation>دفتر باشگاه این ثبت را بررسی کرد و تأیید کرد که در هیچ جا حساب نمی‌شود.</translation>
    </message>
    <message>
        <source>Note: {note}</source>
        <translation>یادداشت: {note}</translation>
    </message>
    <message>
        <source>not synced yet</source>
        <translation>هنوز همگام نشده</translation>
    </message>
    <message>
        <source>set aside: not counted</source>
        <translation>کنار گذاشته شده: حساب نشده</translation>
    </message>
    <message>
        <source>refused after review</source>
        <translation>پس از بررسی رد شد</translation>
    </message>
    <message>
        <source>Expiry given back</source>
        <translation>بازگشت امتیاز منقضی‌شده</translation>
    </message>
    <message>
        <source>Purchase</source>
        <translation>خرید</translation>
    </message>
    <message>
        <source>Points spent</source>
        <translation>خرج امتیاز</translation>
    </message>
    <message>
        <source>Cashback added</source>
        <translation>واریز کش‌بک</translation>
    </message>
    <message>
        <source>Cashback spent</source>
        <translation>خرج کش‌بک</translation>
    </message>
    <message>
        <source>Adjustment</source>
        <translation>اصلاح</translation>
    </message>
    <message>
        <source>Points expired</source>
        <translation>انقضای امتیاز</translation>
    </message>
    <message>
        <source>Bonus</source>
        <translation>جایزه</translation>
    </message>
    <message>
        <source>Membership bought</source>
        <translation>خرید عضویت</translation>
    </message>
    <message>
        <source>Reversal</source>
        <translation>برگشت</translation>
    </message>
    <message>
        <source>Manager override</source>
        <translation>اجازه مدیر</translation>
    </message>
</context>
<context>
    <name>MembershipDialog</name>
    <message>
        <source>Manager override: F8.</source>
        <translation>اجازه مدیر: F8.</translation>
    </message>
    <message>
        <source>Choose a membership card.</source>
        <translation>یک کارت عضویت انتخاب کنید.</translation>
    </message>
    <message>
        <source>{card} renewed: it now runs until {date}.</source>
        <translation>{card} تمدید شد: اکنون تا {date} اعتبار دارد.</translation>
    </message>
    <message>
        <source>{card} bought: valid until {date}.</source>
        <translation>{card} خریداری شد: تا {date} معتبر است.</translation>
    </message>
    <message>
        <source>Paid {amount}. New balance: {points}.</source>
        <translation>{amount} پرداخت شد. موجودی جدید: {points}.</translation>
    </message>
    <message>
        <source>Membership card</source>
        <translation>کارت عضویت</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>کارت</translation>
    </message>
    <message>
        <source>Price</source>
        <translation>قیمت</translation>
    </message>
    <message>
        <source>Term</source>
        <translation>مدت</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>سطح</translation>
    </message>
    <message>
        <source>Points towards it</source>
        <translation>امتیاز برای آن</translation>
    </message>
    <message>
        <source>List price</source>
        <translation>قیمت پایه</translation>
    </message>
    <message>
        <source>Points discount</source>
        <translation>تخفیف امتیاز</translation>
    </message>
    <message>
        <source>To pay</source>
        <translation>مبلغ قابل پرداخت</translation>
    </message>
    <message>
        <source>Close (Enter)</source>
        <translation>بستن (Enter)</translation>
    </message>
    <message>
        <source>Buy (Enter)</source>
        <translation>خرید (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>انصراف (Esc)</translation>
    </message>
    <message>
        <source>Manager override (F8)</source>
        <translation>اجازه مدیر (F8)</translation>
    </message>
    <message>
        <source>The club sells no membership cards.</source>
        <translation>باشگاه کارت عضویت نمی‌فروشد.</translation>
    </message>
    <message>
        <source>{name} holds {points}.</source>
        <translation>{name} {points} دارد.</translation>
    </message>
    <message>
        <source>Their {card} runs until {date}.</source>
        <translation>{card} او تا {date} اعتبار دارد.</translation>
    </message>
    <message>
        <source>No membership card runs now.</source>
        <translation>اکنون کارت عضویتی فعال نیست.</translation>
    </message>
    <message>
        <source>{days} days</source>
        <translation>{days} روز</translation>
    </message>
    <message>
        <source>{multiplier} points</source>
        <translation>{multiplier} امتیاز</translation>
    </message>
    <message>
        <source>{percent}% off</source>
        <translation>{percent}٪ تخفیف</translation>
    </message>
    <message>
        <source>{percent}% cashback</source>
        <translation>{percent}٪ کش‌بک</translation>
    </message>
    <message>
        <source>While it runs, the member counts as {tier}: {perks}.</source>
        <translation>تا زمان اعتبار، عضو در سطح {tier} است: {perks}.</translation>
    </message>
    <message>
        <source>This card can only earn points: none go towards a membership until the terminal has an up-to-date list of revoked cards.</source>
        <translation>با این کارت فقط می‌توان امتیاز کسب کرد: تا فهرست کارت‌های باطل‌شده در این پایانه به‌روز نشود، امتیازی صرف عضویت نمی‌شود.</translation>
    </message>
    <message>
        <source>Up to {points}: each {step} take {percent}% off, at most {most}% off.</source>
        <translation>تا {points}: هر {step} {percent}٪ تخفیف، حداکثر {most}٪ تخفیف.</translation>
    </message>
    <message>
        <source>Renews the running card until {date}.</source>
        <translation>کارت فعلی را تا {date} تمدید می‌کند.</translation>
    </message>
    <message>
        <source>Replaces the running {card}; valid until {date}.</source>
        <translation>جای {card} فعلی را می‌گیرد؛ تا {date} معتبر است.</translation>
    </message>
    <message>
        <source>Valid until {date}.</source>
        <translation>تا {date} معتبر است.</translation>
    </message>
</context>
<context>
    <name>OverrideDialog</name>
    <message>
        <source>Manager override</source>
        <translation>اجازه مدیر</translation>
    </message>
    <message>
        <source>This terminal&apos;s clock is behind the club server&apos;s, so {name} cannot spend points offline.</source>
        <translation>ساعت این پایانه از ساعت سرور باشگاه عقب است، پس {name} بدون اتصال نمی‌تواند امتیاز خرج کند.</translation>
    </message>
    <message>
        <source>Offline, {name} may spend at most {points} here.</source>
        <translation>بدون اتصال، {name} اینجا حداکثر {points} می‌تواند خرج کند.</translation>
    </message>
    <message>
        <source>This sale spends {points}.</source>
        <translation>در این خرید {points} خرج می‌شود.</translation>
    </message>
    <message>
        <source>A manager may allow it with their PIN and a reason; the override is recorded.</source>
        <translation>مدیر می‌تواند با رمز خود و ذکر دلیل اجازه دهد؛ این اجازه در دفتر ثبت می‌شود.</translation>
    </message>
    <message>
        <source>Allow (Enter)</source>
        <translation>اجازه می‌دهم (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>انصراف (Esc)</translation>
    </message>
</context>
<context>
    <name>ProgrammeText</name>
    <message>
        <source>{multiplier} points</source>
        <translation>{multiplier} امتیاز</translation>
    </message>
    <message>
        <source>{percent} off at the till</source>
        <translation>{percent} تخفیف در صندوق</translation>
    </message>
    <message>
        <source>{tier}: {privileges}</source>
        <translation>{tier}: {privileges}</translation>
    </message>
    <message>
        <source>Free: {services}</source>
        <translation>رایگان: {services}</translation>
    </message>
    <message>
        <source>Upgraded to {tier}!</source>
        <translation>ارتقا به {tier}!</translation>
    </message>
    <message>
        <source>Clothing</source>
        <translation>پوشاک</translation>
    </message>
    <message>
        <source>Cosmetics</source>
        <translation>لوازم آرایشی</translation>
    </message>
    <message>
        <source>Food</source>
        <translation>مواد غذایی</translation>
    </message>
    <message>
        <source>Electronics</source>
        <translation>لوازم الکترونیکی</translation>
    </message>
    <message>
        <source>Books</source>
        <translation>کتاب</translation>
    </message>
    <message>
        <source>Shoes</source>
        <translation>کفش</translation>
    </message>
    <message>
        <source>Accessories</source>
        <translation>اکسسوری</translation>
    </message>
    <message>
        <source>Home</source>
        <translation>لوازم خانه</translation>
    </message>
    <message>
        <source>Toys</source>
        <translation>اسباب‌بازی</translation>
    </message>
    <message>
        <source>Sports</source>
        <translation>لوازم ورزشی</translation>
    </message>
    <message>
        <source>Birthday bonus</source>
        <translation>پاداش تولد</translation>
    </message>
    <message>
        <source>Welcome bonus for a referred member</source>
        <translation>پاداش خوش‌آمد عضو معرفی‌شده</translation>
    </message>
    <message>
        <source>Referral bonus</source>
        <translation>پاداش معرفی</translation>
    </message>
    <message>
        <source>Signup bonus</source>
        <translation>پاداش عضویت</translation>
    </message>
    <message>
        <source>Survey bonus</source>
        <translation>پاداش نظرسنجی</translation>
    </message>
    <message>
        <source>Ambassador bonus</source>
        <translation>پاداش سفیر برند</translation>
    </message>
    <message>
        <source>Bonus</source>
        <translation>پاداش</translation>
    </message>
</context>
<context>
    <name>ReceiptView</name>
    <message>
        <source>Printing…</source>
        <translation>در حال چاپ…</translation>
    </message>
    <message>
        <source>Receipt printed.</source>
        <translation>رسید چاپ شد.</translation>
    </message>
    <message>
        <source>The printer setting “{setting}” is not understood: use file:/dev/usb/lp0, network:HOST[:PORT] or dummy.</source>
        <translation>تنظیم چاپگر «{setting}» شناخته نشد: file:/dev/usb/lp0 یا network:HOST[:PORT] یا dummy به کار ببرید.</translation>
    </message>
    <message>
        <source>The printer did not take the receipt ({error}). Check that it is on, connected and has paper, then press F6 again.</source>
        <translation>چاپگر رسید را نگرفت ({error}). روشن بودن، اتصال و کاغذ آن را بررسی کنید و دوباره F6 را بزنید.</translation>
    </message>
    <message>
        <source>Save the receipt as PDF</source>
        <translation>ذخیره رسید به صورت PDF</translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation>فایل‌های PDF (*.pdf)</translation>
    </message>
    <message>
        <source>The PDF could not be saved: {error}</source>
        <translation>PDF ذخیره نشد: {error}</translation>
    </message>
    <message>
        <source>Saved {path}</source>
        <translation>{path} ذخیره شد</translation>
    </message>
    <message>
        <source>No receipt printer is configured (setting “{key}”).</source>
        <translation>چاپگر رسید تنظیم نشده است (تنظیم «{key}»).</translation>
    </message>
    <message>
        <source>Save PDF (F7)</source>
        <translation>ذخیره PDF (F7)</translation>
    </message>
    <message>
        <source>Done (Enter)</source>
        <translation>تمام (Enter)</translation>
    </message>
    <message>
        <source>Scan to find this sale</source>
        <translation>برای یافتن این خرید اسکن کنید</translation>
    </message>
    <message>
        <source>No printer configured</source>
        <translation>چاپگری تنظیم نشده است</translation>
    </message>
    <message>
        <source>Print (F6)</source>
        <translation>چاپ (F6)</translation>
    </message>
    <message>
        <source>How was it? Rate 1–5</source>
        <translation>چطور بود؟ از ۱ تا ۵</translation>
    </message>
    <message>
        <source>{points} points, thank you!</source>
        <translation>{points} امتیاز، سپاس!</translation>
    </message>
    <message>
        <source>Thank you!</source>
        <translation>سپاس!</translation>
    </message>
    <message>
        <source>{points} point added</source>
        <translation>{points} امتیاز اضافه شد</translation>
    </message>
    <message>
        <source>{points} points added</source>
        <translation>{points} امتیاز اضافه شد</translation>
    </message>
    <message>
        <source>Sale recorded</source>
        <translation>خرید ثبت شد</translation>
    </message>
    <message>
        <source>{points} spent: {amount} off</source>
        <translation>{points} خرج شد: {amount} تخفیف</translation>
    </message>
    <message>
        <source>New balance: {points}</source>
        <translation>موجودی جدید: {points}</translation>
    </message>
    <message>
        <source>Paid: {amount}</source>
        <translation>پرداختی: {amount}</translation>
    </message>
    <message>
        <source>Invoice {invoice}</source>
        <translation>فاکتور {invoice}</translation>
    </message>
    <message>
        <source>This sale had already been recorded; it was not recorded twice.</source>
        <translation>این خرید قبلاً ثبت شده بود؛ دوباره ثبت نشد.</translation>
    </message>
    <message>
        <source>Cashback: {amount} to the wallet, spendable from tomorrow</source>
        <translation>کش‌بک: {amount} به کیف پول، قابل خرج از فردا</translation>
    </message>
    <message>
        <source>Cashback: {amount} to the wallet</source>
        <translation>کش‌بک: {amount} به کیف پول</translation>
    </message>
    <message>
        <source>From the wallet: {amount}</source>
        <translation>از کیف پول: {amount}</translation>
    </message>
    <message>
        <source>Wallet: {amount}</source>
        <translation>کیف پول: {amount}</translation>
    </message>
    <message>
        <source>Campaigns: {campaigns}</source>
        <translation>کمپین‌ها: {campaigns}</translation>
    </message>
    <message>
        <source>Bonuses: {bonuses}</source>
        <translation>پاداش‌ها: {bonuses}</translation>
    </message>
</context>
<context>
    <name>ReverseDialog</name>
    <message>
        <source>Choose the entry to reverse.</source>
        <translation>سندی را که باید برگشت بخورد انتخاب کنید.</translation>
    </message>
    <message>
        <source>Reversed: {points}. New balance: {balance}.</source>
        <translation>برگشت خورد: {points}. موجودی جدید: {balance}.</translation>
    </message>
    <message>
        <source>Reverse an entry</source>
        <translation>برگشت یک سند</translation>
    </message>
    <message>
        <source>Choose the entry of {name} to undo. A manager approves it with their PIN.</source>
        <translation>سندی از {name} را که باید برگشت بخورد انتخاب کنید. مدیر با رمز خود آن را تأیید می‌کند.</translation>
    </message>
    <message>
        <source>When</source>
        <translation>زمان</translation>
    </message>
    <message>
        <source>What</source>
        <translation>شرح</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>امتیاز</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>مبلغ</translation>
    </message>
    <message>
        <source>Invoice</source>
        <translation>فاکتور</translation>
    </message>
    <message>
        <source>Close (Enter)</source>
        <translation>بستن (Enter)</translation>
    </message>
    <message>
        <source>Reverse (Enter)</source>
        <translation>برگشت (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>انصراف (Esc)</translation>
    </message>
    <message>
        <source>{what} (reversed)</source>
        <translation>{what} (برگشت‌خورده)</translation>
    </message>
    <message>
        <source>Expiry given back</source>
        <translation>بازگشت امتیاز منقضی‌شده</translation>
    </message>
    <message>
        <source>Sale</source>
        <translation>خرید</translation>
    </message>
    <message>
        <source>Points spent</source>
        <translation>خرج امتیاز</translation>
    </message>
    <message>
        <source>Cashback</source>
        <translation>کش‌بک</translation>
    </message>
    <message>
        <source>Wallet spent</source>
        <translation>خرج از کیف پول</translation>
    </message>
    <message>
        <source>Adjustment</source>
        <translation>اصلاح</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>منقضی</translation>
    </message>
    <message>
        <source>Bonus</source>
        <translation>جایزه</translation>
    </message>
    <message>
        <source>Membership</source>
        <translation>عضویت</translation>
    </message>
    <message>
        <source>Reversal</source>
        <translation>برگشت</translation>
    </message>
    <message>
        <source>Manager override</source>
        <translation>اجازه مدیر</translation>
    </message>
</context>
<context>
    <name>RewardsDialog</name>
    <message>
        <source>Manager override: F8.</source>
        <translation>اجازه مدیر: F8.</translation>
    </message>
    <message>
        <source>Out of stock here</source>
        <translation>در این شعبه تمام شده</translation>
    </message>
    <message>
        <source>This card can only earn points</source>
        <translation>با این کارت فقط کسب امتیاز ممکن است</translation>
    </message>
    <message>
        <source>{points} short</source>
        <translation>{points} کم دارد</translation>
    </message>
    <message>
        <source>Choose a reward that can be given.</source>
        <translation>جایزه‌ای را انتخاب کنید که بتوان داد.</translation>
    </message>
    <message>
        <source>{reward} given. New balance: {points}. Left here: {left}.</source>
        <translation>{reward} داده شد. موجودی جدید: {points}. باقی‌مانده در این شعبه: {left}.</translation>
    </message>
    <message>
        <source>Gift</source>
        <translation>هدیه</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>خدمت</translation>
    </message>
    <message>
        <source>Rewards</source>
        <translation>جایزه‌ها</translation>
    </message>
    <message>
        <source>{name} holds {points}. Choose a reward; its points are spent when it is given.</source>
        <translation>{name} {points} دارد. جایزه‌ای انتخاب کنید؛ امتیاز آن هنگام دادن کسر می‌شود.</translation>
    </message>
    <message>
        <source>{name} holds {points}. This branch has no rewards to give.</source>
        <translation>{name} {points} دارد. این شعبه جایزه‌ای برای دادن ندارد.</translation>
    </message>
    <message>
        <source>Reward</source>
        <translation>جایزه</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>نوع</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>امتیاز</translation>
    </message>
    <message>
        <source>Left here</source>
        <translation>باقی‌مانده در شعبه</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>توضیح</translation>
    </message>
    <message>
        <source>Close (Enter)</source>
        <translation>بستن (Enter)</translation>
    </message>
    <message>
        <source>Give (Enter)</source>
        <translation>دادن (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>انصراف (Esc)</translation>
    </message>
    <message>
        <source>Manager override (F8)</source>
        <translation>اجازه مدیر (F8)</translation>
    </message>
</context>
<context>
    <name>StatusBarWidget</name>
    <message>
        <source>Unsynced: {count}</source>
        <translation>همگام‌نشده: {count}</translation>
    </message>
    <message>
        <source>Staff: {name}</source>
        <translation>کارمند: {name}</translation>
    </message>
    <message>
        <source>Server: not enrolled</source>
        <translation>سرور: ثبت نشده</translation>
    </message>
    <message>
        <source>This terminal is not enrolled with a club server: it works on its own, offline.</source>
        <translation>این پایانه در سرور باشگاه ثبت نشده است: مستقل و آفلاین کار می‌کند.</translation>
    </message>
    <message>
        <source>Nobody logged in</source>
        <translation>کسی وارد نشده است</translation>
    </message>
    <message>
        <source>Branch: {name}</source>
        <translation>شعبه: {name}</translation>
    </message>
    <message>
        <source>Demo: F9 taps a member card, Shift+F9 a damaged one</source>
        <translation>نمایشی: F9 کارت یک عضو را می‌زند و Shift+F9 یک کارت خراب را</translation>
    </message>
    <message>
        <source>Synced</source>
        <translation>همگام</translation>
    </message>
    <message>
        <source>Set aside: {count}</source>
        <translation>کنار گذاشته: {count}</translation>
    </message>
    <message>
        <source>Entries the club server rejected or holds differently: the club office reviews them.</source>
        <translation>سندهایی که سرور باشگاه نپذیرفت یا به شکل دیگری دارد: دفتر باشگاه آن‌ها را بررسی می‌کند.</translation>
    </message>
    <message>
        <source>Clock behind</source>
        <translation>ساعت عقب است</translation>
    </message>
    <message>
        <source>This terminal&apos;s clock is behind the club server&apos;s: points cannot be spent offline.</source>
        <translation>ساعت این پایانه از ساعت سرور باشگاه عقب است: بدون اتصال امتیازی خرج نمی‌شود.</translation>
    </message>
    <message>
        <source>Server: revoked by the club (offline)</source>
        <translation>سرور: باطل‌شده از سوی باشگاه (آفلاین)</translation>
    </message>
    <message>
        <source>Server: not enrolled there (offline)</source>
        <translation>سرور: پایانه آنجا ثبت نیست (آفلاین)</translation>
    </message>
    <message>
        <source>Server: offline since {time}</source>
        <translation>سرور: آفلاین از {time}</translation>
    </message>
    <message>
        <source>Server: this terminal was revoked by the club (working offline)</source>
        <translation>سرور: باشگاه این پایانه را باطل کرده است (کار آفلاین)</translation>
    </message>
    <message>
        <source>Server: this terminal is not enrolled on the server (working offline)</source>
        <translation>سرور: این پایانه در سرور ثبت نیست (کار آفلاین)</translation>
    </message>
    <message>
        <source>Server: connecting…</source>
        <translation>سرور: در حال اتصال…</translation>
    </message>
    <message>
        <source>Server: online</source>
        <translation>سرور: آنلاین</translation>
    </message>
    <message>
        <source>Server: offline (never synced)</source>
        <translation>سرور: آفلاین (هنوز همگام نشده)</translation>
    </message>
    <message>
        <source>Readers: none</source>
        <translation>کارت‌خوان: ندارد</translation>
    </message>
    <message>
        <source>Readers: none connected</source>
        <translation>کارت‌خوان: هیچ‌کدام وصل نیست</translation>
    </message>
    <message>
        <source>Readers: {count} ready</source>
        <translation>کارت‌خوان: {count} آماده</translation>
    </message>
</context>
<context>
    <name>UndoAdmissionDialog</name>
    <message>
        <source>The admission was undone.</source>
        <translation>پذیرش ورود لغو شد.</translation>
    </message>
    <message>
        <source>Undo an admission</source>
        <translation>لغو پذیرش ورود</translation>
    </message>
    <message>
        <source>Undo the admission of a plus-one of {name} at {time}?</source>
        <translation>پذیرش همراه {name} در {time} لغو شود؟</translation>
    </message>
    <message>
        <source>Undo the admission of {name} at {time}?</source>
        <translation>پذیرش ورود {name} در {time} لغو شود؟</translation>
    </message>
    <message>
        <source>A manager approves it with their PIN; the guest no longer counts as inside.</source>
        <translation>مدیر با رمز خود آن را تأیید می‌کند؛ مهمان دیگر داخل به شمار نمی‌آید.</translation>
    </message>
    <message>
        <source>Close (Enter)</source>
        <translation>بستن (Enter)</translation>
    </message>
    <message>
        <source>Undo (Enter)</source>
        <translation>لغو پذیرش (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>انصراف (Esc)</translation>
    </message>
</context>
</TS>
