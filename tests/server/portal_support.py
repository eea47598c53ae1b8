# SPDX-License-Identifier: GPL-3.0-or-later
"""The member page's API in tests: the real app on the test database, the real sender posting to a real
SMS receiver on loopback, and a member who signs in with the code the receiver got."""

from __future__ import annotations

import json
import random
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from sync.server import members
from sync.server.db import Database
from sync.server.messages.providers.config import configured
from sync.server.messages.sender import Sender
from sync.server.models import CHANGE
from sync.server.sequence import Publisher
from tests.server.club import T0, FakeClock, member

ORIGIN = "https://club.test"
H = {"X-Bashgah": "1"}  # what the page sends with every state-changing call


def add_member(db: Database, **fields: Any) -> Any:
    m = member(**fields)

    def work(conn: Any) -> None:
        pub = Publisher(T0)
        members.put_member(conn, pub, m)
        pub.flush(conn)

    db.write(work)
    return m


def send_sms(db: Database, receiver: Any, clock: FakeClock) -> Any:
    env = {"BASHGAH_SMS_WEBHOOK_URL": receiver.url, "BASHGAH_SMS_WEBHOOK_SECRET": receiver.secret,
           "BASHGAH_SMS_WEBHOOK_PER_SECOND": "1000"}  # fmt: skip
    return Sender(db, configured(env), clock, rng=random.Random(7)).run_once()


def texts_to(receiver: Any, phone: str) -> list[str]:
    return [body["text"] for body in receiver.delivered.values() if body["to"] == phone]


def code_in(text: str) -> str:
    found = re.findall(r"\b(\d{6})\b", text)
    assert len(found) == 1, text
    return found[0]


def ask(client: TestClient, phone: str, **headers: str) -> Any:
    return client.post("/m/api/sign-in", json={"phone": phone}, headers=H | headers)


def verify(client: TestClient, phone: str, code: str) -> Any:
    return client.post("/m/api/verify", json={"phone": phone, "code": code}, headers=H)


def sign_in(client: TestClient, db: Database, receiver: Any, clock: FakeClock, phone: str) -> None:
    assert ask(client, phone).status_code == 202
    before = len(texts_to(receiver, phone))
    assert send_sms(db, receiver, clock).sent == 1
    code = code_in(texts_to(receiver, phone)[before])
    answer = verify(client, phone, code)
    assert answer.status_code == 200, answer.text


def changes(db: Database, kind: str) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(select(CHANGE.c.body).where(CHANGE.c.kind == kind).order_by(CHANGE.c.seq))
        return [json.loads(r.body) for r in rows]
