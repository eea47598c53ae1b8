# SPDX-License-Identifier: GPL-3.0-or-later
"""The phone as a card through the member page's API (sync.server.portal.phones): a certificate that
verifies against the club key terminals pull, a code the phone signs with it, bad keys refused, five
active phones at most, revocation of one's own phones only and published; on SQLite and PostgreSQL."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.cards import phone_pass
from sync.protocol import b64decode
from sync.server.app import create_app
from sync.server.club import member_file, privacy
from sync.server.club.access import CONSOLE
from sync.server.club.act import Call
from sync.server.models import CARD, CLUB_KEY, REVOCATION, SERVER_KEY
from sync.server.portal import phones
from tests.server.portal_support import ORIGIN, H, add_member, changes, sign_in
from tests.support.sms_receiver import sms_receiver

PHONE = "+989121234567"
OTHER = "+989127654321"


@pytest.fixture
def receiver():
    with sms_receiver() as r:
        yield r


def _client(db, clock):
    app = create_app(db, clock)
    app.state.portal_answer_floor_s = 0.0
    return TestClient(app, base_url=ORIGIN)


@pytest.fixture
def sara(club_db, clock, receiver):
    member = add_member(club_db, name="Sara", phone=PHONE)
    with _client(club_db, clock) as client:
        sign_in(client, club_db, receiver, clock, PHONE)
        yield member, client


def _key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    private = ec.generate_private_key(ec.SECP256R1())
    raw = private.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)  # WebCrypto's raw
    return private, base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _add(client, public_key, label="Chrome on Android"):
    return client.post("/m/api/phones", json={"public_key": public_key, "label": label}, headers=H)


def test_a_certified_phone_shows_codes_a_terminal_verifies_with_the_published_key(sara, club_db, clock):
    member, client = sara
    private, public = _key()
    answer = _add(client, public, "  Chrome\u200f on\nAndroid\x00 ")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    certificate = phones.b64url_decode(body["certificate"])
    assert len(certificate) == phone_pass.CERTIFICATE_LENGTH
    # the club key a terminal pulls: a published club_key change, the server's "phone" key
    published = {c["key"]["key_id"]: b64decode(c["key"]["public_key"]) for c in changes(club_db, "club_key")}
    with club_db.read() as conn:
        key_id = conn.execute(select(SERVER_KEY.c.key_id).where(SERVER_KEY.c.purpose == "phone")).scalar_one()
        assert conn.execute(select(CLUB_KEY).where(CLUB_KEY.c.key_id == key_id)).first() is not None
        card = conn.execute(select(CARD).where(CARD.c.number == body["card_number"])).one()
    code = phone_pass.sign_code(certificate, private, clock.now_us())
    verified = phone_pass.verify_phone_code(code, published, clock.now_us())
    assert verified.certificate.card_number == body["card_number"]
    assert verified.certificate.member_id == member.id
    assert verified.certificate.key_id == key_id
    # the card: kind phone, its key and label, a year's life ending where the certificate's does
    assert card.kind == "phone" and card.member_id == member.id and card.status == "active"
    assert base64.b64decode(card.public_key) == phone_pass.compressed_point(
        private.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    )
    assert card.label == "Chrome on Android"
    assert card.expires_at_us == verified.certificate.expires_at_us == body["expires_ms"] * 1000
    assert 364 * 86_400_000_000 < card.expires_at_us - clock.now_us() <= 365 * 86_400_000_000
    assert [c["card"]["number"] for c in changes(club_db, "card")] == [body["card_number"]]
    listed = client.get("/m/api/phones").json()["phones"]
    shown = {"card_number": body["card_number"], "label": "Chrome on Android", "status": "active"}
    assert listed == [shown | {"issued_ms": clock.now_us() // 1000, "expires_ms": body["expires_ms"]}]


@pytest.mark.parametrize(
    "public_key",
    [
        "",
        "not base64!",
        base64.urlsafe_b64encode(b"\x04" + b"\x01" * 64).decode(),  # 65 bytes, not on the curve
        base64.urlsafe_b64encode(b"\x02" + b"\xff" * 32).decode(),  # x beyond the field
        base64.urlsafe_b64encode(b"\x04" + b"\x01" * 40).decode(),  # a wrong length
    ],
)
def test_a_key_that_is_no_p256_point_is_refused(sara, club_db, public_key):
    _, client = sara
    refused = _add(client, public_key)
    assert refused.status_code == 400 and refused.json()["error"] == "key_invalid"
    with club_db.read() as conn:
        assert conn.execute(select(CARD).where(CARD.c.kind == "phone")).first() is None


def test_a_compressed_key_is_taken_too(sara):
    _, client = sara
    private = ec.generate_private_key(ec.SECP256R1())
    raw = private.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    assert _add(client, base64.urlsafe_b64encode(raw).decode()).status_code == 201


def test_five_active_phones_at_most(sara, club_db):
    _, client = sara
    numbers = [_add(client, _key()[1]).json()["card_number"] for _ in range(phones.MAX_ACTIVE)]
    assert len(set(numbers)) == phones.MAX_ACTIVE
    sixth = _add(client, _key()[1])
    assert sixth.status_code == 409 and sixth.json()["error"] == "too_many_phones"
    assert client.delete(f"/m/api/phones/{numbers[0]}", headers=H).status_code == 204
    assert _add(client, _key()[1]).status_code == 201  # a revoked phone frees its place


def test_a_member_revokes_their_own_phone_and_terminals_learn_it(sara, club_db, clock, receiver):
    member, client = sara
    mine = _add(client, _key()[1]).json()["card_number"]
    add_member(club_db, name="Reza", phone=OTHER)
    clock.advance(61)
    with _client(club_db, clock) as other:
        sign_in(other, club_db, receiver, clock, OTHER)
        theirs = _add(other, _key()[1]).json()["card_number"]
        refused = other.delete(f"/m/api/phones/{mine}", headers=H)
        assert refused.status_code == 404 and refused.json()["error"] == "unknown_phone"
        assert other.delete(f"/m/api/phones/{mine}").status_code == 403  # no header: CSRF refused first
    with club_db.read() as conn:
        assert conn.execute(select(CARD.c.status).where(CARD.c.number == mine)).scalar_one() == "active"
    assert client.delete(f"/m/api/phones/{mine}", headers=H).status_code == 204
    again = client.delete(f"/m/api/phones/{mine}", headers=H)
    assert again.status_code == 409 and again.json()["error"] == "phone_not_active"
    published = [c["revocation"] for c in changes(club_db, "card_revocation")]
    assert [(r["card_number"], r["status"], r["reason"]) for r in published] == [
        (mine, "revoked", phones.REVOKED_BY_MEMBER)
    ]
    with club_db.read() as conn:
        statuses = dict(
            conn.execute(select(CARD.c.number, CARD.c.status).where(CARD.c.kind == "phone")).all()
        )
        assert conn.execute(select(REVOCATION.c.member_id)).scalar_one() == member.id
    assert statuses == {mine: "revoked", theirs: "active"}
    assert client.get("/m/api/phones").json()["phones"][0]["status"] == "revoked"


def test_a_member_card_that_is_no_phone_cannot_be_revoked_from_the_page(sara, club_db, clock):
    member, client = sara
    number = member_file.issue_qr_card(Call(club_db, clock.now_us(), CONSOLE), member.id).number
    refused = client.delete(f"/m/api/phones/{number}", headers=H)
    assert refused.status_code == 404 and refused.json()["error"] == "unknown_phone"
    with club_db.read() as conn:
        assert conn.execute(select(CARD.c.status).where(CARD.c.number == number)).scalar_one() == "active"


def test_signed_out_the_phones_are_closed(club_db, clock):
    with _client(club_db, clock) as client:
        assert client.get("/m/api/phones").status_code == 401
        refused = client.post("/m/api/phones", json={"public_key": _key()[1]}, headers=H)
        assert refused.status_code == 401 and refused.json()["error"] == "signed_out"


def test_erasing_the_member_forgets_their_phones_labels_and_ends_their_sessions(sara, club_db, clock):
    member, client = sara
    number = _add(client, _key()[1], "Sara's Pixel").json()["card_number"]
    privacy.erase(Call(club_db, clock.now_us(), CONSOLE), member.id, "asked to be forgotten")
    with club_db.read() as conn:
        card = conn.execute(select(CARD).where(CARD.c.number == number)).one()
    assert card.label is None and card.status == "revoked"
    assert client.get("/m/api/me").status_code == 401
