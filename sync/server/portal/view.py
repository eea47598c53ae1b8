# SPDX-License-Identifier: GPL-3.0-or-later
"""What the member page shows, as docs/portal.md's JSON: read through the back office's use cases
(sync.server.club.member_file) as the member themselves, and the programme's current rule set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from app.domain.programme import MembershipPlan, RuleSet, TierRule
from app.format import number
from sync.server import invitation_key
from sync.server import rules as rule_sets
from sync.server.club import member_file
from sync.server.club.act import Call
from sync.server.errors import ApiError
from sync.server.sequence import Publisher

HISTORY_PAGE = 20


def _ms(us: int | None) -> int | None:
    return None if us is None else us // 1000


def _name(item: Any, lang: str) -> str:
    return str(item.name_en if lang == "en" and item.name_en else item.name_fa)


def mask_phone(phone: str) -> str:
    """0912***4567: enough to recognise one's own number on a shared screen, not to read it off."""
    national = "0" + phone[3:] if phone.startswith("+98") else phone
    if len(national) < 8:
        return "*" * len(national)
    return national[:4] + "*" * (len(national) - 8) + national[-4:]


def _tier_privileges(tier: TierRule, lang: str) -> list[str]:
    fa = lang != "en"
    found: list[str] = []
    if tier.multiplier_percent != 100:
        times = f"{tier.multiplier_percent / 100:g}"
        found.append(f"امتیاز {number_text(times, lang)} برابر" if fa else f"×{times} points")
    if tier.discount_percent:
        found.append(
            f"{number(tier.discount_percent, lang)}٪ تخفیف" if fa else f"{tier.discount_percent}% discount"
        )
    if tier.cashback_bp:
        pct = f"{tier.cashback_bp / 100:g}"
        found.append(f"{number_text(pct, lang)}٪ بازگشت نقدی" if fa else f"{pct}% cashback")
    found.extend(tier.free_services)
    return found


def number_text(text: str, lang: str) -> str:
    """A decimal as the language writes it (Persian digits and ٫ in fa)."""
    if lang != "fa":
        return text
    whole, _, rest = text.partition(".")
    shown = number(int(whole), "fa")
    return shown + ("٫" + number(int(rest), "fa") if rest else "")


def _plan_privileges(plan: MembershipPlan, rules: RuleSet, lang: str) -> list[str]:
    found = list(plan.benefits)
    tier = next((t for t in rules.tiers if t.code == plan.tier_code), None)
    if tier is not None:
        found.insert(
            0, f"مزایای سطح {_name(tier, lang)}" if lang != "en" else f"{_name(tier, lang)} tier privileges"
        )
    return found


def _club_day(at_us: int, rules: RuleSet) -> str:
    moment = datetime.fromtimestamp(at_us / 1_000_000, UTC) + timedelta(minutes=rules.utc_offset_minutes)
    return moment.date().isoformat()


def me(call: Call, member_id: str, lang: str) -> dict[str, Any]:
    f = member_file.member_file(call, member_id, ledger_limit=1)
    with call.db.read() as conn:
        rules = rule_sets.current(conn)
    s = f.standing
    held = next((t for t in rules.tiers if t.code == s.tier.code), None)
    next_tier = None
    if s.next_tier is not None and s.to_next is not None:
        spend = s.basis == "spend"
        next_tier = {
            "name": s.next_tier.name_en if lang == "en" else s.next_tier.name_fa,
            "points_needed": None if spend else s.to_next,
            "spend_needed_rials": s.to_next if spend else None,
        }
    expiring = []
    if s.expiring_points > 0 and s.expiring_at_us is not None:
        expiring.append({"points": s.expiring_points, "on": _club_day(s.expiring_at_us, rules)})
    return {
        "member": {
            "name": f.member.name,
            "phone_masked": mask_phone(f.member.phone),
            "language": f.language if f.language in ("fa", "en") else "fa",
        },
        "points": f.points,
        "wallet_rials": f.wallet_rials,
        "tier": {
            "code": s.tier.code,
            "name": s.tier.name_en if lang == "en" else s.tier.name_fa,
            "privileges": _tier_privileges(held, lang) if held is not None else [],
        },
        "next_tier": next_tier,
        "expiring": expiring,
        "consent": consent_view(f.member.consent_marketing, f.consent_at_us, f.consent_source),
        "server_time_ms": call.now_us // 1000,
    }


def consent_view(marketing: bool, at_us: int | None, source: str | None) -> dict[str, Any]:
    return {"marketing": bool(marketing), "given_at_ms": _ms(at_us), "source": source}


def history(call: Call, member_id: str, before: int | None, lang: str) -> dict[str, Any]:
    """A page of the member's ledger, newest first; `id` is the entry's place in the club's order (the
    server's sequence), the cursor of the next page."""
    page = member_file.ledger_page(call, member_id, after=before, limit=HISTORY_PAGE)
    entries = [
        {
            "id": line.server_seq,
            "at_ms": line.created_at_us // 1000,
            "kind": line.kind,
            "points": line.points_delta,
            "cash_rials": line.cash_delta,
            "sale_rials": line.sale_amount,
            "branch": line.branch_name_en if lang == "en" and line.branch_name_en else line.branch_name_fa,
        }
        for line in page.lines
    ]
    return {"entries": entries, "more": page.next_after is not None}


def invitations(call: Call, member_id: str) -> dict[str, Any]:
    """The member's invitations still standing (not cancelled, the event not over nor cancelled), each with
    its signed entry pass; one by tier has none (`qr_text` null: the door finds the member by card)."""
    f = member_file.member_file(call, member_id, ledger_limit=1)
    standing = [
        i for i in f.invitations if not i.cancelled and not i.event_cancelled and i.ends_at_us > call.now_us
    ]
    named = [i.event_id for i in standing if not i.by_tier]

    def sign(conn: Connection) -> dict[str, str]:
        pub = Publisher(call.now_us)
        texts = {}
        for event_id in named:
            try:
                texts[event_id] = invitation_key.invitation_qr(conn, pub, event_id, member_id).text
            except ApiError:  # ended or cancelled since the read: shown without a pass
                continue
        pub.flush(conn)
        return texts

    texts = call.db.write(sign) if named else {}
    return {
        "invitations": [
            {
                "event": i.name,
                "venue": i.venue,
                "starts_ms": i.starts_at_us // 1000,
                "ends_ms": i.ends_at_us // 1000,
                "plus_ones": i.plus_ones,
                "qr_text": texts.get(i.event_id),
            }
            for i in sorted(standing, key=lambda i: i.starts_at_us)
        ]
    }


_REWARD_KINDS = {"gift": ("هدیه", "A gift"), "service": ("خدمت", "A service")}


def catalogue(call: Call, lang: str) -> dict[str, Any]:
    """The current programme's rewards and paid membership plans."""
    with call.db.read() as conn:
        rules = rule_sets.current(conn)
    rewards = [
        {
            "name": _name(r, lang),
            "points": r.points,
            "description": _REWARD_KINDS.get(r.kind.value, ("", ""))[1 if lang == "en" else 0],
        }
        for r in sorted(rules.rewards, key=lambda r: (r.points, r.code))
    ]
    plans = [
        {
            "name": _name(p, lang),
            "price_rials": p.price_rials,
            "days": p.duration_days,
            "privileges": _plan_privileges(p, rules, lang),
        }
        for p in sorted(rules.memberships, key=lambda p: (p.price_rials, p.code))
    ]
    return {"rewards": rewards, "plans": plans}
