# SPDX-License-Identifier: GPL-3.0-or-later
"""A member's privacy from their file: marketing consent (with its date), everything held about them as JSON
or a readable PDF, and erasure (sync.server.club.privacy says what it removes and where)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response

from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.club import privacy
from sync.server.club.access import Permission

router = APIRouter(prefix=PREFIX + "/members/{member_id:uuid}")
_DOWNLOAD = "attachment; filename=member-{id}.{ext}"


def _file(member_id: object, anchor: str = "privacy") -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/members/{member_id}#{anchor}", status_code=303)


@router.get("/export.json")
def export_json(desk: Annotated[Desk, Depends(Needs(Permission.PRIVACY))], member_id: object) -> Response:
    data = privacy.export(desk.call, str(member_id))
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    disposition = _DOWNLOAD.format(id=member_id, ext="json")
    return Response(body, media_type="application/json", headers={"Content-Disposition": disposition})


@router.get("/export.pdf")
def export_pdf(desk: Annotated[Desk, Depends(Needs(Permission.PRIVACY))], member_id: object) -> Response:
    disposition = _DOWNLOAD.format(id=member_id, ext="pdf")
    pdf = privacy.export_pdf(desk.call, str(member_id))
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})


@router.post("/consent")
def change_consent(
    desk: Annotated[Desk, Depends(Needs(Permission.MEMBER_EDIT))],
    member_id: object,
    consent: Annotated[str, Form(max_length=3)] = "no",
) -> Response:
    privacy.set_consent(desk.call, str(member_id), consent == "yes")
    return _file(member_id)


@router.post("/erase")
def erase_member(
    desk: Annotated[Desk, Depends(Needs(Permission.PRIVACY))],
    member_id: object,
    why: Annotated[str, Form(min_length=3, max_length=500)],
    confirm: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    if confirm != "yes":  # the form's box: erasure cannot be undone
        return _file(member_id)
    privacy.erase(desk.call, str(member_id), why.strip())
    return _file(member_id, "profile-title")
