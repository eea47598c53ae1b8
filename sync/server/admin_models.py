# SPDX-License-Identifier: GPL-3.0-or-later
"""Bodies of the admin API (`/v1/admin/…`): strict like the wire models, and bounded like them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.event import MAX_PLUS_ONES
from app.domain.money import MAX_RIALS
from sync.protocol import (
    MAX_REVIEW_NOTE,
    Code,
    Id,
    ShortText,
    WireEvent,
    WireInvitation,
    WireMember,
    WireStaff,
)

Pin = Annotated[str, Field(min_length=4, max_length=12)]
Phone = Annotated[str, Field(min_length=3, max_length=40)]
NationalId = Annotated[str, Field(min_length=10, max_length=20)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewMember(Body):
    name: ShortText
    phone: Phone
    branch_id: Id
    tier_code: Code | None = None  # the entry tier when omitted
    birth_date: date | None = None
    national_id: NationalId | None = None  # checked, then only its last four digits are kept
    referrer_id: Id | None = None
    consent_marketing: bool = False


class MemberEdit(Body):
    name: ShortText | None = None
    phone: Phone | None = None
    tier_code: Code | None = None
    branch_id: Id | None = None
    birth_date: date | None = None
    national_id: NationalId | None = None
    consent_marketing: bool | None = None


class MemberSummary(WireMember):
    model_config = ConfigDict(extra="forbid")
    points: Annotated[int, Field(ge=-(2**62), le=2**62)] = 0
    wallet_rials: Annotated[int, Field(ge=-(2**62), le=2**62)] = 0
    restricted: bool = False


class MemberList(BaseModel):
    members: list[MemberSummary]
    limit: int
    offset: int = 0  # always 0: pages follow `next_after` (sync.server.club.members)
    next_after: str | None = None  # the next page's `after`; None on the last page


class CardView(BaseModel):
    number: str
    kind: str
    uid: str | None
    issued_at_us: int
    expires_at_us: int | None
    status: str


class MemberDetail(MemberSummary):
    spend_rials: int = 0
    purchase_count: int = 0
    last_activity_us: int = 0
    photo_sha256: str | None = None
    cards: list[CardView] = Field(default_factory=list)
    consent_marketing_at_us: int | None = None  # when the consent was given or withdrawn
    erased_at_us: int | None = None  # when the club erased the member's personal data


class Revoke(Body):
    status: Literal["lost", "revoked"] = "revoked"
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class RevocationView(BaseModel):
    id: str
    card_number: str
    status: str
    reason: str
    at_us: int


class StaffView(BaseModel):
    """Staff as the admin API shows them: never the PIN hash."""

    id: str
    name: str
    role: str
    branch_id: str | None
    active: bool
    unlocked_at_us: int | None = None  # when head office last lifted the terminals' PIN lockout

    @classmethod
    def of(cls, staff: WireStaff) -> StaffView:
        return cls(**staff.model_dump(exclude={"pin_hash"}))


class NewStaff(Body):
    name: ShortText
    role: Literal["cashier", "host", "manager", "admin"]
    branch_id: Id | None = None
    pin: Pin


class StaffEdit(Body):
    name: ShortText | None = None
    role: Literal["cashier", "host", "manager", "admin"] | None = None
    branch_id: Id | None = None
    pin: Pin | None = None
    active: bool | None = None


class NewEnrollmentCode(Body):
    branch_code: Code
    ttl_hours: Annotated[int, Field(ge=1, le=720)] = 24


class EnrollmentCodeView(BaseModel):
    code: str
    branch_code: str
    branch_id: str
    expires_at_us: int


class DeviceView(BaseModel):
    id: str
    code: str
    name: str
    branch_id: str
    number: int
    card_prefix: str
    key_id: int | None
    enrolled_at_us: int
    revoked_at_us: int | None
    last_seen_us: int | None
    last_seq: int
    contiguous_seq: int
    software_version: str | None = None  # what the terminal last said of itself (sync.protocol's headers)
    backlog: int | None = None  # entries it said wait unpushed
    reported_at_us: int | None = None


class AlertView(BaseModel):
    id: int
    at_us: int
    kind: str
    device_id: str | None
    member_id: str | None
    subject: str | None
    detail: dict[str, object]
    resolved_at_us: int | None
    resolved_by: str | None
    note: str | None = None


class AlertResolution(Body):
    note: Annotated[str, Field(max_length=MAX_REVIEW_NOTE)] = ""


class AuditView(BaseModel):
    id: int
    at_us: int
    actor: str
    action: str
    target: str | None
    detail: dict[str, object]


class SettingValue(Body):
    value: Annotated[str, Field(min_length=1, max_length=1000)]


class Settings(BaseModel):
    settings: dict[str, str]


# ---- events ---------------------------------------------------------------------------------------

MAX_INVITES = 1_000  # member ids, and phones, in one invitation request


class EventBody(WireEvent):
    """An event as the admin API takes it: the wire model, its id optional (the server makes one on
    creation; on an edit it must be the path's if given)."""

    id: Id | None = None  # type: ignore[assignment]
    # the branch holding the event (None: club-wide); left out of an edit, the event keeps its branch
    branch_id: Id | None = None


class EventView(WireEvent):
    branch_id: str | None = None  # the branch holding the event; None: club-wide
    invited: int = 0  # standing invitations by name (members invited through a tier are not counted)
    admitted: int = 0  # people inside: each admitted member once, and each plus-one
    doubly_admitted: int = 0  # members admitted by more than one standing check-in (two doors offline)


class EventList(BaseModel):
    events: list[WireEvent]
    limit: int
    offset: int


class Invite(Body):
    """Members to invite, by id or by phone; `plus_ones` given (null: the event's allowance) sets theirs,
    left out keeps what an invitation already had."""

    member_ids: Annotated[list[Id], Field(max_length=MAX_INVITES)] = Field(default_factory=list)
    phones: Annotated[list[Phone], Field(max_length=MAX_INVITES)] = Field(default_factory=list)
    plus_ones: Annotated[int, Field(ge=0, le=MAX_PLUS_ONES)] | None = None


class InviteResult(BaseModel):
    """One asked-for member: invited (new), updated, unchanged, or why not."""

    member_id: str | None = None
    phone: str | None = None
    card: str | None = None  # asked for by card number (the back office's invite field)
    outcome: Literal[
        "invited", "updated", "unchanged", "unknown_member", "invalid_phone", "ambiguous_phone",
        "unknown_card",
    ]  # fmt: skip
    invitation: WireInvitation | None = None
    members: list[str] = Field(default_factory=list)  # ambiguous_phone: the members who have it


class InviteResults(BaseModel):
    results: list[InviteResult]


class GuestView(WireInvitation):
    """A line of the guest list."""

    member_name: str
    phone: str
    tier_code: str
    admitted: bool = False  # the member is inside (a standing check-in)
    guests_admitted: int = 0  # their plus-ones inside


class CheckInView(BaseModel):
    entry_id: str
    member_id: str
    member_name: str
    device_id: str
    device_code: str
    created_at_us: int  # the door's clock: for display only
    guest: bool  # a plus-one the member brought
    undone: bool  # reversed by a manager
    double_admission: bool  # the member has more than one standing admission


class AttendanceView(BaseModel):
    event_id: str
    admitted: int  # people inside, as EventView counts them
    doubly_admitted: int
    check_ins: list[CheckInView]


class InvitationQr(BaseModel):
    text: str  # BGI1:… (app.cards.invitation_qr)
    key_id: int
    valid_until_us: int


# ---- the programme (rule sets) ------------------------------------------------------------------------

RulesVersion = Annotated[int, Field(ge=0, le=2**31)]
# the calendar ends in the year 9999 (a sale's local date is taken): 9999-12-30, UTC
MAX_QUOTE_AT_US = 253_402_214_400_000_000


class RuleSetView(BaseModel):
    """A rule-set version: its body as sync.rules writes it (the file an admin edits, in JSON)."""

    version: int
    created_at_us: int | None = None  # None: version 0, the tier and branch tables' programme
    created_by: str | None = None
    body: dict[str, Any]


class RuleSetVersion(BaseModel):
    version: int
    created_at_us: int
    created_by: str


class RuleSetVersions(BaseModel):
    current: int  # 0 until the first version is saved
    versions: list[RuleSetVersion]


class QuoteRequest(Body):
    """A sale to price as a terminal would (app.domain.pricing.price_sale)."""

    branch_code: Code
    tier_code: Code
    amount_rials: Annotated[int, Field(ge=0, le=MAX_RIALS)]
    discount_rials: Annotated[int, Field(ge=0, le=MAX_RIALS)] = 0
    category: Code | None = None
    at_us: Annotated[int, Field(ge=0, le=MAX_QUOTE_AT_US)] | None = None  # default: now
    version: RulesVersion | None = None  # default: the current version


class QuoteView(BaseModel):
    rules_version: int
    points: int  # earned by the sale, campaigns included
    base_points: int  # what the branch and tier alone give
    campaigns: list[str]  # the codes that applied
    cashback_rials: int
