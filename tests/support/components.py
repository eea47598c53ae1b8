# SPDX-License-Identifier: GPL-3.0-or-later
"""A system component a test needs is missing: skip on a developer's machine, fail in CI (CI=true)."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing_component(what: str, reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} unavailable in CI: {reason}", pytrace=False)
    pytest.skip(reason)
