# SPDX-License-Identifier: GPL-3.0-or-later
"""The member view: photo or silhouette, name, tier, balances in the session's digits, history, keys."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt

from app.domain.ledger import EntryKind
from app.format import card_number_text, local_datetime, points_text, toman_text
from app.services.identify import MemberProfile, find_member
from app.store import members, replica, sync_state
from app.ui.views.member import MemberView
from app.ui.widgets.banner import BannerKind
from app.ui.widgets.photo import PLACEHOLDER_BACKGROUND, decode_photo
from sync.protocol import SetAsideResolvedChange
from sync.translate import changes_from_wire

LATIN_DIGIT = re.compile("[0-9]")
PERSIAN_DIGIT = re.compile("[۰-۹]")


@pytest.fixture
def view(qtbot, ctx) -> Iterator[MemberView]:
    member = MemberView(ctx)
    qtbot.addWidget(member)
    member.resize(1180, 720)
    member.show()
    yield member
    qtbot.waitUntil(lambda: not ctx.tasks.busy())


@pytest.fixture
def maryam(club) -> tuple[MemberProfile, bytes]:
    with club.terminal.db.read() as conn:
        photo = members.photo(conn, club.maryam.id)
    return find_member(club.terminal, club.maryam.id), photo


def show_with_history(qtbot, view: MemberView, *args, **kwargs) -> None:
    """show_member, then wait for its recent activity: a shown view fills it in after painting the face."""
    with qtbot.waitSignal(view.history_shown, timeout=5000):
        view.show_member(*args, **kwargs)


def history_column(view: MemberView, column: int) -> list[str]:
    table = view.history_table
    return [table.item(row, column).text() for row in range(table.rowCount())]


def test_shows_name_tier_and_balances_in_the_session_digits(view: MemberView, maryam, lang: str) -> None:
    profile, photo = maryam
    view.show_member(profile, photo, earn_only=False)
    assert view.name_label.text() == profile.member.name
    assert view.tier_badge.text() == (profile.tier.name_fa if lang == "fa" else profile.tier.name_en)
    assert view.tier_badge.tier_code() == "bronze"
    points = view.points_tile.value.text()
    assert profile.balance.points > 500
    assert points == points_text(profile.balance.points, lang)
    assert view.wallet_tile.value.text() == toman_text(profile.balance.wallet_rials, lang)
    wrong, right = (LATIN_DIGIT, PERSIAN_DIGIT) if lang == "fa" else (PERSIAN_DIGIT, LATIN_DIGIT)
    for text in (points, view.since_label.text(), *history_column(view, MemberView.POINTS)):
        assert right.search(text) and not wrong.search(text), text


def test_member_since_and_card_number(view: MemberView, maryam, lang: str) -> None:
    profile, photo = maryam
    view.show_member(profile, photo, earn_only=False)
    joined = local_datetime(profile.member.joined_at_us).date()
    if lang == "fa":
        assert view.since_label.text().startswith("۱۴")  # a Jalali year
    else:
        assert view.since_label.text() == joined.isoformat()
    assert view.cards_label.text() == card_number_text(profile.cards[0].number)
    assert view.cards_label.text().startswith("\u2066")  # left-to-right inside Persian


def test_photo_is_shown_large(view: MemberView, maryam) -> None:
    profile, photo = maryam
    view.show_member(profile, photo, earn_only=False)
    assert view.photo.has_photo()
    assert not view.photo.image().isNull()
    assert min(view.photo.width(), view.photo.height()) >= 240
    assert not view.photo.grab().isNull()


def test_placeholder_without_a_photo(view: MemberView, club) -> None:
    view.show_member(find_member(club.terminal, club.john.id), None, earn_only=False)
    assert not view.photo.has_photo()
    assert view.photo.image() is None
    image = view.photo.grab().toImage()
    assert image.pixelColor(image.width() // 2, image.height() // 10) == PLACEHOLDER_BACKGROUND
    assert image.pixelColor(image.width() // 2, image.height() * 38 // 100) != PLACEHOLDER_BACKGROUND  # head


def test_bytes_that_are_not_a_photo_show_the_placeholder(view: MemberView, maryam) -> None:
    view.show_member(maryam[0], b"not a jpeg", earn_only=False)
    assert not view.photo.has_photo()


def test_a_photo_decoded_on_another_thread_is_shown(view: MemberView, maryam) -> None:
    profile, photo = maryam
    with ThreadPoolExecutor(1) as worker:  # the window decodes on its worker, the UI thread only paints
        image = worker.submit(decode_photo, photo).result()
    assert image is not None and decode_photo(b"not a jpeg") is None and decode_photo(None) is None
    view.show_member(profile, image, earn_only=False)
    assert view.photo.has_photo()
    assert view.photo.image() is image  # painted as it came: no copy, no conversion on the UI thread


def test_history_with_unsynced_marker(qtbot, view: MemberView, maryam, lang: str) -> None:
    profile, photo = maryam
    assert profile.recent and profile.unsynced  # no server yet: nothing is acknowledged
    show_with_history(qtbot, view, profile, photo, earn_only=False)
    assert view.history_table.rowCount() == len(profile.recent)
    marker = view.unsynced_text()
    assert history_column(view, MemberView.SYNC) == [
        marker if e.id in profile.unsynced else "" for e in profile.recent
    ]
    assert view.tr("Purchase") in history_column(view, MemberView.WHAT)
    assert any(text.strip("\u2066\u2069").startswith("+") for text in history_column(view, MemberView.POINTS))
    show_with_history(qtbot, view, replace(profile, unsynced=set()), photo, earn_only=False)
    assert set(history_column(view, MemberView.SYNC)) == {""}


def test_the_servers_give_back_of_expired_points_is_named_so(
    qtbot, view: MemberView, maryam, lang: str
) -> None:
    """The server's expire entries: points expired (negative), and points it gives back (positive) because a
    spend made offline before its run had used them already (app.domain.expiry)."""
    profile, photo = maryam
    sale = profile.recent[0]
    expired = replace(sale, id="x-expired", kind=EntryKind.EXPIRE, points_delta=-100, sale_amount=0)
    back = replace(sale, id="x-back", kind=EntryKind.EXPIRE, points_delta=30, sale_amount=0)
    recent = [back, expired, *profile.recent]
    show_with_history(qtbot, view, replace(profile, recent=recent), photo, earn_only=False)
    what = history_column(view, MemberView.WHAT)
    assert what[:2] == [view.tr("Expiry given back"), view.tr("Points expired")]
    if lang == "fa":
        assert what[0] == "بازگشت امتیاز منقضی‌شده"


def test_an_entry_the_server_set_aside_is_marked_not_counted(
    qtbot, view: MemberView, club, lang: str
) -> None:
    """The server set a sale aside (as its answer to a push would): the balance no longer holds its points,
    and the history says why the cashier will not find them there."""
    before = find_member(club.terminal, club.maryam.id)
    sale = next(e for e in before.recent if e.points_delta > 0)
    with club.terminal.db.write() as conn:
        sync_state.acknowledge_entry(conn, sale.id, "rejected", at_us=1, reason="velocity_limit")
    profile = find_member(club.terminal, club.maryam.id)
    assert profile.set_aside == {sale.id}
    assert profile.balance.points == before.balance.points - sale.points_delta
    show_with_history(qtbot, view, profile, None, earn_only=False)
    marks = dict(zip((e.id for e in profile.recent), history_column(view, MemberView.SYNC), strict=True))
    assert marks[sale.id] == view.set_aside_text() != view.unsynced_text()
    assert (view.set_aside_text() == "کنار گذاشته شده: حساب نشده") == (lang == "fa")


def test_a_refusal_the_review_confirmed_is_marked_refused(qtbot, view: MemberView, club, lang: str) -> None:
    """The club's review confirmed that the set-aside sale stays refused (as a pull brings it): the history
    says so, with the reviewer's note, instead of 'set aside'; it still counts nowhere."""
    before = find_member(club.terminal, club.maryam.id)
    sale = next(e for e in before.recent if e.points_delta > 0)
    decided = SetAsideResolvedChange(
        seq=10**6, entry_id=sale.id, device_id=sale.device_id, member_id=sale.member_id,
        decision="refused", decided_at_us=2, note="not a real sale",
    )  # fmt: skip
    with club.terminal.db.write() as conn:
        sync_state.acknowledge_entry(conn, sale.id, "rejected", at_us=1, reason="velocity_limit")
        replica.apply_changes(conn, changes_from_wire([decided]), self_device_id=sale.device_id, at_us=3)
    profile = find_member(club.terminal, club.maryam.id)
    assert profile.refused == {sale.id: "not a real sale"}
    assert profile.balance.points == before.balance.points - sale.points_delta
    show_with_history(qtbot, view, profile, None, earn_only=False)
    row = [e.id for e in profile.recent].index(sale.id)
    mark = view.history_table.item(row, MemberView.SYNC)
    assert mark.text() == view.refused_text() != view.set_aside_text()
    assert "not a real sale" in mark.toolTip()
    assert (view.refused_text() == "پس از بررسی رد شد") == (lang == "fa")


def test_an_override_is_shown_as_the_managers(qtbot, view: MemberView, club, overridden_sale) -> None:
    show_with_history(qtbot, view, find_member(club.terminal, club.maryam.id), None, earn_only=False)
    newest_first = [view.tr("Manager override"), view.tr("Points spent"), view.tr("Purchase")]
    assert history_column(view, MemberView.WHAT)[:3] == newest_first
    assert (view.tr("Manager override") == "اجازه مدیر") == (view.ctx.session.lang == "fa")


def test_no_history_says_so(view: MemberView, club) -> None:
    view.show_member(find_member(club.terminal, club.john.id), None, earn_only=False)
    assert not view.history_table.isVisible()
    assert view.empty_history_label.isVisible()


def test_birthday_flag(view: MemberView, maryam, club) -> None:
    profile, photo = maryam
    view.show_member(profile, photo, earn_only=False)
    assert not view.birthday_label.isVisible()  # no birth date on file
    today = local_datetime(club.terminal.clock.now_us()).date()

    def born_in(days_ahead: int) -> MemberProfile:
        day = today + timedelta(days=days_ahead)
        born = date(1992, day.month, day.day)  # 1992 is a leap year: 29 February exists
        return replace(profile, member=replace(profile.member, birth_date=born))

    for days_ahead, text in ((0, view.tr("Birthday today!")), (5, view.tr("Birthday this week"))):
        view.show_member(born_in(days_ahead), photo, earn_only=False)
        assert view.birthday_label.isVisible()
        assert view.birthday_label.text() == text
    view.show_member(born_in(40), photo, earn_only=False)
    assert not view.birthday_label.isVisible()


def test_earn_only_notice(view: MemberView, maryam) -> None:
    profile, photo = maryam
    view.show_member(profile, photo, earn_only=True)
    assert view.earn_only_banner.isVisible()
    assert view.earn_only_banner.kind() is BannerKind.WARNING
    assert view.earn_only_banner.title_label.text() == view.tr("Points can be earned but not spent")
    view.show_member(profile, photo, earn_only=False)
    assert not view.earn_only_banner.isVisible()


@pytest.mark.parametrize(
    ("key", "signal"),
    [
        (Qt.Key.Key_Return, "checkout_requested"),
        (Qt.Key.Key_Enter, "checkout_requested"),
        (Qt.Key.Key_F5, "checkout_requested"),
        (Qt.Key.Key_Escape, "back_requested"),
        (Qt.Key.Key_F8, "manager_requested"),
    ],
)
def test_keys(qtbot, view: MemberView, maryam, key: Qt.Key, signal: str) -> None:
    view.show_member(*maryam, earn_only=False)
    with qtbot.waitSignal(getattr(view, signal)):
        qtbot.keyClick(view, key)


def test_buttons(qtbot, view: MemberView, maryam) -> None:
    view.show_member(*maryam, earn_only=False)
    buttons = {
        view.checkout_button: view.checkout_requested,
        view.back_button: view.back_requested,
        view.manager_button: view.manager_requested,
    }
    for button, signal in buttons.items():
        assert button.height() >= 48
        with qtbot.waitSignal(signal):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert "F5" in view.checkout_button.text() and "Esc" in view.back_button.text()
    assert "F8" in view.manager_button.text()


def test_switching_language_redraws_the_numbers(view: MemberView, maryam, ctx, lang: str) -> None:
    profile, photo = maryam
    view.show_member(profile, photo, earn_only=False)
    other = "en" if lang == "fa" else "fa"
    ctx.session.set_language(other)
    assert view.points_tile.value.text() == points_text(profile.balance.points, other)
    assert view.tier_badge.text() == (profile.tier.name_fa if other == "fa" else profile.tier.name_en)


def test_an_erased_member_is_shown_as_erased(view: MemberView, maryam, lang: str) -> None:
    profile, _photo = maryam
    erased = replace(profile, member=replace(profile.member, name="—", phone="erased", birth_date=None))
    view.show_member(erased, None, earn_only=False)
    assert view.name_label.text() == ("عضو حذف‌شده" if lang == "fa" else "Erased member")
    assert view.earn_only_banner.isVisible() and view.earn_only_banner.kind() is BannerKind.INFO
    title = view.earn_only_banner.title_label.text()
    assert title == ("باشگاه اطلاعات شخصی این عضو را پاک کرده است" if lang == "fa" else
                     "The club erased this member's personal data")  # fmt: skip
    assert view.points_tile.value.text() == points_text(profile.balance.points, lang)  # the points stay
    view.show_member(profile, None, earn_only=False)
    assert view.name_label.text() == profile.member.name and not view.earn_only_banner.isVisible()


class StyleChanges:
    """Counts the style changes (re-polishes) a widget receives."""

    def __init__(self, widget) -> None:
        from PySide6.QtCore import QEvent, QObject

        self.count = 0

        class Filter(QObject):
            def eventFilter(inner, watched, event):  # noqa: N802, N805 (Qt's name; `self` is taken)
                if event.type() == QEvent.Type.StyleChange:
                    self.count += 1
                return False

        self._filter = Filter(widget)
        widget.installEventFilter(self._filter)


def test_the_next_member_of_the_same_tier_repolishes_nothing(view: MemberView, maryam) -> None:
    """Setting the same style sheet again re-polished the badge and the programme panel at every tap."""
    profile, photo = maryam
    view.show_member(profile, photo, earn_only=False)
    watched = [StyleChanges(view.tier_badge), StyleChanges(view.programme_panel)]
    view.show_member(profile, photo, earn_only=False)
    assert [w.count for w in watched] == [0, 0]


def test_the_face_is_painted_before_the_history_is_filled(qtbot, view: MemberView, maryam, club) -> None:
    """The recent activity's rows cost the tap's first frame a third of its time: they follow the paint,
    in the table's place already held, and never show the member before's rows meanwhile."""
    profile, photo = maryam
    show_with_history(qtbot, view, profile, photo, earn_only=False)
    john = find_member(club.terminal, club.john.id)
    assert not john.recent
    view.show_member(profile, photo, earn_only=False)
    assert view.name_label.text() == profile.member.name  # at once
    assert view.history_table.isVisible() and view.history_table.rowCount() == 0  # not yet, nobody's
    assert not view.empty_history_label.isVisible()  # nor "no purchases yet" for a member with some
    with qtbot.waitSignal(view.history_shown, timeout=5000) as shown:
        pass
    assert shown.args == [profile.member.id] and view.history_table.rowCount() == len(profile.recent)
    view.show_member(john, None, earn_only=False)
    assert view.history_table.rowCount() == 0 and view.empty_history_label.isVisible()
