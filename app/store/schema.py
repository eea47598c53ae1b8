# SPDX-License-Identifier: GPL-3.0-or-later
"""Tables of the terminal's SQLite file. Migrations under `migrations/` create them; keep both in step.

Times are integer UTC microseconds: exact, sortable, and hashed byte-for-byte the same everywhere.
"""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base:
    """A table declared as a class, as SQLAlchemy's ORM declares one, but made a plain Core `Table`: the
    store runs Core statements only, and importing the ORM and mapping every class cost the window's cold
    start ~0.3 s. `Row.column` is the table's column; `select(Row)`, `insert(Row)` take the table."""

    metadata: ClassVar[MetaData] = MetaData(naming_convention=NAMING)
    __tablename__: ClassVar[str]
    __table__: ClassVar[Table]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        hints = inspect.get_annotations(cls)  # strings: never evaluated
        columns = [
            spec.column(name, str(hints.get(name, "")))
            for name, spec in cls.__dict__.items()
            if isinstance(spec, _ColumnSpec)
        ]
        args = cls.__dict__.get("__table_args__", ())
        options: dict[str, Any] = {}
        if isinstance(args, dict):
            args, options = (), args
        elif args and isinstance(args[-1], dict):
            args, options = args[:-1], args[-1]
        cls.__table__ = Table(cls.__tablename__, Base.metadata, *columns, *args, **options)
        for column in cls.__table__.c:
            setattr(cls, column.key, column)

    @classmethod
    def __clause_element__(cls) -> Table:
        return cls.__table__


class _ColumnSpec:
    def __init__(self, args: tuple[Any, ...], options: dict[str, Any]) -> None:
        self.args, self.options = args, options

    def column(self, name: str, hint: str) -> Column[Any]:
        options = dict(self.options)
        if not options.get("primary_key"):
            # as the ORM's mapped_column: nullable exactly when the annotation allows None
            options.setdefault("nullable", "None" in hint)
        return Column(name, *self.args, **options)


def mapped_column(*args: Any, **options: Any) -> Any:
    """A column of the class's table, named after its attribute (see `Base`)."""
    return _ColumnSpec(args, options)


Mapped = Column  # `name: Mapped[str]` reads as the ORM's; the attribute is the table's Column


class Setting(Base):
    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class TierRow(Base):
    __tablename__ = "tier"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_fa: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    rank: Mapped[int] = mapped_column(Integer, unique=True)
    threshold_points: Mapped[int] = mapped_column(Integer, default=0)
    multiplier_percent: Mapped[int] = mapped_column(Integer, default=100)


class RuleSetRow(Base):
    """Every version of the club's programme the server published (app.domain.programme; the body is
    sync.rules' JSON). Kept, not replaced: an entry is read with the version that priced it."""

    __tablename__ = "rule_set"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    body: Mapped[str] = mapped_column(Text)
    received_at_us: Mapped[int] = mapped_column(Integer)


class BranchRow(Base):
    __tablename__ = "branch"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_fa: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    earn_points_per_unit: Mapped[int] = mapped_column(Integer)
    earn_rials_per_unit: Mapped[int] = mapped_column(Integer)
    earn_min_sale_rials: Mapped[int] = mapped_column(Integer, default=0)
    earn_max_points_per_sale: Mapped[int | None] = mapped_column(Integer, nullable=True)
    earn_rounding: Mapped[str] = mapped_column(String(16), default="floor")
    redeem_rials_per_point: Mapped[int] = mapped_column(Integer)
    redeem_max_share_percent: Mapped[int] = mapped_column(Integer)


class DeviceRow(Base):
    """Every device whose entries this terminal holds; `is_self` marks this terminal."""

    __tablename__ = "device"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"))
    is_self: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))


class StaffRow(Base):
    __tablename__ = "staff"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    branch_id: Mapped[str | None] = mapped_column(ForeignKey("branch.id"), nullable=True)
    pin_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_pins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until_us: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # the last lockout head office lifted (server's stamp): a newer one clears the lock (app.store.replica)
    unlocked_at_us: Mapped[int | None] = mapped_column(Integer, nullable=True)


class StaffEventRow(Base):
    """Logins, wrong PINs, locks and logouts: an append-only audit of who used the terminal."""

    __tablename__ = "staff_event"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at_us: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str] = mapped_column(String(36))


class MemberRow(Base):
    __tablename__ = "member"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    # not unique: two terminals offline can enrol the same phone; the server takes both and alerts, and
    # enrolment still refuses a phone it can see taken
    phone: Mapped[str] = mapped_column(String(20), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    national_id_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    tier_code: Mapped[str] = mapped_column(ForeignKey("tier.code"))
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"))
    joined_at_us: Mapped[int] = mapped_column(Integer)
    referrer_id: Mapped[str | None] = mapped_column(ForeignKey("member.id"), nullable=True)
    consent_marketing: Mapped[bool] = mapped_column(Boolean, default=False)


class MemberPhotoRow(Base):
    """Photos live apart from members so that looking a member up never drags a JPEG along."""

    __tablename__ = "member_photo"
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), primary_key=True)
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)


class CardRow(Base):
    """A card or a member QR (kind "qr": no chip, bound to its own number, revocable on its own)."""

    __tablename__ = "card"
    number: Mapped[str] = mapped_column(String(19), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), default="card", server_default="card")
    uid: Mapped[str | None] = mapped_column(String(32), unique=True, nullable=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    issued_at_us: Mapped[int] = mapped_column(Integer)
    expires_at_us: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    payload_version: Mapped[int] = mapped_column(Integer, default=1)


class CardRevocationRow(Base):
    """Who revoked or reported a card lost, when and why; rows are only ever added."""

    __tablename__ = "card_revocation"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    card_number: Mapped[str] = mapped_column(ForeignKey("card.number"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    at_us: Mapped[int] = mapped_column(Integer)


class ClubKeyRow(Base):
    """The club's card-signing public keys by key id; keys rotate, old cards keep verifying."""

    __tablename__ = "club_key"
    key_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at_us: Mapped[int] = mapped_column(Integer)
    retired_at_us: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # what it signs (sync.protocol.WireKey.purpose): a phone's certificate is taken from a "phone" key only
    purpose: Mapped[str] = mapped_column(String(16), default="card", server_default="card")


class LedgerEntryRow(Base):
    """Append-only: triggers in the migration refuse UPDATE and DELETE on this table."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        UniqueConstraint("device_id", "device_seq"),
        Index("ix_ledger_entry_member_time", "member_id", "created_at_us"),
        # most entries reverse nothing: only those that do are indexed (a page fewer written per sale)
        Index("ix_ledger_entry_reverses", "reverses", sqlite_where=text("reverses IS NOT NULL")),
        # an event's admissions, counted at every tap at the door: only check-ins are in it (sales skip it)
        # what a sale folds of a member's whole history (tier changes, paid memberships, bonus keys: few a
        # member), found without reading the member's other entries; sales skip it (app.store.ledger)
        Index(
            "ix_ledger_entry_programme",
            "member_id",
            sqlite_where=text("kind IN ('tier_change', 'membership_purchase', 'bonus')"),
        ),
        Index(
            "ix_ledger_entry_check_in",
            "invoice_ref",
            "kind",
            "member_id",
            "id",
            sqlite_where=text("kind IN ('check_in', 'guest_check_in')"),
        ),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id"))
    device_seq: Mapped[int] = mapped_column(Integer)
    created_at_us: Mapped[int] = mapped_column(Integer)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"))
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"))
    kind: Mapped[str] = mapped_column(String(24))
    staff_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    points_delta: Mapped[int] = mapped_column(Integer)
    cash_delta: Mapped[int] = mapped_column(Integer)
    sale_amount: Mapped[int] = mapped_column(Integer)
    discount_rials: Mapped[int] = mapped_column(Integer)
    invoice_ref: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reverses: Mapped[str | None] = mapped_column(String(36), nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[int | None] = mapped_column(Integer, nullable=True)


class LedgerAckRow(Base):
    """Sync bookkeeping, kept beside the entry so the entry itself is never updated.

    An entry with no row here is in the outbox (not yet acknowledged by the server). Entries pulled from
    other devices get one too (accepted, with their server sequence). A rejected or conflicting entry is
    set aside with its outcome and reason and no server sequence: it never blocks the queue behind it.
    """

    __tablename__ = "ledger_ack"
    entry_id: Mapped[str] = mapped_column(ForeignKey("ledger_entry.id"), primary_key=True)
    acknowledged_at_us: Mapped[int] = mapped_column(Integer)
    server_seq: Mapped[int | None] = mapped_column(Integer, unique=True, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16), default="accepted", server_default="accepted")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class SetAsideEntryRow(Base):
    """Another device's entry that the club server set aside (sync.protocol.SetAsideChange): only its place
    in that device's chain, which `ledger verify` follows across it. It is not a ledger entry here (it
    counts nowhere) and may name a member this terminal does not hold, so it lives beside the ledger."""

    __tablename__ = "set_aside_entry"
    __table_args__ = (UniqueConstraint("device_id", "device_seq"),)
    entry_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id"))
    device_seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[str] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(String(64))
    server_seq: Mapped[int] = mapped_column(Integer)


class SetAsideDecisionRow(Base):
    """The club's review confirmed that a set-aside entry stays refused (sync.protocol's
    SetAsideResolvedChange): this terminal's own (its `ledger_ack` says rejected) or another device's (a
    `set_aside_entry` slot). It no longer waits for review: the status bar's count leaves it out, the member
    view says refused."""

    __tablename__ = "set_aside_decision"
    entry_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36))
    member_id: Mapped[str] = mapped_column(String(36))
    decision: Mapped[str] = mapped_column(String(16))
    decided_at_us: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    server_seq: Mapped[int] = mapped_column(Integer)


class MemberBalanceRow(Base):
    """Projection of the ledger, updated in the entry's own transaction; `ledger rebuild` remakes it."""

    __tablename__ = "member_balance"
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), primary_key=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    wallet_rials: Mapped[int] = mapped_column(Integer, default=0)
    spend_rials: Mapped[int] = mapped_column(Integer, default=0)
    purchase_count: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_us: Mapped[int] = mapped_column(Integer, default=0)


class MemberDayRow(Base):
    """Projection of the ledger per member and UTC day, updated in the entry's own transaction: the tier's
    qualifying parts and the cashback credited that day, so that a sale sums a few rows for its windows
    (app.domain.member_days); `ledger rebuild` remakes it."""

    __tablename__ = "member_day"
    __table_args__: ClassVar[dict[str, object]] = {"sqlite_with_rowid": False}
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    points: Mapped[int] = mapped_column(Integer)
    spend_rials: Mapped[int] = mapped_column(Integer)
    low_us: Mapped[int] = mapped_column(Integer)
    high_us: Mapped[int] = mapped_column(Integer)
    cashback_rials: Mapped[int] = mapped_column(Integer)
    cashback_low_us: Mapped[int] = mapped_column(Integer)


class OutboxItemRow(Base):
    """What this terminal created besides ledger entries (members, cards, revocations, photos), for the
    server: written in the same transaction as the thing itself (a transactional outbox).

    `id` (UUIDv7) is the item's idempotency key on the wire; `position` keeps the order they were made in;
    `subject` is the member id or card number the item is about; `body` is the JSON of its wire model
    (sync.protocol), or for a photo {member_id, sha256, size} (photos upload on their own).
    """

    __tablename__ = "outbox_item"
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str] = mapped_column(String(36), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at_us: Mapped[int] = mapped_column(Integer)


class OutboxAckRow(Base):
    """The server's answer to an outbox item (accepted · duplicate · rejected · conflict), beside it."""

    __tablename__ = "outbox_ack"
    item_id: Mapped[str] = mapped_column(ForeignKey("outbox_item.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    server_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    acknowledged_at_us: Mapped[int] = mapped_column(Integer)


class GrantRow(Base):
    """This terminal's one current grant per member (sync.protocol.Grant), signature checked on arrival."""

    __tablename__ = "member_grant"
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grant_id: Mapped[str] = mapped_column(String(36))
    device_id: Mapped[str] = mapped_column(String(36))
    points: Mapped[int] = mapped_column(Integer)
    after_seq: Mapped[int] = mapped_column(Integer)
    issued_at_us: Mapped[int] = mapped_column(Integer)
    expires_at_us: Mapped[int] = mapped_column(Integer)
    for_entry: Mapped[str | None] = mapped_column(String(36), nullable=True)
    signature: Mapped[str] = mapped_column(String(64))
    received_at_us: Mapped[int] = mapped_column(Integer)


class RestrictionRow(Base):
    """Members on the club's restricted list (a balance gone negative): no offline spending, no override."""

    __tablename__ = "member_restriction"
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    server_seq: Mapped[int] = mapped_column(Integer)


class PhotoWantedRow(Base):
    """A member photo the server has and this terminal lacks: downloaded a few at a time."""

    __tablename__ = "photo_wanted"
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class SyncProblemRow(Base):
    """What sync found wrong and carried on past (a broken chain of another device, a set-aside item)."""

    __tablename__ = "sync_problem"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at_us: Mapped[int] = mapped_column(Integer)
    problem: Mapped[str] = mapped_column(String(32))
    device_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    device_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    subject: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class PhoneCodeSeenRow(Base):
    """A phone's rotating code this terminal accepted (app.cards.phone_pass): a code admits or sells once
    per terminal. Kept while the code could still pass the time window, then pruned."""

    __tablename__ = "phone_code_seen"
    card_number: Mapped[str] = mapped_column(String(19), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)  # the full time step
    seen_at_us: Mapped[int] = mapped_column(Integer)


class EventRow(Base):
    """A club event (app.domain.event); from the server, or made here by a manager (then in the outbox)."""

    __tablename__ = "event"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    venue: Mapped[str] = mapped_column(String(120), default="")
    starts_at_us: Mapped[int] = mapped_column(Integer)
    ends_at_us: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    invited_tiers: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of tier codes
    plus_ones: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class InvitationRow(Base):
    """A member on an event's guest list. No foreign key to member: with *profile on card* a door admits
    guests whose member record it has never synced."""

    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint("event_id", "member_id"),
        # the guest list's length, counted at every tap: standing invitations only
        Index("ix_invitation_standing", "event_id", sqlite_where=text("NOT cancelled")),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("event.id"))
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    plus_ones: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class ChipKeyRow(Base):
    """The branch's NTAG 424 DNA keys (app.cards.ntag424.keys) as GET /v1/chip-keys sent them: still
    wrapped for this terminal's wrap key (base64 of keys.wrap_key's bytes), never in the clear here. The
    whole set is replaced at each fetch (app.store.chip_keys)."""

    __tablename__ = "chip_key"
    branch_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(8), primary_key=True)
    wrapped: Mapped[str] = mapped_column(Text)
    created_at_us: Mapped[int] = mapped_column(Integer)
    received_at_us: Mapped[int] = mapped_column(Integer)
