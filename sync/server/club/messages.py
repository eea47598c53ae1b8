# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office's side of messages to members: each kind's template per language (edited, switched on
or off, previewed with a real member's data), marketing campaigns to a segment (counted and costed before
they go, sent now or scheduled, cancelled), a member's outbox and history, a campaign's deliveries, the
month's cost per channel, and the switch that stops all sending at once.

Sending a campaign only queues it: one INSERT … SELECT over the segment's members writes their outbox rows
(kind "campaign", cause "campaign:<id>", marketing), so a second press or a retry adds nothing. The sender
(sync.server.messages.sender) renders the campaign's text from its row when it sends, and applies consent
and quiet hours again then; what is counted here is who would receive it now.

Reading templates, counts and costs is READ; changing them, sending and stopping is MESSAGES (owners,
head-office managers and marketing). A member's history names what they were sent: a branch manager sees
it only for their branches' members.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import jdatetime
from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
    true,
    update,
)

from app import format as fmt
from app.domain.ids import uuid7
from sync.server import club
from sync.server import rules as rule_sets
from sync.server.club.access import Permission
from sync.server.club.act import Act, Call, change, read
from sync.server.db import dialect_insert
from sync.server.errors import ApiError
from sync.server.messages import templates as message_texts
from sync.server.messages.providers.parts import sms_parts
from sync.server.models import (
    BALANCE,
    BRANCH,
    MEMBER,
    MESSAGE,
    MESSAGE_CAMPAIGN,
    MESSAGE_TEMPLATE,
    REPORT_MEMBER_DAY,
    TIER,
)
from sync.server.reports.aggregates import (
    DAY_US,
    JALALI_MONTHS_EN,
    JALALI_MONTHS_FA,
    day_of,
    month_first,
    month_of,
)

P = Permission
LANGUAGES = ("fa", "en")
CHANNELS = ("sms", "email")
MAX_BODY = 1000  # characters of a template's or campaign's text (an SMS of 15 Persian parts)
MAX_SUBJECT = 200
MAX_NAME = 120
MAX_LAPSED_DAYS = 3650
MAX_LISTED = 500  # members a campaign's list names (a report's drill-down, as sync.server.reports.table)
HISTORY = 50  # messages a member's history shows, newest first
CAMPAIGN_PAGE = 50
STATUSES = ("queued", "sending", "sent", "delivered", "failed", "cancelled", "skipped")

# The kinds of message the club sends on its own (transactional), their fields and default texts: the
# sender's (sync.server.messages.templates), so what the back office edits and previews is what goes.
# (the member page's sign-in code is the server's own text: FIXED_KINDS, neither edited nor switched off)
KINDS = tuple(k for k in message_texts.KINDS if k != "campaign" and k not in message_texts.FIXED_KINDS)
FIELDS: dict[str, tuple[str, ...]] = {
    kind: tuple(sorted(fields | message_texts.COMMON_FIELDS)) for kind, fields in message_texts.FIELDS.items()
}
# what a campaign may name: the member's own facts (a campaign has no cause of its own)
CAMPAIGN_FIELDS = FIELDS["campaign"]
_FIELD = re.compile(r"\{([^{}]*)\}")
DEFAULTS = message_texts.DEFAULTS
# What ends every marketing SMS: how to stop them (the provider's inbound "لغو" reaches the server); the
# sender appends the same line, and the cost counted here includes it.
OPT_OUT = message_texts.OPT_OUT
# The Jalali months, for the birthday segment (the club keeps its calendar in Jalali): the reports' names
JALALI_MONTHS = {"fa": JALALI_MONTHS_FA, "en": JALALI_MONTHS_EN}


# ---- rendering a preview ------------------------------------------------------------------------------


def placeholders(text: str) -> list[str]:
    """The {fields} a text names, in order."""
    return [m[1] for m in _FIELD.finditer(text)]


def check_text(text: str, kind: str, *, limit: int = MAX_BODY, what: str = "body") -> str:
    """A template's or campaign's text, or 422: empty, too long, malformed, or naming a field its kind's
    messages do not have (the sender's check: sync.server.messages.templates)."""
    cleaned = text.replace("\r\n", "\n").strip()
    if not cleaned or len(cleaned) > limit:
        raise ApiError(
            422, f"invalid_{what}", f"the {what} is 1 to {limit} characters", field=what, limit=limit
        )
    try:
        message_texts.check(kind, cleaned)
    except message_texts.TemplateError as error:
        if error.problem == "unknown_field":
            raise ApiError(
                422, "unknown_field",
                f"no {kind} message has {{{error.field}}}: use {', '.join(FIELDS[kind])}",
                field=what, name=error.field,
            ) from None  # fmt: skip
        raise ApiError(
            422, "malformed_text", f"write a fact as {{name}}, braces only around it ({error})", field=what
        ) from None
    return cleaned


def render_preview(kind: str, language: str, body: str, member_facts: Mapping[str, Any]) -> str:
    """`body` with its fields filled as the sender fills them (sync.server.messages.templates.render:
    Persian digits and Toman in fa, a field with no fact left empty)."""
    del kind
    return message_texts.render(body, "", member_facts, language, marketing=False, sms=False).body


def sms_text(body: str, language: str, *, marketing: bool) -> str:
    """An SMS as it goes: a marketing one ends with the opt-out line."""
    return f"{body}\n{OPT_OUT[language]}" if marketing else body


def _today(conn: Connection, now_us: int) -> date:
    return date.fromordinal(day_of(rule_sets.current(conn), now_us))


def member_facts(conn: Connection, member_id: str, language: str, now_us: int) -> dict[str, Any]:
    """The facts a preview is made of, as the sender has them: the member's own (name, balance, tier) and
    the club's, with sample values for what a real message takes from its cause (an entry's points, an
    event's name)."""
    row = conn.execute(
        select(MEMBER.c.name, MEMBER.c.erased_at_us, TIER.c.name_fa, TIER.c.name_en, BALANCE.c.points)
        .join(TIER, TIER.c.code == MEMBER.c.tier_code)
        .outerjoin(BALANCE, BALANCE.c.member_id == MEMBER.c.id)
        .where(MEMBER.c.id == member_id)
    ).one_or_none()
    if row is None:
        raise ApiError(404, "unknown_member", "no such member")
    if row.erased_at_us is not None:
        raise ApiError(409, "member_erased", "this member's personal data was erased")
    return sample_facts(conn, language, now_us) | {
        "name": row.name,
        "balance": int(row.points or 0),
        "tier": {"fa": row.name_fa, "en": row.name_en},
    }


def sample_facts(conn: Connection, language: str, now_us: int) -> dict[str, Any]:
    """Facts for a preview without a member, and the cause's facts of any preview: every field a kind may
    name (sync.server.messages.templates.FIELDS), as the causes give them (numbers, ISO days, per-language
    names), so the preview is formatted as the message will be."""
    days = int(club.setting(conn, "messages_expiring_days"))
    fa = language == "fa"
    when = date.fromordinal(_today(conn, now_us).toordinal() + days).isoformat()
    return {
        "name": "مریم رضایی" if fa else "Maryam Rezaei",
        "club": club.setting(conn, "club_name_fa" if fa else "club_name_en"),
        "earned": 150,
        "spent": 0,
        "balance": 1250,
        "amount": 15_000_000,
        "invoice": "A-1024",
        "taken": 40,
        "given_back": 0,
        "tier": {"fa": "نقره‌ای", "en": "Silver"},
        "points": 150,
        "date": when,
        "plan": {"fa": "کارت طلایی", "en": "Gold card"},
        "event": {"fa": "شب یلدا", "en": "Yalda night"},
        "venue": {"fa": "شعبهٔ تهران", "en": "Tehran branch"},
        "link": "https://club.example/invitation?code=BGI1:…",
        "plus_ones": 1,
        "bonus": 200,
    }


# ---- templates ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TemplateText:
    language: str
    subject: str
    body: str
    edited: bool  # the club's own text (False: the default)
    sms_parts: int


@dataclass(frozen=True, slots=True)
class KindTemplates:
    kind: str
    enabled: bool
    texts: dict[str, TemplateText]


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ApiError(404, "unknown_message_kind", f"kinds are: {', '.join(KINDS)}")
    return kind


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise ApiError(422, "invalid_language", "fa or en")
    return language


def _templates(conn: Connection) -> list[KindTemplates]:
    rows = {(r.kind, r.language): r for r in conn.execute(select(MESSAGE_TEMPLATE))}
    found = []
    for kind in KINDS:
        texts = {}
        for language in LANGUAGES:
            row = rows.get((kind, language))
            subject, body = (row.subject, row.body) if row is not None else DEFAULTS[kind][language]
            texts[language] = TemplateText(language, subject, body, row is not None, sms_parts(body))
        fa_row = rows.get((kind, "fa"))
        found.append(KindTemplates(kind, fa_row is None or bool(fa_row.enabled), texts))
    return found


def templates(call: Call) -> list[KindTemplates]:
    """Every kind's texts in both languages (the club's, else the default) and whether it is sent."""
    return read(call, "message.templates", None, _templates, audited=False)


def template(call: Call, kind: str) -> KindTemplates:
    _kind(kind)
    return next(t for t in templates(call) if t.kind == kind)


def _put_template(act: Act, kind: str, language: str, values: dict[str, Any]) -> None:
    conn = act.conn
    current = conn.execute(
        select(MESSAGE_TEMPLATE).where(
            MESSAGE_TEMPLATE.c.kind == kind, MESSAGE_TEMPLATE.c.language == language
        )
    ).one_or_none()
    subject, body = DEFAULTS[kind][language]
    row = (
        {
            "kind": kind,
            "language": language,
            "subject": current.subject if current is not None else subject,
            "body": current.body if current is not None else body,
            "enabled": bool(current.enabled) if current is not None else True,
        }
        | values
        | {"updated_by": act.actor.audit_name[:120], "updated_at_us": act.now_us}
    )
    statement = dialect_insert(conn, MESSAGE_TEMPLATE).values(**row)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["kind", "language"],
            set_={k: v for k, v in row.items() if k not in ("kind", "language")},
        )
    )


def save_template(call: Call, kind: str, language: str, subject: str, body: str) -> KindTemplates:
    """The club's text of a kind in a language (the subject is the email's). Audited with the old text."""
    _kind(kind)
    _language(language)
    body = check_text(body, kind)
    subject = check_text(subject, kind, limit=MAX_SUBJECT, what="subject") if subject.strip() else ""

    def work(act: Act) -> KindTemplates:
        before = next(t for t in _templates(act.conn) if t.kind == kind).texts[language]
        act.before = {"subject": before.subject, "body": before.body}
        _put_template(act, kind, language, {"subject": subject, "body": body})
        act.after = {"subject": subject, "body": body}
        return next(t for t in _templates(act.conn) if t.kind == kind)

    return change(call, P.MESSAGES, "message.template", f"{kind}/{language}", work)


def switch_kind(call: Call, kind: str, enabled: bool) -> KindTemplates:
    """Send a kind of message or not (its fa row's `enabled`, for every language). Audited."""
    _kind(kind)

    def work(act: Act) -> KindTemplates:
        before = next(t for t in _templates(act.conn) if t.kind == kind)
        act.before, act.after = {"enabled": before.enabled}, {"enabled": enabled}
        _put_template(act, kind, "fa", {"enabled": enabled})
        return next(t for t in _templates(act.conn) if t.kind == kind)

    return change(call, P.MESSAGES, "message.switch", kind, work)


def member_by_phone(call: Call, phone: str) -> str | None:
    """The one member with this (normalised) phone, for a preview; None for none or several. The preview
    that shows their data is the audited read."""

    def work(conn: Connection) -> str | None:
        found = list(conn.execute(select(MEMBER.c.id).where(MEMBER.c.phone == phone).limit(2)).scalars())
        return str(found[0]) if len(found) == 1 else None

    return read(call, "member.find", None, work, audited=False)


@dataclass(frozen=True, slots=True)
class Preview:
    subject: str
    body: str
    sms: str  # the SMS as it goes (a marketing one with its opt-out line)
    sms_parts: int
    member_name: str | None  # whose data it shows (None: sample data)


def preview(
    call: Call,
    kind: str,
    language: str,
    subject: str,
    body: str,
    *,
    member_id: str | None = None,
    marketing: bool = False,
) -> Preview:
    """A text (`kind` a template kind or "campaign") rendered with a member's data, or sample data. With a
    member it shows their name and balance, so it is audited."""
    if kind != "campaign":
        _kind(kind)
    _language(language)
    body = check_text(body, kind)

    def work(conn: Connection) -> Preview:
        if member_id is None:
            facts = sample_facts(conn, language, call.now_us)
        else:
            facts = member_facts(conn, member_id, language, call.now_us)
        rendered = render_preview(kind, language, body, facts)
        sms = sms_text(rendered, language, marketing=marketing)
        return Preview(
            render_preview(kind, language, subject, facts), rendered, sms, sms_parts(sms),
            None if member_id is None else facts["name"],
        )  # fmt: skip

    if member_id is None:
        return read(call, "message.preview", None, work, audited=False)
    return read(call, "message.preview", member_id, work)


# ---- segments -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    """Who a campaign is for: every condition given narrows (none: every member)."""

    tier: str | None = None
    branch_id: str | None = None  # the member's home branch
    lapsed_days: int | None = None  # no purchase in this many days (and a member at least that long)
    birth_month: int | None = None  # 1-12: their birthday falls in this Jalali month this year
    member_ids: tuple[str, ...] = ()  # a report's drill-down list (at most reports.table.MAX_LISTED)

    def to_json(self) -> str:
        values = {
            "tier": self.tier, "branch_id": self.branch_id, "lapsed_days": self.lapsed_days,
            "birth_month": self.birth_month, "member_ids": list(self.member_ids),
        }  # fmt: skip
        return json.dumps({k: v for k, v in values.items() if v}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Segment:
        values = json.loads(text or "{}")
        return cls(
            values.get("tier"), values.get("branch_id"), values.get("lapsed_days"), values.get("birth_month"),
            tuple(values.get("member_ids", ())),
        )  # fmt: skip


def check_segment(conn: Connection, segment: Segment) -> Segment:
    if (
        segment.tier is not None
        and conn.execute(select(TIER.c.code).where(TIER.c.code == segment.tier)).first() is None
    ):
        raise ApiError(422, "unknown_tier", "no such tier", field="tier")
    if segment.branch_id is not None and (
        conn.execute(select(BRANCH.c.id).where(BRANCH.c.id == segment.branch_id)).first() is None
    ):
        raise ApiError(422, "unknown_branch", "no such branch", field="branch_id")
    if segment.lapsed_days is not None and not 1 <= segment.lapsed_days <= MAX_LAPSED_DAYS:
        raise ApiError(422, "invalid_lapsed_days", f"1 to {MAX_LAPSED_DAYS} days", field="lapsed_days")
    if segment.birth_month is not None and not 1 <= segment.birth_month <= 12:
        raise ApiError(422, "invalid_birth_month", "a month is 1 to 12", field="birth_month")
    if len(segment.member_ids) > MAX_LISTED:
        raise ApiError(422, "too_many_members", "a list is at most 500 members", field="member_ids")
    return segment


def _month_day(column: Any) -> ColumnElement[int]:
    return extract("month", column) * 100 + extract("day", column)  # type: ignore[no-any-return]


def _birth_month(month: int, today: date) -> ColumnElement[bool]:
    """Members whose birthday this (Jalali) year falls in Jalali month `month`: the month's first and
    last days as Gregorian month-days (Dey runs over the new year)."""
    year = jdatetime.date.fromgregorian(date=today).year
    first = jdatetime.date(year, month, 1).togregorian()
    following = jdatetime.date(year + (month == 12), month % 12 + 1, 1).togregorian()
    last = date.fromordinal(following.toordinal() - 1)
    start, end = first.month * 100 + first.day, last.month * 100 + last.day
    born = _month_day(MEMBER.c.birth_date)
    if start <= end:
        return and_(MEMBER.c.birth_date.is_not(None), born >= start, born <= end)
    return and_(MEMBER.c.birth_date.is_not(None), or_(born >= start, born <= end))


def segment_where(conn: Connection, segment: Segment, now_us: int) -> list[ColumnElement[bool]]:
    """The segment's conditions on `member`."""
    where: list[ColumnElement[bool]] = []
    if segment.tier is not None:
        where.append(MEMBER.c.tier_code == segment.tier)
    if segment.branch_id is not None:
        where.append(MEMBER.c.branch_id == segment.branch_id)
    if segment.lapsed_days is not None:
        # the reports' per-member days (sync.server.reports.aggregates), in the club's calendar
        since = day_of(rule_sets.current(conn), now_us) - segment.lapsed_days
        days = REPORT_MEMBER_DAY
        bought = exists().where(days.c.member_id == MEMBER.c.id, days.c.day > since, days.c.purchases > 0)
        where += [~bought, MEMBER.c.joined_at_us <= now_us - segment.lapsed_days * DAY_US]
    if segment.birth_month is not None:
        where.append(_birth_month(segment.birth_month, _today(conn, now_us)))
    if segment.member_ids:
        where.append(MEMBER.c.id.in_(list(segment.member_ids)))
    return where


def reachable() -> list[ColumnElement[bool]]:
    """Who a marketing message may go to: consenting, not erased (the phone is always there)."""
    return [MEMBER.c.consent_marketing.is_(True), MEMBER.c.erased_at_us.is_(None)]


def channel_of() -> ColumnElement[str]:
    """The channel a member is sent on: email when they prefer it and have an address, else SMS."""
    by_email = and_(MEMBER.c.preferred_channel == "email", MEMBER.c.email.is_not(None), MEMBER.c.email != "")
    return case((by_email, literal("email")), else_=literal("sms"))


@dataclass(frozen=True, slots=True)
class Reach:
    """Who a campaign would reach now, and what it would cost: each SMS counted in the parts of its own
    text (the member's name and balance in it, the opt-out line after it), each email at the email's cost."""

    members: int
    sms: int
    email: int
    parts: int  # the SMS parts of all of them
    sms_parts: int  # the parts of one message with sample data (the Persian text with its opt-out line)
    sms_parts_en: int  # the English text's, for comparison
    sms_rials: int
    email_rials: int

    @property
    def cost_rials(self) -> int:
        return self.sms_rials + self.email_rials


def _reach(conn: Connection, segment: Segment, body_fa: str, body_en: str, now_us: int) -> Reach:
    """The count by channel and language in one query; the SMS parts from the text alone, or, when it names
    a member's facts, from each recipient's own text (so the cost shown is what the provider bills). A
    member who reads English gets the English text when there is one (the sender's choice too)."""
    where = [*reachable(), *segment_where(conn, segment, now_us)]
    bodies = {"fa": body_fa, "en": body_en or body_fa}

    def language_of(member_language: str | None) -> str:
        return "en" if member_language == "en" and body_en else "fa"

    query = select(channel_of().label("channel"), MEMBER.c.language, func.count().label("n")).where(*where)
    sms_by_language = dict.fromkeys(LANGUAGES, 0)
    email = 0
    for r in conn.execute(query.group_by("channel", MEMBER.c.language)):
        if r.channel == "sms":
            sms_by_language[language_of(r.language)] += int(r.n)
        else:
            email += int(r.n)
    sms = sum(sms_by_language.values())
    part_rials, email_rials = club.int_settings(conn, ("messages_sms_part_rials", "messages_email_rials"))
    samples = {language: sample_facts(conn, language, now_us) for language in LANGUAGES}

    def parts_of(language: str, facts: Mapping[str, Any]) -> int:
        text = render_preview("campaign", language, bodies[language], facts)
        return sms_parts(sms_text(text, language, marketing=True))

    each = {language: parts_of(language, samples[language]) for language in LANGUAGES}
    if not placeholders(body_fa) and not placeholders(body_en):
        parts = sum(sms_by_language[language] * each[language] for language in LANGUAGES)
    else:
        parts = 0
        rows = conn.execute(
            select(MEMBER.c.name, MEMBER.c.language, BALANCE.c.points, TIER.c.name_fa, TIER.c.name_en)
            .join(TIER, TIER.c.code == MEMBER.c.tier_code)
            .outerjoin(BALANCE, BALANCE.c.member_id == MEMBER.c.id)
            .where(*where, channel_of() == "sms")
        )
        for row in rows:
            language = language_of(row.language)
            facts = samples[language] | {
                "name": row.name,
                "balance": int(row.points or 0),
                "tier": {"fa": row.name_fa, "en": row.name_en},
            }
            parts += parts_of(language, facts)
    parts_en = each["en"] if body_en else 0
    cost_sms, cost_email = parts * part_rials, email * email_rials
    return Reach(sms + email, sms, email, parts, each["fa"], parts_en, cost_sms, cost_email)


# ---- campaigns ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    name: str
    body_fa: str
    body_en: str = ""
    subject_fa: str = ""
    subject_en: str = ""
    segment: Segment = field(default_factory=Segment)


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    name: str
    segment: Segment
    body_fa: str
    body_en: str
    subject_fa: str
    subject_en: str
    status: str  # draft, scheduled, queued, cancelled
    scheduled_at_us: int | None
    queued_at_us: int | None
    members: int
    created_by: str
    created_at_us: int
    updated_at_us: int


def _campaign(row: Any, now_us: int | None = None) -> Campaign:
    """The campaign as stored; read at `now_us`, a scheduled one whose time has come shows as queued (its
    messages have been due since: the sender is sending them)."""
    status = row.status
    if status == "scheduled" and now_us is not None and (row.scheduled_at_us or 0) <= now_us:
        status = "queued"
    return Campaign(
        row.id, row.name, Segment.from_json(row.segment), row.body_fa, row.body_en, row.subject_fa,
        row.subject_en, status, row.scheduled_at_us, row.queued_at_us, row.members, row.created_by,
        row.created_at_us, row.updated_at_us,
    )  # fmt: skip


def _checked_draft(draft: CampaignDraft) -> dict[str, Any]:
    name = draft.name.strip()
    if not name or len(name) > MAX_NAME:
        raise ApiError(
            422, "invalid_campaign_name", f"a campaign's name is 1 to {MAX_NAME} characters", field="name"
        )
    subject_fa, subject_en = (
        check_text(s, "campaign", limit=MAX_SUBJECT, what="subject") if s.strip() else ""
        for s in (draft.subject_fa, draft.subject_en)
    )
    for text in (draft.body_fa, draft.body_en, draft.subject_fa, draft.subject_en):
        personal = [f for f in placeholders(text) if f not in CAMPAIGN_FIELDS]
        if personal:
            raise ApiError(
                422, "unknown_field", f"a campaign may name {', '.join(CAMPAIGN_FIELDS)}", field="body",
                name=personal[0],
            )  # fmt: skip
    return {
        "name": name,
        "body_fa": check_text(draft.body_fa, "campaign"),
        "body_en": check_text(draft.body_en, "campaign") if draft.body_en.strip() else "",
        "subject_fa": subject_fa,
        "subject_en": subject_en,
    }


def _require_campaign(conn: Connection, campaign_id: str) -> Any:
    row = conn.execute(select(MESSAGE_CAMPAIGN).where(MESSAGE_CAMPAIGN.c.id == campaign_id)).one_or_none()
    if row is None:
        raise ApiError(404, "unknown_message_campaign", "no such campaign")
    return row


def _record(campaign: Campaign) -> dict[str, Any]:
    return {
        "name": campaign.name, "segment": json.loads(campaign.segment.to_json()), "body_fa": campaign.body_fa,
        "body_en": campaign.body_en, "subject_fa": campaign.subject_fa, "subject_en": campaign.subject_en,
        "status": campaign.status, "scheduled_at_us": campaign.scheduled_at_us, "members": campaign.members,
    }  # fmt: skip


def create_campaign(call: Call, draft: CampaignDraft) -> Campaign:
    """A draft campaign: its name, texts and segment, checked. Audited."""
    values = _checked_draft(draft)
    campaign_id = str(uuid7(call.now_us // 1000, os.urandom(10)))

    def work(act: Act) -> Campaign:
        segment = check_segment(act.conn, draft.segment)
        act.conn.execute(
            MESSAGE_CAMPAIGN.insert().values(
                id=campaign_id, segment=segment.to_json(), status="draft", members=0,
                created_by=act.actor.audit_name[:120], created_at_us=act.now_us, updated_at_us=act.now_us,
                **values,
            )
        )  # fmt: skip
        created = _campaign(_require_campaign(act.conn, campaign_id))
        act.after = _record(created)
        return created

    return change(call, P.MESSAGES, "message.campaign.create", campaign_id, work)


def edit_campaign(call: Call, campaign_id: str, draft: CampaignDraft) -> Campaign:
    """A draft's name, texts and segment; a campaign once sent or scheduled is no longer a draft (409)."""
    values = _checked_draft(draft)

    def work(act: Act) -> Campaign:
        current = _campaign(_require_campaign(act.conn, campaign_id))
        if current.status != "draft":
            raise ApiError(409, "campaign_not_draft", "only a draft campaign can be changed")
        segment = check_segment(act.conn, draft.segment)
        act.before = _record(current)
        act.conn.execute(
            update(MESSAGE_CAMPAIGN)
            .where(MESSAGE_CAMPAIGN.c.id == campaign_id)
            .values(segment=segment.to_json(), updated_at_us=act.now_us, **values)
        )
        edited = _campaign(_require_campaign(act.conn, campaign_id))
        act.after = _record(edited)
        return edited

    return change(call, P.MESSAGES, "message.campaign.edit", campaign_id, work)


def campaigns(call: Call, limit: int = CAMPAIGN_PAGE) -> list[Campaign]:
    """The newest campaigns first."""

    def work(conn: Connection) -> list[Campaign]:
        query = select(MESSAGE_CAMPAIGN).order_by(MESSAGE_CAMPAIGN.c.created_at_us.desc()).limit(limit)
        return [_campaign(r, call.now_us) for r in conn.execute(query)]

    return read(call, "message.campaigns", None, work, audited=False)


@dataclass(frozen=True, slots=True)
class CampaignView:
    campaign: Campaign
    reach: Reach  # who it would reach now (for a draft: what sending would queue)
    statuses: dict[str, int]  # its messages by status
    cost_rials: int  # what its sent messages cost


def campaign(call: Call, campaign_id: str) -> CampaignView:
    """A campaign with its count and cost now, and its messages by status."""

    def work(conn: Connection) -> CampaignView:
        found = _campaign(_require_campaign(conn, campaign_id), call.now_us)
        reach = _reach(conn, found.segment, found.body_fa, found.body_en, call.now_us)
        rows = conn.execute(
            select(MESSAGE.c.status, func.count(), func.coalesce(func.sum(MESSAGE.c.cost_rials), 0))
            .where(MESSAGE.c.campaign_id == campaign_id)
            .group_by(MESSAGE.c.status)
        ).all()
        statuses = {status: int(n) for status, n, _cost in rows}
        return CampaignView(found, reach, statuses, sum(int(cost) for *_rest, cost in rows))

    return read(call, "message.campaign", campaign_id, work, audited=False)


def reach(call: Call, segment: Segment, body_fa: str, body_en: str = "") -> Reach:
    """What a campaign to `segment` would reach and cost now (before it is saved)."""
    body_fa = check_text(body_fa, "campaign")

    def work(conn: Connection) -> Reach:
        return _reach(conn, check_segment(conn, segment), body_fa, body_en.strip(), call.now_us)

    return read(call, "message.reach", None, work, audited=False)


def send(call: Call, campaign_id: str, at_us: int | None = None) -> Campaign:
    """Queue a draft campaign's messages, due now or at `at_us` (a schedule: "scheduled" until then), one
    a member of its segment who may receive marketing, in one INSERT … SELECT (a member's message once per
    campaign whatever the retries). Refused while sending is stopped, and for a time in the past."""
    if at_us is not None and at_us <= call.now_us:
        raise ApiError(422, "schedule_in_past", "a schedule is a time to come", field="schedule")

    def work(act: Act) -> Campaign:
        conn = act.conn
        current = _campaign(_require_campaign(conn, campaign_id))
        if current.status != "draft":
            raise ApiError(409, "campaign_not_draft", "this campaign is already sent, scheduled or cancelled")
        if club.setting(conn, "messages_stopped") == "1":
            raise ApiError(409, "messages_stopped", "sending is stopped: start it again first")
        due = act.now_us if at_us is None else at_us
        queued = _queue(conn, current, due, act.now_us)
        status = "queued" if at_us is None else "scheduled"
        conn.execute(
            update(MESSAGE_CAMPAIGN)
            .where(MESSAGE_CAMPAIGN.c.id == campaign_id)
            .values(status=status, scheduled_at_us=at_us, queued_at_us=act.now_us, members=queued,
                    updated_at_us=act.now_us)
        )  # fmt: skip
        act.before = {"status": current.status}
        act.after = {"status": status, "scheduled_at_us": at_us, "members": queued}
        return _campaign(_require_campaign(conn, campaign_id))

    return change(call, P.MESSAGES, "message.campaign.send", campaign_id, work)


def _new_id(conn: Connection) -> ColumnElement[str]:
    """A random UUID per row, made by the database (the rows are written by one statement)."""
    if conn.dialect.name == "postgresql":
        return func.gen_random_uuid().cast(MESSAGE.c.id.type)  # type: ignore[no-any-return]
    hexed = func.lower(func.hex(func.randomblob(16)))
    return (
        func.substr(hexed, 1, 8) + "-" + func.substr(hexed, 9, 4) + "-4" + func.substr(hexed, 14, 3) + "-a"
        + func.substr(hexed, 18, 3) + "-" + func.substr(hexed, 21, 12)
    )  # fmt: skip


def _queue(conn: Connection, campaign_row: Campaign, due_at_us: int, now_us: int) -> int:
    """The campaign's outbox rows, set-based; how many were written."""
    columns = ("id", "member_id", "cause", "kind", "marketing", "params", "campaign_id", "status", "attempts",
               "due_at_us", "created_at_us", "status_at_us")  # fmt: skip
    chosen = select(
        _new_id(conn),
        MEMBER.c.id,
        literal(f"campaign:{campaign_row.id}"),
        literal("campaign"),
        true(),
        literal("{}"),
        literal(campaign_row.id),
        literal("queued"),
        literal(0),
        literal(due_at_us),
        literal(now_us),
        literal(now_us),
    ).where(*reachable(), *segment_where(conn, campaign_row.segment, now_us))
    statement = (
        dialect_insert(conn, MESSAGE)
        .from_select(list(columns), chosen)
        .on_conflict_do_nothing(index_elements=["member_id", "cause"])
    )
    # the ids written, counted (rowcount is -1 for an INSERT … SELECT on some drivers)
    return len(conn.execute(statement.returning(MESSAGE.c.id)).all())


def cancel(call: Call, campaign_id: str) -> Campaign:
    """Cancel a draft or a campaign whose messages are still waiting: what is still queued is cancelled
    (what was sent stays sent). Audited with how many were cancelled."""

    def work(act: Act) -> Campaign:
        conn = act.conn
        current = _campaign(_require_campaign(conn, campaign_id))
        if current.status == "cancelled":
            raise ApiError(409, "campaign_cancelled", "this campaign is already cancelled")
        stopped = conn.execute(
            update(MESSAGE)
            .where(MESSAGE.c.campaign_id == campaign_id, MESSAGE.c.status == "queued")
            .values(status="cancelled", status_at_us=act.now_us, provider_answer="campaign cancelled")
        ).rowcount
        conn.execute(
            update(MESSAGE_CAMPAIGN)
            .where(MESSAGE_CAMPAIGN.c.id == campaign_id)
            .values(status="cancelled", updated_at_us=act.now_us)
        )
        act.before = {"status": current.status}
        act.after = {"status": "cancelled", "messages_cancelled": int(stopped or 0)}
        return _campaign(_require_campaign(conn, campaign_id))

    return change(call, P.MESSAGES, "message.campaign.cancel", campaign_id, work)


# ---- a member's messages --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentMessage:
    id: str
    kind: str
    marketing: bool
    campaign_id: str | None
    status: str
    channel: str | None
    recipient: str | None
    subject: str
    body: str
    parts: int
    cost_rials: int
    provider: str
    provider_answer: str
    attempts: int
    created_at_us: int
    due_at_us: int
    status_at_us: int
    sent_at_us: int | None


def may_see_history(call: Call, branch_id: str) -> bool:
    """A branch manager sees the messages of their branches' members only; head office, everyone's."""
    return call.actor.may(P.READ) and (call.actor.branch_ids is None or branch_id in call.actor.branch_ids)


def member_history(
    call: Call, member_id: str, limit: int = HISTORY, *, audited: bool = True
) -> list[SentMessage] | None:
    """The member's outbox and history, newest first; None when the actor may not see it. Audited, unless
    shown within the member's file (whose view, `member.view`, is)."""

    def work(conn: Connection) -> list[SentMessage] | None:
        branch_id = conn.execute(
            select(MEMBER.c.branch_id).where(MEMBER.c.id == member_id)
        ).scalar_one_or_none()
        if branch_id is None:
            raise ApiError(404, "unknown_member", "no such member")
        if not may_see_history(call, branch_id):
            return None
        query = (
            select(MESSAGE)
            .where(MESSAGE.c.member_id == member_id)
            .order_by(MESSAGE.c.created_at_us.desc(), MESSAGE.c.id.desc())
            .limit(limit)
        )
        return [
            SentMessage(
                r.id, r.kind, bool(r.marketing), r.campaign_id, r.status, r.channel, r.recipient, r.subject,
                r.body, r.parts, r.cost_rials, r.provider, r.provider_answer, r.attempts, r.created_at_us,
                r.due_at_us, r.status_at_us, r.sent_at_us,
            )
            for r in conn.execute(query)
        ]  # fmt: skip

    return read(call, "member.messages", member_id, work, audited=audited)


# ---- the month's cost and the outbox ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonthCost:
    month: int  # the club's (Jalali) month, as sync.server.reports.aggregates.month_of numbers it
    first_us: int
    end_us: int
    by_channel: dict[str, tuple[int, int]]  # channel → (messages sent, rials)

    @property
    def total_rials(self) -> int:
        return sum(rials for _n, rials in self.by_channel.values())

    def label(self, language: str) -> str:
        if language == "fa":
            jalali = jdatetime.date.fromgregorian(date=month_first(self.month))
            return f"{JALALI_MONTHS['fa'][jalali.month - 1]} {fmt.number(jalali.year, 'fa').replace('٬', '')}"
        first = month_first(self.month)
        return f"{JALALI_MONTHS['en'][self.month % 12]} {self.month // 12} ({first:%B %Y})"


def month_bounds(conn: Connection, month: int) -> tuple[int, int]:
    """A club month's first moment and the next month's, UTC microseconds (the club's calendar)."""
    offset_us = rule_sets.current(conn).utc_offset_minutes * 60_000_000
    first = month_first(month).toordinal() - date(1970, 1, 1).toordinal()
    following = month_first(month + 1).toordinal() - date(1970, 1, 1).toordinal()
    return first * DAY_US - offset_us, following * DAY_US - offset_us


def this_month(conn: Connection, now_us: int) -> int:
    return month_of(day_of(rule_sets.current(conn), now_us))


def month_cost(call: Call, month: int | None = None) -> MonthCost:
    """What the club's messages cost in a club month (this one by default): the sum of the messages'
    `cost_rials` by channel, by when they were sent."""

    def work(conn: Connection) -> MonthCost:
        chosen = this_month(conn, call.now_us) if month is None else month
        first_us, end_us = month_bounds(conn, chosen)
        rows = conn.execute(
            select(MESSAGE.c.channel, func.count(), func.coalesce(func.sum(MESSAGE.c.cost_rials), 0))
            .where(
                MESSAGE.c.sent_at_us >= first_us,
                MESSAGE.c.sent_at_us < end_us,
                MESSAGE.c.channel.is_not(None),
            )
            .group_by(MESSAGE.c.channel)
        ).all()
        by_channel = {channel: (0, 0) for channel in CHANNELS}
        by_channel |= {channel: (int(n), int(rials)) for channel, n, rials in rows}
        return MonthCost(chosen, first_us, end_us, by_channel)

    return read(call, "message.cost", None, work, audited=False)


def outbox_counts(call: Call) -> dict[str, int]:
    """Every message by status: what waits, what went, what failed."""

    def work(conn: Connection) -> dict[str, int]:
        rows = conn.execute(select(MESSAGE.c.status, func.count()).group_by(MESSAGE.c.status)).all()
        return {status: 0 for status in STATUSES} | {status: int(n) for status, n in rows}

    return read(call, "message.outbox", None, work, audited=False)


# ---- the stop switch ------------------------------------------------------------------------------------


def stopped(call: Call) -> bool:
    def work(conn: Connection) -> bool:
        return club.setting(conn, "messages_stopped") == "1"

    return read(call, "message.stopped", None, work, audited=False)


def set_stopped(call: Call, stop: bool) -> bool:
    """Stop every send at once (the sender sends nothing while the setting `messages_stopped` is "1"), or
    start again. Audited as the setting's change is."""

    def work(act: Act) -> bool:
        before = club.setting(act.conn, "messages_stopped")
        value = "1" if stop else "0"
        act.before, act.after = {"messages_stopped": before}, {"messages_stopped": value}
        club.put_setting(act.conn, act.pub, "messages_stopped", value)
        return stop

    return change(call, P.MESSAGES, "message.stop" if stop else "message.start", "messages_stopped", work)
