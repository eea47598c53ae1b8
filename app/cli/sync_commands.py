# SPDX-License-Identifier: GPL-3.0-or-later
"""Sync commands: enrol this terminal with the club server, sync with it, and say where it stands."""

from __future__ import annotations

import argparse
import threading
from dataclasses import asdict
from typing import Any

from app.cli.output import Output, iso_utc
from app.domain.errors import ClubError
from app.domain.ports import SpendAuthoriser
from app.messages import message
from app.services.terminal import Terminal


def cmd_enroll(args: argparse.Namespace, out: Output) -> int:
    from app.services.device_enrollment import enroll_device
    from sync.client import HttpEnrollment, SyncClient

    enrollment, _terminal = enroll_device(
        args.data_dir,
        server_url=args.server,
        code=args.code,
        server=HttpEnrollment(),
        catch_up=lambda db: SyncClient(db).pull(),
        device_name=args.device_name or "",
    )
    data = asdict(enrollment) | {"data_dir": str(args.data_dir)}
    out.emit(
        data,
        [
            out.t(
                "Enrolled as {code} ({device}) with {url}; card numbers start {prefix}; the club is here.",
                "این پایانه با نام {code} ({device}) در {url} ثبت شد؛ شماره کارت‌ها با {prefix} آغاز می‌شود؛ "
                "اطلاعات باشگاه دریافت شد.",
                code=enrollment.device_code,
                device=enrollment.device_id,
                url=enrollment.server_url,
                prefix=enrollment.card_prefix,
            )
        ],
    )
    return 0


def cmd_sync(args: argparse.Namespace, out: Output) -> int:
    from app.domain.errors import ClubError
    from app.store.database import DB_FILENAME, Database
    from sync.client import SyncClient, read_status

    if not (args.data_dir / DB_FILENAME).is_file():  # an empty folder is refused, not given a database
        raise ClubError("club_not_set_up", data_dir=str(args.data_dir))
    db = Database.open(args.data_dir)  # not open_terminal: an enrolment whose club did not all arrive
    if args.what == "status":
        return _status(read_status(db), out)
    from app import logs

    logs.start("sync")
    client = SyncClient(db)
    if args.once:
        summary = client.sync_round()
        _round(summary, out)
        return 0 if summary.ok else _exit_code(summary)
    stop = threading.Event()
    try:
        summary = client.run(stop, interval_s=args.interval, on_round=lambda s: _round(s, out))
    except KeyboardInterrupt:
        stop.set()
        return 0
    return _exit_code(summary)


def _exit_code(summary: Any) -> int:
    from app.cli.output import EXIT_REFUSED

    return EXIT_REFUSED if summary.error is not None else 0


def _round(summary: Any, out: Output) -> None:
    data = summary.as_dict() | {"error": summary.error.code if summary.error else None}
    lines = [
        out.t(
            "Pushed {pushed} ({duplicates} duplicates, {rejected} rejected, {conflicts} conflicts); "
            "pulled {pulled} changes up to {cursor}; photos {up} up, {down} down; {grants} grants.",
            "ارسال {pushed} ({duplicates} تکراری، {rejected} ردشده، {conflicts} ناسازگار)؛ "
            "دریافت {pulled} تغییر تا {cursor}؛ عکس‌ها {up} ارسال، {down} دریافت؛ {grants} اجازه خرج.",
            pushed=summary.push.pushed,
            duplicates=summary.push.duplicates,
            rejected=summary.push.rejected,
            conflicts=summary.push.conflicts,
            pulled=summary.pull.changes,
            cursor=summary.pull.cursor,
            up=summary.photos_up,
            down=summary.photos_down,
            grants=summary.grants,
        ),
        *[f"  ! {error}" for error in summary.errors if summary.error is None],
    ]
    if summary.error is not None:
        lines.append("  ! " + message(summary.error, out.lang))
    out.emit(data, lines)


def _status(status: Any, out: Output) -> int:
    data = asdict(status) | {
        "last_sync": iso_utc(status.last_sync_us) if status.last_sync_us else None,
    }
    if not status.enrolled:
        line = out.t("Not enrolled with a club server.", "در سرور باشگاه ثبت نشده است.")
    else:
        line = out.t(
            "{state}: {unsynced} unsent, {rejected} set aside, cursor {cursor}.",
            "{state}: {unsynced} ارسال‌نشده، {rejected} کنار گذاشته، نشانگر {cursor}.",
            state=out.t("Synced", "همگام") if status.synced else out.t("Not synced", "همگام نیست"),
            unsynced=status.unsynced,
            rejected=status.rejected,
            cursor=status.cursor,
        )
    lines = [line]
    if status.clock_behind:
        lines.append(message(ClubError("clock_behind_server"), out.lang))
    if status.last_error:
        lines.append("  ! " + status.last_error)
    out.emit(data, lines)
    return 0


def spend_authoriser(terminal: Terminal) -> SpendAuthoriser | None:
    """The club server as the spend authority, for an enrolled terminal; None for one that is not."""
    from app.store import sync_state

    with terminal.db.read() as conn:
        if not sync_state.is_enrolled(conn):
            return None
    from sync.client import SyncClient

    return SyncClient(terminal.db)
