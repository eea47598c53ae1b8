# SPDX-License-Identifier: GPL-3.0-or-later
"""Branches: add, rename (and change their earning), close and reopen.

A branch's record is published to every terminal, which prices sales by it; when the programme has rule
sets, a change to a branch's earning is also a new rule-set version (the programme prices by that). Closing
keeps the branch's record, ledger and members: it only stops new terminals and staff there
(`club.require_open_branch`), and is shown as closed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Connection, delete, insert, select

from sync.protocol import WireBranch
from sync.server import club
from sync.server import rules as rule_sets
from sync.server.club import programme
from sync.server.club.access import Permission
from sync.server.club.act import Act, Call, change, read
from sync.server.errors import ApiError
from sync.server.models import CLOSED_BRANCH


@dataclass(frozen=True, slots=True)
class BranchView:
    branch: WireBranch
    closed_at_us: int | None


def listing(call: Call) -> list[BranchView]:
    def work(conn: Connection) -> list[BranchView]:
        closed = {r.branch_id: r.closed_at_us for r in conn.execute(select(CLOSED_BRANCH))}
        return [BranchView(b, closed.get(b.id)) for b in club.branches(conn)]

    return read(call, "branch.list", None, work, audited=False)


def _dump(branch: WireBranch | None) -> dict[str, object] | None:
    return None if branch is None else branch.model_dump(mode="json")


def _put(act: Act, branch: WireBranch) -> WireBranch:
    holder = club.branch_by_code(act.conn, branch.code)
    if holder is not None and holder.id != branch.id:
        raise ApiError(409, "branch_code_taken", f"branch code {branch.code} is in use")
    act.before = _dump(club.branch(act.conn, branch.id))
    club.put_branch(act.conn, act.pub, branch)
    if rule_sets.latest_version(act.conn) > 0:  # the programme prices sales: a new version if this changes it
        rules = rule_sets.current(act.conn)
        scenario = rule_sets.branch_rules(branch)
        if rules.branch_rules(branch.code) != scenario:
            others = tuple((c, b) for c, b in rules.branches if c != branch.code)
            new = replace(rules, branches=(*others, (branch.code, scenario)))
            programme.save_version(act.conn, act.pub, new, act.actor.audit_name)
    act.after = _dump(branch)
    return branch


def put(call: Call, branch: WireBranch) -> WireBranch:
    """A new branch, or a branch's new names or earning; terminals follow after their next pull."""
    return change(call, Permission.BRANCH_MANAGE, "branch.put", branch.id, lambda act: _put(act, branch))


def rename(call: Call, branch_id: str, name_fa: str, name_en: str) -> WireBranch:
    def work(act: Act) -> WireBranch:
        current = club.branch(act.conn, branch_id)
        if current is None:
            raise ApiError(404, "unknown_branch", "no such branch")
        renamed = WireBranch.model_validate(
            current.model_dump() | {"name_fa": name_fa.strip(), "name_en": name_en.strip()}
        )
        return _put(act, renamed)

    return change(call, Permission.BRANCH_MANAGE, "branch.rename", branch_id, work)


def set_closed(call: Call, branch_id: str, closed: bool) -> BranchView:
    def work(act: Act) -> BranchView:
        branch = club.branch(act.conn, branch_id)
        if branch is None:
            raise ApiError(404, "unknown_branch", "no such branch")
        was = act.conn.execute(
            select(CLOSED_BRANCH.c.closed_at_us).where(CLOSED_BRANCH.c.branch_id == branch_id)
        ).scalar_one_or_none()
        act.before = {"closed": was is not None}
        act.after = {"closed": closed}
        if closed and was is None:
            act.conn.execute(
                insert(CLOSED_BRANCH).values(
                    branch_id=branch_id, closed_at_us=act.now_us, closed_by=act.actor.audit_name
                )
            )
            return BranchView(branch, act.now_us)
        if not closed:
            act.conn.execute(delete(CLOSED_BRANCH).where(CLOSED_BRANCH.c.branch_id == branch_id))
            return BranchView(branch, None)
        return BranchView(branch, was)

    action = "branch.close" if closed else "branch.reopen"
    return change(call, Permission.BRANCH_MANAGE, action, branch_id, work)
