# SPDX-License-Identifier: GPL-3.0-or-later
"""The review queues (`/admin/review`): entries the server set aside, double admissions at the door,
negative balances and the other alerts, each decided once, by a named user (sync.server.club.review).

A decision posts the row's form; with htmx the row is replaced by its resolved state ("resolved by NAME at
TIME"), or by itself again with the refusal next to the note field; without it, the page reloads (303).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query
from fastapi.responses import RedirectResponse, Response

from sync.protocol import MAX_REVIEW_NOTE, UUID_PATTERN
from sync.server.backoffice.desk import PREFIX, Desk, Needs
from sync.server.backoffice.texts import ENTRY_KINDS, error_text
from sync.server.backoffice.web import is_htmx, render
from sync.server.club import review
from sync.server.club.access import Permission
from sync.server.errors import ApiError

router = APIRouter(prefix=PREFIX)
Reader = Annotated[Desk, Depends(Needs(Permission.READ))]
Resolver = Annotated[Desk, Depends(Needs(Permission.REVIEW_RESOLVE))]
EntryId = Annotated[str, Path(pattern=UUID_PATTERN)]
AlertId = Annotated[int, Path(ge=1, le=2**62)]
Note = Annotated[str, Form(max_length=MAX_REVIEW_NOTE * 4)]  # the use case says when it is too long

SET_ASIDE = "set-aside"
# tab → the alerts it lists (sync.server.club.review's kinds)
ALERT_TABS = {
    "double-admission": review.DOUBLE_ADMISSION,
    "negative-balance": review.NEGATIVE_BALANCE,
    "other": review.OTHER,
}
TABS = (SET_ASIDE, *ALERT_TABS)

# Why the server set an entry aside, in words (the push's and the vetting's reason codes).
REASONS = {
    "hash_mismatch": "The entry was changed after its terminal sealed it: its hash does not hold.",
    "unstorable_text": "The entry holds text the server cannot store.",
    "unknown_member": "The entry names a member the server does not hold.",
    "unknown_branch": "The entry names a branch the server does not hold.",
    "unknown_tier": "The entry moves the member to a tier the club does not have.",
    "bonus_already_granted": "Another terminal already granted this bonus to the member.",
    "wrong_branch": "The terminal wrote the entry for another branch than its own.",
    "server_only_kind": "Only the server may write this kind of entry (points expiring).",
    "primary_set_aside": "The sale this entry goes with was set aside, so it was too.",
    "staff_unknown": "The entry names a staff member the club does not know.",
    "staff_inactive": "The entry names a staff member who is no longer active.",
    "staff_other_branch": "The entry names a staff member of another branch.",
    "staff_not_permitted": "The staff member named on the entry may not do this.",
    "staff_required": "A manager's act that names no manager.",
    "unknown_rules_version": "The entry was priced by a rule-set version the server does not have.",
    "price_mismatch": "The points or amounts are not what the club's rules give for this sale.",
    "tier_not_earned": "A tier upgrade the member has not earned.",
    "no_primary_entry": "A companion entry (cashback, bonus, redemption) without its sale.",
    "reverses_unknown": "A reversal of an entry the server does not hold.",
    "reversal_exceeds": "A reversal that undoes more than the original entry.",
    "velocity_limit": "The terminal added more in an hour than the club allows one terminal.",
}
# What each alert says, in words (sync.server.alerts.ALERT_KINDS).
ALERTS = {
    "entry_edited": "An entry was changed after its terminal sealed it.",
    "entry_rejected": "An entry was set aside for review.",
    "entry_conflict": "A terminal sent another body for an entry the server already holds.",
    "item_conflict": "A terminal sent another version of a record the server already holds.",
    "item_rejected": "A terminal's record (member, card or revocation) was refused.",
    "chain_problem": "A terminal's chain of entries has a gap or is out of order.",
    "negative_balance": "A member's balance went below zero: they are on the restricted list.",
    "balance_restored": "A member's balance is back to zero or more: they are off the restricted list.",
    "duplicate_phone": "Two members share a phone number (enrolled twice, offline).",
    "photo_rejected": "A member photo was refused.",
    "double_admission": "A member was admitted to an event at two doors.",
    "velocity_limit": "A terminal went past an hourly limit; what was over it was set aside.",
    "reversed_twice": "Two terminals undid the same entry while offline.",
    "member_corrected": "A terminal enrolled a member at another branch or tier; the server corrected it.",
    "phone_code_two_terminals": "One code of a member's phone was accepted at two terminals: a copy of "
    "the phone's screen may be in use.",
    "card_two_branches": "One card was used at two branches sooner than anyone travels between them: "
    "the card may have been copied.",
    "card_counter_backwards": "A card's chip counter went backwards or repeated between two uses: the card "
    "may have been copied, or a recording played back.",
}


def _words(desk: Desk, table: dict[Any, str], code: Any) -> str:
    """A code in words in the user's language; a code the table lacks is shown as it is."""
    english = table.get(code)
    return desk.gettext(english) if english is not None else str(code)


def _helpers(desk: Desk) -> dict[str, Any]:
    return {
        "reason_text": lambda code: _words(desk, REASONS, code),
        "alert_text": lambda kind: _words(desk, ALERTS, kind),
        "kind_text": lambda kind: _words(desk, ENTRY_KINDS, kind),
        "may_resolve": lambda branch_id: desk.may(Permission.REVIEW_RESOLVE, branch_id),
    }


@router.get("/review")
def queues(
    desk: Reader,
    tab: Annotated[str, Query(max_length=32)] = SET_ASIDE,
    after: Annotated[str | None, Query(max_length=120)] = None,
    reason: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    if tab not in TABS:
        tab = SET_ASIDE
    counts = review.counts(desk.call)
    found: Any
    if tab == SET_ASIDE:
        found = review.set_aside_queue(desk.call, reason or None, after or None)
    else:
        found = review.alerts(desk.call, ALERT_TABS[tab], True, after or None)
    return render(
        desk,
        "review/page.html",
        page="review",
        tab=tab,
        counts=counts,
        found=found,
        reason=reason or "",
        reasons=sorted(REASONS),
        after=after or "",
        **_helpers(desk),
    )


def _row(desk: Desk, template: str, status: int = 200, **values: Any) -> Response:
    return render(desk, template, status=status, **_helpers(desk), **values)


def _back(tab: str) -> Response:
    return RedirectResponse(f"{PREFIX}/review?tab={tab}", status_code=303)


def _decide(desk: Desk, entry_id: str, note: str, decide: Any) -> Response:
    try:
        decided = decide(desk.call, entry_id, note)
    except ApiError as refused:
        if not is_htmx(desk):
            raise
        # the row again, as it stands now, with the refusal beside the note
        item = _set_aside_item(desk, entry_id)
        message = error_text(refused.code, desk.lang, refused.message)
        if item is None:
            return _row(desk, "review/gone_row.html", message=message, entry_id=entry_id)
        return _row(desk, "review/set_aside_row.html", item=item, error=message, note=note)
    if is_htmx(desk):
        return _row(desk, "review/set_aside_row.html", item=decided, error="", note="")
    return _back(SET_ASIDE)


def _set_aside_item(desk: Desk, entry_id: str) -> review.SetAsideItem | None:
    """One entry of the queue as it stands (for a row shown again after a refusal)."""
    return review.set_aside_entry(desk.call, entry_id)


@router.post("/review/set-aside/{entry_id}/accept")
def accept(desk: Resolver, entry_id: EntryId, note: Note = "") -> Response:
    return _decide(desk, entry_id, note, review.accept)


@router.post("/review/set-aside/{entry_id}/refuse")
def refuse(desk: Resolver, entry_id: EntryId, note: Note = "") -> Response:
    return _decide(desk, entry_id, note, review.refuse)


@router.post("/review/alerts/{alert_id}/resolve")
def resolve(
    desk: Resolver, alert_id: AlertId, note: Note = "", tab: Annotated[str, Form(max_length=32)] = "other"
) -> Response:
    try:
        resolved = review.resolve_alert(desk.call, alert_id, note)
    except ApiError as refused:
        if not is_htmx(desk):
            raise
        item = review.alert(desk.call, alert_id)
        message = error_text(refused.code, desk.lang, refused.message)
        if item is None:
            return _row(desk, "review/gone_row.html", message=message, entry_id=str(alert_id))
        return _row(desk, "review/alert_row.html", item=item, error=message, note=note, tab=tab)
    if is_htmx(desk):
        return _row(desk, "review/alert_row.html", item=resolved, error="", note="", tab=tab)
    return _back(tab if tab in ALERT_TABS else "other")
