# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah-server demo seed`: the terminal's demo club, on the server.

The club is not re-invented here: the terminal's own seeder (app.services.demo) builds it in a throwaway
terminal data dir, through the terminal's use cases, and this module imports what it made — tiers,
branches, the programme's rule sets (same version numbers), staff with their PIN hashes, the demo's two
devices (numbers 000 and 001), club keys, settings, members, photos, cards, revocations, the demo's party
and its guest list, and the whole ledger, chains intact — and gives every record its server sequence
number. The numbers (balances, card numbers,
hashes) are therefore the terminal demo's, exactly. Publication order: reference data, then each member
with its photo and cards, then revocations, events and invitations, then entries in the order the
terminal wrote them, so a member always precedes the entries that name it.

This is the one place the server imports app.services and app.store, and only to read the seeder's
output. Runs on the caller's thread; takes several seconds (the seeder hashes PINs and draws photos).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, literal_column, select

from app.domain.ledger import LedgerEntry
from app.services.demo import seed_demo
from app.store import schema
from app.store.database import Database as TerminalDatabase
from sync.protocol import (
    WireBranch,
    WireCard,
    WireEntry,
    WireEvent,
    WireInvitation,
    WireKey,
    WireMember,
    WireRevocation,
    WireStaff,
    WireTier,
)
from sync.protocol import b64encode as b64
from sync.rules import from_body
from sync.server import balances, club, events, members
from sync.server import rules as rule_sets
from sync.server.alerts import audit
from sync.server.club import users
from sync.server.club.access import CONSOLE, OFFICE_ROLES
from sync.server.club.act import Call
from sync.server.db import Database, dialect_insert
from sync.server.models import BRANCH, DEVICE, DEVICE_HOUR, ENTRY, MEMBER, PHOTO, TIER
from sync.server.reports import aggregates
from sync.server.sequence import Publisher
from sync.server.vetting.velocity import HOUR_US

DEMO_SEED = 1404
DEMO_MEMBERS = 200
# The terminal's own setting names → the server's (a terminal's "card_prefix" is its device's series).
_SETTINGS = {
    "club_name_fa": "club_name_fa",
    "club_name_en": "club_name_en",
    "card_prefix": "club_card_prefix",
}


class ClubNotEmptyError(RuntimeError):
    """The database already holds a club; the demo goes only into an empty one."""


def is_empty(conn: Connection) -> bool:
    return all(
        conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
        for table in (TIER, BRANCH, DEVICE, MEMBER)
    )


def seed(
    db: Database, now_us: int, *, members_count: int = DEMO_MEMBERS, seed_value: int = DEMO_SEED
) -> dict:
    """Build the terminal demo and import it; returns a summary (staff PINs included: it is a demo)."""
    with db.read() as conn:
        if not is_empty(conn):
            raise ClubNotEmptyError("the database already holds a club")
    with tempfile.TemporaryDirectory(prefix="bashgah-demo-") as tmp:
        data_dir = Path(tmp) / "terminal"
        summary = seed_demo(data_dir, members=members_count, seed=seed_value, now_us=now_us)
        snapshot = _read_terminal(data_dir)
    counts = db.write(lambda conn: _import(conn, snapshot, now_us))
    aggregates.catch_up(db, now_us)  # the reports count the demo's history at once, not at the first serve
    result = asdict(summary) | counts
    result.pop("data_dir", None)
    result["office_users"] = _office_users(db, now_us)
    return result


def _office_users(db: Database, now_us: int) -> list[dict[str, str]]:
    """One back-office user per role, with a fresh password each (printed once, as the staff's PINs are);
    the branch manager runs the first branch."""
    call = Call(db, now_us, CONSOLE)
    with db.read() as conn:
        first_branch = conn.execute(select(BRANCH.c.code).order_by(BRANCH.c.code).limit(1)).scalar_one()
    made = []
    for role in OFFICE_ROLES:
        password = secrets.token_urlsafe(9)
        name = role.replace("branch-manager", "branch")
        users.add(call, name, role, password, [first_branch] if role == "branch-manager" else [])
        made.append({"name": name, "role": role, "password": password})
    return made


# ---- reading the terminal's data dir ---------------------------------------------------------------


def _rows(conn: Connection, table: Any, *order: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(select(table).order_by(*order))]


def _read_terminal(data_dir: Path) -> dict[str, list[dict[str, Any]]]:
    terminal = TerminalDatabase.open(data_dir)
    try:
        with terminal.read() as conn:
            entry = schema.LedgerEntryRow.__table__
            return {
                "settings": _rows(conn, schema.Setting.__table__, "key"),
                "tiers": _rows(conn, schema.TierRow.__table__, "rank"),
                "branches": _rows(conn, schema.BranchRow.__table__, "code"),
                # this terminal first: its device is number 000, Isfahan's till 001
                "devices": _rows(conn, schema.DeviceRow.__table__, schema.DeviceRow.is_self.desc(), "code"),
                "staff": _rows(conn, schema.StaffRow.__table__, "name"),
                "keys": _rows(conn, schema.ClubKeyRow.__table__, "key_id"),
                "members": _rows(conn, schema.MemberRow.__table__, "joined_at_us", "id"),
                "photos": _rows(conn, schema.MemberPhotoRow.__table__, "member_id"),
                "cards": _rows(conn, schema.CardRow.__table__, "issued_at_us", "number"),
                "revocations": _rows(conn, schema.CardRevocationRow.__table__, "at_us", "id"),
                "events": _rows(conn, schema.EventRow.__table__, "starts_at_us", "id"),
                "invitations": _rows(conn, schema.InvitationRow.__table__, "event_id", "id"),
                "rule_sets": _rows(conn, schema.RuleSetRow.__table__, "version"),
                # the order the terminal wrote them in: the history as it happened
                "entries": _rows(conn, entry, literal_column("rowid")),
            }
    finally:
        terminal.close()


# ---- importing ------------------------------------------------------------------------------------


def _import(conn: Connection, data: dict[str, list[dict[str, Any]]], now_us: int) -> dict[str, int]:
    pub = Publisher(now_us)
    prefix = _import_reference(conn, pub, data)
    _import_rule_sets(conn, pub, data["rule_sets"])
    _import_devices(conn, pub, data, prefix, now_us)
    _import_members(conn, pub, data, now_us)
    for row in data["revocations"]:
        members.revoke(conn, pub, WireRevocation.model_validate(row))
    for row in data["events"]:
        fields = {k: row[k] for k in WireEvent.model_fields}
        events.put_event(
            conn, pub, WireEvent.model_validate(fields | {"invited_tiers": json.loads(row["invited_tiers"])})
        )
    for row in data["invitations"]:
        events.put_invitation(
            conn, pub, WireInvitation.model_validate({k: row[k] for k in WireInvitation.model_fields})
        )
    entries = _import_entries(conn, pub, data["entries"], now_us)
    balances.apply(conn, pub, entries)
    audit(conn, now_us, "cli", "demo_seed", None, members=len(data["members"]), entries=len(entries))
    published = len(pub)
    pub.flush(conn)
    return {"published": published, "devices": len(data["devices"])}


def _import_reference(conn: Connection, pub: Publisher, data: dict[str, list[dict[str, Any]]]) -> str:
    """Settings, tiers, branches, staff; returns the club's card prefix."""
    for row in data["settings"]:
        if row["key"] in _SETTINGS:
            club.put_setting(conn, pub, _SETTINGS[row["key"]], row["value"])
    for row in data["tiers"]:
        club.put_tier(conn, pub, WireTier.model_validate(row))
    for row in data["branches"]:
        club.put_branch(conn, pub, WireBranch.model_validate(row))
    for row in data["staff"]:
        fields = {k: row[k] for k in WireStaff.model_fields}
        club.put_staff(conn, pub, WireStaff.model_validate(fields))
    return club.setting(conn, "club_card_prefix")


def _import_rule_sets(conn: Connection, pub: Publisher, rows: list[dict[str, Any]]) -> None:
    """The demo's programme, under the same version numbers (the entries name them): an empty database's
    next versions are 1, 2 … as the terminal's."""
    for row in rows:
        saved = rule_sets.save(conn, pub, from_body(json.loads(row["body"])), "demo")
        if saved.version != row["version"]:
            raise RuntimeError(f"the demo's rule set {row['version']} would be saved as {saved.version}")


def _import_devices(
    conn: Connection, pub: Publisher, data: dict[str, list[dict[str, Any]]], prefix: str, now_us: int
) -> None:
    """The demo's devices as numbers 000, 001 …: history only (no token: they never enrolled)."""
    for number, row in enumerate(data["devices"]):
        conn.execute(
            insert(DEVICE).values(
                id=row["id"],
                code=row["code"],
                name="demo",
                branch_id=row["branch_id"],
                number=number,
                card_prefix=f"{prefix}{number:03d}",
                enrolled_at_us=now_us,
                last_seq=row["last_seq"],
                head_hash=row["head_hash"],
                contiguous_seq=row["last_seq"],
            )
        )
        club.publish_device(pub, row["id"], row["code"], row["branch_id"])
    self_device = data["devices"][0]["id"] if data["devices"] else None
    for row in data["keys"]:
        key = WireKey(
            key_id=row["key_id"],
            public_key=b64(row["public_key"]),
            created_at_us=row["created_at_us"],
            retired_at_us=row["retired_at_us"],
        )
        club.put_key(conn, pub, key, self_device)


def _import_members(
    conn: Connection, pub: Publisher, data: dict[str, list[dict[str, Any]]], now_us: int
) -> None:
    photos = {row["member_id"]: bytes(row["jpeg"]) for row in data["photos"]}
    cards: dict[str, list[dict[str, Any]]] = {}
    for row in data["cards"]:
        cards.setdefault(row["member_id"], []).append(row)
    for row in data["members"]:
        member = WireMember.model_validate({k: row[k] for k in WireMember.model_fields})
        members.put_member(conn, pub, member)
        if member.id in photos:
            _import_photo(conn, pub, member.id, photos[member.id], now_us)
        for card in cards.get(member.id, []):
            wire = WireCard.model_validate({k: card[k] for k in WireCard.model_fields})
            members.put_card(conn, pub, wire, status=card["status"])


def _import_photo(conn: Connection, pub: Publisher, member_id: str, jpeg: bytes, now_us: int) -> None:
    sha = hashlib.sha256(jpeg).hexdigest()
    row = {"sha256": sha, "member_id": member_id, "size": len(jpeg), "received": len(jpeg), "data": jpeg}
    # two members may have the same picture (the demo draws them from a seed): one photo, two links
    conn.execute(
        dialect_insert(conn, PHOTO)
        .values(**row, complete=True, created_at_us=now_us)
        .on_conflict_do_nothing()
    )
    members.set_photo(conn, pub, member_id, sha, len(jpeg))


def _import_entries(
    conn: Connection, pub: Publisher, rows: list[dict[str, Any]], now_us: int
) -> list[LedgerEntry]:
    wire = [WireEntry.model_validate({k: r[k] for k in WireEntry.model_fields}) for r in rows]
    broken = [e.id for e in wire if not e.hash_holds()]
    if broken:  # the seeder wrote them a moment ago: a broken one is a bug, never something to import
        raise RuntimeError(f"the demo ledger does not verify: {broken[:3]}")
    if wire:
        conn.execute(insert(ENTRY), [e.model_dump() | {"received_at_us": now_us} for e in wire])
        _tally_hours(conn, wire)
    for entry in wire:
        pub.entry(entry.id)
    return [e.to_entry() for e in wire]


def _tally_hours(conn: Connection, entries: list[WireEntry]) -> None:
    """The demo's terminals' hours, as their pushes would have tallied them (sync.server.vetting.velocity):
    the dashboard's today and this month read these."""
    hours: dict[tuple[str, int], list[int]] = {}
    for entry in entries:
        points, wallet = max(0, entry.points_delta), max(0, entry.cash_delta)
        if points or wallet:
            tally = hours.setdefault((entry.device_id, entry.created_at_us // HOUR_US), [0, 0, 0])
            tally[0] += points
            tally[1] += wallet
            tally[2] += 1
    conn.execute(
        insert(DEVICE_HOUR),
        [
            {"device_id": d, "hour": h, "points": p, "wallet_rials": w, "entries": n, "set_aside": 0}
            for (d, h), (p, w, n) in hours.items()
        ],
    )
