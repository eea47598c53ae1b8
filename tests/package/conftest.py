# SPDX-License-Identifier: GPL-3.0-or-later
"""The frozen bundle as a shop gets it: dist/'s tarball extracted into a temporary folder and run with a
clean environment — no virtualenv on PATH, no PYTHONPATH, HOME a fresh folder, the working directory
outside the source tree — so nothing from .venv or the checkout can stand in for what the bundle lacks.

`make test` (and `make package-test`) build dist/ first (`make package`). Without it the tests skip on a
developer's machine and fail in CI (tests/support/components.py).
"""

from __future__ import annotations

import os
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.components import missing_component
from tests.support.xvfb import xvfb_server

ROOT = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
DIST = Path(os.environ.get("BASHGAH_DIST", ROOT / "dist"))
TARBALL = DIST / f"bashgah-{VERSION}-linux-x86_64.tar.gz"
DEB = DIST / f"bashgah_{VERSION}_amd64.deb"
WHEEL = DIST / f"bashgah-{VERSION}-py3-none-any.whl"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
RUN_TIMEOUT_S = 120.0


def built(path: Path) -> Path:
    if not path.is_file():
        missing_component("the packaged terminal", f"{path.name} is not built: run `make package`")
    return path


@pytest.fixture(scope="session")
def tarball() -> Path:
    return built(TARBALL)


@pytest.fixture(scope="session")
def deb() -> Path:
    return built(DEB)


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory, tarball: Path) -> Path:
    """The extracted bundle's folder (bashgah/, with the `bashgah` executable in it)."""
    where = tmp_path_factory.mktemp("extracted")
    subprocess.run(["tar", "-xzf", str(tarball), "-C", str(where)], check=True)
    return where / "bashgah"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """What a shop's session gives the terminal: the system's PATH, a UTF-8 locale, English messages."""
    return {"HOME": str(home), "PATH": SYSTEM_PATH, "LANG": "C.UTF-8", "BASHGAH_LANG": "en", **extra}


def run(
    bundle: Path, home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = RUN_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """The bundle's `bashgah` with `args`, from the home folder, in a clean environment."""
    return subprocess.run(
        [str(bundle / "bashgah"), *args],
        cwd=home,
        env=clean_env(home, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start(bundle: Path, home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(bundle / "bashgah"), *args],
        cwd=home,
        env=clean_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """A fresh Xvfb with no window manager, for the whole session."""
    with xvfb_server() as display:
        yield display
