# SPDX-License-Identifier: GPL-3.0-or-later
"""The member's phones in the back office: listed on the member's file with their label, revoked from there
by a role that manages cards (published as every revocation is), and shown without a revoke button to one
that does not; on SQLite and PostgreSQL."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select

from sync.server.club.access import Actor
from sync.server.club.act import Call
from sync.server.models import CARD
from sync.server.portal import phones
from tests.server.office import add_every_role, sign_in
from tests.server.portal_support import add_member, changes


@pytest.fixture
def phone(club_db, clock):
    m = add_member(club_db, name="Sara")
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    )
    as_member = Call(
        club_db, clock.now_us(), Actor(id=m.id, name="member page", role="member", kind="member")
    )
    done = phones.certify(as_member, m.id, base64.urlsafe_b64encode(point).decode(), "Sara's Pixel")
    add_every_role(club_db)
    return m.id, done.card_number


def test_a_phone_is_listed_with_its_label_and_revoked_from_the_file(client, club_db, phone):
    member_id, number = phone
    csrf = sign_in(client, "owner")
    page = client.get(f"/admin/members/{member_id}").text
    assert number in page and "Sara&#39;s Pixel" in page and "گوشی (صفحهٔ عضو)" in page
    assert f"/cards/{number}/revoke" in page
    form = {"csrf_token": csrf, "status": "revoked", "reason": "stolen"}
    done = client.post(f"/admin/members/{member_id}/cards/{number}/revoke", data=form, follow_redirects=False)
    assert done.status_code == 303
    with club_db.read() as conn:
        assert conn.execute(select(CARD.c.status).where(CARD.c.number == number)).scalar_one() == "revoked"
    assert [c["revocation"]["card_number"] for c in changes(club_db, "card_revocation")] == [number]


def test_a_role_that_does_not_manage_cards_sees_the_phone_without_a_revoke_button(client, phone):
    member_id, number = phone
    sign_in(client, "auditor")
    page = client.get(f"/admin/members/{member_id}").text
    assert number in page and "Sara&#39;s Pixel" in page
    assert f"/cards/{number}/revoke" not in page
