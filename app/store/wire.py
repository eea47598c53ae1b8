# SPDX-License-Identifier: GPL-3.0-or-later
"""Between the terminal's records and the sync wire models (sync.protocol), both ways."""

from __future__ import annotations

from dataclasses import asdict

from app.domain.card import Card
from app.domain.event import Event, Invitation
from app.domain.member import Member
from sync.protocol import WireCard, WireEvent, WireInvitation, WireMember, WireRevocation


def member_to_wire(member: Member) -> WireMember:
    return WireMember(
        id=member.id,
        name=member.name,
        phone=member.phone,
        tier_code=member.tier_code,
        branch_id=member.branch_id,
        joined_at_us=member.joined_at_us,
        birth_date=member.birth_date,
        national_id_last4=member.national_id_last4,
        referrer_id=member.referrer_id,
        consent_marketing=member.consent_marketing,
    )


def member_from_wire(wire: WireMember) -> Member:
    return Member(
        id=wire.id,
        name=wire.name,
        phone=wire.phone,
        tier_code=wire.tier_code,
        branch_id=wire.branch_id,
        joined_at_us=wire.joined_at_us,
        birth_date=wire.birth_date,
        national_id_last4=wire.national_id_last4,
        referrer_id=wire.referrer_id,
        consent_marketing=wire.consent_marketing,
    )


def card_to_wire(card: Card) -> WireCard:
    return WireCard(
        number=card.number,
        kind=card.kind.value,
        uid=card.uid.lower() if card.uid else None,
        member_id=card.member_id,
        issued_at_us=card.issued_at_us,
        expires_at_us=card.expires_at_us,
        payload_version=card.payload_version,
    )


def revocation_to_wire(
    revocation_id: str, number: str, status: str, reason: str, *, staff_id: str | None, at_us: int
) -> WireRevocation:
    return WireRevocation(
        id=revocation_id,
        card_number=number,
        status=status,  # type: ignore[arg-type]
        reason=reason,
        staff_id=staff_id,
        at_us=at_us,
    )


def event_to_wire(event: Event) -> WireEvent:
    return WireEvent.model_validate(asdict(event) | {"invited_tiers": list(event.invited_tiers)})


def event_from_wire(wire: WireEvent) -> Event:
    return Event(**(wire.model_dump() | {"invited_tiers": tuple(wire.invited_tiers)}))


def invitation_to_wire(invitation: Invitation) -> WireInvitation:
    return WireInvitation.model_validate(asdict(invitation))


def invitation_from_wire(wire: WireInvitation) -> Invitation:
    return Invitation(**wire.model_dump())
