# SPDX-License-Identifier: GPL-3.0-or-later
"""The admin API's review of set-aside entries, `/v1/admin/set-aside/…` (sync.server.club.review).

Viewers read the queue; a manager decides an entry, once, with a reason: accepts it after all (it counts)
or confirms the refusal (it never will; terminals are told). Both are audited with the decision.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from sync.protocol import MAX_REVIEW_NOTE, UUID_PATTERN, WireEntry
from sync.server.admin import Manager, Viewer, call_of
from sync.server.club import review

router = APIRouter(prefix="/v1/admin/set-aside", tags=["admin", "review"])
EntryId = Annotated[str, Path(pattern=UUID_PATTERN)]


class SetAsideView(BaseModel):
    entry: WireEntry
    reason: str
    received_at_us: int
    device_code: str
    branch_id: str | None = None  # the branch of the terminal that made it
    decision: str | None = None  # None while it waits; "refused" or "accepted"
    decided_at_us: int | None = None
    decided_by: str | None = None
    note: str | None = None
    alert_id: int | None = None
    cursor: str = ""  # pass as `after` for the entries after this one


class Decision(BaseModel):
    reason: Annotated[str, Field(min_length=3, max_length=MAX_REVIEW_NOTE)]


def _view(found: review.SetAsideItem) -> SetAsideView:
    return SetAsideView(
        entry=found.entry,
        reason=found.reason,
        received_at_us=found.received_at_us,
        device_code=found.place.device_code or "",
        branch_id=found.place.branch_id,
        decision=found.decision,
        decided_at_us=found.decided_at_us,
        decided_by=found.decided_by,
        note=found.note,
        alert_id=found.alert_id,
        cursor=found.cursor,
    )


@router.get("", response_model=list[SetAsideView])
def list_set_aside(
    request: Request,
    admin: Viewer,
    reason: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[str | None, Query(max_length=120)] = None,
) -> list[SetAsideView]:
    """Entries the server set aside, those waiting first, newest first, each with why (filter by
    `reason`; page with `after`, the last one's `cursor`)."""
    found = review.set_aside_queue(call_of(request, admin), reason, after, limit=limit)
    return [_view(f) for f in found.items]


@router.post("/{entry_id}/accept", response_model=SetAsideView)
def accept_set_aside(entry_id: EntryId, body: Decision, request: Request, admin: Manager) -> SetAsideView:
    """Count the entry after all: it joins the ledger and is published (409 `not_acceptable` for a
    repeated bonus, an edited entry, or one naming what the server does not hold; 409 `already_resolved`
    once decided)."""
    return _view(review.accept(call_of(request, admin), entry_id, body.reason))


@router.post("/{entry_id}/refuse", response_model=SetAsideView)
def refuse_set_aside(entry_id: EntryId, body: Decision, request: Request, admin: Manager) -> SetAsideView:
    """Confirm the refusal: the entry counts nowhere, for good, and terminals stop showing it as waiting
    (409 `already_resolved` once decided)."""
    return _view(review.refuse(call_of(request, admin), entry_id, body.reason))
