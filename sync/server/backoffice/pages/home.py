# SPDX-License-Identifier: GPL-3.0-or-later
"""The dashboard: today and this month at a glance, the terminals, and the review queues' open items."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse, Response

from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.backoffice.web import render
from sync.server.club import dashboard
from sync.server.club.access import Permission

router = APIRouter(prefix=PREFIX)


@router.get("")
def bare(desk: Annotated[Desk, Depends(Needs(Permission.READ))]) -> Response:
    return RedirectResponse(PREFIX + "/", status_code=307)


@router.get("/")
def home(desk: Annotated[Desk, Depends(Needs(Permission.READ))]) -> Response:
    return render(desk, "dashboard.html", glance=dashboard.glance(desk.call), page="dashboard")
