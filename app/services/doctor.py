# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah doctor`: what support asks first, each answer a check with a status and, when not ok, a fix.

Each check is a small function returning a `Check` (or a few); `run_checks` runs them in order and never
raises: a damaged database, a missing library or a hung reader becomes a check's answer. Nothing waits
without a bound: the server call and the reader probes have timeouts.

What is *needed* depends on the terminal:
- no club in the data dir: a problem (nothing to run);
- a local club (the demo, never enrolled): no server, no revocation list, no printer and no reader are
  needed (the demo's simulated reader stands in); the database, the ledger and the disk are;
- an enrolled terminal (a branch's): also a card reader, the server (reachable, still knowing this
  terminal), a clock close to the server's and a fresh revocation list. A printer is a warning only: a
  branch may run without one.
Exit 0 only when no check is a problem; warnings are worth reading but do not fail.

Texts are (English, Persian) pairs with `str.format` fields filled from `params`, so the command line
shows them in the user's language and digits. No Qt here.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import shutil
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from app import logs
from app.domain.errors import ClubError
from app.store.database import DB_FILENAME, Database

Text = tuple[str, str]  # (English, Persian)

LOW_DISK_BYTES = 200 * 1024 * 1024  # below: a problem (SQLite cannot grow; a sale fails)
SHORT_DISK_BYTES = 1024 * 1024 * 1024  # below: a warning
CLOCK_TOLERANCE_US = 5 * 60 * 1_000_000  # app.domain.grants.CLOCK_BEHIND_LIMIT_US: offline spending stops
STALE_SYNC_US = 24 * 3600 * 1_000_000  # no pull for a day on an enrolled terminal: worth a look
RECENT_CRASH_S = 7 * 86_400
DEFAULT_TIMEOUT_S = 5.0


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: Text
    fix: Text | None = None
    params: dict[str, Any] = field(default_factory=dict)  # the texts' fields; also in --json as data


@dataclass(frozen=True, slots=True)
class Report:
    checks: list[Check]
    kind: str  # "none" (no club), "local" (the demo, never enrolled) or "enrolled"

    @property
    def ok(self) -> bool:
        return all(c.status is not Status.PROBLEM for c in self.checks)


@dataclass(slots=True)
class _Context:
    data_dir: Path
    timeout_s: float
    kind: str = "none"
    db: Database | None = None
    checks: list[Check] = field(default_factory=list)

    @property
    def enrolled(self) -> bool:
        return self.kind == "enrolled"

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        return check


# ---- printer probes the command line injects (app.receipts sits above the services) ---------------

PrinterSetting = Callable[[Any], str | None]  # the terminal -> its receipt_printer setting, None if none
MakePrinter = Callable[[str], Any]  # the setting -> a python-escpos printer (not yet opened)


def run_checks(
    data_dir: Path,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    printer_setting: PrinterSetting | None = None,
    make_printer: MakePrinter | None = None,
) -> Report:
    """Every check, in the order support reads them."""
    ctx = _Context(Path(data_dir), timeout_s)
    ctx.add(check_version())
    ctx.add(check_data_dir(ctx.data_dir))
    database_ok = _guarded(ctx, "database", lambda: check_database(ctx))
    if database_ok:
        _guarded(ctx, "ledger", lambda: check_ledger(ctx))
    else:
        ctx.add(_not_checked("ledger"))
    _guarded(ctx, "readers", lambda: check_readers(ctx))
    if database_ok and ctx.kind != "none":
        _guarded(ctx, "printer", lambda: check_printer(ctx, printer_setting, make_printer))
        _guarded(ctx, "server", lambda: check_server(ctx))
        _guarded(ctx, "revocations", lambda: check_revocations(ctx))
        _guarded(ctx, "chip_keys", lambda: check_chip_keys(ctx))
    else:
        for name in ("printer", "server", "revocations", "chip_keys"):
            ctx.add(_not_checked(name))
    ctx.add(check_logs())
    if ctx.db is not None:
        ctx.db.close()
    return Report(ctx.checks, ctx.kind)


def _guarded(ctx: _Context, name: str, run: Callable[[], Check | None]) -> bool:
    """Run a check; a failure it did not foresee is its answer, not a crash of the doctor."""
    before = len(ctx.checks)
    try:
        check = run()
    except ClubError as error:
        check = Check(
            name,
            Status.PROBLEM,
            ("Could not check: {error}.", "بررسی نشد: {error}."),
            _SUPPORT,
            {"error": error.code},
        )
    except Exception as error:
        check = Check(
            name,
            Status.PROBLEM,
            ("Could not check: {error}.", "بررسی نشد: {error}."),
            _SUPPORT,
            {"error": f"{type(error).__name__}: {error}"},
        )
    if check is not None:
        ctx.add(check)
    return all(c.status is not Status.PROBLEM for c in ctx.checks[before:])


_SUPPORT: Text = (
    "Send the output of `bashgah doctor --json` and the newest crash report to support.",
    "خروجی ‎`bashgah doctor --json`‎ و آخرین گزارش خرابی را برای پشتیبانی بفرستید.",
)


def _not_checked(name: str) -> Check:
    return Check(
        name,
        Status.WARNING,
        ("Not checked: the data could not be read.", "بررسی نشد: داده‌ها خوانده نشد."),
        ("Fix the problems above first.", "ابتدا مشکلات بالا را رفع کنید."),
    )


# ---- version, data dir, disk ---------------------------------------------------------------------


def check_version() -> Check:
    try:
        version = importlib.metadata.version("bashgah")
    except importlib.metadata.PackageNotFoundError:  # a frozen bundle may carry no metadata
        from app import __version__ as version
    return Check(
        "version",
        Status.OK,
        (
            "Bashgah {version} (Python {python}, {platform}).",
            "باشگاه {version} (پایتون {python}، {platform}).",
        ),
        params={"version": version, "python": sys.version.split()[0], "platform": sys.platform},
    )


def check_data_dir(data_dir: Path) -> Check:
    where = data_dir if data_dir.exists() else next((p for p in data_dir.parents if p.exists()), data_dir)
    try:
        free = shutil.disk_usage(where).free
    except OSError as error:
        return Check(
            "data_dir",
            Status.PROBLEM,
            ("The data folder {path} cannot be read: {error}.", "پوشه داده‌ها {path} خوانده نمی‌شود: {error}."),
            (
                "Check the folder exists and this user may write it.",
                "بررسی کنید پوشه هست و این کاربر اجازه نوشتن دارد.",
            ),
            {"path": str(data_dir), "error": str(error)},
        )
    params = {"path": str(data_dir), "free_mb": free // (1024 * 1024)}
    detail = (
        "Data in {path}; {free_mb} MB free on its disk.",
        "داده‌ها در {path}؛ {free_mb} مگابایت فضای آزاد.",
    )
    if free < LOW_DISK_BYTES:
        fix = (
            "Free space on this disk: sales stop when it is full.",
            "روی این دیسک فضا آزاد کنید: با پر شدن دیسک فروش متوقف می‌شود.",
        )
        return Check("data_dir", Status.PROBLEM, detail, fix, params)
    if free < SHORT_DISK_BYTES:
        fix = ("Free some space on this disk soon.", "به‌زودی روی این دیسک فضا آزاد کنید.")
        return Check("data_dir", Status.WARNING, detail, fix, params)
    return Check("data_dir", Status.OK, detail, params=params)


# ---- the database and the ledger ------------------------------------------------------------------

_NO_CLUB_FIX: Text = (
    "Enrol this terminal with the club server (the window's first run, or `bashgah enroll`), "
    "or try the demo: `bashgah demo seed`.",
    "این پایانه را در سرور باشگاه ثبت کنید (اجرای نخست پنجره یا ‎`bashgah enroll`‎)، "
    "یا نسخه نمایشی را امتحان کنید: ‎`bashgah demo seed`‎.",
)
_DAMAGED_FIX: Text = (
    "Do not sell on this terminal. Keep a copy of the data folder and call support: it can be restored "
    "from the club server (enrol again) once what is not yet synced is saved.",
    "با این پایانه فروش نکنید. از پوشه داده‌ها نسخه‌ای نگه دارید و با پشتیبانی تماس بگیرید: پس از نجات "
    "سندهای ارسال‌نشده، با ثبت دوباره از سرور باشگاه بازیابی می‌شود.",
)


def quick_check(path: Path, timeout_s: float) -> list[str]:
    """SQLite's `PRAGMA quick_check` on the file, opened read-only: its lines ("ok" when sound)."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=timeout_s)
    try:
        return [str(row[0]) for row in conn.execute("PRAGMA quick_check(20)")]
    finally:
        conn.close()


def check_database(ctx: _Context) -> Check:
    path = ctx.data_dir / DB_FILENAME
    if not path.exists():
        return Check(
            "database",
            Status.PROBLEM,
            ("No club in {path}: nothing to run.", "در {path} باشگاهی نیست."),
            _NO_CLUB_FIX,
            {"path": str(path)},
        )
    try:
        lines = quick_check(path, ctx.timeout_s)
    except sqlite3.DatabaseError as error:
        if isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error)):
            return _held(path, error)
        lines = [str(error)]
    if lines != ["ok"]:
        return Check(
            "database",
            Status.PROBLEM,
            ("The database {path} is damaged: {first}.", "پایگاه داده {path} آسیب دیده است: {first}."),
            _DAMAGED_FIX,
            {"path": str(path), "first": lines[0] if lines else "?", "lines": lines},
        )
    try:
        ctx.db = Database.open(ctx.data_dir)
        from app.store import club, sync_state

        with ctx.db.read() as conn:
            device = club.self_device(conn)
            enrolled = sync_state.is_enrolled(conn)
    except ClubError as error:
        return Check(
            "database",
            Status.PROBLEM,
            ("The database {path} cannot be opened: {error}.", "پایگاه داده {path} باز نمی‌شود: {error}."),
            _DAMAGED_FIX,
            {"path": str(path), "error": str(error.params.get("detail", error.code))},
        )
    if device is None:
        return Check(
            "database",
            Status.PROBLEM,
            ("No club in {path}: nothing to run.", "در {path} باشگاهی نیست."),
            _NO_CLUB_FIX,
            {"path": str(path)},
        )
    ctx.kind = "enrolled" if enrolled else "local"
    detail = (
        (
            "The database is sound (quick check); this terminal is {code}, enrolled with a club server.",
            "پایگاه داده سالم است؛ این پایانه {code} است و در سرور باشگاه ثبت شده.",
        )
        if enrolled
        else (
            "The database is sound (quick check); this terminal is {code}, a local club (the demo), "
            "not enrolled.",
            "پایگاه داده سالم است؛ این پایانه {code} است، باشگاه محلی (نمایشی) و ثبت‌نشده.",
        )
    )
    return Check("database", Status.OK, detail, params={"path": str(path), "code": device.code})


def _held(path: Path, error: Exception) -> Check:
    return Check(
        "database",
        Status.PROBLEM,
        (
            "The database {path} is held by another program: {error}.",
            "پایگاه داده {path} در دست برنامه دیگری است: {error}.",
        ),
        (
            "Close other Bashgah windows or commands on this data folder, then run the doctor again.",
            "پنجره‌ها یا فرمان‌های دیگر باشگاه روی این پوشه را ببندید و دوباره doctor را اجرا کنید.",
        ),
        {"path": str(path), "error": str(error)},
    )


def check_ledger(ctx: _Context) -> Check:
    from app.services.ledger_check import verify_ledger

    if ctx.db is None:
        return _not_checked("ledger")
    report = verify_ledger(ctx.db)
    params: dict[str, Any] = {"entries": report.entries, "devices": report.devices}
    if report.chain_break is not None:
        bad = report.chain_break
        params |= {
            "device": bad.device_id,
            "seq": bad.device_seq,
            "reason": bad.problem,
            "entry": bad.entry_id,
        }
        return Check(
            "ledger",
            Status.PROBLEM,
            (
                "A ledger chain is broken: device {device}, entry {seq} ({reason}).",
                "زنجیره دفتر شکسته است: دستگاه {device}، سند {seq} ({reason}).",
            ),
            (
                "Do not sell on this terminal and call support; `bashgah ledger verify` shows the first "
                "bad entry.",
                "با این پایانه فروش نکنید و با پشتیبانی تماس بگیرید؛ "
                "‎`bashgah ledger verify`‎ نخستین سند نادرست را "
                "نشان می‌دهد.",
            ),
            params,
        )
    if report.mismatches or report.day_mismatches:
        params["members"] = len({m.member_id for m in report.mismatches} | set(report.day_mismatches))
        return Check(
            "ledger",
            Status.PROBLEM,
            (
                "Every chain holds, but {members} members' balances differ from the ledger.",
                "زنجیره‌ها سالم است، اما مانده {members} عضو با دفتر نمی‌خواند.",
            ),
            (
                "Run `bashgah ledger rebuild` to recompute them from the ledger.",
                "‎`bashgah ledger rebuild`‎ را اجرا کنید تا مانده‌ها از دفتر دوباره حساب شود.",
            ),
            params,
        )
    return Check(
        "ledger",
        Status.OK,
        (
            "Ledger sound: {entries} entries on {devices} devices; every chain holds and every balance "
            "matches.",
            "دفتر سالم است: {entries} سند در {devices} دستگاه؛ زنجیره‌ها و مانده‌ها درست است.",
        ),
        params=params,
    )


# ---- readers --------------------------------------------------------------------------------------


def _bounded(work: Callable[[], Any], timeout_s: float) -> tuple[bool, Any]:
    """(finished, result) of `work` on a helper thread, waited for at most timeout_s: a reader driver that
    hangs leaves its daemon thread behind, not the doctor. An exception is the result."""
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(work())
        except Exception as error:  # the caller reports it
            box.append(error)

    thread = threading.Thread(target=run, name="doctor-probe", daemon=True)
    thread.start()
    thread.join(timeout_s)
    return (True, box[0]) if box else (False, None)


def _pcsc_probe() -> tuple[bool, list[str]]:
    """(pcscd answers, the readers it lists)."""
    from app.cards.pcsc import PcscBackend

    backend = PcscBackend()
    try:
        if not backend.is_available():
            return False, []
        return True, [r.name for r in backend.readers()]
    finally:
        backend.close()


def _nfc_probe() -> str | None:
    """The name of the USB NFC reader nfcpy opens, None when there is none."""
    from app.cards.nfc import NfcBackend

    backend = NfcBackend("usb")
    try:
        return backend.readers()[0].name if backend.is_available() else None
    finally:
        backend.close()


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check_readers(ctx: _Context) -> Check | None:
    """Three checks: PC/SC (pyscard and pcscd), NFC (nfcpy), and whether any reader is attached."""
    readers: list[str] = []
    pcsc = _check_pcsc(ctx, readers)
    nfc = _check_nfc(ctx, readers)
    # a missing PC/SC stack matters only when nothing else reads cards here on a branch's terminal
    if pcsc.status is Status.PROBLEM and (not ctx.enrolled or (nfc.status is Status.OK and readers)):
        pcsc = Check(pcsc.name, Status.WARNING, pcsc.detail, pcsc.fix, pcsc.params)
    ctx.add(pcsc)
    ctx.add(nfc)
    if readers:
        return Check(
            "readers",
            Status.OK,
            ("Card readers: {names}.", "کارت‌خوان‌ها: {names}."),
            params={"names": ", ".join(readers), "readers": readers},
        )
    detail: Text = ("No card reader is attached.", "هیچ کارت‌خوانی وصل نیست.")
    fix: Text = (
        "Plug the reader in (another USB port, or unplug and plug it back), then run the doctor again.",
        "کارت‌خوان را وصل کنید (درگاه USB دیگر، یا جدا و دوباره وصل کنید) و دوباره doctor را اجرا کنید.",
    )
    if not ctx.enrolled:  # the demo reads its simulated cards (F9); member QRs and phone numbers work too
        return Check("readers", Status.WARNING, detail, fix, {"readers": []})
    return Check("readers", Status.PROBLEM, detail, fix, {"readers": []})


def _check_pcsc(ctx: _Context, readers: list[str]) -> Check:
    if not _installed("smartcard"):
        return Check(
            "pcsc",
            Status.PROBLEM,
            (
                "pyscard (the PC/SC library) is not installed: PC/SC readers (ACR122U, ACR1252U) cannot "
                "be used.",
                "pyscard (کتابخانه PC/SC) نصب نیست: کارت‌خوان‌های PC/SC (ACR122U، ACR1252U) کار نمی‌کنند.",
            ),
            (
                "Reinstall Bashgah (its package carries pyscard); from source: `pip install pyscard`.",
                "باشگاه را دوباره نصب کنید (بسته آن pyscard را دارد)؛ از کد منبع: ‎`pip install pyscard`‎.",
            ),
        )
    finished, result = _bounded(_pcsc_probe, ctx.timeout_s)
    if not finished or isinstance(result, Exception):
        why = "timed out" if not finished else f"{type(result).__name__}: {result}"
        return Check(
            "pcsc",
            Status.PROBLEM,
            ("The smart card service did not answer ({why}).", "سرویس کارت هوشمند پاسخ نداد ({why})."),
            _PCSCD_FIX,
            {"why": why},
        )
    running, names = result
    if not running:
        return Check(
            "pcsc",
            Status.PROBLEM,
            (
                "The smart card service (pcscd) is not running: PC/SC readers cannot be used.",
                "سرویس کارت هوشمند (pcscd) اجرا نمی‌شود: کارت‌خوان‌های PC/SC کار نمی‌کنند.",
            ),
            _PCSCD_FIX,
        )
    readers.extend(names)
    return Check(
        "pcsc",
        Status.OK,
        (
            "The smart card service answers; {count} PC/SC readers.",
            "سرویس کارت هوشمند پاسخ می‌دهد؛ {count} کارت‌خوان PC/SC.",
        ),
        params={"count": len(names)},
    )


_PCSCD_FIX: Text = (
    "Start it: on Linux `sudo systemctl enable --now pcscd.socket` (install the `pcscd` package if missing); "
    "on Windows start the “Smart Card” service, or plug the reader in (Windows starts it then).",
    "آن را راه‌اندازی کنید: در لینوکس ‎`sudo systemctl enable --now pcscd.socket`‎ (اگر نیست بسته `pcscd` را "
    "نصب کنید)؛ در ویندوز سرویس «Smart Card» را آغاز کنید یا کارت‌خوان را وصل کنید.",
)


def _check_nfc(ctx: _Context, readers: list[str]) -> Check:
    if not _installed("nfc"):
        return Check(
            "nfc",
            Status.WARNING,
            (
                "nfcpy is not installed: USB NFC readers driven directly (without PC/SC) cannot be used.",
                "nfcpy نصب نیست: کارت‌خوان‌های NFC که بدون PC/SC کار می‌کنند قابل استفاده نیستند.",
            ),
            (
                "Only needed for such readers: reinstall Bashgah, or `pip install nfcpy`.",
                "فقط برای این کارت‌خوان‌ها لازم است: باشگاه را دوباره نصب کنید یا ‎`pip install nfcpy`‎.",
            ),
        )
    finished, result = _bounded(_nfc_probe, ctx.timeout_s)
    if not finished or isinstance(result, Exception):
        why = "timed out" if not finished else f"{type(result).__name__}: {result}"
        return Check(
            "nfc",
            Status.WARNING,
            ("Looking for a USB NFC reader failed ({why}).", "جست‌وجوی کارت‌خوان USB NFC ناموفق بود ({why})."),
            (
                "Unplug the reader and plug it back; on Linux, reinstalling Bashgah restores its udev rule.",
                "کارت‌خوان را جدا و دوباره وصل کنید؛ در لینوکس نصب دوباره باشگاه قاعده udev آن را برمی‌گرداند.",
            ),
            {"why": why},
        )
    if result is None:
        return Check(
            "nfc",
            Status.OK,
            (
                "nfcpy is installed; no USB NFC reader of its own is attached (or free: the window may "
                "hold it).",
                "nfcpy نصب است؛ کارت‌خوان USB NFC مستقلی وصل یا آزاد نیست (شاید پنجره آن را در دست دارد).",
            ),
        )
    readers.append(result)
    return Check("nfc", Status.OK, ("NFC reader {name}.", "کارت‌خوان NFC {name}."), params={"name": result})


# ---- the printer ----------------------------------------------------------------------------------


def check_printer(ctx: _Context, setting_of: PrinterSetting | None, make: MakePrinter | None) -> Check:
    """Opens the configured printer without printing: a TCP connection to a network printer, the device
    file of a USB one."""
    from app.services.terminal import open_terminal

    if setting_of is None or make is None or ctx.db is None:
        return Check("printer", Status.WARNING, ("Not checked.", "بررسی نشد."))
    setting = setting_of(open_terminal(ctx.data_dir, db=ctx.db))
    if setting is None:
        return _no_printer(ctx)
    params: dict[str, Any] = {"setting": setting}
    try:
        printer = make(setting)
    except ImportError:
        return Check(
            "printer",
            Status.PROBLEM,
            (
                "python-escpos is not installed: the printer {setting} cannot be used.",
                "python-escpos نصب نیست: چاپگر {setting} قابل استفاده نیست.",
            ),
            ("Reinstall Bashgah (its package carries python-escpos).", "باشگاه را دوباره نصب کنید."),
            params,
        )
    except ValueError:
        return Check(
            "printer",
            Status.PROBLEM,
            (
                "The printer setting “{setting}” names no printer Bashgah can reach.",
                "تنظیم چاپگر «{setting}» چاپگری را که باشگاه بشناسد نام نمی‌برد.",
            ),
            (
                "Use network:HOST[:PORT], file:/dev/usb/lp0 or none.",
                "از network:HOST[:PORT]، file:/dev/usb/lp0 یا none استفاده کنید.",
            ),
            params,
        )
    problem = _open_printer(printer, ctx.timeout_s)
    if problem is None:
        return Check(
            "printer",
            Status.OK,
            ("The receipt printer {setting} can be opened.", "چاپگر رسید {setting} در دسترس است."),
            params=params,
        )
    params["error"] = problem
    return Check(
        "printer",
        Status.PROBLEM,
        (
            "The receipt printer {setting} cannot be opened: {error}.",
            "چاپگر رسید {setting} باز نمی‌شود: {error}.",
        ),
        (
            "Check it is on, has paper, and is plugged in (USB) or on the network (its address unchanged).",
            "بررسی کنید روشن است، کاغذ دارد و وصل است (USB) یا در شبکه است (با همان نشانی).",
        ),
        params,
    )


def _no_printer(ctx: _Context) -> Check:
    detail: Text = ("No receipt printer is configured.", "چاپگر رسید تنظیم نشده است.")
    if not ctx.enrolled:
        return Check("printer", Status.OK, detail)
    return Check(
        "printer",
        Status.WARNING,
        detail,
        (
            "Receipts are shown on screen only. Set the printer in the window's first-run setup, or the "
            "`receipt_printer` setting (e.g. network:192.168.1.50 or file:/dev/usb/lp0).",
            "رسید فقط روی صفحه نمایش داده می‌شود. چاپگر را در راه‌اندازی نخست پنجره "
            "یا تنظیم `receipt_printer` "
            "مشخص کنید (مثلاً network:192.168.1.50 یا file:/dev/usb/lp0).",
        ),
    )


def _open_printer(printer: Any, timeout_s: float) -> str | None:
    """Why the printer cannot be opened, None when it can; nothing is sent to it."""
    host, devfile = getattr(printer, "host", None), getattr(printer, "devfile", None)
    try:
        if host is not None:
            socket.create_connection((host, int(printer.port)), timeout=timeout_s).close()
        elif devfile is not None:
            return _open_device(Path(devfile))
    except OSError as error:
        return error.strerror or type(error).__name__
    return None  # a kind that cannot be opened without printing (the test printer): taken as it is


def _open_device(path: Path) -> str | None:
    if not path.exists():
        if path.parent.exists() and path.parent != Path("/dev"):
            return None  # a file printer's file is made at the first receipt
        return "no such device"
    with open(path, "ab", buffering=0):  # append, never truncate: a device, or a file kept
        return None


# ---- the club server, the sync state and the revocation list ---------------------------------------


def _now_us() -> int:
    return time.time_ns() // 1000


def _server_contact(db: Database, timeout_s: float) -> tuple[str, int | None]:
    """Ask the server for an empty pull page as this terminal: ("ok", server time) when it answers,
    else (the reason, None): "not_enrolled", "device_revoked", "unreachable: …", "HTTP 404", …."""
    import requests

    from app.store import sync_state
    from app.store.device_token import read_token
    from sync.protocol import BACKLOG_HEADER, PROTOCOL_VERSION, VERSION_HEADER

    with db.read() as conn:
        url = sync_state.get(conn, sync_state.SERVER_URL)
        backlog = sync_state.unanswered_entries(conn, sync_state.get(conn, sync_state.DEVICE_ID) or "")
    token = read_token(db.path.parent)
    if url is None or token is None:
        return "no_token", None
    from app import __version__

    try:
        response = requests.get(
            url + "/v1/sync/pull",
            params={"since": 2**62, "limit": 1, "protocol": PROTOCOL_VERSION},  # past the end: an empty page
            # what every call of the terminal says of itself (sync.client): head office sees it current
            headers={
                "Authorization": f"Bearer {token}",
                VERSION_HEADER: __version__,
                BACKLOG_HEADER: str(backlog),
            },
            timeout=(timeout_s, timeout_s),
        )
    except requests.RequestException as error:
        return f"unreachable: {type(error).__name__}", None
    if response.status_code >= 400:
        refusals = {401: "not_enrolled", 403: "device_revoked"}
        return refusals.get(response.status_code, f"HTTP {response.status_code}"), None
    try:
        return "ok", int(response.json()["server_time_us"])
    except (ValueError, KeyError, TypeError):
        return "a garbled answer", None


def check_server(ctx: _Context) -> None:
    """Four checks for an enrolled terminal: server, clock, sync, and none for a local club."""
    from app.store import sync_state
    from sync.client import read_status

    assert ctx.db is not None
    if not ctx.enrolled:
        ctx.add(
            Check(
                "server",
                Status.OK,
                (
                    "Not enrolled (a local club): no club server needed.",
                    "ثبت‌نشده (باشگاه محلی): سرور باشگاه لازم نیست.",
                ),
            )
        )
        return
    with ctx.db.read() as conn:
        url = sync_state.get(conn, sync_state.SERVER_URL) or ""
        state = sync_state.state(conn)
    local_before = _now_us()
    answer, server_time = _server_contact(ctx.db, ctx.timeout_s)
    local_now = (local_before + _now_us()) // 2
    ctx.add(_server_check(answer, url))
    ctx.add(_clock_check(server_time, local_now, state))
    ctx.add(_sync_check(read_status(ctx.db), local_now))


def _server_check(answer: str, url: str) -> Check:
    params = {"url": url, "answer": answer}
    if answer == "ok":
        return Check(
            "server",
            Status.OK,
            (
                "The club server {url} answers and knows this terminal.",
                "سرور باشگاه {url} پاسخ می‌دهد و این پایانه را می‌شناسد.",
            ),
            params=params,
        )
    if answer == "device_revoked":
        return Check(
            "server",
            Status.PROBLEM,
            (
                "The club server {url} has revoked this terminal: it can no longer sync.",
                "سرور باشگاه {url} این پایانه را باطل کرده است و دیگر همگام نمی‌شود.",
            ),
            (
                "Ask the club office: if the revocation was a mistake, enrol this terminal again with a "
                "new code.",
                "از دفتر باشگاه بپرسید؛ اگر ابطال اشتباه بوده، پایانه را با کد تازه دوباره ثبت کنید.",
            ),
            params,
        )
    if answer in ("not_enrolled", "no_token"):
        return Check(
            "server",
            Status.PROBLEM,
            (
                "The club server {url} does not know this terminal (its token is missing or unknown).",
                "سرور باشگاه {url} این پایانه را نمی‌شناسد (نشانه آن گم شده یا ناشناخته است).",
            ),
            (
                "Ask the club office for an enrolment code and enrol this terminal again.",
                "از دفتر باشگاه کد ثبت بگیرید و پایانه را دوباره ثبت کنید.",
            ),
            params,
        )
    if answer.startswith("unreachable"):
        return Check(
            "server",
            Status.PROBLEM,
            (
                "The club server {url} cannot be reached ({answer}); the terminal keeps selling offline.",
                "سرور باشگاه {url} در دسترس نیست ({answer})؛ پایانه بدون اتصال به فروش ادامه می‌دهد.",
            ),
            (
                "Check this computer's network connection (open a web page); "
                "if that works, the server is down: "
                "tell the club office.",
                "اتصال شبکه این رایانه را بررسی کنید (یک صفحه وب باز کنید)؛ "
                "اگر کار می‌کند، سرور از کار افتاده است: "
                "به دفتر باشگاه خبر دهید.",
            ),
            params,
        )
    return Check(
        "server",
        Status.PROBLEM,
        (
            "The club server {url} answered but refused ({answer}).",
            "سرور باشگاه {url} پاسخ داد اما نپذیرفت ({answer}).",
        ),
        (
            "Check the server's address; the club office may be upgrading it.",
            "نشانی سرور را بررسی کنید؛ شاید دفتر باشگاه در حال به‌روزرسانی آن است.",
        ),
        params,
    )


def _clock_check(server_time_us: int | None, local_now_us: int, state: Any) -> Check:
    fix: Text = (
        "Set this computer's date, time and time zone right (turn on automatic time), then sync.",
        "تاریخ، ساعت و منطقه زمانی این رایانه را درست کنید (تنظیم خودکار زمان را روشن کنید) و همگام کنید.",
    )
    if server_time_us is not None:
        difference = local_now_us - server_time_us
        source = ("now", "اکنون")
    elif state.server_time_us is not None and state.local_time_at_server_us is not None:
        difference = state.local_time_at_server_us - state.server_time_us
        source = ("at the last contact", "در آخرین تماس")
    else:
        return Check(
            "clock",
            Status.WARNING,
            ("The clock was never compared with the server's.", "ساعت هرگز با سرور مقایسه نشده است."),
            fix,
        )
    seconds = round(difference / 1_000_000)
    params = {"seconds": seconds, "when_en": source[0], "when_fa": source[1], "difference_s": seconds}
    detail: Text = (
        "The clock differs from the server's by {seconds} s ({when_en}).",
        "اختلاف ساعت با سرور {seconds} ثانیه است ({when_fa}).",
    )
    if abs(difference) > CLOCK_TOLERANCE_US or state.clock_behind:
        return Check("clock", Status.PROBLEM, detail, fix, params)
    return Check("clock", Status.OK, detail, params=params)


def _sync_check(status: Any, now_us: int) -> Check:
    last = status.last_sync_us
    params: dict[str, Any] = {
        "backlog": status.unsynced,
        "set_aside": status.rejected,
        "last_sync_us": last,
        "hours": None if last is None else max(0, (now_us - last) // 3_600_000_000),
        "last_error": status.last_error,
    }
    if last is None:
        return Check(
            "sync",
            Status.PROBLEM,
            (
                "Never synced; {backlog} entries wait to be sent.",
                "هرگز همگام نشده؛ {backlog} سند در انتظار ارسال.",
            ),
            (
                "Connect to the network and run `bashgah sync --once` (the window syncs by itself).",
                "به شبکه وصل شوید و ‎`bashgah sync --once`‎ را اجرا کنید (پنجره خودش همگام می‌کند).",
            ),
            params,
        )
    detail: Text = (
        "{backlog} entries wait to be sent; {set_aside} set aside for the club's review; "
        "last sync {hours} h ago.",
        "{backlog} سند در انتظار ارسال؛ {set_aside} سند کنار گذاشته برای بررسی باشگاه؛ آخرین همگام‌سازی "
        "{hours} ساعت پیش.",
    )
    if now_us - last > STALE_SYNC_US:
        return Check(
            "sync",
            Status.WARNING,
            detail,
            (
                "The terminal has not synced for over a day: check the server check above and the network.",
                "پایانه بیش از یک روز همگام نشده است: بررسی سرور در بالا و شبکه را ببینید.",
            ),
            params,
        )
    if status.rejected:
        return Check(
            "sync",
            Status.WARNING,
            detail,
            (
                "The club office reviews set-aside entries on the server; nothing to do here.",
                "دفتر باشگاه سندهای کنار گذاشته را روی سرور بررسی می‌کند؛ اینجا کاری لازم نیست.",
            ),
            params,
        )
    return Check("sync", Status.OK, detail, params=params)


def check_revocations(ctx: _Context) -> Check:
    from app.services.cards import (
        DEFAULT_REVOCATION_MAX_AGE_S,
        REVOCATION_MAX_AGE_SETTING,
        REVOCATIONS_AS_OF_SETTING,
    )
    from app.store import club

    assert ctx.db is not None
    with ctx.db.read() as conn:
        as_of = club.setting(conn, REVOCATIONS_AS_OF_SETTING)
        max_age_s = int(
            club.setting(conn, REVOCATION_MAX_AGE_SETTING, str(DEFAULT_REVOCATION_MAX_AGE_S)) or 0
        )
    if not ctx.enrolled:
        return Check(
            "revocations",
            Status.OK,
            (
                "This terminal keeps the club's card list itself (not enrolled).",
                "این پایانه فهرست کارت‌های باشگاه را خودش نگه می‌دارد.",
            ),
        )
    fix: Text = (
        "Let the terminal sync (network and server checks above); until then cards only earn points.",
        "بگذارید پایانه همگام شود (بررسی شبکه و سرور در بالا)؛ تا آن زمان کارت‌ها فقط امتیاز می‌گیرند.",
    )
    if as_of is None:
        return Check(
            "revocations",
            Status.PROBLEM,
            ("The list of revoked cards was never fetched.", "فهرست کارت‌های باطل‌شده هرگز دریافت نشده است."),
            fix,
        )
    age_h = max(0, (_now_us() - int(as_of)) // 3_600_000_000)
    params = {"hours": age_h, "max_hours": max_age_s // 3600, "as_of_us": int(as_of)}
    detail: Text = (
        "The list of revoked cards is {hours} h old (cards only earn past {max_hours} h).",
        "فهرست کارت‌های باطل‌شده {hours} ساعت پیش به‌روز شده (پس از {max_hours} ساعت کارت‌ها فقط امتیاز "
        "می‌گیرند).",
    )
    age_s = (_now_us() - int(as_of)) // 1_000_000
    if max_age_s and age_s > max_age_s:
        return Check("revocations", Status.PROBLEM, detail, fix, params)
    if max_age_s and age_s > max_age_s // 2:
        return Check("revocations", Status.WARNING, detail, fix, params)
    return Check("revocations", Status.OK, detail, params=params)


# ---- chip keys (NTAG 424 DNA) ---------------------------------------------------------------------

_REENROL: Text = (
    "Enrol this terminal again: a new enrolment code from the back office, in an empty data folder "
    "(`bashgah enroll`); until then chip cards are read by their signature only, as old cards are.",
    "این پایانه را دوباره ثبت کنید: کد ثبت تازه از دفتر باشگاه، در پوشه داده‌ای خالی (‎`bashgah enroll`‎)؛ "
    "تا آن زمان کارت‌های تراشه‌دار مانند کارت‌های قدیمی فقط با امضایشان خوانده می‌شوند.",
)


def _held_text(counts: dict[int, dict[str, int]]) -> Text:
    """The keys held, e.g. "generation 2: 1 read, 1 write", in both languages: numbers, never a key."""
    from app.domain.digits import to_persian_digits

    roles_fa = {"read": "خواندن", "write": "نوشتن"}
    english = "; ".join(
        f"generation {g}: " + ", ".join(f"{n} {role}" for role, n in sorted(r.items()))
        for g, r in sorted(counts.items())
    )
    persian = "؛ ".join(
        f"نسل {g}: " + "، ".join(f"{n} {roles_fa.get(role, role)}" for role, n in sorted(r.items()))
        for g, r in sorted(counts.items())
    )
    return english or "none", to_persian_digits(persian) or "هیچ"


def check_chip_keys(ctx: _Context) -> Check:
    """Where the wrap key is kept (keyring backend, or the file and its mode) and how many chip keys the
    terminal holds per generation; a key file others can read, or none on an enrolled terminal, warned."""
    from app.store import chip_keys, wrap_key

    assert ctx.db is not None
    place = wrap_key.place(ctx.data_dir)
    with ctx.db.read() as conn:
        counts = chip_keys.counts(conn)
        current = chip_keys.current_generation(conn)
    held_en, held_fa = _held_text(counts)
    params: dict[str, Any] = {
        "store": place.store,
        "path": str(place.path),
        "mode": None if place.mode is None else f"{place.mode:04o}",
        "backend": place.backend,
        "generations": {str(g): roles for g, roles in counts.items()},
        "current_generation": current,
        "held": held_en,
        "held_fa": held_fa,
    }
    if place.store == "none":
        if not ctx.enrolled:
            return Check(
                "chip_keys",
                Status.OK,
                (
                    "No chip keys: this terminal is not enrolled (cards are read by their signature).",
                    "کلید تراشه ندارد: این پایانه ثبت نشده است (کارت‌ها با امضایشان خوانده می‌شوند).",
                ),
                params=params,
            )
        return Check(
            "chip_keys",
            Status.WARNING,
            (
                "No wrap key: this terminal was enrolled before chip keys, so it gets none and cannot "
                "run the AES challenge of NTAG 424 DNA cards (a copied card passes as its original).",
                "کلید بسته‌بندی ندارد: این پایانه پیش از کلیدهای تراشه ثبت شده، پس کلیدی دریافت نمی‌کند و "
                "آزمون AES کارت‌های NTAG 424 DNA را اجرا نمی‌کند (کارت کپی‌شده به جای اصلی پذیرفته می‌شود).",
            ),
            _REENROL,
            params,
        )
    where: Text = (
        ("in the OS keyring ({backend})", "در جاکلیدی سیستم‌عامل ({backend})")
        if place.store == "keyring"
        else ("in the file {path} (mode {mode})", "در پرونده {path} (دسترسی {mode})")
    )
    if place.exposed:
        return Check(
            "chip_keys",
            Status.WARNING,
            (
                "The wrap key's file {path} can be read by other users (mode {mode}): it is refused, "
                "and chip cards are read by their signature only. Keys held: {held}.",
                "پرونده کلید بسته‌بندی {path} را کاربران دیگر هم می‌توانند بخوانند (دسترسی {mode}): "
                "پذیرفته نمی‌شود و کارت‌های تراشه‌دار فقط با امضایشان خوانده می‌شوند. کلیدها: {held_fa}.",
            ),
            (
                "Make it the terminal user's only (`chmod 600 {path}`); someone may have copied it, so "
                "ask the club office to enrol this terminal again.",
                "آن را فقط از آن کاربر پایانه کنید (‎`chmod 600 {path}`‎)؛ ممکن است کسی آن را کپی کرده باشد، "
                "پس از دفتر باشگاه بخواهید این پایانه را دوباره ثبت کند.",
            ),
            params,
        )
    try:
        wrap_key.load(ctx.data_dir)
    except wrap_key.WrapKeyError as error:
        params["error"] = str(error)
        return Check(
            "chip_keys",
            Status.WARNING,
            (
                "The wrap key cannot be used ({error}): chip cards are read by their signature only.",
                "کلید بسته‌بندی قابل استفاده نیست ({error}): کارت‌های تراشه‌دار فقط با امضایشان خوانده می‌شوند.",
            ),
            _REENROL,
            params,
        )
    return Check(
        "chip_keys",
        Status.OK,
        (
            f"Wrap key {where[0]}; chip keys held: {{held}}.",
            f"کلید بسته‌بندی {where[1]}؛ کلیدهای تراشه: {{held_fa}}.",
        ),
        params=params,
    )


# ---- logs and crash reports -----------------------------------------------------------------------


def check_logs() -> Check:
    folder = logs.log_dir()
    newest = logs.newest_crash_report(folder) if folder.exists() else None
    params: dict[str, Any] = {
        "log_dir": str(folder),
        "log_file": str(folder / "bashgah.log"),
        "crash_report": str(newest) if newest else None,
    }
    if newest is None:
        return Check(
            "logs",
            Status.OK,
            ("Logs in {log_dir}; no crash reports.", "گزارش‌ها در {log_dir}؛ گزارش خرابی نیست."),
            params=params,
        )
    with contextlib.suppress(OSError):
        params["crashed_hours_ago"] = int(time.time() - newest.stat().st_mtime) // 3600
    detail: Text = (
        "Logs in {log_dir}; the newest crash report is {crash_report}.",
        "گزارش‌ها در {log_dir}؛ آخرین گزارش خرابی: {crash_report}.",
    )
    if params.get("crashed_hours_ago", 0) * 3600 < RECENT_CRASH_S:
        return Check(
            "logs",
            Status.WARNING,
            detail,
            (
                "Send that file to support with what was being done when it happened.",
                "این فایل را همراه با شرح کاری که در آن لحظه انجام می‌شد برای پشتیبانی بفرستید.",
            ),
            params,
        )
    return Check("logs", Status.OK, detail, params=params)
