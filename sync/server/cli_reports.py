# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah-server ledger export` and `bashgah-server report summary` (issue 14).

    bashgah-server [--db URL] ledger export [--from YYYY-MM-DD --to YYYY-MM-DD] --format csv [--out FILE]
    bashgah-server [--db URL] report summary --from YYYY-MM-DD --to YYYY-MM-DD [--branch CODE] [--tier CODE]
                                             [--json] [--direct]
    bashgah-server [--db URL] report refresh

Dates are local dates in the club's time zone, both inclusive. The export is the raw ledger, one row an
entry, in server order, so anyone can check a report against it. The summary answers from the reports'
aggregates after counting what they have not yet; `--direct` computes it from the raw ledger instead (the
reference computation, app.domain.report_summary's definitions), which must give the same numbers.
`report refresh` counts every entry the aggregates have not (the server does it as entries arrive).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from app.domain.digits import to_latin_digits
from app.domain.report_summary import DEFINITIONS, SUMMARY_KEYS
from sync.server.clock import SystemClock
from sync.server.club import reports
from sync.server.club.access import CONSOLE
from sync.server.club.act import Call
from sync.server.db import Database


def local_date(text: str) -> date:
    """An argparse type: a local date, YYYY-MM-DD (Persian digits too)."""
    try:
        return date.fromisoformat(to_latin_digits(text.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-06") from None


def _call(db: Database) -> Call:
    from sync.server.cli import _require_upgraded  # late: sync.server.cli imports this module

    _require_upgraded(db)
    return Call(db, SystemClock().now_us(), CONSOLE)


def cmd_ledger_export(args: argparse.Namespace, db: Database) -> None:
    call = _call(db)
    within = reports.period(call, args.date_from, args.date_to)
    if args.out is None:
        count = reports.export_csv(call, sys.stdout, within)
    else:
        # newline="": the csv module writes its own line ends; UTF-8 whatever the host's locale
        with Path(args.out).open("w", encoding="utf-8", newline="") as out:
            count = reports.export_csv(call, out, within)
    where = "" if args.out is None else f" to {args.out}"
    print(f"bashgah-server: {count} ledger entries written{where}", file=sys.stderr)


def cmd_report_summary(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    call = _call(db)
    within = reports.period(call, args.date_from, args.date_to)
    assert within is not None  # both dates are required by the parser
    if args.direct:
        return reports.direct_summary(call, within, args.branch, args.tier).as_json()
    return reports.summary(call, within, args.branch, args.tier).as_json()


def cmd_report_refresh(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    del args
    from sync.server.reports import aggregates

    call = _call(db)
    counted = aggregates.catch_up(db, call.now_us)
    with db.read() as conn:
        as_of = aggregates.as_of(conn)
    return {"counted": counted, "server_seq": as_of.server_seq, "behind": as_of.behind}


def print_report_command(command: str, result: dict[str, Any]) -> None:
    """The summary, a line a key, each with its definition (English); what a refresh counted."""
    if command == "report refresh":
        print(
            f"{result['counted']} entries counted; the reports count up to server_seq {result['server_seq']}"
        )
        return
    for key in SUMMARY_KEYS:
        value = result[key]
        shown = f"{value:.4f}" if isinstance(value, float) else f"{value:,}"
        print(f"{key:<26} {shown:>20}   {DEFINITIONS[key][0]}")
    for word in ("purchase", "period"):
        print(f"{word}: {DEFINITIONS[word][0]}")


def add_report_commands(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    ledger = sub.add_parser("ledger", help="the club's ledger").add_subparsers(
        dest="ledger_command", required=True
    )
    export = add(
        ledger, "export", cmd_ledger_export, "write the ledger as CSV, in server order", "ledger export"
    )
    export.add_argument("--from", dest="date_from", type=local_date, default=None, help="first local day")
    export.add_argument("--to", dest="date_to", type=local_date, default=None, help="last local day")
    export.add_argument("--format", choices=("csv",), required=True)
    export.add_argument("--out", default=None, metavar="FILE", help="default: stdout")
    report = sub.add_parser("report", help="the club's reports").add_subparsers(
        dest="report_command", required=True
    )
    summary = add(
        report,
        "summary",
        cmd_report_summary,
        "the summary's numbers for a period (local dates)",
        "report summary",
    )
    summary.add_argument("--from", dest="date_from", type=local_date, required=True, help="first local day")
    summary.add_argument("--to", dest="date_to", type=local_date, required=True, help="last local day")
    summary.add_argument("--branch", default=None, metavar="CODE", help="only this branch")
    summary.add_argument("--tier", default=None, metavar="CODE", help="only members now in this tier")
    add(report, "refresh", cmd_report_refresh, "count the entries the reports have not yet", "report refresh")
    summary.add_argument(
        "--direct",
        action="store_true",
        help="compute from the raw ledger (the reference) instead of the aggregates; slow on a large club",
    )
