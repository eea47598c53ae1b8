# SPDX-License-Identifier: GPL-3.0-or-later
"""Tables of the club server's database. Migrations under `migrations/` create them; keep both in step.

Money is integer rials, points integers, times integer UTC microseconds: all BIGINT, because a member's
points may exceed 2**31 and so do the wire limits (app.domain.money). The same schema runs on PostgreSQL
(production) and SQLite (the demo).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# SQLite gives an autoincrementing key only to a column declared exactly INTEGER PRIMARY KEY
SERIAL = BigInteger().with_variant(Integer(), "sqlite")
ID = String(36)
HASH = String(64)
# indexes only PostgreSQL has (`ddl_if`), which Alembic's comparison of a SQLite database does not know of
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_member_name_key_trgm"})
# digit strings searched by prefix with ranges (>=, <): byte order on both backends, whatever the locale
DIGITS = String(20).with_variant(String(20, collation="C"), "postgresql")
# the entry kinds an event's attendance is folded from (app.domain.event): check-ins and reversals
EVENT_ENTRY_KINDS_SQL = "kind IN ('check_in', 'guest_check_in', 'reversal')"
PROGRAMME_TABLES_SQL = "kind IN ('tier', 'branch')"
PROGRAMME_ENTRY_KINDS_SQL = "kind IN ('tier_change', 'reward', 'membership_purchase')"
# a bonus is granted once per member and key (app.domain.bonus), a manager's ambassador grants excepted
ONCE_ONLY_BONUS_SQL = "kind = 'bonus' AND invoice_ref NOT LIKE 'ambassador:%'"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SyncCounterRow(Base):
    """The one row the server sequence comes from (sync.server.sequence): its lock orders commits."""

    __tablename__ = "sync_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger)


class SettingRow(Base):
    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class TierRow(Base):
    __tablename__ = "tier"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_fa: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    rank: Mapped[int] = mapped_column(Integer, unique=True)
    threshold_points: Mapped[int] = mapped_column(BigInteger)
    multiplier_percent: Mapped[int] = mapped_column(Integer)


class BranchRow(Base):
    """A branch and its earning scenario (field meanings: app.domain.rules)."""

    __tablename__ = "branch"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_fa: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    earn_points_per_unit: Mapped[int] = mapped_column(BigInteger)
    earn_rials_per_unit: Mapped[int] = mapped_column(BigInteger)
    earn_min_sale_rials: Mapped[int] = mapped_column(BigInteger)
    earn_max_points_per_sale: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    earn_rounding: Mapped[str] = mapped_column(String(16))
    redeem_rials_per_point: Mapped[int] = mapped_column(BigInteger)
    redeem_max_share_percent: Mapped[int] = mapped_column(Integer)


class DeviceRow(Base):
    """A terminal. `number` makes its card series (club prefix + 3 digits); the head tracks its chain."""

    __tablename__ = "device"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"))
    number: Mapped[int] = mapped_column(Integer, unique=True)
    card_prefix: Mapped[str] = mapped_column(String(16))
    # sync.protocol.token_hash of the device token; NULL for devices that never enrolled (the demo's)
    token_hash: Mapped[str | None] = mapped_column(HASH, unique=True, nullable=True)
    # the HMAC key grants are signed with (sync.protocol.grant_key of the token): the token is not kept
    grant_key: Mapped[str | None] = mapped_column(HASH, nullable=True)
    key_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    enrolled_at_us: Mapped[int] = mapped_column(BigInteger)
    revoked_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_seen_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # when its token first authenticated a request; until then a lost enrolment answer may be asked for
    # again, and a device unclaimed a day after enrolment is revoked (sync.server.enrolment)
    claimed_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # the device's chain as far as the server holds it (accepted and rejected entries alike)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(HASH)
    contiguous_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # what the terminal last said of itself (sync.protocol's X-Bashgah-Version and X-Bashgah-Backlog
    # headers), and when: older terminals say nothing
    software_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    backlog: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reported_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # the terminal's X25519 wrap key (base64 of 32 raw bytes, sync.protocol.EnrollRequest): the branch's chip
    # keys are sealed for it (sync.server.chip_keys); NULL: enrolled without one, it gets no chip keys
    wrap_public_key: Mapped[str | None] = mapped_column(String(64), nullable=True)


class StaffRow(Base):
    __tablename__ = "staff"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    branch_id: Mapped[str | None] = mapped_column(ForeignKey("branch.id"), nullable=True)
    pin_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # when head office last lifted the PIN lockout terminals count locally (sync.protocol.WireStaff)
    unlocked_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class ClubKeyRow(Base):
    """A card-signing public key (raw 32 bytes, base64) by key id, unique in the club."""

    __tablename__ = "club_key"
    key_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    public_key: Mapped[str] = mapped_column(String(64))
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    retired_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    device_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    purpose: Mapped[str] = mapped_column(String(16), default="card", server_default="card")  # WireKey's


class MemberRow(Base):
    """Phones are not unique here: two offline terminals may enrol one person twice (alerted, kept).

    The back office's search (sync.server.club.members) reads `name_key`, `phone_rev` and the join order;
    `members.put_member`, the one writer of a member's name and phone, keeps the two keys right.
    """

    __tablename__ = "member"
    __table_args__ = (
        # any part of a name, on PostgreSQL: trigrams of the folded name (pg_trgm); SQLite scans the keys.
        # fastupdate off: a write of a member updates the index itself, rather than leaving it in a pending
        # list that every search reads until a vacuum folds it in
        Index(
            "ix_member_name_key_trgm",
            "name_key",
            postgresql_using="gin",
            postgresql_ops={"name_key": "gin_trgm_ops"},
            postgresql_with={"fastupdate": "off"},
        ).ddl_if(dialect="postgresql"),
        # the search's order (newest first) and its keyset pages
        Index("ix_member_joined_at_us_id", "joined_at_us", "id"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    tier_code: Mapped[str] = mapped_column(ForeignKey("tier.code"))
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"))
    joined_at_us: Mapped[int] = mapped_column(BigInteger)
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    national_id_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    # no foreign key: a referrer is a fact the terminal recorded, not something to refuse a member for
    referrer_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    consent_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at_us: Mapped[int] = mapped_column(BigInteger)
    # the tier_change entry that set tier_code (app.domain.tiering.standing: the latest by time, then id);
    # 0 and NULL: the tier the member joined in
    tier_since_us: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    tier_entry_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    # the terminal that enrolled the member (NULL: the club office or an import): the only one that may
    # push the record again (sync.server.push)
    enrolled_by: Mapped[str | None] = mapped_column(ID, nullable=True)
    # when `consent_marketing` was last given or withdrawn, as the server learned it (sync.server.members)
    consent_marketing_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # when the club erased the member's personal data (sync.server.club.privacy): the row keeps only
    # placeholders, and no edit or push brings the data back
    erased_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # the server's own contact data for messages (sync.server.messages): terminals neither send nor see it
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    preferred_channel: Mapped[str] = mapped_column(String(8), default="sms", server_default="sms")
    # the language the member's messages are written in (fa, en)
    language: Mapped[str] = mapped_column(String(2), default="fa", server_default="fa")
    # where `consent_marketing` was last given or withdrawn: terminal, back_office, member_page, sms_stop,
    # email_unsubscribe
    consent_marketing_source: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # the name as a search matches it (app.domain.search_text.search_key): unbounded, since compatibility
    # forms can unfold to many letters
    name_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    # the phone's digits backwards, so the last digits of a phone are an indexed prefix; compared as bytes
    phone_rev: Mapped[str] = mapped_column(DIGITS, default="", server_default="", index=True)


class MemberBalanceRow(Base):
    """The server's projection of the global ledger, updated in the entries' own transaction."""

    __tablename__ = "member_balance"
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), primary_key=True)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    wallet_rials: Mapped[int] = mapped_column(BigInteger, default=0)
    spend_rials: Mapped[int] = mapped_column(BigInteger, default=0)
    purchase_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_activity_us: Mapped[int] = mapped_column(BigInteger, default=0)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    # bumped to take this row's lock before deciding a grant or a spend (sync.server.grants)
    lock_version: Mapped[int] = mapped_column(BigInteger, default=0)


class PhotoRow(Base):
    """A member photo by its SHA-256, filled chunk by chunk (resumable upload) until `complete`."""

    __tablename__ = "photo"
    sha256: Mapped[str] = mapped_column(HASH, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"))
    size: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at_us: Mapped[int] = mapped_column(BigInteger)


class MemberPhotoRow(Base):
    """A member's current photo."""

    __tablename__ = "member_photo"
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("photo.sha256"))
    size: Mapped[int] = mapped_column(Integer)
    set_at_us: Mapped[int] = mapped_column(BigInteger)


class CardRow(Base):
    __tablename__ = "card"
    number: Mapped[str] = mapped_column(String(19), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    uid: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    issued_at_us: Mapped[int] = mapped_column(BigInteger)
    expires_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payload_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # a phone (kind "phone", app.cards.phone_pass): the public key the club certified, as base64 of its
    # 33-byte compressed point, and the member's name for the phone ("Chrome on Android")
    public_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    label: Mapped[str | None] = mapped_column(String(80), nullable=True)


class CardRevocationRow(Base):
    __tablename__ = "card_revocation"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    card_number: Mapped[str] = mapped_column(ForeignKey("card.number"), index=True)
    # the card's member, so every member-owned table names its member (docs/scaling.md)
    member_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    at_us: Mapped[int] = mapped_column(BigInteger)


class LedgerEntryRow(Base):
    """The global ledger: entries exactly as their devices sealed them, once each.

    `server_seq` is given in the same transaction, as its last step (sync.server.sequence).
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (
        UniqueConstraint("device_id", "device_seq"),
        Index("ix_ledger_entry_member_device_kind", "member_id", "device_id", "kind"),
        # an event's admissions and their undoing, by event id (invoice_ref): partial, so the sales that
        # make up nearly all of the ledger never touch it and a push of sales pays nothing for it
        Index(
            "ix_ledger_entry_event",
            "invoice_ref",
            postgresql_where=text(EVENT_ENTRY_KINDS_SQL),
            sqlite_where=text(EVENT_ENTRY_KINDS_SQL),
        ),
        # one bonus per member and key, whichever device pushes it first (sync.server.push sets the
        # second aside); also what settles two pushes that race
        Index(
            "uq_ledger_entry_bonus_key",
            "member_id",
            "invoice_ref",
            unique=True,
            postgresql_where=text(ONCE_ONLY_BONUS_SQL),
            sqlite_where=text(ONCE_ONLY_BONUS_SQL),
        ),
        # a sale's returns, for the reports' purchases (sync.server.reports.aggregates): partial, so the
        # entries that reverse nothing (nearly all) cost a push nothing here
        Index(
            "ix_ledger_entry_reverses",
            "reverses",
            postgresql_where=text("reverses IS NOT NULL"),
            sqlite_where=text("reverses IS NOT NULL"),
        ),
        # a period's entries: the export, the reports' drill-down to the entries behind a number
        Index("ix_ledger_entry_created_at_us", "created_at_us"),
        # a period's tier moves, rewards and membership cards (the reports' tiers and rewards): partial, so a
        # report of a year of them reads them alone, not the year's sales
        Index(
            "ix_ledger_entry_programme_at",
            "created_at_us",
            postgresql_where=text(PROGRAMME_ENTRY_KINDS_SQL),
            sqlite_where=text(PROGRAMME_ENTRY_KINDS_SQL),
        ),
        # a reward's units given at a branch, ever (the fraud signals: given beyond its stock); partial, so
        # a push of sales pays nothing for it
        Index(
            "ix_ledger_entry_reward",
            "invoice_ref",
            "branch_id",
            postgresql_where=text("kind = 'reward'"),
            sqlite_where=text("kind = 'reward'"),
        ),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id"))
    device_seq: Mapped[int] = mapped_column(BigInteger)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"))
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"))
    kind: Mapped[str] = mapped_column(String(24))
    staff_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    points_delta: Mapped[int] = mapped_column(BigInteger)
    cash_delta: Mapped[int] = mapped_column(BigInteger)
    sale_amount: Mapped[int] = mapped_column(BigInteger)
    discount_rials: Mapped[int] = mapped_column(BigInteger)
    invoice_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reverses: Mapped[str | None] = mapped_column(ID, nullable=True)
    prev_hash: Mapped[str] = mapped_column(HASH)
    hash: Mapped[str] = mapped_column(HASH)
    server_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True, nullable=True)
    received_at_us: Mapped[int] = mapped_column(BigInteger)
    rules_version: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the rule set that priced it


class RejectedEntryRow(Base):
    """An entry the server refused, kept so a retry gets the same answer and its chain slot is filled."""

    __tablename__ = "rejected_entry"
    __table_args__ = (UniqueConstraint("device_id", "device_seq"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id"))
    device_seq: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[str] = mapped_column(Text)  # the entry's JSON as received
    reason: Mapped[str] = mapped_column(String(32))
    received_at_us: Mapped[int] = mapped_column(BigInteger)
    # the club's review (sync.server.club.review): NULL while it waits; "refused" once a person confirmed the
    # refusal (an entry accepted after all leaves this table for the ledger)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(160), nullable=True)  # the actor's audit name
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class DeviceHourRow(Base):
    """What a terminal's entries added in one hour of its clock (sync.server.vetting.velocity)."""

    __tablename__ = "device_hour"
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id"), primary_key=True)
    hour: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # UTC hours
    points: Mapped[int] = mapped_column(BigInteger)
    wallet_rials: Mapped[int] = mapped_column(BigInteger)
    entries: Mapped[int] = mapped_column(BigInteger)
    set_aside: Mapped[int] = mapped_column(BigInteger)  # entries set aside as over a ceiling


class SyncItemRow(Base):
    """A pushed item (member, card, revocation) by its id: the idempotency record of its outcome."""

    __tablename__ = "sync_item"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id"))
    kind: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    server_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    received_at_us: Mapped[int] = mapped_column(BigInteger)


class ChangeRow(Base):
    """The append-only change log terminals pull: one row per published change, its wire JSON."""

    __tablename__ = "change"
    __table_args__ = (
        # version 0's earlier tables, which re-pricing a terminal's sale may need (sync.server.vetting):
        # partial, so the member changes that make up nearly all of the log never touch it
        Index("ix_change_programme_tables", "kind", postgresql_where=text(PROGRAMME_TABLES_SQL),
              sqlite_where=text(PROGRAMME_TABLES_SQL)),
    )  # fmt: skip
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(24))
    member_id: Mapped[str | None] = mapped_column(ID, nullable=True, index=True)
    body: Mapped[str] = mapped_column(Text)  # the change's wire model as JSON, without `seq`
    at_us: Mapped[int] = mapped_column(BigInteger)


class GrantRow(Base):
    """Every grant ever signed (offline allowances and online spends), for audit and idempotency."""

    __tablename__ = "spend_grant"
    grant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id"))
    points: Mapped[int] = mapped_column(BigInteger)
    after_seq: Mapped[int] = mapped_column(BigInteger)
    issued_at_us: Mapped[int] = mapped_column(BigInteger)
    expires_at_us: Mapped[int] = mapped_column(BigInteger)
    for_entry: Mapped[str | None] = mapped_column(ID, unique=True, nullable=True)
    signature: Mapped[str] = mapped_column(HASH)


class CurrentGrantRow(Base):
    """One current grant per member and device: a new one replaces the old."""

    __tablename__ = "current_grant"
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id"), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("spend_grant.grant_id"))


class AlertRow(Base):
    __tablename__ = "alert"
    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    at_us: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    device_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    member_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    # an entry, item or card (indexed: a set-aside entry's review finds the alert raised with it)
    subject: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    detail: Mapped[str] = mapped_column(Text)  # JSON
    resolved_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # why it was resolved


class AuditRow(Base):
    """Every admin action (API and command line), who did it and to what; rows are only added."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    at_us: Mapped[int] = mapped_column(BigInteger, index=True)
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(64), index=True)  # the back office filters by these two
    target: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    detail: Mapped[str] = mapped_column(Text)  # JSON


class EnrollmentCodeRow(Base):
    """A one-time enrolment code, stored hashed; `used_at_us` is set by the enrolment that spends it."""

    __tablename__ = "enrollment_code"
    code_hash: Mapped[str] = mapped_column(HASH, primary_key=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"))
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    expires_at_us: Mapped[int] = mapped_column(BigInteger)
    used_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    device_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    created_by: Mapped[str] = mapped_column(String(160))


class EventRow(Base):
    """A club event (app.domain.event); `invited_tiers` is a JSON list of tier codes."""

    __tablename__ = "event"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    venue: Mapped[str] = mapped_column(String(120), default="")
    starts_at_us: Mapped[int] = mapped_column(BigInteger)
    ends_at_us: Mapped[int] = mapped_column(BigInteger)
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    invited_tiers: Mapped[str] = mapped_column(Text, default="[]")
    plus_ones: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at_us: Mapped[int] = mapped_column(BigInteger)
    # the branch that holds the event (its manager may manage it); NULL: a club-wide event, managed by head
    # office only. The server's own: terminals are not sent it (WireEvent has no such field).
    branch_id: Mapped[str | None] = mapped_column(ForeignKey("branch.id"), nullable=True)


class InvitationRow(Base):
    """A member on an event's guest list: one row per event and member, whichever terminal invited them.

    The unique (event_id, member_id) index also serves every lookup by event (its leading column).
    """

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("event_id", "member_id"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("event.id"))
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"))
    plus_ones: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: the event's allowance
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at_us: Mapped[int] = mapped_column(BigInteger)


class ServerKeyRow(Base):
    """A signing key pair the server itself holds (the invitation QR key): never published. Its public half
    is also a `club_key` row (published as every club key is), under the same key id."""

    __tablename__ = "server_key"
    key_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    purpose: Mapped[str] = mapped_column(String(32))
    private_key: Mapped[str] = mapped_column(String(64))  # the 32-byte Ed25519 seed, base64
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    retired_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class RuleSetRow(Base):
    """Every version of the club's programme (sync.server.rules), as sync.rules' body; never changed."""

    __tablename__ = "rule_set"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    body: Mapped[str] = mapped_column(Text)  # JSON
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(160))


class AdminTokenRow(Base):
    __tablename__ = "admin_token"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(HASH, unique=True)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    revoked_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class OfficeUserRow(Base):
    """A head-office account for the back office (`/admin/`): a name and an argon2 password hash, one office
    role (sync.server.club.access), the branches a branch manager may act on (JSON list of ids), the language
    of their pages. Failed logins lock the account for a while (sync.server.club.users)."""

    __tablename__ = "office_user"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    branch_ids: Mapped[str] = mapped_column(Text, default="[]", server_default=text("'[]'"))
    password_hash: Mapped[str] = mapped_column(String(200))
    lang: Mapped[str] = mapped_column(String(2), default="fa", server_default=text("'fa'"))
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    password_changed_at_us: Mapped[int] = mapped_column(BigInteger)
    disabled_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_until_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class OfficeSessionRow(Base):
    """A signed-in back-office session. The cookie holds a random token; only its hash is kept. A session
    ends on log-out, after the idle timeout, when its user is disabled or their password changes."""

    __tablename__ = "office_session"
    token_hash: Mapped[str] = mapped_column(HASH, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("office_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    last_seen_us: Mapped[int] = mapped_column(BigInteger)
    ended_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class ClosedBranchRow(Base):
    """A branch head office closed: no new terminals or staff there; its ledger and members stay. Kept apart
    from the published branch record, which terminals hold and price by (sync.server.club.branches)."""

    __tablename__ = "closed_branch"
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), primary_key=True)
    closed_at_us: Mapped[int] = mapped_column(BigInteger)
    closed_by: Mapped[str] = mapped_column(String(160))


# ---- the reports' aggregates (sync.server.reports.aggregates) ----------------------------------------
# Kept from the ledger past a watermark on server_seq; `day` is the local date's ordinal in the club's
# calendar (date.toordinal), `month` is year * 12 + month - 1. Each row adds up the entries of its key;
# `purchases` and `net_sales_rials` belong to the sale's own key and change when a return arrives later.


class ReportWatermarkRow(Base):
    """How far the aggregates have counted: every entry with server_seq <= `server_seq`, once."""

    __tablename__ = "report_watermark"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    server_seq: Mapped[int] = mapped_column(BigInteger)
    counted_at_us: Mapped[int] = mapped_column(BigInteger)
    utc_offset_minutes: Mapped[int] = mapped_column(Integer)  # the calendar the days were counted in


class ReportDayRow(Base):
    """Day × branch × entry kind."""

    __tablename__ = "report_day"
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    entries: Mapped[int] = mapped_column(BigInteger, default=0)
    points_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    points_plus: Mapped[int] = mapped_column(BigInteger, default=0)  # positive point changes
    cash_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    sale_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_rials: Mapped[int] = mapped_column(BigInteger, default=0)
    returns: Mapped[int] = mapped_column(BigInteger, default=0)  # reversals that give rials back: returns
    purchases: Mapped[int] = mapped_column(BigInteger, default=0)
    net_sales_rials: Mapped[int] = mapped_column(BigInteger, default=0)


class ReportStaffDayRow(Base):
    """Day × branch × terminal × staff member × entry kind: the fraud signals' rates, per cashier and
    terminal. `staff_id` is '' for entries without one."""

    __tablename__ = "report_staff_day"
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_id: Mapped[str] = mapped_column(ID, primary_key=True)
    device_id: Mapped[str] = mapped_column(ID, primary_key=True)
    staff_id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    entries: Mapped[int] = mapped_column(BigInteger, default=0)
    points_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    sale_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    returns: Mapped[int] = mapped_column(BigInteger, default=0)
    purchases: Mapped[int] = mapped_column(BigInteger, default=0)
    net_sales_rials: Mapped[int] = mapped_column(BigInteger, default=0)


class _MemberSums:
    """What a member's rows add up (report_member_day, report_member_month)."""

    entries: Mapped[int] = mapped_column(BigInteger, default=0)
    engaging: Mapped[int] = mapped_column(BigInteger, default=0)  # entries of ENGAGING_KINDS
    purchases: Mapped[int] = mapped_column(BigInteger, default=0)
    net_sales_rials: Mapped[int] = mapped_column(BigInteger, default=0)
    points_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    points_issued: Mapped[int] = mapped_column(BigInteger, default=0)
    points_redeemed: Mapped[int] = mapped_column(BigInteger, default=0)
    points_expired: Mapped[int] = mapped_column(BigInteger, default=0)
    cash_delta: Mapped[int] = mapped_column(BigInteger, default=0)


class ReportMemberDayRow(_MemberSums, Base):
    """Member × day × branch (where the entries were written): distinct counts over any period."""

    __tablename__ = "report_member_day"
    __table_args__ = (Index("ix_report_member_day_day_branch_id", "day", "branch_id"),)
    member_id: Mapped[str] = mapped_column(ID, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_id: Mapped[str] = mapped_column(ID, primary_key=True)


class ReportMemberMonthRow(_MemberSums, Base):
    """Member × month × branch: cohorts, lifetime value and distinct counts over whole months."""

    __tablename__ = "report_member_month"
    __table_args__ = (Index("ix_report_member_month_month_branch_id", "month", "branch_id"),)
    member_id: Mapped[str] = mapped_column(ID, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_id: Mapped[str] = mapped_column(ID, primary_key=True)


class ReportJobRow(Base):
    """A report built in the background (sync.server.reports.jobs) for a back-office user: queued, running
    (with progress and a heartbeat; a running job whose heartbeat stopped is queued again), done (the
    Result as JSON, kept a week) or failed (with a message). `filters` is canonical JSON, so the latest done
    job for a report's filters is found by equality."""

    __tablename__ = "report_job"
    __table_args__ = (
        Index("ix_report_job_status_created_at_us", "status", "created_at_us"),
        Index("ix_report_job_report_filters", "report", "filters"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    report: Mapped[str] = mapped_column(String(64))
    filters: Mapped[str] = mapped_column(String(400))
    lang: Mapped[str] = mapped_column(String(2))
    requested_by: Mapped[str] = mapped_column(ID, index=True)  # the office user's id
    status: Mapped[str] = mapped_column(String(8))  # queued | running | done | failed
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0 to 100
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    started_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    heartbeat_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    finished_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class ReportSummaryCacheRow(Base):
    """A summary computed from the aggregates, kept so a page asks it again for nothing: by period, branch,
    tier and point value (sync.server.reports.summary_cache). Refreshed in the background while asked."""

    __tablename__ = "report_summary_cache"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    body: Mapped[str] = mapped_column(Text)  # the summary's JSON, ratios as "n/d"
    server_seq: Mapped[int] = mapped_column(BigInteger)  # the aggregates' watermark it was computed at
    counted_at_us: Mapped[int] = mapped_column(BigInteger)  # when the aggregates had counted that far
    computed_at_us: Mapped[int] = mapped_column(BigInteger)
    took_us: Mapped[int] = mapped_column(BigInteger)  # how long computing it took
    asked_at_us: Mapped[int] = mapped_column(BigInteger)  # last asked by a page: kept warm a day after


class ProgrammeRunRow(Base):
    """The programme's daily run of one club day (sync.server.programme.run_daily): where it has got to.

    The run goes through the members in id order, a batch per transaction, and moves `after_member` in the
    batch's own transaction, so a run killed at any moment resumes after the last batch that committed.
    `now_us` is the moment the run decides at, kept for its resumption; the counts add up its batches."""

    __tablename__ = "programme_run"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # the club's local date, ISO
    now_us: Mapped[int] = mapped_column(BigInteger)
    rules_version: Mapped[int] = mapped_column(Integer)
    after_member: Mapped[str] = mapped_column(String(36), default="")  # the last member done ("" none)
    batches: Mapped[int] = mapped_column(Integer, default=0)
    members: Mapped[int] = mapped_column(Integer, default=0)  # members looked at
    entries: Mapped[int] = mapped_column(Integer, default=0)  # entries written
    passes: Mapped[int] = mapped_column(Integer, default=1)  # a finished day run again starts a new pass
    started_at_us: Mapped[int] = mapped_column(BigInteger)
    heartbeat_at_us: Mapped[int] = mapped_column(BigInteger)
    finished_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class MessageCampaignRow(Base):
    """A marketing message to a segment of members, written in the back office (sync.server.messages).

    `segment` is the chosen filter as JSON (tier, branch, lapsed, birthday month, a report's drill-down);
    its members' messages are queued when it is sent (at once, or at `scheduled_at_us`)."""

    __tablename__ = "message_campaign"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    segment: Mapped[str] = mapped_column(Text)  # JSON
    body_fa: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    subject_fa: Mapped[str] = mapped_column(Text, default="", server_default="")
    subject_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    # draft, scheduled, queued (its messages are in the outbox), cancelled
    status: Mapped[str] = mapped_column(String(16), default="draft")
    scheduled_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    queued_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    members: Mapped[int] = mapped_column(Integer, default=0)  # messages queued
    created_by: Mapped[str] = mapped_column(String(120))
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    updated_at_us: Mapped[int] = mapped_column(BigInteger)


class MessageTemplateRow(Base):
    """The club's text for one kind of message in one language; a kind without a row uses the default
    (sync.server.messages.templates). `enabled` on the fa row switches the kind off for every language."""

    __tablename__ = "message_template"
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    subject: Mapped[str] = mapped_column(Text, default="", server_default="")
    body: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at_us: Mapped[int] = mapped_column(BigInteger)


class MessageRow(Base):
    """One message to a member: the outbox and its history (sync.server.messages).

    Queued in the transaction of what caused it, once per cause (`cause`: "entry:<id>", "tier:<entry id>",
    "expiring:<date>", "campaign:<id>", …, unique per member whatever the retries of a push). `params` are
    the facts the text is made of (JSON), rendered by the sender when it sends; `channel`, `recipient`,
    the text and its cost are filled then. Status: queued → sending → sent → delivered, or failed,
    cancelled (consent withdrawn, member erased, too old, sending stopped) and skipped (no channel)."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("member_id", "cause"),
        Index("ix_message_status_due_at_us", "status", "due_at_us"),
        # (a member's history reads the unique (member_id, cause) index and sorts their few rows: one index
        # less for every sale's message to keep)
        # a campaign's messages only: a sale's message (most of them) pays for no entry here
        Index(
            "ix_message_campaign_id",
            "campaign_id",
            postgresql_where=text("campaign_id IS NOT NULL"),
            sqlite_where=text("campaign_id IS NOT NULL"),
        ),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"))
    cause: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    params: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")  # JSON
    campaign_id: Mapped[str | None] = mapped_column(ForeignKey("message_campaign.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at_us: Mapped[int] = mapped_column(BigInteger)  # not before: quiet hours, a schedule, a back-off
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    status_at_us: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str | None] = mapped_column(String(8), nullable=True)  # sms, email
    recipient: Mapped[str | None] = mapped_column(String(254), nullable=True)
    language: Mapped[str | None] = mapped_column(String(2), nullable=True)
    subject: Mapped[str] = mapped_column(Text, default="", server_default="")
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
    parts: Mapped[int] = mapped_column(Integer, default=0)  # SMS parts (UCS-2: 70, then 67 a part)
    cost_rials: Mapped[int] = mapped_column(BigInteger, default=0)
    provider: Mapped[str] = mapped_column(String(32), default="", server_default="")
    provider_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the provider's message id
    provider_answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    sent_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class PortalSignInRow(Base):
    """A one-time code sent to a phone number for the member page (sync.server.portal). Kept for numbers
    that are no member too (nothing is sent to them), so the answer and the limits are the same either
    way. Only the code's HMAC is kept. The rows are what the per-number and per-address limits count."""

    __tablename__ = "portal_sign_in"
    __table_args__ = (
        Index("ix_portal_sign_in_phone_created", "phone", "created_at_us"),
        Index("ix_portal_sign_in_address_created", "address", "created_at_us"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    member_id: Mapped[str | None] = mapped_column(ID, nullable=True)  # None: no member has this number
    code_hash: Mapped[str] = mapped_column(HASH)
    address: Mapped[str] = mapped_column(String(64))
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    expires_at_us: Mapped[int] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class PortalSessionRow(Base):
    """A member signed in on the member page. The cookie holds a random token; only its hash is kept."""

    __tablename__ = "portal_session"
    token_hash: Mapped[str] = mapped_column(HASH, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    last_seen_us: Mapped[int] = mapped_column(BigInteger)
    ended_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class PhoneCodeUseRow(Base):
    """A phone's rotating code (app.cards.phone_pass) a terminal accepted, as its push reported it. One
    code at two terminals is a copy in use: the second raises an alert."""

    __tablename__ = "phone_code_use"
    card_number: Mapped[str] = mapped_column(String(19), primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # the full time step
    device_id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ID)
    used_at_us: Mapped[int] = mapped_column(BigInteger)  # the terminal's clock
    purpose: Mapped[str] = mapped_column(String(8))  # "member" (a counter) or "door"


class ChipKeyGenerationRow(Base):
    """A generation of a branch's NTAG 424 DNA keys (sync.server.chip_keys): the keys themselves are derived
    from the server's root secret and never stored. Generation 1 is made on first need; revoking a terminal
    that could hold the keys starts the next one, which new and rewritten cards are keyed with. Older ones
    stay listed for reading until the club retires them (its cards then fail the challenge)."""

    __tablename__ = "chip_key_generation"
    branch_id: Mapped[str] = mapped_column(ForeignKey("branch.id"), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    # why it was started: "first", or "terminal_revoked" with the terminal that could hold the one before
    reason: Mapped[str] = mapped_column(String(32))
    revoked_device_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    retired_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    retired_by: Mapped[str | None] = mapped_column(String(160), nullable=True)


class CardTapRow(Base):
    """A chip card a terminal accepted, as its push reported it (sync.server.card_taps), by the push item's
    id. Compared by the time the terminal tapped it (`used_at_us`), not by arrival: an offline terminal's
    taps come late. One card at two branches too soon, or a chip whose read counter goes backwards, is an
    alert."""

    __tablename__ = "card_tap"
    __table_args__ = (Index("ix_card_tap_card_number_used_at_us", "card_number", "used_at_us"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    card_number: Mapped[str] = mapped_column(String(19))
    member_id: Mapped[str] = mapped_column(ID, index=True)
    device_id: Mapped[str] = mapped_column(ID)
    branch_id: Mapped[str] = mapped_column(ID)  # the terminal's branch
    used_at_us: Mapped[int] = mapped_column(BigInteger)  # the terminal's clock
    purpose: Mapped[str] = mapped_column(String(8))  # "member" (a counter) or "door"
    chip: Mapped[str] = mapped_column(String(12))  # "challenge" or "signature" (sync.protocol.CardTapItem)
    read_counter: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 24 bits
    received_at_us: Mapped[int] = mapped_column(BigInteger)


# Core tables, for the modules that speak SQL expressions rather than ORM sessions.
COUNTER = SyncCounterRow.__table__
SETTING = SettingRow.__table__
TIER = TierRow.__table__
BRANCH = BranchRow.__table__
DEVICE = DeviceRow.__table__
STAFF = StaffRow.__table__
CLUB_KEY = ClubKeyRow.__table__
MEMBER = MemberRow.__table__
BALANCE = MemberBalanceRow.__table__
PHOTO = PhotoRow.__table__
MEMBER_PHOTO = MemberPhotoRow.__table__
CARD = CardRow.__table__
REVOCATION = CardRevocationRow.__table__
ENTRY = LedgerEntryRow.__table__
REJECTED = RejectedEntryRow.__table__
DEVICE_HOUR = DeviceHourRow.__table__
ITEM = SyncItemRow.__table__
CHANGE = ChangeRow.__table__
GRANT = GrantRow.__table__
CURRENT_GRANT = CurrentGrantRow.__table__
ALERT = AlertRow.__table__
AUDIT = AuditRow.__table__
ENROLLMENT_CODE = EnrollmentCodeRow.__table__
ADMIN_TOKEN = AdminTokenRow.__table__
EVENT = EventRow.__table__
INVITATION = InvitationRow.__table__
SERVER_KEY = ServerKeyRow.__table__
RULE_SET = RuleSetRow.__table__
OFFICE_USER = OfficeUserRow.__table__
OFFICE_SESSION = OfficeSessionRow.__table__
CLOSED_BRANCH = ClosedBranchRow.__table__
REPORT_WATERMARK = ReportWatermarkRow.__table__
REPORT_DAY = ReportDayRow.__table__
REPORT_STAFF_DAY = ReportStaffDayRow.__table__
REPORT_MEMBER_DAY = ReportMemberDayRow.__table__
REPORT_MEMBER_MONTH = ReportMemberMonthRow.__table__
REPORT_SUMMARY_CACHE = ReportSummaryCacheRow.__table__
REPORT_JOB = ReportJobRow.__table__
PROGRAMME_RUN = ProgrammeRunRow.__table__
MESSAGE_CAMPAIGN = MessageCampaignRow.__table__
MESSAGE_TEMPLATE = MessageTemplateRow.__table__
MESSAGE = MessageRow.__table__
PORTAL_SIGN_IN = PortalSignInRow.__table__
PORTAL_SESSION = PortalSessionRow.__table__
PHONE_CODE_USE = PhoneCodeUseRow.__table__
CHIP_KEY_GENERATION = ChipKeyGenerationRow.__table__
CARD_TAP = CardTapRow.__table__
