# SPDX-License-Identifier: GPL-3.0-or-later
"""The `bashgah` command: the terminal window by default; subcommands for scripting and support.

Every subcommand takes `--data-dir` and `--json`. Refusals print one line on stderr, in the user's
language, and exit non-zero with nothing written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from app.domain.balance import MemberBalance
from app.domain.digits import to_latin_digits
from app.domain.errors import ClubError
from app.domain.ledger import LedgerEntry
from app.messages import language, message, shown_number

EXIT_REFUSED = 2  # bad input or a rule said no
EXIT_STORAGE = 3  # the data file is busy, damaged or missing
EXIT_LEDGER_BROKEN = 1
STORAGE_CODES = {"database_busy", "database_corrupt", "database_unavailable"}


def default_data_dir() -> Path:
    env = os.environ.get("BASHGAH_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("bashgah", appauthor=False))


# ---------------------------------------------------------------- formatting


def iso_utc(us: int) -> str:
    return (
        datetime.fromtimestamp(us // 1_000_000, tz=UTC)
        .replace(microsecond=us % 1_000_000)
        .strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    )


def local_time(us: int) -> str:
    """Stored times are UTC; people read local time."""
    return datetime.fromtimestamp(us // 1_000_000, tz=UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def balance_json(balance: MemberBalance) -> dict[str, Any]:
    data = asdict(balance)
    data["last_activity"] = iso_utc(balance.last_activity_us) if balance.last_activity_us else None
    del data["last_activity_us"]
    return data


def entry_json(entry: LedgerEntry, unsynced: bool | None = None) -> dict[str, Any]:
    data = {
        "id": entry.id,
        "kind": entry.kind.value,
        "created_at": iso_utc(entry.created_at_us),
        "points_delta": entry.points_delta,
        "cash_delta": entry.cash_delta,
        "sale_amount": entry.sale_amount,
        "discount_rials": entry.discount_rials,
        "invoice": entry.invoice_ref,
        "reason": entry.reason,
        "reverses": entry.reverses,
        "branch_id": entry.branch_id,
        "device_id": entry.device_id,
        "device_seq": entry.device_seq,
    }
    if unsynced is not None:
        data["unsynced"] = unsynced
    return data


class Output:
    """Prints a result as JSON or as text in the user's language."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.json = bool(getattr(args, "json", False))
        self.lang = language(getattr(args, "lang", None))

    def t(self, english: str, persian: str, **params: Any) -> str:
        shown = {
            k: shown_number(v, self.lang) if isinstance(v, int) and not isinstance(v, bool) else v
            for k, v in params.items()
        }
        return (persian if self.lang == "fa" else english).format(**shown)

    def signed(self, value: int) -> str:
        """+15 / -15, grouped, in the user's digits."""
        return ("+" if value > 0 else "-" if value < 0 else "") + shown_number(abs(value), self.lang)

    def emit(self, data: dict[str, Any], lines: Sequence[str]) -> None:
        if self.json:
            print(json.dumps(data, ensure_ascii=False, sort_keys=True))
        else:
            print("\n".join(lines))


# ---------------------------------------------------------------- argument helpers


def parse_whole(text: str | None, code: str, field: str) -> int | None:
    """A whole number as people type it: grouping commas and Persian digits allowed, nothing else."""
    if text is None:
        return None
    cleaned = re.sub(r"[,_\s٬]", "", to_latin_digits(text))
    if not re.fullmatch(r"-?\d+", cleaned):
        raise ClubError(code, field=field, value=text)
    return int(cleaned)


def parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(to_latin_digits(text).strip())
    except ValueError:
        raise ClubError("invalid_birth_date", birth_date=text) from None


def _terminal(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from app.services.terminal import open_terminal

    return open_terminal(args.data_dir)


def _staff(args: argparse.Namespace, required: bool = False):  # type: ignore[no-untyped-def]
    from app.services.staff_auth import authenticate
    from app.store.database import Database

    key = getattr(args, "staff", None)
    if not key:
        if required:
            raise ClubError("staff_required")
        return None
    pin = getattr(args, "pin", None) or os.environ.get("BASHGAH_PIN", "")
    return authenticate(Database.open(args.data_dir), key, pin)


# ---------------------------------------------------------------- commands


def cmd_window(args: argparse.Namespace, out: Output) -> int:
    print(
        out.t(
            "The terminal window is not built yet; it comes with the cashier screen. Meanwhile the "
            "command line works: try `bashgah member show PHONE` or `bashgah sale MEMBER --amount RIALS` "
            "(see `bashgah --help`).",
            "پنجره پایانه هنوز ساخته نشده است و با صفحه صندوق می‌آید. تا آن زمان خط فرمان کار می‌کند: "
            "‎`bashgah member show PHONE`‎ یا ‎`bashgah sale MEMBER --amount RIALS`‎ "
            "(راهنما: ‎`bashgah --help`‎).",
        )
    )
    return 0


def cmd_demo_seed(args: argparse.Namespace, out: Output) -> int:
    from app.services.demo import seed_demo

    try:
        summary = seed_demo(args.data_dir, members=args.members, seed=args.seed)
    except ClubError as error:
        if error.code == "club_already_set_up" and args.if_empty:
            out.emit(
                {"seeded": False, "data_dir": str(args.data_dir)},
                [
                    out.t(
                        "The demo club is already there ({path}).",
                        "باشگاه نمایشی از قبل آماده است ({path}).",
                        path=str(args.data_dir),
                    )
                ],
            )
            return 0
        raise
    data = asdict(summary) | {"seeded": True}
    lines = [
        out.t("Demo club ready in {path}:", "باشگاه نمایشی در {path} آماده شد:", path=str(args.data_dir)),
        out.t(
            "  {members} members, {cards} cards, {sales} sales, {returns} returns, {entries} ledger entries",
            "  {members} عضو، {cards} کارت، {sales} خرید، {returns} مرجوعی، {entries} سند",
            members=summary.members,
            cards=summary.cards,
            sales=summary.sales,
            returns=summary.returns,
            entries=summary.entries,
        ),
        out.t("  Staff (name · role · PIN):", "  کارکنان (نام · نقش · رمز):"),
        *[f"    {s['name']} · {s['role']} · {s['pin']}" for s in summary.staff],
        out.t("  Try these members:", "  این اعضا را امتحان کنید:"),
        *[f"    {m['name']} · {m['phone']} · {m['card']}" for m in summary.sample_members],
    ]
    out.emit(data, lines)
    return 0


def cmd_member_show(args: argparse.Namespace, out: Output) -> int:
    from app.services.identify import find_member

    profile = find_member(_terminal(args), args.member, recent_limit=args.limit)
    m = profile.member
    data = {
        "member": {
            "id": m.id,
            "name": m.name,
            "phone": m.phone,
            "birth_date": m.birth_date.isoformat() if m.birth_date else None,
            "national_id_last4": m.national_id_last4,
            "tier": m.tier_code,
            "branch_id": m.branch_id,
            "joined_at": iso_utc(m.joined_at_us),
            "referrer_id": m.referrer_id,
            "consent_marketing": m.consent_marketing,
        },
        "tier": asdict(profile.tier),
        "balance": balance_json(profile.balance),
        "cards": [
            {
                "number": c.number,
                "status": c.status.value,
                "uid": c.uid,
                "expires_at": iso_utc(c.expires_at_us) if c.expires_at_us else None,
            }
            for c in profile.cards
        ],
        "recent": [entry_json(e, e.id in profile.unsynced) for e in profile.recent],
        "has_photo": profile.has_photo,
    }
    tier_name = profile.tier.name_fa if out.lang == "fa" else profile.tier.name_en
    lines = [
        f"{m.name}  \u2066{m.phone}\u2069",
        out.t(
            "Tier: {tier} · member since {since}",
            "سطح: {tier} · عضو از {since}",
            tier=tier_name,
            since=local_time(m.joined_at_us)[:10],
        ),
        out.t(
            "Balance: {points} points · wallet {wallet} rials · {count} purchases",
            "مانده: {points} امتیاز · کیف پول {wallet} ریال · {count} خرید",
            points=profile.balance.points,
            wallet=profile.balance.wallet_rials,
            count=profile.balance.purchase_count,
        ),
        *[
            out.t(
                "Card {number} ({status})",
                "کارت \u2066{number}\u2069 ({status})",
                number=c.number,
                status=c.status.value,
            )
            for c in profile.cards
        ],
        out.t("Recent entries:", "آخرین سندها:"),
        *[_entry_line(e, e.id in profile.unsynced, out) for e in profile.recent],
    ]
    out.emit(data, lines)
    return 0


def _entry_line(entry: LedgerEntry, unsynced: bool, out: Output) -> str:
    flag = out.t(" [unsynced]", " [ارسال‌نشده]") if unsynced else ""
    amount = f"{entry.sale_amount:+,}" if entry.sale_amount else ""
    return (
        f"  {local_time(entry.created_at_us)}  {entry.kind.value:<9} {entry.points_delta:+6d}  "
        f"{amount:>14}  {entry.invoice_ref or ''}{flag}"
    )


def cmd_member_add(args: argparse.Namespace, out: Output) -> int:
    from app.services.enroll import EnrollRequest, enroll_member

    photo = Path(args.photo).read_bytes() if args.photo else None
    result = enroll_member(
        _terminal(args),
        EnrollRequest(
            name=args.name,
            phone=args.phone,
            birth_date=parse_date(args.birth_date),
            national_id=args.national_id,
            referrer_id=args.referrer,
            consent_marketing=args.consent,
            photo_jpeg=photo,
            with_card=not args.no_card,
            staff=_staff(args),
            member_id=args.member_id,
        ),
    )
    m, card = result.member, result.card
    data = {
        "member_id": m.id,
        "name": m.name,
        "phone": m.phone,
        "tier": m.tier_code,
        "card": card.number if card else None,
        "replayed": result.replayed,
    }
    out.emit(
        data,
        [
            out.t(
                "Enrolled {name} ({phone}) as {id}; card {card}.",
                "{name} ({phone}) با شناسه {id} عضو شد؛ کارت {card}.",
                name=m.name,
                phone=m.phone,
                id=m.id,
                card=card.number if card else "-",
            )
        ],
    )
    return 0


def cmd_sale(args: argparse.Namespace, out: Output) -> int:
    from app.services.checkout import SaleRequest, record_sale
    from app.services.identify import resolve

    terminal = _terminal(args)
    amount = parse_whole(args.amount, "invalid_amount", "amount")
    redeem = parse_whole(args.redeem, "invalid_points", "redeem") or 0
    staff = _staff(args)
    with terminal.db.read() as conn:
        member = resolve(conn, args.member)
    result = record_sale(
        terminal,
        SaleRequest(
            member_id=member.id,
            amount_rials=amount,
            redeem_points=redeem,  # type: ignore[arg-type]
            invoice_ref=args.invoice,
            staff=staff,
            entry_id=args.entry_id,
        ),
    )
    data = asdict(result) | {"member_id": member.id, "balance": balance_json(result.balance)}
    lines = [
        out.t(
            "Sale {invoice}: {amount} rials, discount {discount}, paid {paid}. "
            "{earned} points added, {redeemed} spent; balance {balance} points.",
            "خرید {invoice}: {amount} ریال، تخفیف {discount}، پرداختی {paid}. "
            "{earned} امتیاز اضافه شد، {redeemed} امتیاز خرج شد؛ مانده {balance} امتیاز.",
            invoice=result.invoice_ref,
            amount=result.amount_rials,
            discount=result.discount_rials,
            paid=result.paid_rials,
            earned=result.points_earned,
            redeemed=result.points_redeemed,
            balance=result.balance.points,
        ),
        out.t("Entries: {ids}", "سندها: {ids}", ids=" ".join(result.entry_ids)),
    ]
    out.emit(data, lines)
    return 0


def cmd_return(args: argparse.Namespace, out: Output) -> int:
    from app.services.returns import ReturnRequest, return_sale

    terminal = _terminal(args)
    amount = parse_whole(args.amount, "invalid_amount", "amount")
    result = return_sale(
        terminal,
        ReturnRequest(
            invoice_ref=args.invoice,
            amount_rials=amount,
            staff=_staff(args),
            entry_id=args.entry_id,
        ),
    )
    data = asdict(result) | {"balance": balance_json(result.balance)}
    out.emit(
        data,
        [
            out.t(
                "Returned {returned} rials of {invoice}: {clawed} points taken back, "
                "{given} points given back; balance {balance} points; {left} rials left returnable.",
                "{returned} ریال از فاکتور {invoice} مرجوع شد: {clawed} امتیاز کسر و "
                "{given} امتیاز بازگردانده شد؛ مانده {balance} امتیاز؛ {left} ریال دیگر قابل مرجوع است.",
                returned=result.returned_rials,
                invoice=result.invoice_ref,
                clawed=result.points_clawed_back,
                given=result.points_given_back,
                balance=result.balance.points,
                left=result.returnable_rials,
            )
        ],
    )
    return 0


def cmd_reverse(args: argparse.Namespace, out: Output) -> int:
    from app.services.reversal import reverse_entry

    terminal = _terminal(args)
    staff = _staff(args, required=True)
    result = reverse_entry(terminal, args.entry, args.reason, staff, request_id=args.entry_id)
    data = asdict(result) | {"balance": balance_json(result.balance)}
    out.emit(
        data,
        [
            out.t(
                "Reversed {target} with {id}: {points} points; balance {balance} points.",
                "سند {target} با {id} برگشت خورد: {points} امتیاز؛ مانده {balance} امتیاز.",
                target=result.reverses,
                id=result.entry_id,
                points=out.signed(result.points_delta),
                balance=result.balance.points,
            )
        ],
    )
    return 0


def cmd_ledger_verify(args: argparse.Namespace, out: Output) -> int:
    from app.services.ledger_check import verify_ledger
    from app.store.database import Database

    report = verify_ledger(Database.open(args.data_dir))
    return _ledger_report(report, out, rebuilt=False)


def cmd_ledger_rebuild(args: argparse.Namespace, out: Output) -> int:
    from app.services.ledger_check import rebuild_projections
    from app.store.database import Database

    report = rebuild_projections(Database.open(args.data_dir))
    return _ledger_report(report, out, rebuilt=report.chain_break is None)


def _ledger_report(report: Any, out: Output, rebuilt: bool) -> int:
    bad = report.chain_break
    data = {
        "ok": report.ok,
        "entries": report.entries,
        "devices": report.devices,
        "rebuilt": rebuilt,
        "first_bad": None if bad is None else asdict(bad),
        "mismatches": [
            {"member_id": m.member_id, "stored": balance_json(m.stored), "rebuilt": balance_json(m.rebuilt)}
            for m in report.mismatches
        ],
    }
    if report.ok:
        lines = [
            out.t(
                "Ledger OK: {entries} entries on {devices} devices; every chain holds and "
                "every balance equals a rebuild.",
                "دفتر سالم است: {entries} سند در {devices} دستگاه؛ زنجیره‌ها سالم و مانده‌ها درست است.",
                entries=report.entries,
                devices=report.devices,
            )
        ]
    elif bad is not None:
        lines = [
            out.t(
                "Ledger BROKEN on device {device} at entry #{seq} ({entry}): {problem}.",
                "دفتر آسیب دیده است: دستگاه {device}، سند شماره {seq} ({entry}): {problem}.",
                device=bad.device_id,
                seq=bad.device_seq,
                entry=bad.entry_id or "-",
                problem=bad.problem,
            )
        ]
    else:
        lines = [
            out.t(
                "Balances differ from the ledger for {n} members (first: {member}); "
                "`bashgah ledger rebuild` recomputes them.",
                "مانده {n} عضو با دفتر نمی‌خواند (نخستین: {member})؛ "
                "‎`bashgah ledger rebuild`‎ آن‌ها را از نو می‌سازد.",
                n=len(report.mismatches),
                member=report.mismatches[0].member_id,
            )
        ]
    out.emit(data, lines)
    if not report.ok:
        return EXIT_LEDGER_BROKEN
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="bashgah", description="Bashgah customer-club terminal.")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true", default=False)
    parser.add_argument("--lang", choices=("fa", "en"), default=None)
    parser.set_defaults(handler=cmd_window)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Callable[..., int], helptext: str, parent: Any = sub) -> Any:
        p = parent.add_parser(name, parents=[common], help=helptext, description=helptext)
        p.set_defaults(handler=handler)
        return p

    demo = sub.add_parser("demo", help="the demo club").add_subparsers(dest="demo_command", required=True)
    seed = add("seed", cmd_demo_seed, "create the demo club in the data dir", demo)
    seed.add_argument("--members", type=int, default=200)
    seed.add_argument("--seed", type=int, default=1404)
    seed.add_argument("--if-empty", action="store_true", help="do nothing if a club is already there")

    member = sub.add_parser("member", help="members").add_subparsers(dest="member_command", required=True)
    show = add("show", cmd_member_show, "a member's profile, balance and recent entries", member)
    show.add_argument("member", help="member id, card number or phone number")
    show.add_argument("--limit", type=int, default=10, help="how many recent entries")
    madd = add("add", cmd_member_add, "enroll a new member", member)
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

    sale = add("sale", cmd_sale, "record a sale: earn points, optionally spend some", sub)
    sale.add_argument("member", help="member id, card number or phone number")
    sale.add_argument("--amount", required=True, help="sale amount in rials")
    sale.add_argument("--redeem", help="points to spend as a discount")
    sale.add_argument("--invoice", help="invoice number (default: made by the terminal)")
    sale.add_argument("--entry-id", help="idempotency key: retrying with it records the sale once")
    _staff_options(sale)

    ret = add("return", cmd_return, "return all or part of a sale", sub)
    ret.add_argument("invoice")
    ret.add_argument("--amount", help="rials returned, at sale prices (default: all that is left)")
    ret.add_argument("--entry-id", help="idempotency key")
    _staff_options(ret)

    rev = add("reverse", cmd_reverse, "reverse a ledger entry (manager)", sub)
    rev.add_argument("entry", help="the entry id")
    rev.add_argument("--reason", required=True)
    rev.add_argument("--entry-id", help="idempotency key")
    _staff_options(rev)

    led = sub.add_parser("ledger", help="the ledger").add_subparsers(dest="ledger_command", required=True)
    add("verify", cmd_ledger_verify, "check every device's hash chain and every balance", led)
    add("rebuild", cmd_ledger_rebuild, "recompute balances from the ledger", led)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.data_dir is None:
        args.data_dir = default_data_dir()
    out = Output(args)
    try:
        return int(args.handler(args, out))
    except ClubError as error:
        print(f"bashgah: {message(error, out.lang)}", file=sys.stderr)
        return EXIT_STORAGE if error.code in STORAGE_CODES else EXIT_REFUSED
    except OSError as error:  # a photo file that cannot be read, a data dir we may not write
        print(f"bashgah: {error.strerror or error}: {error.filename or ''}", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":
    raise SystemExit(main())
