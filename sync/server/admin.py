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
import os
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy import Connection, select, update

from app.domain.digits import to_latin_digits
from app.domain.errors import ClubError
from app.domain.ids import uuid7
from app.domain.ledger import EntryDraft, EntryKind
from app.domain.member import clean_name, national_id_last4
from app.domain.money import MAX_POINTS, MAX_RIALS
from app.domain.phone import looks_like_phone, normalize_phone
from app.domain.pricing import SaleContext, price_sale
from app.domain.programme import RuleSet, TierRule, invalid
from sync.protocol import (
    SETTINGS,
    UUID_PATTERN,
    WireBranch,
    WireMember,
    WireRevocation,
    WireTier,
)
from sync.rules import from_body, load_json, to_body, too_large
from sync.server import club, members, programme
from sync.server import rules as rule_sets
from sync.server.admin_models import (
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
from sync.server.auth import Admin, admin_with
from sync.server.club import staff as staff_cases
from sync.server.club import terminals
from sync.server.club.access import token_actor
from sync.server.club.act import Call
from sync.server.errors import ApiError
from sync.server.models import ALERT, AUDIT, BALANCE, MEMBER_PHOTO, TIER
from sync.server.sequence import Publisher

T = TypeVar("T")
router = APIRouter(prefix="/v1/admin", tags=["admin"])
Viewer = Annotated[Admin, Depends(admin_with("viewer"))]
Manager = Annotated[Admin, Depends(admin_with("manager"))]
AdminRole = Annotated[Admin, Depends(admin_with("admin"))]
MemberId = Annotated[str, Path(pattern=UUID_PATTERN)]
_SETTING_RULES: dict[str, Callable[[str], bool]] = {
    "club_name_fa": lambda v: 0 < len(v.strip()) <= 120,
    "club_name_en": lambda v: 0 < len(v.strip()) <= 120,
    "revocation_max_age_s": lambda v: v.isdigit() and 60 <= int(v) <= 10 * 365 * 86400,
    "grant_share_percent": lambda v: v.isdigit() and 0 <= int(v) <= 100,
    "grant_cap_points": lambda v: v.isdigit() and 0 <= int(v) <= MAX_POINTS,
    "grant_ttl_s": lambda v: v.isdigit() and 60 <= int(v) <= 30 * 86400,
    "club_card_prefix": lambda v: re.fullmatch(r"[0-9]{1,7}", v) is not None,
    "velocity_points_per_hour": lambda v: v.isdigit() and 1 <= int(v) <= MAX_POINTS,
    "velocity_wallet_rials_per_hour": lambda v: v.isdigit() and 1 <= int(v) <= MAX_RIALS,
    "velocity_entries_per_hour": lambda v: v.isdigit() and 1 <= int(v) <= 1_000_000,
}
assert set(_SETTING_RULES) == set(SETTINGS) | set(club.SERVER_SETTINGS)


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


# ---- members -------------------------------------------------------------------------------------


def _summary(row: Any) -> MemberSummary:
    member = members.wire_member(row)
    return MemberSummary(
        **member.model_dump(),
        points=row.points or 0,
        wallet_rials=row.wallet_rials or 0,
        restricted=bool(row.restricted),
    )


@router.get("/members", response_model=MemberList)
def list_members(
    request: Request,
    admin: Viewer,
    q: Annotated[str, Query(max_length=120)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> MemberList:
    """Search by name, phone or card number (any part of it); newest first."""
    query = to_latin_digits(q).strip()
    phone = normalize_phone(query) if looks_like_phone(query) else None  # 0912… finds +98912…

    def work(conn: Connection, _pub: Publisher) -> list[Any]:
        return members.search(conn, query, limit, offset, phone)

    rows = _act(request, admin, "list_members", query or None, work)
    return MemberList(members=[_summary(r) for r in rows], limit=limit, offset=offset)


def _detail(conn: Connection, member_id: str) -> MemberDetail:
    member = members.get(conn, member_id)
    if member is None:
        raise ApiError(404, "unknown_member", "no such member")
    balance = conn.execute(select(BALANCE).where(BALANCE.c.member_id == member_id)).first()
    photo = conn.execute(select(MEMBER_PHOTO.c.sha256).where(MEMBER_PHOTO.c.member_id == member_id)).scalar()
    shown = ("points", "wallet_rials", "spend_rials", "purchase_count", "last_activity_us", "restricted")
    values = {k: getattr(balance, k) for k in shown} if balance is not None else {}
    return MemberDetail(
        **member.model_dump(),
        **values,
        photo_sha256=photo,
        cards=[CardView.model_validate(c, from_attributes=False) for c in _cards(conn, member_id)],
    )


def _cards(conn: Connection, member_id: str) -> list[dict[str, Any]]:
    return [{k: c[k] for k in CardView.model_fields} for c in members.cards_of(conn, member_id)]


@router.get("/members/{member_id}", response_model=MemberDetail)
def get_member(member_id: MemberId, request: Request, admin: Viewer) -> MemberDetail:
    return _act(request, admin, "view_member", member_id, lambda c, _p: _detail(c, member_id))


def _birth_date(value: date | None, now_us: int) -> date | None:
    today = datetime.fromtimestamp(now_us // 1_000_000, UTC).date()
    if value is not None and not date(1900, 1, 1) <= value <= today:
        raise ApiError(422, "invalid_birth_date", "the birth date is not plausible")
    return value


def _check_member(conn: Connection, member: WireMember) -> None:
    refusal = members.refusal_for_member(conn, member)
    if refusal is not None:
        raise ApiError(422, refusal, refusal.replace("_", " "))
    if conn.execute(
        select(members.MEMBER.c.id).where(
            members.MEMBER.c.phone == member.phone, members.MEMBER.c.id != member.id
        )
    ).first():
        raise ApiError(409, "duplicate_phone", "another member has this phone number")


def _entry_tier(conn: Connection) -> str:
    code = conn.execute(select(TIER.c.code).order_by(TIER.c.rank).limit(1)).scalar()
    if code is None:
        raise ApiError(409, "club_not_set_up", "the club has no tiers yet")
    return str(code)


@router.post("/members", response_model=MemberDetail, status_code=201)
def create_member(body: NewMember, request: Request, admin: Manager) -> MemberDetail:
    now = request.app.state.clock.now_us()
    name, phone = clean_name(body.name), normalize_phone(body.phone)
    last4 = national_id_last4(body.national_id) if body.national_id else None
    member_id = str(uuid7(now // 1000, os.urandom(10)))

    def work(conn: Connection, pub: Publisher) -> MemberDetail:
        member = WireMember(
            id=member_id,
            name=name,
            phone=phone,
            tier_code=body.tier_code or _entry_tier(conn),
            branch_id=body.branch_id,
            joined_at_us=now,
            birth_date=_birth_date(body.birth_date, now),
            national_id_last4=last4,
            referrer_id=body.referrer_id,
            consent_marketing=body.consent_marketing,
        )
        _check_member(conn, member)
        members.put_member(conn, pub, member)
        return _detail(conn, member_id)

    return _act(request, admin, "create_member", member_id, work)


@router.patch("/members/{member_id}", response_model=MemberDetail)
def edit_member(member_id: MemberId, body: MemberEdit, request: Request, admin: Manager) -> MemberDetail:
    now = request.app.state.clock.now_us()
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"national_id"})
    if "name" in changes:
        changes["name"] = clean_name(changes["name"] or "")
    if "phone" in changes:
        changes["phone"] = normalize_phone(changes["phone"] or "")
    if "birth_date" in changes:
        changes["birth_date"] = _birth_date(changes["birth_date"], now)
    if body.national_id is not None:
        changes["national_id_last4"] = national_id_last4(body.national_id)
    changes = {k: v for k, v in changes.items() if v is not None or k in ("birth_date", "national_id_last4")}

    def work(conn: Connection, pub: Publisher) -> MemberDetail:
        member = members.get(conn, member_id)
        if member is None:
            raise ApiError(404, "unknown_member", "no such member")
        edited = WireMember.model_validate(member.model_dump() | changes)
        _check_member(conn, edited)
        if edited.tier_code != member.tier_code:  # the ledger holds tiers: a tier_change entry moves it
            _move_tier(conn, pub, member, edited.tier_code, now)
            member = member.model_copy(update={"tier_code": edited.tier_code})
        if edited != member:
            members.put_member(conn, pub, edited)
        return _detail(conn, member_id)

    return _act(request, admin, "edit_member", member_id, work)


def _move_tier(conn: Connection, pub: Publisher, member: WireMember, tier_code: str, now: int) -> None:
    """An admin's tier placement, as the server's own tier_change entry (app.domain.tiering.standing reads
    tiers from the ledger, on every terminal): kept a whole period and grace from now, like a tier reached."""
    version = rule_sets.latest_version(conn)
    draft = EntryDraft(
        id=str(uuid7(now // 1000, os.urandom(10))),
        created_at_us=now,
        branch_id=member.branch_id,
        member_id=member.id,
        kind=EntryKind.TIER_CHANGE,
        invoice_ref=tier_code,
        reason="admin",
        rules_version=version or None,
    )
    programme.write_entries(conn, pub, [draft], now)


@router.post("/cards/{number}/revoke", response_model=RevocationView)
def revoke_card(
    number: Annotated[str, Path(pattern=r"^[0-9]{16}$")], body: Revoke, request: Request, admin: Manager
) -> RevocationView:
    now = request.app.state.clock.now_us()
    revocation = WireRevocation(
        id=str(uuid7(now // 1000, os.urandom(10))),
        card_number=number,
        status=body.status,
        reason=" ".join(body.reason.split()) or "-",
        staff_id=None,
        at_us=now,
    )

    def work(conn: Connection, pub: Publisher) -> RevocationView:
        if members.card_owner(conn, number) is None:
            raise ApiError(404, "unknown_card", "no such card")
        members.revoke(conn, pub, revocation)
        return RevocationView(**revocation.model_dump(exclude={"staff_id"}))

    return _act(request, admin, "revoke_card", number, work)


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

    def work(conn: Connection, pub: Publisher) -> WireTier:
        clash = conn.execute(select(TIER.c.code).where(TIER.c.rank == body.rank, TIER.c.code != code)).first()
        if clash is not None:
            raise ApiError(409, "rank_taken", f"tier {clash.code} has this rank")
        if rule_sets.latest_version(conn) > 0:  # the programme holds the tiers: a new version says so
            _save_rules(conn, pub, _with_tier(rule_sets.current(conn), body), admin)
        else:
            club.put_tier(conn, pub, body)
        return body

    return _act(request, admin, "put_tier", code, work)


def _with_tier(rules: RuleSet, tier: WireTier) -> RuleSet:
    """The rule set with this tier's table fields (the rest of its rule kept, a new tier's defaulted)."""
    old = next((t for t in rules.tiers if t.code == tier.code), None)
    fields = {
        "name_fa": tier.name_fa,
        "name_en": tier.name_en,
        "rank": tier.rank,
        "threshold": tier.threshold_points,
        "multiplier_percent": tier.multiplier_percent,
    }
    new = replace(old, **fields) if old is not None else TierRule(code=tier.code, **fields)  # type: ignore[arg-type]
    tiers = sorted([t for t in rules.tiers if t.code != tier.code] + [new], key=lambda t: t.rank)
    return _rules_or_422(lambda: replace(rules, tiers=tuple(tiers)))


@router.get("/branches", response_model=list[WireBranch])
def list_branches(request: Request, admin: Viewer) -> list[WireBranch]:
    return _act(request, admin, "list_branches", None, lambda c, _p: club.branches(c))


@router.put("/branches/{branch_id}", response_model=WireBranch)
def put_branch(branch_id: MemberId, body: WireBranch, request: Request, admin: AdminRole) -> WireBranch:
    """A branch and its earning rule; terminals price sales with it after their next pull."""
    if body.id != branch_id:
        raise ApiError(422, "invalid_request", "the body's id must be the path's")

    def work(conn: Connection, pub: Publisher) -> WireBranch:
        holder = club.branch_by_code(conn, body.code)
        if holder is not None and holder.id != branch_id:
            raise ApiError(409, "branch_code_taken", f"branch code {body.code} is in use")
        club.put_branch(conn, pub, body)
        if rule_sets.latest_version(conn) > 0:  # the programme prices sales: a new version if this changes it
            rules = rule_sets.current(conn)
            scenario = rule_sets.branch_rules(body)
            if rules.branch_rules(body.code) != scenario:
                others = tuple((c, b) for c, b in rules.branches if c != body.code)
                _save_rules(conn, pub, replace(rules, branches=(*others, (body.code, scenario))), admin)
        return body

    return _act(request, admin, "put_branch", branch_id, work)


# ---- the programme (rule sets) ---------------------------------------------------------------------


def _invalid_rules(error: ClubError) -> ApiError:
    """422 `invalid_rules` with `path` and `reason` (and the refusal's other details), as JSON can carry
    them (a lone surrogate in a key is shown escaped)."""
    details = {k: _printable(v) for k, v in error.params.items() if k not in ("message", "path", "reason")}
    if "code" in details:  # a bad tier or campaign code: `code` is the error's own
        details["value"] = details.pop("code")
    path, reason = (
        _printable(error.params.get("path", "")),
        _printable(error.params.get("reason", error.code)),
    )
    message = _printable(error.params.get("message") or str(reason).replace("_", " "))
    return ApiError(
        422,
        "invalid_rules",
        f"{path}: {message}" if path else str(message),
        path=path,
        reason=reason,
        **details,
    )


def _printable(value: object) -> str | int | bool | None:
    if isinstance(value, bool | int) or value is None:
        return value
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def _rules_or_422(make: Callable[[], RuleSet]) -> RuleSet:
    try:
        return make()
    except ClubError as error:
        if error.code != "invalid_rules":
            raise
        raise _invalid_rules(error) from None


def _save_rules(conn: Connection, pub: Publisher, rules: RuleSet, admin: Admin) -> RuleSet:
    return _rules_or_422(lambda: rule_sets.save(conn, pub, rules, admin.actor))


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
        raise _invalid_rules(error) from None


_RULES_BODY = {"content": {"application/json": {"schema": {"type": "object"}}}, "required": True}


@router.put("/rules", response_model=RuleSetView, openapi_extra={"requestBody": _RULES_BODY})
def put_rules(request: Request, admin: AdminRole, body: Annotated[Any, Depends(_rules_body)]) -> RuleSetView:
    """A new version: the whole rule set (sync.rules' body; its `version` is ignored, the next is given).
    Refused whole with 422 `invalid_rules`, `path` and `reason` (nothing stored); published to terminals,
    with its tiers (the tier table) and its offline grant policy (the grant settings). The body is at most
    1 MB, nests at most 16 deep, and its lists and texts have the domain's caps."""
    if not isinstance(body, dict):
        raise _invalid_rules(invalid("", "model_type", message="the body must be a JSON object"))
    rules = _rules_or_422(lambda: from_body(body | {"version": 0}))

    def work(conn: Connection, pub: Publisher) -> RuleSetView:
        return _rules_view(conn, _save_rules(conn, pub, rules, admin))

    return _act(request, admin, "put_rules", None, work)


@router.post("/rules/quote", response_model=QuoteView)
def quote(body: QuoteRequest, request: Request, admin: Viewer) -> QuoteView:
    """What a sale earns under a version (default: the current one), as a terminal prices it."""
    at_us = request.app.state.clock.now_us() if body.at_us is None else body.at_us

    def work(conn: Connection, _pub: Publisher) -> QuoteView:
        rules = rule_sets.current(conn) if body.version is None else _version(conn, body.version)
        sale = SaleContext(
            body.branch_code, body.tier_code, body.amount_rials, body.discount_rials, at_us, body.category
        )
        try:
            priced = price_sale(rules, sale)
        except ClubError as error:  # unknown_tier, unknown_category, discount_over_amount
            details = {k: _printable(v) for k, v in error.params.items() if k not in ("code", "message")}
            raise ApiError(422, error.code, error.code.replace("_", " "), **details) from None
        return QuoteView(
            rules_version=priced.rules_version,
            points=priced.points,
            base_points=priced.base_points,
            campaigns=list(priced.campaigns),
            cashback_rials=priced.cashback_rials,
        )

    return _act(request, admin, "quote", body.branch_code, work)


# ---- staff (sync.server.club.staff) ----------------------------------------------------------------


def _call(request: Request, admin: Admin) -> Call:
    """The admin token's call on a use case in sync.server.club: the same rules as the back office's."""
    actor = token_actor(admin.id, admin.name, admin.role)
    return Call(request.app.state.db, request.app.state.clock.now_us(), actor)


@router.get("/staff", response_model=list[StaffView])
def list_staff(request: Request, admin: Viewer) -> list[StaffView]:
    return [StaffView.of(s) for s in staff_cases.staff(_call(request, admin), audited=True)]


@router.post("/staff", response_model=StaffView, status_code=201)
def create_staff(body: NewStaff, request: Request, admin: Manager) -> StaffView:
    person = staff_cases.add_staff(_call(request, admin), body.name, body.role, body.branch_id, body.pin)
    return StaffView.of(person)


@router.patch("/staff/{staff_id}", response_model=StaffView)
def edit_staff(staff_id: MemberId, body: StaffEdit, request: Request, admin: Manager) -> StaffView:
    """The fields given change; `branch_id: null` moves them to no branch; a new `pin` also lifts a PIN
    lockout on the terminals."""
    given = body.model_dump(exclude_unset=True)
    # null leaves a field as it is, except the branch (as before: null is "no branch")
    fields = {k: v for k, v in given.items() if v is not None or k == "branch_id"}
    person = staff_cases.edit_staff(_call(request, admin), staff_id, staff_cases.StaffEdit(**fields))
    return StaffView.of(person)


@router.post("/staff/{staff_id}/unlock", response_model=StaffView)
def unlock_staff(staff_id: MemberId, request: Request, admin: Manager) -> StaffView:
    """Lift the PIN lockout terminals count locally, on each at its next pull."""
    return StaffView.of(staff_cases.unlock_staff(_call(request, admin), staff_id))


# ---- enrolment codes and devices (sync.server.club.terminals) -------------------------------------


@router.post("/enrollment-codes", response_model=EnrollmentCodeView, status_code=201)
def new_enrollment_code(body: NewEnrollmentCode, request: Request, admin: Manager) -> EnrollmentCodeView:
    """A one-time code a terminal enrols with (`bashgah enroll --server URL --code CODE`); shown once."""
    call = _call(request, admin)
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
    return [_device_view(d) for d in terminals.terminals(_call(request, admin), audited=True)]


@router.post("/devices/{device_id}/revoke", response_model=DeviceView)
def revoke_device(device_id: MemberId, request: Request, admin: AdminRole) -> DeviceView:
    """Refuse the device's token from now on and retire its card-signing key (its cards stay valid)."""
    return _device_view(terminals.revoke_terminal(_call(request, admin), device_id))


# ---- alerts, audit, settings -------------------------------------------------------------------------


def _detail_json(text: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except ValueError:
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}


@router.get("/alerts", response_model=list[AlertView])
def list_alerts(
    request: Request,
    admin: Viewer,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    unresolved: bool = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlertView]:
    def work(conn: Connection, _pub: Publisher) -> list[AlertView]:
        query = select(ALERT).order_by(ALERT.c.id.desc()).limit(limit)
        if kind:
            query = query.where(ALERT.c.kind == kind)
        if unresolved:
            query = query.where(ALERT.c.resolved_at_us.is_(None))
        return [
            AlertView(**(dict(r._mapping) | {"detail": _detail_json(r.detail)})) for r in conn.execute(query)
        ]

    return _act(request, admin, "list_alerts", kind, work)


@router.post("/alerts/{alert_id}/resolve", response_model=AlertView)
def resolve_alert(
    alert_id: Annotated[int, Path(ge=1, le=2**62)], request: Request, admin: Manager
) -> AlertView:
    now = request.app.state.clock.now_us()

    def work(conn: Connection, _pub: Publisher) -> AlertView:
        conn.execute(
            update(ALERT)
            .where(ALERT.c.id == alert_id, ALERT.c.resolved_at_us.is_(None))
            .values(resolved_at_us=now, resolved_by=admin.actor)
        )
        row = conn.execute(select(ALERT).where(ALERT.c.id == alert_id)).first()
        if row is None:
            raise ApiError(404, "unknown_alert", "no such alert")
        return AlertView(**(dict(row._mapping) | {"detail": _detail_json(row.detail)}))

    return _act(request, admin, "resolve_alert", str(alert_id), work)


@router.get("/audit", response_model=list[AuditView])
def audit_log(
    request: Request,
    admin: AdminRole,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> list[AuditView]:
    """Newest first; page with `before_id`."""

    def work(conn: Connection, _pub: Publisher) -> list[AuditView]:
        query = select(AUDIT).order_by(AUDIT.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(AUDIT.c.id < before_id)
        return [
            AuditView(**(dict(r._mapping) | {"detail": _detail_json(r.detail)})) for r in conn.execute(query)
        ]

    return _act(request, admin, "read_audit_log", None, work)


@router.get("/settings", response_model=Settings)
def get_settings(request: Request, admin: Viewer) -> Settings:
    return _act(request, admin, "list_settings", None, lambda c, _p: Settings(settings=club.settings(c)))


@router.put("/settings/{key}", response_model=Settings)
def put_setting(
    key: Annotated[str, Path(max_length=64)], body: SettingValue, request: Request, admin: AdminRole
) -> Settings:
    """One club-wide setting (names: sync.protocol.SETTINGS, published to every terminal; and the server's
    own, sync.server.club.SERVER_SETTINGS)."""
    rule = _SETTING_RULES.get(key)
    if rule is None:
        raise ApiError(404, "unknown_setting", f"settings are: {', '.join(sorted(_SETTING_RULES))}")
    value = body.value.strip()
    if not rule(value):
        raise ApiError(422, "invalid_setting", f"{key}: {SETTINGS.get(key, 'a whole number')}")

    def work(conn: Connection, pub: Publisher) -> Settings:
        club.put_setting(conn, pub, key, value)
        return Settings(settings=club.settings(conn))

    return _act(request, admin, "put_setting", key, work)
