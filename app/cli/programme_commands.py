# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's programme from the command line: a member's standing, buying a membership card, the
rewards catalogue, survey ratings and ambassador grants, and the rule set this terminal holds.

    bashgah member standing MEMBER
    bashgah membership buy MEMBER --plan CODE [--points N] [--request-id UUID]
    bashgah reward list [--member MEMBER] | redeem MEMBER --reward CODE [--request-id UUID]
    bashgah bonus rate SALE_ID --rating 1..5 | grant MEMBER --points N --reason TEXT (manager)
    bashgah rules show [--version N]
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from app.argv import whole
from app.cli.output import Output, parse_whole, staff_from_args, terminal_from_args
from app.cli.sync_commands import spend_authoriser
from app.domain.errors import ClubError


def _member_id(terminal: Any, key: str) -> str:
    from app.services.identify import resolve

    with terminal.db.read() as conn:
        return resolve(conn, key).id


def cmd_member_standing(args: argparse.Namespace, out: Output) -> int:
    from app.services.programme import standing

    terminal = terminal_from_args(args)
    s = standing(terminal, _member_id(terminal, args.member))
    tier = s.tier
    data: dict[str, Any] = {
        "rules_version": s.rules.version,
        "tier": tier.code,
        "held_tier": s.held_tier.code,
        "multiplier_percent": tier.multiplier_percent,
        "discount_percent": tier.discount_percent,
        "free_services": list(tier.free_services),
        "membership": asdict(s.membership) if s.membership else None,
        "qualifying": asdict(s.qualifying),
        "basis": s.basis.value,
        "next_tier": s.next_tier.code if s.next_tier else None,
        "to_next": s.to_next,
        "keep_by_us": s.keep_by_us,
        "expiring": asdict(s.expiring) if s.expiring else None,
        "wallet_rials": s.wallet_rials,
        "wallet_available_rials": s.wallet_available_rials,
        "campaigns": [c.code for c in s.campaigns],
    }
    name = tier.name_fa if out.lang == "fa" else tier.name_en
    lines = [
        out.t(
            "Tier {tier}: ×{mult}%, {discount}% off at the till{services}.",
            "سطح {tier}: ضریب {mult}٪، {discount}٪ تخفیف{services}.",
            tier=name,
            mult=tier.multiplier_percent,
            discount=tier.discount_percent,
            services="".join(("، " if out.lang == "fa" else ", ") + f for f in tier.free_services),
        ),
        out.t(
            "Wallet {wallet} rials ({available} spendable now).",
            "کیف پول {wallet} ریال ({available} ریال هم‌اکنون قابل خرج).",
            wallet=s.wallet_rials,
            available=s.wallet_available_rials,
        ),
    ]
    if s.membership:
        lines.append(
            out.t("Membership {plan} until {until}.", "عضویت {plan} تا {until}.", plan=s.membership.plan_code,
                  until=out.when(s.membership.ends_us))
        )  # fmt: skip
    if s.next_tier and s.to_next is not None:
        upper = s.next_tier.name_fa if out.lang == "fa" else s.next_tier.name_en
        lines.append(out.t("{n} points to {tier}.", "{n} امتیاز تا سطح {tier}.", n=s.to_next, tier=upper))
    if s.expiring:
        lines.append(
            out.t("{n} points expire on {at}.", "{n} امتیاز در {at} منقضی می‌شود.", n=s.expiring.points,
                  at=out.when(s.expiring.at_us))
        )  # fmt: skip
    out.emit(data, lines)
    return 0


def cmd_membership_buy(args: argparse.Namespace, out: Output) -> int:
    from app.services.membership import buy_membership

    terminal = terminal_from_args(args)
    points = parse_whole(args.points, "invalid_points", "points") or 0
    member_id = _member_id(terminal, args.member)
    result = buy_membership(
        terminal,
        member_id,
        args.plan,
        points=points,
        staff=staff_from_args(args),
        request_id=args.request_id,
        authoriser=spend_authoriser(terminal) if points else None,
    )
    data = asdict(result) | {"pay_rials": result.price.pay_rials}
    line = out.t(
        "{plan}: paid {pay} rials ({points} points took {discount} off); valid until {until}.",
        "{plan}: {pay} ریال پرداخت شد ({points} امتیاز {discount} ریال تخفیف داد)؛ معتبر تا {until}.",
        plan=args.plan,
        pay=result.price.pay_rials,
        points=result.price.points_used,
        discount=result.price.discount_rials,
        until=out.when(result.term.ends_us),
    )
    out.emit(data, [line])
    return 0


def cmd_reward_list(args: argparse.Namespace, out: Output) -> int:
    from app.services.rewards import catalogue

    terminal = terminal_from_args(args)
    member_id = _member_id(terminal, args.member) if args.member else None
    items = catalogue(terminal, member_id)
    data = {"rewards": [_item_json(i) for i in items]}
    lines = [
        out.t(
            "{code}  {name}  {points} points  {left} left",
            "{code}  {name}  {points} امتیاز  {left} عدد مانده",
            code=i.reward.code,
            name=i.reward.name_fa if out.lang == "fa" else i.reward.name_en,
            points=i.reward.points,
            left=i.stock_left,
        )
        for i in items
    ]
    out.emit(data, lines)
    return 0


def _item_json(item: Any) -> dict[str, Any]:
    reward = item.reward
    return {
        "code": reward.code,
        "points": reward.points,
        "stock_left": item.stock_left,
        "affordable": item.affordable,
    }


def cmd_reward_redeem(args: argparse.Namespace, out: Output) -> int:
    from app.services.rewards import redeem_reward

    terminal = terminal_from_args(args)
    result = redeem_reward(
        terminal,
        _member_id(terminal, args.member),
        args.reward,
        staff=staff_from_args(args),
        request_id=args.request_id,
        authoriser=spend_authoriser(terminal),
    )
    data = asdict(result) | {"reward": result.reward.code}
    line = out.t(
        "{reward} given; balance {balance} points, {left} left here.",
        "{reward} داده شد؛ مانده {balance} امتیاز، {left} عدد در این شعبه.",
        reward=result.reward.code,
        balance=result.points_balance,
        left=result.stock_left,
    )
    out.emit(data, [line])
    return 0


def cmd_bonus_rate(args: argparse.Namespace, out: Output) -> int:
    from app.services.bonuses import rate_sale

    terminal = terminal_from_args(args)
    rating = parse_whole(args.rating, "invalid_rating", "rating")
    result = rate_sale(terminal, args.sale, rating or 0, staff_from_args(args))
    line = out.t("Thank you: +{points} points.", "سپاس: {points}+ امتیاز.", points=result.points)
    out.emit(asdict(result), [line])
    return 0


def cmd_bonus_grant(args: argparse.Namespace, out: Output) -> int:
    from app.services.bonuses import grant_ambassador

    terminal = terminal_from_args(args)
    points = parse_whole(args.points, "invalid_points", "points") or 0
    staff = staff_from_args(args, required=True)
    if staff is None:  # required=True has refused already; this narrows the type
        raise ClubError("staff_required")
    result = grant_ambassador(
        terminal, _member_id(terminal, args.member), points, args.reason, staff, request_id=args.request_id
    )
    line = out.t(
        "{points} ambassador points granted; balance {balance}.",
        "{points} امتیاز سفیر برند اهدا شد؛ مانده {balance}.",
        points=result.points,
        balance=result.points_balance,
    )
    out.emit(asdict(result), [line])
    return 0


def cmd_rules_show(args: argparse.Namespace, out: Output) -> int:
    from app.store import programme
    from sync.rules import to_body

    terminal = terminal_from_args(args)
    with terminal.db.read() as conn:
        number = programme.latest_version(conn) if args.version is None else args.version
        if args.version is not None and number not in programme.versions(conn):
            raise ClubError("unknown_rules_version", version=number)
        rules = programme.version(conn, number)
    body = to_body(rules)
    out.emit(body, [out.t("Rule set version {v}", "قواعد باشگاه، نسخه {v}", v=rules.version), _pretty(body)])
    return 0


def _pretty(body: dict[str, Any]) -> str:
    import json

    return json.dumps(body, ensure_ascii=False, indent=2)


def add_programme_commands(sub: Any, member: Any, add: Any, staff_options: Any) -> None:
    """The programme's commands; `member` is the `bashgah member` group, which gains `standing`."""
    standing = add(
        "standing", cmd_member_standing, "a member's tier, wallet, membership and expiring points", member
    )
    standing.add_argument("member", help="member id, card number or phone number")

    plans = sub.add_parser("membership", help="paid membership cards").add_subparsers(
        dest="membership_command", required=True
    )
    buy = add("buy", cmd_membership_buy, "buy or renew a membership card, optionally with points off", plans)
    buy.add_argument("member")
    buy.add_argument("--plan", required=True, help="the plan's code (see `rules show`)")
    buy.add_argument("--points", help="points towards it, in whole steps")
    buy.add_argument("--request-id", help="idempotency key")
    staff_options(buy)

    reward = sub.add_parser("reward", help="the rewards catalogue").add_subparsers(
        dest="reward_command", required=True
    )
    rlist = add("list", cmd_reward_list, "rewards this branch offers, with stock left", reward)
    rlist.add_argument("--member", help="mark what this member can afford")
    redeem = add("redeem", cmd_reward_redeem, "give a member a reward for points", reward)
    redeem.add_argument("member")
    redeem.add_argument("--reward", required=True)
    redeem.add_argument("--request-id", help="idempotency key")
    staff_options(redeem)

    bonus = sub.add_parser("bonus", help="survey and ambassador bonuses").add_subparsers(
        dest="bonus_command", required=True
    )
    rate = add("rate", cmd_bonus_rate, "the member's 1–5 rating of a sale (the survey bonus)", bonus)
    rate.add_argument("sale", help="the sale's entry id")
    rate.add_argument("--rating", required=True)
    staff_options(rate)
    grant = add("grant", cmd_bonus_grant, "a manager's brand-ambassador grant (capped, with a reason)", bonus)
    grant.add_argument("member")
    grant.add_argument("--points", required=True)
    grant.add_argument("--reason", required=True)
    grant.add_argument("--request-id", help="idempotency key")
    staff_options(grant)

    rules = sub.add_parser("rules", help="the club's rule sets").add_subparsers(
        dest="rules_command", required=True
    )
    show = add("show", cmd_rules_show, "the rule set in force here (or another version)", rules)
    show.add_argument("--version", type=whole(0, 2**31), help="an older version (default: the current)")
