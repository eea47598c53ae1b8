# SPDX-License-Identifier: GPL-3.0-or-later
"""Who may do what: the one table of roles and permissions, checked by every use case in `club/`.

Head office signs in to the back office as a user with one role; the JSON admin API's tokens carry the older
roles (viewer, manager, admin), mapped here onto the same table so both doors open onto one set of rules.
A branch manager acts only on the branches given; a check that names a branch outside them is refused, and a
check that names no branch is refused too when the permission is one a branch manager holds only per branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sync.server.errors import ApiError

OFFICE_ROLES = ("owner", "manager", "branch-manager", "marketing", "auditor")
# The admin API's token roles, as office roles.
TOKEN_ROLES = {"admin": "owner", "manager": "manager", "viewer": "auditor"}


class Permission(StrEnum):
    READ = "read"  # members, programme, events, terminals, queues: personal data, so audited when read
    MEMBER_EDIT = "member_edit"  # profile, tier placement, consent, enrolment
    POINTS_ADJUST = "points_adjust"
    CARD_MANAGE = "card_manage"  # issue, revoke, mark lost
    PRIVACY = "privacy"  # export everything held about a member, erase them
    RULES_PUBLISH = "rules_publish"  # the programme's rule set: tiers, earning, campaigns, rewards
    EVENT_MANAGE = "event_manage"  # events and their invitations
    REVIEW_RESOLVE = "review_resolve"  # set-aside entries and alerts
    TERMINAL_MANAGE = "terminal_manage"  # enrolment codes, revoking terminals
    STAFF_MANAGE = "staff_manage"  # the terminals' staff: add, role, PIN, unlock, disable
    BRANCH_MANAGE = "branch_manage"  # add, rename, close branches
    SETTINGS = "settings"  # the club's settings
    USER_MANAGE = "user_manage"  # head-office accounts
    AUDIT_READ = "audit_read"
    # the fraud signals: each staff member's and terminal's rates against their peers, members flagged by
    # name; sensitive, so not every reader's (sync.server.reports.fraud)
    FRAUD_READ = "fraud_read"
    # messages to members: templates, campaigns, the switch that stops sending (sync.server.club.messages)
    MESSAGES = "messages"


P = Permission
_EVERYTHING = frozenset(Permission)
GRANTS: dict[str, frozenset[Permission]] = {
    "owner": _EVERYTHING,
    "manager": _EVERYTHING - {P.USER_MANAGE, P.AUDIT_READ, P.SETTINGS, P.BRANCH_MANAGE},
    "branch-manager": frozenset(
        {
            P.READ,
            P.MEMBER_EDIT,
            P.POINTS_ADJUST,
            P.CARD_MANAGE,
            P.EVENT_MANAGE,
            P.REVIEW_RESOLVE,
            P.TERMINAL_MANAGE,
            P.STAFF_MANAGE,
            P.FRAUD_READ,
        }
    ),
    "marketing": frozenset({P.READ, P.RULES_PUBLISH, P.EVENT_MANAGE, P.MEMBER_EDIT, P.MESSAGES}),
    "auditor": frozenset({P.READ, P.AUDIT_READ, P.FRAUD_READ}),
}
assert set(GRANTS) == set(OFFICE_ROLES)
# A member acting on their own file from the member page (sync.server.portal): no office role, these
# permissions only, and only ever on the member id of their own session (the portal passes nothing else).
MEMBER_GRANTS = frozenset({P.READ, P.MEMBER_EDIT, P.CARD_MANAGE, P.PRIVACY})
# What a branch manager holds only for the branches given; the rest (READ, members) is club-wide, since a
# member shops at every branch. A points adjustment is written at a branch (its ledger entry's), so a branch
# manager adjusts only at theirs. The fraud signals judge a branch's staff: a branch manager sees their own.
PER_BRANCH = frozenset(
    {P.REVIEW_RESOLVE, P.TERMINAL_MANAGE, P.STAFF_MANAGE, P.EVENT_MANAGE, P.POINTS_ADJUST, P.FRAUD_READ}
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone acting on the club: a back-office user or an admin-API token, with an office role."""

    id: str
    name: str
    role: str
    # "user" (back office), "token" (admin API), "console" (bashgah-server on the host) or "member" (the
    # member page: the member themselves, MEMBER_GRANTS)
    kind: str = "user"
    branch_ids: frozenset[str] | None = None  # None: every branch

    @property
    def audit_name(self) -> str:
        prefix = {"user": "user", "token": "admin", "console": "cli", "member": "member"}[self.kind]
        return f"{prefix}:{self.name} ({self.id})"

    def may(self, permission: Permission, branch_id: str | None = None) -> bool:
        grants = MEMBER_GRANTS if self.kind == "member" else GRANTS.get(self.role, frozenset())
        if permission not in grants:
            return False
        if self.branch_ids is None or permission not in PER_BRANCH:
            return True
        return branch_id is not None and branch_id in self.branch_ids

    def require(self, permission: Permission, branch_id: str | None = None) -> None:
        """Refuse (403 `forbidden`) what this actor may not do; every use case calls this first."""
        if not self.may(permission, branch_id):
            where = f" at branch {branch_id}" if branch_id and self.branch_ids is not None else ""
            raise ApiError(
                403, "forbidden", f"the {self.role} role may not do this{where}", permission=str(permission)
            )


CONSOLE = Actor(id="console", name="bashgah-server", role="owner", kind="console")


def token_actor(token_id: str, name: str, token_role: str) -> Actor:
    return Actor(id=token_id, name=name, role=TOKEN_ROLES[token_role], kind="token")
