# SPDX-License-Identifier: GPL-3.0-or-later
"""GET /v1/sync/pull: the change log and the global ledger, merged by server sequence.

Both are read in one snapshot (`Database.read`), so a transaction that commits between the two queries
cannot show its entries without its changes. Because numbers become visible in number order
(sync.server.sequence), a page ending at `next_cursor` holds every row up to it: the cursor never skips.

With a read replica (`serve --db-read`), a page is read there only when the replica has caught up with
what the terminal has already seen (`replica_page_json`): its committed server sequence (the
sync_counter row, in the page's own snapshot) is at least the terminal's cursor `since`, and it holds
the device's own latest push (the device row's `last_seq`, as the primary has it now). A replica behind
either is polled for up to REPLICA_WAIT_S, then the page is read from the primary. So a terminal's cursor
never goes backwards, and after a push (whose answer carried server_seq numbers) its next pull reaches
its own entries. The numbers of a page read from a replica are all below its counter and visible there
in number order (replay applies commits in commit order), so the cursor still never skips. A pushed item
(member, card) moves no `last_seq`; a replica a moment behind may then end the page below the item's
number, and the terminal, which keeps its own version of a record until the server echoes it
(app.store.replica), takes the echo from the next pull.

The page is built as plain JSON: the change bodies are stored as their wire JSON already, and
re-validating thousands of them per page would cost more than the query.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from sqlalchemy import Connection, exc, select

from sync.protocol import PROTOCOL_VERSION, WireEntry
from sync.server import sequence
from sync.server.db import Database
from sync.server.models import CHANGE, DEVICE, ENTRY

log = logging.getLogger(__name__)
REPLICA_WAIT_S = 0.5  # how long a pull waits for a lagging replica before it reads the primary
REPLICA_POLL_S = 0.02
READ_FROM_HEADER = "X-Bashgah-Read-From"  # "replica" or "primary": where the page was read

_ENTRY_FIELDS = tuple(WireEntry.model_fields)
_SET_ASIDE_KINDS = ["entry_set_aside", "set_aside_resolved"]


def _rows(
    conn: Connection, since: int, limit: int, set_aside: bool, resolved: bool
) -> tuple[list[tuple[int, int, Any]], bool]:
    """Up to `limit` (seq, is_entry, row) with seq > since, merged in seq order; and whether more wait.
    `set_aside`: the terminal reads `entry_set_aside` changes; `resolved`: and `set_aside_resolved` ones
    (older terminals cannot: they skip them, as their models would refuse a kind they do not know)."""
    query = select(CHANGE.c.seq, CHANGE.c.kind, CHANGE.c.body).where(CHANGE.c.seq > since)
    skipped = [] if set_aside and resolved else ["set_aside_resolved"] if set_aside else _SET_ASIDE_KINDS
    if skipped:
        query = query.where(CHANGE.c.kind.not_in(skipped))
    changes = conn.execute(query.order_by(CHANGE.c.seq).limit(limit + 1)).all()
    entries = conn.execute(
        select(ENTRY.c.server_seq, *(ENTRY.c[name] for name in _ENTRY_FIELDS))
        .where(ENTRY.c.server_seq > since)
        .order_by(ENTRY.c.server_seq)
        .limit(limit + 1)
    ).all()
    merged = sorted(
        [(row.seq, 0, row) for row in changes] + [(row.server_seq, 1, row) for row in entries],
        key=lambda t: t[0],
    )
    return merged[:limit], len(merged) > limit


def page(
    conn: Connection,
    since: int,
    limit: int,
    now_us: int,
    *,
    set_aside: bool = True,
    resolved: bool = True,
    unlocks: bool = True,
) -> dict[str, Any]:
    """A PullResponse as a dict: up to `limit` changes with seq > since, in seq order."""
    taken, more = _rows(conn, since, limit, set_aside, resolved)
    return {
        "protocol": PROTOCOL_VERSION,
        "changes": [_change(seq, is_entry, row, unlocks) for seq, is_entry, row in taken],
        "next_cursor": taken[-1][0] if taken else since,
        "more": more,
        "server_time_us": now_us,
    }


def page_json(
    conn: Connection,
    since: int,
    limit: int,
    now_us: int,
    *,
    set_aside: bool = True,
    resolved: bool = True,
    unlocks: bool = True,
) -> bytes:
    """The same page as JSON bytes. Stored change bodies are spliced in as they are (a JSON object, its
    seq added as a last key, which wins over any earlier one as in `page`): decoding and re-encoding a
    million member changes was most of a new terminal's pull. `unlocks`: the terminal reads a staff
    change's `unlocked_at_us`; for one that does not, the (few) staff changes are rewritten without it."""
    taken, more = _rows(conn, since, limit, set_aside, resolved)
    parts = [
        json.dumps(_change(seq, is_entry, row, unlocks), ensure_ascii=False, separators=(",", ":"))
        if is_entry or (not unlocks and row.kind == "staff")
        else f'{row.body.rstrip()[:-1]},"seq":{seq}}}'
        for seq, is_entry, row in taken
    ]
    next_cursor = taken[-1][0] if taken else since
    return (
        f'{{"protocol":{PROTOCOL_VERSION},"changes":[{",".join(parts)}],"next_cursor":{next_cursor},'
        f'"more":{"true" if more else "false"},"server_time_us":{now_us}}}'
    ).encode()


def _change(seq: int, is_entry: int, row: Any, unlocks: bool = True) -> dict[str, Any]:
    if is_entry:
        entry = {name: getattr(row, name) for name in _ENTRY_FIELDS}
        return {"kind": "entry", "seq": seq, "entry": entry}
    body: dict[str, Any] = json.loads(row.body) | {"seq": seq}
    if not unlocks and body.get("kind") == "staff":
        body["staff"].pop("unlocked_at_us", None)
    return body


def _device_last_seq(conn: Connection, device_id: str) -> int | None:
    return conn.execute(select(DEVICE.c.last_seq).where(DEVICE.c.id == device_id)).scalar()


def _replica_holds(conn: Connection, device_id: str, since: int, last_seq: int) -> bool:
    """The replica's snapshot holds everything the terminal has seen: its cursor and its own last push."""
    if sequence.current(conn) < since:
        return False
    held = _device_last_seq(conn, device_id)
    return held is not None and held >= last_seq


def replica_page_json(
    db: Database,
    device_id: str,
    since: int,
    limit: int,
    now_us: int,
    *,
    wait_s: float = REPLICA_WAIT_S,
    **options: bool,
) -> tuple[bytes, str]:
    """`page_json` from the replica when it holds what the terminal has seen, else (after waiting up to
    `wait_s` for it) from the primary; and where it was read ("replica" or "primary"). A replica that
    fails (down, or a query cancelled by recovery) is bypassed for this page."""
    if db.has_replica:
        with db.read() as conn:  # one primary-key read on the primary: the device's own last push
            last_seq = _device_last_seq(conn, device_id) or 0
        deadline = time.monotonic() + wait_s
        try:
            while True:
                with db.replica_read() as conn:
                    if _replica_holds(conn, device_id, since, last_seq):
                        return page_json(conn, since, limit, now_us, **options), "replica"
                if time.monotonic() >= deadline:
                    break
                time.sleep(REPLICA_POLL_S)
        except (exc.OperationalError, exc.InterfaceError) as error:
            log.warning("read replica unavailable, pulling from the primary: %s", error)
    with db.read() as conn:
        return page_json(conn, since, limit, now_us, **options), "primary"
