# SPDX-License-Identifier: GPL-3.0-or-later
"""The branch's NTAG 424 DNA keys this terminal holds, still wrapped for it (table chip_key).

Written by the sync client from GET /v1/chip-keys, which answers the whole set: it replaces what was held,
in one transaction, with the generation new cards are keyed with. Read by app.services.chip_keys, which
unwraps a key only when a card asks for it. Nothing here ever holds a key in the clear.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, insert, select

from app.store import sync_state
from app.store.schema import ChipKeyRow

CHIP_KEY = ChipKeyRow.__table__
CURRENT_GENERATION = "sync_chip_key_generation"  # local (sync_ prefix): the one new cards get


@dataclass(frozen=True, slots=True)
class WrappedChipKey:
    branch_id: str
    generation: int
    role: str  # "read" or "write"
    wrapped: str = field(repr=False)  # base64 of app.cards.ntag424.keys.wrap_key's bytes, as sent
    created_at_us: int


def replace_all(
    conn: Connection, keys: list[WrappedChipKey], current_generation: int | None, *, at_us: int
) -> None:
    """The server's whole set, in place of the one held (in the caller's transaction)."""
    conn.execute(delete(CHIP_KEY))
    if keys:
        conn.execute(
            insert(CHIP_KEY),
            [
                {
                    "branch_id": k.branch_id,
                    "generation": k.generation,
                    "role": k.role,
                    "wrapped": k.wrapped,
                    "created_at_us": k.created_at_us,
                    "received_at_us": at_us,
                }
                for k in keys
            ],
        )
    sync_state.put(conn, CURRENT_GENERATION, current_generation)


def all_keys(conn: Connection) -> list[WrappedChipKey]:
    rows = conn.execute(
        select(CHIP_KEY).order_by(CHIP_KEY.c.branch_id, CHIP_KEY.c.generation, CHIP_KEY.c.role)
    )
    return [WrappedChipKey(r.branch_id, r.generation, r.role, r.wrapped, r.created_at_us) for r in rows]


def current_generation(conn: Connection) -> int | None:
    value = sync_state.get(conn, CURRENT_GENERATION)
    return None if value is None else int(value)


def counts(conn: Connection) -> dict[int, dict[str, int]]:
    """How many keys are held per generation and role (`bashgah doctor`): numbers only, never a key."""
    held = Counter(
        (r.generation, r.role) for r in conn.execute(select(CHIP_KEY.c.generation, CHIP_KEY.c.role))
    )
    result: dict[int, dict[str, int]] = {}
    for (generation, role), n in sorted(held.items()):
        result.setdefault(generation, {})[role] = n
    return result
