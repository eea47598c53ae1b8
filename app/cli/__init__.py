# SPDX-License-Identifier: GPL-3.0-or-later
"""The `bashgah` command: the terminal window by default; subcommands for scripting and support.

Every subcommand takes `--data-dir` and `--json`. Refusals print one line on stderr, in the user's
language, and exit non-zero with nothing written; with `--json` the refusal is one object on stdout
instead, `{"error": {"code": …, "message": …, "exit": …}}` (app.cli.output.Output.refuse). An argument
that is not valid text (bytes that are not UTF-8) or absurdly long is refused before the arguments are even
parsed (app.argv).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from app.argv import argument_refusal, language_in, seconds, whole
from app.cards.backends import CHOICES as READER_CHOICES
from app.cli import (
    card_commands,
    club_commands,
    doctor_commands,
    door_commands,
    printer_commands,
    programme_commands,
    report_commands,
    sync_commands,
)
from app.cli.output import EXIT_REFUSED, EXIT_STORAGE, STORAGE_CODES, Output, default_data_dir
from app.domain.errors import ClubError
from app.messages import language, message

TIMEOUT_S = seconds(0, 86_400)  # a day: longer waits are a typo
# variables that stand in for arguments: checked with them (BASHGAH_LANG is only compared, never stored)
ENVIRONMENT = ("BASHGAH_DATA_DIR", "BASHGAH_PIN", "BASHGAH_OVERRIDE_PIN")

# ---------------------------------------------------------------- parser


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="where the terminal keeps its data (env BASHGAH_DATA_DIR)",
    )
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print the result as one JSON object"
    )
    common.add_argument(
        "--lang",
        choices=("fa", "en"),
        default=argparse.SUPPRESS,
        help="language of messages (env BASHGAH_LANG; default from the locale)",
    )
    return common


def _staff_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--staff", help="staff name or id acting (with --pin, or env BASHGAH_PIN)")
    parser.add_argument("--pin", help="the staff member's PIN")


def _version() -> str:
    """The installed distribution's version; a frozen bundle carries its metadata (packaging/bashgah.spec)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bashgah")
    except PackageNotFoundError:  # run from a source tree that was never installed
        from app import __version__

        return __version__


class _Parser(argparse.ArgumentParser):
    """argparse's refusals (a missing option, a bad choice) as one JSON object when --json was given."""

    json_errors = False

    def error(self, message: str) -> NoReturn:
        if _Parser.json_errors:
            Output.refusal_json("invalid_arguments", f"{self.prog}: {message}", EXIT_REFUSED)
            raise SystemExit(EXIT_REFUSED)
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(prog="bashgah", description="Bashgah customer-club terminal.")
    parser.add_argument("--version", action="version", version=f"bashgah {_version()}")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true", default=False)
    parser.add_argument("--lang", choices=("fa", "en"), default=None)
    parser.add_argument(
        "--reader",
        choices=READER_CHOICES,
        default="any",
        help="card readers for the window: any real one, or `demo` (simulated + real)",
    )
    parser.add_argument(
        "--kiosk",
        action="store_true",
        help="the window full screen with no frame; only a manager's PIN closes it (a shop's X session)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the window offscreen on a throwaway demo club, tap, sell, check; exit 0 if ok",
    )
    parser.set_defaults(handler=club_commands.cmd_window)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Callable[..., int], helptext: str, parent: Any = sub) -> Any:
        p = parent.add_parser(name, parents=[common], help=helptext, description=helptext)
        p.set_defaults(handler=handler)
        return p

    demo = sub.add_parser("demo", help="the demo club").add_subparsers(dest="demo_command", required=True)
    seed = add("seed", club_commands.cmd_demo_seed, "create the demo club in the data dir", demo)
    seed.add_argument("--members", type=whole(0, 1_000_000), default=200)
    seed.add_argument("--seed", type=whole(0, 2**63 - 1), default=1404)
    seed.add_argument("--if-empty", action="store_true", help="do nothing if a club is already there")

    member = sub.add_parser("member", help="members").add_subparsers(dest="member_command", required=True)
    show = add(
        "show", club_commands.cmd_member_show, "a member's profile, balance and recent entries", member
    )
    show.add_argument("member", help="member id, card number or phone number")
    show.add_argument("--limit", type=whole(0, 10_000), default=10, help="how many recent entries")
    madd = add("add", club_commands.cmd_member_add, "enroll a new member", member)
    madd.add_argument("--name", required=True)
    madd.add_argument("--phone", required=True)
    madd.add_argument("--birth-date", help="YYYY-MM-DD")
    madd.add_argument("--national-id", help="only its last 4 digits are kept")
    madd.add_argument("--referrer", help="the referring member's id")
    madd.add_argument("--consent", action="store_true", help="agrees to marketing messages")
    madd.add_argument("--photo", help="a JPEG file")
    madd.add_argument("--no-card", action="store_true", help="do not assign a card number")
    madd.add_argument("--member-id", help="idempotency key: retrying with it enrolls once")
    _staff_options(madd)

    _sale_commands(sub, add)
    _card_commands(sub, add)
    _sync_commands(sub, add)
    door_commands.add_door_commands(sub, add, _staff_options)
    programme_commands.add_programme_commands(sub, member, add, _staff_options)
    report_commands.add_report_commands(sub, add)
    doctor_commands.add_doctor_command(sub, add)
    _printer_commands(sub, add)

    led = sub.add_parser("ledger", help="the ledger").add_subparsers(dest="ledger_command", required=True)
    add("verify", club_commands.cmd_ledger_verify, "check every device's hash chain and every balance", led)
    add("rebuild", club_commands.cmd_ledger_rebuild, "recompute balances from the ledger", led)
    return parser


def _sale_commands(sub: Any, add: Callable[..., Any]) -> None:
    sale = add("sale", club_commands.cmd_sale, "record a sale: earn points, optionally spend some", sub)
    sale.add_argument("member", help="member id, card number or phone number")
    sale.add_argument("--amount", required=True, help="sale amount in rials")
    sale.add_argument("--redeem", help="points to spend as a discount")
    sale.add_argument("--wallet", help="rials of the cashback wallet to spend")
    sale.add_argument("--category", help="the product category (campaigns may name one)")
    sale.add_argument("--invoice", help="invoice number (default: made by the terminal)")
    sale.add_argument("--entry-id", help="idempotency key: retrying with it records the sale once")
    _staff_options(sale)
    sale.add_argument("--override-staff", help="a manager letting the sale spend beyond the offline grant")
    sale.add_argument("--override-pin", help="that manager's PIN (or env BASHGAH_OVERRIDE_PIN)")
    sale.add_argument("--override-reason", help="why the manager lets it (recorded)")

    ret = add("return", club_commands.cmd_return, "return all or part of a sale", sub)
    ret.add_argument("invoice")
    ret.add_argument("--amount", help="rials returned, at sale prices (default: all that is left)")
    ret.add_argument("--entry-id", help="idempotency key")
    _staff_options(ret)

    rev = add("reverse", club_commands.cmd_reverse, "reverse a ledger entry (manager)", sub)
    rev.add_argument("entry", help="the entry id")
    rev.add_argument("--reason", required=True)
    rev.add_argument("--entry-id", help="idempotency key")
    _staff_options(rev)


def _card_commands(sub: Any, add: Callable[..., Any]) -> None:
    from app.cards.backends import CHOICES

    card = sub.add_parser("card", help="member cards").add_subparsers(dest="card_command", required=True)
    read = add("read", card_commands.cmd_card_read, "wait for one card and say whose it is", card)
    read.add_argument("--reader", choices=CHOICES, default="any")
    read.add_argument(
        "--timeout", type=TIMEOUT_S, default=30, help="seconds to wait for a card (default 30; at most a day)"
    )
    watch = add("watch", card_commands.cmd_card_watch, "print every card and reader event", card)
    watch.add_argument("--reader", choices=CHOICES, default="any")
    watch.add_argument("--timeout", type=TIMEOUT_S, default=0, help="stop after this many seconds (0: never)")
    issue = add("issue", card_commands.cmd_card_issue, "write a member's signed card (manager)", card)
    issue.add_argument("member", help="member id, card number or phone number")
    issue.add_argument("--uid", help="the chip's UID (hex); with --out, the chip the encoder will write")
    issue.add_argument("--out", help="write the NDEF message to this file instead of a card on a reader")
    issue.add_argument("--qr", help="make a member QR instead, saved as this PNG")
    issue.add_argument("--profile", action="store_true", help="put name, birth date and photo on the card")
    issue.add_argument("--timeout", type=TIMEOUT_S, default=30, help="seconds to wait for a blank card")
    _staff_options(issue)
    revoke = add("revoke", card_commands.cmd_card_revoke, "report a card lost or revoke it (manager)", card)
    revoke.add_argument("card", help="the card number")
    revoke.add_argument("--reason", required=True)
    revoke.add_argument("--lost", action="store_true", help="reported lost (default: revoked)")
    _staff_options(revoke)
    readers = add("readers", card_commands.cmd_readers, "list card readers and their state", sub)
    readers.add_argument("--reader", choices=CHOICES, default="any")
    readers.add_argument("--timeout", type=TIMEOUT_S, default=5, help="seconds to wait for the readers")


def _printer_commands(sub: Any, add: Callable[..., Any]) -> None:
    printer = sub.add_parser("printer", help="the receipt printer").add_subparsers(
        dest="printer_command", required=True
    )
    add("show", printer_commands.cmd_printer_show, "the receipt printer setting and what it means", printer)
    pset = add("set", printer_commands.cmd_printer_set, "set the receipt printer (manager)", printer)
    pset.add_argument(
        "setting", help="file:/dev/usb/lp0, network:HOST[:PORT], none; ?width=576 for 80 mm paper"
    )
    _staff_options(pset)
    ptest = add(
        "test", printer_commands.cmd_printer_test, "print a test page in Persian and English", printer
    )
    ptest.add_argument("setting", nargs="?", help="try this setting instead of the saved one (not saved)")
    receipt = sub.add_parser("receipt", help="receipts").add_subparsers(dest="receipt_command", required=True)
    rprint = add(
        "print", printer_commands.cmd_receipt_print, "reprint a sale's receipt, marked COPY", receipt
    )
    rprint.add_argument("invoice", help="the sale's invoice number")
    rprint.add_argument("--out", metavar="FILE", help="print to this file (a file printer) instead")
    _staff_options(rprint)


def _sync_commands(sub: Any, add: Callable[..., Any]) -> None:
    enroll = add("enroll", sync_commands.cmd_enroll, "enrol this (empty) terminal with the club server", sub)
    enroll.add_argument(
        "--server", required=True, help="the club server's address, e.g. https://club.example"
    )
    enroll.add_argument("--code", required=True, help="the one-time enrolment code from the club office")
    enroll.add_argument("--device-name", help="a name for this terminal, shown to the club admin")
    sync = add(
        "sync",
        sync_commands.cmd_sync,
        "push, pull and refresh with the club server, a round every --interval until Ctrl+C "
        "(it does not return by itself: --once for one round, then exit; `sync status` for where it stands)",
        sub,
    )
    sync.add_argument("what", nargs="?", choices=("status",), help="`status`: where sync stands, offline")
    sync.add_argument("--once", action="store_true", help="one round, then exit (default: until Ctrl+C)")
    sync.add_argument(
        "--interval", type=seconds(1, 86_400), default=30.0, help="seconds between rounds when all is well"
    )


# The terminal's own libraries (pyproject's `terminal` extra): an install made for the club server lacks them
TERMINAL_LIBRARIES = frozenset({"PySide6", "shiboken6", "smartcard", "nfc", "usb1", "escpos", "requests"})


def _missing_library(name: str, lang: str) -> str:
    if lang == "fa":
        return (
            f"کتابخانهٔ {name} که پایانه لازم دارد نصب نیست. بستهٔ نصبی پایانه را نصب کنید، "
            "یا: pip install 'bashgah[terminal]'"
        )
    return (
        f"the terminal needs {name}, which is not installed: install the terminal's package, "
        "or pip install 'bashgah[terminal]'"
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    refused = argument_refusal(argv, env=ENVIRONMENT)
    if refused is not None:  # before any work: such text fails wherever it is stored or printed
        text = message(refused, language(language_in(argv)))
        if "--json" in argv:
            return Output.refusal_json(refused.code, text, EXIT_REFUSED)
        print(f"bashgah: {text}", file=sys.stderr)
        return EXIT_REFUSED
    _Parser.json_errors = "--json" in argv
    args = build_parser().parse_args(argv)
    if args.data_dir is None:
        args.data_dir = default_data_dir()
    return _run(args, Output(args))


def _run(args: argparse.Namespace, out: Output) -> int:
    try:
        return int(args.handler(args, out))
    except ClubError as error:
        exit_code = EXIT_STORAGE if error.code in STORAGE_CODES else EXIT_REFUSED
        return out.refuse(error.code, message(error, out.lang), exit_code)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in TERMINAL_LIBRARIES:
            raise
        return out.refuse("missing_library", _missing_library(error.name or "", out.lang), EXIT_REFUSED)
    except BrokenPipeError:  # `bashgah … | head`: the reader has all it wanted
        return 0
    except OSError as error:  # a photo file that cannot be read, a data dir we may not write
        return out.refuse("os_error", f"{error.strerror or error}: {error.filename or ''}", EXIT_REFUSED)
    except Exception as error:
        if not _is_validation_error(error):
            raise
        # a value the wire format refuses, should a check before it miss one: a refusal, not a traceback
        return out.refuse("invalid_value", _validation_text(error), EXIT_REFUSED)


def _is_validation_error(error: Exception) -> bool:
    """pydantic's ValidationError, without importing pydantic for every command (the window starts here):
    an error of pydantic's means pydantic is loaded."""
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(error, pydantic.ValidationError)


def _validation_text(error: Any) -> str:
    first = error.errors()[0]
    return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
