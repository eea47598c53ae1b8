# SPDX-License-Identifier: GPL-3.0-or-later
"""Between the wire format (sync.protocol) and the terminal's domain, both ways: the edge.

The terminal's store knows only the domain (app.domain.changes for what a pull brings): the sync client
translates a pull page here as it reads it, and the use cases put their records on the wire here before
they queue them in the outbox. Translation is by hand, field by field: a new terminal translates a million
members, and a generic copy (model_dump, asdict) cost several times more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any, NotRequired, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict

from app.domain import changes as domain
from app.domain.branch import Branch
from app.domain.card import Card, CardKind
from app.domain.errors import ClubError
from app.domain.event import Event, Invitation
from app.domain.member import Member
from app.domain.money import Rounding
from app.domain.rules import EarningRule, RedemptionPolicy
from app.domain.staff import Role, Staff
from app.domain.tier import Tier
from sync.protocol import (
    BranchChange,
    CardChange,
    Change,
    DeviceChange,
    EntryChange,
    EventChange,
    InvitationChange,
    KeyChange,
    MemberChange,
    PhotoChange,
    PullResponse,
    RestrictionChange,
    RevocationChange,
    RuleSetChange,
    SetAsideChange,
    SetAsideResolvedChange,
    SettingChange,
    StaffChange,
    TierChange,
    WireCard,
    WireEvent,
    WireInvitation,
    WireMember,
    WireRevocation,
    b64decode,
)
from sync.rules import from_body

# ---- the domain onto the wire (what this terminal pushes) --------------------------------------------


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


def invitation_to_wire(invitation: Invitation) -> WireInvitation:
    return WireInvitation.model_validate(asdict(invitation))


# ---- the wire into the domain (what this terminal pulls) ---------------------------------------------


def member_from_wire(wire: WireMember) -> Member:
    return Member(
        wire.id,
        wire.name,
        wire.phone,
        wire.tier_code,
        wire.branch_id,
        wire.joined_at_us,
        wire.birth_date,
        wire.national_id_last4,
        wire.referrer_id,
        wire.consent_marketing,
    )


def astuple_member(member: Member) -> tuple[Any, ...]:
    """A member as a MemberRun's row (app.domain.changes.MEMBER_FIELDS order)."""
    return tuple(getattr(member, name) for name in domain.MEMBER_FIELDS)


def event_from_wire(wire: WireEvent) -> Event:
    return Event(**(wire.model_dump() | {"invited_tiers": tuple(wire.invited_tiers)}))


def invitation_from_wire(wire: WireInvitation) -> Invitation:
    return Invitation(**wire.model_dump())


def page_from_json(raw: bytes) -> domain.PulledPage:
    """A pull page's JSON, validated as PullResponse validates it (pydantic.ValidationError if it is not
    one) and translated. Member changes, a new terminal's million, are validated into plain dicts rather
    than model instances (half the time; same fields, constraints and strictness: _typed_dict) and become
    Members at once; every other kind is its model, translated as page_from_wire does."""
    page = _PAGE.validate_json(raw)
    out: list[domain.Change] = []
    seqs: list[int] = []
    run: list[tuple[Any, ...]] = []
    for change in page["changes"]:
        if isinstance(change, dict):
            seqs.append(change["seq"])
            m = change["member"]  # by hand, in MEMBER_FIELDS order; what a dict leaves out is the default
            run.append(
                (
                    m["id"],
                    m["name"],
                    m["phone"],
                    m["tier_code"],
                    m["branch_id"],
                    m["joined_at_us"],
                    m.get("birth_date"),
                    m.get("national_id_last4"),
                    m.get("referrer_id"),
                    m.get("consent_marketing", False),
                )
            )
            continue
        if run:
            out.append(domain.MemberRun(tuple(seqs), tuple(run)))
            seqs, run = [], []
        out.append(_FROM_WIRE[change.kind](change))
    if run:
        out.append(domain.MemberRun(tuple(seqs), tuple(run)))
    return domain.PulledPage(tuple(out), page["next_cursor"], page["more"], page["server_time_us"])


def page_from_wire(page: PullResponse) -> domain.PulledPage:
    """A pull page as the domain's changes, in the server's order; runs of members become one MemberRun."""
    changes = changes_from_wire(page.changes)
    return domain.PulledPage(changes, page.next_cursor, page.more, page.server_time_us)


def changes_from_wire(changes: list[Change]) -> tuple[domain.Change, ...]:
    out: list[domain.Change] = []
    seqs: list[int] = []
    members: list[tuple[Any, ...]] = []
    for change in changes:
        if change.kind == "member":
            seqs.append(change.seq)
            members.append(astuple_member(member_from_wire(change.member)))
            continue
        if members:
            out.append(domain.MemberRun(tuple(seqs), tuple(members)))
            seqs, members = [], []
        out.append(_FROM_WIRE[change.kind](change))
    if members:
        out.append(domain.MemberRun(tuple(seqs), tuple(members)))
    return tuple(out)


def _tier(change: TierChange) -> domain.TierChange:
    t = change.tier
    return domain.TierChange(
        change.seq, Tier(t.code, t.name_fa, t.name_en, t.rank, t.threshold_points, t.multiplier_percent)
    )


def _branch(change: BranchChange) -> domain.BranchChange:
    b = change.branch
    earning = EarningRule(
        points_per_unit=b.earn_points_per_unit,
        rials_per_unit=b.earn_rials_per_unit,
        min_sale_rials=b.earn_min_sale_rials,
        max_points_per_sale=b.earn_max_points_per_sale,
        rounding=Rounding(b.earn_rounding),
    )
    redemption = RedemptionPolicy(b.redeem_rials_per_point, b.redeem_max_share_percent)
    return domain.BranchChange(change.seq, Branch(b.id, b.code, b.name_fa, b.name_en, earning, redemption))


def _staff(change: StaffChange) -> domain.StaffChange:
    s = change.staff
    staff = Staff(s.id, s.name, Role(s.role), s.branch_id, s.active)
    return domain.StaffChange(change.seq, staff, s.pin_hash, s.unlocked_at_us)


def _device(change: DeviceChange) -> domain.DeviceChange:
    d = change.device
    return domain.DeviceChange(change.seq, d.id, d.code, d.branch_id)


def _key(change: KeyChange) -> domain.KeyChange:
    k = change.key
    return domain.KeyChange(
        change.seq, k.key_id, b64decode(k.public_key), k.created_at_us, k.retired_at_us, k.purpose
    )


def _photo(change: PhotoChange) -> domain.PhotoChange:
    return domain.PhotoChange(change.seq, change.member_id, change.sha256, change.size)


def _card(change: CardChange) -> domain.CardChange:
    c = change.card
    card = Card(
        number=c.number,
        member_id=c.member_id,
        issued_at_us=c.issued_at_us,
        expires_at_us=c.expires_at_us,
        uid=c.uid,
        payload_version=c.payload_version,
        kind=CardKind(c.kind),
    )
    return domain.CardChange(change.seq, card)


def _revocation(change: RevocationChange) -> domain.RevocationChange:
    r = change.revocation
    return domain.RevocationChange(change.seq, r.id, r.card_number, r.status, r.reason, r.staff_id, r.at_us)


def _entry(change: EntryChange) -> domain.EntryChange:
    return domain.EntryChange(change.seq, change.entry.to_entry())


def _set_aside(change: SetAsideChange) -> domain.SetAsideChange:
    return domain.SetAsideChange(change.seq, change.entry.to_entry(), change.reason)


def _set_aside_resolved(change: SetAsideResolvedChange) -> domain.SetAsideResolvedChange:
    return domain.SetAsideResolvedChange(
        change.seq,
        change.entry_id,
        change.device_id,
        change.member_id,
        change.decision,
        change.decided_at_us,
        change.note,
    )


def _restriction(change: RestrictionChange) -> domain.RestrictionChange:
    return domain.RestrictionChange(change.seq, change.member_id, change.restricted, change.reason)


def _setting(change: SettingChange) -> domain.SettingChange:
    return domain.SettingChange(change.seq, change.key, change.value)


def _event(change: EventChange) -> domain.EventChange:
    return domain.EventChange(change.seq, event_from_wire(change.event))


def _invitation(change: InvitationChange) -> domain.InvitationChange:
    return domain.InvitationChange(change.seq, invitation_from_wire(change.invitation))


def _rule_set(change: RuleSetChange) -> domain.RuleSetChange:
    try:
        rules = from_body(change.body | {"version": change.version})
    except ClubError as error:  # a server newer than this terminal may publish what it cannot read
        return domain.RuleSetChange(change.seq, change.version, change.body, None, str(error))
    return domain.RuleSetChange(change.seq, change.version, change.body, rules)


_FROM_WIRE: dict[str, Callable[[Any], domain.Change]] = {
    "tier": _tier,
    "branch": _branch,
    "staff": _staff,
    "device": _device,
    "club_key": _key,
    "member_photo": _photo,
    "card": _card,
    "card_revocation": _revocation,
    "entry": _entry,
    "entry_set_aside": _set_aside,
    "set_aside_resolved": _set_aside_resolved,
    "restriction": _restriction,
    "setting": _setting,
    "event": _event,
    "invitation": _invitation,
    "rule_set": _rule_set,
}


def _typed_dict(model: type[BaseModel]) -> Any:
    """A TypedDict of the model's fields, with their constraints, defaults left out (the domain's are the
    same) and unknown keys refused, as the model's. `kind` is required: a discriminated union needs it."""
    shape: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            annotation = _typed_dict(annotation)
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        shape[name] = annotation if info.is_required() or name == "kind" else NotRequired[annotation]
    typed = TypedDict(f"{model.__name__}Dict", shape)  # type: ignore[operator]
    typed.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    return typed


def _page_adapter() -> TypeAdapter[Any]:
    kinds = [_typed_dict(MemberChange) if k is MemberChange else k for k in get_args(get_args(Change)[0])]
    fields = {name: info for name, info in PullResponse.model_fields.items() if name != "changes"}
    shape: dict[str, Any] = {
        name: Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        for name, info in fields.items()
    }
    shape["protocol"] = NotRequired[shape["protocol"]]
    shape["changes"] = list[Annotated[Union[tuple(kinds)], Field(discriminator="kind")]]  # noqa: UP007
    page = TypedDict("PullResponseDict", shape)  # type: ignore[operator]
    page.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    return TypeAdapter(page)


_PAGE = _page_adapter()
