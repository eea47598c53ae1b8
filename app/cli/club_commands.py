# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's commands: demo, members, sales, returns, reversals and the ledger."""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from app.cli.output import (
    EXIT_LEDGER_BROKEN,
    Output,
    balance_json,
    entry_json,
    iso_utc,
    parse_date,
    parse_whole,
    read_at_most,
    staff_from_args,
    terminal_from_args,
)
from app.cli.sync_commands import spend_authoriser
from app.domain.errors import ClubError
from app.domain.ledger import EntryKind, LedgerEntry

if TYPE_CHECKING:
    from app.services.spending import SpendOverride
    from app.services.terminal import Terminal


def cmd_window(args: argparse.Namespace, out: Output) -> int:
    """Plain `bashgah`: the cashier window (or, with --self-test, its self-check)."""
    if args.self_test:
        from app.ui.self_test import self_test

        return self_test()
    from app import logs
    from app.__main__ import run_terminal, window_language

    logs.start("window")  # a rotating log and crash reports; app.ui.crash shows them in the window
    return run_terminal(args.data_dir, window_language(args.lang), args.reader, kiosk=args.kiosk)


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
    joiner = "، " if out.lang == "fa" else " · "  # in Persian a middle dot reads as the digit zero
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
        out.t("  Staff (name · role · PIN):", "  کارکنان (نام، نقش، رمز):"),
        *[f"    {joiner.join((s['name'], out.word(s['role']), s['pin']))}" for s in summary.staff],
        out.t("  Try these members:", "  این اعضا را امتحان کنید:"),
        *[f"    {joiner.join((m['name'], m['phone'], m['card']))}" for m in summary.sample_members],
    ]
    out.emit(data, lines)
    return 0


def cmd_member_show(args: argparse.Namespace, out: Output) -> int:
    from app.services.identify import find_member

    profile = find_member(terminal_from_args(args), args.member, recent_limit=args.limit)
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
            "سطح: {tier}، عضو از {since}",
            tier=tier_name,
            since=out.day(m.joined_at_us),
        ),
        out.t(
            "Balance: {points} points · wallet {wallet} rials · {count} purchases",
            "مانده: {points} امتیاز، کیف پول {wallet} ریال، {count} خرید",
            points=profile.balance.points,
            wallet=profile.balance.wallet_rials,
            count=profile.balance.purchase_count,
        ),
        *[
            out.t(
                "Card {number} ({status})",
                "کارت \u2066{number}\u2069 ({status})",
                number=c.number,
                status=out.word(c.status.value),
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
    amount = out.signed(entry.sale_amount) if entry.sale_amount else ""
    points = out.signed(entry.points_delta) if entry.points_delta else out.signed(0)
    given_back = entry.kind is EntryKind.EXPIRE and entry.points_delta > 0  # the server's give-back
    kind = out.word("expiry_given_back" if given_back else entry.kind.value)
    return (
        f"  {out.when(entry.created_at_us)}  {kind:<12} {points:>6}  "
        f"{amount:>14}  {entry.invoice_ref or ''}{flag}"
    )


def cmd_member_add(args: argparse.Namespace, out: Output) -> int:
    from app.services.enroll import MAX_PHOTO_BYTES, EnrollRequest, enroll_member

    photo = read_at_most(args.photo, MAX_PHOTO_BYTES) if args.photo else None  # longer: invalid_photo
    result = enroll_member(
        terminal_from_args(args),
        EnrollRequest(
            name=args.name,
            phone=args.phone,
            birth_date=parse_date(args.birth_date),
            national_id=args.national_id,
            referrer_id=args.referrer,
            consent_marketing=args.consent,
            photo_jpeg=photo,
            with_card=not args.no_card,
            staff=staff_from_args(args),
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

    terminal = terminal_from_args(args)
    amount = parse_whole(args.amount, "invalid_amount", "amount")
    redeem = parse_whole(args.redeem, "invalid_points", "redeem") or 0
    wallet = parse_whole(args.wallet, "invalid_amount", "wallet") or 0
    staff = staff_from_args(args)
    override = _override_from_args(terminal, args)
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
            override=override,
            wallet_rials=wallet,  # type: ignore[arg-type]
            category=args.category,
        ),
        spend_authoriser(terminal) if redeem else None,
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
    lines += _programme_lines(result, out)
    out.emit(data, lines)
    return 0


def _programme_lines(result: Any, out: Output) -> list[str]:
    """What the club's programme added to the sale: wallet, cashback, a new tier, bonuses, campaigns."""
    lines = []
    if result.wallet_spent_rials or result.cashback_rials:
        lines.append(
            out.t(
                "Wallet: {spent} rials spent, {credit} cashback credited; wallet {wallet} rials.",
                "کیف پول: {spent} ریال خرج شد، {credit} ریال بازگشت وجه واریز شد؛ موجودی {wallet} ریال.",
                spent=result.wallet_spent_rials,
                credit=result.cashback_rials,
                wallet=result.balance.wallet_rials,
            )
        )
    if result.tier_upgrade:
        lines.append(out.t("Upgraded to {tier}!", "ارتقا به سطح {tier}!", tier=result.tier_upgrade))
    for key, points in result.bonuses:
        lines.append(
            out.t("Bonus {key}: +{points} points.", "پاداش {key}: {points}+ امتیاز.", key=key, points=points)
        )
    if result.campaigns:
        lines.append(out.t("Campaigns: {c}", "کمپین‌ها: {c}", c=", ".join(result.campaigns)))
    return lines


def _override_from_args(terminal: Terminal, args: argparse.Namespace) -> SpendOverride | None:
    """A manager's override, PIN checked now; all three options or none."""
    from app.services.spending import SpendOverride
    from app.services.staff_auth import authenticate

    if not (args.override_staff or args.override_reason):
        return None
    if not (args.override_staff and args.override_reason):
        raise ClubError("override_needs_reason")
    pin = args.override_pin or os.environ.get("BASHGAH_OVERRIDE_PIN", "")
    return SpendOverride(authenticate(terminal, args.override_staff, pin), args.override_reason)


def cmd_return(args: argparse.Namespace, out: Output) -> int:
    from app.services.returns import ReturnRequest, return_sale

    terminal = terminal_from_args(args)
    amount = parse_whole(args.amount, "invalid_amount", "amount")
    result = return_sale(
        terminal,
        ReturnRequest(
            invoice_ref=args.invoice,
            amount_rials=amount,
            staff=staff_from_args(args),
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

    terminal = terminal_from_args(args)
    staff = staff_from_args(args, required=True)
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

    db = _existing_database(args)
    return _ledger_report(verify_ledger(db), out, rebuilt=False, db=db)


def cmd_ledger_rebuild(args: argparse.Namespace, out: Output) -> int:
    from app.services.ledger_check import rebuild_projections

    db = _existing_database(args)
    report = rebuild_projections(db)
    return _ledger_report(report, out, rebuilt=report.chain_break is None, db=db)


def _existing_database(args: argparse.Namespace) -> Any:
    """The data dir's database, never made here: a ledger check of an empty folder is refused."""
    return terminal_from_args(args).db


def _members_touched(db: Any, entry_id: str) -> list[str]:
    from app.store import ledger

    with db.read() as conn:
        entry = ledger.get(conn, entry_id)
    return [entry.member_id] if entry is not None else []


def _ledger_report(report: Any, out: Output, rebuilt: bool, db: Any = None) -> int:
    bad = report.chain_break
    # A broken chain stops the rebuild at the broken entry, so every member with a later entry on that
    # device would "differ": the entry is what to look at, then the members it touches; balances are
    # compared only along chains that hold.
    touches = _members_touched(db, bad.entry_id) if bad is not None and bad.entry_id else []
    data = {
        "ok": report.ok,
        "entries": report.entries,
        "devices": report.devices,
        "rebuilt": rebuilt,
        "first_bad": None if bad is None else asdict(bad) | {"touches": touches},
        "balances_checked": bad is None,
        "mismatches": []
        if bad is not None
        else [
            {"member_id": m.member_id, "stored": balance_json(m.stored), "rebuilt": balance_json(m.rebuilt)}
            for m in report.mismatches
        ],
        "day_mismatches": report.day_mismatches if bad is None else [],  # app.domain.member_days
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
            ),
            out.t(
                "It names member {members}. Balances are not compared past a broken chain.",
                "این سند به عضو {members} مربوط است. مانده‌ها پس از زنجیرهٔ شکسته مقایسه نمی‌شوند.",
                members=", ".join(touches) or "-",
            ),
        ]
    else:
        lines = [
            out.t(
                "Balances differ from the ledger for {n} members (first: {member}); "
                "`bashgah ledger rebuild` recomputes them.",
                "مانده {n} عضو با دفتر نمی‌خواند (نخستین: {member})؛ "
                "‎`bashgah ledger rebuild`‎ آن‌ها را از نو می‌سازد.",
                n=len({m.member_id for m in report.mismatches} | set(report.day_mismatches)),
                member=min([m.member_id for m in report.mismatches] + report.day_mismatches),
            )
        ]
    out.emit(data, lines)
    if not report.ok:
        return EXIT_LEDGER_BROKEN
    return 0
