# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah-server chip-keys …`: the generations of a branch's NTAG 424 DNA keys (sync.server.chip_keys).

`list` shows them (numbers and dates: a key never leaves the server in the clear, here neither); `retire`
stops listing an old one for reading, once the branch's cards have moved to a newer one (a card still keyed
with it then fails the challenge at every terminal until it is rewritten).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, select

from app.argv import whole
from sync.server import chip_keys, club
from sync.server.alerts import audit
from sync.server.clock import SystemClock
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.models import CHIP_KEY_GENERATION

_FIELDS = ("generation", "created_at_us", "reason", "revoked_device_id", "retired_at_us", "retired_by")


def _branch_id(conn: Connection, code: str) -> str:
    branch = club.branch_by_code(conn, code)
    if branch is None:
        raise ApiError(404, "unknown_branch", f"no branch with code {code!r}")
    return branch.id


def _listing(conn: Connection, branch_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(CHIP_KEY_GENERATION)
        .where(CHIP_KEY_GENERATION.c.branch_id == branch_id)
        .order_by(CHIP_KEY_GENERATION.c.generation)
    )
    return [{key: getattr(row, key) for key in _FIELDS} for row in rows]


def cmd_chip_keys_list(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    with db.read() as conn:
        return {"branch": args.branch, "generations": _listing(conn, _branch_id(conn, args.branch))}


def cmd_chip_keys_retire(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    now = SystemClock().now_us()

    def work(conn: Connection) -> dict[str, Any]:
        branch_id = _branch_id(conn, args.branch)
        retired = chip_keys.retire(conn, branch_id, args.generation, now, "cli")
        if retired:
            audit(conn, now, "cli", "chip_keys.retire", branch_id, generation=args.generation, why=args.why)
        return {"branch": args.branch, "generation": args.generation, "retired_now": retired,
                "generations": _listing(conn, branch_id)}  # fmt: skip

    return db.write(work)


def print_chip_keys_command(command: str, result: dict[str, Any]) -> None:
    if command == "chip-keys retire":
        done = "retired" if result["retired_now"] else "was retired already"
        print(f"branch {result['branch']}: chip key generation {result['generation']} {done}")
    for g in result["generations"]:
        state = f"retired {g['retired_at_us']}" if g["retired_at_us"] else "in use"
        print(f"  generation {g['generation']}: {g['reason']}, {state}")


def add_chip_key_commands(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    keys = sub.add_parser("chip-keys", help="the branches' NTAG 424 DNA key generations").add_subparsers(
        dest="chip_keys_command", required=True
    )
    listed = add(keys, "list", cmd_chip_keys_list, "a branch's chip key generations", "chip-keys list")
    listed.add_argument("--branch", required=True, help="the branch code (e.g. THR)")
    retire = add(
        keys, "retire", cmd_chip_keys_retire, "stop listing an old generation for reading", "chip-keys retire"
    )
    retire.add_argument("--branch", required=True, help="the branch code (e.g. THR)")
    retire.add_argument("--generation", required=True, type=whole(1, 0xFFFF))
    retire.add_argument("--why", required=True, help="the reason, kept in the audit log")
