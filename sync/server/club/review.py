# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's review queues: entries the server set aside, and the alerts a person should look at.

A set-aside entry waits until someone decides it, once: `accept` counts it after all (it moves into the
ledger: sync.server.review), `refuse` confirms that it counts nowhere, for good (its row stays, with who
decided, when and why, and terminals are told: a `set_aside_resolved` change). Either decision resolves the
alert raised with the entry, with the same note. An alert is resolved once too (`resolve_alert`), with a note.
Deciding again is refused with 409 `already_resolved`, whoever tries.

A branch manager sees and decides only what their branches' terminals sent: an entry's branch is its
device's (the terminal that made it, not the branch the entry names: that one may be what was wrong); an
alert's is its device's, or, for an alert about a member and no terminal (a negative balance), the member's
home branch. What has neither is the head office's.

Lists are keyset paged (`after`: the last row's `cursor`), never whole tables.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Row, and_, case, func, literal, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from sync.protocol import MAX_REVIEW_NOTE, WireEntry
from sync.server import review
from sync.server.alerts import ALERT_KINDS
from sync.server.club.access import GRANTS, Actor, Permission
from sync.server.club.act import Act, Call, change, read
from sync.server.errors import ApiError
from sync.server.models import ALERT, BRANCH, DEVICE, ENTRY, MEMBER, REJECTED

T = TypeVar("T")
PAGE = 50
MAX_PAGE = 500
NOTE_MIN = 3
DOUBLE_ADMISSION = "double_admission"
NEGATIVE_BALANCE = "negative_balance"
OTHER = "other"  # `alerts(kind=OTHER)`: every kind but the two with tabs of their own
TABS = (DOUBLE_ADMISSION, NEGATIVE_BALANCE, OTHER)
# the alerts push raises with a set-aside entry (sync.server.push._insert_rejected), subject: the entry id
ENTRY_ALERTS = ("entry_rejected", "entry_edited")
REFUSED, ACCEPTED = "refused", "accepted"
_AUDIT_NAME = re.compile(r"^[a-z]+:(?P<name>.*) \([^()]*\)$")


def display_name(audit_name: str | None) -> str:
    """The person in an actor's audit name ("user:mina (id)" → "mina"); older rows say less, shown as are."""
    if not audit_name:
        return ""
    found = _AUDIT_NAME.match(audit_name)
    return found.group("name") if found else audit_name


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_after: str | None  # pass as `after` for the next page; None: this was the last


@dataclass(frozen=True, slots=True)
class Place:
    """Where something came from: the terminal and its branch (names in both languages)."""

    device_id: str | None
    device_code: str | None
    branch_id: str | None
    branch_name_fa: str | None
    branch_name_en: str | None


@dataclass(frozen=True, slots=True)
class SetAsideItem:
    entry: WireEntry
    reason: str
    received_at_us: int
    place: Place
    member_name: str | None  # None: the server holds no such member
    decision: str | None  # None while it waits; "refused" or "accepted"
    decided_at_us: int | None
    decided_by: str | None  # the actor's audit name
    note: str | None
    alert_id: int | None  # the alert raised when it was set aside
    cursor: str

    @property
    def waiting(self) -> bool:
        return self.decision is None

    @property
    def acceptable(self) -> bool:
        return self.reason not in review.NOT_ACCEPTABLE

    @property
    def decided_by_name(self) -> str:
        return display_name(self.decided_by)

    def as_dict(self) -> dict[str, Any]:
        """What the audit log keeps of it: no body, enough to find it and see what it was."""
        entry = self.entry
        return {
            "entry_id": entry.id,
            "device_id": entry.device_id,
            "device_seq": entry.device_seq,
            "kind": entry.kind.value,
            "member_id": entry.member_id,
            "points_delta": entry.points_delta,
            "cash_delta": entry.cash_delta,
            "sale_amount": entry.sale_amount,
            "reason": self.reason,
            "decision": self.decision,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class AlertItem:
    id: int
    at_us: int
    kind: str
    place: Place
    member_id: str | None
    member_name: str | None
    subject: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    resolved_at_us: int | None = None
    resolved_by: str | None = None
    note: str | None = None

    @property
    def cursor(self) -> str:
        return str(self.id)

    @property
    def open(self) -> bool:
        return self.resolved_at_us is None

    @property
    def resolved_by_name(self) -> str:
        return display_name(self.resolved_by)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "subject": self.subject,
            "resolved_at_us": self.resolved_at_us,
            "resolved_by": self.resolved_by,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Counts:
    set_aside: int  # waiting for a decision
    double_admission: int  # open alerts of each tab
    negative_balance: int
    other: int


# ---- who sees what ---------------------------------------------------------------------------------


def _scope(actor: Actor) -> frozenset[str] | None:
    """The branches whose things the actor sees in the queues (None: all)."""
    return actor.branch_ids


def _require_role(actor: Actor, permission: Permission) -> None:
    """The role check alone (for something with no branch to name, before saying it does not exist)."""
    if permission not in GRANTS.get(actor.role, frozenset()):
        actor.require(permission)


def _note(note: str | None, *, required: bool) -> str:
    text = " ".join((note or "").split())
    if required and len(text) < NOTE_MIN:
        raise ApiError(422, "note_required", f"say why, in at least {NOTE_MIN} characters")
    if len(text) > MAX_REVIEW_NOTE:
        raise ApiError(422, "note_too_long", f"a note has at most {MAX_REVIEW_NOTE} characters")
    return text


def _cap(limit: int) -> int:
    return max(1, min(int(limit), MAX_PAGE))


# ---- the set-aside queue -----------------------------------------------------------------------------


def _waiting() -> Any:
    """1 for an entry still waiting, 0 for one decided: the queue's first sort key."""
    return case((REJECTED.c.decision.is_(None), 1), else_=0)


def _entry_alert() -> Any:
    """The alert raised when the entry was set aside (the earliest, should a retry have raised another)."""
    return (
        select(func.min(ALERT.c.id))
        .where(
            ALERT.c.subject == REJECTED.c.id,
            ALERT.c.device_id == REJECTED.c.device_id,
            ALERT.c.kind.in_(ENTRY_ALERTS),
        )
        .scalar_subquery()
    )


def _set_aside_query() -> Any:
    return (
        select(
            REJECTED,
            _waiting().label("waiting"),
            DEVICE.c.code.label("device_code"),
            DEVICE.c.branch_id.label("device_branch_id"),
            BRANCH.c.name_fa.label("branch_name_fa"),
            BRANCH.c.name_en.label("branch_name_en"),
            _entry_alert().label("alert_id"),
        )
        .select_from(REJECTED)
        .join(DEVICE, DEVICE.c.id == REJECTED.c.device_id)
        .join(BRANCH, BRANCH.c.id == DEVICE.c.branch_id)
    )


def _set_aside_cursor(row: Row[Any]) -> str:
    return f"{row.waiting}.{row.received_at_us}.{row.id}"


def _after_set_aside(after: str) -> ColumnElement[bool]:
    """The rows after a cursor in the queue's order: waiting first, then newest received, then id."""
    try:
        waiting_text, received_text, entry_id = after.split(".", 2)
        waiting, received = int(waiting_text), int(received_text)
    except ValueError:
        raise ApiError(422, "invalid_cursor", "the cursor is not one this list gave") from None
    rank = _waiting()
    return or_(
        rank < waiting,
        and_(rank == waiting, REJECTED.c.received_at_us < received),
        and_(rank == waiting, REJECTED.c.received_at_us == received, REJECTED.c.id < entry_id),
    )


def _member_names(conn: Connection, member_ids: set[str]) -> dict[str, str]:
    if not member_ids:
        return {}
    rows = conn.execute(select(MEMBER.c.id, MEMBER.c.name).where(MEMBER.c.id.in_(sorted(member_ids))))
    return {r.id: r.name for r in rows}


def _entry_place(row: Row[Any]) -> Place:
    return Place(row.device_id, row.device_code, row.device_branch_id, row.branch_name_fa, row.branch_name_en)


def _set_aside_items(conn: Connection, rows: list[Row[Any]]) -> list[SetAsideItem]:
    entries = [WireEntry.model_validate(json.loads(r.body)) for r in rows]
    names = _member_names(conn, {e.member_id for e in entries})
    return [
        SetAsideItem(
            entry=entry,
            reason=row.reason,
            received_at_us=row.received_at_us,
            place=_entry_place(row),
            member_name=names.get(entry.member_id),
            decision=row.decision,
            decided_at_us=row.decided_at_us,
            decided_by=row.decided_by,
            note=row.note,
            alert_id=row.alert_id,
            cursor=_set_aside_cursor(row),
        )
        for entry, row in zip(entries, rows, strict=True)
    ]


def set_aside_queue(
    call: Call, reason: str | None = None, after: str | None = None, *, limit: int = PAGE
) -> Page[SetAsideItem]:
    """Entries the server set aside, waiting ones first, newest first within each; each with why, the
    member, the terminal and its branch, what it would add, and the alert raised with it."""
    limit = _cap(limit)
    scope = _scope(call.actor)

    def work(conn: Connection) -> Page[SetAsideItem]:
        query = _set_aside_query()
        if reason:
            query = query.where(REJECTED.c.reason == reason)
        if scope is not None:
            query = query.where(DEVICE.c.branch_id.in_(sorted(scope)))
        if after:
            query = query.where(_after_set_aside(after))
        order = (_waiting().desc(), REJECTED.c.received_at_us.desc(), REJECTED.c.id.desc())
        rows = conn.execute(query.order_by(*order).limit(limit + 1)).all()
        items = _set_aside_items(conn, rows[:limit])
        return Page(items, items[-1].cursor if len(rows) > limit else None)

    return read(call, "review.set_aside", reason, work)


def _set_aside_row(conn: Connection, entry_id: str) -> Row[Any] | None:
    return conn.execute(_set_aside_query().where(REJECTED.c.id == entry_id)).first()


def set_aside_entry(call: Call, entry_id: str) -> SetAsideItem | None:
    """One set-aside entry as the queue shows it (None: not set aside, or not the actor's to see)."""
    scope = _scope(call.actor)

    def work(conn: Connection) -> SetAsideItem | None:
        row = _set_aside_row(conn, entry_id)
        if row is None or (scope is not None and row.device_branch_id not in scope):
            return None
        return _set_aside_items(conn, [row])[0]

    return read(call, "review.set_aside_entry", entry_id, work)


def _entry_branch(call: Call, entry_id: str) -> str | None:
    """The branch of the terminal that made the entry, set aside or (once accepted) in the ledger; checks
    the role first when there is none, so that only those who may decide learn that it does not exist."""
    with call.db.read() as conn:
        branch_id = conn.execute(
            select(DEVICE.c.branch_id)
            .join(REJECTED, REJECTED.c.device_id == DEVICE.c.id)
            .where(REJECTED.c.id == entry_id)
            .union_all(
                select(DEVICE.c.branch_id)
                .join(ENTRY, ENTRY.c.device_id == DEVICE.c.id)
                .where(ENTRY.c.id == entry_id)
            )
        ).scalar()
    if branch_id is None:
        _require_role(call.actor, Permission.REVIEW_RESOLVE)
    return branch_id  # type: ignore[no-any-return]


def _waiting_row(conn: Connection, entry_id: str) -> Row[Any]:
    row = _set_aside_row(conn, entry_id)
    if row is None:
        counted = conn.execute(select(ENTRY.c.id).where(ENTRY.c.id == entry_id)).first()
        if counted is not None:  # accepted once already: it is in the ledger now
            raise ApiError(409, "already_resolved", "this entry counts already: it is in the ledger")
        raise ApiError(404, "unknown_set_aside", "no entry with this id is set aside")
    if row.decision is not None:
        raise ApiError(
            409,
            "already_resolved",
            f"this entry was {row.decision} already",
            decision=row.decision,
            decided_by=display_name(row.decided_by),
            decided_at_us=row.decided_at_us,
        )
    return row


def _resolve_entry_alerts(act: Act, entry_id: str, device_id: str, note: str) -> list[int]:
    """The decision settles the alert raised with the entry, with the same note."""
    resolved = act.conn.execute(
        update(ALERT)
        .where(
            ALERT.c.subject == entry_id,
            ALERT.c.device_id == device_id,
            ALERT.c.kind.in_(ENTRY_ALERTS),
            ALERT.c.resolved_at_us.is_(None),
        )
        .values(resolved_at_us=act.now_us, resolved_by=act.actor.audit_name[:120], note=note)
        .returning(ALERT.c.id)
    )
    return sorted(resolved.scalars())


def accept(call: Call, entry_id: str, note: str) -> SetAsideItem:
    """Count a set-aside entry after all, as an audited override (409 `not_acceptable` for a repeated bonus,
    an edited entry, or one naming what the server does not hold; 409 `already_resolved` once decided)."""
    note = _note(note, required=True)
    branch_id = _entry_branch(call, entry_id)

    def work(act: Act) -> SetAsideItem:
        row = _waiting_row(act.conn, entry_id)
        waiting = _set_aside_items(act.conn, [row])[0]
        act.before = waiting.as_dict()
        review.accept(act.conn, act.pub, row)
        alerts = _resolve_entry_alerts(act, entry_id, row.device_id, note)
        decided = _decided(waiting, ACCEPTED, act, note)
        act.after = decided.as_dict() | {"alerts_resolved": alerts}
        act.detail = {"was": row.reason, "why": note}
        return decided

    return change(call, Permission.REVIEW_RESOLVE, "set_aside.accept", entry_id, work, branch_id=branch_id)


def refuse(call: Call, entry_id: str, note: str) -> SetAsideItem:
    """Confirm that a set-aside entry counts nowhere, for good; every terminal is told (it stops showing it
    as waiting for review). 409 `already_resolved` once decided."""
    note = _note(note, required=True)
    branch_id = _entry_branch(call, entry_id)

    def work(act: Act) -> SetAsideItem:
        row = _waiting_row(act.conn, entry_id)
        waiting = _set_aside_items(act.conn, [row])[0]
        act.before = waiting.as_dict()
        taken = act.conn.execute(
            update(REJECTED)
            .where(REJECTED.c.id == entry_id, REJECTED.c.decision.is_(None))
            .values(
                decision=REFUSED,
                decided_at_us=act.now_us,
                decided_by=act.actor.audit_name[:160],
                note=note,
            )
        )
        if taken.rowcount != 1:  # a concurrent decision committed first
            raise ApiError(409, "already_resolved", "this entry has been decided already")
        entry = waiting.entry
        body = {
            "kind": "set_aside_resolved",
            "entry_id": entry.id,
            "device_id": entry.device_id,
            "member_id": entry.member_id,
            "decision": REFUSED,
            "decided_at_us": act.now_us,
            "note": note,
        }
        act.pub.change("set_aside_resolved", body, member_id=entry.member_id)
        alerts = _resolve_entry_alerts(act, entry_id, row.device_id, note)
        decided = _decided(waiting, REFUSED, act, note)
        act.after = decided.as_dict() | {"alerts_resolved": alerts}
        act.detail = {"was": row.reason, "why": note}
        return decided

    return change(call, Permission.REVIEW_RESOLVE, "set_aside.refuse", entry_id, work, branch_id=branch_id)


def _decided(item: SetAsideItem, decision: str, act: Act, note: str) -> SetAsideItem:
    return SetAsideItem(
        entry=item.entry,
        reason=item.reason,
        received_at_us=item.received_at_us,
        place=item.place,
        member_name=item.member_name,
        decision=decision,
        decided_at_us=act.now_us,
        decided_by=act.actor.audit_name,
        note=note,
        alert_id=item.alert_id,
        cursor=item.cursor,
    )


# ---- alerts ----------------------------------------------------------------------------------------

_ALERT_BRANCH = func.coalesce(DEVICE.c.branch_id, MEMBER.c.branch_id)


def _alert_query() -> Any:
    return (
        select(
            ALERT,
            DEVICE.c.code.label("device_code"),
            _ALERT_BRANCH.label("branch_id"),
            BRANCH.c.name_fa.label("branch_name_fa"),
            BRANCH.c.name_en.label("branch_name_en"),
            MEMBER.c.name.label("member_name"),
        )
        .select_from(ALERT)
        .outerjoin(DEVICE, DEVICE.c.id == ALERT.c.device_id)
        .outerjoin(MEMBER, MEMBER.c.id == ALERT.c.member_id)
        .outerjoin(BRANCH, BRANCH.c.id == _ALERT_BRANCH)
    )


def _kind_filter(kind: str | None) -> ColumnElement[bool] | None:
    if kind is None or kind == "":
        return None
    if kind == OTHER:
        return ALERT.c.kind.not_in((DOUBLE_ADMISSION, NEGATIVE_BALANCE))
    return ALERT.c.kind == kind


def _detail(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {"text": text}
    return value if isinstance(value, dict) else {"value": value}


def _alert_item(row: Row[Any]) -> AlertItem:
    return AlertItem(
        id=row.id,
        at_us=row.at_us,
        kind=row.kind,
        place=Place(row.device_id, row.device_code, row.branch_id, row.branch_name_fa, row.branch_name_en),
        member_id=row.member_id,
        member_name=row.member_name,
        subject=row.subject,
        detail=_detail(row.detail),
        resolved_at_us=row.resolved_at_us,
        resolved_by=row.resolved_by,
        note=row.note,
    )


def alerts(
    call: Call,
    kind: str | None = None,
    open_only: bool = True,
    after: str | None = None,
    *,
    limit: int = PAGE,
) -> Page[AlertItem]:
    """Alerts newest first (`kind`: one of sync.server.alerts.ALERT_KINDS, or OTHER for every kind but
    double admissions and negative balances), open ones only unless `open_only` is False."""
    limit = _cap(limit)
    scope = _scope(call.actor)
    try:
        after_id = None if not after else int(after)
    except ValueError:
        raise ApiError(422, "invalid_cursor", "the cursor is not one this list gave") from None

    def work(conn: Connection) -> Page[AlertItem]:
        query = _alert_query()
        kinds = _kind_filter(kind)
        if kinds is not None:
            query = query.where(kinds)
        if open_only:
            query = query.where(ALERT.c.resolved_at_us.is_(None))
        if scope is not None:
            query = query.where(_ALERT_BRANCH.in_(sorted(scope)))
        if after_id is not None:
            query = query.where(ALERT.c.id < after_id)
        rows = conn.execute(query.order_by(ALERT.c.id.desc()).limit(limit + 1)).all()
        items = [_alert_item(r) for r in rows[:limit]]
        return Page(items, items[-1].cursor if len(rows) > limit else None)

    return read(call, "review.alerts", kind, work)


def alert(call: Call, alert_id: int) -> AlertItem | None:
    """One alert as the queue shows it (None: no such alert, or not the actor's to see)."""
    scope = _scope(call.actor)

    def work(conn: Connection) -> AlertItem | None:
        row = conn.execute(_alert_query().where(ALERT.c.id == alert_id)).first()
        if row is None or (scope is not None and row.branch_id not in scope):
            return None
        return _alert_item(row)

    return read(call, "review.alert", str(alert_id), work)


def _alert_branch(call: Call, alert_id: int) -> str | None:
    with call.db.read() as conn:
        row = conn.execute(
            select(ALERT.c.id, _ALERT_BRANCH.label("branch_id"))
            .select_from(ALERT)
            .outerjoin(DEVICE, DEVICE.c.id == ALERT.c.device_id)
            .outerjoin(MEMBER, MEMBER.c.id == ALERT.c.member_id)
            .where(ALERT.c.id == alert_id)
        ).first()
    if row is None or row.branch_id is None:
        _require_role(call.actor, Permission.REVIEW_RESOLVE)
    return None if row is None else row.branch_id


def resolve_alert(call: Call, alert_id: int, note: str | None = None) -> AlertItem:
    """Mark an alert as looked at, by whom and why; once (409 `already_resolved` after)."""
    note = _note(note, required=False)
    branch_id = _alert_branch(call, alert_id)

    def work(act: Act) -> AlertItem:
        row = act.conn.execute(_alert_query().where(ALERT.c.id == alert_id)).first()
        if row is None:
            raise ApiError(404, "unknown_alert", "no such alert")
        act.before = _alert_item(row).as_dict()
        taken = act.conn.execute(
            update(ALERT)
            .where(ALERT.c.id == alert_id, ALERT.c.resolved_at_us.is_(None))
            .values(resolved_at_us=act.now_us, resolved_by=act.actor.audit_name[:120], note=note or None)
        )
        if taken.rowcount != 1:
            raise ApiError(
                409,
                "already_resolved",
                "this alert was resolved already",
                resolved_by=display_name(row.resolved_by),
                resolved_at_us=row.resolved_at_us,
            )
        resolved = _alert_item(act.conn.execute(_alert_query().where(ALERT.c.id == alert_id)).one())
        act.after = resolved.as_dict()
        return resolved

    return change(call, Permission.REVIEW_RESOLVE, "alert.resolve", str(alert_id), work, branch_id=branch_id)


# ---- counts ----------------------------------------------------------------------------------------


def counts(call: Call) -> Counts:
    """What waits in each queue, as far as the actor sees (no personal data: not audited)."""
    scope = _scope(call.actor)

    def work(conn: Connection) -> Counts:
        waiting = (
            select(func.count())
            .select_from(REJECTED)
            .join(DEVICE, DEVICE.c.id == REJECTED.c.device_id)
            .where(REJECTED.c.decision.is_(None))
        )
        open_alerts = (
            select(
                case(
                    (ALERT.c.kind == DOUBLE_ADMISSION, literal(DOUBLE_ADMISSION)),
                    (ALERT.c.kind == NEGATIVE_BALANCE, literal(NEGATIVE_BALANCE)),
                    else_=literal(OTHER),
                ).label("tab"),
                func.count().label("n"),
            )
            .select_from(ALERT)
            .outerjoin(DEVICE, DEVICE.c.id == ALERT.c.device_id)
            .outerjoin(MEMBER, MEMBER.c.id == ALERT.c.member_id)
            .where(ALERT.c.resolved_at_us.is_(None))
            .group_by("tab")
        )
        if scope is not None:
            waiting = waiting.where(DEVICE.c.branch_id.in_(sorted(scope)))
            open_alerts = open_alerts.where(_ALERT_BRANCH.in_(sorted(scope)))
        tabs = {r.tab: r.n for r in conn.execute(open_alerts)}
        return Counts(
            set_aside=conn.execute(waiting).scalar_one(),
            double_admission=tabs.get(DOUBLE_ADMISSION, 0),
            negative_balance=tabs.get(NEGATIVE_BALANCE, 0),
            other=tabs.get(OTHER, 0),
        )

    return read(call, "review.counts", None, work, audited=False)


assert DOUBLE_ADMISSION in ALERT_KINDS and NEGATIVE_BALANCE in ALERT_KINDS
