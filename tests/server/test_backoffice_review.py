# SPDX-License-Identifier: GPL-3.0-or-later
"""The review queues in the back office (`/admin/review`, sync.server.club.review): entries set aside and
alerts, each decided once, by a named user, within a branch manager's branches, with the terminals told."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.domain.ledger import EntryKind
from sync.server.alerts import ALERT_KINDS, raise_alert
from sync.server.backoffice import texts
from sync.server.backoffice.pages import review as review_page
from sync.server.backoffice.texts import ENTRY_KINDS
from sync.server.cli import main
from sync.server.club import review
from sync.server.club.act import Call
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.models import ALERT, AUDIT, BALANCE, ENTRY, REJECTED
from tests.server.club import (
    BRANCH_2,
    T0,
    Terminal,
    admin_token,
    enroll,
    member,
    member_item,
    pull_all,
    push,
)
from tests.server.office import add_every_role, add_user, csrf_of, sign_in

HTMX = {"HX-Request": "true"}
BACKOFFICE = Path(review_page.__file__).parents[1]


def set_aside(client: TestClient, terminal: Terminal, name: str = "Test Member", points: int = 300) -> tuple:
    """A member and an adjustment that names no manager, which the server sets aside (`staff_required`)."""
    m = member(terminal.branch_id, name=name)
    push(client, terminal, [], [member_item(m)])
    goodwill = terminal.entry(m.id, EntryKind.ADJUST, points, reason="goodwill")
    assert push(client, terminal, [goodwill])["entries"][0]["reason"] == "staff_required"
    return m, goodwill


def row(db: Database, entry_id: str):  # type: ignore[no-untyped-def]
    with db.read() as conn:
        return conn.execute(select(REJECTED).where(REJECTED.c.id == entry_id)).first()


def audit_rows(db: Database, action: str) -> list[dict]:
    with db.read() as conn:
        rows = conn.execute(select(AUDIT).where(AUDIT.c.action == action).order_by(AUDIT.c.id))
        return [json.loads(r.detail) | {"actor": r.actor, "target": r.target} for r in rows]


def points(db: Database, member_id: str) -> int:
    with db.read() as conn:
        found = conn.execute(select(BALANCE.c.points).where(BALANCE.c.member_id == member_id)).scalar()
    return int(found or 0)


def use_english(client: TestClient, csrf: str) -> None:
    assert client.post("/admin/lang", data={"lang": "en", "csrf_token": csrf}).status_code == 200


def actor(db: Database, name: str):  # type: ignore[no-untyped-def]
    from sync.server.club import users

    found = next(u for u in users.listing(Call(db, T0, _console())) if u.name == name)
    return found.actor


def _console():  # type: ignore[no-untyped-def]
    from sync.server.club.access import CONSOLE

    return CONSOLE


@pytest.fixture
def office(club_db: Database) -> dict[str, str]:
    return add_every_role(club_db)


@pytest.fixture
def isf(club_db: Database) -> Terminal:
    return enroll(club_db, "ISF")


# ---- the page ----------------------------------------------------------------------------------------


def test_the_queues_render_in_both_languages_with_their_counts(client, club_db, office, terminal):
    m, goodwill = set_aside(client, terminal, name="Maryam Rahimi")
    csrf = sign_in(client, "owner")
    page = client.get("/admin/review")
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    assert "صف‌های بازبینی" in page.text
    assert re.search(r'data-testid="count-set-aside">۱<', page.text)
    assert f'href="/admin/members/{m.id}">Maryam Rahimi</a>' in page.text
    assert "کاری در اختیار مدیر که نام هیچ مدیری در آن نیامده است." in page.text  # staff_required, in words
    assert "پذیرفتن" in page.text and "تأیید رد" in page.text
    assert f'id="set-aside-{goodwill.id}"' in page.text and terminal.device_code in page.text
    for tab in ("double-admission", "negative-balance", "other"):
        assert client.get(f"/admin/review?tab={tab}").status_code == 200
    use_english(client, csrf)
    page = client.get("/admin/review")
    assert "Review queues" in page.text and 'dir="ltr"' in page.text
    assert "A manager&#39;s act that names no manager." in page.text
    assert re.search(r'data-testid="count-set-aside">1<', page.text)
    other = client.get("/admin/review?tab=other").text
    assert "An entry was set aside for review." in other  # the alert raised with it
    for tab in ("double-admission", "negative-balance", "nonsense"):
        assert client.get(f"/admin/review?tab={tab}").status_code == 200


def test_confirming_a_refusal_resolves_it_once_and_tells_the_terminals(client, club_db, office, terminal):
    m, goodwill = set_aside(client, terminal)
    csrf = sign_in(client, "manager")
    note = "no manager signed it: <script>alert(1)</script>"
    done = client.post(
        f"/admin/review/set-aside/{goodwill.id}/refuse", data={"note": note, "csrf_token": csrf}, headers=HTMX
    )
    assert done.status_code == 200
    assert done.text.lstrip().startswith(f'<tr id="set-aside-{goodwill.id}"')  # the row, for htmx to swap
    assert "رد تأیید شد" in done.text and "رسیدگی به دست manager در" in done.text
    assert (
        "<script>alert(1)</script>" not in done.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in done.text
    )
    decided = row(club_db, goodwill.id)
    assert decided.decision == "refused" and decided.note == note and decided.decided_at_us == T0
    assert decided.decided_by.startswith("user:manager (")
    assert points(club_db, m.id) == 0
    [audited] = audit_rows(club_db, "set_aside.refuse")
    assert audited["before"]["decision"] is None and audited["after"]["decision"] == "refused"
    assert audited["after"]["note"] == note and audited["target"] == goodwill.id
    with club_db.read() as conn:
        alert = conn.execute(select(ALERT).where(ALERT.c.subject == goodwill.id)).one()
    assert alert.resolved_by.startswith("user:manager") and alert.note == note  # settled with the entry
    assert audited["after"]["alerts_resolved"] == [alert.id]
    told = [c for c in pull_all(client, terminal) if c["kind"] == "set_aside_resolved"]
    assert [(c["entry_id"], c["decision"], c["note"], c["member_id"]) for c in told] == [
        (goodwill.id, "refused", note, m.id)
    ]
    # once: the page, the JSON API and the command line all refuse a second decision
    again = client.post(
        f"/admin/review/set-aside/{goodwill.id}/accept", data={"note": "changed my mind", "csrf_token": csrf},
        headers=HTMX,
    )  # fmt: skip
    assert again.status_code == 200 and "پیش‌تر به این مورد رسیدگی شده است." in again.text
    plain = client.post(
        f"/admin/review/set-aside/{goodwill.id}/refuse", data={"note": "again", "csrf_token": csrf}
    )
    assert plain.status_code == 409
    manager = {"Authorization": f"Bearer {admin_token(club_db, 'manager')}"}
    for action in ("accept", "refuse"):
        answer = client.post(f"/v1/admin/set-aside/{goodwill.id}/{action}", json={"reason": "x" * 5},
                             headers=manager)  # fmt: skip
        assert answer.status_code == 409 and answer.json()["detail"]["code"] == "already_resolved"
    assert points(club_db, m.id) == 0 and row(club_db, goodwill.id).note == note
    assert len(audit_rows(club_db, "set_aside.refuse")) == 1
    page = client.get("/admin/review").text
    assert re.search(r'data-testid="count-set-aside">۰<', page)
    assert 'data-testid="decision">رد تأیید شد<' in page  # listed after the waiting ones, decided


def test_accepting_counts_the_entry_as_an_audited_override(client, club_db, office, terminal):
    m, goodwill = set_aside(client, terminal)
    csrf = sign_in(client, "owner")
    note = "the manager signed it on paper"
    done = client.post(
        f"/admin/review/set-aside/{goodwill.id}/accept",
        data={"note": note, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin/review?tab=set-aside"
    assert points(club_db, m.id) == 300 and row(club_db, goodwill.id) is None
    with club_db.read() as conn:
        assert conn.execute(select(ENTRY.c.id).where(ENTRY.c.id == goodwill.id)).scalar() == goodwill.id
    [audited] = audit_rows(club_db, "set_aside.accept")
    assert (audited["was"], audited["why"], audited["after"]["decision"]) == (
        "staff_required",
        note,
        "accepted",
    )
    assert [c["kind"] for c in pull_all(client, terminal) if c.get("entry", {}).get("id") == goodwill.id] == [
        "entry_set_aside",
        "entry",
    ]
    again = client.post(
        f"/admin/review/set-aside/{goodwill.id}/refuse", data={"note": "too late", "csrf_token": csrf}
    )
    assert again.status_code == 409 and points(club_db, m.id) == 300


def test_a_note_is_required_to_decide(client, club_db, office, terminal):
    _, goodwill = set_aside(client, terminal)
    csrf = sign_in(client, "owner")
    refused = client.post(
        f"/admin/review/set-aside/{goodwill.id}/refuse", data={"note": "  ", "csrf_token": csrf}, headers=HTMX
    )
    assert refused.status_code == 200 and "بنویسید چرا" in refused.text and "is-invalid" in refused.text
    assert row(club_db, goodwill.id).decision is None


def test_what_cannot_be_counted_offers_only_its_refusal(client, club_db, office, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    edited = terminal.entry(m.id, points=10).model_copy(update={"points_delta": 10_000})
    push(client, terminal, [edited])
    csrf = sign_in(client, "owner")
    page = client.get("/admin/review").text
    assert f"/admin/review/set-aside/{edited.id}/refuse" in page
    assert f"/admin/review/set-aside/{edited.id}/accept" not in page
    forced = client.post(
        f"/admin/review/set-aside/{edited.id}/accept", data={"note": "count it", "csrf_token": csrf}
    )
    assert forced.status_code == 409 and row(club_db, edited.id).decision is None


def test_roles_without_the_permission_cannot_decide(client, club_db, office, terminal):
    _, goodwill = set_aside(client, terminal)
    for name in ("auditor", "marketing"):
        other = TestClient(client.app)
        csrf = sign_in(other, name)
        page = other.get("/admin/review").text  # they may look
        assert goodwill.id in page and f"/set-aside/{goodwill.id}/refuse" not in page
        for action in ("accept", "refuse"):
            answer = other.post(
                f"/admin/review/set-aside/{goodwill.id}/{action}",
                data={"note": "why not", "csrf_token": csrf},
            )
            assert answer.status_code == 403, (name, action)
    assert row(club_db, goodwill.id).decision is None and audit_rows(club_db, "set_aside.refuse") == []


def test_a_post_without_the_csrf_token_changes_nothing(client, club_db, office, terminal):
    _, goodwill = set_aside(client, terminal)
    sign_in(client, "owner")
    answer = client.post(f"/admin/review/set-aside/{goodwill.id}/refuse", data={"note": "no token"})
    assert answer.status_code == 403 and row(club_db, goodwill.id).decision is None


def test_a_branch_manager_sees_and_decides_only_their_branches(client, club_db, office, terminal, isf):
    _, at_thr = set_aside(client, terminal, name="Tehran Member")
    _, at_isf = set_aside(client, isf, name="Isfahan Member")
    csrf = sign_in(client, "branchmanager")  # runs THR
    page = client.get("/admin/review").text
    assert "Tehran Member" in page and "Isfahan Member" not in page
    assert re.search(r'data-testid="count-set-aside">۱<', page)
    refused = client.post(
        f"/admin/review/set-aside/{at_isf.id}/refuse", data={"note": "not mine", "csrf_token": csrf}
    )
    assert refused.status_code == 403 and row(club_db, at_isf.id).decision is None
    htmx = client.post(
        f"/admin/review/set-aside/{at_isf.id}/refuse",
        data={"note": "not mine", "csrf_token": csrf},
        headers=HTMX,
    )
    assert "Isfahan Member" not in htmx.text and "اجازه" in htmx.text  # no row of another branch shown
    assert row(club_db, at_isf.id).decision is None
    done = client.post(
        f"/admin/review/set-aside/{at_thr.id}/refuse", data={"note": "mine", "csrf_token": csrf}
    )
    assert done.status_code == 200 and row(club_db, at_thr.id).decision == "refused"  # after the 303
    call = Call(club_db, T0, actor(club_db, "branchmanager"))
    with pytest.raises(ApiError) as refused_by_the_use_case:
        review.accept(call, at_isf.id, "the use case checks the branch too")
    assert refused_by_the_use_case.value.status == 403
    assert [i.entry.id for i in review.set_aside_queue(call).items] == [at_thr.id]


# ---- alerts ------------------------------------------------------------------------------------------


def _alerts(db: Database, terminal: Terminal, isf: Terminal) -> dict[str, int]:
    """A double admission at a THR door, a negative balance of an ISF member (no terminal named)."""
    thr_member, isf_member = member(), member(BRANCH_2, name="Isfahan Debtor")

    def work(conn) -> dict[str, int]:  # type: ignore[no-untyped-def]
        from sync.server import members as server_members
        from sync.server.sequence import Publisher

        pub = Publisher(T0)
        server_members.put_member(conn, pub, thr_member)
        server_members.put_member(conn, pub, isf_member)
        pub.flush(conn)
        doors = [{"device_code": terminal.device_code}, {"device_code": isf.device_code}]
        raise_alert(
            conn,
            T0,
            "double_admission",
            device_id=terminal.device_id,
            member_id=thr_member.id,
            subject="event-1",
            event_name="Yalda <b>night</b>",
            check_ins=doors,
        )
        raise_alert(conn, T0, "negative_balance", member_id=isf_member.id, points=-120, wallet_rials=0)
        rows = conn.execute(select(ALERT.c.kind, ALERT.c.id)).all()
        return {r.kind: r.id for r in rows}

    return db.write(work)


def test_alerts_are_listed_by_tab_and_resolved_once_with_a_note(client, club_db, office, terminal, isf):
    ids = _alerts(club_db, terminal, isf)
    csrf = sign_in(client, "owner")
    page = client.get("/admin/review?tab=double-admission").text
    assert re.search(r'data-testid="count-double-admission">۱<', page)
    assert re.search(r'data-testid="count-negative-balance">۱<', page)
    assert "عضوی از دو در به یک رویداد وارد شد." in page and "Yalda &lt;b&gt;night&lt;/b&gt;" in page
    negative = client.get("/admin/review?tab=negative-balance").text
    assert "Isfahan Debtor" in negative and "اصفهان" in negative  # the member's home branch
    alert_id = ids["negative_balance"]
    done = client.post(
        f"/admin/review/alerts/{alert_id}/resolve",
        data={"note": "called the member", "tab": "negative-balance", "csrf_token": csrf},
        headers=HTMX,
    )
    assert done.status_code == 200 and "رسیدگی به دست owner در" in done.text
    with club_db.read() as conn:
        resolved = conn.execute(select(ALERT).where(ALERT.c.id == alert_id)).one()
    assert resolved.note == "called the member" and resolved.resolved_by.startswith("user:owner (")
    [audited] = audit_rows(club_db, "alert.resolve")
    assert audited["before"]["resolved_at_us"] is None and audited["after"]["note"] == "called the member"
    again = client.post(f"/admin/review/alerts/{alert_id}/resolve", data={"note": "", "csrf_token": csrf})
    assert again.status_code == 409
    manager = {"Authorization": f"Bearer {admin_token(club_db, 'manager')}"}
    api = client.post(f"/v1/admin/alerts/{alert_id}/resolve", json={"note": "again"}, headers=manager)
    assert api.status_code == 409 and api.json()["detail"]["code"] == "already_resolved"
    assert re.search(r'data-testid="count-negative-balance">۰<', client.get("/admin/review").text)


def test_a_branch_manager_resolves_only_their_branches_alerts(client, club_db, office, terminal, isf):
    ids = _alerts(club_db, terminal, isf)
    csrf = sign_in(client, "branchmanager")
    assert "Isfahan Debtor" not in client.get("/admin/review?tab=negative-balance").text
    refused = client.post(
        f"/admin/review/alerts/{ids['negative_balance']}/resolve", data={"note": "x", "csrf_token": csrf}
    )
    assert refused.status_code == 403
    done = client.post(
        f"/admin/review/alerts/{ids['double_admission']}/resolve",
        data={"note": "", "tab": "double-admission", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin/review?tab=double-admission"
    with club_db.read() as conn:
        states = dict(conn.execute(select(ALERT.c.kind, ALERT.c.resolved_at_us)).all())
    assert states == {"double_admission": T0, "negative_balance": None}


# ---- the use cases, directly ----------------------------------------------------------------------------


def test_the_queue_is_keyset_paged_with_the_waiting_first(client, club_db, office, terminal, clock):
    entries = []
    for i in range(3):
        clock.advance(1)
        entries.append(set_aside(client, terminal, name=f"Member {i}")[1])
    owner = Call(club_db, T0 + 10**7, actor(club_db, "owner"))
    review.refuse(owner, entries[2].id, "the newest, decided")
    first = review.set_aside_queue(owner, limit=2)
    second = review.set_aside_queue(owner, after=first.next_after, limit=2)
    assert [i.entry.id for i in first.items] == [entries[1].id, entries[0].id]  # waiting, newest first
    assert [(i.entry.id, i.decision) for i in second.items] == [(entries[2].id, "refused")]
    assert second.next_after is None
    assert review.set_aside_queue(owner, reason="velocity_limit").items == []
    with pytest.raises(ApiError):
        review.set_aside_queue(owner, after="not a cursor")
    waiting = review.counts(owner)
    assert (waiting.set_aside, waiting.other) == (2, 2)  # two entry alerts still open


def test_refusing_from_the_command_line(client, club_db, terminal, capsys):
    _, goodwill = set_aside(client, terminal)
    url = club_db.url.render_as_string(hide_password=False)
    assert main(["--db", url, "set-aside", "refuse", goodwill.id, "--why", "nobody signed it"]) == 0
    assert goodwill.id in capsys.readouterr().out
    assert row(club_db, goodwill.id).decided_by == "cli:bashgah-server (console)"
    assert main(["--db", url, "set-aside", "refuse", goodwill.id, "--why", "again"]) == 2
    assert main(["--db", url, "--json", "set-aside", "list"]) == 0
    listed = json.loads(capsys.readouterr().out.splitlines()[-1])["set_aside"]
    assert [(s["entry_id"], s["decision"], s["note"]) for s in listed] == [
        (goodwill.id, "refused", "nobody signed it")
    ]


def test_older_terminals_are_not_sent_what_they_cannot_read(client, club_db, terminal):
    _, goodwill = set_aside(client, terminal)
    review.refuse(Call(club_db, T0, _console()), goodwill.id, "confirmed")

    def kinds(query: str) -> set[str]:
        answer = client.get(f"/v1/sync/pull?since=0&limit=1000{query}", headers=terminal.auth)
        assert answer.status_code == 200
        return {c["kind"] for c in answer.json()["changes"]}

    assert {"entry_set_aside", "set_aside_resolved"} <= kinds("&set_aside=true&set_aside_resolved=true")
    assert "set_aside_resolved" not in kinds("&set_aside=true") and "entry_set_aside" in kinds(
        "&set_aside=true"
    )
    assert not {"entry_set_aside", "set_aside_resolved"} & kinds("")


# ---- words -------------------------------------------------------------------------------------------


def test_every_word_of_the_review_pages_has_its_persian():
    sources = [*(BACKOFFICE / "templates" / "review").glob("*.html"), Path(review_page.__file__)]
    used = set()
    for source in sources:
        used |= set(re.findall(r'_\(\s*"((?:[^"\\]|\\.)*)"\s*\)', source.read_text()))
    used |= set(review_page.REASONS.values()) | set(review_page.ALERTS.values())
    used |= set(ENTRY_KINDS.values())
    assert used - set(texts.FA) == set()
    assert set(review_page.ALERTS) == set(ALERT_KINDS)
    assert set(ENTRY_KINDS) == set(EntryKind)
    for code in ("already_resolved", "not_acceptable", "note_required", "unknown_set_aside", "unknown_alert"):
        assert code in texts.ERRORS_FA


def test_the_dashboard_counts_only_what_waits(client, club_db, office, terminal):
    _, goodwill = set_aside(client, terminal)
    sign_in(client, "owner")
    assert re.search(r'data-testid="set-aside-count">۱<', client.get("/admin/").text)
    review.refuse(Call(club_db, T0, _console()), goodwill.id, "confirmed")
    assert re.search(r'data-testid="set-aside-count">۰<', client.get("/admin/").text)


def test_a_csrf_of_another_session_is_refused(client, club_db, office, terminal):
    _, goodwill = set_aside(client, terminal)
    other = TestClient(client.app)
    stolen = sign_in(other, "owner")
    sign_in(client, "manager")
    answer = client.post(
        f"/admin/review/set-aside/{goodwill.id}/refuse", data={"note": "x" * 5, "csrf_token": stolen}
    )
    assert answer.status_code == 403 and row(club_db, goodwill.id).decision is None
    assert csrf_of(client.get("/admin/review").text) != stolen


def test_an_unknown_entry_or_alert_is_not_found(client, club_db, office):
    csrf = sign_in(client, "owner")
    unknown = "00000000-0000-7000-8000-00000000dead"
    assert (
        client.post(
            f"/admin/review/set-aside/{unknown}/refuse", data={"note": "abc", "csrf_token": csrf}
        ).status_code
        == 404
    )
    assert (
        client.post("/admin/review/alerts/999999/resolve", data={"note": "", "csrf_token": csrf}).status_code
        == 404
    )
    add_user(club_db, "thr2", "branch-manager")
    other = TestClient(client.app)
    csrf2 = sign_in(other, "thr2")
    # a branch manager is told no more than that they may not (there is no branch to scope by)
    assert (
        other.post(
            f"/admin/review/set-aside/{unknown}/refuse", data={"note": "abc", "csrf_token": csrf2}
        ).status_code
        == 403
    )
