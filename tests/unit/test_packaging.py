# SPDX-License-Identifier: GPL-3.0-or-later
"""The package list in pyproject.toml is written by hand; this keeps it complete."""

import importlib.resources
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_listed():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("app", "sync")
        for p in (ROOT / top).rglob("__init__.py")
    }
    found.add("app.resources")
    assert found <= listed, f"add to pyproject.toml: {sorted(found - listed)}"


def test_resources_are_found_through_importlib():
    assert importlib.resources.files("app.resources").joinpath("demo").is_dir()


def test_migrations_ship_with_the_package():
    versions = importlib.resources.files("app.store.migrations").joinpath("versions")
    assert any(p.name.startswith("0001") for p in versions.iterdir())


# The terminal's own libraries: a club server installs none of them (pyproject's `terminal` extra), but
# requests, which the server has too (its SMS provider's API: the `server` extra).
TERMINAL_LIBRARIES = ("PySide6", "smartcard", "nfc", "usb1", "escpos", "requests")
SERVER_HAS = ("requests",)
BLOCK = f"import sys\nfor name in {TERMINAL_LIBRARIES!r}: sys.modules[name] = None\n"
SERVER_BLOCK = (
    f"import sys\nfor name in {tuple(n for n in TERMINAL_LIBRARIES if n not in SERVER_HAS)!r}:"
    " sys.modules[name] = None\n"
)


def test_the_terminals_libraries_are_its_extra_not_the_servers():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=!\[; ]", d)[0].lower() for d in project["dependencies"]}
    assert not names & {"pyside6-essentials", "pyscard", "nfcpy", "python-escpos", "requests"}
    terminal = " ".join(project["optional-dependencies"]["terminal"]).lower()
    assert all(name in terminal for name in ("pyside6-essentials", "pyscard", "nfcpy", "python-escpos"))


def test_the_server_runs_without_the_terminals_libraries(tmp_path: Path):
    """Every server module imports, the schema is made and the demo club seeded with Qt, pyscard, nfcpy and
    python-escpos unimportable, as on a server installed with `bashgah[server]` only."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'club.db'}"
    code = SERVER_BLOCK + (
        "import importlib, pkgutil, sync.server\n"
        "for module in pkgutil.walk_packages(sync.server.__path__, 'sync.server.'):\n"
        "    if not module.name.startswith('sync.server.migrations'):\n"
        "        importlib.import_module(module.name)\n"
        "from sync.server.cli import main\n"
        f"sys.exit(main(['--db', {url!r}, 'db', 'upgrade']) or main(['--db', {url!r}, 'demo', 'seed']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_terminal_without_its_libraries_says_what_to_install(tmp_path: Path):
    import subprocess
    import sys

    code = BLOCK + "from app.cli import main\nsys.exit(main(['--data-dir', sys.argv[1], '--lang', 'en']))\n"
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "data")],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "bashgah[terminal]" in result.stderr and "Traceback" not in result.stderr
