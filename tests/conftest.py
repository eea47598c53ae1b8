# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

from pathlib import Path

import pytest

from app.services.terminal import Terminal
from tests.support.club import make_club


@pytest.fixture
def terminal(tmp_path: Path) -> Terminal:
    """A terminal with the test club, in a fresh data dir."""
    return make_club(tmp_path / "data")
