# SPDX-License-Identifier: GPL-3.0-or-later
"""The one-click unsubscribe routes: a GET only asks, a POST withdraws (RFC 8058, no CSRF token), a bad
token is a clear 404 page and counts against the address like a wrong back-office password."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from sync.server.messages import unsubscribe
from sync.server.models import MEMBER, SERVER_KEY
from tests.server.club import member, member_item, push

ONE_CLICK = {
    "content": b"List-Unsubscribe=One-Click",
    "headers": {"Content-Type": "application/x-www-form-urlencoded"},
}


def _consenting(client: Any, terminal: Any) -> str:
    m = member(consent_marketing=True)
    push(client, terminal, [], [member_item(m)])
    return m.id


def _path(client: Any, member_id: str) -> str:
    link = client.app.state.db.write(
        lambda conn: unsubscribe.link(conn, "https://club.example.com/", member_id, 1)
    )
    assert link.startswith("https://club.example.com/u/")
    return link.removeprefix("https://club.example.com")


def _consent(client: Any, member_id: str) -> tuple[bool, str | None]:
    with client.app.state.db.read() as conn:
        row = conn.execute(select(MEMBER).where(MEMBER.c.id == member_id)).one()
    return bool(row.consent_marketing), row.consent_marketing_source


def test_the_page_asks_in_both_languages_and_changes_nothing(client: Any, terminal: Any) -> None:
    member_id = _consenting(client, terminal)
    path = _path(client, member_id)
    page = client.get(path)
    assert page.status_code == 200
    assert 'lang="fa"' in page.text and "لغو اشتراک" in page.text and "Unsubscribe" in page.text
    assert '<form method="post">' in page.text and 'name="List-Unsubscribe" value="One-Click"' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert _consent(client, member_id) == (True, "terminal")  # as the terminal enrolled them


def test_the_button_withdraws_consent(client: Any, terminal: Any) -> None:
    member_id = _consenting(client, terminal)
    answer = client.post(_path(client, member_id), data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and "You are unsubscribed" in answer.text
    assert _consent(client, member_id) == (False, "email_unsubscribe")


def test_a_bad_token_is_a_404_page(client: Any, terminal: Any) -> None:
    member_id = _consenting(client, terminal)
    path = _path(client, member_id)
    for bad in (path[:-2] + "xx", "/u/nothing", "/u/" + path.split("/u/")[1].split(".")[0] + ".AAAA"):
        for answer in (client.get(bad), client.post(bad, **ONE_CLICK)):
            assert answer.status_code == 404
            assert "این پیوند معتبر نیست" in answer.text and "This link is not valid" in answer.text
    assert _consent(client, member_id) == (True, "terminal")  # as the terminal enrolled them


def test_guessing_tokens_is_limited(client: Any, terminal: Any, clock: Any) -> None:
    member_id = _consenting(client, terminal)
    path = _path(client, member_id)
    statuses = [client.post(f"/u/guess{n}.AAAA", **ONE_CLICK).status_code for n in range(12)]
    assert statuses[:10] == [404] * 10 and statuses[10:] == [429, 429]
    refused = client.post(path, **ONE_CLICK)  # even a good token waits: the address is refused
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    clock.advance(60)
    assert client.post(path, **ONE_CLICK).status_code == 200
    assert _consent(client, member_id) == (False, "email_unsubscribe")


def test_one_secret_however_many_links(client: Any, terminal: Any) -> None:
    first, second = _consenting(client, terminal), _consenting(client, terminal)
    assert _path(client, first) != _path(client, second)
    assert _path(client, first) == _path(client, first)
    with client.app.state.db.read() as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(SERVER_KEY).where(SERVER_KEY.c.purpose == "unsubscribe")
            ).scalar_one()
            == 1
        )


def test_an_erased_member_is_left_alone(client: Any, terminal: Any, admin: dict[str, str]) -> None:
    member_id = _consenting(client, terminal)
    path = _path(client, member_id)
    erased = client.post(
        f"/v1/admin/members/{member_id}/erase", json={"why": "asked to be forgotten"}, headers=admin
    )
    assert erased.status_code == 200, erased.text
    assert client.post(path, **ONE_CLICK).status_code == 200  # nothing to withdraw; no error either
    assert _consent(client, member_id)[1] is None


def test_a_token_from_before_any_secret_is_refused(client: Any) -> None:
    token = unsubscribe.sign(b"\0" * 32, "someone")
    assert client.post(f"/u/{token}", **ONE_CLICK).status_code == 404
