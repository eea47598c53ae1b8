# SPDX-License-Identifier: GPL-3.0-or-later
"""Branches: the list, add, rename, close and reopen (owners: Permission.BRANCH_MANAGE)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from sync.protocol import UUID_PATTERN, WireBranch
from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.backoffice.texts import error_text
from sync.server.backoffice.web import render
from sync.server.club import branch_admin
from sync.server.club.access import Permission
from sync.server.errors import ApiError

router = APIRouter(prefix=PREFIX + "/branches")
BranchId = Annotated[str, Path(pattern=UUID_PATTERN)]
Text = Annotated[str, Form(max_length=120)]


def _page(desk: Desk, status: int = 200, error: str = "", **form: str) -> Response:
    found = branch_admin.listing(desk.call)
    return render(desk, "branches/list.html", status=status, branches=found, error=error, form=form,
                  page="branches")  # fmt: skip


@router.get("")
def branches(desk: Annotated[Desk, Depends(Needs(Permission.READ))]) -> Response:
    return _page(desk)


@router.post("")
def add_branch(
    *,
    desk: Annotated[Desk, Depends(Needs(Permission.BRANCH_MANAGE))],
    code: Annotated[str, Form(max_length=32)],
    name_fa: Text,
    name_en: Text,
    points_per_unit: Annotated[int, Form(ge=0, le=10**9)] = 1,
    toman_per_unit: Annotated[int, Form(ge=1, le=10**11)] = 10_000,
) -> Response:
    """A new branch earning `points_per_unit` points per `toman_per_unit` Toman (rials are Toman × 10)."""
    form = {"code": code, "name_fa": name_fa, "name_en": name_en}
    try:
        branch = WireBranch(
            id=str(uuid.uuid4()),
            code=code.strip().upper(),
            name_fa=name_fa.strip(),
            name_en=name_en.strip(),
            earn_points_per_unit=points_per_unit,
            earn_rials_per_unit=toman_per_unit * 10,
            redeem_rials_per_point=1_000,
            redeem_max_share_percent=50,
        )
    except ValidationError:
        return _page(desk, 422, desk.gettext("Check the code (letters and digits) and both names."), **form)
    try:
        branch_admin.put(desk.call, branch)
    except ApiError as error:
        return _page(desk, error.status, error_text(error.code, desk.lang, error.message), **form)
    return RedirectResponse(f"{PREFIX}/branches", status_code=303)


@router.post("/{branch_id}/rename")
def rename_branch(
    *,
    desk: Annotated[Desk, Depends(Needs(Permission.BRANCH_MANAGE))],
    branch_id: BranchId,
    name_fa: Text,
    name_en: Text,
) -> Response:
    if not name_fa.strip() or not name_en.strip():
        return _page(desk, 422, desk.gettext("Both names are needed."))
    branch_admin.rename(desk.call, branch_id, name_fa, name_en)
    return RedirectResponse(f"{PREFIX}/branches", status_code=303)


@router.post("/{branch_id}/close")
def close_branch(
    desk: Annotated[Desk, Depends(Needs(Permission.BRANCH_MANAGE))], branch_id: BranchId
) -> Response:
    branch_admin.set_closed(desk.call, branch_id, True)
    return RedirectResponse(f"{PREFIX}/branches", status_code=303)


@router.post("/{branch_id}/reopen")
def reopen_branch(
    desk: Annotated[Desk, Depends(Needs(Permission.BRANCH_MANAGE))], branch_id: BranchId
) -> Response:
    branch_admin.set_closed(desk.call, branch_id, False)
    return RedirectResponse(f"{PREFIX}/branches", status_code=303)
