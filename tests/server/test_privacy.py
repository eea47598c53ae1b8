# SPDX-License-Identifier: GPL-3.0-or-later
"""Privacy (sync.server.club.privacy, /v1/admin/members/{id}/export|erase|consent), on SQLite and PostgreSQL:
everything held about a member comes out (JSON, a PDF with the Persian shaped as text); erasure leaves no
name, phone or birth date anywhere in the database while the ledger keeps its entries and its chains hold;
an erased member stays erased whatever a terminal pushes."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import date

from sqlalchemy import select, update

from app.domain.ledger import EntryKind
from sync.protocol import MemberItem, WireEntry
from sync.server import chains
from sync.server.db import Database
from sync.server.models import ENTRY, MEMBER, Base
from tests.server.club import (
    T0,
    add_staff,
    admin_token,
    card_item,
    member,
    member_item,
    new_id,
    pull_all,
    push,
)
from tests.support.components import missing_component

NAME = "مریم احمدی‌نژاد"
PHONE = "+989121234567"
BIRTH = date(1990, 5, 17)
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
SHA = hashlib.sha256(JPEG).hexdigest()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def upload_photo(client, terminal, member_id: str) -> None:
    headers = terminal.auth | {
        "Content-Range": f"bytes 0-{len(JPEG) - 1}/{len(JPEG)}",
        "Content-Type": "application/octet-stream",
    }
    response = client.put(f"/v1/photos/{SHA}?member_id={member_id}", content=JPEG, headers=headers)
    assert response.status_code == 200 and response.json()["complete"], response.text


def a_member_with_a_history(client, terminal, admin, db):
    """A member a till enrolled (Persian name, birth date, national id), with a card, a photo, sales, a
    manager's adjustment whose reason names them, and an office search for them; a second member who shares
    the phone (alerted)."""
    m = member(name=NAME, phone=PHONE, birth_date=BIRTH, national_id_last4="0899", consent_marketing=True)
    card = f"{terminal.card_prefix}{1:09d}"
    item = member_item(m)
    entries = [terminal.entry(m.id, points=10), terminal.entry(m.id, points=25)]
    boss = add_staff(db)
    entries.append(
        terminal.entry(m.id, EntryKind.ADJUST, points=5, reason=f"goodwill for {NAME}", staff_id=boss)
    )
    answer = push(client, terminal, entries, [item, card_item(m.id, card)])
    assert {r["outcome"] for r in answer["items"] + answer["entries"]} == {"accepted"}, answer
    upload_photo(client, terminal, m.id)
    twin = member(name="Someone Else", phone=PHONE)
    push(client, terminal, [], [member_item(twin)])
    found = client.get("/v1/admin/members", params={"q": NAME}, headers=admin).json()["members"]
    assert [f["id"] for f in found] == [m.id]
    return m, item, entries, card, twin


def texts_in(db: Database) -> list[str]:
    """Every row of every table as text: what a search of the database would find."""
    found = []
    with db.read() as conn:
        for table in Base.metadata.sorted_tables:
            found += [f"{table.name}: " + " | ".join(map(str, row)) for row in conn.execute(select(table))]
    return found


def test_the_export_holds_everything_about_the_member(client, club_db, terminal, admin):
    m, _item, entries, card, _twin = a_member_with_a_history(client, terminal, admin, club_db)
    response = client.get(f"/v1/admin/members/{m.id}/export", headers=admin)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["format"] == "bashgah-member-export" and data["version"] == 1
    assert data["member"]["name"] == NAME and data["member"]["phone"] == PHONE
    assert data["member"]["birth_date"] == "1990-05-17" and data["member"]["national_id_last4"] == "0899"
    assert data["consent"]["marketing"] is True and data["consent"]["since_us"] is not None
    assert [e["id"] for e in data["ledger"]] == [e.id for e in entries]
    assert [e["hash"] for e in data["ledger"]] == [e.hash for e in entries]
    assert data["balance"]["points"] == 40
    assert [c["number"] for c in data["cards"]] == [card]
    assert data["photo"]["sha256"] == SHA and data["photo"]["size"] == len(JPEG)
    assert any(a["kind"] == "duplicate_phone" for a in data["alerts"])
    assert {"member_enrolled_by_terminal", "photo_set_by_terminal"} <= {a["action"] for a in data["audit"]}
    assert data["erased_at_us"] is None
    # the export is itself audited, as a read of personal data
    log = client.get("/v1/admin/audit", headers=admin).json()
    assert any(row["action"] == "member.export" and row["target"] == m.id for row in log)


def test_the_pdf_export_is_persian_text_in_the_embedded_vazirmatn(client, club_db, terminal, admin, tmp_path):
    for tool in ("pdftotext", "pdffonts"):
        if shutil.which(tool) is None:
            missing_component("poppler-utils", f"{tool} is missing (apt-get install -y poppler-utils)")
    m, _item, entries, card, _twin = a_member_with_a_history(client, terminal, admin, club_db)
    response = client.get(f"/v1/admin/members/{m.id}/export", params={"format": "pdf"}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    path = tmp_path / "member.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    # shaped into real text: the name reads back letter for letter (logical order), not as glyph pictures
    assert NAME in text
    assert card in text and entries[0].device_id[-12:] in text
    assert "رضایت" in text and "Marketing consent" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    vazirmatn = [line for line in fonts.splitlines() if "Vazirmatn" in line]
    assert vazirmatn and all(" yes " in line for line in vazirmatn), fonts  # embedded


def test_erasure_leaves_no_personal_data_and_the_ledger_holds(client, club_db, terminal, admin):
    m, _item, entries, card, twin = a_member_with_a_history(client, terminal, admin, club_db)
    before = [c for c in pull_all(client, terminal) if c.get("member_id") == m.id or
              c.get("member", {}).get("id") == m.id]  # fmt: skip
    assert any(c["kind"] == "member_photo" for c in before)

    response = client.post(f"/v1/admin/members/{m.id}/erase", json={"why": f"asked by {NAME}"}, headers=admin)
    assert response.status_code == 200, response.text
    erasure = response.json()
    assert erasure["cards_revoked"] == [card] and erasure["photos_deleted"] == 1
    assert erasure["entries_naming_member"] == [entries[2].id]  # the ledger keeps it; the club is told
    assert erasure["changes_rewritten"] >= 2 and erasure["items_rewritten"] >= 1
    assert erasure["audit_rows_scrubbed"] >= 2 and erasure["alerts_scrubbed"] >= 1

    # nothing in the database names them, in any spelling, but the one entry the ledger must keep (the
    # other member who gave the same phone keeps their own record of it)
    secrets = (NAME, PHONE, "09121234567", "9121234567", "1990-05-17")
    leaks = [row for row in texts_in(club_db) if any(s in row for s in secrets) and twin.id not in row]
    assert len(leaks) == 1 and leaks[0].startswith("ledger_entry:") and entries[2].id in leaks[0], leaks
    with club_db.read() as conn:
        row = conn.execute(select(MEMBER).where(MEMBER.c.id == m.id)).one()
        stored = conn.execute(select(ENTRY).where(ENTRY.c.member_id == m.id).order_by(ENTRY.c.device_seq))
        stored = [
            WireEntry.model_validate({k: getattr(e, k) for k in WireEntry.model_fields}) for e in stored
        ]
        breaks = chains.verify(conn)
    assert (row.name, row.phone, row.birth_date, row.national_id_last4) == ("—", "erased", None, None)
    assert row.erased_at_us is not None and not row.consent_marketing
    assert stored == entries  # every entry as its device sealed it
    assert breaks == []  # every device's chain, as the server holds it, still holds

    # terminals pulling from any cursor meet only the erased record; the card is revoked as "erased"
    changes = pull_all(client, terminal)
    mine = [c for c in changes if c.get("member_id") == m.id or c.get("member", {}).get("id") == m.id]
    members = [c["member"] for c in mine if c["kind"] == "member"]
    assert members and all(x["phone"] == "erased" and x["name"] == "—" for x in members)
    assert not [c for c in mine if c["kind"] == "member_photo"]
    revoked = [c["revocation"] for c in changes if c["kind"] == "card_revocation"]
    assert [(r["card_number"], r["reason"]) for r in revoked] == [(card, "erased")]
    assert client.get(f"/v1/photos/{SHA}", headers=terminal.auth).status_code == 404

    # the export still holds the ledger; the erasure is audited without the person
    data = client.get(f"/v1/admin/members/{m.id}/export", headers=admin).json()
    assert [e["id"] for e in data["ledger"]] == [e.id for e in entries] and data["erased_at_us"]
    assert data["photo"] is None and data["member"]["name"] == "—"
    log = client.get("/v1/admin/audit", headers=admin).json()
    erased = [r for r in log if r["action"] == "member.erase"]
    assert len(erased) == 1 and erased[0]["detail"]["why"] == "asked by [erased]"


def test_an_erased_member_stays_erased(client, club_db, terminal, admin):
    m, item, _entries, _card, _twin = a_member_with_a_history(client, terminal, admin, club_db)
    assert (
        client.post(f"/v1/admin/members/{m.id}/erase", json={"why": "asked"}, headers=admin).status_code
        == 200
    )
    again = client.post(f"/v1/admin/members/{m.id}/erase", json={"why": "asked"}, headers=admin)
    assert again.status_code == 409 and again.json()["detail"]["code"] == "member_erased"
    edit = client.patch(f"/v1/admin/members/{m.id}", json={"name": "Maryam"}, headers=admin)
    assert edit.status_code == 409 and edit.json()["detail"]["code"] == "member_erased"
    consent = client.put(f"/v1/admin/members/{m.id}/consent", json={"consent_marketing": True}, headers=admin)
    assert consent.status_code == 409
    for query in (NAME, PHONE, "09121234567", "erased", "—"):
        found = client.get("/v1/admin/members", params={"q": query}, headers=admin).json()["members"]
        assert m.id not in [f["id"] for f in found], query

    # the till that enrolled them pushes the record again (an offline edit), and retries its old item:
    # both refused, nothing comes back, and the retry is no conflict to alert
    edited = MemberItem(id=new_id(), member=m.model_copy(update={"name": "Maryam A."}))
    card = card_item(m.id, f"{terminal.card_prefix}{2:09d}")  # a card issued offline, before it heard
    answer = push(client, terminal, [terminal.entry(m.id, points=5)], [edited, item, card])
    assert [(r["outcome"], r["reason"]) for r in answer["items"]] == [("rejected", "member_erased")] * 3
    assert answer["entries"][0]["outcome"] == "accepted"  # a sale still counts: the ledger goes on
    photo = client.put(
        f"/v1/photos/{SHA}?member_id={m.id}",
        content=JPEG,
        headers=terminal.auth | {"Content-Range": f"bytes 0-{len(JPEG) - 1}/{len(JPEG)}"},
    )
    assert photo.status_code == 409 and photo.json()["detail"]["code"] == "photo_not_permitted"
    alerts = client.get("/v1/admin/alerts", headers=admin).json()
    assert not [a for a in alerts if a["kind"] == "item_conflict"]
    with club_db.read() as conn:
        row = conn.execute(select(MEMBER).where(MEMBER.c.id == m.id)).one()
    assert (row.name, row.phone) == ("—", "erased")
    assert client.get(f"/v1/admin/members/{m.id}", headers=admin).json()["erased_at_us"] == row.erased_at_us
    assert not [row for row in texts_in(club_db) if "Maryam A." in row and not row.startswith("sync_item")]


def test_a_terminal_cannot_mark_a_member_erased(client, club_db, terminal):
    fake = member(phone="erased", name="—")
    answer = push(client, terminal, [], [member_item(fake)])
    assert [(r["outcome"], r["reason"]) for r in answer["items"]] == [("rejected", "invalid_phone")]


def test_consent_is_shown_changed_and_dated(client, club_db, terminal, admin, clock):
    m = member(consent_marketing=False)
    push(client, terminal, [], [member_item(m)])
    clock.advance(3600)
    response = client.put(
        f"/v1/admin/members/{m.id}/consent", json={"consent_marketing": True}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "member_id": m.id,
        "consent_marketing": True,
        "consent_marketing_at_us": clock.now,
    }
    data = client.get(f"/v1/admin/members/{m.id}/export", headers=admin).json()
    assert data["consent"] == {"marketing": True, "since_us": clock.now, "given_at": "back_office"}
    detail = client.get(f"/v1/admin/members/{m.id}", headers=admin).json()
    assert (detail["consent_marketing"], detail["consent_marketing_at_us"]) == (True, clock.now)
    published = [c["member"] for c in pull_all(client, terminal) if c["kind"] == "member"]
    assert published[-1]["id"] == m.id and published[-1]["consent_marketing"] is True
    # a terminal's edit that changes the consent dates it too
    clock.advance(60)
    push(client, terminal, [], [member_item(m.model_copy(update={"consent_marketing": False}))])
    data = client.get(f"/v1/admin/members/{m.id}/export", headers=admin).json()
    assert data["consent"] == {"marketing": False, "since_us": clock.now, "given_at": "terminal"}
    assert client.put(
        f"/v1/admin/members/{new_id()}/consent", json={"consent_marketing": True}, headers=admin
    ).status_code == 404  # fmt: skip


def test_who_may_export_erase_and_change_consent(client, club_db, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    viewer, manager = bearer(admin_token(club_db, "viewer")), bearer(admin_token(club_db, "manager"))
    for method, path, body in (
        ("GET", "export", None),
        ("POST", "erase", {"why": "asked"}),
        ("PUT", "consent", {"consent_marketing": True}),
    ):
        refused = client.request(method, f"/v1/admin/members/{m.id}/{path}", json=body, headers=viewer)
        assert refused.status_code == 403 and refused.json()["detail"]["code"] == "forbidden", path
        assert (
            client.request(method, f"/v1/admin/members/{m.id}/{path}", headers=bearer("bga_nope")).status_code
            == 401
        )
    assert client.get(f"/v1/admin/members/{m.id}/export", headers=manager).status_code == 200
    assert client.put(
        f"/v1/admin/members/{m.id}/consent", json={"consent_marketing": True}, headers=manager
    ).status_code == 200  # fmt: skip
    blank = client.post(f"/v1/admin/members/{m.id}/erase", json={"why": "   "}, headers=manager)
    assert blank.status_code == 422 and blank.json()["detail"]["code"] == "reason_required"
    assert (
        client.post(f"/v1/admin/members/{m.id}/erase", json={"why": "asked"}, headers=manager).status_code
        == 200
    )


def test_the_chain_check_finds_an_edited_entry(client, club_db, terminal):
    """The check erasure is held to is no formality: an entry edited in place breaks its device's chain."""
    m = member()
    entries = [terminal.entry(m.id, points=10), terminal.entry(m.id, points=20)]
    push(client, terminal, entries, [member_item(m)])
    with club_db.read() as conn:
        assert chains.verify(conn) == []
    club_db.write(
        lambda conn: conn.execute(update(ENTRY).where(ENTRY.c.id == entries[0].id).values(points_delta=99))
    )
    with club_db.read() as conn:
        (found,) = chains.verify(conn)
    assert (found.device_id, found.device_seq, found.problem) == (terminal.device_id, 1, "edited")


def test_the_member_s_card_taps_are_in_the_export_and_gone_with_erasure(client, club_db, terminal, admin):
    """Where and when a chip card was tapped (kept to tell a clone) is the member's data too."""
    from sync.protocol import CardTapItem
    from sync.server.models import CARD_TAP

    m, _item, _entries, card, _twin = a_member_with_a_history(client, terminal, admin, club_db)
    tapped = CardTapItem(id=new_id(), card_number=card, member_id=m.id, used_at_us=T0,
                         purpose="member", chip="challenge", read_counter=7)  # fmt: skip
    answer = push(client, terminal, [], [tapped])
    assert [r["outcome"] for r in answer["items"]] == ["accepted"], answer
    data = client.get(f"/v1/admin/members/{m.id}/export", headers=admin).json()
    assert [(t["card_number"], t["device_id"], t["read_counter"]) for t in data["card_taps"]] == [
        (card, terminal.device_id, 7)
    ]
    erasure = client.post(f"/v1/admin/members/{m.id}/erase", json={"why": "asked"}, headers=admin).json()
    assert erasure["card_taps_deleted"] == 1
    with club_db.read() as conn:
        assert conn.execute(select(CARD_TAP).where(CARD_TAP.c.member_id == m.id)).first() is None
    assert client.get(f"/v1/admin/members/{m.id}/export", headers=admin).json()["card_taps"] == []
