# SPDX-License-Identifier: GPL-3.0-or-later
"""The member's file in the back office, over HTTP: each page in Persian and English, each form changing
the database (audited, published), roles without the permission refused with nothing changed, what members
typed shown as text."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.domain.ledger import EntryKind
from sync.server import members
from sync.server.backoffice.pages.members import DONE
from sync.server.backoffice.texts import ENTRY_KINDS, ERRORS_FA, FA
from sync.server.backoffice.web import TEMPLATES
from sync.server.db import Database, dialect_insert
from sync.server.models import AUDIT, BALANCE, CARD, ENTRY, MEMBER, PHOTO
from sync.server.programme import SERVER_DEVICE_ID
from sync.server.sequence import Publisher
from tests.server.club import BRANCH_1, BRANCH_2, T0, Terminal, member, member_item, pull_all, push
from tests.server.office import add_every_role, add_user, csrf_of, sign_in

JPEG = b"\xff\xd8\xff\xe0" + b"a member's face" * 10


@pytest.fixture
def office(club_db: Database) -> Database:
    add_every_role(club_db)
    return club_db


def pushed_member(client: TestClient, terminal: Terminal, points: int = 0, **fields: Any) -> str:
    m = member(**fields)
    entries = [terminal.entry(m.id, EntryKind.EARN, points)] if points else []
    push(client, terminal, entries, [member_item(m)])
    return m.id


def url(member_id: str, tail: str = "") -> str:
    return f"/admin/members/{member_id}{tail}"


def english(client: TestClient, csrf: str) -> None:
    assert client.post("/admin/lang", data={"lang": "en", "csrf_token": csrf}).status_code == 200


def row(db: Database, table: Any, **where: Any) -> Any:
    with db.read() as conn:
        query = select(table)
        for key, value in where.items():
            query = query.where(table.c[key] == value)
        return conn.execute(query).first()


def count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def audit_of(db: Database, action: str) -> Any:
    """The first audit row of this action."""
    with db.read() as conn:
        return conn.execute(select(AUDIT).where(AUDIT.c.action == action).order_by(AUDIT.c.id).limit(1)).one()


def post(client: TestClient, path: str, csrf: str, **data: str) -> Any:
    return client.post(path, data=data | {"csrf_token": csrf}, follow_redirects=False)


def add_photo(db: Database, member_id: str) -> None:
    sha = hashlib.sha256(JPEG).hexdigest()

    def work(conn: Any) -> None:
        pub = Publisher(T0)
        conn.execute(
            dialect_insert(conn, PHOTO).values(sha256=sha, member_id=member_id, size=len(JPEG),
                                               received=len(JPEG), data=JPEG, complete=True, created_at_us=T0)
        )  # fmt: skip
        members.set_photo(conn, pub, member_id, sha, len(JPEG))
        pub.flush(conn)

    db.write(work)


# ---- the file -----------------------------------------------------------------------------------------


def test_the_file_shows_the_member_in_persian_and_english(office, client, terminal):
    m = pushed_member(client, terminal, points=1_250, name="Sara Ahmadi", consent_marketing=True)
    add_photo(office, m)
    csrf = sign_in(client, "auditor")
    page = client.get(url(m))
    assert page.status_code == 200, page.text
    text = page.text
    assert 'data-testid="member-name">Sara Ahmadi<' in text
    assert re.search(r'data-testid="points">۱٬۲۵۰<', text)
    assert (
        "برنزی" in text and "موافق است" in text and 'action="/admin/members"' in text and 'name="q"' in text
    )
    assert f'src="/admin/members/{m}/photo"' in text
    assert "خرید" in text  # the ledger's sale, in Persian
    assert (
        "adjust-form" not in text and "tier-form" not in text and "issue-qr" not in text
    )  # an auditor reads
    photo = client.get(url(m, "/photo"))
    assert (
        photo.status_code == 200 and photo.content == JPEG and photo.headers["content-type"] == "image/jpeg"
    )
    english(client, csrf)
    page = client.get(url(m)).text
    assert (
        re.search(r'data-testid="points">1,250<', page) and "Bronze" in page and "Tier and standing" in page
    )
    actions = [a for (a,) in _audit_actions(office)]
    assert "member.view" in actions and "member.photo" in actions


def _audit_actions(db: Database) -> list[Any]:
    with db.read() as conn:
        return list(conn.execute(select(AUDIT.c.action).order_by(AUDIT.c.id)))


def test_a_member_without_a_photo_or_a_file_is_a_clear_refusal(office, client, terminal):
    m = pushed_member(client, terminal)
    sign_in(client, "owner")
    assert "بدون عکس" in client.get(url(m)).text
    missing = client.get(url(m, "/photo"))
    assert missing.status_code == 404 and "این عضو عکس ندارد." in missing.text
    unknown = client.get(url("00000000-0000-7000-8000-00000000dead"))
    assert unknown.status_code == 404 and "چنین عضوی نیست." in unknown.text


def test_what_a_member_typed_is_shown_as_text(office, client, terminal):
    m = pushed_member(client, terminal, name="<script>alert(1)</script>")
    csrf = sign_in(client, "owner")
    client.post(url(m, "/adjust"), data={"points": "5", "reason": "<b>bold</b>", "branch_id": BRANCH_1,
                                         "csrf_token": csrf})  # fmt: skip
    page = client.get(url(m)).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    edit = client.get(url(m, "/edit")).text
    assert "<script>alert(1)</script>" not in edit and "&lt;script&gt;" in edit


def test_the_ledger_pages_with_htmx_each_entry_once(office, client, terminal):
    m = pushed_member(client, terminal)
    push(client, terminal, [terminal.entry(m, EntryKind.EARN, p) for p in range(1, 121)])
    sign_in(client, "auditor")
    page = client.get(url(m)).text
    seen = re.findall(
        r'<td class="num text-end"><span dir="ltr">([۰-۹٬]+)</span></td>\s*<td class="num', page
    )
    more = re.search(r'hx-get="(/admin/members/[^"]+/ledger\?after=\d+)"', page)
    assert len(seen) == 50 and more
    while more:
        fragment = client.get(more.group(1), headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.text
        seen += re.findall(
            r'<td class="num text-end"><span dir="ltr">([۰-۹٬]+)</span></td>\s*<td class="num', fragment.text
        )
        more = re.search(r'hx-get="(/admin/members/[^"]+/ledger\?after=\d+)"', fragment.text)
    persian = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789", "٬")
    assert sorted(int(s.translate(persian)) for s in seen) == list(range(1, 121))  # each once
    plain = client.get(re.sub(r"after=\d+", "after=99999999", more.group(1)) if more else url(m, "/ledger"))
    assert plain.status_code == 200 and "<html" in plain.text  # without script: a page of its own


# ---- the profile --------------------------------------------------------------------------------------


def test_the_profile_is_edited_in_jalali_and_published(office, client, terminal):
    m = pushed_member(client, terminal, name="Old Name")
    csrf = sign_in(client, "marketing")
    form = client.get(url(m, "/edit"))
    assert form.status_code == 200 and 'value="Old Name"' in form.text and 'for="birth_date"' in form.text
    sent = client.post(url(m, "/edit"), data={"name": " Sara  Ahmadi ", "phone": "۰۹۱۲ ۱۱۱ ۲۲۳۳",
                                              "birth_date": "۱۳۶۹/۰۱/۰۱", "csrf_token": csrf},
                       follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303 and sent.headers["location"] == url(m, "?done=edited")
    stored = row(office, MEMBER, id=m)
    assert (stored.name, stored.phone, str(stored.birth_date)) == (
        "Sara Ahmadi",
        "+989121112233",
        "1990-03-21",
    )
    assert "مشخصات ذخیره شد." in client.get(sent.headers["location"]).text
    assert 'value="1369/01/01"' in client.get(url(m, "/edit")).text
    audit = audit_of(office, "member.edit")
    assert json.loads(audit.detail)["before"]["name"] == "Old Name"
    assert [c["member"]["name"] for c in pull_all(client, terminal) if c["kind"] == "member"][
        -1
    ] == "Sara Ahmadi"


def test_a_refused_profile_is_shown_again_with_the_reason_by_its_field(office, client, terminal):
    m = pushed_member(client, terminal, name="Kept")
    csrf = sign_in(client, "owner")
    for data, field, words in (
        ({"name": "X", "phone": "12", "birth_date": ""}, "phone", "تلفن"),
        ({"name": "X", "phone": "09121112233", "birth_date": "1369/13/40"}, "birth_date", "تاریخ تولد"),
        ({"name": "  ", "phone": "09121112233", "birth_date": ""}, "name", "نام"),
    ):
        answer = client.post(url(m, "/edit"), data=data | {"csrf_token": csrf})
        assert answer.status_code == 422, data
        assert re.search(rf'data-testid="{field}-error">[^<]*{words}', answer.text), answer.text
        assert f'value="{data["phone"]}"' in answer.text  # what was typed is kept
    assert row(office, MEMBER, id=m).name == "Kept"


# ---- points ---------------------------------------------------------------------------------------------


def test_an_adjustment_from_the_file_is_a_server_entry_terminals_pull(office, client, terminal):
    m = pushed_member(client, terminal, points=40)
    csrf = sign_in(client, "branchmanager")
    page = client.get(url(m)).text
    assert "adjust-form" in page
    branches = re.findall(r'<select[^>]*id="adjust-branch".*?</select>', page, re.S)[0]
    assert BRANCH_1 in branches and BRANCH_2 not in branches  # only the manager's own branch is offered
    request_id = re.search(r'name="request_id" value="([^"]+)"', page).group(1)
    form = {"points": "−۱۵", "reason": "double scan", "branch_id": BRANCH_1, "request_id": request_id}
    sent = client.post(url(m, "/adjust"), data=form | {"csrf_token": csrf}, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == url(m, "?done=adjusted#points")
    again = client.post(url(m, "/adjust"), data=form | {"csrf_token": csrf}, follow_redirects=False)
    assert again.status_code == 303  # the form sent twice: one adjustment
    assert row(office, BALANCE, member_id=m).points == 25
    entry = row(office, ENTRY, device_id=SERVER_DEVICE_ID)
    assert (entry.kind, entry.points_delta, entry.reason, entry.branch_id) == (
        "adjust",
        -15,
        "double scan",
        BRANCH_1,
    )
    pulled = [c for c in pull_all(client, terminal) if c["kind"] == "entry" and c["entry"]["id"] == entry.id]
    assert len(pulled) == 1
    audit = audit_of(office, "member.adjust")
    assert audit.actor.startswith("user:branchmanager") and json.loads(audit.detail)["after"]["points"] == 25
    assert "امتیاز اصلاح شد." in client.get(sent.headers["location"]).text


def test_a_branch_manager_cannot_adjust_at_another_branch(office, client, terminal):
    m = pushed_member(client, terminal, points=40)
    csrf = sign_in(client, "branchmanager")
    refused = client.post(url(m, "/adjust"), data={"points": "5", "reason": "why", "branch_id": BRANCH_2,
                                                   "csrf_token": csrf})  # fmt: skip
    assert refused.status_code == 403 and "نقش شما اجازه این کار را ندارد." in refused.text
    assert row(office, BALANCE, member_id=m).points == 40 and count(office, ENTRY) == 1


@pytest.mark.parametrize("name", ["auditor", "marketing"])
def test_roles_without_the_permission_get_403_on_adjust(office, client, terminal, name):
    m = pushed_member(client, terminal, points=40)
    csrf = sign_in(client, name)
    refused = client.post(url(m, "/adjust"), data={"points": "5", "reason": "why", "branch_id": BRANCH_1,
                                                   "csrf_token": csrf})  # fmt: skip
    assert refused.status_code == 403
    assert row(office, BALANCE, member_id=m).points == 40 and count(office, ENTRY) == 1


def test_a_refused_adjustment_says_why_next_to_the_form(office, client, terminal):
    m = pushed_member(client, terminal, points=10)
    csrf = sign_in(client, "owner")
    for points, reason, words in (
        ("-11", "too many", "فقط ۱۰ امتیاز"),
        ("100001", "huge", "۱۰۰٬۰۰۰"),
        ("ten", "why", "عدد صحیح"),
        ("5", "   ", "دلیل"),
    ):
        answer = post(client, url(m, "/adjust"), csrf, points=points, reason=reason, branch_id=BRANCH_1)
        assert answer.status_code == 422, points
        assert re.search(rf'data-testid="adjust-error">[^<]*{words}', answer.text), answer.text
        assert f'value="{points}"' in answer.text
    assert row(office, BALANCE, member_id=m).points == 10 and count(office, ENTRY) == 1


def test_a_post_without_the_csrf_token_changes_nothing(office, client, terminal):
    m = pushed_member(client, terminal, points=10)
    sign_in(client, "owner")
    refused = client.post(url(m, "/adjust"), data={"points": "5", "reason": "why", "branch_id": BRANCH_1})
    assert refused.status_code == 403
    assert client.post(url(m, "/cards/qr")).status_code == 403
    assert row(office, BALANCE, member_id=m).points == 10 and count(office, CARD) == 0


# ---- the tier -----------------------------------------------------------------------------------------


def test_a_tier_placement_from_the_file(office, client, terminal):
    m = pushed_member(client, terminal)
    csrf = sign_in(client, "manager")
    english(client, csrf)
    sent = client.post(url(m, "/tier"), data={"tier_code": "silver", "reason": "brand ambassador",
                                              "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303
    assert row(office, MEMBER, id=m).tier_code == "silver"
    entry = row(office, ENTRY, device_id=SERVER_DEVICE_ID)
    assert (entry.kind, entry.invoice_ref, entry.reason) == ("tier_change", "silver", "brand ambassador")
    page = client.get(sent.headers["location"]).text
    assert 'data-testid="tier">Silver<' in page and "The member is placed in the tier." in page
    same = client.post(url(m, "/tier"), data={"tier_code": "silver", "reason": "again", "csrf_token": csrf})
    assert same.status_code == 422 and 'data-testid="tier-error"' in same.text
    sign_in(client, "auditor")
    auditor_csrf = csrf_of(client.get(url(m)).text)
    refused = client.post(
        url(m, "/tier"), data={"tier_code": "bronze", "reason": "x", "csrf_token": auditor_csrf}
    )
    assert refused.status_code == 403 and row(office, MEMBER, id=m).tier_code == "silver"


# ---- cards --------------------------------------------------------------------------------------------


def test_a_qr_card_is_issued_shown_and_revoked(office, client, terminal):
    m = pushed_member(client, terminal)
    csrf = sign_in(client, "branchmanager")
    issued = client.post(url(m, "/cards/qr"), data={"csrf_token": csrf}, follow_redirects=False)
    assert issued.status_code == 303
    number = issued.headers["location"].rsplit("/", 1)[1]
    assert re.fullmatch(r"9826002\d{9}", number)
    card_page = client.get(issued.headers["location"])
    assert card_page.status_code == 200 and f'/cards/{number}/qr.png"' in card_page.text
    png = client.get(url(m, f"/cards/{number}/qr.png"))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert [c["card"]["number"] for c in pull_all(client, terminal) if c["kind"] == "card"] == [number]
    file_page = client.get(url(m)).text
    assert f'href="/admin/members/{m}/cards/{number}"' in file_page and "revoke" in file_page
    lost = post(client, url(m, f"/cards/{number}/revoke"), csrf, status="lost", reason="phone stolen")
    assert lost.status_code == 303 and lost.headers["location"] == url(m, "?done=lost#cards")
    assert row(office, CARD, number=number).status == "lost"
    assert "کارت مفقود اعلام شد." in client.get(lost.headers["location"]).text
    again = client.post(url(m, f"/cards/{number}/revoke"), data={"status": "revoked", "csrf_token": csrf})
    assert again.status_code == 422 and 'data-testid="cards-error"' in again.text
    assert client.get(url(m, f"/cards/{number}/qr.png")).status_code == 409  # a lost card is not shown again
    revocations = [c for c in pull_all(client, terminal) if c["kind"] == "card_revocation"]
    assert [(c["revocation"]["status"], c["revocation"]["reason"]) for c in revocations] == [
        ("lost", "phone stolen")
    ]


@pytest.mark.parametrize("name", ["auditor", "marketing"])
def test_roles_without_card_management_cannot_issue_or_revoke(office, client, terminal, name):
    m = pushed_member(client, terminal)
    csrf = sign_in(client, name)
    assert client.post(url(m, "/cards/qr"), data={"csrf_token": csrf}).status_code == 403
    assert count(office, CARD) == 0
    push(client, terminal, [], [_card(m)])
    revoke = client.post(
        url(m, "/cards/9826001000000018/revoke"), data={"status": "lost", "csrf_token": csrf}
    )
    assert revoke.status_code == 403 and row(office, CARD, number="9826001000000018").status == "active"


def _card(member_id: str) -> Any:
    from tests.server.club import card_item

    return card_item(member_id, "9826001000000018")


def test_a_terminals_card_is_revoked_from_the_file_but_its_qr_is_not_shown(office, client, terminal):
    m = pushed_member(client, terminal)
    push(client, terminal, [], [_card(m)])
    csrf = sign_in(client, "owner")
    page = client.get(url(m)).text
    assert "9826001000000018" in page and '/cards/9826001000000018"' not in page
    assert client.get(url(m, "/cards/9826001000000018/qr.png")).status_code in (404, 409)
    other = pushed_member(client, terminal)
    wrong = client.post(
        url(other, "/cards/9826001000000018/revoke"), data={"status": "revoked", "csrf_token": csrf}
    )
    assert wrong.status_code == 404 and row(office, CARD, number="9826001000000018").status == "active"
    done = post(client, url(m, "/cards/9826001000000018/revoke"), csrf, status="revoked")
    assert done.status_code == 303 and row(office, CARD, number="9826001000000018").status == "revoked"


# ---- words ------------------------------------------------------------------------------------------------


def test_every_text_of_the_file_has_its_persian():
    used = set(ENTRY_KINDS.values()) | set(DONE.values())
    for path in [*(TEMPLATES / "members").glob("*.html")]:
        used |= set(re.findall(r"""_\(\s*["'](.+?)["']\s*\)""", path.read_text()))
    assert used and not used - set(FA), used - set(FA)
    assert set(EntryKind) == set(ENTRY_KINDS)
    for code in (
        "unknown_member",
        "adjust_over_limit",
        "insufficient_points",
        "card_not_active",
        "same_tier",
    ):
        assert code in ERRORS_FA


def test_a_branch_manager_of_two_branches_may_adjust_at_both(office, client, terminal):
    add_user(office, "both", "branch-manager", [BRANCH_1, BRANCH_2])
    m = pushed_member(client, terminal)
    sign_in(client, "both")
    page = client.get(url(m)).text
    branches = re.findall(r'<select[^>]*id="adjust-branch".*?</select>', page, re.S)[0]
    assert BRANCH_1 in branches and BRANCH_2 in branches
