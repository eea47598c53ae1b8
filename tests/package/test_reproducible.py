# SPDX-License-Identifier: GPL-3.0-or-later
"""Two builds of the same sources in different folders give the same bytes: the tarball, the .deb and the
wheel (SOURCE_DATE_EPOCH, PYTHONHASHSEED, sorted archives with fixed owners: scripts/build-package).

The second build runs here, from a copy of the same files in a temporary folder, and is compared with
dist/ from `make package`. Changing a file in between makes them differ: build again first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.package.conftest import DEB, ROOT, TARBALL, WHEEL

BUILD_TIMEOUT_S = 600.0


@pytest.mark.slow
def test_a_second_build_elsewhere_gives_the_same_bytes(tmp_path: Path, tarball: Path, deb: Path) -> None:
    copy = tmp_path / "elsewhere" / "bashgah"
    copy.mkdir(parents=True)
    # the files scripts/build-package itself takes: tracked and new ones, not the ignored build outputs
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout
    packed = subprocess.run(
        ["tar", "--null", "-T", "-", "--ignore-failed-read", "-cf", "-"],
        cwd=ROOT, input=files, capture_output=True, check=True,
    ).stdout
    subprocess.run(["tar", "-xf", "-", "-C", str(copy)], input=packed, check=True)
    epoch = subprocess.run(
        ["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    env = {
        **os.environ,
        "VENV": str(Path(sys.executable).parent.parent),  # the .venv running these tests
        "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", epoch),  # the copy has no git history
        "BUILD_DIR": str(tmp_path / "build"),
        "DIST_DIR": str(tmp_path / "dist"),
    }
    built = subprocess.run(
        [str(copy / "scripts" / "build-package")],
        cwd=copy, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    for first in (TARBALL, DEB, WHEEL):
        second = tmp_path / "dist" / first.name
        assert second.read_bytes() == first.read_bytes(), f"{first.name} differs: dist/ from other files?"
