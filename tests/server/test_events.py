# SPDX-License-Identifier: GPL-3.0-or-later
"""Events on the club server: the admin API, pushed events and invitations, the invitation QR key, double
admissions flagged at sync, the `bashgah-server event` commands, and the schema's migration 0002."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text

from app.cards.invitation_qr import verify_invitation_qr
from app.cards.payload import PayloadError
from app.domain.ledger import EntryKind
from sync.protocol import EventItem, InvitationItem, WireEvent, WireInvitation, b64decode
from sync.server import balances, demo
from sync.server.club.access import CONSOLE
from sync.server.models import ALERT, POSTGRESQL_ONLY_INDEXES, SERVER_KEY, Base
from tests.server.club import (
    T0,
    add_staff,
    admin_token,
    enroll,
    member,
    member_item,
    new_id,
    pull_all,
    push,
)
from tests.server.test_cli import ok_json, refused, run  # noqa: F401 (fixtures)

HOUR = 3600 * 1_000_000
EVENT = {
    "name": "  Yalda   night ",
    "venue": "Tehran hall",
    "starts_at_us": T0 + 24 * HOUR,
    "ends_at_us": T0 + 30 * HOUR,
    "invited_tiers": ["silver"],
    "plus_ones": 1,
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def published(client, terminal, kind: str) -> list[dict]:
    return [c[kind] for c in pull_all(client, terminal) if c["kind"] == kind]


def club_keys(client, terminal) -> list[dict]:
    return [c["key"] for c in pull_all(client, terminal) if c["kind"] == "club_key"]


def alerts(db, kind: str) -> list:
    with db.read() as conn:
        return list(conn.execute(select(ALERT).where(ALERT.c.kind == kind).order_by(ALERT.c.id)))


def create_event(client, admin, **fields) -> dict:
    response = client.post("/v1/admin/events", json=EVENT | fields, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


def pushed_member(client, terminal, **fields) -> str:
    m = member(**fields)
    push(client, terminal, [], [member_item(m)])
    return m.id


def check_in(terminal, member_id: str, event_id: str, kind: EntryKind = EntryKind.CHECK_IN, **fields):
    return terminal.entry(member_id, kind, points=0, sale_amount=0, invoice_ref=event_id, **fields)


# ---- the schema -------------------------------------------------------------------------------------


def test_the_models_match_the_migrations(db, tmp_path: Path):
    with db.engine.connect() as conn:
        sqlite = db.dialect == "sqlite"

        def on_this_backend(item: object, name: str | None, kind: str, *_: object) -> bool:
            return not (sqlite and kind == "index" and name in POSTGRESQL_ONLY_INDEXES)

        opts = {"render_as_batch": sqlite, "include_object": on_this_backend}
        context = MigrationContext.configure(conn, opts=opts)
        assert compare_metadata(context, Base.metadata) == []
        if db.dialect == "postgresql":  # compare_metadata does not look at a partial index's WHERE
            definition = conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_ledger_entry_event'")
            ).scalar_one()
            assert "WHERE" in definition and "'guest_check_in'" in definition, definition
            return
    models = create_engine(f"sqlite:///{tmp_path / 'models.sqlite3'}")
    Base.metadata.create_all(models)
    models.dispose()
    query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
    migrated_path = db.url.database
    with sqlite3.connect(migrated_path) as migrated, sqlite3.connect(tmp_path / "models.sqlite3") as fresh:
        assert migrated.execute(query).fetchall() == fresh.execute(query).fetchall()


# ---- events -------------------------------------------------------------------------------------------


def test_events_are_created_edited_cancelled_listed_and_published(client, club_db, admin, terminal):
    created = create_event(client, admin)
    assert (created["name"], created["invited_tiers"], created["cancelled"]) == (
        "Yalda night",
        ["silver"],
        False,
    )
    event_id = created["id"]
    assert (created["invited"], created["admitted"], created["doubly_admitted"]) == (0, 0, 0)
    edited = client.put(
        f"/v1/admin/events/{event_id}", json=EVENT | {"venue": "Isfahan", "capacity": 80}, headers=admin
    )
    assert edited.status_code == 200 and (edited.json()["venue"], edited.json()["capacity"]) == (
        "Isfahan",
        80,
    )
    cancelled = client.put(f"/v1/admin/events/{event_id}", json=EVENT | {"cancelled": True}, headers=admin)
    assert cancelled.json()["cancelled"] is True
    assert client.get(f"/v1/admin/events/{event_id}", headers=admin).json()["cancelled"] is True
    assert [e["id"] for e in client.get("/v1/admin/events", headers=admin).json()["events"]] == [event_id]
    changes = published(client, terminal, "event")
    assert [(e["id"], e["venue"], e["cancelled"]) for e in changes] == [
        (event_id, "Tehran hall", False), (event_id, "Isfahan", False), (event_id, "Tehran hall", True),
    ]  # fmt: skip
    assert all(WireEvent.model_validate(e) for e in changes)


def test_event_input_is_checked(client, club_db, admin):
    event_id = new_id()
    first = create_event(client, admin, id=event_id)
    assert create_event(client, admin, id=event_id) == first  # a retried create
    cases = [
        (EVENT | {"id": event_id, "name": "Other"}, 409, "event_exists"),
        (EVENT | {"ends_at_us": EVENT["starts_at_us"]}, 422, "event_ends_before_start"),
        (EVENT | {"name": "   "}, 422, "invalid_event_name"),
        (EVENT | {"invited_tiers": ["silver", "platinum"]}, 422, "unknown_tier"),
        (EVENT | {"plus_ones": 99}, 422, "invalid_request"),
        (EVENT | {"capacity": 0}, 422, "invalid_request"),
    ]
    for body, status, code in cases:
        response = client.post("/v1/admin/events", json=body, headers=admin)
        assert (response.status_code, response.json()["detail"]["code"]) == (status, code), body
    assert client.put(f"/v1/admin/events/{new_id()}", json=EVENT, headers=admin).status_code == 404
    mismatch = client.put(f"/v1/admin/events/{event_id}", json=EVENT | {"id": new_id()}, headers=admin)
    assert mismatch.status_code == 422
    assert client.get(f"/v1/admin/events/{new_id()}", headers=admin).status_code == 404


def test_roles(client, club_db, admin):
    viewer, manager = bearer(admin_token(club_db, "viewer")), bearer(admin_token(club_db, "manager"))
    assert client.post("/v1/admin/events", json=EVENT, headers=viewer).status_code == 403
    event_id = create_event(client, manager)["id"]
    for path in ("", "/invitations", "/attendance"):
        assert client.get(f"/v1/admin/events/{event_id}{path}", headers=viewer).status_code == 200, path
    invite = client.post(f"/v1/admin/events/{event_id}/invitations", json={"member_ids": []}, headers=viewer)
    assert invite.status_code == 403
    assert (
        client.get(f"/v1/admin/events/{event_id}/invitations/{new_id()}/qr", headers=viewer).status_code
        == 403
    )


# ---- invitations ------------------------------------------------------------------------------------


def test_members_are_invited_by_id_and_phone_once_each(client, club_db, admin, terminal):
    event_id = create_event(client, admin)["id"]
    sara = pushed_member(client, terminal, phone="+989120000001", name="Sara")
    reza = pushed_member(client, terminal, phone="+989120000002", name="Reza")
    twin_a = pushed_member(client, terminal, phone="+989120000003")
    twin_b = pushed_member(client, terminal, phone="+989120000003")
    stranger = new_id()
    body = {
        "member_ids": [sara, stranger],
        "phones": ["0912 000 0002", "09120000003", "09129999999", "1234"],
        "plus_ones": 2,
    }
    response = client.post(f"/v1/admin/events/{event_id}/invitations", json=body, headers=admin)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["member_id"], r["phone"], r["outcome"]) for r in results] == [
        (sara, None, "invited"),
        (stranger, None, "unknown_member"),
        (reza, "0912 000 0002", "invited"),
        (None, "09120000003", "ambiguous_phone"),
        (None, "09129999999", "unknown_member"),
        (None, "1234", "invalid_phone"),
    ]
    assert results[3]["members"] == sorted([twin_a, twin_b])
    assert results[0]["invitation"]["plus_ones"] == 2
    sara_id = results[0]["invitation"]["id"]

    def again(body: dict) -> dict:
        answer = client.post(f"/v1/admin/events/{event_id}/invitations", json=body, headers=admin)
        return answer.json()["results"][0]

    assert again({"member_ids": [sara]})["outcome"] == "unchanged"  # plus_ones left out: kept
    updated = again({"member_ids": [sara], "plus_ones": None})
    assert (updated["outcome"], updated["invitation"]["plus_ones"], updated["invitation"]["id"]) == (
        "updated", None, sara_id,
    )  # fmt: skip
    gone = client.delete(f"/v1/admin/events/{event_id}/invitations/{sara}", headers=admin)
    assert gone.status_code == 200 and gone.json()["cancelled"] is True
    assert (
        client.delete(f"/v1/admin/events/{event_id}/invitations/{sara}", headers=admin).json() == gone.json()
    )
    back = again({"member_ids": [sara]})
    assert (back["outcome"], back["invitation"]["cancelled"], back["invitation"]["id"]) == (
        "updated",
        False,
        sara_id,
    )
    assert (
        client.delete(f"/v1/admin/events/{event_id}/invitations/{stranger}", headers=admin).status_code == 404
    )

    guests = client.get(f"/v1/admin/events/{event_id}/invitations", headers=admin).json()
    assert [(g["member_name"], g["cancelled"], g["admitted"]) for g in guests] == [
        ("Reza", False, False), ("Sara", False, False),
    ]  # fmt: skip
    assert client.get(f"/v1/admin/events/{event_id}", headers=admin).json()["invited"] == 2
    changes = published(client, terminal, "invitation")  # each change once; `unchanged` published nothing
    assert [(c["member_id"], c["plus_ones"], c["cancelled"]) for c in changes] == [
        (sara, 2, False), (reza, 2, False), (sara, None, False), (sara, None, True), (sara, None, False),
    ]  # fmt: skip
    assert all(WireInvitation.model_validate(c) for c in changes)

    client.put(f"/v1/admin/events/{event_id}", json=EVENT | {"cancelled": True}, headers=admin)
    closed = client.post(
        f"/v1/admin/events/{event_id}/invitations", json={"member_ids": [reza]}, headers=admin
    )
    assert (closed.status_code, closed.json()["detail"]["code"]) == (409, "event_cancelled")
    too_many = client.post(
        f"/v1/admin/events/{event_id}/invitations", json={"member_ids": [new_id()] * 1001}, headers=admin
    )
    assert too_many.status_code == 413


def test_pushed_events_and_invitations_are_upserts(client, club_db, admin, terminal):
    guest = pushed_member(client, terminal)
    event = WireEvent(
        id=new_id(), name=" Door  party ", starts_at_us=T0, ends_at_us=T0 + HOUR, invited_tiers=["bronze"]
    )
    first = InvitationItem(
        id=new_id(), invitation=WireInvitation(id=new_id(), event_id=event.id, member_id=guest)
    )
    same_pair = InvitationItem(
        id=new_id(), invitation=WireInvitation(id=new_id(), event_id=event.id, member_id=guest, plus_ones=3)
    )
    items = [
        EventItem(id=new_id(), event=event),
        first,
        InvitationItem(
            id=new_id(), invitation=WireInvitation(id=new_id(), event_id=event.id, member_id=new_id())
        ),
        InvitationItem(
            id=new_id(), invitation=WireInvitation(id=new_id(), event_id=new_id(), member_id=guest)
        ),
        EventItem(id=new_id(), event=event.model_copy(update={"id": new_id(), "invited_tiers": ["gold"]})),
        EventItem(id=new_id(), event=event.model_copy(update={"id": new_id(), "ends_at_us": T0})),
        same_pair,
    ]
    answer = push(client, terminal, [], items)["items"]
    assert [(r["outcome"], r["reason"]) for r in answer] == [
        ("accepted", None),
        ("accepted", None),
        ("rejected", "unknown_member"),
        ("rejected", "unknown_event"),
        ("rejected", "unknown_tier"),
        ("rejected", "event_ends_before_start"),
        ("accepted", None),
    ]
    again = push(client, terminal, [], items[:2])["items"]
    assert [r["outcome"] for r in again] == ["duplicate", "duplicate"]
    assert [e["name"] for e in published(client, terminal, "event")] == ["Door party"]
    invitations = published(client, terminal, "invitation")
    # one invitation per event and member, under the id it was first stored with
    assert [(i["id"], i["plus_ones"]) for i in invitations] == [
        (first.invitation.id, None),
        (first.invitation.id, 3),
    ]
    guests = client.get(f"/v1/admin/events/{event.id}/invitations", headers=admin).json()
    assert [(g["id"], g["plus_ones"]) for g in guests] == [(first.invitation.id, 3)]
    taken = InvitationItem(
        id=new_id(),
        invitation=WireInvitation(
            id=first.invitation.id, event_id=event.id, member_id=pushed_member(client, terminal)
        ),
    )
    assert push(client, terminal, [], [taken])["items"][0]["reason"] == "invitation_id_taken"
    assert len(alerts(club_db, "item_rejected")) == 5


# ---- the invitation QR code ---------------------------------------------------------------------------


def test_an_invitation_qr_is_signed_with_a_published_key_of_its_own(client, club_db, admin):
    card_terminal = enroll(club_db, public_key="A" * 43 + "=")  # a device's card key takes key id 1
    event = create_event(client, admin)
    guest = pushed_member(client, card_terminal)
    url = f"/v1/admin/events/{event['id']}/invitations/{guest}/qr"
    assert client.get(url, headers=admin).json()["detail"]["code"] == "unknown_invitation"
    invited = client.post(
        f"/v1/admin/events/{event['id']}/invitations", json={"member_ids": [guest]}, headers=admin
    )
    invitation = invited.json()["results"][0]["invitation"]
    code = client.get(url, headers=admin)
    assert code.status_code == 200, code.text
    assert code.json()["key_id"] == 2 and code.json()["valid_until_us"] == event["ends_at_us"]
    keys = club_keys(client, card_terminal)
    assert [k["key_id"] for k in keys] == [1, 2]
    public_keys = {k["key_id"]: b64decode(k["public_key"]) for k in keys}
    found = verify_invitation_qr(code.json()["text"], public_keys, T0)
    assert (found.invitation_id, found.event_id, found.member_id) == (invitation["id"], event["id"], guest)
    assert found.valid_until_us == event["ends_at_us"] // 1_000_000 * 1_000_000
    with pytest.raises(PayloadError, match="expired"):
        verify_invitation_qr(code.json()["text"], public_keys, event["ends_at_us"] + 1_000_000)

    assert client.get(url, headers=admin).json()["key_id"] == 2  # the same key, made once
    assert len(club_keys(client, card_terminal)) == 2
    with club_db.read() as conn:
        private = conn.execute(select(SERVER_KEY.c.private_key)).scalar_one()
    everything = json.dumps(
        [pull_all(client, card_terminal), client.get("/v1/admin/settings", headers=admin).json()]
    )
    assert private not in everything  # the private half never leaves the server
    assert enroll(club_db, public_key="B" * 43 + "=").key_id == 3  # later devices skip the server's key id

    client.delete(f"/v1/admin/events/{event['id']}/invitations/{guest}", headers=admin)
    assert client.get(url, headers=admin).json()["detail"]["code"] == "invitation_cancelled"


# ---- attendance and double admissions ------------------------------------------------------------------


def test_two_doors_admitting_one_member_are_flagged_once_until_one_admission_is_undone(
    client, club_db, admin
):
    door_a, door_b = enroll(club_db), enroll(club_db, "ISF")
    event_id = create_event(client, admin)["id"]
    sara = pushed_member(client, door_a, name="Sara")
    reza = pushed_member(client, door_a, name="Reza")
    at_a = check_in(door_a, sara, event_id)
    push(client, door_a, [at_a, check_in(door_a, reza, event_id)])
    assert alerts(club_db, "double_admission") == []
    at_b = check_in(door_b, sara, event_id)
    assert push(client, door_b, [at_b])["entries"][0]["outcome"] == "accepted"  # what happened is kept
    push(client, door_a, [at_a])  # a retry: a duplicate, looked at no more
    push(client, door_b, [check_in(door_b, sara, new_id())])  # another event's admission is its own
    flagged = alerts(club_db, "double_admission")
    assert len(flagged) == 1
    assert (flagged[0].member_id, flagged[0].subject, flagged[0].device_id) == (
        sara,
        event_id,
        door_b.device_id,
    )
    detail = json.loads(flagged[0].detail)
    assert {c["entry_id"] for c in detail["check_ins"]} == {at_a.id, at_b.id}
    assert {c["device_code"] for c in detail["check_ins"]} == {door_a.device_code, door_b.device_code}

    url = f"/v1/admin/events/{event_id}/attendance"
    seen = client.get(url, headers=admin).json()
    assert (seen["admitted"], seen["doubly_admitted"]) == (2, 1)
    a, b = door_a.device_code, door_b.device_code
    assert {(c["member_name"], c["device_code"], c["double_admission"]) for c in seen["check_ins"]} == {
        ("Sara", a, True), ("Sara", b, True), ("Reza", a, False),
    }  # fmt: skip

    manager = add_staff(club_db)  # undoing an admission is a manager's act: the server checks who
    undo = door_b.entry(
        sara, EntryKind.REVERSAL, points=0, sale_amount=0, invoice_ref=event_id, reverses=at_b.id,
        staff_id=manager, reason="the wrong face",
    )  # fmt: skip
    plus_one = check_in(door_b, sara, event_id, EntryKind.GUEST_CHECK_IN)
    push(client, door_b, [undo, plus_one])
    seen = client.get(url, headers=admin).json()
    assert (seen["admitted"], seen["doubly_admitted"]) == (3, 0)
    rows = {c["entry_id"]: c for c in seen["check_ins"]}
    assert (rows[at_b.id]["undone"], rows[at_b.id]["double_admission"]) == (True, False)
    assert rows[at_a.id]["double_admission"] is False
    assert rows[plus_one.id]["guest"] and not rows[plus_one.id]["undone"]
    assert len(alerts(club_db, "double_admission")) == 1
    detail = client.get(f"/v1/admin/events/{event_id}", headers=admin).json()
    assert (detail["admitted"], detail["doubly_admitted"]) == (3, 0)

    csv = client.get(url, params={"format": "csv"}, headers=admin)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("entry_id,member_id,member_name,device_id,device_code") and len(lines) == 5


def test_one_door_admitting_twice_in_one_push_is_flagged_and_an_unknown_event_is_no_refusal(client, club_db):
    door = enroll(club_db)
    guest = pushed_member(client, door)
    unknown_event = new_id()
    answer = push(client, door, [check_in(door, guest, unknown_event), check_in(door, guest, unknown_event)])
    assert [e["outcome"] for e in answer["entries"]] == ["accepted", "accepted"]
    flagged = alerts(club_db, "double_admission")
    assert len(flagged) == 1 and json.loads(flagged[0].detail)["event_name"] is None


def test_doors_pushing_one_admission_at_the_same_moment_are_flagged_once(client, club_db, admin, monkeypatch):
    """Two doors push one member's admission in overlapping transactions: on PostgreSQL both have inserted
    their check-in before either checks (they meet inside the push); SQLite's one writer orders them."""
    doors = [enroll(club_db), enroll(club_db, "ISF")]
    event_id = create_event(client, admin)["id"]
    guests = [pushed_member(client, doors[0]) for _ in range(5)]
    if club_db.dialect == "postgresql":
        inside = threading.Barrier(2)
        apply = balances.apply

        def meet_then_apply(*args, **kwargs):
            inside.wait(10)  # both pushes' entries are in, neither committed
            return apply(*args, **kwargs)

        monkeypatch.setattr(balances, "apply", meet_then_apply)
    start = threading.Barrier(2)

    def door(terminal) -> None:
        for guest in guests:
            entry = check_in(terminal, guest, event_id)
            start.wait(10)
            push(client, terminal, [entry])

    threads = [threading.Thread(target=door, args=(d,)) for d in doors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(a.member_id for a in alerts(club_db, "double_admission")) == sorted(guests)


def test_the_demo_club_brings_its_party_and_guest_list(db, client):
    seeded = demo.seed(db, T0, members_count=12)
    door = enroll(db)
    changes = pull_all(client, door)
    parties = [c["event"] for c in changes if c["kind"] == "event"]
    guests = [c["invitation"] for c in changes if c["kind"] == "invitation"]
    assert len(parties) == 1 and parties[0]["invited_tiers"] == ["gold"] and guests
    assert {g["event_id"] for g in guests} == {parties[0]["id"]}
    first_entry = next(i for i, c in enumerate(changes) if c["kind"] == "entry")
    assert max(i for i, c in enumerate(changes) if c["kind"] in ("event", "invitation")) < first_entry
    admin = bearer(admin_token(db))
    assert client.get(f"/v1/admin/events/{parties[0]['id']}", headers=admin).json()["invited"] == len(guests)
    assert seeded["members"] == 12


# ---- the command line ---------------------------------------------------------------------------------


@pytest.fixture
def cli(db_url: str, run, ok_json):  # noqa: F811 (the fixtures imported above)
    """(ok, plain): `bashgah-server --db URL event ARGS` as JSON (it must succeed), or as it ran."""

    def ok(*args: str) -> dict:
        return ok_json("--db", db_url, "event", *args)

    def plain(*args: str):
        return run("--db", db_url, "event", *args)

    return ok, plain


def test_the_event_commands(cli, club_db, client, tmp_path: Path):
    ok, plain = cli
    created = ok(
        "create", "--name", "Yalda", "--starts", "2026-12-21T18:00", "--ends", "2026-12-21T23:30+03:30",
        "--venue", "Hall", "--capacity", "50", "--tier", "silver", "--plus-ones", "1",
    )  # fmt: skip
    local = datetime(2026, 12, 21, 18, 0).astimezone(
        UTC
    )  # a time without an offset is the server's local time
    assert created["starts_at_us"] == int(local.timestamp()) * 1_000_000
    assert created["ends_at_us"] == int(datetime(2026, 12, 21, 20, 0, tzinfo=UTC).timestamp()) * 1_000_000
    event_id = created["id"]
    assert [e["id"] for e in ok("list")["events"]] == [event_id]
    assert ok("show", event_id)["capacity"] == 50

    terminal = enroll(club_db)
    sara = pushed_member(client, terminal, phone="+989120000001", name="Sara")
    guests = ("--member", sara, "--phone", "09120000009", "--plus-ones", "2")
    mixed = plain("invite", event_id, *guests, "--json")
    assert mixed.returncode == 2  # one guest unknown: said by the exit code, the known one still invited
    invited = json.loads(mixed.stdout)
    assert [(r["outcome"], r["member_id"]) for r in invited["results"]] == [
        ("invited", sara),
        ("unknown_member", None),
    ]
    human = plain("invite", event_id, "--phone", "09120000001")
    assert human.returncode == 0 and "unchanged" in human.stdout

    png = tmp_path / "invitation.png"
    code = ok("qr", event_id, "--member", sara, "--png", str(png))
    assert code["text"].startswith("BGI1:") and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    push(client, terminal, [check_in(terminal, sara, event_id)])
    attendance = ok("attendance", event_id)
    assert [(c["member_name"], c["device_code"]) for c in attendance["check_ins"]] == [
        ("Sara", terminal.device_code)
    ]
    csv = plain("attendance", event_id, "--csv")
    assert csv.returncode == 0 and csv.stdout.splitlines()[1].startswith(
        attendance["check_ins"][0]["entry_id"]
    )

    assert ok("uninvite", event_id, "--member", sara)["cancelled"] is True
    assert ok("cancel", event_id)["cancelled"] is True
    shown = plain("show", event_id)
    assert shown.returncode == 0 and "CANCELLED" in shown.stdout

    refused(plain("create", "--name", "x", "--starts", "soon", "--ends", "later"), 2, "--starts")
    backwards = ("--starts", "2026-01-02T10:00", "--ends", "2026-01-01T10:00")
    refused(plain("create", "--name", "x", *backwards), 2, "ends before start")
    refused(plain("show", new_id()), 2, "no such event")
    refused(plain("show", "nope"), 2, "not an event id")
    refused(plain("invite", event_id), 2, "--member ID or --phone")
    refused(plain("qr", event_id, "--member", sara), 2, "cancelled")
    with club_db.read() as conn:  # the commands are the use cases' (sync.server.club.events), as the console
        query = text("SELECT action FROM audit_log WHERE actor = :actor")
        actions = set(conn.execute(query, {"actor": CONSOLE.audit_name}).scalars())
    done = {"event.create", "event.invite", "event.invitation_qr", "event.uninvite", "event.cancel"}
    assert done <= actions
