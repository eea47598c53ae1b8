# SPDX-License-Identifier: GPL-3.0-or-later
"""The club's settings: what each may hold, reading them, and changing one (owners: Permission.SETTINGS).

Published settings (sync.protocol.SETTINGS) reach every terminal at its next pull; the server's own
(`club.SERVER_SETTINGS`: the velocity ceilings) stay on the server. The offline-grant policy is the rule
set's (sync.server.rules.RULE_SET_SETTINGS): it changes with a new rule-set version, never here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import Connection

from app.domain.money import MAX_POINTS, MAX_RIALS
from sync.protocol import OLD_CARD_POLICIES, SETTINGS, UNCHECKED_CHIP_POLICIES
from sync.server import club
from sync.server import rules as rule_sets
from sync.server.club.access import Permission
from sync.server.club.act import Act, Call, change, read
from sync.server.errors import ApiError


def _clock_time(value: str) -> bool:
    """HH:MM, 24-hour."""
    found = re.fullmatch(r"([01][0-9]|2[0-3]):([0-5][0-9])", value)
    return found is not None


RULES: dict[str, Callable[[str], bool]] = {
    "club_name_fa": lambda v: 0 < len(v.strip()) <= 120,
    "club_name_en": lambda v: 0 < len(v.strip()) <= 120,
    "revocation_max_age_s": lambda v: v.isdigit() and 60 <= int(v) <= 10 * 365 * 86400,
    "grant_share_percent": lambda v: v.isdigit() and 0 <= int(v) <= 100,
    "grant_cap_points": lambda v: v.isdigit() and 0 <= int(v) <= MAX_POINTS,
    "grant_ttl_s": lambda v: v.isdigit() and 60 <= int(v) <= 30 * 86400,
    "club_card_prefix": lambda v: re.fullmatch(r"[0-9]{1,7}", v) is not None,
    "card_old_cards": lambda v: v in OLD_CARD_POLICIES,
    "card_unchecked_chips": lambda v: v in UNCHECKED_CHIP_POLICIES,
    "velocity_points_per_hour": lambda v: v.isdigit() and 1 <= int(v) <= MAX_POINTS,
    "velocity_wallet_rials_per_hour": lambda v: v.isdigit() and 1 <= int(v) <= MAX_RIALS,
    "velocity_entries_per_hour": lambda v: v.isdigit() and 1 <= int(v) <= 1_000_000,
    "messages_stopped": lambda v: v in ("0", "1"),
    "messages_quiet_start": _clock_time,
    "messages_quiet_end": _clock_time,
    "messages_max_age_days": lambda v: v.isdigit() and 0 <= int(v) <= 365,
    "messages_sender_name": lambda v: len(v) <= 40 and v.isprintable(),
    "messages_sms_part_rials": lambda v: v.isdigit() and int(v) <= MAX_RIALS,
    "messages_email_rials": lambda v: v.isdigit() and int(v) <= MAX_RIALS,
    "messages_expiring_days": lambda v: v.isdigit() and 1 <= int(v) <= 365,
    "messages_membership_days": lambda v: v.isdigit() and 1 <= int(v) <= 365,
    "card_travel_minutes": lambda v: v.isdigit() and 0 <= int(v) <= 24 * 60,
}
assert set(RULES) == set(SETTINGS) | set(club.SERVER_SETTINGS)
# what an owner may change here: not the rule set's
EDITABLE = tuple(key for key in RULES if key not in rule_sets.RULE_SET_SETTINGS)


def settings(call: Call) -> dict[str, str]:
    def work(conn: Connection) -> dict[str, str]:
        return club.settings(conn)

    return read(call, "settings.read", None, work, audited=False)


def put_setting(call: Call, key: str, raw: str) -> dict[str, str]:
    """One setting, checked; returns them all. Refused: an unknown key (404), the rule set's (409), a value
    out of bounds (422)."""
    rule = RULES.get(key)
    if rule is None:
        raise ApiError(404, "unknown_setting", f"settings are: {', '.join(sorted(RULES))}")
    if key in rule_sets.RULE_SET_SETTINGS:
        raise ApiError(
            409,
            "setting_in_rule_set",
            f"{key} is the rule set's offline_grant: publish a new rule-set version (PUT /v1/admin/rules)",
        )
    value = raw.strip()
    if not rule(value):
        raise ApiError(422, "invalid_setting", f"{key}: {SETTINGS.get(key, 'a whole number')}")

    def work(act: Act) -> dict[str, str]:
        before = club.settings(act.conn)
        act.before = {key: before.get(key)}
        club.put_setting(act.conn, act.pub, key, value)
        act.after = {key: value}
        return club.settings(act.conn)

    return change(call, Permission.SETTINGS, "setting.put", key, work)
