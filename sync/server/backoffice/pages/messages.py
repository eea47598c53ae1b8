# SPDX-License-Identifier: GPL-3.0-or-later
"""The messages pages: the overview (the switch that stops all sending, the outbox by status, the month's
cost per channel, the campaigns), each kind's template in Persian and English (edited, previewed with a
member's data, switched on or off), and campaigns (a new one with its segment, its count and cost
previewed before it is saved; its page with its deliveries; sending now or at a time; cancelling).

Routes read the form, call sync.server.club.messages and render; the rules are the use cases'. Everyone
who reads the back office sees these pages; changing anything is Permission.MESSAGES (owners, head-office
managers, marketing). A member's history is on the member's page (pages/members.py).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from app import format as fmt
from app.domain.digits import to_latin_digits
from app.domain.errors import ClubError
from app.domain.phone import looks_like_phone, normalize_phone
from sync.protocol import UUID_PATTERN
from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.backoffice.pages.events import parse_moment
from sync.server.backoffice.texts import error_text
from sync.server.backoffice.web import render
from sync.server.club import events, messages
from sync.server.club.access import Permission
from sync.server.errors import ApiError
from sync.server.reports import drill, filtering

router = APIRouter(prefix=PREFIX + "/messages")
REPORT_FILTERS = ("from", "to", "branch", "tier", "campaign")  # a report's filters (pages/reports.py)
Reader = Annotated[Desk, Depends(Needs(Permission.READ))]
Sender = Annotated[Desk, Depends(Needs(Permission.MESSAGES))]
Kind = Annotated[str, Path(pattern=r"^[a-z_]{1,32}$")]
Language = Annotated[str, Path(pattern=r"^(fa|en)$")]
CampaignId = Annotated[str, Path(pattern=UUID_PATTERN)]
Text = Annotated[str, Form(max_length=400)]
Body = Annotated[str, Form(max_length=4000)]
# what a page says after a change it redirected from (the only messages `done` may name)
DONE = {
    "saved": "The template is saved.",
    "switched": "The change is saved.",
    "edited": "The draft is saved. Check its count and cost again.",
    "created": "The campaign is saved as a draft. Check its count and cost, then send it.",
    "sent": "The campaign's messages are queued.",
    "scheduled": "The campaign is scheduled.",
    "cancelled": "The campaign is cancelled.",
    "stopped": "All sending is stopped.",
    "started": "Sending has started again.",
}
# where a refusal is shown on a form
_FIELD_OF = {
    "invalid_body": "body",
    "invalid_subject": "subject",
    "unknown_field": "body",
    "invalid_campaign_name": "name",
    "unknown_tier": "tier",
    "unknown_branch": "branch_id",
    "invalid_lapsed_days": "lapsed_days",
    "invalid_birth_month": "birth_month",
    "unknown_member": "member",
    "member_erased": "member",
    "schedule_in_past": "schedule",
}
KIND_NAMES = {
    "points_earned": "A sale's points (earned and spent)",
    "return": "A return's points taken back",
    "tier_upgrade": "Tier upgrade",
    "points_expiring": "Points expiring soon",
    "membership_ending": "Paid membership ending",
    "invitation": "Event invitation",
    "birthday": "Birthday greeting",
}
assert set(KIND_NAMES) == set(messages.KINDS), "every kind the sender sends is named here"
STATUS_NAMES = {
    "draft": "Draft",
    "scheduled": "Scheduled",
    "queued": "Queued",
    "sending": "Sending",
    "sent": "Sent",
    "delivered": "Delivered",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "skipped": "Skipped",
}


def _refusal(desk: Desk, error: ApiError) -> dict[str, str]:
    field = error.extra.get("field") if isinstance(error.extra.get("field"), str) else None
    text = error_text(error.code, desk.lang, error.message)
    if "{" in text:
        text = text.replace("{field}", "{" + str(error.extra.get("name", "")) + "}")
        text = text.replace("{limit}", fmt.number(int(error.extra.get("limit", 0) or 0), desk.lang))
    return {_FIELD_OF.get(error.code, field or "form"): text}


def _member_id(desk: Desk, typed: str) -> str | None:
    """The member a preview shows: typed as an id or a phone; None when nothing was typed."""
    text = to_latin_digits(typed).strip()
    if not text:
        return None
    if re.fullmatch(UUID_PATTERN, text.lower()):
        return text.lower()
    if looks_like_phone(text):
        found = messages.member_by_phone(desk.call, normalize_phone(text))
        if found is not None:
            return found
    raise ApiError(404, "unknown_member", "no member has this id or phone number")


# ---- the overview -------------------------------------------------------------------------------------


@router.get("")
def overview(
    desk: Reader,
    done: Annotated[str, Query(max_length=20)] = "",
    month: Annotated[int | None, Query(ge=12 * 1300, le=12 * 1600)] = None,
) -> Response:
    return _overview(desk, done=done, month=month)


def _overview(
    desk: Desk, *, status: int = 200, done: str = "", month: int | None = None, error: str = ""
) -> Response:
    cost = messages.month_cost(desk.call, month)
    return render(
        desk, "messages/overview.html", status=status, page="messages", stopped=messages.stopped(desk.call),
        outbox=messages.outbox_counts(desk.call), cost=cost, campaigns=messages.campaigns(desk.call),
        templates=messages.templates(desk.call), kind_names=KIND_NAMES, status_names=STATUS_NAMES,
        done=DONE.get(done, ""), error=error, may_send=desk.may(Permission.MESSAGES),
    )  # fmt: skip


@router.post("/stop")
def stop_switch(desk: Sender, stop: Text = "", confirm: Text = "") -> Response:
    """Stop all sending (or start it again): a ticked confirmation, audited."""
    if stop not in ("1", "0") or confirm != "yes":
        return _overview(desk, status=422, error=desk.gettext("Tick the box to confirm."))
    messages.set_stopped(desk.call, stop == "1")
    return RedirectResponse(
        f"{PREFIX}/messages?done={'stopped' if stop == '1' else 'started'}", status_code=303
    )


# ---- templates ----------------------------------------------------------------------------------------


def _template_page(
    desk: Desk,
    kind: str,
    *,
    status: int = 200,
    forms: dict[str, dict[str, str]] | None = None,
    errors: dict[str, dict[str, str]] | None = None,
    previews: dict[str, messages.Preview] | None = None,
    done: str = "",
) -> Response:
    found = messages.template(desk.call, kind)
    values = {
        lang: {"subject": text.subject, "body": text.body, "member": ""} for lang, text in found.texts.items()
    } | (forms or {})
    return render(
        desk, "messages/template.html", status=status, page="messages", t=found, kind_name=KIND_NAMES[kind],
        values=values, errors=errors or {}, previews=previews or {}, fields=messages.FIELDS[kind],
        done=DONE.get(done, ""), may_send=desk.may(Permission.MESSAGES),
    )  # fmt: skip


@router.get("/templates/{kind}")
def template_page(desk: Reader, kind: Kind, done: Annotated[str, Query(max_length=20)] = "") -> Response:
    return _template_page(desk, kind, done=done)


@router.post("/templates/{kind}/switch")
def switch(desk: Sender, kind: Kind, enabled: Text = "") -> Response:
    messages.switch_kind(desk.call, kind, enabled == "yes")
    return RedirectResponse(f"{PREFIX}/messages/templates/{kind}?done=switched", status_code=303)


@router.post("/templates/{kind}/{language}")
def save_template(
    desk: Sender,
    kind: Kind,
    language: Language,
    *,
    subject: Text = "",
    body: Body = "",
    member: Text = "",
    action: Text = "save",
) -> Response:
    """Save the text, or (`action=preview`) show it rendered with a member's data, or sample data."""
    form = {language: {"subject": subject, "body": body, "member": member}}
    try:
        if action == "preview":
            shown = messages.preview(
                desk.call, kind, language, subject, body, member_id=_member_id(desk, member)
            )
            return _template_page(desk, kind, forms=form, previews={language: shown})
        messages.save_template(desk.call, kind, language, subject, body)
    except ApiError as error:
        if error.code in ("unknown_message_kind", "forbidden"):
            raise
        return _template_page(
            desk, kind, status=error.status, forms=form, errors={language: _refusal(desk, error)}
        )
    return RedirectResponse(f"{PREFIX}/messages/templates/{kind}?done=saved", status_code=303)


# ---- campaigns ----------------------------------------------------------------------------------------


def _choices(desk: Desk) -> dict[str, Any]:
    tiers, branches = events.choices(desk.call)
    return {
        "tiers": tiers,
        "branches": branches,
        "months": messages.JALALI_MONTHS[desk.lang],
        "tier_names": {t.code: t.name_fa if desk.lang == "fa" else t.name_en for t in tiers},
        "branch_names": {b.id: b.name_fa if desk.lang == "fa" else b.name_en for b in branches},
    }


_BLANK = {
    "name": "", "body_fa": "", "body_en": "", "subject_fa": "", "subject_en": "", "tier": "", "branch_id": "",
    "lapsed_days": "", "birth_month": "", "members": "",
}  # fmt: skip


def _whole(text: str) -> int | None:
    text = to_latin_digits(text).strip()
    return int(text) if text.isdigit() and len(text) < 6 else None


def _segment(desk: Desk, form: dict[str, str]) -> messages.Segment:
    errors = {}
    lapsed = _whole(form["lapsed_days"]) if form["lapsed_days"].strip() else None
    if form["lapsed_days"].strip() and lapsed is None:
        errors["lapsed_days"] = desk.gettext("Days without a purchase: a whole number, or empty.")
    month = _whole(form["birth_month"]) if form["birth_month"].strip() else None
    listed = tuple(dict.fromkeys(re.findall(UUID_PATTERN.strip("^$"), form["members"].lower())))
    if errors:
        raise _FormError(errors)
    return messages.Segment(
        tier=form["tier"] or None, branch_id=form["branch_id"] or None, lapsed_days=lapsed, birth_month=month,
        member_ids=listed,
    )  # fmt: skip


class CampaignForm(BaseModel):
    """A campaign's form as typed (create and edit): checked by the use case, echoed back on a refusal."""

    name: str = Field("", max_length=400)
    body_fa: str = Field("", max_length=4000)
    body_en: str = Field("", max_length=4000)
    subject_fa: str = Field("", max_length=400)
    subject_en: str = Field("", max_length=400)
    tier: str = Field("", max_length=400)
    branch_id: str = Field("", max_length=400)
    lapsed_days: str = Field("", max_length=400)
    birth_month: str = Field("", max_length=400)
    members: str = Field("", max_length=20_000)


CampaignFields = Annotated[CampaignForm, Form()]


class _FormError(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def _draft(desk: Desk, form: dict[str, str]) -> messages.CampaignDraft:
    return messages.CampaignDraft(
        name=form["name"], body_fa=form["body_fa"], body_en=form["body_en"], subject_fa=form["subject_fa"],
        subject_en=form["subject_en"], segment=_segment(desk, form),
    )  # fmt: skip


@router.get("/campaigns/new")
def new_campaign(desk: Sender) -> Response:
    """A new campaign's form. Opened from a report's drill-down of members (its address: the report's
    filters and the drill's `drill`/`d_*` keys), its list of members is the drill-down's."""
    params = desk.request.query_params
    form, errors = dict(_BLANK), {}
    if "drill" in params:
        try:
            listed, complete = drill_members(desk, params)
        except (drill.DrillError, ClubError):
            errors["member_ids"] = desk.gettext(
                "This report's list could not be read: open it again from the report."
            )
        else:
            form["members"] = "\n".join(listed)
            if not complete:
                errors["member_ids"] = desk.gettext(
                    "The report's list is longer than a campaign's list: only its first 500 members are here."
                )
    return render(
        desk, "messages/new.html", page="messages", form=form, errors=errors, reach=None, **_choices(desk)
    )


def drill_members(desk: Desk, params: Any) -> tuple[list[str], bool]:
    """The members of a report's drill-down (at most a campaign's list), by id; and whether that is all."""
    wanted = drill.from_query(params)
    if wanted.target != "members":
        raise drill.DrillError("drill")
    typed = {key: str(params.get(key, ""))[: filtering.MAX_TYPED * 2] for key in REPORT_FILTERS}
    filters = filtering.parse(desk.call, typed)
    listed: list[str] = []
    after = None
    while len(listed) < messages.MAX_LISTED:
        found = drill.members_page(desk.call, wanted, filters, after, limit=drill.PAGE)
        listed += [line.id for line in found.lines]
        after = found.after
        if after is None:
            return listed[: messages.MAX_LISTED], len(listed) <= messages.MAX_LISTED
    return listed[: messages.MAX_LISTED], False


@router.post("/campaigns/new")
def create_campaign(desk: Sender, fields: CampaignFields, action: Text = "save") -> Response:
    """Save the draft, or (`action=preview`) show how many it would reach and what it would cost."""
    form = fields.model_dump()
    subject_fa, body_fa = fields.subject_fa, fields.body_fa
    reach = None
    try:
        draft = _draft(desk, form)
        if action == "preview":
            reach = messages.reach(desk.call, draft.segment, draft.body_fa, draft.body_en)
            sample = messages.preview(desk.call, "campaign", "fa", subject_fa, body_fa, marketing=True)
            return render(
                desk, "messages/new.html", page="messages", form=form, errors={}, reach=reach, sample=sample,
                **_choices(desk),
            )  # fmt: skip
        created = messages.create_campaign(desk.call, draft)
    except _FormError as error:
        errors, status = error.errors, 422
    except ApiError as error:
        if error.code == "forbidden":
            raise
        errors, status = _refusal(desk, error), error.status
    else:
        return RedirectResponse(f"{PREFIX}/messages/campaigns/{created.id}?done=created", status_code=303)
    return render(
        desk, "messages/new.html", status=status, page="messages", form=form, errors=errors, reach=None,
        **_choices(desk),
    )  # fmt: skip


def _form_of(campaign: messages.Campaign) -> dict[str, str]:
    segment = campaign.segment
    return {
        "name": campaign.name, "body_fa": campaign.body_fa, "body_en": campaign.body_en,
        "subject_fa": campaign.subject_fa, "subject_en": campaign.subject_en, "tier": segment.tier or "",
        "branch_id": segment.branch_id or "", "lapsed_days": str(segment.lapsed_days or ""),
        "birth_month": str(segment.birth_month or ""), "members": "\n".join(segment.member_ids),
    }  # fmt: skip


def _campaign_page(
    desk: Desk,
    campaign_id: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    done: str = "",
    form: dict[str, str] | None = None,
) -> Response:
    view = messages.campaign(desk.call, campaign_id)
    return render(
        desk, "messages/campaign.html", status=status, page="messages", v=view, c=view.campaign,
        errors=errors or {}, done=DONE.get(done, ""), status_names=STATUS_NAMES, statuses=messages.STATUSES,
        may_send=desk.may(Permission.MESSAGES), form=form or _form_of(view.campaign),
        editing=form is not None, **_choices(desk),
    )  # fmt: skip


@router.post("/campaigns/{campaign_id}/edit")
def edit_campaign(desk: Sender, campaign_id: CampaignId, fields: CampaignFields) -> Response:
    """A draft's texts and segment changed (its count and cost are shown again on its page)."""
    form = fields.model_dump()
    try:
        messages.edit_campaign(desk.call, campaign_id, _draft(desk, form))
    except _FormError as error:
        return _campaign_page(desk, campaign_id, status=422, errors=error.errors, form=form)
    except ApiError as error:
        if error.code in ("unknown_message_campaign", "forbidden"):
            raise
        return _campaign_page(desk, campaign_id, status=error.status, errors=_refusal(desk, error), form=form)
    return RedirectResponse(f"{PREFIX}/messages/campaigns/{campaign_id}?done=edited", status_code=303)


@router.get("/campaigns/{campaign_id}")
def campaign_page(
    desk: Reader, campaign_id: CampaignId, done: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    return _campaign_page(desk, campaign_id, done=done)


@router.post("/campaigns/{campaign_id}/send")
def send_campaign(
    desk: Sender,
    campaign_id: CampaignId,
    *,
    when: Text = "now",
    schedule_date: Text = "",
    schedule_time: Text = "",
    confirm: Text = "",
) -> Response:
    _ = desk.gettext
    if confirm != "yes":
        return _campaign_page(desk, campaign_id, status=422, errors={"send": _("Tick the box to confirm.")})
    at_us = None
    if when == "later":
        at_us = parse_moment(schedule_date, schedule_time)
        if at_us is None:
            errors = {"schedule": _("Type a date like 1405/09/30 and a time like 18:30.")}
            return _campaign_page(desk, campaign_id, status=422, errors=errors)
    try:
        messages.send(desk.call, campaign_id, at_us)
    except ApiError as error:
        if error.code in ("unknown_message_campaign", "forbidden"):
            raise
        refused = _refusal(desk, error)
        return _campaign_page(
            desk, campaign_id, status=error.status, errors={"send": next(iter(refused.values()))}
        )
    done = "sent" if at_us is None else "scheduled"
    return RedirectResponse(f"{PREFIX}/messages/campaigns/{campaign_id}?done={done}", status_code=303)


@router.post("/campaigns/{campaign_id}/cancel")
def cancel_campaign(desk: Sender, campaign_id: CampaignId, confirm: Text = "") -> Response:
    if confirm != "yes":
        errors = {"cancel": desk.gettext("Tick the box to confirm.")}
        return _campaign_page(desk, campaign_id, status=422, errors=errors)
    try:
        messages.cancel(desk.call, campaign_id)
    except ApiError as error:
        if error.code in ("unknown_message_campaign", "forbidden"):
            raise
        return _campaign_page(
            desk,
            campaign_id,
            status=error.status,
            errors={"cancel": next(iter(_refusal(desk, error).values()))},
        )
    return RedirectResponse(f"{PREFIX}/messages/campaigns/{campaign_id}?done=cancelled", status_code=303)
