# SPDX-License-Identifier: GPL-3.0-or-later
"""The wire models: entries survive the trip byte for byte, and bad input is refused, not guessed at."""

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from app.domain.ledger import GENESIS_HASH, EntryDraft, EntryKind, seal_all
from app.domain.money import MAX_POINTS, MAX_RIALS
from sync.protocol import (
    MAX_PUSH_ENTRIES,
    Grant,
    PullResponse,
    PushRequest,
    WireEntry,
    grant_signature_holds,
    sign_grant,
)

DEVICE = "01a0564b-bfc0-7cfb-84ba-81a725691b39"
BRANCH = "01a0564b-bfc0-7506-b4f2-85639db8752a"
MEMBER = "01a05682-b59d-72f9-aa15-8ec0b3941f5c"


def new_id() -> str:
    return str(uuid.uuid4())


draft = st.builds(
    EntryDraft,
    id=st.builds(new_id),
    created_at_us=st.integers(0, 2**52),
    branch_id=st.just(BRANCH),
    member_id=st.just(MEMBER),
    kind=st.sampled_from(EntryKind),
    staff_id=st.none() | st.builds(new_id),
    points_delta=st.integers(-MAX_POINTS, MAX_POINTS),
    cash_delta=st.integers(-MAX_RIALS, MAX_RIALS),
    sale_amount=st.integers(-MAX_RIALS, MAX_RIALS),
    discount_rials=st.integers(0, MAX_RIALS),
    invoice_ref=st.none() | st.text(min_size=1, max_size=64),
    reason=st.none() | st.text(max_size=500),
    reverses=st.none() | st.builds(new_id),
)


@given(st.lists(draft, min_size=1, max_size=5))
def test_an_entry_crosses_the_wire_unchanged(drafts):
    for entry in seal_all(drafts, DEVICE, 0, GENESIS_HASH):
        wire = WireEntry.model_validate_json(WireEntry.of(entry).model_dump_json())
        assert wire.to_entry() == entry
        assert wire.hash_holds()


def sealed(n: int) -> list[WireEntry]:
    drafts = [
        EntryDraft(new_id(), 1_000 + i, BRANCH, MEMBER, EntryKind.EARN, points_delta=i, sale_amount=10 * i)
        for i in range(1, n + 1)
    ]
    return [WireEntry.of(e) for e in seal_all(drafts, DEVICE, 0, GENESIS_HASH)]


def test_an_edited_entry_no_longer_matches_its_hash():
    (entry,) = sealed(1)
    edited = entry.model_copy(update={"points_delta": entry.points_delta + 1})
    assert entry.hash_holds() and not edited.hash_holds()


def test_a_push_must_be_in_device_order():
    first, second = sealed(2)
    PushRequest(device_id=DEVICE, entries=[first, second])
    with pytest.raises(ValidationError):
        PushRequest(device_id=DEVICE, entries=[second, first])
    with pytest.raises(ValidationError):
        PushRequest(device_id=DEVICE, entries=[first, first])


def test_an_oversized_batch_is_refused():
    (entry,) = sealed(1)
    with pytest.raises(ValidationError):
        PushRequest(device_id=DEVICE, entries=[entry] * (MAX_PUSH_ENTRIES + 1))


@pytest.mark.parametrize(
    "change",
    [
        {"points_delta": MAX_POINTS + 1},
        {"sale_amount": -(MAX_RIALS + 1)},
        {"member_id": "not-a-uuid"},
        {"member_id": MEMBER.upper()},
        {"hash": "0" * 63},
        {"kind": "gift"},
        {"surprise": 1},
    ],
)
def test_absurd_or_unknown_fields_are_refused(change):
    (entry,) = sealed(1)
    with pytest.raises(ValidationError):
        WireEntry.model_validate(entry.model_dump(mode="json") | change)


def test_another_protocol_version_is_refused():
    with pytest.raises(ValidationError):
        PushRequest.model_validate({"protocol": 2, "device_id": DEVICE})


def test_pull_changes_are_told_apart_by_kind():
    (entry,) = sealed(1)
    page = PullResponse.model_validate(
        {
            "changes": [
                {"kind": "entry", "seq": 1, "entry": entry.model_dump(mode="json")},
                {"kind": "setting", "seq": 2, "key": "grant_ttl_s", "value": "259200"},
                {"kind": "restriction", "seq": 3, "member_id": MEMBER, "restricted": True},
            ],
            "next_cursor": 3,
            "more": False,
            "server_time_us": 1,
        }
    )
    assert [c.kind for c in page.changes] == ["entry", "setting", "restriction"]


def test_a_grant_signature_binds_every_field_to_the_token():
    fields = {
        "grant_id": new_id(), "member_id": MEMBER, "device_id": DEVICE, "points": 300, "after_seq": 12,
        "issued_at_us": 1_000, "expires_at_us": 2_000, "for_entry": None,
    }  # fmt: skip
    grant = Grant(**fields, signature=sign_grant(fields, "token-a"))
    assert grant_signature_holds(grant, "token-a")
    assert not grant_signature_holds(grant, "token-b")
    assert not grant_signature_holds(grant.model_copy(update={"points": 3000}), "token-a")
