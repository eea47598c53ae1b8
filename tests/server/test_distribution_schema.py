# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's schema keeps the door to Citus open (docs/scaling.md): every table has a role in the
distribution by member, member-owned tables carry `member_id`, and reference tables refer to nothing
that would be distributed. A new table must be sorted here, with a look at docs/scaling.md."""

from __future__ import annotations

from sync.server.models import Base

MEMBER_OWNED = frozenset({
    "member", "ledger_entry", "member_balance", "card", "card_revocation", "member_photo", "photo",
    "spend_grant", "current_grant", "invitation", "report_member_day", "report_member_month", "message",
    "portal_session", "phone_code_use", "card_tap",
})  # fmt: skip
REFERENCE = frozenset({
    "branch", "tier", "rule_set", "setting", "staff", "device", "closed_branch", "club_key", "server_key",
    "event", "office_user", "message_template", "message_campaign", "chip_key_generation",
})  # fmt: skip
DEVICE_OWNED = frozenset({"sync_item", "rejected_entry", "device_hour", "report_staff_day"})
COORDINATOR = frozenset({
    "sync_counter", "change", "report_day", "report_watermark", "report_job", "report_summary_cache",
    "alert", "audit_log", "admin_token", "office_session", "enrollment_code", "programme_run",
    "portal_sign_in",
})  # fmt: skip
# member-owned, reached through another table's member_id (none since card_revocation gained its own)
WITHOUT_MEMBER_ID: frozenset[str] = frozenset()


def test_every_table_has_a_role_in_the_distribution():
    tables = set(Base.metadata.tables)
    roles = [MEMBER_OWNED, REFERENCE, DEVICE_OWNED, COORDINATOR]
    sorted_ = set().union(*roles)
    assert tables - sorted_ == set(), "new tables: give them a role here and in docs/scaling.md"
    assert sorted_ - tables == set(), "tables that are gone: remove them here and in docs/scaling.md"
    assert sum(len(role) for role in roles) == len(sorted_), "a table has two roles"


def test_member_owned_tables_carry_member_id():
    for name in MEMBER_OWNED - WITHOUT_MEMBER_ID - {"member"}:
        assert "member_id" in Base.metadata.tables[name].columns, f"{name} has no member_id"


def test_reference_and_device_tables_refer_to_nothing_distributed_by_member():
    for name in REFERENCE | DEVICE_OWNED | COORDINATOR:
        for key in Base.metadata.tables[name].foreign_keys:
            target = key.column.table.name
            assert target not in MEMBER_OWNED, f"{name} refers to the member-owned {target}"


def test_member_owned_tables_reach_other_members_through_nothing():
    """A member-owned table's foreign keys go to reference tables, or to member-owned rows of the same
    member (through member_id, or through a key of a table of the same member)."""
    for name in MEMBER_OWNED:
        for key in Base.metadata.tables[name].foreign_keys:
            target = key.column.table.name
            assert target in REFERENCE or target in MEMBER_OWNED, f"{name} refers to {target}"
            if target == "member":
                assert key.parent.name == "member_id", f"{name}.{key.parent.name} refers to another member"
