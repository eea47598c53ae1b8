# SPDX-License-Identifier: GPL-3.0-or-later
"""Caller-given ids: any spelling of a UUID, kept as the wire carries it; nothing else."""

import re
import uuid

import pytest

from app.domain.errors import ClubError
from app.domain.ids import canonical_uuid, request_entry_id
from sync.protocol import UUID_PATTERN


@pytest.mark.parametrize("value", [uuid.uuid4(), uuid.UUID(int=0), uuid.UUID(int=(1 << 128) - 1)])
def test_every_spelling_gives_the_wire_form(value):
    wire = str(value)
    assert re.match(UUID_PATTERN, wire)
    for spelling in (wire, wire.upper(), value.hex, f"{{{wire}}}", f"urn:uuid:{wire}", value):
        assert canonical_uuid(spelling) == wire
        assert request_entry_id(spelling) == wire


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "sale-1",
        "01900000-0000-7000-8000-00000000c0de\n",
        " 01900000-0000-7000-8000-00000000c0de",
        "01900000-0000-7000-8000-00000000c0d",
        "g1900000-0000-7000-8000-00000000c0de",
        None,
        7,
    ],
)
def test_anything_else_is_refused(raw):
    assert canonical_uuid(raw) is None
    with pytest.raises(ClubError) as error:
        request_entry_id(raw)
    assert error.value.code == "invalid_entry_id" and error.value.params == {"entry": raw}
