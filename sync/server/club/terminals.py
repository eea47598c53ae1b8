# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's terminals: enrolment codes, the list of terminals as they last reported, and revoking one.

Branch managers act only on their branches' terminals (Permission.TERMINAL_MANAGE is per branch); anyone who
may read sees every terminal. A code is shown once and stored hashed (sync.server.enrolment). A terminal's
state comes from when it was last heard from and what it said of itself (its version, its backlog: the
headers of sync.protocol).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from sync.protocol import WireBranch
from sync.server import chip_keys, club, enrolment
from sync.server.club.access import Permission
from sync.server.club.act import Act, Call, change, read
from sync.server.errors import ApiError
from sync.server.models import BRANCH, DEVICE

LAGGING_S = 3600  # a terminal not heard from for an hour is shown as lagging (the dashboard's too)
DEFAULT_TTL_HOURS = 24


@dataclass(frozen=True, slots=True)
class Terminal:
    """A device row with its branch, as head office sees it."""

    id: str
    code: str
    name: str
    branch_id: str
    branch_code: str
    branch_name_fa: str
    branch_name_en: str
    number: int
    card_prefix: str
    key_id: int | None
    enrolled_at_us: int
    revoked_at_us: int | None
    claimed_at_us: int | None
    last_seen_us: int | None
    last_seq: int
    contiguous_seq: int
    software_version: str | None
    backlog: int | None
    reported_at_us: int | None
    state: str  # revoked · unused (enrolled, token never used) · never (not seen) · lagging · online

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def state_of(row: Any, now_us: int) -> str:
    if row.revoked_at_us is not None:
        return "revoked"
    if row.token_hash is not None and row.claimed_at_us is None:
        return "unused"
    if row.last_seen_us is None:
        return "never"
    return "lagging" if now_us - row.last_seen_us > LAGGING_S * 1_000_000 else "online"


_COLUMNS = (
    DEVICE.c.id,
    DEVICE.c.code,
    DEVICE.c.name,
    DEVICE.c.branch_id,
    DEVICE.c.number,
    DEVICE.c.card_prefix,
    DEVICE.c.key_id,
    DEVICE.c.token_hash,
    DEVICE.c.enrolled_at_us,
    DEVICE.c.revoked_at_us,
    DEVICE.c.claimed_at_us,
    DEVICE.c.last_seen_us,
    DEVICE.c.last_seq,
    DEVICE.c.contiguous_seq,
    DEVICE.c.software_version,
    DEVICE.c.backlog,
    DEVICE.c.reported_at_us,
    BRANCH.c.code.label("branch_code"),
    BRANCH.c.name_fa.label("branch_name_fa"),
    BRANCH.c.name_en.label("branch_name_en"),
)


def _terminal(row: Any, now_us: int) -> Terminal:
    fields = {name: getattr(row, name) for name in Terminal.__dataclass_fields__ if name != "state"}
    return Terminal(**fields, state=state_of(row, now_us))


def _rows(conn: Connection, branch_id: str | None, device_id: str | None = None) -> list[Any]:
    # at most 999 terminals (device numbers, sync.server.enrolment): a page holds them all
    query = select(*_COLUMNS).join(BRANCH, BRANCH.c.id == DEVICE.c.branch_id).order_by(DEVICE.c.number)
    if branch_id is not None:
        query = query.where(DEVICE.c.branch_id == branch_id)
    if device_id is not None:
        query = query.where(DEVICE.c.id == device_id)
    return list(conn.execute(query))


def terminals(call: Call, branch_id: str | None = None, *, audited: bool = False) -> list[Terminal]:
    """Every terminal (of a branch), in device-number order. One whose enrolment answer was never used in
    time is revoked first (sync.server.enrolment.retire_unclaimed), so it is not shown as a live credential;
    that revocation is a change of its own, audited, and happens only when there is one to make."""

    def listed(conn: Connection) -> list[Any]:
        return _rows(conn, branch_id)

    rows = read(call, "terminal.list", branch_id, listed, audited=audited)
    if any(_unclaimed_expired(row, call.now_us) for row in rows):
        _retire_unclaimed(call)
        rows = read(call, "terminal.list", branch_id, listed, audited=False)
    return [_terminal(row, call.now_us) for row in rows]


def _unclaimed_expired(row: Any, now_us: int) -> bool:
    return (
        row.revoked_at_us is None
        and row.token_hash is not None
        and enrolment.unclaimed_expired(row.enrolled_at_us, row.claimed_at_us, now_us)
    )


def _retire_unclaimed(call: Call) -> None:
    """The rule revokes them, not the reader: anyone who may see the list sees it without them (the audit
    row names who was looking when it happened, and which terminals went)."""

    def work(act: Act) -> None:
        act.after = {"revoked": enrolment.retire_unclaimed(act.conn, act.pub, act.now_us)}

    change(call, Permission.READ, "terminal.retire_unclaimed", None, work)


def terminal(call: Call, device_id: str) -> Terminal:
    """One terminal; 404 `unknown_device`."""
    rows = read(call, "terminal.view", device_id, lambda conn: _rows(conn, None, device_id), audited=False)
    if not rows:
        raise ApiError(404, "unknown_device", "no such device")
    return _terminal(rows[0], call.now_us)


@dataclass(frozen=True, slots=True)
class EnrolmentCode:
    """A one-time code, shown once: the database keeps only its hash."""

    code: str
    branch_id: str
    branch_code: str
    expires_at_us: int


def branches(call: Call) -> list[WireBranch]:
    """The club's branches, by code (what the forms offer; whom they may act at is the actor's)."""
    return read(call, "branch.list", None, club.branches, audited=False)


def branch_id_of(call: Call, code: str) -> str:
    """A branch's id by its code (as the command line and the admin API name branches); 404 otherwise."""
    with call.db.read() as conn:
        branch = club.branch_by_code(conn, code)
    if branch is None:
        raise ApiError(404, "unknown_branch", f"no branch with code {code!r}")
    return branch.id


def new_enrolment_code(call: Call, branch_id: str, ttl_hours: int = DEFAULT_TTL_HOURS) -> EnrolmentCode:
    """A code a terminal of the branch enrols with (`bashgah enroll --server URL --code CODE`)."""

    def work(act: Act) -> EnrolmentCode:
        branch = club.branch(act.conn, branch_id)
        if branch is None:
            raise ApiError(404, "unknown_branch", "no such branch")
        club.require_open_branch(act.conn, branch_id)
        issued = enrolment.issue_code_for(act.conn, branch, ttl_hours, act.now_us, act.actor.audit_name)
        # never the code itself: it is a credential until used
        act.after = {"branch": issued.branch_code, "expires_at_us": issued.expires_at_us}
        return EnrolmentCode(issued.code, issued.branch_id, issued.branch_code, issued.expires_at_us)

    return change(
        call, Permission.TERMINAL_MANAGE, "terminal.enrolment_code", branch_id, work, branch_id=branch_id
    )


def revoke_terminal(call: Call, device_id: str) -> Terminal:
    """Refuse the terminal's token from now on and retire its card-signing key (its cards stay valid);
    revoking a revoked terminal changes nothing."""
    current = terminal(call, device_id)

    def work(act: Act) -> Terminal:
        row = act.conn.execute(
            select(DEVICE.c.branch_id, DEVICE.c.revoked_at_us).where(DEVICE.c.id == device_id)
        ).one()
        if row.branch_id != current.branch_id:  # a terminal's branch never changes; checked all the same
            act.actor.require(Permission.TERMINAL_MANAGE, row.branch_id)
        act.before = {"code": current.code, "revoked_at_us": row.revoked_at_us}
        if row.revoked_at_us is None:
            act.conn.execute(update(DEVICE).where(DEVICE.c.id == device_id).values(revoked_at_us=act.now_us))
            club.retire_device_keys(act.conn, act.pub, device_id, act.now_us)
            # it may hold its branch's chip keys: cards keyed or rewritten from now on get new ones
            act.detail["chip_generation"] = chip_keys.rotate_after_revocation(act.conn, device_id, act.now_us)
        [after] = _rows(act.conn, None, device_id)
        act.after = {"code": after.code, "revoked_at_us": after.revoked_at_us}
        return _terminal(after, act.now_us)

    return change(
        call, Permission.TERMINAL_MANAGE, "terminal.revoke", device_id, work, branch_id=current.branch_id
    )
