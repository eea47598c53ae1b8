# SPDX-License-Identifier: GPL-3.0-or-later
"""The back office's events pages (over HTTP) and the use cases behind them (sync.server.club.events):
create, edit, cancel; inviting tiers and members; the live guest list; attendance as CSV; invitation QR
codes as PNG and as a printable PDF; who may do what, branch by branch."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import jdatetime
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from app.cards.invitation_qr import verify_invitation_qr
from app.domain.digits import to_persian_digits
from app.domain.ledger import EntryKind
from sync.protocol import WireEvent, b64decode
from sync.server import members
from sync.server.backoffice.texts import FA
from sync.server.club import events
from sync.server.club.access import CONSOLE, Actor
from sync.server.club.act import Call
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.invitation_sheet import QR_BORDER, QR_BOX_PX
from sync.server.models import AUDIT, EVENT
from sync.server.sequence import Publisher
from tests.server.club import (
    BRANCH_1,
    BRANCH_2,
    T0,
    FakeClock,
    Terminal,
    card_item,
    enroll,
    member,
    member_item,
    new_id,
    pull_all,
    push,
)
from tests.server.office import add_every_role, add_user, sign_in
from tests.support.components import missing_component

HOUR_US = 3600 * 1_000_000
BACKOFFICE = Path(__file__).parents[2] / "sync" / "server" / "backoffice"


@pytest.fixture
def office(club_db: Database) -> Database:
    add_every_role(club_db)  # owner, manager, branchmanager (BRANCH_1), marketing, auditor
    return club_db


def _call(db: Database, actor: Actor = CONSOLE, now_us: int = T0) -> Call:
    return Call(db, now_us, actor)


def _event(**fields) -> WireEvent:
    values = {
        "id": new_id(), "name": "Yalda night", "venue": "Tehran hall", "starts_at_us": T0 + 24 * HOUR_US,
        "ends_at_us": T0 + 30 * HOUR_US, "plus_ones": 1,
    }  # fmt: skip
    return WireEvent.model_validate(values | fields)


def _make(db: Database, branch_id: str | None = None, **fields) -> str:
    return events.create(_call(db), _event(**fields), branch_id).id


def _pushed(client: TestClient, terminal: Terminal, **fields) -> str:
    m = member(**fields)
    push(client, terminal, [], [member_item(m)])
    return m.id


def _silver(db: Database, name: str) -> str:
    """A member of the silver tier, as head office placed them (a terminal may enrol only in the entry
    tier: sync.server.vetting corrects what it sends)."""
    m = member(name=name, tier_code="silver")

    def work(conn) -> None:
        pub = Publisher(T0)
        members.put_member(conn, pub, m)
        pub.flush(conn)

    db.write(work)
    return m.id


def _check_in(client: TestClient, terminal: Terminal, member_id: str, event_id: str, **fields):
    entry = terminal.entry(
        member_id, EntryKind.CHECK_IN, points=0, sale_amount=0, invoice_ref=event_id, **fields
    )
    push(client, terminal, [entry])
    return entry


def _audit(db: Database, action: str) -> list:
    with db.read() as conn:
        return list(conn.execute(select(AUDIT).where(AUDIT.c.action == action).order_by(AUDIT.c.id)))


def _form(**fields) -> dict[str, str]:
    """The event form as a Persian user fills it: Jalali dates in Persian digits."""
    day = jdatetime.date.fromgregorian(date=datetime.fromtimestamp((T0 + 48 * HOUR_US) // 1_000_000).date())
    jalali = to_persian_digits(f"{day.year}/{day.month:02d}/{day.day:02d}")
    values = {
        "name": "شب یلدا", "venue": "تالار تهران", "starts_date": jalali, "starts_time": "18:30",
        "ends_date": jalali, "ends_time": "۲۲:۰۰", "capacity": "80", "plus_ones": "1", "branch_id": "",
    }  # fmt: skip
    return values | fields


def _local_us(day_offset_h: int, hour: int, minute: int) -> int:
    day = datetime.fromtimestamp((T0 + day_offset_h * HOUR_US) // 1_000_000).date()
    return int(datetime(day.year, day.month, day.day, hour, minute).astimezone().timestamp()) * 1_000_000


def _event_row(db: Database, event_id: str):
    with db.read() as conn:
        return conn.execute(select(EVENT).where(EVENT.c.id == event_id)).one()


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        missing_component("poppler-utils", f"{tool} is not installed (apt-get install -y poppler-utils)")
    return path


# ---- the pages render ----------------------------------------------------------------------------------


def test_every_events_page_renders_in_persian_and_in_english(office: Database, client: TestClient):
    event_id = _make(office, invited_tiers=["silver"])
    csrf = sign_in(client, "owner")
    for lang, words in (
        ("fa", ("رویدادها", "فهرست مهمانان", "رویداد تازه")),
        ("en", ("Events", "Guest list", "New event")),
    ):
        client.post("/admin/lang", data={"lang": lang, "csrf_token": csrf})
        listing = client.get("/admin/events")
        page = client.get(f"/admin/events/{event_id}")
        new = client.get("/admin/events/new")
        fragment = client.get(f"/admin/events/{event_id}/guests", headers={"HX-Request": "true"})
        assert [r.status_code for r in (listing, page, new, fragment)] == [200] * 4
        assert words[0] in listing.text and "Yalda night" in listing.text
        assert words[1] in page.text and words[2] in new.text
        assert f'lang="{lang}"' in page.text
        assert fragment.text.lstrip().startswith('<div id="guests"')  # a fragment, not a page
        assert "<html" not in fragment.text


def test_every_text_of_the_events_pages_has_its_persian(office: Database):
    sources = [*(BACKOFFICE / "templates" / "events").glob("*.html"), BACKOFFICE / "pages" / "events.py"]
    used = {m[1] for path in sources for m in re.findall(r"""_\(\s*(["'])(.+?)\1\s*\)""", path.read_text())}
    assert len(used) > 50
    assert sorted(used - set(FA)) == []


def test_what_was_typed_is_shown_as_text(office: Database, client: TestClient, terminal: Terminal):
    event_id = _make(office, name="<script>alert(1)</script>", venue="<b>hall</b>")
    guest = _pushed(client, terminal, name="<img src=x onerror=alert(2)>")
    events.invite(_call(office), event_id, member_ids=[guest])
    sign_in(client, "owner")
    for url in ("/admin/events", f"/admin/events/{event_id}", f"/admin/events/{event_id}/guests"):
        text = client.get(url).text
        assert "<script>alert(1)" not in text and "<img src=x" not in text and "<b>hall" not in text, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/admin/events").text
    assert "&lt;img src=x onerror=alert(2)&gt;" in client.get(f"/admin/events/{event_id}").text


# ---- create, edit, cancel ---------------------------------------------------------------------------------


def test_an_event_is_created_edited_and_cancelled_through_the_pages(
    office: Database, client: TestClient, terminal: Terminal
):
    csrf = sign_in(client, "marketing")
    made = client.post(
        "/admin/events/new", data=_form(tiers=["silver"]) | {"csrf_token": csrf}, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    event_id = re.fullmatch(r"/admin/events/([0-9a-f-]{36})\?done=created", made.headers["location"])[1]
    row = _event_row(office, event_id)
    assert (row.name, row.venue, row.capacity, row.plus_ones, row.branch_id) == (
        "شب یلدا",
        "تالار تهران",
        80,
        1,
        None,
    )
    assert (row.starts_at_us, row.ends_at_us) == (_local_us(48, 18, 30), _local_us(48, 22, 0))
    assert json.loads(row.invited_tiers) == ["silver"]
    created = _audit(office, "event.create")
    assert len(created) == 1 and created[0].actor.startswith("user:marketing")
    assert json.loads(created[0].detail)["after"]["name"] == "شب یلدا"
    assert "رویداد ساخته" in client.get(made.headers["location"]).text

    edited = client.post(
        f"/admin/events/{event_id}",
        data=_form(venue="باغ اصفهان", capacity="", ends_time="23:15", branch_id=BRANCH_2)
        | {"csrf_token": csrf},
        follow_redirects=False,
    )
    assert edited.status_code == 303 and edited.headers["location"].endswith("?done=saved")
    row = _event_row(office, event_id)
    assert (row.venue, row.capacity, row.ends_at_us, row.branch_id) == (
        "باغ اصفهان", None, _local_us(48, 23, 15), BRANCH_2,
    )  # fmt: skip
    assert json.loads(row.invited_tiers) == ["silver"]  # the edit form leaves the guest list alone
    detail = json.loads(_audit(office, "event.edit")[0].detail)
    assert (detail["before"]["venue"], detail["after"]["venue"]) == ("تالار تهران", "باغ اصفهان")
    assert (detail["before"]["branch_id"], detail["after"]["branch_id"]) == (None, BRANCH_2)

    unsure = client.post(
        f"/admin/events/{event_id}/cancel", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert unsure.status_code == 422 and "تأیید" in unsure.text
    assert _event_row(office, event_id).cancelled is False and _audit(office, "event.cancel") == []
    cancelled = client.post(
        f"/admin/events/{event_id}/cancel",
        data={"csrf_token": csrf, "confirm": "yes"},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303
    assert _event_row(office, event_id).cancelled is True
    detail = json.loads(_audit(office, "event.cancel")[0].detail)
    assert (detail["before"]["cancelled"], detail["after"]["cancelled"]) == (False, True)
    page = client.get(f"/admin/events/{event_id}").text
    assert "لغو شده" in page and 'action="/admin/events/' + event_id + '/invite"' not in page
    assert "لغو شده" in client.get("/admin/events").text

    published = [c["event"] for c in pull_all(client, terminal) if c["kind"] == "event"]
    assert [(e["venue"], e["cancelled"]) for e in published] == [
        ("تالار تهران", False), ("باغ اصفهان", False), ("باغ اصفهان", True),
    ]  # fmt: skip
    assert all("branch_id" not in e for e in published)  # the server's own: terminals are not sent it


def test_the_event_form_shows_what_is_wrong_next_to_the_field(office: Database, client: TestClient):
    csrf = sign_in(client, "owner")
    cases = [
        (_form(starts_date="سی‌ام آذر"), "تاریخی مانند"),
        (_form(ends_time="17:00", starts_time="18:30"), "پایان رویداد باید پس از آغاز آن باشد"),
        (_form(capacity="0"), "ظرفیت عددی درست"),
        (_form(plus_ones="99"), "همراهان مجاز هر عضو: ۰ تا ۲۰"),
        (_form(name="   "), "برای رویداد نامی بنویسید"),
        (_form(tiers=["platinum"]), "چنین سطحی در برنامه باشگاه نیست"),
        (_form(branch_id=new_id()), "چنین شعبه‌ای نیست"),
    ]
    for form, message in cases:
        answer = client.post("/admin/events/new", data=form | {"csrf_token": csrf})
        assert answer.status_code in (403, 422) and message in answer.text, (form, answer.text[-2000:])
        assert 'value="' + form["venue"] + '"' in answer.text  # what was typed stays in the form
    with office.read() as conn:
        assert conn.execute(select(func.count()).select_from(EVENT)).scalar_one() == 0
    assert _audit(office, "event.create") == []


def test_dates_are_read_as_typed():
    from app.format import parse_day
    from sync.server.backoffice.pages.events import parse_moment

    assert parse_day("۱۴۰۵/۰۹/۳۰") == parse_day("1405-09-30") == datetime(2026, 12, 21).date()
    assert parse_day("2026-12-21") == parse_day("2026/12/21") == datetime(2026, 12, 21).date()
    assert parse_day("1405/12/31") is None  # 1405 is not a leap year in the Jalali calendar
    assert parse_day("2026-02-30") is None and parse_day("yesterday") is None and parse_day("") is None
    moment = parse_moment("1405/09/30", "۱۸:۳۰")
    assert moment == int(datetime(2026, 12, 21, 18, 30).astimezone().timestamp()) * 1_000_000
    assert parse_moment("1405/09/30", "24:00") is None and parse_moment("1405/09/30", "6pm") is None


def test_a_post_without_the_csrf_token_changes_nothing(office: Database, client: TestClient):
    event_id = _make(office)
    sign_in(client, "owner")
    for url, data in (
        (f"/admin/events/{event_id}/cancel", {"confirm": "yes"}),
        ("/admin/events/new", _form()),
        (f"/admin/events/{event_id}/invite", {"tiers": ["silver"]}),
    ):
        assert client.post(url, data=data, follow_redirects=False).status_code == 403, url
        forged = client.post(url, data=data | {"csrf_token": "x" * 43}, follow_redirects=False)
        assert forged.status_code == 403, url
    row = _event_row(office, event_id)
    assert row.cancelled is False and json.loads(row.invited_tiers) == []


def test_changes_are_refused_by_get(office: Database, client: TestClient):
    event_id = _make(office)
    sign_in(client, "owner")
    for path in ("/cancel", "/invite", "/uninvite"):
        assert client.get(f"/admin/events/{event_id}{path}").status_code == 405, path
    assert _event_row(office, event_id).cancelled is False


# ---- who may ----------------------------------------------------------------------------------


def test_an_auditor_reads_but_may_not_create_or_change_an_event(office: Database, client: TestClient):
    event_id = _make(office)
    csrf = sign_in(client, "auditor")
    assert client.get("/admin/events").status_code == 200
    page = client.get(f"/admin/events/{event_id}")
    assert page.status_code == 200 and "/invite" not in page.text and "/cancel" not in page.text
    assert "رویداد تازه" not in client.get("/admin/events").text
    assert client.get("/admin/events/new").status_code == 403
    refused = client.post("/admin/events/new", data=_form() | {"csrf_token": csrf})
    assert refused.status_code == 403 and "نقش شما اجازه این کار را ندارد" in refused.text
    for path, data in (
        ("", _form(name="Renamed")),
        ("/cancel", {"confirm": "yes"}),
        ("/invite", {"tiers": ["silver"]}),
    ):
        assert (
            client.post(f"/admin/events/{event_id}{path}", data=data | {"csrf_token": csrf}).status_code
            == 403
        )
    assert client.get(f"/admin/events/{event_id}/sheet.pdf").status_code == 403
    assert client.get(f"/admin/events/{event_id}/guests/{new_id()}/qr.png").status_code == 403
    with office.read() as conn:
        assert conn.execute(select(func.count()).select_from(EVENT)).scalar_one() == 1
    row = _event_row(office, event_id)
    assert (row.name, row.cancelled, row.invited_tiers) == ("Yalda night", False, "[]")
    with pytest.raises(ApiError) as refused_directly:
        events.create(_call(office, Actor("a", "audit", "auditor")), _event())
    assert refused_directly.value.status == 403


def test_a_branch_manager_manages_their_own_branch_events_only(
    office: Database, client: TestClient, terminal: Terminal
):
    theirs = _make(office, BRANCH_1)
    other = _make(office, BRANCH_2)
    club_wide = _make(office)
    guest = _pushed(client, terminal)
    csrf = sign_in(client, "branchmanager")  # runs BRANCH_1

    new = client.get("/admin/events/new").text
    assert f'<option value="{BRANCH_1}"' in new and f'value="{BRANCH_2}"' not in new
    assert '<option value=""' not in new  # not the whole club's
    made = client.post(
        "/admin/events/new", data=_form(branch_id=BRANCH_1) | {"csrf_token": csrf}, follow_redirects=False
    )
    assert made.status_code == 303
    for holder in ("", BRANCH_2):  # a club-wide event, another branch's: refused, shown by the field
        refused = client.post(
            "/admin/events/new", data=_form(branch_id=holder, name="No") | {"csrf_token": csrf}
        )
        assert refused.status_code == 403 and "فقط در شعبه‌هایی که مدیرشان هستید" in refused.text
    with office.read() as conn:
        assert (
            conn.execute(select(func.count()).where(EVENT.c.name == "No").select_from(EVENT)).scalar_one()
            == 0
        )

    invited = client.post(f"/admin/events/{theirs}/invite", data={"member": guest, "csrf_token": csrf},
                          follow_redirects=False)  # fmt: skip
    assert invited.status_code == 303
    moved = client.post(f"/admin/events/{theirs}", data=_form(branch_id=BRANCH_2) | {"csrf_token": csrf})
    assert moved.status_code == 403 and "فقط در شعبه‌هایی که مدیرشان هستید" in moved.text
    assert _event_row(office, theirs).branch_id == BRANCH_1  # not to another branch

    for event_id in (other, club_wide):
        page = client.get(f"/admin/events/{event_id}")
        assert page.status_code == 200 and "/cancel" not in page.text  # they read it, no forms to change it
        for path, data in (
            ("", _form(name="Mine now", branch_id=BRANCH_1)),
            ("/cancel", {"confirm": "yes"}),
            ("/invite", {"member": guest}),
            ("/uninvite", {"tier": "silver"}),
        ):
            answer = client.post(f"/admin/events/{event_id}{path}", data=data | {"csrf_token": csrf})
            assert answer.status_code == 403, (event_id, path)
        assert client.get(f"/admin/events/{event_id}/sheet.pdf").status_code == 403
        row = _event_row(office, event_id)
        assert (row.name, row.cancelled) == ("Yalda night", False)
    assert _audit(office, "event.edit") == [] and _audit(office, "event.cancel") == []

    actor = Actor("b", "bm", "branch-manager", branch_ids=frozenset({BRANCH_1}))
    with pytest.raises(ApiError) as refused_directly:
        events.create(_call(office, actor), _event())  # club-wide: head office's
    assert (refused_directly.value.status, refused_directly.value.code) == (403, "forbidden")
    with pytest.raises(ApiError):
        events.cancel(_call(office, actor), other)
    assert events.cancel(_call(office, actor), theirs).cancelled is True


def test_a_terminals_event_is_its_branchs(office: Database, client: TestClient, terminal: Terminal):
    from sync.protocol import EventItem

    event = _event()
    push(client, terminal, [], [EventItem(id=new_id(), event=event)])
    assert _event_row(office, event.id).branch_id == terminal.branch_id == BRANCH_1
    push(
        client,
        enroll(office, "ISF"),
        [],
        [EventItem(id=new_id(), event=event.model_copy(update={"venue": "x"}))],
    )
    assert _event_row(office, event.id).branch_id == BRANCH_1  # an update from elsewhere does not move it
    actor = Actor("b", "bm", "branch-manager", branch_ids=frozenset({BRANCH_1}))
    assert events.edit(_call(office, actor), event.id, {"capacity": 10}).capacity == 10


# ---- inviting ----------------------------------------------------------------------------------


def test_inviting_a_tier_puts_its_members_on_the_guest_list(
    office: Database, client: TestClient, terminal: Terminal
):
    event_id = _make(office)
    silver = [_silver(office, n) for n in ("Sara", "Reza")]
    bronze = _pushed(client, terminal, name="Bahar", tier_code="bronze")
    csrf = sign_in(client, "owner")
    answer = client.post(
        f"/admin/events/{event_id}/invite",
        data={"tiers": ["silver"], "csrf_token": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"].endswith("?done=invited")
    assert json.loads(_event_row(office, event_id).invited_tiers) == ["silver"]
    guests = events.guest_list(_call(office), event_id)
    assert [(g.name, g.by_tier, g.invited) for g in guests.guests] == [
        ("Reza", True, True),
        ("Sara", True, True),
    ]
    assert {g.member_id for g in guests.guests} == set(silver) and bronze not in {
        g.member_id for g in guests.guests
    }
    assert guests.event.invited == 2
    page = client.get(f"/admin/events/{event_id}").text
    assert "از راه سطح" in page and "Bahar" not in page
    assert re.search(r'data-testid="invited-count">۲<', page)
    published = [c["event"] for c in pull_all(client, terminal) if c["kind"] == "event"]
    assert published[-1]["invited_tiers"] == ["silver"]  # the doors admit the tier's members by their cards
    audit = json.loads(_audit(office, "event.invite")[0].detail)
    assert (audit["before"]["invited_tiers"], audit["after"]["invited_tiers"]) == ([], ["silver"])

    taken = client.post(f"/admin/events/{event_id}/uninvite", data={"tier": "silver", "csrf_token": csrf})
    assert taken.status_code == 200 and "دعوت پس گرفته شد" in taken.text
    assert json.loads(_event_row(office, event_id).invited_tiers) == []
    assert events.guest_list(_call(office), event_id).guests == []


def test_members_are_invited_by_id_phone_or_card_and_taken_back(
    office: Database, client: TestClient, terminal: Terminal
):
    event_id = _make(office)
    by_id = _pushed(client, terminal, name="Sara")
    by_phone = _pushed(client, terminal, name="Reza", phone="+989121111111")
    by_card = _pushed(client, terminal, name="Nima")
    number = (terminal.card_prefix + "0" * 16)[:15] + "7"
    push(client, terminal, [], [card_item(by_card, number)])
    csrf = sign_in(client, "owner")
    for typed in (by_id.upper(), "۰۹۱۲ ۱۱۱ ۱۱۱۱", " ".join(number[i : i + 4] for i in range(0, 16, 4))):
        answer = client.post(
            f"/admin/events/{event_id}/invite",
            data={"member": typed, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert answer.status_code == 303, (typed, answer.text[-1500:])
    guests = {g.member_id: g for g in events.guest_list(_call(office), event_id).guests}
    assert set(guests) == {by_id, by_phone, by_card}
    assert all(g.invitation_id and not g.cancelled and not g.by_tier for g in guests.values())

    for typed, message in (
        (new_id(), "هیچ عضوی این شناسه یا شماره تلفن را ندارد"),
        ("09129999999", "هیچ عضوی این شناسه یا شماره تلفن را ندارد"),
        (terminal.card_prefix + "9" * (16 - len(terminal.card_prefix)), "هیچ عضوی این کارت را ندارد"),
        ("hello", "شناسه عضو، شماره تلفن یا شماره کارت را بنویسید"),
        ("", "سطحی را انتخاب کنید یا عضوی را برای دعوت بنویسید"),
    ):
        answer = client.post(f"/admin/events/{event_id}/invite", data={"member": typed, "csrf_token": csrf})
        assert answer.status_code == 422 and message in answer.text, typed
    assert len(events.guest_list(_call(office), event_id).guests) == 3

    taken = client.post(
        f"/admin/events/{event_id}/uninvite",
        data={"member_id": by_phone, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert taken.status_code == 303
    guests = {g.member_id: g for g in events.guest_list(_call(office), event_id).guests}
    assert guests[by_phone].cancelled and not guests[by_phone].invited
    assert "پس گرفته شد" in client.get(f"/admin/events/{event_id}").text
    audit = json.loads(_audit(office, "event.uninvite")[0].detail)
    assert (audit["before"]["cancelled"], audit["after"]["cancelled"]) == (False, True)
    invitations = [c["invitation"] for c in pull_all(client, terminal) if c["kind"] == "invitation"]
    assert [(i["member_id"], i["cancelled"]) for i in invitations][-1] == (by_phone, True)

    events.cancel(_call(office), event_id)
    closed = client.post(f"/admin/events/{event_id}/invite", data={"tiers": ["silver"], "csrf_token": csrf})
    assert closed.status_code == 409 and "این رویداد لغو شده است" in closed.text


# ---- the live guest list ----------------------------------------------------------------------------------


def test_the_guest_list_shows_who_is_inside_as_the_doors_push(
    office: Database, client: TestClient, clock: FakeClock
):
    door = enroll(office)
    event_id = _make(office, starts_at_us=T0 + HOUR_US, ends_at_us=T0 + 6 * HOUR_US)  # the doors are open
    sara = _pushed(client, door, name="Sara")
    reza = _silver(office, "Reza")
    events.invite(_call(office), event_id, member_ids=[sara], tiers=["silver"])
    sign_in(client, "auditor")  # reading the list is every role's
    url = f"/admin/events/{event_id}/guests"
    before = client.get(url, headers={"HX-Request": "true"}).text
    assert 'hx-trigger="every 5s"' in before and f'hx-get="/admin/events/{event_id}/guests"' in before
    assert before.count("هنوز نه") == 2 and re.search(r'data-testid="inside-count">۰<', before)

    entry = _check_in(client, door, sara, event_id)
    plus_one = door.entry(sara, EntryKind.GUEST_CHECK_IN, points=0, sale_amount=0, invoice_ref=event_id)
    push(client, door, [plus_one])
    clock.advance(5)
    after = client.get(url, headers={"HX-Request": "true"}).text
    row = re.search(rf'<tr data-member="{sara}".*?</tr>', after, re.S)[0]
    assert "table-success" in row and "داخل" in row and door.device_code in row
    admitted_at = datetime.fromtimestamp(entry.created_at_us // 1_000_000).astimezone().strftime("%H:%M")
    assert to_persian_digits(admitted_at) in row
    assert re.search(r'data-testid="inside-count">۲<', after)  # Sara and her plus-one
    reza_row = re.search(rf'<tr data-member="{reza}".*?</tr>', after, re.S)[0]
    assert "هنوز نه" in reza_row
    guests = {g.member_id: g for g in events.guest_list(_call(office), event_id).guests}
    assert (guests[sara].inside_since_us, guests[sara].door, guests[sara].guests_inside) == (
        entry.created_at_us, door.device_code, 1,
    )  # fmt: skip

    def reads() -> int:  # the list is personal data: read, it is audited
        return sum(1 for row in _audit(office, "event.guests") if row.actor.startswith("user:auditor"))

    assert reads() == 1  # polled every few seconds, it is audited once in ten minutes
    clock.advance(events.REFRESH_AUDIT_US // 1_000_000 + 1)
    client.get(url, headers={"HX-Request": "true"})
    client.get(url, headers={"HX-Request": "true"})
    assert reads() == 2
    client.get(f"/admin/events/{event_id}")  # opening the page is always audited
    assert reads() == 3

    clock.advance(6 * 3600)  # over: the list no longer asks
    sign_in(client, "auditor")
    assert "hx-trigger" not in client.get(url, headers={"HX-Request": "true"}).text


def test_the_lists_come_a_page_at_a_time(office: Database, client: TestClient, terminal: Terminal):
    ids = [_make(office, starts_at_us=T0 + i * HOUR_US, ends_at_us=T0 + (i + 1) * HOUR_US) for i in range(30)]
    first = events.listing(_call(office))
    second = events.listing(_call(office), first.after)
    assert [s.event.id for s in first.events + second.events] == ids[::-1] and second.after is None
    assert len(first.events) == events.PAGE
    sign_in(client, "owner")
    page = client.get("/admin/events").text
    link = re.search(r'href="/admin/events\?after=([^"]+)" rel="next"', page)[1]
    rest = client.get(f"/admin/events?after={link}").text
    assert ids[0] in rest and ids[-1] not in rest
    assert client.get("/admin/events?after=not-a-cursor").status_code == 422

    event_id = ids[0]
    names = [f"Guest {i:03d}" for i in range(events.GUEST_PAGE + 5)]
    for name in names:
        _silver(office, name)
    events.invite(_call(office), event_id, tiers=["silver"])
    one = events.guest_list(_call(office), event_id)
    two = events.guest_list(_call(office), event_id, one.after)
    assert [g.name for g in one.guests + two.guests] == names and two.after is None
    assert len(one.guests) == events.GUEST_PAGE
    page = client.get(f"/admin/events/{event_id}").text
    link = re.search(rf'href="/admin/events/{event_id}\?after=([^"]+)" rel="next"', page)[1]
    assert "Guest 054" in client.get(f"/admin/events/{event_id}?after={link}").text


# ---- files ----------------------------------------------------------------------------------


def test_the_attendance_csv_has_a_line_for_each_check_in(office: Database, client: TestClient):
    door = enroll(office)
    event_id = _make(office)
    sara = _pushed(client, door, name="=Sara")  # a name a spreadsheet would run as a formula
    reza = _pushed(client, door, name="Reza")
    _check_in(client, door, sara, event_id)
    _check_in(client, door, reza, event_id)
    sign_in(client, "auditor")
    answer = client.get(f"/admin/events/{event_id}/attendance.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert f'filename="attendance-{event_id}.csv"' in answer.headers["content-disposition"]
    lines = answer.text.splitlines()
    assert (
        lines[0]
        == "entry_id,member_id,member_name,device_id,device_code,created_at_us,guest,undone,double_admission"
    )
    assert [line.split(",")[1:3] for line in lines[1:]] == [[sara, "'=Sara"], [reza, "Reza"]]
    assert len(_audit(office, "event.attendance")) == 1


def _invited_guest(office: Database, client: TestClient, terminal: Terminal, name: str) -> tuple[str, str]:
    event_id = _make(office)
    guest = _pushed(client, terminal, name=name)
    events.invite(_call(office), event_id, member_ids=[guest])
    return event_id, guest


def _club_keys(client: TestClient, terminal: Terminal) -> dict[int, bytes]:
    keys = [c["key"] for c in pull_all(client, terminal) if c["kind"] == "club_key"]
    return {k["key_id"]: b64decode(k["public_key"]) for k in keys}


def test_an_invitation_qr_png_decodes_to_a_code_the_door_verifies(
    office: Database, client: TestClient, terminal: Terminal
):
    import zxingcpp

    event_id, guest = _invited_guest(office, client, terminal, "Sara")
    sign_in(client, "manager")
    answer = client.get(f"/admin/events/{event_id}/guests/{guest}/qr.png")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(answer.content))
    assert image.format == "PNG"
    modules = image.width // QR_BOX_PX - 2 * QR_BORDER
    assert image.width == image.height and (modules - 17) % 4 == 0  # a QR code's side: 21, 25, … modules
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert len(found) == 1 and found[0].text.startswith("BGI1:")
    passed = verify_invitation_qr(found[0].text, _club_keys(client, terminal), T0)
    assert (passed.event_id, passed.member_id) == (event_id, guest)
    assert len(_audit(office, "event.invitation_qr")) == 1
    stranger = client.get(f"/admin/events/{event_id}/guests/{new_id()}/qr.png")
    assert stranger.status_code == 404 and "با نام به این رویداد دعوت نشده" in stranger.text


def test_the_invitation_sheet_is_a_printable_pdf_with_persian_names_and_their_codes(
    office: Database, client: TestClient, terminal: Terminal, tmp_path: Path
):
    import zxingcpp

    pdftotext, pdffonts, pdftoppm = _poppler("pdftotext"), _poppler("pdffonts"), _poppler("pdftoppm")
    event_id, sara = _invited_guest(office, client, terminal, "سارا محمدی")
    john = _pushed(client, terminal, name="John Smith")
    events.invite(_call(office), event_id, member_ids=[john])
    gone = _pushed(client, terminal, name="رضا رفته")
    events.invite(_call(office), event_id, member_ids=[gone])
    events.uninvite(_call(office), event_id, member_id=gone)  # taken back: no code for them
    sign_in(client, "owner")
    page = client.get(f"/admin/events/{event_id}").text
    assert f'href="/admin/events/{event_id}/sheet.pdf"' in page
    answer = client.get(f"/admin/events/{event_id}/sheet.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(answer.content)

    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    visible = re.sub("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)  # bidi marks aside
    assert "سارا محمدی" in visible and "John Smith" in visible and "Yalda night" in visible
    assert "رضا رفته" not in visible
    fonts = subprocess.run([pdffonts, str(pdf)], capture_output=True, text=True, check=True).stdout
    embedded = [line.split() for line in fonts.splitlines()[2:]]
    assert embedded and all("Vazirmatn" in row[0] and row[-5] == "yes" for row in embedded), fonts
    info = subprocess.run([_poppler("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), info

    subprocess.run(
        [pdftoppm, "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True
    )
    drawn = Image.open(next(tmp_path.glob("page*.png")))
    codes = {c.text for c in zxingcpp.read_barcodes(drawn.convert("L"))}
    keys = _club_keys(client, terminal)
    assert {verify_invitation_qr(code, keys, T0).member_id for code in codes} == {sara, john}
    audit = json.loads(_audit(office, "event.invitation_sheet")[0].detail)
    assert audit["after"]["codes"] == 2


def test_a_sheet_of_nobody_or_of_a_cancelled_event_is_refused(office: Database, client: TestClient):
    event_id = _make(office)
    sign_in(client, "owner")
    assert "sheet.pdf" not in client.get(f"/admin/events/{event_id}").text
    nobody = client.get(f"/admin/events/{event_id}/sheet.pdf")
    assert nobody.status_code == 409 and "هیچ‌کس با نام به این رویداد دعوت نشده" in nobody.text
    with pytest.raises(ApiError) as refused:
        events.invitation_sheet_pdf(_call(office), event_id, 2)
    assert refused.value.code == "unknown_sheet"
    guest = _pushed(client, enroll(office))
    events.invite(_call(office), event_id, member_ids=[guest])
    events.cancel(_call(office), event_id)
    assert "sheet.pdf" not in client.get(f"/admin/events/{event_id}").text
    cancelled = client.get(f"/admin/events/{event_id}/sheet.pdf")
    assert cancelled.status_code == 409 and "این رویداد لغو شده است" in cancelled.text


# ---- the use cases, directly -----------------------------------------------------------------------------


def test_the_use_cases_keep_one_audited_path(office: Database, client: TestClient, terminal: Terminal):
    marketing = Actor("m", "mk", "marketing")
    call = _call(office, marketing)
    event = _event(invited_tiers=["bronze"])
    view = events.create(call, event, BRANCH_2)
    assert (view.branch_id, view.invited) == (BRANCH_2, 0)
    assert events.create(call, event, BRANCH_2) == view  # a retried create
    with pytest.raises(ApiError) as taken:
        events.create(call, event.model_copy(update={"name": "Other"}), BRANCH_2)
    assert taken.value.code == "event_exists"
    with pytest.raises(ApiError) as bad:
        events.edit(call, event.id, {"ends_at_us": event.starts_at_us})
    assert bad.value.code == "event_ends_before_start"
    with pytest.raises(ApiError) as unknown:
        events.edit(call, event.id, {"colour": "red"})
    assert unknown.value.code == "invalid_request"
    edited = events.edit(call, event.id, {"name": "  Yalda   party ", "branch_id": None})
    assert (edited.name, edited.branch_id) == ("Yalda party", None)
    guest = _silver(office, "Sara")
    invited = events.invite(call, event.id, tiers=["silver", "bronze"], member_ids=[guest, new_id()])
    assert invited.tiers == ["silver"]
    assert [r.outcome for r in invited.results] == ["invited", "unknown_member"]
    assert events.summary(call, event.id).invited == 1
    assert events.uninvite(call, event.id, tier="bronze") is None
    with pytest.raises(ApiError):
        events.uninvite(call, event.id)
    cancelled = events.cancel(call, event.id)
    assert cancelled.cancelled and events.summary(call, event.id).state == "cancelled"
    actions = [row.action for row in _audit(office, "event.create") + _audit(office, "event.edit")]
    assert actions == ["event.create", "event.create", "event.edit"]  # refusals are not actions
    assert all(row.actor == marketing.audit_name for row in _audit(office, "event.cancel"))


def test_the_state_of_an_event_follows_the_clock(office: Database):
    event = _event(starts_at_us=T0 + 10 * HOUR_US, ends_at_us=T0 + 12 * HOUR_US)
    assert events.state_of(event, T0) == "upcoming"
    assert events.state_of(event, T0 + 8 * HOUR_US) == "open"  # the doors open three hours early
    assert events.state_of(event, T0 + 13 * HOUR_US) == "ended"
    assert events.state_of(event.model_copy(update={"cancelled": True}), T0) == "cancelled"


def test_the_admin_api_keeps_an_events_branch_unless_told(office: Database, client: TestClient, admin):
    body = {
        "name": "Party",
        "starts_at_us": T0 + HOUR_US,
        "ends_at_us": T0 + 2 * HOUR_US,
        "branch_id": BRANCH_1,
    }
    created = client.post("/v1/admin/events", json=body, headers=admin).json()
    assert created["branch_id"] == BRANCH_1
    body.pop("branch_id")
    kept = client.put(
        f"/v1/admin/events/{created['id']}", json=body | {"venue": "Hall"}, headers=admin
    ).json()
    assert (kept["venue"], kept["branch_id"]) == ("Hall", BRANCH_1)
    moved = client.put(f"/v1/admin/events/{created['id']}", json=body | {"branch_id": None}, headers=admin)
    assert moved.json()["branch_id"] is None
    unknown = client.post("/v1/admin/events", json=body | {"branch_id": new_id()}, headers=admin)
    assert (unknown.status_code, unknown.json()["detail"]["code"]) == (422, "unknown_branch")
    assert [e["action"] for e in client.get("/v1/admin/audit", headers=admin).json()][:3] == [
        "event.edit", "event.edit", "event.create",
    ]  # fmt: skip


def test_a_branch_manager_account_is_made_for_branch_two(office: Database, client: TestClient):
    """The office helper gives a branch manager BRANCH_1 unless told: another branch's manager sees the
    other side of the same rule."""
    add_user(office, "isfahan", "branch-manager", [BRANCH_2])
    event_id = _make(office, BRANCH_2)
    csrf = sign_in(client, "isfahan")
    answer = client.post(f"/admin/events/{event_id}/cancel", data={"confirm": "yes", "csrf_token": csrf},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303 and _event_row(office, event_id).cancelled is True
