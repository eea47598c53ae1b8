# SPDX-License-Identifier: GPL-3.0-or-later
"""A small club on the server for tests, devices enrolled in it, and entries sealed like a terminal's."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from app.domain.companions import Companion
from app.domain.ids import derived_id, uuid7
from app.domain.ledger import GENESIS_HASH, EntryDraft, EntryKind, seal
from sync.protocol import (
    CardItem,
    EnrollRequest,
    MemberItem,
    PushRequest,
    WireBranch,
    WireCard,
    WireEntry,
    WireMember,
    WireStaff,
    WireTier,
)
from sync.server import club, enrolment
from sync.server.auth import create_admin_token
from sync.server.db import Database
from sync.server.sequence import Publisher

BRANCH_1 = "00000000-0000-7000-8000-000000000b01"
BRANCH_2 = "00000000-0000-7000-8000-000000000b02"
TIERS = [
    WireTier(code="bronze", name_fa="برنزی", name_en="Bronze", rank=0),
    WireTier(
        code="silver",
        name_fa="نقره‌ای",
        name_en="Silver",
        rank=1,
        threshold_points=500,
        multiplier_percent=125,
    ),
]
BRANCHES = [
    WireBranch(
        id=BRANCH_1,
        code="THR",
        name_fa="تهران",
        name_en="Tehran",
        earn_points_per_unit=1,
        earn_rials_per_unit=100_000,
        redeem_rials_per_point=1_000,
        redeem_max_share_percent=50,
    ),
    WireBranch(
        id=BRANCH_2,
        code="ISF",
        name_fa="اصفهان",
        name_en="Isfahan",
        earn_points_per_unit=2,
        earn_rials_per_unit=100_000,
        redeem_rials_per_point=1_000,
        redeem_max_share_percent=25,
    ),
]
T0 = 1_750_000_000_000_000  # a fixed moment, UTC microseconds


class FakeClock:
    def __init__(self, now_us: int = T0) -> None:
        self.now = now_us

    def now_us(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1_000_000)


def new_id() -> str:
    return str(uuid7(T0 // 1000, os.urandom(10)))


def install_club(db: Database) -> None:
    def work(conn: Any) -> None:
        pub = Publisher(T0)
        for tier in TIERS:
            club.put_tier(conn, pub, tier)
        for branch in BRANCHES:
            club.put_branch(conn, pub, branch)
        pub.flush(conn)

    db.write(work)


def admin_token(db: Database, role: str = "admin") -> str:
    return db.write(lambda conn: create_admin_token(conn, f"test {role}", role, T0))[1]


def member(branch_id: str = BRANCH_1, phone: str | None = None, **fields: Any) -> WireMember:
    digits = int.from_bytes(os.urandom(4), "big") % 10**9
    values = {
        "id": new_id(),
        "name": "Test Member",
        "phone": phone or f"+989{digits:09d}",
        "tier_code": "bronze",
        "branch_id": branch_id,
        "joined_at_us": T0,
    }
    return WireMember.model_validate(values | fields)


@dataclass
class Terminal:
    """An enrolled device as the server sees it, with a ledger chain of its own."""

    device_id: str
    device_code: str
    token: str
    card_prefix: str
    key_id: int | None
    branch_id: str
    last_seq: int = 0
    head_hash: str = GENESIS_HASH
    entries: list[WireEntry] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def entry(
        self, member_id: str, kind: EntryKind = EntryKind.EARN, points: int = 10, **fields: Any
    ) -> WireEntry:
        """The device's next entry, sealed onto its chain. A sale's amount is, unless given, what earns its
        points for a bronze member at the device's branch (the server re-prices what it receives)."""
        default_sale = _sale_for(points, self.branch_id) if kind is EntryKind.EARN else 0
        draft = EntryDraft(
            id=fields.pop("id", None) or new_id(),
            created_at_us=fields.pop("created_at_us", T0 + self.last_seq),
            branch_id=fields.pop("branch_id", self.branch_id),
            member_id=member_id,
            kind=kind,
            points_delta=points,
            sale_amount=fields.pop("sale_amount", default_sale),
            **fields,
        )
        sealed = WireEntry.of(seal(draft, self.device_id, self.last_seq + 1, self.head_hash))
        self.last_seq, self.head_hash = sealed.device_seq, sealed.hash
        self.entries.append(sealed)
        return sealed

    def sale(
        self,
        member_id: str,
        amount: int,
        *,
        redeem: int = 0,
        points: int | None = None,
        override_by: str | None = None,
        upgrade_to: str | None = None,
        **fields: Any,
    ) -> list[WireEntry]:
        """A sale as a till writes it: its earn entry (by default version 0's points for a bronze member
        at the device's branch), then its companions with derived ids (app.domain.companions): the
        redeem entry when points were spent, a manager's override, the tier it lifted the member to."""
        branch = next(b for b in BRANCHES if b.id == self.branch_id)
        discount = redeem * branch.redeem_rials_per_point
        earned = (amount - discount) * branch.earn_points_per_unit // branch.earn_rials_per_unit
        sale = self.entry(member_id, EntryKind.EARN, earned if points is None else points,
                          sale_amount=amount, **fields)  # fmt: skip
        common = {k: v for k, v in fields.items() if k in ("created_at_us", "rules_version", "staff_id")}
        written = [sale]
        if redeem:
            written.append(self.entry(member_id, EntryKind.REDEEM, -redeem, discount_rials=discount,
                                      id=str(derived_id(sale.id, Companion.REDEEM)), **common))  # fmt: skip
        if override_by:
            written.append(self.entry(member_id, EntryKind.OVERRIDE, 0, reason="the manager said so",
                                      id=str(derived_id(sale.id, Companion.OVERRIDE)),
                                      **(common | {"staff_id": override_by})))  # fmt: skip
        if upgrade_to:
            written.append(self.entry(member_id, EntryKind.TIER_CHANGE, 0, invoice_ref=upgrade_to,
                                      reason="upgrade", id=str(derived_id(sale.id, Companion.TIER)),
                                      **common))  # fmt: skip
        return written

    def push_body(self, entries: list[WireEntry] = (), items: list[Any] = ()) -> dict[str, Any]:  # type: ignore[assignment]
        request = PushRequest(device_id=self.device_id, items=list(items), entries=list(entries))
        return request.model_dump(mode="json")


def _sale_for(points: int, branch_id: str) -> int:
    branch = next(b for b in BRANCHES if b.id == branch_id)
    return max(0, points) * branch.earn_rials_per_unit // branch.earn_points_per_unit


def add_staff(db: Database, role: str = "manager", branch_id: str | None = None, active: bool = True) -> str:
    """A member of the club's staff, as the admin API makes one (the server checks who did what)."""
    staff = WireStaff(id=new_id(), name=f"Test {role}", role=role, branch_id=branch_id,  # type: ignore[arg-type]
                      pin_hash="$argon2id$not-a-real-hash", active=active)  # fmt: skip

    def work(conn: Any) -> None:
        pub = Publisher(T0)
        club.put_staff(conn, pub, staff)
        pub.flush(conn)

    db.write(work)
    return staff.id


def enroll(
    db: Database, branch_code: str = "THR", public_key: str | None = None, now_us: int = T0
) -> Terminal:
    """A device enrolled through the real code path (a code, then the enrolment) at `now_us`: its token
    must be used within a day of that (sync.server.enrolment.UNCLAIMED_TTL_US)."""
    code = db.write(lambda conn: enrolment.issue_code(conn, branch_code, 24, now_us, "test")).code
    request = EnrollRequest(code=code, device_name="till", issuing_public_key=public_key)
    response = db.write(lambda conn: enrolment.enroll(conn, request, now_us))
    return Terminal(
        response.device_id,
        response.device_code,
        response.token,
        response.card_prefix,
        response.key_id,
        response.branch_id,
    )


def member_item(m: WireMember) -> MemberItem:
    return MemberItem(id=new_id(), member=m)


def card_item(member_id: str, number: str, uid: str | None = None) -> CardItem:
    return CardItem(id=new_id(), card=WireCard(number=number, member_id=member_id, issued_at_us=T0, uid=uid))


def push(client: TestClient, terminal: Terminal, entries: list[WireEntry] = (), items: list[Any] = ()) -> Any:  # type: ignore[assignment]
    response = client.post("/v1/sync/push", json=terminal.push_body(entries, items), headers=terminal.auth)
    assert response.status_code == 200, response.text
    return response.json()


def pull_all(
    client: TestClient, terminal: Terminal, since: int = 0, limit: int = 1000
) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    while True:
        # as today's terminals ask
        url = f"/v1/sync/pull?since={since}&limit={limit}&set_aside=true&set_aside_resolved=true&unlocks=true"
        response = client.get(url, headers=terminal.auth)
        assert response.status_code == 200, response.text
        page = response.json()
        changes += page["changes"]
        since = page["next_cursor"]
        if not page["more"]:
            return changes
