# SPDX-License-Identifier: GPL-3.0-or-later
"""A member's file in the club office: what the club holds about them and what the office may change.

Reads (`member_file`, `ledger_page`, `photo`, `card_qr`) show personal data, so each is audited. Changes:
- `edit_profile`: name, phone, birth date (and the admin API's other fields), checked as a terminal's
  enrolment is;
- `place_tier`: a tier placement, written as the server's own `tier_change` entry (app.domain.tiering reads
  tiers from the ledger, on every terminal), kept a whole period and grace from now like a tier reached;
- `adjust_points`: an `adjust` entry in the server's own chain, as the programme's daily run writes its
  expiries (sync.server.programme.write_entries): sealed, numbered, folded into the balance and published,
  so terminals pull it like any other device's entry. A reason is required, the size is capped by role as
  a terminal caps its staff's (app.domain.staff.ADJUST_LIMITS: the club office as the terminals' admin, a
  branch manager as their manager) and a branch manager adjusts only at their own branches;
- cards: `issue_qr_card` (from the server's own series, signed with its own key: sync.server.card_key) and
  `revoke_card` (revoked or lost), published as a terminal's are.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from app.domain import expiry, membership, tiering
from app.domain.card import CardKind, CardStatus
from app.domain.digits import to_latin_digits
from app.domain.errors import ClubError
from app.domain.ids import request_entry_id, uuid7
from app.domain.ledger import EntryDraft, EntryKind, LedgerEntry, clean_reason
from app.domain.member import clean_name, national_id_last4
from app.domain.money import MAX_POINTS
from app.domain.phone import normalize_phone
from app.domain.programme import RuleSet, TierRule
from app.domain.staff import ADJUST_LIMITS, Role
from app.format import parse_day
from sync.protocol import WireCard, WireMember, WireRevocation
from sync.server import card_key, members, photos, programme
from sync.server import rules as rule_sets
from sync.server.club.access import Permission
from sync.server.club.act import Act, Call, change, read
from sync.server.errors import ApiError
from sync.server.models import (
    BALANCE,
    BRANCH,
    CARD,
    DEVICE,
    ENTRY,
    EVENT,
    INVITATION,
    MEMBER,
    MEMBER_PHOTO,
    STAFF,
    TIER,
)

LEDGER_PAGE = 50
MAX_LEDGER_PAGE = 200
ADMIN_PLACEMENT = "admin"  # the reason on a tier placement that gave none (the admin API's)
# The most points one adjustment may move, by office role: the club office as a terminal's admin, a branch
# manager as a terminal's manager (the same table the terminals use).
ADJUST_LIMIT = {
    "owner": ADJUST_LIMITS[Role.ADMIN],
    "manager": ADJUST_LIMITS[Role.ADMIN],
    "branch-manager": ADJUST_LIMITS[Role.MANAGER],
}
PROFILE_FIELDS = frozenset(
    {"name", "phone", "birth_date", "national_id", "branch_id", "consent_marketing", "tier_code"}
)
_ENTRY_FIELDS = tuple(f for f in LedgerEntry.__dataclass_fields__ if f != "kind")


# ---- what the file shows --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TierOption:
    code: str
    name_fa: str
    name_en: str


@dataclass(frozen=True, slots=True)
class BranchOption:
    id: str
    code: str
    name_fa: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Standing:
    """Where the member stands in the programme now, from the server's ledger (as the counter shows it)."""

    tier: TierOption  # held (earned or placed)
    since_us: int  # when the tier was reached or placed; 0: since joining
    priced_tier: TierOption  # what prices a sale: the better of the held tier and a paid membership's
    membership: TierOption | None  # the running paid membership's plan
    membership_ends_us: int | None
    basis: str  # "points" or "spend"
    qualifying: int  # points or rials within the window
    next_tier: TierOption | None
    to_next: int | None
    keep_by_us: int | None  # the held tier is safe until then (None: the entry tier)
    expiring_points: int
    expiring_at_us: int | None
    rules_version: int


@dataclass(frozen=True, slots=True)
class CardLine:
    number: str
    kind: str
    uid: str | None
    issued_at_us: int
    expires_at_us: int | None
    status: str
    server_issued: bool  # from the server's own series: its QR can be shown again
    label: str | None = None  # a phone's (kind "phone", from the member page): the member's name for it

    @property
    def active(self) -> bool:
        return self.status == CardStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class InvitationLine:
    event_id: str
    name: str
    venue: str
    starts_at_us: int
    ends_at_us: int
    plus_ones: int | None
    cancelled: bool  # the invitation
    event_cancelled: bool
    by_tier: bool  # invited through the member's tier, not by name


@dataclass(frozen=True, slots=True)
class LedgerLine:
    id: str
    server_seq: int
    created_at_us: int
    kind: str
    points_delta: int
    cash_delta: int
    sale_amount: int
    discount_rials: int
    invoice_ref: str | None
    reason: str | None
    branch_name_fa: str
    branch_name_en: str
    device_code: str
    staff_name: str | None


@dataclass(frozen=True, slots=True)
class LedgerPage:
    lines: list[LedgerLine]
    next_after: int | None  # the cursor of the next page (the last line's server_seq); None: no more


@dataclass(frozen=True, slots=True)
class MemberFile:
    member: WireMember
    branch: BranchOption | None  # of enrolment
    points: int
    wallet_rials: int
    spend_rials: int
    purchase_count: int
    last_activity_us: int
    restricted: bool
    photo_sha256: str | None
    standing: Standing
    cards: list[CardLine]
    invitations: list[InvitationLine]
    ledger: LedgerPage
    tiers: list[TierOption]  # for the tier placement
    branches: list[BranchOption]  # for the adjustment's branch
    consent_at_us: int | None = None  # when marketing consent was last given or withdrawn
    erased_at_us: int | None = None  # erased (sync.server.club.privacy): the profile holds placeholders
    # the server's own contact data for messages (sync.server.club.messages), terminals never see it
    email: str | None = None
    preferred_channel: str = "sms"
    consent_source: str | None = None  # where consent was last given or withdrawn
    language: str = "fa"  # the language the member's messages are written in


def _member_row(conn: Connection, member_id: str) -> Row[Any]:
    row = conn.execute(select(MEMBER).where(MEMBER.c.id == member_id)).one_or_none()
    if row is None:
        raise ApiError(404, "unknown_member", "no such member")
    return row


def _option(tier: TierRule) -> TierOption:
    return TierOption(tier.code, tier.name_fa, tier.name_en)


def _tier_or_entry(rules: RuleSet, code: str) -> TierRule:
    try:
        return rules.tier(code)
    except ClubError:  # a tier the club's rules no longer have: the next review moves the member
        return rules.entry_tier()


def _entries(conn: Connection, member_id: str) -> list[LedgerEntry]:
    rows = conn.execute(select(ENTRY).where(ENTRY.c.member_id == member_id))
    return [LedgerEntry(**{f: getattr(r, f) for f in _ENTRY_FIELDS}, kind=EntryKind(r.kind)) for r in rows]


def _standing(conn: Connection, row: Row[Any], now_us: int) -> Standing:
    rules = rule_sets.current(conn)
    entries = _entries(conn, row.id)
    held = tiering.standing(row.tier_code, entries, row.joined_at_us)
    held_rule = _tier_or_entry(rules, row.tier_code)
    term = membership.current(membership.terms(entries, lambda v: rule_sets.get(conn, v or 0)), now_us)
    plan = next((p for p in rules.memberships if term is not None and p.code == term.plan_code), None)
    priced = tiering.effective_tier(rules, held_rule.code, term.tier_code if term else None)
    total = tiering.qualifying(entries, rules, now_us)
    following = tiering.next_tier(rules, held_rule.code)
    days_of = rule_sets.expiry_days_of(conn)  # each expire entry took what its own rule set made due
    due = expiry.due(entries, rules.expiry_days, now_us, days_of=days_of)
    upcoming = None if due else expiry.next_expiring(entries, rules.expiry_days, now_us, days_of=days_of)
    return Standing(
        tier=TierOption(row.tier_code, held_rule.name_fa, held_rule.name_en)
        if held_rule.code == row.tier_code
        else TierOption(row.tier_code, row.tier_code, row.tier_code),
        since_us=row.tier_since_us or held.since_us,
        priced_tier=_option(priced),
        membership=TierOption(plan.code, plan.name_fa, plan.name_en) if plan is not None else None,
        membership_ends_us=term.ends_us if term is not None else None,
        basis=rules.qualification.basis.value,
        qualifying=total.total(rules.qualification.basis),
        next_tier=_option(following) if following is not None else None,
        to_next=tiering.to_next(rules, held_rule.code, total),
        keep_by_us=tiering.keep_by_us(rules, held) if held_rule.rank > rules.entry_tier().rank else None,
        expiring_points=due or (upcoming.points if upcoming else 0),
        expiring_at_us=now_us if due else (upcoming.at_us if upcoming else None),
        rules_version=rules.version,
    )


def _cards(conn: Connection, member_id: str) -> list[CardLine]:
    ours = card_key.series_prefix(conn)
    return [
        CardLine(
            number=c["number"],
            kind=c["kind"],
            uid=c["uid"],
            issued_at_us=c["issued_at_us"],
            expires_at_us=c["expires_at_us"],
            status=c["status"],
            server_issued=card_key.is_ours(ours, c["number"]) and c["kind"] == CardKind.QR,
            label=c.get("label"),
        )
        for c in members.cards_of(conn, member_id)
    ]


def _invitations(conn: Connection, row: Row[Any], now_us: int) -> list[InvitationLine]:
    """Invitations by name (newest events first), then the events still to come that invite the member's
    tier (json list in `invited_tiers`: a few upcoming events, filtered here)."""
    named = conn.execute(
        select(INVITATION, EVENT.c.name, EVENT.c.venue, EVENT.c.starts_at_us, EVENT.c.ends_at_us,
               EVENT.c.cancelled.label("event_cancelled"))
        .join(EVENT, EVENT.c.id == INVITATION.c.event_id)
        .where(INVITATION.c.member_id == row.id)
        .order_by(EVENT.c.starts_at_us.desc())
        .limit(100)
    ).all()  # fmt: skip
    lines = [
        InvitationLine(r.event_id, r.name, r.venue, r.starts_at_us, r.ends_at_us, r.plus_ones,
                       bool(r.cancelled), bool(r.event_cancelled), by_tier=False)
        for r in named
    ]  # fmt: skip
    seen = {line.event_id for line in lines}
    upcoming = conn.execute(
        select(EVENT).where(
            EVENT.c.ends_at_us >= now_us,
            EVENT.c.invited_tiers.contains(f'"{row.tier_code}"', autoescape=True),
        )
    ).all()
    for event in upcoming:
        if event.id not in seen and row.tier_code in json.loads(event.invited_tiers or "[]"):
            line = InvitationLine(event.id, event.name, event.venue, event.starts_at_us, event.ends_at_us,
                                  None, False, bool(event.cancelled), by_tier=True)  # fmt: skip
            lines.append(line)
    return lines


def _ledger(conn: Connection, member_id: str, after: int | None, limit: int) -> LedgerPage:
    """Newest first by the server's sequence (the order the club received them), `limit` a page; one more
    row is read to know whether another page follows."""
    query = (
        select(
            ENTRY,
            BRANCH.c.name_fa.label("branch_name_fa"),
            BRANCH.c.name_en.label("branch_name_en"),
            DEVICE.c.code.label("device_code"),
            STAFF.c.name.label("staff_name"),
        )
        .join(BRANCH, BRANCH.c.id == ENTRY.c.branch_id)
        .join(DEVICE, DEVICE.c.id == ENTRY.c.device_id)
        .join(STAFF, STAFF.c.id == ENTRY.c.staff_id, isouter=True)
        .where(ENTRY.c.member_id == member_id, ENTRY.c.server_seq.is_not(None))
        .order_by(ENTRY.c.server_seq.desc())
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(ENTRY.c.server_seq < after)
    rows = conn.execute(query).all()
    lines = [
        LedgerLine(
            id=r.id, server_seq=r.server_seq, created_at_us=r.created_at_us, kind=r.kind,
            points_delta=r.points_delta, cash_delta=r.cash_delta, sale_amount=r.sale_amount,
            discount_rials=r.discount_rials, invoice_ref=r.invoice_ref, reason=r.reason,
            branch_name_fa=r.branch_name_fa, branch_name_en=r.branch_name_en, device_code=r.device_code,
            staff_name=r.staff_name,
        )
        for r in rows[:limit]
    ]  # fmt: skip
    return LedgerPage(lines, lines[-1].server_seq if len(rows) > limit else None)


def _page_size(limit: int) -> int:
    if not 1 <= limit <= MAX_LEDGER_PAGE:
        raise ApiError(422, "invalid_request", f"a page has 1 to {MAX_LEDGER_PAGE} entries")
    return limit


def member_file(call: Call, member_id: str, *, ledger_limit: int = LEDGER_PAGE) -> MemberFile:
    """Everything the member's file shows, with the first page of the ledger; audited as `member.view`."""
    limit = _page_size(ledger_limit)

    def work(conn: Connection) -> MemberFile:
        row = _member_row(conn, member_id)
        balance = conn.execute(select(BALANCE).where(BALANCE.c.member_id == member_id)).first()
        photo_sha = conn.execute(
            select(MEMBER_PHOTO.c.sha256).where(MEMBER_PHOTO.c.member_id == member_id)
        ).scalar_one_or_none()
        branches = [
            BranchOption(b.id, b.code, b.name_fa, b.name_en)
            for b in conn.execute(select(BRANCH).order_by(BRANCH.c.code))
        ]
        rules = rule_sets.current(conn)
        return MemberFile(
            member=members.wire_member(row),
            branch=next((b for b in branches if b.id == row.branch_id), None),
            points=balance.points if balance else 0,
            wallet_rials=balance.wallet_rials if balance else 0,
            spend_rials=balance.spend_rials if balance else 0,
            purchase_count=balance.purchase_count if balance else 0,
            last_activity_us=balance.last_activity_us if balance else 0,
            restricted=bool(balance.restricted) if balance else False,
            photo_sha256=photo_sha,
            standing=_standing(conn, row, call.now_us),
            cards=_cards(conn, member_id),
            invitations=_invitations(conn, row, call.now_us),
            ledger=_ledger(conn, member_id, None, limit),
            tiers=[_option(t) for t in rules.tiers],
            branches=branches,
            consent_at_us=row.consent_marketing_at_us,
            erased_at_us=row.erased_at_us,
            email=row.email,
            preferred_channel=row.preferred_channel or "sms",
            consent_source=row.consent_marketing_source,
            language=row.language or "fa",
        )

    return read(call, "member.view", member_id, work)


def ledger_page(call: Call, member_id: str, after: int | None = None, limit: int = LEDGER_PAGE) -> LedgerPage:
    """A page of the member's ledger, newest first, after the cursor `after` (a server sequence number)."""
    limit = _page_size(limit)

    def work(conn: Connection) -> LedgerPage:
        _member_row(conn, member_id)
        return _ledger(conn, member_id, after, limit)

    return read(call, "member.ledger", member_id, work)


def photo(call: Call, member_id: str) -> bytes | None:
    """The member's current photo (JPEG bytes), or None."""

    def work(conn: Connection) -> bytes | None:
        sha = conn.execute(
            select(MEMBER_PHOTO.c.sha256).where(MEMBER_PHOTO.c.member_id == member_id)
        ).scalar_one_or_none()
        return None if sha is None else photos.jpeg(conn, sha)

    return read(call, "member.photo", member_id, work)


# ---- the profile ------------------------------------------------------------------------------------------


def checked_birth_date(value: date | None, now_us: int) -> date | None:
    today = datetime.fromtimestamp(now_us // 1_000_000, UTC).date()
    if value is not None and not date(1900, 1, 1) <= value <= today:
        raise ApiError(422, "invalid_birth_date", "the birth date is not plausible")
    return value


def parse_birth_date(text: str) -> date | None:
    """A date as a person types it (app.format.parse_day: Jalali or Gregorian, Persian digits too); empty
    is no date."""
    if not (text or "").strip():
        return None
    day = parse_day(text)
    if day is None:
        raise ApiError(422, "invalid_birth_date", "write the date as 1370/05/12 or 1991-08-03")
    return day


def check_member_record(conn: Connection, member: WireMember) -> None:
    """What a stored member must be: a known tier and branch, and a phone no other member has."""
    refusal = members.refusal_for_member(conn, member)
    if refusal is not None:
        raise ApiError(422, refusal, refusal.replace("_", " "))
    if conn.execute(
        select(MEMBER.c.id).where(MEMBER.c.phone == member.phone, MEMBER.c.id != member.id)
    ).first():
        raise ApiError(409, "duplicate_phone", "another member has this phone number")


def _profile_changes(fields: dict[str, Any], now_us: int) -> dict[str, Any]:
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise ApiError(422, "invalid_request", f"not a profile field: {', '.join(sorted(unknown))}")
    changes = {k: v for k, v in fields.items() if k != "national_id"}
    if "name" in changes:
        changes["name"] = clean_name(changes["name"] or "")
    if "phone" in changes:
        changes["phone"] = normalize_phone(changes["phone"] or "")
    if "birth_date" in changes:
        changes["birth_date"] = checked_birth_date(changes["birth_date"], now_us)
    if fields.get("national_id") is not None:
        changes["national_id_last4"] = national_id_last4(fields["national_id"])
    # a field sent empty is left as it is, except those a member may not have
    return {k: v for k, v in changes.items() if v is not None or k in ("birth_date", "national_id_last4")}


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A member head office enrols (on the phone, from a form): what a terminal's enrolment asks for."""

    name: str
    phone: str
    branch_id: str
    tier_code: str | None = None  # the entry tier when None
    birth_date: date | None = None
    national_id: str | None = None  # checked, then only its last four digits are kept
    referrer_id: str | None = None
    consent_marketing: bool = False


def _entry_tier(conn: Connection) -> str:
    code = conn.execute(select(TIER.c.code).order_by(TIER.c.rank).limit(1)).scalar()
    if code is None:
        raise ApiError(409, "club_not_set_up", "the club has no tiers yet")
    return str(code)


def enrol(call: Call, new: Enrolment) -> WireMember:
    """A new member, published to every terminal (Permission.MEMBER_EDIT)."""
    name, phone = clean_name(new.name), normalize_phone(new.phone)
    last4 = national_id_last4(new.national_id) if new.national_id else None
    member_id = str(uuid7(call.now_us // 1000, os.urandom(10)))

    def work(act: Act) -> WireMember:
        member = WireMember(
            id=member_id,
            name=name,
            phone=phone,
            tier_code=new.tier_code or _entry_tier(act.conn),
            branch_id=new.branch_id,
            joined_at_us=act.now_us,
            birth_date=checked_birth_date(new.birth_date, act.now_us),
            national_id_last4=last4,
            referrer_id=new.referrer_id,
            consent_marketing=new.consent_marketing,
        )
        check_member_record(act.conn, member)
        members.put_member(act.conn, act.pub, member, consent_source="back_office")
        act.after = member.model_dump(mode="json")
        return member

    return change(call, Permission.MEMBER_EDIT, "member.enrol", member_id, work)


def edit_profile(call: Call, member_id: str, fields: dict[str, Any]) -> WireMember:
    """Change the member's record (name, phone, birth date; for the admin API also branch, national id,
    consent and tier); published to terminals. A tier in `fields` is placed as `place_tier` does."""
    changes = _profile_changes(fields, call.now_us)

    def work(act: Act) -> WireMember:
        member = _current(act.conn, member_id)
        edited = WireMember.model_validate(member.model_dump() | changes)
        check_member_record(act.conn, edited)
        act.before = _profile_json(member)
        if edited.tier_code != member.tier_code:
            _move_tier(act, member, edited.tier_code, ADMIN_PLACEMENT)
            member = member.model_copy(update={"tier_code": edited.tier_code})
        if edited != member:
            members.put_member(act.conn, act.pub, edited, consent_source="back_office")
        after = _current(act.conn, member_id)
        act.after = _profile_json(after)
        return after

    return change(call, Permission.MEMBER_EDIT, "member.edit", member_id, work)


EMAIL = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+$")
CHANNELS = ("sms", "email")


def checked_email(text: str) -> str | None:
    """An email address as typed (trimmed; empty: none), or 422 `invalid_email`."""
    email = text.strip()
    if not email:
        return None
    if len(email) > 254 or EMAIL.fullmatch(email) is None:
        raise ApiError(422, "invalid_email", "this is not an email address", field="email")
    return email


def edit_contact(
    call: Call,
    member_id: str,
    *,
    email: str,
    preferred_channel: str,
    consent_marketing: bool,
    language: str = "fa",
) -> dict[str, Any]:
    """The member's email, the channel they prefer, the language of their messages and their marketing
    consent, as head office records them. A change of consent is dated now, its source "back_office", and
    published (terminals show it); email, channel and language are the server's alone. Audited with before
    and after."""
    address = checked_email(email)
    if preferred_channel not in CHANNELS:
        raise ApiError(422, "invalid_channel", "sms or email", field="preferred_channel")
    if preferred_channel == "email" and address is None:
        raise ApiError(422, "email_needed", "an email is needed to prefer email", field="email")
    if language not in ("fa", "en"):
        raise ApiError(422, "invalid_language", "fa or en", field="language")

    def work(act: Act) -> dict[str, Any]:
        row = _member_row(act.conn, member_id)
        if row.erased_at_us is not None:
            raise ApiError(409, "member_erased", "this member's personal data was erased")
        before = {
            "email": row.email, "preferred_channel": row.preferred_channel, "language": row.language,
            "consent_marketing": bool(row.consent_marketing),
        }  # fmt: skip
        after = {
            "email": address,
            "preferred_channel": preferred_channel,
            "language": language,
            "consent_marketing": consent_marketing,
        }
        values: dict[str, Any] = {"email": address, "preferred_channel": preferred_channel}
        values["language"] = language
        if consent_marketing != bool(row.consent_marketing):
            values |= {
                "consent_marketing": consent_marketing, "consent_marketing_at_us": act.now_us,
                "consent_marketing_source": "back_office", "updated_at_us": act.now_us,
            }  # fmt: skip
            wire = members.wire_member(row).model_copy(update={"consent_marketing": consent_marketing})
            act.pub.change(
                "member", {"kind": "member", "member": wire.model_dump(mode="json")}, member_id=member_id
            )
        act.conn.execute(update(MEMBER).where(MEMBER.c.id == member_id).values(**values))
        act.before, act.after = before, after
        return after

    return change(call, Permission.MEMBER_EDIT, "member.contact", member_id, work)


def _current(conn: Connection, member_id: str) -> WireMember:
    return members.wire_member(_member_row(conn, member_id))


def _profile_json(member: WireMember) -> dict[str, Any]:
    return member.model_dump(mode="json", exclude={"id", "joined_at_us", "referrer_id"})


# ---- the tier ---------------------------------------------------------------------------------------------


def _move_tier(act: Act, member: WireMember, tier_code: str, why: str) -> LedgerEntry:
    """A tier placement as the server's own tier_change entry, kept a whole period and grace from now."""
    version = rule_sets.latest_version(act.conn)
    draft = EntryDraft(
        id=str(uuid7(act.now_us // 1000, os.urandom(10))),
        created_at_us=act.now_us,
        branch_id=member.branch_id,
        member_id=member.id,
        kind=EntryKind.TIER_CHANGE,
        invoice_ref=tier_code,
        reason=why,
        rules_version=version or None,
    )
    (entry,) = programme.write_entries(act.conn, act.pub, [draft], act.now_us)
    return entry


def place_tier(call: Call, member_id: str, tier_code: str, why: str) -> WireMember:
    """Put the member in a tier of the programme, with the reason (the entry's)."""
    reason = clean_reason(why)

    def work(act: Act) -> WireMember:
        member = _current(act.conn, member_id)
        if act.conn.execute(select(TIER.c.code).where(TIER.c.code == tier_code)).first() is None:
            raise ApiError(422, "unknown_tier", "the programme has no such tier")
        if tier_code == member.tier_code:
            raise ApiError(409, "same_tier", "the member is in this tier already")
        entry = _move_tier(act, member, tier_code, reason)
        act.before = {"tier_code": member.tier_code}
        act.after = {"tier_code": tier_code, "entry_id": entry.id, "reason": reason}
        return _current(act.conn, member_id)

    return change(call, Permission.MEMBER_EDIT, "member.tier", member_id, work)


# ---- points -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Adjusted:
    entry_id: str
    points_delta: int
    points: int  # the member's balance after it
    replayed: bool = False  # the same request again: nothing new was written


def parse_points(text: str) -> int:
    """A signed whole number as typed (Persian digits, a Unicode minus, grouping commas)."""
    raw = to_latin_digits(text or "").strip().replace("\u2212", "-").replace(",", "").replace("٬", "")
    body = raw[1:] if raw[:1] in "+-" else raw
    if not body.isdigit() or not body.isascii() or len(body) > 12:
        raise ApiError(422, "invalid_points", "points are a whole number, e.g. 50 or -20")
    return int(raw)


def _check_adjustment(call: Call, points_delta: int) -> None:
    if isinstance(points_delta, bool) or not isinstance(points_delta, int) or points_delta == 0:
        raise ApiError(422, "invalid_points", "an adjustment adds or removes at least one point")
    limit = min(ADJUST_LIMIT.get(call.actor.role, 0), MAX_POINTS)
    if abs(points_delta) > limit:
        raise ApiError(422, "adjust_over_limit", f"one adjustment moves at most {limit} points", limit=limit)


def adjust_points(
    call: Call,
    member_id: str,
    points_delta: int,
    reason: str,
    branch_id: str,
    *,
    request_id: str | None = None,
) -> Adjusted:
    """Add or remove points with a reason, at a branch, as an entry in the server's own chain. Removing
    more than the member holds is refused. `request_id` (a UUID the form carries) makes a form sent twice
    one adjustment."""
    call.actor.require(Permission.POINTS_ADJUST, branch_id)  # before the input's checks: a 403 says why
    _check_adjustment(call, points_delta)
    why = clean_reason(reason)
    try:
        entry_id = (
            str(uuid7(call.now_us // 1000, os.urandom(10)))
            if request_id is None
            else request_entry_id(request_id)
        )
    except ClubError:
        raise ApiError(422, "invalid_request", "the form's request id is not a UUID") from None

    def work(act: Act) -> Adjusted:
        _member_row(act.conn, member_id)
        if act.conn.execute(select(BRANCH.c.id).where(BRANCH.c.id == branch_id)).first() is None:
            raise ApiError(422, "unknown_branch", "no such branch")
        again = _replay(act.conn, entry_id, member_id, points_delta)
        if again is not None:
            act.after = {"entry_id": entry_id, "replayed": True}
            return again
        draft = EntryDraft(
            id=entry_id,
            created_at_us=act.now_us,
            branch_id=branch_id,
            member_id=member_id,
            kind=EntryKind.ADJUST,
            points_delta=points_delta,
            reason=why,
        )
        programme.write_entries(act.conn, act.pub, [draft], act.now_us)
        after = _points(act.conn, member_id)
        if points_delta < 0 and after < 0:  # the balance row is locked by now: no push slips in between
            raise ApiError(
                409, "insufficient_points", "the member holds fewer points", balance=after - points_delta
            )
        act.before = {"points": after - points_delta}
        act.after = {"points": after, "points_delta": points_delta, "entry_id": entry_id, "reason": why,
                     "branch_id": branch_id}  # fmt: skip
        return Adjusted(entry_id, points_delta, after)

    return change(call, Permission.POINTS_ADJUST, "member.adjust", member_id, work, branch_id=branch_id)


def _points(conn: Connection, member_id: str) -> int:
    value = conn.execute(select(BALANCE.c.points).where(BALANCE.c.member_id == member_id)).scalar()
    return int(value or 0)


def _replay(conn: Connection, entry_id: str, member_id: str, points_delta: int) -> Adjusted | None:
    row = conn.execute(select(ENTRY).where(ENTRY.c.id == entry_id)).first()
    if row is None:
        return None
    if (row.kind, row.member_id, row.points_delta) != (EntryKind.ADJUST, member_id, points_delta):
        raise ApiError(409, "entry_conflict", "this form was already used for another adjustment")
    return Adjusted(entry_id, points_delta, _points(conn, member_id), replayed=True)


# ---- cards ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedCard:
    number: str
    qr_text: str
    reused: bool  # the member's active server QR card, shown again


def issue_qr_card(call: Call, member_id: str) -> IssuedCard:
    """A member QR card from the server's series, signed with the server's card key and published (card and
    key) so terminals and doors accept it offline. A member holds one: while their server QR card is active,
    it is shown again rather than a second made."""

    def work(act: Act) -> IssuedCard:
        member = _current(act.conn, member_id)
        prefix = card_key.take_series(act.conn, act.pub)
        key = card_key.signing_key(act.conn, act.pub)
        held = next(
            (
                c
                for c in _cards(act.conn, member_id)
                if c.server_issued and c.active and c.kind == CardKind.QR
            ),
            None,
        )
        if held is not None:
            act.after = {"number": held.number, "reused": True}
            text = card_key.qr_text(key, _card_row(act.conn, held.number), member.national_id_last4)
            return IssuedCard(held.number, text, reused=True)
        card = WireCard(
            number=card_key.next_card_number(act.conn, prefix),
            kind="qr",
            member_id=member_id,
            issued_at_us=act.now_us,
            expires_at_us=act.now_us + card_key.CARD_VALIDITY_US,
        )
        # signed before it is stored: a card that cannot be signed is not stored either
        text = card_key.qr_text(key, card, member.national_id_last4)
        members.put_card(act.conn, act.pub, card)
        act.after = {"number": card.number, "kind": "qr", "key_id": key.key_id}
        return IssuedCard(card.number, text, reused=False)

    return change(call, Permission.CARD_MANAGE, "card.issue_qr", member_id, work)


def _card_row(conn: Connection, number: str) -> Row[Any]:
    row = conn.execute(select(CARD).where(CARD.c.number == number)).one_or_none()
    if row is None:
        raise ApiError(404, "unknown_card", "no such card")
    return row


def card_qr(call: Call, member_id: str, number: str) -> str:
    """The QR text of the member's active card from the server's series (to show or print it again)."""

    def work(conn: Connection) -> str:
        member = _current(conn, member_id)
        card = _card_row(conn, number)
        if card.member_id != member_id or card.kind != CardKind.QR:
            raise ApiError(404, "unknown_card", "no such QR card of this member")
        if not card_key.is_ours(card_key.series_prefix(conn), number):
            raise ApiError(409, "not_a_server_card", "a terminal issued this card: only it can show it")
        if card.status != CardStatus.ACTIVE:
            raise ApiError(409, "card_not_active", "this card is revoked or lost")
        key = card_key.current_key(conn)
        if key is None:
            raise ApiError(409, "not_a_server_card", "the server has no card key")
        return card_key.qr_text(key, card, member.national_id_last4)

    return read(call, "card.qr", number, work, permission=Permission.CARD_MANAGE)


REVOCATION_STATUSES = (CardStatus.REVOKED.value, CardStatus.LOST.value)


def revoke_card(
    call: Call, number: str, status: str, reason: str = "", *, member_id: str | None = None
) -> WireRevocation:
    """Mark a card lost or revoked, with why (the status when no words are given); every terminal refuses it
    after its next pull. `member_id`: refuse a card that is not this member's (a page's own check)."""
    if status not in REVOCATION_STATUSES:
        raise ApiError(422, "invalid_request", "a card is revoked or lost")
    why = " ".join((reason or "").split())[:500] or status

    def work(act: Act) -> WireRevocation:
        card = _card_row(act.conn, number)
        if member_id is not None and card.member_id != member_id:
            raise ApiError(404, "unknown_card", "no such card of this member")
        if card.status != CardStatus.ACTIVE:
            raise ApiError(
                409, "card_not_active", f"the card is {card.status} already", card_status=card.status
            )
        revocation = WireRevocation(
            id=str(uuid7(act.now_us // 1000, os.urandom(10))),
            card_number=number,
            status=status,  # type: ignore[arg-type]
            reason=why,
            staff_id=None,
            at_us=act.now_us,
        )
        members.revoke(act.conn, act.pub, revocation)
        act.before = {"status": card.status, "member_id": card.member_id}
        act.after = {"status": status, "reason": why, "revocation_id": revocation.id}
        return revocation

    return change(call, Permission.CARD_MANAGE, "card.revoke", number, work)
