# SPDX-License-Identifier: GPL-3.0-or-later
"""Identifiers made on the device: UUIDv7 (RFC 9562), time-ordered so ledger ids sort by creation.

Python 3.11 has no uuid7; the layout is a dozen lines, so it lives here rather than in a dependency.
Time and randomness are passed in, keeping this module pure.
"""

from __future__ import annotations

import hashlib
import re
import uuid

from app.domain.errors import ClubError

# what str(uuid.UUID) gives, and so what the wire carries (sync.protocol.UUID_PATTERN)
_WIRE_FORM = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch


def uuid7(unix_ms: int, rand: bytes) -> uuid.UUID:
    """A version-7 UUID from a millisecond timestamp and at least 10 random bytes."""
    if len(rand) < 10:
        raise ValueError("uuid7 needs 10 random bytes")
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= int.from_bytes(rand[:10], "big") & ((1 << 80) - 1)
    value &= ~(0xF << 76)
    value |= 0x7 << 76  # version
    value &= ~(0x3 << 62)
    value |= 0x2 << 62  # RFC 9562 variant
    return uuid.UUID(int=value)


def derived_id(base: uuid.UUID | str, n: int) -> uuid.UUID:
    """The n-th companion id of `base`: same timestamp, other bits from a hash.

    One use case may write several entries; deriving the others from the first id makes a retried
    request name exactly the same entries, which is what makes it idempotent.
    """
    base = uuid.UUID(str(base))
    if n == 0:
        return base
    digest = hashlib.sha256(base.bytes + n.to_bytes(4, "big")).digest()
    unix_ms = base.int >> 80
    return uuid7(unix_ms, digest)


def canonical_uuid(raw: object) -> str | None:
    """raw as the wire carries a UUID (lowercase, dashed), or None when it is not a UUID.

    Any spelling `uuid.UUID` reads is accepted (upper case, braces, `urn:uuid:`, no dashes).
    """
    if isinstance(raw, uuid.UUID):
        return str(raw)
    if not isinstance(raw, str):
        return None
    if _WIRE_FORM(raw):  # the usual case, ~10x cheaper than parsing (a sale's hot path)
        return raw
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


def request_entry_id(raw: object) -> str:
    """A caller's entry id (a use case's idempotency key) as the ledger keeps it.

    An entry id must cross the wire (`sync.protocol.Id`): anything but a UUID would be set aside at the
    push and leave a hole at the server, so it is refused here, before anything is written.
    """
    entry_id = canonical_uuid(raw)
    if entry_id is None:
        raise ClubError("invalid_entry_id", entry=raw)
    return entry_id
