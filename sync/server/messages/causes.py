# SPDX-License-Identifier: GPL-3.0-or-later
"""What causes which message, queued in the SAME transaction as its cause (sync.server.messages.outbox).

- A push (`from_push`, called by sync.server.push.push with the entries it accepted): one message per
  sale — its `earn` entry and the companions written with it (app.domain.companions: same member, device
  and moment) — with the points it earned (the sale's bonuses too) and spent and the member's balance
  after it; one per return (its reversal entries, reason "return") with the points taken back; one per
  tier upgrade (a `tier_change` entry, reason "upgrade"). Nothing for an entry older than
  `messages_max_age_days` when it arrives. The cause names the primary entry ("sale:<earn id>"), so a
  retried push queues nothing again. A sale whose companions a terminal pushed in the next batch (its
  batches are cut by count) is told with what arrived with its earn entry; what follows is not told again.
- The daily run (`from_daily_batch`, called in each batch's transaction of sync.server.programme): points
  expiring within `messages_expiring_days` (once per batch of points: the cause names the expiry date), a
  paid membership ending within `messages_membership_days` (the cause names the term's end), the birthday
  greeting with the rule set's birthday bonus (the cause names the year).
- An invitation (`from_invitations`): the event's invitation with its signed QR as a link.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, select

from app.domain import expiry, membership
from app.domain.companions import Companion
from app.domain.ids import derived_id
from app.domain.ledger import EntryKind, LedgerEntry
from app.domain.programme import RuleSet
from app.domain.returns import RETURN_REASON
from sync.protocol import WireEntry, WireEvent, WireInvitation
from sync.server import club
from sync.server import rules as rule_sets
from sync.server.db import one_of
from sync.server.messages import policy
from sync.server.messages.outbox import Queued, queue
from sync.server.models import BALANCE, ENTRY, MEMBER
from sync.server.sequence import Publisher

_TOLD = frozenset({EntryKind.EARN, EntryKind.REVERSAL, EntryKind.TIER_CHANGE})
UPGRADE_REASON = "upgrade"  # app.services.checkout's tier companion
PUBLIC_URL_ENV = "BASHGAH_PUBLIC_URL"  # the server's address as members reach it (an invitation's link)


def _told(entry: WireEntry | LedgerEntry) -> bool:
    if entry.kind is EntryKind.REVERSAL:
        return entry.reason == RETURN_REASON
    if entry.kind is EntryKind.TIER_CHANGE:
        return entry.reason == UPGRADE_REASON
    return entry.kind in _TOLD


def from_push(conn: Connection, now_us: int, accepted: Iterable[WireEntry]) -> int:
    """Queue the messages a push's accepted entries cause; how many were new. Costs nothing (no statement)
    for a push without a sale, a return or an upgrade; otherwise three statements: the age limit, the
    members' balances, and one INSERT for the batch."""
    entries = list(accepted)
    if not any(_told(e) for e in entries):
        return 0
    (max_age_days,) = club.int_settings(conn, ("messages_max_age_days",))
    fresh = [e for e in entries if not policy.too_old(e.created_at_us, now_us, max_age_days)]
    if not any(_told(e) for e in fresh):
        return 0
    groups = _by_use_case(fresh)
    members = sorted({e.member_id for e in fresh})
    held = dict(
        conn.execute(
            select(BALANCE.c.member_id, BALANCE.c.points).where(one_of(conn, BALANCE.c.member_id, members))
        ).all()
    )
    after = _balances_after(entries, held)
    messages: list[Queued] = []
    for group in groups:
        messages += _group_messages(group, after[group[-1].id], now_us)
    return queue(conn, messages, now_us)


# the companion numbers (app.domain.companions) a message counts, by the companion's kind; a return's
# given-back points are its companion 1 (app.services.returns)
_SALE_COMPANIONS = {
    EntryKind.REDEEM: (Companion.REDEEM,),
    EntryKind.TIER_CHANGE: (Companion.TIER,),
    EntryKind.BONUS: (Companion.BIRTHDAY, Companion.REFERRED),
}
_RETURN_COMPANIONS = (1,)


def _is_primary(entry: WireEntry) -> bool:
    return entry.kind is EntryKind.EARN or (
        entry.kind is EntryKind.REVERSAL and entry.reason == RETURN_REASON
    )


def _by_use_case(entries: list[WireEntry]) -> list[list[WireEntry]]:
    """The entries in groups of one use case each: a sale's earn entry (or a return's first reversal) with
    the companions whose ids derive from its id (app.domain.ids.derived_id), in device order; any other
    entry alone. A companion is matched against its member's primaries in the batch, those of its own
    moment first (a use case's entries share it), so a push pays a hash or two a companion."""
    primaries: dict[str, list[WireEntry]] = defaultdict(list)
    for entry in entries:
        if _is_primary(entry):
            primaries[entry.member_id].append(entry)
    primary_of: dict[str, str] = {}
    for entry in entries:
        if entry.kind is EntryKind.EARN or entry.member_id not in primaries:
            continue
        returned = entry.kind is EntryKind.REVERSAL  # a return's given-back points: its first's companion
        ns = _RETURN_COMPANIONS if returned else _SALE_COMPANIONS.get(entry.kind, ())
        mine = primaries[entry.member_id]
        candidates = [p for p in mine if p is not entry and (p.kind is EntryKind.REVERSAL) == returned]
        candidates.sort(key=lambda p: p.created_at_us != entry.created_at_us)
        for primary in candidates:
            if any(str(derived_id(primary.id, n)) == entry.id for n in ns):
                primary_of[entry.id] = primary.id
                break
    groups: dict[str, list[WireEntry]] = {}
    for entry in sorted(entries, key=lambda e: e.device_seq):
        groups.setdefault(primary_of.get(entry.id, entry.id), []).append(entry)
    return list(groups.values())


def _balances_after(entries: Sequence[WireEntry], held: dict[str, int]) -> dict[str, int]:
    """Each entry's member's balance just after it: the balance now, less what came after it in this push
    (one device's entries, in its order)."""
    later: dict[str, int] = defaultdict(int)
    after: dict[str, int] = {}
    for entry in sorted(entries, key=lambda e: e.device_seq, reverse=True):
        after[entry.id] = int(held.get(entry.member_id, 0)) - later[entry.member_id]
        later[entry.member_id] += entry.points_delta
    return after


def _group_messages(group: list[WireEntry], balance: int, now_us: int) -> list[Queued]:
    member_id = group[0].member_id
    at_us = group[0].created_at_us
    found: list[Queued] = []
    earn = next((e for e in group if e.kind is EntryKind.EARN), None)
    if earn is not None:
        earned = sum(e.points_delta for e in group if e.kind in (EntryKind.EARN, EntryKind.BONUS))
        spent = -sum(e.points_delta for e in group if e.kind is EntryKind.REDEEM)
        if earned or spent:
            params = {
                "earned": earned,
                "spent": spent,
                "balance": balance,
                "amount": earn.sale_amount,
                "invoice": earn.invoice_ref or "",
                "at_us": at_us,
            }
            found.append(Queued(member_id, f"sale:{earn.id}", "points_earned", now_us, params))
    returned = [e for e in group if e.kind is EntryKind.REVERSAL and e.reason == RETURN_REASON]
    if returned and earn is None:
        taken = -sum(e.points_delta for e in returned if e.points_delta < 0)
        given_back = sum(e.points_delta for e in returned if e.points_delta > 0)
        if taken or given_back:
            params = {
                "taken": taken,
                "given_back": given_back,
                "balance": balance,
                "invoice": returned[0].invoice_ref or "",
                "at_us": at_us,
            }
            found.append(Queued(member_id, f"return:{returned[0].id}", "return", now_us, params))
    for entry in group:
        if entry.kind is EntryKind.TIER_CHANGE and entry.reason == UPGRADE_REASON:
            params = {"tier": entry.invoice_ref or "", "balance": balance, "at_us": at_us}
            found.append(Queued(member_id, f"tier:{entry.id}", "tier_upgrade", now_us, params))
    return found


# ---- the daily run ------------------------------------------------------------------------------------


def from_daily_batch(conn: Connection, rules: RuleSet, member_ids: Sequence[str], now_us: int) -> int:
    """Queue the reminders and greetings of a batch of the daily run, in its transaction: points expiring
    soon, a paid membership ending soon, the birthday greeting. Reminders wait for the end of quiet hours
    (sync.server.messages.policy), so a run just after midnight queues them for the morning."""
    if not member_ids:
        return 0
    expiring_days, membership_days = club.int_settings(
        conn, ("messages_expiring_days", "messages_membership_days")
    )
    quiet = policy.QuietHours.parse(
        club.setting(conn, "messages_quiet_start"), club.setting(conn, "messages_quiet_end")
    )
    due = policy.first_due("points_expiring", False, now_us, rules.utc_offset_minutes, quiet)
    today = rules.local_date(now_us)
    rows = {
        r.id: r
        for r in conn.execute(
            select(MEMBER.c.id, MEMBER.c.birth_date, MEMBER.c.erased_at_us).where(
                one_of(conn, MEMBER.c.id, list(member_ids))
            )
        )
    }
    live = [m for m, r in rows.items() if r.erased_at_us is None]
    # only members holding points or who bought a membership can have something to be reminded of: their
    # entries are read, not the whole batch's
    holding = select(BALANCE.c.member_id).where(one_of(conn, BALANCE.c.member_id, live), BALANCE.c.points > 0)
    bought = select(ENTRY.c.member_id).where(
        one_of(conn, ENTRY.c.member_id, live), ENTRY.c.kind == EntryKind.MEMBERSHIP_PURCHASE.value
    )
    readers = set(conn.execute(holding).scalars()) | set(conn.execute(bought).scalars())
    history = _entries_of(conn, sorted(readers))
    messages: list[Queued] = []
    cache: dict[int | None, RuleSet] = {rules.version: rules}

    def rules_for(version: int | None) -> RuleSet:
        if version not in cache:
            cache[version] = rule_sets.get(conn, version or 0)
        return cache[version]

    for member_id, row in rows.items():
        if row.erased_at_us is not None:
            continue
        entries = history.get(member_id, [])
        messages += _expiring(
            member_id, entries, rules, now_us=now_us, days=expiring_days, due=due, rules_for=rules_for
        )
        messages += _membership(
            member_id, entries, rules_for, rules, now_us=now_us, days=membership_days, due=due
        )
        messages += _birthday(member_id, row.birth_date, rules, today, due)
    return queue(conn, messages, now_us)


def _expiring(
    member_id: str,
    entries: list[LedgerEntry],
    rules: RuleSet,
    *,
    now_us: int,
    days: int,
    due: int,
    rules_for: Callable[[int | None], RuleSet],
) -> list[Queued]:
    if rules.expiry_days is None:
        return []
    # each expire entry took what its own rule set made due: a reminder never names points already gone

    def days_of(version: int) -> int | None:
        return rules_for(version).expiry_days

    soon = expiry.next_expiring(entries, rules.expiry_days, now_us, days_of=days_of)
    if soon is None or soon.points <= 0 or soon.at_us - now_us > days * policy.US_PER_DAY:
        return []
    day = rules.local_date(soon.at_us).isoformat()
    balance = sum(e.points_delta for e in entries)
    params = {"points": soon.points, "date": day, "balance": balance, "at_us": now_us}
    return [Queued(member_id, f"expiring:{day}", "points_expiring", due, params)]


def _membership(
    member_id: str,
    entries: list[LedgerEntry],
    rules_for: Any,
    rules: RuleSet,
    *,
    now_us: int,
    days: int,
    due: int,
) -> list[Queued]:
    if not any(e.kind is EntryKind.MEMBERSHIP_PURCHASE for e in entries):
        return []
    try:
        term = membership.current(membership.terms(entries, rules_for), now_us)
    except Exception:  # a rule set that no longer reads: no reminder rather than no daily run
        return []
    if term is None or term.ends_us - now_us > days * policy.US_PER_DAY:
        return []
    day = rules.local_date(term.ends_us).isoformat()
    plan = next((p for p in rules.memberships if p.code == term.plan_code), None)
    name = {"fa": plan.name_fa, "en": plan.name_en} if plan is not None else term.plan_code
    params = {"plan": name, "date": day, "at_us": now_us}
    return [Queued(member_id, f"membership:{day}", "membership_ending", due, params)]


def _birthday(member_id: str, birth: date | None, rules: RuleSet, today: date, due: int) -> list[Queued]:
    if birth is None or rules.bonuses.birthday_points <= 0:  # the greeting announces the bonus
        return []
    try:
        born_today = birth.replace(year=today.year) == today
    except ValueError:  # 29 February in a common year: greeted on 1 March
        born_today = today == date(today.year, 3, 1)
    if not born_today:
        return []
    params = {"bonus": rules.bonuses.birthday_points, "at_us": due}
    return [Queued(member_id, f"birthday:{today.year}", "birthday", due, params)]


def _entries_of(conn: Connection, member_ids: list[str]) -> dict[str, list[LedgerEntry]]:
    fields = tuple(f for f in LedgerEntry.__dataclass_fields__ if f != "kind")
    found: dict[str, list[LedgerEntry]] = {}
    if not member_ids:
        return found
    for row in conn.execute(select(ENTRY).where(one_of(conn, ENTRY.c.member_id, member_ids))):
        entry = LedgerEntry(**{f: getattr(row, f) for f in fields}, kind=EntryKind(row.kind))
        found.setdefault(entry.member_id, []).append(entry)
    return found


# ---- invitations --------------------------------------------------------------------------------------


def invitation_link(base_url: str, qr_text: str) -> str:
    """The invitation QR as a link: the server's public page that draws the code (BASHGAH_PUBLIC_URL);
    without one, the signed text itself, which a door's scanner also reads when typed."""
    if not base_url:
        return qr_text
    return f"{base_url.rstrip('/')}/invitation?code={quote(qr_text, safe='')}"


def from_invitations(
    conn: Connection,
    now_us: int,
    event: Any,
    invited: Iterable[tuple[str, str]],
    *,
    base_url: str = "",
) -> int:
    """Queue an invitation message per (member id, signed QR text), in the invitation's transaction; the
    cause is the event, so inviting a member again sends nothing again."""
    day = rule_sets.current(conn).local_date(event.starts_at_us).isoformat()  # the club's day
    messages = [
        Queued(
            member_id,
            f"invitation:{event.id}",
            "invitation",
            now_us,
            {
                "event": event.name,
                "venue": event.venue,
                "date": day,
                "link": invitation_link(base_url, qr_text),
                "at_us": now_us,
            },
        )
        for member_id, qr_text in invited
    ]
    return queue(conn, messages, now_us)


def invitations_signed(
    conn: Connection, pub: Publisher, event: WireEvent, invited: list[WireInvitation]
) -> int:
    """Sign each standing invitation's QR (sync.server.invitation_key) and queue its message, in the
    invitation's transaction (sync.server.club.events.invite). Nothing for an event over or cancelled."""
    from sync.server.invitation_key import invitation_qrs  # signs with app.cards' codec

    standing = [i for i in invited if not i.cancelled]
    if not standing or event.cancelled or pub.at_us > event.ends_at_us:
        return 0
    codes = invitation_qrs(conn, pub, event, standing)
    base_url = os.environ.get(PUBLIC_URL_ENV, "")
    pairs = [(i.member_id, code.text) for i, code in zip(standing, codes, strict=True)]
    return from_invitations(conn, pub.at_us, event, pairs, base_url=base_url)
