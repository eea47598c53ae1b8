# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.terminal import Terminal
from tests.support.club import make_club


def pytest_configure(config: pytest.Config) -> None:
    # before any test opens a socket: no port-0 server or connection may take vpcd's ports
    from tests.support.pcscd import reserve_vpcd_ports

    reserve_vpcd_ports()


def pytest_itemcollected(item: pytest.Item) -> None:
    """Under pytest-xdist (`make test`), every test of a module that uses the machine's one PC/SC stack
    (pcscd and vpcd's two ports) runs on one worker: its `pcscd` fixture holds the stack's lock for the
    worker's whole session, and a test there may stop pcscd. Whole modules, not only the tests that take
    the fixture: their other tests read the readers too. `--dist loadgroup` honours the group (the test's
    id gains "@pcsc", below)."""
    module = getattr(item, "module", None)
    if "pcscd" in getattr(item, "fixturenames", ()) or hasattr(module, "pcscd_fixture"):
        item.add_marker(pytest.mark.xdist_group("pcsc"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """pytest-xdist 3.8 puts a test's group into its id ("…@pcsc") by setting `Node._nodeid`, which pytest
    9.2's structured ids (`Node._id`) no longer read: the groups were silently ignored, PC/SC tests landed on
    both workers, and one waited out the other's session-long lock until pytest-timeout ended it. This does
    what xdist means to, on a worker of `--dist loadgroup` only, and leaves an id xdist did mark alone."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        mark = item.get_closest_marker("xdist_group")
        if mark is not None and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{mark.args[0]}")


@pytest.fixture(scope="session", autouse=True)
def quick_office_passwords() -> Iterator[None]:
    """Back-office passwords hashed with argon2id at its cheapest in tests: the suite makes and checks
    thousands, at 0.15 s each with the production cost. tests/server/test_backoffice_auth.py checks the
    production hasher's parameters on their own."""
    from argon2 import PasswordHasher

    from sync.server.club import users

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "PRODUCTION_HASHER", users.PASSWORD_HASHER, raising=False)
        patch.setattr(users, "PASSWORD_HASHER", quick)
        patch.setattr(users, "DUMMY_HASH", quick.hash("not a password anyone has"))
        yield


@pytest.fixture(scope="session", autouse=True)
def temporary_log_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Logs and crash reports of every command a test runs (and of their child processes) go to a
    temporary folder, never to the developer's ~/.local/state; a test that checks them sets its own."""
    folder = tmp_path_factory.mktemp("logs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BASHGAH_LOG_DIR", str(folder))
        yield folder


@pytest.fixture
def terminal(tmp_path: Path) -> Terminal:
    """A terminal with the test club, in a fresh data dir."""
    return make_club(tmp_path / "data")
