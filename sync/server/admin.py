# SPDX-License-Identifier: GPL-3.0-or-later
"""The admin API, `/v1/admin/…`: the club's people and rules, managed in one place.

Bearer admin tokens (`bashgah-server admin create`), roles checked per endpoint: viewer reads; manager
also edits members, staff, cards, alerts and issues enrolment codes; admin also changes tiers, branches,
settings and devices, and reads the audit log. Every call, reads included (they show personal data), is
written to `audit_log` in the call's own transaction. Changes terminals need are published. Staff,
enrolment codes and devices go through the back office's use cases (sync.server.club.staff, .terminals),
the token acting with its office role (sync.server.club.access.token_actor).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy import Connection, select

from app.domain.errors import ClubError
from app.domain.programme import RuleSet, invalid
from sync.protocol import (
    UUID_PATTERN,
    WireBranch,
    WireTier,
)
from sync.rules import load_json, to_body, too_large
from sync.server import club, members
from sync.server import rules as rule_sets
from sync.server.admin_models import (
    AlertResolution,
    AlertView,
    AuditView,
    CardView,
    DeviceView,
    EnrollmentCodeView,
    MemberDetail,
    MemberEdit,
    MemberList,
    MemberSummary,
    NewEnrollmentCode,
    NewMember,
    NewStaff,
    QuoteRequest,
    QuoteView,
    RevocationView,
    Revoke,
    RuleSetVersion,
    RuleSetVersions,
    RuleSetView,
    Settings,
    SettingValue,
    StaffEdit,
    StaffView,
)
from sync.server.alerts import audit
from sync.server.auth import Admin, admin_with, call_of
from sync.server.club import audit as audit_use
from sync.server.club import branch_admin as branch_use
from sync.server.club import club_settings, member_file, terminals
from sync.server.club import members as club_members
from sync.server.club import programme as club_programme
from sync.server.club import review as review_queue
from sync.server.club import staff as staff_cases
from sync.server.club.members import MAX_LIMIT
from sync.server.errors import ApiError
from sync.server.models import BALANCE, MEMBER_PHOTO
from sync.server.sequence import Publisher

T = TypeVar("T")
router = APIRouter(prefix="/v1/admin", tags=["admin"])
Viewer = Annotated[Admin, Depends(admin_with("viewer"))]
Manager = Annotated[Admin, Depends(admin_with("manager"))]
AdminRole = Annotated[Admin, Depends(admin_with("admin"))]
MemberId = Annotated[str, Path(pattern=UUID_PATTERN)]


def _act(
    request: Request,
    admin: Admin,
    action: str,
    target: str | None,
    work: Callable[[Connection, Publisher], T],
) -> T:
    """Run work in one transaction with its audit row, publishing what it changed just before commit."""
    now = request.app.state.clock.now_us()

    def run(conn: Connection) -> T:
        pub = Publisher(now)
        result = work(conn, pub)
        audit(conn, now, admin.actor, action, target, role=admin.role)
        pub.flush(conn)
        return result

    return request.app.state.db.write(run)  # type: ignore[no-any-return]


def vars_of(record: audit_use.AuditRecord) -> dict[str, Any]:
    return {k: getattr(record, k) for k in ("id", "at_us", "actor", "action", "target", "detail")}


# ---- members -------------------------------------------------------------------------------------


@router.get("/members", response_model=MemberList)
def list_members(
    request: Request,
    admin: Viewer,
    *,
    q: Annotated[str, Query(max_length=120)] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    after: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> MemberList:
    """Search by name, phone or card number (sync.server.club.members says what matches: Persian and
    Arabic spellings alike, any part of a name, a phone in any digits or its last digits, a card number or
    its first 12 digits); newest first. The next page: `after` = this page's `next_after` (None on the
    last). `offset` is kept for old callers and must be 0: an offset makes the database read every member
    before the page, which a club of a million cannot afford."""
    if offset:
        raise ApiError(422, "offset_unsupported", "page with `after`: the previous page's `next_after`")
    page = club_members.search(call_of(request, admin), q, after, limit, audited=True)
    found = [MemberSummary.model_validate(asdict(row)) for row in page.rows]
    return MemberList(members=found, limit=limit, offset=0, next_after=page.next_after)


def _detail(conn: Connection, member_id: str) -> MemberDetail:
    member = members.get(conn, member_id)
    if member is None:
        raise ApiError(404, "unknown_member", "no such member")
    balance = conn.execute(select(BALANCE).where(BALANCE.c.member_id == member_id)).first()
    photo = conn.execute(select(MEMBER_PHOTO.c.sha256).where(MEMBER_PHOTO.c.member_id == member_id)).scalar()
    shown = ("points", "wallet_rials", "spend_rials", "purchase_count", "last_activity_us", "restricted")
    values = {k: getattr(balance, k) for k in shown} if balance is not None else {}
    dates = conn.execute(
        select(members.MEMBER.c.consent_marketing_at_us, members.MEMBER.c.erased_at_us).where(
            members.MEMBER.c.id == member_id
        )
    ).one()
    return MemberDetail(
        **member.model_dump(),
        **values,
        **dates._asdict(),
        photo_sha256=photo,
        cards=[CardView.model_validate(c, from_attributes=False) for c in _cards(conn, member_id)],
    )


def _cards(conn: Connection, member_id: str) -> list[dict[str, Any]]:
    return [{k: c[k] for k in CardView.model_fields} for c in members.cards_of(conn, member_id)]


@router.get("/members/{member_id}", response_model=MemberDetail)
def get_member(member_id: MemberId, request: Request, admin: Viewer) -> MemberDetail:
    return _act(request, admin, "view_member", member_id, lambda c, _p: _detail(c, member_id))


@router.post("/members", response_model=MemberDetail, status_code=201)
def create_member(body: NewMember, request: Request, admin: Manager) -> MemberDetail:
    call = call_of(request, admin)
    member = member_file.enrol(call, member_file.Enrolment(**body.model_dump()))
    with request.app.state.db.read() as conn:  # the enrolment's own audit row covers this answer
        return _detail(conn, member.id)


@router.patch("/members/{member_id}", response_model=MemberDetail)
def edit_member(member_id: MemberId, body: MemberEdit, request: Request, admin: Manager) -> MemberDetail:
    member_file.edit_profile(call_of(request, admin), member_id, body.model_dump(exclude_unset=True))
    with request.app.state.db.read() as conn:  # what was just changed (the change is audited)
        return _detail(conn, member_id)


@router.post("/cards/{number}/revoke", response_model=RevocationView)
def revoke_card(
    number: Annotated[str, Path(pattern=r"^[0-9]{16}$")], body: Revoke, request: Request, admin: Manager
) -> RevocationView:
    revocation = member_file.revoke_card(call_of(request, admin), number, body.status, body.reason)
    return RevocationView(**revocation.model_dump(exclude={"staff_id"}))


# ---- tiers and branches --------------------------------------------------------------------------


@router.get("/tiers", response_model=list[WireTier])
def list_tiers(request: Request, admin: Viewer) -> list[WireTier]:
    return _act(request, admin, "list_tiers", None, lambda c, _p: club.tiers(c))


@router.put("/tiers/{code}", response_model=WireTier)
def put_tier(
    code: Annotated[str, Path(min_length=1, max_length=32)],
    body: WireTier,
    request: Request,
    admin: AdminRole,
) -> WireTier:
    if body.code != code:
        raise ApiError(422, "invalid_request", "the body's code must be the path's")
    return club_programme.put_tier(call_of(request, admin), body)


@router.get("/branches", response_model=list[WireBranch])
def list_branches(request: Request, admin: Viewer) -> list[WireBranch]:
    return _act(request, admin, "list_branches", None, lambda c, _p: club.branches(c))


@router.put("/branches/{branch_id}", response_model=WireBranch)
def put_branch(branch_id: MemberId, body: WireBranch, request: Request, admin: AdminRole) -> WireBranch:
    """A branch and its earning rule; terminals price sales with it after their next pull."""
    if body.id != branch_id:
        raise ApiError(422, "invalid_request", "the body's id must be the path's")
    return branch_use.put(call_of(request, admin), body)


# ---- the programme (rule sets) ---------------------------------------------------------------------


def _rules_view(conn: Connection, rules: RuleSet) -> RuleSetView:
    info = next((v for v in rule_sets.versions(conn) if v.version == rules.version), None)
    return RuleSetView(
        version=rules.version,
        created_at_us=info.created_at_us if info else None,
        created_by=info.created_by if info else None,
        body=to_body(rules),
    )


def _version(conn: Connection, version: int) -> RuleSet:
    try:
        return rule_sets.get(conn, version)
    except ClubError:
        raise ApiError(404, "unknown_rules_version", f"no rule-set version {version}") from None


@router.get("/rules", response_model=RuleSetView)
def get_rules(request: Request, admin: Viewer) -> RuleSetView:
    """The current rule set (version 0 until one is saved: the tier and branch tables' programme)."""
    return _act(request, admin, "view_rules", None, lambda c, _p: _rules_view(c, rule_sets.current(c)))


@router.get("/rules/versions", response_model=RuleSetVersions)
def list_rule_versions(request: Request, admin: Viewer) -> RuleSetVersions:
    def work(conn: Connection, _pub: Publisher) -> RuleSetVersions:
        found = rule_sets.versions(conn)
        listed = [
            RuleSetVersion(version=v.version, created_at_us=v.created_at_us, created_by=v.created_by)
            for v in found
        ]
        return RuleSetVersions(current=found[-1].version if found else 0, versions=listed)

    return _act(request, admin, "list_rule_versions", None, work)


@router.get("/rules/{version}", response_model=RuleSetView)
def get_rule_version(
    version: Annotated[int, Path(ge=0, le=2**31)], request: Request, admin: Viewer
) -> RuleSetView:
    """A version as it was saved; the entries it priced name it."""
    return _act(
        request, admin, "view_rules", f"v{version}", lambda c, _p: _rules_view(c, _version(c, version))
    )


async def _rules_body(request: Request) -> Any:
    """The request's JSON, read within the rule set's caps (sync.rules): its size (far below the server's
    16 MB for any body), then its nesting, before it is parsed; 422 `invalid_rules` otherwise."""
    raw = await request.body()
    refused = too_large(len(raw))
    try:
        if refused is not None:
            raise refused
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid("", "not_utf8") from None
        return load_json(text)
    except ClubError as error:
        raise club_programme.refused(error) from None


_RULES_BODY = {"content": {"application/json": {"schema": {"type": "object"}}}, "required": True}


@router.put("/rules", response_model=RuleSetView, openapi_extra={"requestBody": _RULES_BODY})
def put_rules(request: Request, admin: AdminRole, body: Annotated[Any, Depends(_rules_body)]) -> RuleSetView:
    """A new version: the whole rule set (sync.rules' body; its `version` is ignored, the next is given).
    Refused whole with 422 `invalid_rules`, `path` and `reason` (nothing stored); published to terminals,
    with its tiers (the tier table), its branches' scenarios (the branch table) and its offline grant
    policy (the grant settings). The body is at most 1 MB, nests at most 16 deep, and its lists and texts
    have the domain's caps."""
    rules, problems = club_programme.check_body(body)
    if rules is None:
        raise club_programme.RulesRefusedError(problems)
    saved = club_programme.publish(call_of(request, admin), rules)
    with request.app.state.db.read() as conn:
        return _rules_view(conn, saved)


@router.post("/rules/quote", response_model=QuoteView)
def quote(body: QuoteRequest, request: Request, admin: Viewer) -> QuoteView:
    """What a sale earns under a version (default: the current one), as a terminal prices it."""
    quoted = club_programme.quote(
        call_of(request, admin),
        branch_code=body.branch_code,
        tier_code=body.tier_code,
        amount_rials=body.amount_rials,
        discount_rials=body.discount_rials,
        category=body.category,
        at_us=body.at_us,
        version=body.version,
        audited=True,  # every admin-API call is in the audit log
    )
    return QuoteView(
        rules_version=quoted.rules_version,
        points=quoted.points,
        base_points=quoted.base_points,
        campaigns=[c.code for c in quoted.campaigns],
        cashback_rials=quoted.cashback_rials,
    )


# ---- staff (sync.server.club.staff) ----------------------------------------------------------------


@router.get("/staff", response_model=list[StaffView])
def list_staff(request: Request, admin: Viewer) -> list[StaffView]:
    return [StaffView.of(s) for s in staff_cases.staff(call_of(request, admin), audited=True)]


@router.post("/staff", response_model=StaffView, status_code=201)
def create_staff(body: NewStaff, request: Request, admin: Manager) -> StaffView:
    person = staff_cases.add_staff(call_of(request, admin), body.name, body.role, body.branch_id, body.pin)
    return StaffView.of(person)


@router.patch("/staff/{staff_id}", response_model=StaffView)
def edit_staff(staff_id: MemberId, body: StaffEdit, request: Request, admin: Manager) -> StaffView:
    """The fields given change; `branch_id: null` moves them to no branch; a new `pin` also lifts a PIN
    lockout on the terminals."""
    given = body.model_dump(exclude_unset=True)
    # null leaves a field as it is, except the branch (as before: null is "no branch")
    fields = {k: v for k, v in given.items() if v is not None or k == "branch_id"}
    person = staff_cases.edit_staff(call_of(request, admin), staff_id, staff_cases.StaffEdit(**fields))
    return StaffView.of(person)


@router.post("/staff/{staff_id}/unlock", response_model=StaffView)
def unlock_staff(staff_id: MemberId, request: Request, admin: Manager) -> StaffView:
    """Lift the PIN lockout terminals count locally, on each at its next pull."""
    return StaffView.of(staff_cases.unlock_staff(call_of(request, admin), staff_id))


# ---- enrolment codes and devices (sync.server.club.terminals) -------------------------------------


@router.post("/enrollment-codes", response_model=EnrollmentCodeView, status_code=201)
def new_enrollment_code(body: NewEnrollmentCode, request: Request, admin: Manager) -> EnrollmentCodeView:
    """A one-time code a terminal enrols with (`bashgah enroll --server URL --code CODE`); shown once."""
    call = call_of(request, admin)
    branch_id = terminals.branch_id_of(call, body.branch_code)
    issued = terminals.new_enrolment_code(call, branch_id, body.ttl_hours)
    return EnrollmentCodeView(
        code=issued.code,
        branch_code=issued.branch_code,
        branch_id=issued.branch_id,
        expires_at_us=issued.expires_at_us,
    )


def _device_view(device: terminals.Terminal) -> DeviceView:
    return DeviceView.model_validate(device.as_dict(), from_attributes=False)


@router.get("/devices", response_model=list[DeviceView])
def list_devices(request: Request, admin: Viewer) -> list[DeviceView]:
    """Every device, with what it last said of itself (version, backlog) and when it was last seen."""
    return [_device_view(d) for d in terminals.terminals(call_of(request, admin), audited=True)]


@router.post("/devices/{device_id}/revoke", response_model=DeviceView)
def revoke_device(device_id: MemberId, request: Request, admin: AdminRole) -> DeviceView:
    """Refuse the device's token from now on and retire its card-signing key (its cards stay valid)."""
    return _device_view(terminals.revoke_terminal(call_of(request, admin), device_id))


# ---- alerts, audit, settings -------------------------------------------------------------------------


def _detail_json(text: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except ValueError:
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}


def _alert_view(item: review_queue.AlertItem) -> AlertView:
    return AlertView(
        id=item.id,
        at_us=item.at_us,
        kind=item.kind,
        device_id=item.place.device_id,
        member_id=item.member_id,
        subject=item.subject,
        detail=item.detail,
        resolved_at_us=item.resolved_at_us,
        resolved_by=item.resolved_by,
        note=item.note,
    )


@router.get("/alerts", response_model=list[AlertView])
def list_alerts(
    request: Request,
    admin: Viewer,
    *,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    unresolved: bool = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> list[AlertView]:
    """Newest first; page with `before_id` (the last id of a page). `kind=other`: every kind but
    double admissions and negative balances."""
    after = None if before_id is None else str(before_id)
    found = review_queue.alerts(call_of(request, admin), kind, unresolved, after, limit=limit)
    return [_alert_view(item) for item in found.items]


@router.post("/alerts/{alert_id}/resolve", response_model=AlertView)
def resolve_alert(
    alert_id: Annotated[int, Path(ge=1, le=2**62)],
    request: Request,
    admin: Manager,
    body: AlertResolution | None = None,
) -> AlertView:
    """Once, with an optional note (409 `already_resolved` after)."""
    note = body.note if body is not None else None
    return _alert_view(review_queue.resolve_alert(call_of(request, admin), alert_id, note))


@router.get("/audit", response_model=list[AuditView])
def audit_log(
    request: Request,
    admin: AdminRole,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> list[AuditView]:
    """Newest first; page with `before_id`."""
    found = audit_use.page(call_of(request, admin), audit_use.AuditFilter(), before_id, limit)
    return [AuditView(**vars_of(record)) for record in found.records]


@router.get("/settings", response_model=Settings)
def get_settings(request: Request, admin: Viewer) -> Settings:
    return _act(request, admin, "list_settings", None, lambda c, _p: Settings(settings=club.settings(c)))


@router.put("/settings/{key}", response_model=Settings)
def put_setting(
    key: Annotated[str, Path(max_length=64)], body: SettingValue, request: Request, admin: AdminRole
) -> Settings:
    """One club-wide setting (names: sync.protocol.SETTINGS, published to every terminal; and the server's
    own, sync.server.club.SERVER_SETTINGS); the offline-grant policy is the rule set's (409)."""
    return Settings(settings=club_settings.put_setting(call_of(request, admin), key, body.value))
