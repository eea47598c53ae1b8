# SPDX-License-Identifier: GPL-3.0-or-later
"""The SMS "stop": Kavenegar's forward of a received SMS (from, to, message, messageid) and the generic
webhook's, authenticated by the inbound secret; a stop word from a member's phone withdraws marketing
consent (`sms_stop`) for every member with that phone; anything else is recorded and answered 200."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from sync.server.messages.routes import INBOUND_SECRET_ENV, SECRET_HEADER
from sync.server.models import AUDIT, MEMBER
from tests.server.club import member, member_item, pull_all, push

SECRET = "inbound-secret-7a9f"
LINE = "10004346"


@pytest.fixture(autouse=True)
def inbound_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(INBOUND_SECRET_ENV, SECRET)


def _members(client: Any, terminal: Any, phone: str, count: int = 1, consent: bool = True) -> list[str]:
    made = [member(phone=phone, consent_marketing=consent) for _ in range(count)]
    push(client, terminal, [], [member_item(m) for m in made])
    return [m.id for m in made]


def _consent(client: Any, member_id: str) -> tuple[bool, str | None]:
    with client.app.state.db.read() as conn:
        row = conn.execute(select(MEMBER).where(MEMBER.c.id == member_id)).one()
    return bool(row.consent_marketing), row.consent_marketing_source


def _kavenegar(client: Any, sender: str, text: str, messageid: str = "71000", how: str = "form") -> Any:
    fields = {"from": sender, "to": LINE, "message": text, "messageid": messageid}
    if how == "query":
        return client.get("/messages/inbound/kavenegar", params={**fields, "secret": SECRET})
    return client.post(f"/messages/inbound/kavenegar?secret={SECRET}", data=fields)


@pytest.mark.parametrize(
    "case",
    [
        ("09121234567", "لغو", "form"),
        ("+989121234567", "۱۱", "form"),
        ("989121234567", " Stop ", "query"),
        ("9121234567", "11", "form"),
    ],
)
def test_a_stop_from_kavenegar_withdraws_consent_for_every_member_with_the_phone(
    client: Any, terminal: Any, clock: Any, case: tuple[str, str, str]
) -> None:
    sender, text, how = case
    family = _members(client, terminal, "+989121234567", count=2)
    (other,) = _members(client, terminal, "+989127654321")
    clock.advance(30)
    answer = _kavenegar(client, sender, text, how=how)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "stop": True, "withdrawn": 2}
    assert [_consent(client, m) for m in family] == [(False, "sms_stop")] * 2
    assert _consent(client, other) == (True, "terminal")  # as the terminal enrolled them
    with client.app.state.db.read() as conn:
        dated = conn.execute(
            select(MEMBER.c.consent_marketing_at_us).where(MEMBER.c.id == family[0])
        ).scalar_one()
    assert dated == clock.now_us()
    published = {c["member"]["id"]: c["member"] for c in pull_all(client, terminal) if c["kind"] == "member"}
    assert all(published[m]["consent_marketing"] is False for m in family)


def test_anything_else_is_recorded_and_answered_politely(client: Any, terminal: Any) -> None:
    (member_id,) = _members(client, terminal, "+989121234567")
    answer = _kavenegar(client, "09121234567", "ممنون، کی تخفیف دارید؟", messageid="71001")
    assert answer.status_code == 200 and answer.json() == {"status": "ok", "stop": False, "withdrawn": 0}
    assert _consent(client, member_id) == (True, "terminal")  # as the terminal enrolled them
    with client.app.state.db.read() as conn:
        (detail,) = conn.execute(select(AUDIT.c.detail).where(AUDIT.c.action == "message.inbound")).scalars()
    assert "کی تخفیف دارید" in detail and "71001" in detail


def test_a_stop_from_an_unknown_phone_or_a_second_stop_changes_nothing(client: Any, terminal: Any) -> None:
    (member_id,) = _members(client, terminal, "+989121234567")
    assert _kavenegar(client, "09350000000", "لغو").json() == {"status": "ok", "stop": True, "withdrawn": 0}
    assert _kavenegar(client, "not a phone", "لغو").json()["withdrawn"] == 0
    assert _kavenegar(client, "09121234567", "لغو").json()["withdrawn"] == 1
    assert _kavenegar(client, "09121234567", "لغو").json()["withdrawn"] == 0  # delivered twice
    assert _consent(client, member_id) == (False, "sms_stop")
    assert _kavenegar(client, "", "لغو").json() == {"status": "ignored", "reason": "no sender"}


def test_the_generic_webhook_form(client: Any, terminal: Any) -> None:
    (member_id,) = _members(client, terminal, "+989121234567")
    body = {"from": "+989121234567", "text": "STOP", "id": "abc-1"}
    answer = client.post("/messages/inbound/webhook", json=body, headers={SECRET_HEADER: SECRET})
    assert answer.status_code == 200 and answer.json()["withdrawn"] == 1
    assert _consent(client, member_id) == (False, "sms_stop")


def test_the_secret_is_required(client: Any, terminal: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    (member_id,) = _members(client, terminal, "+989121234567")
    fields = {"from": "09121234567", "message": "لغو"}
    assert client.post("/messages/inbound/kavenegar", data=fields).status_code == 401
    assert client.post("/messages/inbound/kavenegar?secret=wrong", data=fields).status_code == 401
    assert (
        client.post("/messages/inbound/webhook", json=fields, headers={SECRET_HEADER: "x"}).status_code == 401
    )
    assert _consent(client, member_id) == (True, "terminal")  # as the terminal enrolled them
    monkeypatch.delenv(INBOUND_SECRET_ENV)
    assert client.post("/messages/inbound/kavenegar?secret=", data=fields).status_code == 404  # off
