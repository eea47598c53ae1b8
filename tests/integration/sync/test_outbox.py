# SPDX-License-Identifier: GPL-3.0-or-later
"""What the terminal makes besides ledger entries goes into the outbox in the same transaction."""

import hashlib

import pytest

from app.domain.errors import ClubError
from app.services import enroll as enroll_service
from app.services.cards import bind_card, prepare_card, revoke_card
from app.services.enroll import EnrollRequest, change_photo, enroll_member
from app.services.issuing_key import create_issuing_key
from app.services.photos import demo_photo
from app.store import members, outbox
from sync.protocol import CardItem, MemberItem, RevocationItem
from tests.support.club import MANAGER

UID = bytes.fromhex("04a1b2c3d4e5f6")


def items(terminal, kinds=(*outbox.PUSHED_KINDS, outbox.PHOTO)):
    with terminal.db.read() as conn:
        return outbox.pending(conn, kinds)


def test_enrolment_queues_the_member_its_photo_and_its_card(terminal):
    photo = demo_photo(3, 200)
    result = enroll_member(terminal, EnrollRequest(name="مریم احمدی", phone="09121234567", photo_jpeg=photo))
    kinds = [(i.kind, i.subject) for i in items(terminal)]
    assert kinds == [
        ("member", result.member.id),
        ("photo", result.member.id),
        ("card", result.card.number),
    ]
    member_item, photo_item, card_item = items(terminal)
    sent = MemberItem.model_validate_json(member_item.body)
    assert sent.id == member_item.id and sent.member.id == result.member.id
    assert sent.member.phone == "+989121234567" and sent.member.name == "مریم احمدی"
    assert photo_item.data() == {
        "member_id": result.member.id,
        "sha256": hashlib.sha256(photo).hexdigest(),
        "size": len(photo),
    }
    card = CardItem.model_validate_json(card_item.body).card
    assert (card.number, card.member_id, card.uid) == (result.card.number, result.member.id, None)


def test_a_retried_enrolment_queues_nothing_more(terminal):
    member_id = "01900000-0000-7000-8000-0000000000aa"
    request = EnrollRequest(name="Reza", phone="09351234567", member_id=member_id)
    enroll_member(terminal, request)
    again = enroll_member(terminal, request)
    assert again.replayed
    assert len(items(terminal)) == 2


def test_a_refused_enrolment_queues_nothing(terminal, monkeypatch):
    def broken_card(*args, **kwargs):
        raise ClubError("database_busy")

    monkeypatch.setattr(enroll_service, "new_card", broken_card)
    with pytest.raises(ClubError):
        enroll_member(terminal, EnrollRequest(name="Reza", phone="09351234567"))
    assert items(terminal) == []
    with terminal.db.read() as conn:
        assert members.count(conn) == 0  # the member and its item went together


def test_a_member_id_must_be_a_uuid(terminal):
    with pytest.raises(ClubError, match="invalid_member_id"):
        enroll_member(terminal, EnrollRequest(name="Reza", phone="09351234567", member_id="reza-1"))


def test_a_new_photo_is_queued_for_upload(terminal):
    member = enroll_member(terminal, EnrollRequest(name="Reza", phone="09351234567", with_card=False)).member
    new = demo_photo(9, 200)
    change_photo(terminal, member.id, new)
    photo_items = items(terminal, (outbox.PHOTO,))
    assert [i.data()["sha256"] for i in photo_items] == [hashlib.sha256(new).hexdigest()]


def test_issuing_binding_and_revoking_cards_are_queued(terminal):
    create_issuing_key(terminal, 1)
    member = enroll_member(terminal, EnrollRequest(name="Reza", phone="09351234567", with_card=False)).member
    prepared = prepare_card(terminal, member.id, staff=MANAGER, uid=UID)
    bind_card(terminal, prepared.card.number, UID)
    bind_card(terminal, prepared.card.number, UID)  # a retry: nothing new
    revoke_card(terminal, prepared.card.number, "lost on the bus", MANAGER, lost=True)
    queued = items(terminal, outbox.PUSHED_KINDS)
    assert [i.kind for i in queued] == ["member", "card", "card", "card_revocation"]
    issued, bound = (CardItem.model_validate_json(i.body).card for i in queued[1:3])
    assert issued.uid is None and bound.uid == UID.hex()
    revocation = RevocationItem.model_validate_json(queued[3].body)
    assert revocation.id == queued[3].id
    assert (revocation.revocation.status, revocation.revocation.reason) == ("lost", "lost on the bus")


def test_answers_are_written_beside_items_once(terminal):
    enroll_member(terminal, EnrollRequest(name="Reza", phone="09351234567", with_card=False))
    (item,) = items(terminal)
    with terminal.db.write() as conn:
        assert outbox.acknowledge(conn, item.id, "accepted", at_us=1, server_seq=7)
        assert not outbox.acknowledge(conn, item.id, "rejected", at_us=2, reason="late")
    with terminal.db.read() as conn:
        assert outbox.answer(conn, item.id) == ("accepted", None)
        assert outbox.pending(conn) == [] and outbox.highest_server_seq(conn) == 7
