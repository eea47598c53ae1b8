# SPDX-License-Identifier: GPL-3.0-or-later
"""Qt tests run offscreen with a real QApplication (pytest-qt), a real store and real use cases."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from app.domain.member import Member
from app.services.checkout import SaleRequest, SaleResult, record_sale
from app.services.enroll import EnrollRequest, enroll_member
from app.services.issuing_key import create_issuing_key
from app.services.photos import demo_photo
from app.services.spending import SpendOverride
from app.services.terminal import Terminal
from app.store import sync_state
from tests.support.club import MANAGER, make_club
from tests.support.xvfb import xvfb_server


@dataclass
class Club:
    terminal: Terminal
    maryam: Member  # Persian name, photo, 500+ points
    john: Member  # English name, no photo, no points


@pytest.fixture
def club(tmp_path: Path) -> Club:
    terminal = make_club(tmp_path / "data")
    create_issuing_key(terminal, 1)
    maryam = enroll_member(terminal, EnrollRequest(
        name="مریم احمدی", phone="09121234567", photo_jpeg=demo_photo(7, 320, feminine=True),
    )).member
    record_sale(terminal, SaleRequest(maryam.id, 52_000_000))
    john = enroll_member(terminal, EnrollRequest(name="John Smith", phone="+447700900123")).member
    return Club(terminal, maryam, john)


@pytest.fixture
def overridden_sale(club: Club) -> SaleResult:
    """Maryam spends 100 points at a terminal enrolled with a server it cannot reach, with no grant: a
    manager overrides, so the sale is an earn, a redeem and an override entry."""
    terminal = club.terminal
    with terminal.db.write() as conn:
        sync_state.put(conn, sync_state.SERVER_URL, "http://club.invalid")
    override = SpendOverride(MANAGER, "known to the manager")
    return record_sale(terminal, SaleRequest(club.maryam.id, 1_000_000, redeem_points=100, override=override))


@pytest.fixture(params=["fa", "en"])
def lang(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def ctx(qapp, club: Club, lang: str) -> Iterator:
    """A UiContext on the test club, in both languages, with the translator and fonts installed."""
    from app.ui.context import Session, UiContext
    from app.ui.i18n import Language, install_fonts
    from app.ui.tasks import Tasks

    install_fonts(qapp)
    language = Language(qapp)
    language.apply(lang)
    tasks = Tasks()
    context = UiContext(terminal=club.terminal, tasks=tasks, session=Session(lang))
    yield context
    tasks.shutdown()
    language.apply("en")


@pytest.fixture
def running(qapp, club: Club, lang: str) -> Iterator:
    """The real window (start_window) on the test club with the simulated reader, a cashier logged in."""
    from PySide6.QtTest import QTest

    from app.cards.simulated import SimulatedReader
    from app.ui.app import start_window
    from tests.support.club import CASHIER

    window = start_window(club.terminal, [SimulatedReader("Test reader")], lang=lang)
    window.ctx.session.log_in(CASHIER)
    window.window.show_idle()
    yield window
    QTest.qWait(50)
    window.close()


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    """A real X server of the test's own, with no window manager (tests/support/xvfb.py)."""
    with xvfb_server() as display:
        yield display
