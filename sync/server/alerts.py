# SPDX-License-Identifier: GPL-3.0-or-later
"""Alerts (what a person should look at) and the audit log (who did what), both append-only.

Both are written in the transaction of the thing they are about, so neither can be lost or invented.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, insert

from sync.server.models import ALERT, AUDIT

# Alert kinds, for the admin API's filter and the docs.
ALERT_KINDS = (
    "entry_edited",  # an entry whose hash does not hold (rejected)
    "entry_rejected",  # unknown member or branch
    "entry_conflict",  # the same id or device_seq with another body
    "item_conflict",  # the same item id with another body
    "item_rejected",
    "chain_problem",  # sequence_gap, reordered_or_deleted, late
    "negative_balance",  # a member went below zero: on the restricted list
    "balance_restored",  # back to zero or more: off the list
    "duplicate_phone",  # two members share a phone (two offline terminals enrolled one person)
    "photo_rejected",
    "double_admission",  # one member admitted to an event by two doors (offline): both admissions stand
    "velocity_limit",  # a terminal went past an hourly ceiling: what was over is set aside
    "reversed_twice",  # two tills undid (returned) one entry offline: both stand
    "member_corrected",  # a terminal enrolled a member at another branch or in another tier: corrected
    "phone_code_two_terminals",  # one phone code accepted at two terminals: a copy of the screen in use
    "card_two_branches",  # one card at two branches sooner than anyone travels: a clone (card_taps)
    "card_counter_backwards",  # a chip's read counter not going forward between taps: a clone or a replay
)


def _json(detail: dict[str, Any]) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)


def raise_alert(
    conn: Connection,
    at_us: int,
    kind: str,
    *,
    device_id: str | None = None,
    member_id: str | None = None,
    subject: str | None = None,
    **detail: Any,
) -> None:
    conn.execute(
        insert(ALERT).values(
            at_us=at_us,
            kind=kind,
            device_id=device_id,
            member_id=member_id,
            subject=subject,
            detail=_json(detail),
        )
    )


def audit(conn: Connection, at_us: int, actor: str, action: str, target: str | None, **detail: Any) -> None:
    target = None if target is None else target[:200]
    conn.execute(
        insert(AUDIT).values(
            at_us=at_us, actor=actor[:160], action=action, target=target, detail=_json(detail)
        )
    )
