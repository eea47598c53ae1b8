# SPDX-License-Identifier: GPL-3.0-or-later
"""The status bar's server part, in Persian and English: never enrolled, connecting, online and synced,
offline since a (local, Jalali in Persian) time, revoked or unknown to the server, what waits and what
was set aside."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.domain.digits import to_persian_digits
from app.format import datetime_text, number
from app.store import ledger
from app.ui.context import UiContext
from app.ui.status import StatusBarWidget
from app.ui.sync_worker import SyncWorker
from sync.client import SyncStatus

AUGUST_2025_US = int(datetime(2025, 8, 1, 12, 30).timestamp()) * 1_000_000  # local time: 1404/05/10


def status(**changes: object) -> SyncStatus:
    values = {
        "enrolled": True, "online": True, "last_sync_us": AUGUST_2025_US, "unsynced": 0, "rejected": 0,
        "cursor": 7, "synced": True, "clock_behind": False, "last_error": None,
    } | changes  # fmt: skip
    return SyncStatus(**values)


@pytest.fixture
def bar(qtbot, ctx):
    """The status bar of an enrolled terminal whose sync worker is not started (the test feeds it)."""
    worker = SyncWorker(client=None)  # type: ignore[arg-type]  # never started: no client needed
    enrolled = UiContext(terminal=ctx.terminal, tasks=ctx.tasks, session=ctx.session, sync=worker)
    widget = StatusBarWidget(enrolled)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: not ctx.tasks.busy())  # its first read is in before the test feeds it
    yield widget
    widget.stop()


def test_a_terminal_that_never_enrolled_says_so_and_counts_what_it_holds(qtbot, ctx):
    with ctx.terminal.db.read() as conn:
        waiting = ledger.outbox_count(conn)
    widget = StatusBarWidget(ctx)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: not ctx.tasks.busy())
    assert widget.server_label.text() == widget.tr("Server: not enrolled")
    assert widget.server_label.toolTip()  # why, for whoever asks
    count = number(waiting, ctx.session.lang)
    assert widget.unsynced_label.text() == widget.tr("Unsynced: {count}").format(count=count)
    assert widget.set_aside_label.isHidden() and widget.clock_label.isHidden()
    widget.stop()


def test_before_the_first_round_it_is_connecting_and_counts_nothing_yet(bar):
    assert bar.server_label.text() == bar.tr("Server: connecting…")
    assert bar.unsynced_label.text() == bar.tr("Unsynced: {count}").format(count="…")


def test_online_and_synced(bar):
    bar.on_sync_status_changed(status())
    assert bar.server_label.text() == bar.tr("Server: online")
    assert bar.unsynced_label.text() == bar.tr("Synced")
    assert bar.server_label.toolTip() == bar.server_label.text()  # no stale error once online


def test_online_with_entries_waiting(bar, lang):
    bar.on_sync_status_changed(status(unsynced=12, synced=False))
    assert bar.unsynced_label.text() == bar.tr("Unsynced: {count}").format(count=number(12, lang))
    assert ("۱۲" if lang == "fa" else "12") in bar.unsynced_label.text()


def test_offline_shows_the_last_sync_in_local_time_jalali_in_persian(bar, lang):
    bar.on_sync_status_changed(
        status(online=False, unsynced=3, synced=False, last_error="server_unreachable")
    )
    when = datetime_text(AUGUST_2025_US, lang)
    assert bar.server_label.text() == bar.tr("Server: offline (last sync {time})").format(time=when)
    expected = to_persian_digits("1404/05/10 12:30") if lang == "fa" else "2025-08-01 12:30"
    assert expected in bar.server_label.text()
    assert bar.server_label.toolTip().endswith("\nserver_unreachable")  # why, for whoever asks


def test_offline_before_any_sync(bar):
    bar.on_sync_status_changed(status(online=False, last_sync_us=None, synced=False))
    assert bar.server_label.text() == bar.tr("Server: offline (never synced)")


def test_set_aside_entries_and_a_clock_behind_are_shown_only_when_there_are_some(bar, lang):
    bar.on_sync_status_changed(status(rejected=2, clock_behind=True))
    assert not bar.set_aside_label.isHidden() and not bar.clock_label.isHidden()
    assert bar.set_aside_label.text() == bar.tr("Set aside: {count}").format(count=number(2, lang))
    assert bar.clock_label.text() == bar.tr("Clock behind") and bar.clock_label.toolTip()
    bar.on_sync_status_changed(status())
    assert bar.set_aside_label.isHidden() and bar.clock_label.isHidden()


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("device_revoked", "Server: this terminal was revoked by the club (working offline)"),
        ("not_enrolled", "Server: this terminal is not enrolled on the server (working offline)"),
    ],
)
def test_a_terminal_the_server_refuses_says_why_in_red(bar, code, text):
    bar.on_sync_status_changed(status(online=True))
    bar.on_sync_stopped(code)
    assert bar.server_label.text() == bar.tr(text)
    assert "B00020" in bar.server_label.styleSheet()


def test_persian_texts_are_translated(bar, lang):
    bar.on_sync_status_changed(status(online=False, synced=False))
    persian = any("\u0600" <= ch <= "\u06ff" for ch in bar.server_label.text())
    assert persian == (lang == "fa")


def test_on_a_1280_pixel_screen_the_demo_hint_gives_way_before_server_staff_and_branch(qtbot, ctx):
    """The demo's long hint once squeezed the server state, the staff name and the branch down to
    fragments in English; they are what the person at the till needs whole."""
    from app.cards.simulated import SimulatedReader
    from tests.support.club import MANAGER

    demo = UiContext(
        terminal=ctx.terminal, tasks=ctx.tasks, session=ctx.session, simulated=SimulatedReader("Demo")
    )
    demo.session.log_in(MANAGER)
    widget = StatusBarWidget(demo)
    qtbot.addWidget(widget)
    widget.resize(1280, 30)
    widget.show()
    qtbot.waitUntil(lambda: not ctx.tasks.busy())
    qtbot.waitExposed(widget)
    needed = (widget.readers_label, widget.server_label, widget.unsynced_label, widget.staff_label,
              widget.branch_label)  # fmt: skip

    def squeezed() -> list[tuple[str, int, int]]:
        sizes = [(lb.text(), lb.width(), lb.sizeHint().width()) for lb in needed]
        return [(text, width, wanted) for text, width, wanted in sizes if width < wanted]

    def nothing_squeezed() -> None:
        assert not squeezed()

    qtbot.waitUntil(nothing_squeezed, timeout=2_000)  # once the layout has taken the texts read
    assert widget.demo_label.text() and widget.demo_label.toolTip() == widget.demo_label.text()
    widget.stop()
