# SPDX-License-Identifier: GPL-3.0-or-later
"""What a terminal may change through the items it pushes (members, cards, revocations, photos): what a
till does at its counter, and no more.

- A member it enrols joins at the terminal's branch in the club's entry tier, whatever the record says (a
  correction is alerted). Only the terminal that enrolled a member may push the record again, and then the
  tier (the ledger's), branch, join time and referrer stay as the server holds them; everyone else's
  members are `member_not_yours`. Members enrolled by the club office are no terminal's. An erased member
  is no one's (`member_erased`, also for a retried item the server had accepted before the erasure), and a
  terminal cannot send the erased mark itself (`invalid_phone`).
- A new card's number is from the terminal's own series (`card_not_in_series`); a card already known may
  only be bound to a chip it was not bound to (`card_change_not_allowed`); an erased member gets no card
  (`member_erased`).
- A revocation names a manager who may revoke cards here (sync.server.vetting.staffing).
- A photo goes to a member the terminal enrolled, or of its branch, or who has none yet, and never to an
  erased member (`photo_not_permitted`): the door trusts the face it shows.

Every change a terminal makes to a member is one audit row, beside the change, as the admin API's are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from app.domain.staff import Action
from sync.protocol import WireCard, WireMember, WireRevocation
from sync.server.alerts import audit
from sync.server.models import CARD, MEMBER, MEMBER_PHOTO, TIER
from sync.server.vetting import staffing
from sync.server.vetting.scope import Scope

# what an edit by the enrolling terminal cannot move: the ledger's tier, and the facts of the enrolment
_KEPT = ("tier_code", "branch_id", "joined_at_us", "referrer_id")
_CARD_FIXED = ("kind", "member_id", "issued_at_us", "expires_at_us", "payload_version")


def actor(scope: Scope) -> str:
    return f"device:{scope.device_code} ({scope.device_id})"


def member_refusal(conn: Connection, scope: Scope, member: WireMember) -> str | None:
    stored = _stored_member(conn, member.id)
    if stored is not None and stored.erased_at_us is not None:
        return "member_erased"  # a till that held the record from before the erasure never brings it back
    if stored is not None and stored.enrolled_by != scope.device_id:
        return "member_not_yours"
    if member.is_erased():
        return "invalid_phone"  # only the club erases a member: a till cannot mark one so
    return None


def is_erased(conn: Connection, member_id: str) -> bool:
    erased = select(MEMBER.c.erased_at_us).where(MEMBER.c.id == member_id)
    return conn.execute(erased).scalar_one_or_none() is not None


def member_as_allowed(
    conn: Connection, scope: Scope, member: WireMember
) -> tuple[WireMember, dict[str, Any]]:
    """The record as the server keeps it, and what was corrected in it (field → what the terminal sent)."""
    stored = _stored_member(conn, member.id)
    if stored is None:
        wanted = {"branch_id": scope.branch_id, "tier_code": _entry_tier(conn) or member.tier_code}
    else:
        wanted = {name: getattr(stored, name) for name in _KEPT}
    corrections = {k: getattr(member, k) for k, v in wanted.items() if getattr(member, k) != v}
    return member.model_copy(update=wanted), corrections


def audit_member(conn: Connection, scope: Scope, member: WireMember, *, new: bool, at_us: int) -> None:
    action = "member_enrolled_by_terminal" if new else "member_edited_by_terminal"
    audit(conn, at_us, actor(scope), action, member.id, name=member.name, phone=member.phone)


def _stored_member(conn: Connection, member_id: str) -> Any:
    columns = [MEMBER.c.enrolled_by, MEMBER.c.erased_at_us, *(MEMBER.c[name] for name in _KEPT)]
    return conn.execute(select(*columns).where(MEMBER.c.id == member_id)).first()


def _entry_tier(conn: Connection) -> str | None:
    return conn.execute(select(TIER.c.code).order_by(TIER.c.rank).limit(1)).scalar_one_or_none()


def card_refusal(conn: Connection, scope: Scope, card: WireCard) -> str | None:
    if is_erased(conn, card.member_id):
        return "member_erased"  # their cards were revoked: a till that had not heard issues none
    stored = conn.execute(select(CARD).where(CARD.c.number == card.number)).first()
    if stored is None:
        return None if card.number.startswith(scope.card_prefix) else "card_not_in_series"
    moved = any(getattr(stored, name) != getattr(card, name) for name in _CARD_FIXED)
    rebound = stored.uid is not None and stored.uid != card.uid
    return "card_change_not_allowed" if moved or rebound else None


def revocation_refusal(conn: Connection, scope: Scope, revocation: WireRevocation) -> str | None:
    return staffing.staff_refusal(conn, scope.branch_id, revocation.staff_id, Action.REVOKE_CARD)


def photo_refusal(conn: Connection, device_id: str, branch_id: str, member_id: str) -> str | None:
    """Why this terminal may not set the member's photo (None: it may)."""
    columns = (MEMBER.c.enrolled_by, MEMBER.c.branch_id, MEMBER.c.erased_at_us)
    stored = conn.execute(select(*columns).where(MEMBER.c.id == member_id)).first()
    if stored is not None and stored.erased_at_us is not None:
        # the code older terminals already set a photo aside for (sync.client): their upload ends there
        return "photo_not_permitted"
    if stored is None or stored.enrolled_by == device_id or stored.branch_id == branch_id:
        return None  # an unknown member is refused as such by the photo routes
    has_photo = conn.execute(
        select(MEMBER_PHOTO.c.sha256).where(MEMBER_PHOTO.c.member_id == member_id)
    ).first()
    return None if has_photo is None else "photo_not_permitted"
