# SPDX-License-Identifier: GPL-3.0-or-later
"""A member withdraws marketing consent themselves: the email's one-click link (`email_unsubscribe`) or an
SMS "stop" (`sms_stop`). Done as the back office's consent change is (sync.server.club.privacy.set_consent):
the member row (consent, its date, and where it was withdrawn), the member published so every terminal
shows it, and an audit row naming the member as the actor, in one transaction."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Connection, select, update

from sync.server import members
from sync.server.alerts import audit
from sync.server.models import MEMBER
from sync.server.sequence import Publisher

Source = Literal["email_unsubscribe", "sms_stop"]


def withdraw(conn: Connection, member_id: str, source: Source, now_us: int) -> bool:
    """Withdraw the member's marketing consent; False when there was none to withdraw (already withdrawn,
    an erased member, no such member), and then nothing is written: a link clicked twice, or a "stop" the
    provider delivers twice, changes nothing the second time."""
    row = conn.execute(select(MEMBER).where(MEMBER.c.id == member_id)).one_or_none()
    if row is None or row.erased_at_us is not None or not row.consent_marketing:
        return False
    conn.execute(
        update(MEMBER)
        .where(MEMBER.c.id == member_id)
        .values(
            consent_marketing=False,
            consent_marketing_at_us=now_us,
            consent_marketing_source=source,
            updated_at_us=now_us,
        )
    )
    pub = Publisher(now_us)
    wire = members.wire_member(row).model_copy(update={"consent_marketing": False})
    pub.change("member", {"kind": "member", "member": wire.model_dump(mode="json")}, member_id=member_id)
    audit(
        conn,
        now_us,
        f"member ({source})",
        "member.consent",
        member_id,
        before={"consent_marketing": True, "since_us": row.consent_marketing_at_us},
        after={"consent_marketing": False, "since_us": now_us, "source": source},
    )
    pub.flush(conn)
    return True
