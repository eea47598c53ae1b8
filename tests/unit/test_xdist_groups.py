# SPDX-License-Identifier: GPL-3.0-or-later
"""`make test` runs on every core (pytest-xdist, --dist loadgroup), and every test of a module using the
machine's one PC/SC stack must run on one worker (tests/conftest.py). pytest-xdist 3.8 under pytest 9.2
silently ignored the groups: PC/SC tests landed on both workers and one waited out the other's lock until
pytest-timeout killed it. This runs a small suite on two workers with our hooks and looks where it ran."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

CONFTEST = "from tests.conftest import pytest_collection_modifyitems, pytest_itemcollected  # noqa: F401\n"
MODULE = (
    "pcscd_fixture = object()  # what `from tests.support.pcscd import pcscd_fixture` leaves in a module\n"
    + "".join(f"def test_{n}():\n    pass\n" for n in range(8))
)
OTHER = "".join(f"def test_other_{n}():\n    pass\n" for n in range(8))


def test_a_pc_sc_modules_tests_all_run_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_reader.py").write_text(MODULE)
    (tmp_path / "test_other.py").write_text(OTHER)
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider",
         "-o", "addopts=", str(tmp_path)],
        check=False, capture_output=True, text=True, timeout=120, cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    ran = re.findall(r"\[(gw\d)\] \[ *\d+%\] PASSED \S*test_reader\.py::(test_\d)(@\w+)?", result.stdout)
    assert len(ran) == 8, result.stdout
    assert {worker for worker, _, _ in ran} == {ran[0][0]}, "the PC/SC module's tests ran on two workers"
    assert {group for _, _, group in ran} == {"@pcsc"}
