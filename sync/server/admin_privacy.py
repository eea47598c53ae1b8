# SPDX-License-Identifier: GPL-3.0-or-later
"""The admin API's privacy routes, `/v1/admin/members/{id}/…` (sync.server.club.privacy):

    GET  …/export               everything held about the member, as JSON (`?format=pdf`: a readable PDF)
    POST …/erase                erase the member's personal data everywhere, with why
    PUT  …/consent              give or withdraw the marketing consent (dated)

Thin adapters: the token's role becomes an office role (club.access.token_actor) and the use case checks
the permission (privacy: owner and manager, i.e. the admin and manager tokens; consent: member editing).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sync.protocol import UUID_PATTERN
from sync.server.admin import Viewer
from sync.server.auth import call_of
from sync.server.club import privacy

router = APIRouter(prefix="/v1/admin/members", tags=["admin", "privacy"])
MemberId = Annotated[str, Path(pattern=UUID_PATTERN)]
_PDF = {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}


class Erase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    why: Annotated[str, Field(min_length=1, max_length=500, description="why the member is erased")]


class ErasureView(BaseModel):
    member_id: str
    erased_at_us: int
    cards_revoked: list[str]
    photos_deleted: int
    card_taps_deleted: int = Field(0, description="where and when the member's chip cards were tapped")
    changes_rewritten: int
    items_rewritten: int
    audit_rows_scrubbed: int
    alerts_scrubbed: int
    entries_naming_member: list[str] = Field(
        description="the member's entries whose free text names them: kept (the ledger is never edited)"
    )


class Consent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    consent_marketing: bool


class ConsentView(BaseModel):
    member_id: str
    consent_marketing: bool
    consent_marketing_at_us: int


@router.get("/{member_id}/export", response_model=dict[str, Any], responses=_PDF)  # type: ignore[arg-type]
def export_member(
    member_id: MemberId,
    request: Request,
    admin: Viewer,
    format: Annotated[Literal["json", "pdf"], Query()] = "json",
) -> Any:
    """Everything the club holds about the member: profile, consent and its date, balances, tier history,
    cards and revocations, ledger entries, invitations, check-ins, photo metadata, alerts, audit rows."""
    call = call_of(request, admin)
    if format == "pdf":
        pdf = privacy.export_pdf(call, member_id)
        disposition = f'attachment; filename="member-{member_id}.pdf"'
        return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})
    return privacy.export(call, member_id)


@router.post("/{member_id}/erase", response_model=ErasureView)
def erase_member(member_id: MemberId, body: Erase, request: Request, admin: Viewer) -> ErasureView:
    """Erase the member's name, phone, birth date, national id and photo everywhere (terminals after their
    next sync); the ledger keeps its entries. 409 `member_erased` when done already."""
    return ErasureView(**privacy.erase(call_of(request, admin), member_id, body.why))


@router.put("/{member_id}/consent", response_model=ConsentView)
def put_consent(member_id: MemberId, body: Consent, request: Request, admin: Viewer) -> ConsentView:
    """Give or withdraw the member's marketing consent; its date is now."""
    return ConsentView(**privacy.set_consent(call_of(request, admin), member_id, body.consent_marketing))
