# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's copy of every device's hash chain, checked end to end (app.domain.ledger.find_chain_break).

A device's chain on the server is its accepted entries and the ones set aside (`rejected_entry`, each still
holding its place), up to the head the server recorded for the device. Nothing that edits a row in place,
an erasure of personal data included (sync.server.club.privacy), may break one.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, select

from app.domain.ledger import ChainBreak, ChainLink, SetAsideSlot, find_chain_break
from sync.protocol import WireEntry
from sync.server.models import DEVICE, ENTRY, REJECTED

_FIELDS = tuple(WireEntry.model_fields)


def verify(conn: Connection) -> list[ChainBreak]:
    """The first break of each device's chain that does not hold; empty when every chain holds."""
    links: dict[str, list[ChainLink]] = {}
    for row in conn.execute(select(*(ENTRY.c[name] for name in _FIELDS))):
        entry = WireEntry.model_validate({name: getattr(row, name) for name in _FIELDS}).to_entry()
        links.setdefault(entry.device_id, []).append(entry)
    for row in conn.execute(select(REJECTED.c.id, REJECTED.c.body, REJECTED.c.reason)):
        body = json.loads(row.body)
        slot = SetAsideSlot(
            row.id, body["device_id"], body["device_seq"], body["prev_hash"], body["hash"], row.reason
        )
        links.setdefault(slot.device_id, []).append(slot)
    breaks = []
    for device in conn.execute(select(DEVICE.c.id, DEVICE.c.last_seq, DEVICE.c.head_hash)):
        chain = sorted(links.get(device.id, []), key=lambda link: link.device_seq)
        found = find_chain_break(device.id, chain, (device.last_seq, device.head_hash))
        if found is not None:
            breaks.append(found)
    return breaks
