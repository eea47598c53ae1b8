# SPDX-License-Identifier: GPL-3.0-or-later
"""The sync client's edge (sync.translate): a pull page read by the fast path (members validated into
dicts) is exactly the page the wire models read, translated; and what the models refuse, it refuses."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.domain.changes import MemberRun, SettingChange
from app.domain.member import ERASED_NAME, ERASED_PHONE
from sync.protocol import PullResponse
from sync.translate import page_from_json, page_from_wire

MEMBER_ID = "01900000-0000-7000-8000-000000000b01"
BRANCH_ID = "01900000-0000-7000-8000-0000000000a1"


def _member(n: int) -> dict:
    return {
        "id": f"01900000-0000-7000-8000-{n:012d}",
        "name": f"عضو {n}",
        "phone": f"+98912{n:07d}",
        "tier_code": "bronze",
        "branch_id": BRANCH_ID,
        "joined_at_us": 1_700_000_000_000_000 + n,
    }


optional_fields = st.fixed_dictionaries(
    {},
    optional={
        "birth_date": st.none() | st.dates(date(1920, 1, 1), date(2020, 1, 1)).map(date.isoformat),
        "national_id_last4": st.none() | st.from_regex(r"\A[0-9]{4}\Z"),
        "referrer_id": st.none() | st.just(MEMBER_ID),
        "consent_marketing": st.booleans(),
    },
)
others = st.sampled_from(
    [
        {"kind": "setting", "key": "club_name_en", "value": "Club"},
        {"kind": "restriction", "member_id": MEMBER_ID, "restricted": True},
        {"kind": "member_photo", "member_id": MEMBER_ID, "sha256": "a" * 64, "size": 10},
    ]
)


def _page(changes: list[dict], more: bool = False) -> bytes:
    numbered = [c | {"seq": seq} for seq, c in enumerate(changes, start=1)]
    body = {"changes": numbered, "next_cursor": len(changes), "more": more, "server_time_us": 1}
    return json.dumps(body, ensure_ascii=False).encode()


@settings(max_examples=60)
@given(st.lists(st.one_of(st.just({"kind": "member"}), others), max_size=12), st.data())
def test_the_fast_path_reads_what_the_models_read(kinds: list[dict], data: st.DataObject) -> None:
    changes = [
        c | {"member": _member(n) | data.draw(optional_fields)} if c["kind"] == "member" else c
        for n, c in enumerate(kinds)
    ]
    raw = _page(changes, more=True)
    assert page_from_json(raw) == page_from_wire(PullResponse.model_validate_json(raw))


def test_runs_of_members_become_one_change_each_and_an_erased_member_reads_erased() -> None:
    erased = _member(2) | {"name": ERASED_NAME, "phone": ERASED_PHONE}
    changes = [{"kind": "member", "member": _member(1)}, {"kind": "member", "member": erased}]
    page = page_from_json(_page([*changes, {"kind": "setting", "key": "k", "value": "v"}, changes[0]]))
    assert [type(c) for c in page.changes] == [MemberRun, SettingChange, MemberRun]
    assert page.changes[0].seqs == (1, 2) and len(page) == 4
    assert [m.erased for m in page.changes[0].members] == [False, True]


@pytest.mark.parametrize(
    "spoil",
    [
        lambda m: m | {"id": "not-a-uuid"},
        lambda m: m | {"name": "x" * 121},
        lambda m: m | {"phone": "12"},
        lambda m: m | {"joined_at_us": -1},
        lambda m: m | {"national_id_last4": "12a4"},
        lambda m: m | {"birth_date": "1400-13-01"},
        lambda m: m | {"nickname": "typo"},  # an unknown field
        lambda m: {k: v for k, v in m.items() if k != "tier_code"},
    ],
)
def test_what_the_models_refuse_the_fast_path_refuses(spoil) -> None:
    raw = _page([{"kind": "member", "member": spoil(_member(1))}])
    with pytest.raises(ValidationError):
        PullResponse.model_validate_json(raw)
    with pytest.raises(ValidationError):
        page_from_json(raw)


def test_a_page_with_an_unknown_field_or_kind_is_refused() -> None:
    good = json.loads(_page([{"kind": "member", "member": _member(1)}]))
    for bad in (good | {"extra": 1}, good | {"changes": [{"kind": "gossip", "seq": 1}]}):
        with pytest.raises(ValidationError):
            page_from_json(json.dumps(bad).encode())
