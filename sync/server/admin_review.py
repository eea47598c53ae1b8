# SPDX-License-Identifier: GPL-3.0-or-later
"""The admin API's review of set-aside entries, `/v1/admin/set-aside/…` (sync.server.review).

Viewers read the list; a manager accepts an entry after all, with a reason (audited with the decision).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from sync.protocol import UUID_PATTERN, WireEntry
from sync.server import review
from sync.server.admin import Manager, Viewer, _act
from sync.server.alerts import audit
from sync.server.sequence import Publisher

router = APIRouter(prefix="/v1/admin/set-aside", tags=["admin", "review"])
EntryId = Annotated[str, Path(pattern=UUID_PATTERN)]


class SetAsideView(BaseModel):
    entry: WireEntry
    reason: str
    received_at_us: int
    device_code: str


class Decision(BaseModel):
    reason: Annotated[str, Field(min_length=3, max_length=500)]


def _view(found: review.SetAside) -> SetAsideView:
    return SetAsideView(
        entry=found.entry,
        reason=found.reason,
        received_at_us=found.received_at_us,
        device_code=found.device_code,
    )


@router.get("", response_model=list[SetAsideView])
def list_set_aside(
    request: Request,
    admin: Viewer,
    reason: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SetAsideView]:
    """Entries the server set aside, newest first, each with why (filter by `reason`)."""
    found = _act(
        request, admin, "list_set_aside", reason, lambda c, _p: review.listing(c, reason=reason, limit=limit)
    )
    return [_view(f) for f in found]


@router.post("/{entry_id}/accept", response_model=SetAsideView)
def accept_set_aside(entry_id: EntryId, body: Decision, request: Request, admin: Manager) -> SetAsideView:
    """Count the entry after all: it joins the ledger and is published (409 `not_acceptable` for a
    repeated bonus, an edited entry, or one naming what the server does not hold)."""

    def work(conn, pub: Publisher) -> review.SetAside:  # type: ignore[no-untyped-def]
        accepted = review.accept(conn, pub, entry_id)
        audit(
            conn, pub.at_us, admin.actor, "accepted_set_aside", entry_id, was=accepted.reason, why=body.reason
        )
        return accepted

    return _view(_act(request, admin, "accept_set_aside", entry_id, work))
