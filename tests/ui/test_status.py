# SPDX-License-Identifier: GPL-3.0-or-later
"""The status bar's server part, in Persian and English: never enrolled, connecting, online and synced,
offline since a (local, Jalali in Persian) time, revoked or unknown to the server, what waits and what
was set aside."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtWidgets import QLabel

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
    qtbot.waitUntil(lambda: widget.counted_once)  # its first read is in before the test feeds it
    yield widget
    widget.stop()


def test_a_terminal_that_never_enrolled_says_so_and_counts_what_it_holds(qtbot, ctx):
    with ctx.terminal.db.read() as conn:
        waiting = ledger.outbox_count(conn)
    widget = StatusBarWidget(ctx)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.counted_once)
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
    assert bar.server_label.text() == bar.tr("Server: offline since {time}").format(time=when)
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
    ("code", "text", "why"),
    [
        (
            "device_revoked", "Server: revoked by the club (offline)",
            "Server: this terminal was revoked by the club (working offline)",
        ),
        (
            "not_enrolled", "Server: not enrolled there (offline)",
            "Server: this terminal is not enrolled on the server (working offline)",
        ),
    ],
)  # fmt: skip
def test_a_terminal_the_server_refuses_says_why_in_red(bar, code, text, why):
    bar.on_sync_status_changed(status(online=True))
    bar.on_sync_stopped(code)
    assert bar.server_label.text() == bar.tr(text)  # short: it is always whole
    assert bar.tr(why) in bar.server_label.toolTip()  # the sentence, for whoever asks
    assert "B00020" in bar.server_label.styleSheet()


def test_persian_texts_are_translated(bar, lang):
    bar.on_sync_status_changed(status(online=False, synced=False))
    persian = any("\u0600" <= ch <= "\u06ff" for ch in bar.server_label.text())
    assert persian == (lang == "fa")


# Long but plausible names: a staff member's full name with a title, a branch named by its street and area
LONG_STAFF = {"fa": "سید محمدحسین حسینی طباطبایی", "en": "Seyyed Mohammad-Hossein Hosseini-Tabatabaei"}
LONG_BRANCH = ("شعبه مرکزی خیابان ولیعصر — تجریش", "Vali-Asr Street Central Branch — Tajrish")


@pytest.fixture
def full_bar(qtbot, ctx, lang):
    """The bar with the most to say: an enrolled terminal offline since a date, entries waiting and set
    aside, the clock behind, the demo's hint, a staff member and a branch with long names."""
    from app.cards.simulated import SimulatedReader
    from app.domain.staff import Role, Staff
    from app.store.club import BRANCH

    with ctx.terminal.db.write() as conn:
        conn.execute(
            BRANCH.update().where(BRANCH.c.id == ctx.terminal.branch_id)
            .values(name_fa=LONG_BRANCH[0], name_en=LONG_BRANCH[1])
        )  # fmt: skip
    worker = SyncWorker(client=None)  # type: ignore[arg-type]  # never started: the test feeds it
    demo = UiContext(
        terminal=ctx.terminal, tasks=ctx.tasks, session=ctx.session, sync=worker,
        simulated=SimulatedReader("Demo"),
    )  # fmt: skip
    demo.session.log_in(Staff("00000000-0000-7000-8000-0000000000d1", LONG_STAFF[lang], Role.MANAGER))
    widget = StatusBarWidget(demo)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.counted_once)
    widget.on_sync_status_changed(
        status(online=False, unsynced=1_234, synced=False, rejected=3, clock_behind=True)
    )
    assert LONG_BRANCH[0 if lang == "fa" else 1] in widget.branch_label.text()  # the branch was read
    yield widget
    widget.stop()


def shown_at(qtbot, widget: StatusBarWidget, width: int) -> None:
    widget.resize(width, 30)
    widget.show()
    qtbot.waitExposed(widget)
    widget.layout().activate()


def whole(label) -> bool:
    """The label's text is drawn whole in it: nothing cut."""
    return label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()


def check_the_bar(widget: StatusBarWidget, width: int) -> None:
    assert widget.width() == width and widget.minimumSizeHint().width() <= width  # it can be this narrow
    for label in (widget.server_label, widget.unsynced_label, widget.staff_label):  # always whole
        assert label.isVisible() and whole(label), (label.text(), label.width())
    for label in widget.fold_order:
        if label.isVisible():  # said whole, or an icon with the whole text in its tooltip
            assert whole(label) if not label.is_folded() else label.text() in label.toolTip(), label.text()
    bar = widget.rect()
    for label in widget.findChildren(QLabel):
        if label.isVisible():
            inside = label.geometry()
            assert bar.left() <= inside.left() and inside.right() <= bar.right(), (label.text(), inside)


@pytest.mark.parametrize("width", [1024, 1280])
def test_the_bar_fits_with_everything_to_say_and_long_names(qtbot, full_bar, lang, width, tmp_path):
    """Online state, unsynced count and who is logged in are whole at 1024 and 1280 px in both
    languages; what has no room folds to an icon with its text in the tooltip; nothing runs off the bar."""
    shown_at(qtbot, full_bar, width)
    full_bar.grab().save(str(tmp_path / f"status-{lang}-{width}.png"))
    check_the_bar(full_bar, width)
    assert LONG_STAFF[lang] in full_bar.staff_label.text()
    assert number(1_234, lang) in full_bar.unsynced_label.text()
    assert full_bar.demo_label.is_folded()  # the least needed gives way first


@pytest.mark.parametrize("width", [1024, 1280])
def test_a_revoked_terminal_says_so_whole(qtbot, full_bar, width, tmp_path):
    """The longest server text there is."""
    full_bar.on_sync_stopped("device_revoked")
    shown_at(qtbot, full_bar, width)
    full_bar.grab().save(str(tmp_path / f"status-revoked-{width}.png"))
    check_the_bar(full_bar, width)


def test_at_1280_pixels_online_the_branch_and_the_readers_are_said_whole(qtbot, full_bar):
    """With the usual things to say (online, synced), only the demo's hint folds at 1280 px."""
    full_bar.on_sync_status_changed(status())
    shown_at(qtbot, full_bar, 1280)
    check_the_bar(full_bar, 1280)
    assert not full_bar.branch_label.is_folded() and not full_bar.readers_label.is_folded()


def test_when_there_is_room_again_everything_unfolds(qtbot, full_bar):
    shown_at(qtbot, full_bar, 1024)
    assert full_bar.readers_label.is_folded()
    shown_at(qtbot, full_bar, 2400)
    assert not any(label.is_folded() for label in full_bar.fold_order)
    check_the_bar(full_bar, 2400)


def test_the_window_can_be_1024_pixels_wide(qtbot, running, tmp_path):
    """The bar no longer holds the window wider than a 1024 px screen, whatever its texts."""
    window = running.window
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() == 1024)
    window.status.layout().activate()
    window.grab().save(str(tmp_path / "window-1024.png"))
    check_the_bar(window.status, 1024)


@pytest.mark.parametrize("width", [1024, 1280])
def test_an_absurdly_long_staff_name_is_cut_and_said_whole_in_the_tooltip(qtbot, full_bar, lang, width):
    """A staff name may have 120 characters: the bar still fits, who is logged in still shows, and the
    tooltip says the whole name."""
    from app.domain.staff import Role, Staff

    name = {"fa": "نام بسیار بلند ", "en": "A Very Long Name "}[lang] * 8
    full_bar._ctx.session.log_in(Staff("00000000-0000-7000-8000-0000000000d2", name.strip(), Role.CASHIER))
    shown_at(qtbot, full_bar, width)
    check_the_bar(full_bar, width)
    assert "…" in full_bar.staff_label.text() and name.strip() not in full_bar.staff_label.text()
    assert name.strip()[:30] in full_bar.staff_label.text() and name.strip() in full_bar.staff_label.toolTip()
