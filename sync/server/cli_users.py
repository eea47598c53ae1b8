# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah-server user …`: head-office accounts for the back office, from the server's own host.

Passwords are read from standard input (`--password-stdin`), never from the command line, where other
users of the host could read them in the process list and they would stay in the shell's history.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from sync.server.clock import SystemClock
from sync.server.club import users
from sync.server.club.access import CONSOLE, OFFICE_ROLES
from sync.server.club.act import Call
from sync.server.db import Database


class PasswordInputError(Exception):
    pass


def _call(db: Database) -> Call:
    return Call(db, SystemClock().now_us(), CONSOLE)


def _password() -> str:
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise PasswordInputError("give the password on standard input (--password-stdin)")
    return password


def cmd_user_add(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    user = users.add(_call(db), args.name, args.role, _password(), args.branch or [])
    return user.as_dict()


def cmd_user_list(_args: argparse.Namespace, db: Database) -> dict[str, Any]:
    return {"users": [user.as_dict() for user in users.listing(_call(db))]}


def cmd_user_disable(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    return users.disable(_call(db), args.name).as_dict()


def cmd_user_password(args: argparse.Namespace, db: Database) -> dict[str, Any]:
    return users.set_password(_call(db), args.name, _password()).as_dict()


def print_user_command(command: str, result: dict[str, Any]) -> None:
    if command == "user list":
        for user in result["users"]:
            state = "disabled" if user["disabled"] else "active"
            branches = ",".join(user["branch_ids"])
            print(f"{user['name']:<24} {user['role']:<15} {state:<9} {branches}")
        return
    done = {"user add": "added", "user disable": "disabled", "user password": "has a new password"}
    print(f"back-office user {result['name']} ({result['role']}) {done[command]}")


def add_user_commands(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    user = sub.add_parser("user", help="back-office (head-office) accounts").add_subparsers(
        dest="user_command", required=True
    )
    added = add(user, "add", cmd_user_add, "add a back-office user (password on stdin)", "user add")
    added.add_argument("name", help="a user name: lower-case Latin letters, digits, . _ -")
    added.add_argument("--role", required=True, choices=OFFICE_ROLES)
    added.add_argument(
        "--branch", action="append", metavar="CODE", help="a branch a branch manager acts on (repeatable)"
    )
    added.add_argument("--password-stdin", action="store_true", required=True, help="read the password")
    add(user, "list", cmd_user_list, "list the back-office users", "user list")
    disabled = add(user, "disable", cmd_user_disable, "disable a user; their sessions end", "user disable")
    disabled.add_argument("name")
    password = add(
        user, "password", cmd_user_password, "set a user's password (stdin); unlocks them", "user password"
    )
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true", required=True, help="read the password")
