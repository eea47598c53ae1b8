# SPDX-License-Identifier: GPL-3.0-or-later
"""The package list in pyproject.toml is written by hand; this keeps it complete."""

import importlib.resources
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
