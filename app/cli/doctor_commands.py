# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah doctor [--json]`: what support asks first, one line per check (✓ ok, ! warning, ✗ problem),
each problem with its fix; exit 0 only when nothing needed is wrong (app.services.doctor)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from app.argv import seconds
from app.cli.output import Output
from app.services.doctor import DEFAULT_TIMEOUT_S, Check, Status

EXIT_PROBLEMS = 1
MARKS = {Status.OK: "✓", Status.WARNING: "!", Status.PROBLEM: "✗"}
_LRI, _PDI = "\u2066", "\u2069"  # a path or address reads left to right inside a Persian sentence


def add_doctor_command(sub: Any, add: Callable[..., Any]) -> None:
    doctor = add(
        "doctor",
        cmd_doctor,
        "check this terminal for support: data, ledger, readers, printer, server, logs; exit 0 if well",
        sub,
    )
    doctor.add_argument(
        "--timeout",
        type=seconds(0.5, 60),
        default=DEFAULT_TIMEOUT_S,
        help="seconds to wait for the server, the card service and a reader (each)",
    )


def cmd_doctor(args: argparse.Namespace, out: Output) -> int:
    from app.receipts.escpos import printer_from_setting
    from app.receipts.setup import configured_printer
    from app.services.doctor import run_checks

    report = run_checks(
        args.data_dir,
        timeout_s=args.timeout,
        printer_setting=configured_printer,
        make_printer=printer_from_setting,
    )
    checks = [_shown(check, out) for check in report.checks]
    data = {
        "ok": report.ok,
        "terminal": report.kind,
        "checks": [
            {"name": c.name, "status": c.status.value, "detail": detail, "fix": fix, "data": c.params}
            for c, (detail, fix) in zip(report.checks, checks, strict=True)
        ],
    }
    lines = [
        f"{MARKS[c.status]} {c.name}: {detail}" + (f" → {fix}" if fix else "")
        for c, (detail, fix) in zip(report.checks, checks, strict=True)
    ]
    lines.append(
        out.t("All that is needed is well.", "هر آنچه لازم است درست است.")
        if report.ok
        else out.t("Problems found: fix those marked ✗.", "مشکل پیدا شد: موارد ✗ را رفع کنید.")
    )
    out.emit(data, lines)
    return 0 if report.ok else EXIT_PROBLEMS


def _shown(check: Check, out: Output) -> tuple[str, str | None]:
    params = check.params
    if out.lang == "fa":
        params = {
            k: f"{_LRI}{v}{_PDI}" if isinstance(v, str) and _is_path(v) else v for k, v in params.items()
        }
    detail = out.t(*check.detail, **params)
    fix = out.t(*check.fix, **params) if check.fix and check.status is not Status.OK else None
    return detail, fix


def _is_path(text: str) -> bool:
    return "/" in text or "\\" in text or (text.isascii() and ":" in text)
