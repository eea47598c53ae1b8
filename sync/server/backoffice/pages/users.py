# SPDX-License-Identifier: GPL-3.0-or-later
"""Head-office accounts (owners: Permission.USER_MANAGE): list, add, disable, set a new password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response

from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.backoffice.texts import error_text
from sync.server.backoffice.web import render
from sync.server.club import branch_admin, users
from sync.server.club.access import OFFICE_ROLES, Permission
from sync.server.errors import ApiError

router = APIRouter(prefix=PREFIX + "/users")
Name = Annotated[str, Form(max_length=64)]
Password = Annotated[str, Form(max_length=users.PASSWORD_MAX)]


def _page(desk: Desk, status: int = 200, error: str = "", done: str = "") -> Response:
    return render(
        desk, "users/list.html", status=status, error=error, done=done, users=users.listing(desk.call),
        roles=OFFICE_ROLES, branches=branch_admin.listing(desk.call), page="users",
    )  # fmt: skip


def _refused(desk: Desk, error: ApiError) -> Response:
    return _page(desk, error.status, error_text(error.code, desk.lang, error.message))


@router.get("")
def user_list(desk: Annotated[Desk, Depends(Needs(Permission.USER_MANAGE))]) -> Response:
    return _page(desk)


@router.post("")
def add_user(
    *,
    desk: Annotated[Desk, Depends(Needs(Permission.USER_MANAGE))],
    name: Name,
    role: Annotated[str, Form(max_length=16)],
    password: Password,
    branch: Annotated[list[str] | None, Form(max_length=50)] = None,
) -> Response:
    try:
        users.add(desk.call, name, role, password, branch or [])
    except ApiError as error:
        return _refused(desk, error)
    return RedirectResponse(f"{PREFIX}/users", status_code=303)


@router.post("/{name}/disable")
def disable_user(desk: Annotated[Desk, Depends(Needs(Permission.USER_MANAGE))], name: str) -> Response:
    try:
        users.disable(desk.call, name)
    except ApiError as error:
        return _refused(desk, error)
    return RedirectResponse(f"{PREFIX}/users", status_code=303)


@router.post("/{name}/password")
def new_password(
    desk: Annotated[Desk, Depends(Needs(Permission.USER_MANAGE))], name: str, password: Password
) -> Response:
    try:
        users.set_password(desk.call, name, password)
    except ApiError as error:
        return _refused(desk, error)
    return _page(desk, done=desk.gettext("The new password is set; the user's sessions have ended."))
