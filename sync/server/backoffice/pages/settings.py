# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's settings: everyone signed in sees them, owners change them (one at a time, audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path
from fastapi.responses import RedirectResponse, Response

from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.backoffice.texts import SETTING_NAMES, error_text
from sync.server.backoffice.web import render
from sync.server.club import club_settings
from sync.server.club.access import Permission
from sync.server.errors import ApiError

router = APIRouter(prefix=PREFIX + "/settings")


def _page(desk: Desk, status: int = 200, error: str = "", failed: str = "") -> Response:
    values = club_settings.settings(desk.call)
    rows = [(key, SETTING_NAMES[key], values.get(key, "")) for key in club_settings.EDITABLE]
    return render(desk, "settings/list.html", status=status, rows=rows, error=error, failed=failed,
                  page="settings")  # fmt: skip


@router.get("")
def settings_page(desk: Annotated[Desk, Depends(Needs(Permission.READ))]) -> Response:
    return _page(desk)


@router.post("/{key}")
def change_setting(
    desk: Annotated[Desk, Depends(Needs(Permission.SETTINGS))],
    key: Annotated[str, Path(max_length=64)],
    value: Annotated[str, Form(max_length=1000)],
) -> Response:
    try:
        club_settings.put_setting(desk.call, key, value)
    except ApiError as refused:
        return _page(desk, refused.status, error_text(refused.code, desk.lang, refused.message), key)
    return RedirectResponse(f"{PREFIX}/settings", status_code=303)
