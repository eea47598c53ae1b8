# SPDX-License-Identifier: GPL-3.0-or-later
"""The main window: one screen at a time (login → idle → member → checkout → receipt, or the event door),
a status bar, card taps routed to the member they name (or, at the door, to the door's verdict), and the
idle lock.

An event host logs in straight to the door (`DoorView`); a manager or admin opens it with F7 and goes back
to the till with F7. On the member screen F3 sells a membership card and F4 gives a reward (the club's
programme, app.ui.dialogs.membership / rewards); F8's manager tools include a brand-ambassador grant.

The window's own keys (F7, F9, Shift+F9, F10, F12, Alt+F4) are keys, not QShortcuts: Qt matches a shortcut
only in the active window, and in an X session with no window manager (a shop's kiosk) no window is ever
active, though keys still reach the focused field. A key the screen in front does not take goes up to the
window (`keyPressEvent`): the same path with and without a window manager, so a key acts once; a modal
dialog's keys stay in the dialog. `enter_kiosk` (`bashgah --kiosk`) shows the window full screen without a
frame, and only a manager's PIN closes it.

Navigation lives here and only here; views emit signals. Card events arrive through the CardBridge's
queued signal; identifying a card and loading a member run on the worker. Whatever writes something the
club server should have (a sale, an enrolment, a card, a manager's correction) wakes the sync worker of an
enrolled terminal, so it goes out at once.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QInputEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow, QMenu, QStackedWidget, QWidget

from app.cards.base import CardEvent, CardEventKind
from app.domain.branch import Branch
from app.domain.errors import ClubError
from app.domain.staff import Action, Role, Staff
from app.domain.tier import Tier
from app.messages import read_error_text
from app.ui.bridges import CardBridge
from app.ui.context import UiContext
from app.ui.first_paint import after_first_paint
from app.ui.messages import club_error_text
from app.ui.status import StatusBarWidget
from app.ui.views.login import LoginView
from app.ui.widgets.photo import decode_photo

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

    from app.services.cards import CardIdentification
    from app.services.identify import MemberProfile
    from app.services.terminal import Terminal
    from app.ui.views.checkout import CheckoutView
    from app.ui.views.door import DoorView, UndoTarget
    from app.ui.views.idle import IdleView
    from app.ui.views.member import MemberView
    from app.ui.views.receipt import ReceiptView

DEFAULT_IDLE_LOCK_MS = 5 * 60 * 1000
PhotoFrame = tuple[int, float]  # the side the member view paints a photo at, and the screen's pixel ratio
# Imported on the worker after log-in: what the cashier's screens need that defines no Qt class.
_AFTER_LOGIN = (
    "app.services.identify", "app.services.cards", "app.services.checkout", "app.services.spending",
    "app.ui.spend_limit",
    "app.receipts.content", "app.receipts.escpos", "app.receipts.qr", "app.receipts.setup",
    "app.services.programme", "app.services.bonuses", "app.domain.pricing", "sync.rules",
)  # fmt: skip
# ... and then these on the UI thread: a module defining QWidget classes imported on another thread
# while the UI thread built widgets crashed PySide 6.11 now and then (the first checkout's constructor)
_VIEWS_AFTER_LOGIN = ("app.ui.views.checkout", "app.ui.views.receipt")
_ACTIVITY = (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin)
# Keys of the member screen that open the programme's dialogs (F5 / Enter checkout, F8 manager and Esc are
# the view's own; F7, F9, F10 and F12 are the window's everywhere)
MEMBERSHIP_KEY, REWARDS_KEY = Qt.Key.Key_F3, Qt.Key.Key_F4
# The window's keys on every screen (the method each calls), unless the screen in front takes the key first
# (the receipt's F7 saves the PDF). Alt+F4 closes the window where no window manager does it; in a kiosk
# the window then asks for a manager's PIN.
WINDOW_KEYS = {
    "F7": "toggle_door",
    "F9": "tap_demo_card",
    "Shift+F9": "tap_damaged_demo_card",
    "F10": "toggle_language",
    "F12": "lock",
    "Alt+F4": "close",
}
_KEYPAD = Qt.KeyboardModifier.KeypadModifier


@dataclass(frozen=True, slots=True)
class MemberScreen:
    """Everything the member and checkout screens need, loaded together on the worker."""

    profile: MemberProfile
    photo: QImage | None  # decoded on the worker: the UI thread only paints it
    branch: Branch
    tier: Tier
    earn_only: bool
    # why the card is for earning only (the verdict's own text: an old revocation list, a chip not checked
    # here, an old card the club takes for earning only); None: the usual old-list text
    earn_only_why: ClubError | None = None


def load_member_screen(
    terminal: Terminal,
    member_id: str,
    earn_only: bool,
    earn_only_why: ClubError | None = None,
    photo_frame: PhotoFrame = (0, 1.0),
) -> MemberScreen:
    """Worker: the member, their photo and the branch's rules, read in one snapshot; the photo decoded and
    framed for the member view (`photo_frame`: `PhotoWidget.pixel_side()`), so that the UI thread only
    copies its pixels when it paints."""
    from app.services.identify import member_profile  # on the worker: not needed for the first frame
    from app.store import club, members

    with terminal.db.read() as conn:
        photo = members.photo(conn, member_id)
        profile = member_profile(conn, member_id, has_photo=photo is not None)
        branch = club.branch(conn, terminal.branch_id)
    image = decode_photo(photo, *photo_frame)
    return MemberScreen(profile, image, branch, profile.tier, earn_only, earn_only_why)


def read_card(
    terminal: Terminal, event: CardEvent, photo_frame: PhotoFrame = (0, 1.0)
) -> tuple[CardIdentification | None, MemberScreen | None]:
    """Worker: who a tapped card names and, when it is valid, their screen, in one trip to the worker."""
    # Verification pulls in cryptography, ndef and Pillow: imported here, off the UI thread and after
    # start-up, rather than before the login screen can show.
    from app.services.cards import identify_event

    # a read snapshot: never waits for a writer (a pull being applied); the tap's report follows the member
    # on screen (`record_tap`)
    result = identify_event(terminal, event, record_tap=False)
    if result is None or not result.verdict.valid or result.member is None:
        return result, None
    verdict = result.verdict
    why = verdict.error() if verdict.earn_only else None
    return result, load_member_screen(terminal, result.member.id, verdict.earn_only, why, photo_frame)


def _log_out(terminal: Terminal, staff: Staff) -> None:
    from app.services.staff_auth import log_out

    log_out(terminal, staff)


def _import_after_login() -> None:
    for module in _AFTER_LOGIN:
        importlib.import_module(module)


def _import_views_after_login(_done: object) -> None:
    for module in _VIEWS_AFTER_LOGIN:
        importlib.import_module(module)


class MainWindow(QMainWindow):
    member_shown = Signal(str)  # member id, once the member view is painted with the profile
    card_refused = Signal(str)  # the reason code, once the refusal is on screen

    def __init__(
        self,
        ctx: UiContext,
        bridge: CardBridge,
        switch_language: Callable[[str], None],
        idle_lock_ms: int = DEFAULT_IDLE_LOCK_MS,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self._switch_language = switch_language
        self._screen: MemberScreen | None = None
        self._pending_write: str | None = None  # member whose card the next tap on a PC/SC reader gets
        self.stack = QStackedWidget()
        self.login = LoginView(ctx)
        self._idle: IdleView | None = None  # the till's views: built just after the first frame (`idle`)
        self._member: MemberView | None = None
        self._checkout: CheckoutView | None = None  # built on first use: see `checkout`
        self._receipt: ReceiptView | None = None
        self._door: DoorView | None = None  # built when a host (or a manager, F7) first opens it
        self._member_dialog: QDialog | None = None  # the programme dialog opened last (F3, F4, ambassador)
        self._kiosk = False  # `--kiosk`: full screen, no frame, closed only with a manager's PIN
        self._close_approved = False
        self._exit_dialog: QDialog | None = None
        self.stack.addWidget(self.login)
        self.setCentralWidget(self.stack)
        self.status = StatusBarWidget(ctx)
        self.setStatusBar(self.status)
        self._wire(bridge)
        self._shortcuts()
        self._idle_timer = QTimer(self, singleShot=True, interval=idle_lock_ms, timeout=self.lock)
        self._watching_activity = False
        self._preloaded = False
        self._till_built = False
        self._when_till_built: list[Callable[[], object]] = []
        self.resize(1180, 760)
        self.retranslate()
        self.show_login()
        after_first_paint(self.login, self._build_till)

    # ---------------------------------------------------------------- wiring

    def _wire(self, bridge: CardBridge) -> None:
        self.login.logged_in.connect(self.on_logged_in)
        bridge.card_presented.connect(self.on_card_presented)
        bridge.readers_changed.connect(lambda _event: self.status.retranslate())
        self.ctx.session.staff_changed.connect(self._watch_activity)
        self.ctx.session.staff_changed.connect(self._preload_after_login)

    def _shortcuts(self) -> None:
        self._keys: dict[int, Callable[[], object]] = {
            QKeySequence(keys)[0].toCombined(): getattr(self, name) for keys, name in WINDOW_KEYS.items()
        }

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        """The window's keys: what no screen took, from whichever child had the focus, active or not."""
        combined = event.keyCombination().toCombined() & ~_KEYPAD.value
        action = self._keys.get(combined)
        if action is None or event.isAutoRepeat():  # a held F9 taps once, a held F12 locks once
            super().keyPressEvent(event)
            return
        event.accept()
        action()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        elif event.type() == QEvent.Type.WindowStateChange and self._kiosk and not self._fills_screen():
            QTimer.singleShot(0, self._back_to_full_screen)  # a window manager minimised or restored it
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Bashgah — customer club"))

    # ---------------------------------------------------------------- kiosk

    def enter_kiosk(self) -> None:
        """`--kiosk`: full screen with no frame, and only a manager's PIN closes it (`closeEvent`)."""
        self._kiosk = True
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        self.showFullScreen()
        # full screen is the window manager's to do (_NET_WM_STATE_FULLSCREEN): with none, the window would
        # keep its size in a corner, so it takes the screen's geometry itself, and follows the screen's
        self.setGeometry(self.screen().geometry())
        self.screen().geometryChanged.connect(self._fill_screen)
        # with no window manager nobody gives the window the keyboard: Qt sets X's input focus to it
        self.activateWindow()

    @property
    def kiosk(self) -> bool:
        return self._kiosk

    def _back_to_full_screen(self) -> None:
        self.showFullScreen()
        self._fill_screen()

    def _fill_screen(self) -> None:
        if self._kiosk:
            self.setGeometry(self.screen().geometry())

    def _fills_screen(self) -> bool:
        return self.isFullScreen() and not self.isMinimized()  # minimised, the full-screen flag stays

    def approve_close(self) -> None:
        """Let the next close through (a manager's PIN did; the process is ending)."""
        self._close_approved = True

    def ask_to_close(self) -> QDialog:
        """A kiosk's way out: a manager's PIN, then the window closes."""
        if self._exit_dialog is not None and shiboken6.isValid(self._exit_dialog):
            self._exit_dialog.raise_()
            return self._exit_dialog
        from app.ui.dialogs.kiosk import KioskExitDialog

        dialog = KioskExitDialog(self.ctx, self)
        dialog.exit_approved.connect(self._close_as_approved)
        self._exit_dialog = dialog
        dialog.open()
        return dialog

    def _close_as_approved(self, _manager: object) -> None:
        self.approve_close()
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self._kiosk and not self._close_approved:  # Alt+F4, a window manager's close, a stray close()
            event.ignore()
            self.ask_to_close()
            return
        self.status.stop()
        self._idle_timer.stop()
        self._watch_activity(None)
        super().closeEvent(event)

    def _watch_activity(self, staff: object) -> None:
        """Watch every event in the application for activity only while someone is logged in.

        An application-wide filter in Python wraps every event of every object (and makes PySide build
        the Python enums of every class it meets): the first paint took 80 ms longer with it, and with
        nobody logged in there is no lock to postpone.
        """
        watch = staff is not None
        if watch != self._watching_activity:
            app = QApplication.instance()
            (app.installEventFilter if watch else app.removeEventFilter)(self)
            self._watching_activity = watch

    def _preload_after_login(self, staff: object) -> None:
        """Import on the worker what only a logged-in cashier uses (reading cards, checkout, receipts),
        so that neither the login screen, nor the first tap, key or checkout waits for it on the UI thread;
        then their view modules on the UI thread. The views themselves are built when first shown."""
        if staff is not None and not self._preloaded:
            self._preloaded = True
            self.ctx.tasks.run(_import_after_login, _import_views_after_login, lambda _e: None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # every event of the application passes here while someone is logged in (a tap's screen change
        # sends a hundred: show, layout, paint); only input can be activity or a key
        if not isinstance(event, QInputEvent):
            return False
        kind = event.type()
        if kind in _ACTIVITY:
            self._idle_timer.start()  # any activity postpones the lock
        if watched is self._member and kind == QEvent.Type.KeyPress:
            return self._member_key(event)
        return False

    def _member_key(self, event: QKeyEvent) -> bool:
        """F3 and F4 on the member screen (keys of the window, not shortcuts: the door and the receipt
        give F3 / F4 other meanings, and the view stays unaware of the dialogs)."""
        key = event.key()
        if event.modifiers() != Qt.KeyboardModifier.NoModifier or key not in (MEMBERSHIP_KEY, REWARDS_KEY):
            return False
        (self.open_membership if key == MEMBERSHIP_KEY else self.open_rewards)()
        return True

    # ---------------------------------------------------------------- screens

    # The till's idle and member screens (and their modules) are built just after the login screen's first
    # frame (`_build_till`), while the cashier types a PIN, or when first needed; the window shows sooner.
    @property
    def idle(self) -> IdleView:
        if self._idle is None:
            from app.ui.views.idle import IdleView

            self._idle = IdleView(self.ctx)
            self._idle.member_chosen.connect(self.open_member)
            self._idle.enroll_requested.connect(self.open_enrolment)
            self._idle.door_requested.connect(self.toggle_door)
            self._idle.qr_scanned.connect(self.on_qr_scanned)
            self.stack.addWidget(self._idle)
        return self._idle

    @property
    def member(self) -> MemberView:
        """The one member view, reused from member to member (`MemberView.show_member`)."""
        if self._member is None:
            from app.ui.views.member import MemberView

            self._member = MemberView(self.ctx)
            self._member.checkout_requested.connect(self.start_checkout)
            self._member.back_requested.connect(self.show_idle)
            self._member.manager_requested.connect(self.open_manager_actions)
            self._member.installEventFilter(self)  # F3 / F4: the programme's dialogs (see `_member_key`)
            self.stack.addWidget(self._member)
        return self._member

    def _build_till(self) -> None:
        _ = self.idle, self.member  # reading them builds them
        self._till_built = True
        waiting, self._when_till_built = self._when_till_built, []
        for then in waiting:
            then()

    def after_till_built(self, then: Callable[[], object]) -> None:
        """Call `then` once the till's views are built (just after the first frame), or now if they are."""
        if self._till_built:
            then()
        else:
            self._when_till_built.append(then)

    # The checkout and receipt screens (and their modules: the sale use case, receipts, printers) are
    # built when first shown, not before the login screen; their modules are loaded on the worker at
    # log-in (`_preload_after_login`), so building them then takes a few milliseconds.
    @property
    def checkout(self) -> CheckoutView:
        if self._checkout is None:
            from app.ui.views.checkout import CheckoutView

            self._checkout = CheckoutView(self.ctx)
            self._checkout.sale_recorded.connect(self.show_receipt)
            self._checkout.sale_recorded.connect(self.on_data_written)
            self._checkout.cancelled.connect(self.back_to_member)
            self._checkout.override_requested.connect(self.open_override)
            self.stack.addWidget(self._checkout)
        return self._checkout

    @property
    def receipt(self) -> ReceiptView:
        if self._receipt is None:
            from app.ui.views.receipt import ReceiptView

            self._receipt = ReceiptView(self.ctx)
            self._receipt.done.connect(self.show_idle)
            self.stack.addWidget(self._receipt)
        return self._receipt

    def show_login(self) -> None:
        self.login.reset()
        self.stack.setCurrentWidget(self.login)

    def on_logged_in(self, staff: Staff) -> None:
        """A host works at the door and only there; everyone else starts at the till."""
        if staff.role is Role.HOST:
            self.show_door()
        else:
            self.show_idle()

    def show_idle(self) -> None:
        staff = self.ctx.session.staff
        if staff is not None and staff.role is Role.HOST:
            self.show_door()  # a host has no till to go back to
            return
        self._screen = None
        self.idle.clear()
        self.stack.setCurrentWidget(self.idle)
        self._idle_timer.start()
        self.status.refresh()

    def lock(self) -> None:
        """Log out (F12, or after the idle time): the next person must type their PIN."""
        staff = self.ctx.session.staff
        if staff is not None:
            self.ctx.tasks.run(lambda: _log_out(self.ctx.terminal, staff), None, lambda _e: None)
            self.ctx.session.log_out()
        self._idle_timer.stop()
        # nothing stays open over the login screen: a form with a member's data, the enrolment's camera
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible():
                dialog.reject()
        self.show_login()

    # ---------------------------------------------------------------- the event door

    @property
    def door(self) -> DoorView:
        """The door view, built on first use (its module loads the door's use cases: see `show_door`)."""
        if self._door is None:
            from app.ui.views.door import DoorView

            self._door = DoorView(self.ctx)
            self._door.admission_written.connect(self.on_data_written)
            self._door.undo_requested.connect(self.open_undo_admission)
            self._door.export_requested.connect(self.export_attendance)
            self._door.attendance_exported.connect(self._on_attendance_exported)
            self._door.leave_requested.connect(self.show_idle)
            self.stack.addWidget(self._door)
        return self._door

    def door_open(self) -> bool:
        return self._door is not None and self.stack.currentWidget() is self._door

    def show_door(self) -> None:
        """The event door: its use cases (cards, invitations, the wire models) are imported on the worker
        first, so that building the view never makes the UI thread wait on imports."""
        if self._door is not None:
            self._open_door()
            return
        self.ctx.tasks.run(
            lambda: importlib.import_module("app.services.door"), self._open_door, self._show_error
        )

    def _open_door(self, _module: object = None) -> None:
        if self.ctx.session.staff is None:  # locked while the modules loaded
            return
        self._screen = None
        door = self.door
        self.stack.setCurrentWidget(door)
        door.start()
        self._idle_timer.start()
        self.status.refresh()

    def toggle_door(self) -> None:
        """F7: a manager or admin opens the door, or goes back to the till; a host stays at the door."""
        staff = self.ctx.session.staff
        if staff is None or self.stack.currentWidget() in (self._checkout, self._receipt):
            return
        if self.door_open():
            if staff.role is not Role.HOST:
                self.show_idle()
        elif staff.may(Action.CHECK_IN):
            self.show_door()
        else:
            self.statusBar().showMessage(self.tr("Only event hosts and managers work at the door."), 4000)

    def open_undo_admission(self, target: UndoTarget) -> None:
        """F8 at the door: a manager's PIN and a reason undo the admission on screen."""
        from app.ui.dialogs.manager import UndoAdmissionDialog

        dialog = UndoAdmissionDialog(
            self.ctx, target.event_id, target.check_in_id, target.guest_name, target.at_us,
            plus_one=target.plus_one, parent=self,
        )  # fmt: skip
        undone: list[str] = []
        dialog.admission_undone.connect(undone.append)
        dialog.admission_undone.connect(self.on_data_written)
        dialog.finished.connect(lambda _code: self.door.on_undo_finished(bool(undone)))
        dialog.open()

    def export_attendance(self) -> None:
        """F4 at the door: where to save the attendance list (CSV), then the door writes it on the worker."""
        from PySide6.QtWidgets import QFileDialog

        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Export attendance"), self.door.export_file_name(), self.tr("CSV files (*.csv)")
        )
        if path:
            self.door.export_attendance(path)

    def _on_attendance_exported(self, path: str) -> None:
        self.statusBar().showMessage(self.tr("Attendance saved to {path}").format(path=path), 8000)

    def toggle_language(self) -> None:
        self._switch_language("en" if self.ctx.session.lang == "fa" else "fa")

    def open_member(self, member_id: str, earn_only: bool = False, why: ClubError | None = None) -> None:
        terminal, frame = self.ctx.terminal, self.member.photo.pixel_side()
        self.ctx.tasks.run(
            lambda: load_member_screen(terminal, member_id, earn_only, why, frame),
            self._show_member,
            self._show_error,
        )

    def _show_member(self, screen: MemberScreen) -> None:
        self._screen = screen
        why = club_error_text(screen.earn_only_why, self.ctx.session.lang) if screen.earn_only_why else None
        self.member.show_member(screen.profile, screen.photo, screen.earn_only, earn_only_why=why)
        self.stack.setCurrentWidget(self.member)
        self.member_shown.emit(screen.profile.member.id)

    def back_to_member(self) -> None:
        if self._screen is None:
            self.show_idle()
        else:
            screen = self._screen
            self.open_member(screen.profile.member.id, screen.earn_only, screen.earn_only_why)

    def start_checkout(self) -> None:
        if self._screen is None:
            return
        s = self._screen
        self.checkout.start(s.profile, s.branch, s.tier, s.earn_only)
        self.stack.setCurrentWidget(self.checkout)

    def show_receipt(self, result: object) -> None:
        member = self._screen.profile.member if self._screen else None
        self.receipt.show_sale(result, member)
        self.stack.setCurrentWidget(self.receipt)
        self.status.refresh()

    def on_data_written(self, *_result: object) -> None:
        """Something the club server should have was written: the sync worker sends it now."""
        if self.ctx.sync is not None:
            self.ctx.sync.wake()

    def open_override(self) -> None:
        """F8 at checkout (offline beyond the grant): a manager's PIN and reason let the sale spend more."""
        from app.ui.dialogs.manager import OverrideDialog

        checkout, screen = self.checkout, self._screen
        limit = checkout.spend_limit
        if screen is None or limit is None:
            return
        points = checkout.redeem_points if checkout.awaiting_manager else None
        dialog = OverrideDialog(
            self.ctx, screen.profile, limit.offline_cap(), points=points, clock_behind=limit.clock_behind,
            parent=self,
        )  # fmt: skip
        dialog.override_approved.connect(checkout.apply_override)
        dialog.rejected.connect(checkout.on_override_declined)
        dialog.open()

    def open_enrolment(self) -> None:
        from app.ui.dialogs.enroll import EnrollDialog

        dialog = EnrollDialog(self.ctx, self)
        dialog.enrolled.connect(lambda result: self.open_member(result.member.id))
        dialog.enrolled.connect(self.on_data_written)
        dialog.qr_issued.connect(self.on_data_written)
        dialog.card_write_requested.connect(self.await_blank_card)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def await_blank_card(self, member_id: str) -> None:
        """The next card tapped on a PC/SC reader gets this member's card written onto it."""
        self._pending_write = member_id
        self.statusBar().showMessage(self.tr("Place the blank card on the reader…"), 30_000)

    def open_manager_actions(self) -> None:
        """F8 on the member screen: reverse an entry, adjust points (the use cases check the role), or see
        the branch's day report."""
        from app.ui.dialogs.manager import AdjustDialog, ReverseDialog

        if self._screen is None:
            return
        profile = self._screen.profile
        menu = QMenu(self)
        reverse = menu.addAction(self.tr("Reverse an entry…"))
        adjust = menu.addAction(self.tr("Adjust points…"))
        ambassador = menu.addAction(self.tr("Brand ambassador points…"))
        menu.addSeparator()
        day_report = menu.addAction(self.tr("Branch day report…"))
        chosen = menu.exec(self.member.mapToGlobal(self.member.rect().center()))
        if chosen is reverse:
            dialog: QWidget = ReverseDialog(self.ctx, profile, self)
        elif chosen is adjust:
            dialog = AdjustDialog(self.ctx, profile, self)
        elif chosen is ambassador:
            self.open_ambassador()
            return
        elif chosen is day_report:
            self.open_day_report()
            return
        else:
            return
        dialog.finished.connect(lambda _code: self.back_to_member())
        dialog.finished.connect(self.on_data_written)  # harmless when nothing was written
        dialog.open()

    def open_day_report(self) -> QDialog:
        """From F8's manager tools: the branch's day report on screen (the dialog refuses a cashier)."""
        from app.ui.dialogs.day_report import DayReportDialog

        dialog = DayReportDialog(self.ctx, self)
        dialog.open()
        return dialog

    # ---------------------------------------------------------------- the club's programme

    def _member_on_screen(self) -> MemberScreen | None:
        """The member shown, when the member screen is what shows and someone is logged in."""
        if self.ctx.session.staff is None or self.stack.currentWidget() is not self._member:
            return None
        return self._screen

    def open_membership(self) -> None:
        """F3 on the member screen: sell (or renew) a membership card, points off in whole steps."""
        from app.ui.dialogs.membership import MembershipDialog

        screen = self._member_on_screen()
        if screen is None:
            return
        dialog = MembershipDialog(self.ctx, screen.profile, earn_only=screen.earn_only, parent=self)
        dialog.membership_bought.connect(self.on_data_written)
        self._open_member_dialog(dialog)

    def open_rewards(self) -> None:
        """F4 on the member screen: give a reward from this branch's catalogue for points."""
        from app.ui.dialogs.rewards import RewardsDialog

        screen = self._member_on_screen()
        if screen is None:
            return
        dialog = RewardsDialog(self.ctx, screen.profile, earn_only=screen.earn_only, parent=self)
        dialog.reward_redeemed.connect(self.on_data_written)
        self._open_member_dialog(dialog)

    def open_ambassador(self) -> None:
        """From F8's manager tools: a brand-ambassador grant (a manager's PIN, a reason, within the caps)."""
        from app.ui.dialogs.programme import AmbassadorDialog

        screen = self._member_on_screen()
        if screen is None:
            return
        dialog = AmbassadorDialog(self.ctx, screen.profile, self)
        dialog.ambassador_granted.connect(self.on_data_written)
        self._open_member_dialog(dialog)

    def _open_member_dialog(self, dialog: QDialog) -> None:
        """Open a dialog on the member shown; when it closes the member screen is read again (balances)."""
        self._member_dialog = dialog
        dialog.finished.connect(lambda _code: self.back_to_member())
        dialog.open()

    def member_dialog(self) -> QDialog | None:
        """The programme dialog opened last, while it is open (tests drive it)."""
        dialog = self._member_dialog
        return dialog if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible() else None

    def _show_error(self, error: BaseException) -> None:
        self.idle.show_refusal(self.tr("Not found"), club_error_text(error, self.ctx.session.lang))
        self.stack.setCurrentWidget(self.idle)
        self.card_refused.emit(error.code if isinstance(error, ClubError) else "error")

    # ---------------------------------------------------------------- cards

    def on_card_presented(self, event: CardEvent) -> None:
        if self._pending_write is not None and self.ctx.cards is not None and event.source == "pcsc":
            self._write_card(self._pending_write, event)
            return
        if self.ctx.session.staff is None:
            self.statusBar().showMessage(self.tr("Log in first, then tap the card again."), 4000)
            return
        if self.door_open():
            self._idle_timer.start()  # guests tapping in count as activity: the door does not lock on them
            self.door.present_card(event)
            return
        if self.stack.currentWidget() in (self._checkout, self._receipt):
            self.statusBar().showMessage(self.tr("Finish or cancel this sale before the next card."), 4000)
            return
        if event.kind is CardEventKind.READ_FAILED:
            reason = event.error.value if event.error else "reader_failed"
            why = read_error_text(reason, self.ctx.session.lang)
            self._refuse(ClubError("card_unreadable", reason=why), reason)
            return
        terminal, frame = self.ctx.terminal, self.member.photo.pixel_side()  # the worker frames the photo
        self.ctx.tasks.run(
            lambda: read_card(terminal, event, frame),
            lambda read: self._on_card_read(read, event),
            self._show_error,
        )

    def on_qr_scanned(self, text: str) -> None:
        """A scanner typed a member QR (or, at the door, an invitation): the same path as a card."""
        if self.door_open() and self.ctx.session.staff is not None:
            self._idle_timer.start()
            self.door.present_qr(text)
            return
        from app.cards.invitation_qr import is_invitation_text  # signatures: loaded after log-in, not before

        if is_invitation_text(text):
            self.statusBar().showMessage(
                self.tr("An event invitation: scan it at the event door (F7)."), 6000
            )
            return
        event = CardEvent(
            CardEventKind.TAPPED, "wedge", "keyboard", self.ctx.terminal.clock.now_us(), qr_text=text
        )
        self.on_card_presented(event)

    def _on_card_read(
        self, read: tuple[CardIdentification | None, MemberScreen | None], event: CardEvent
    ) -> None:
        result, screen = read
        if result is None:
            return
        if screen is not None:
            self._show_member(screen)
            self._record_tap(result, event)
            return
        verdict = result.verdict
        error = verdict.error() or ClubError("card_unreadable", reason=verdict.reason or "?")
        self._refuse(error, verdict.reason or "refused")

    def _record_tap(self, identified: CardIdentification, event: CardEvent) -> None:
        """The accepted chip card's report for the server (clone detection), written on the worker once the
        member is on screen: the one durable write of a tap, off the path to the member's face."""
        from app.services.cards import record_member_tap

        terminal = self.ctx.terminal
        self.ctx.tasks.run(lambda: record_member_tap(terminal, identified, event))  # a failure is logged

    def _refuse(self, error: ClubError, reason: str) -> None:
        self._screen = None
        self.idle.show_refusal(self.tr("Card refused"), club_error_text(error, self.ctx.session.lang))
        self.stack.setCurrentWidget(self.idle)
        self.card_refused.emit(reason)

    def _write_card(self, member_id: str, event: CardEvent) -> None:
        from app.services.cards import write_card_on_reader

        self._pending_write = None
        ctx, staff = self.ctx, self.ctx.session.staff
        if staff is None or ctx.cards is None:
            return

        def write() -> object:
            return write_card_on_reader(ctx.terminal, ctx.cards, event, member_id, staff=staff)

        def written(prepared: object) -> None:
            self.statusBar().showMessage(self.tr("Card written."), 6000)
            self.on_data_written()
            self.open_member(member_id)

        ctx.tasks.run(write, written, self._show_error)

    # ---------------------------------------------------------------- demo reader

    def tap_demo_card(self) -> None:
        """F9 in the demo: the simulated reader taps the next demo member's card (a real signed payload)."""
        from app.services.demo_cards import demo_card_numbers, demo_tap

        simulated, terminal = self.ctx.simulated, self.ctx.terminal
        if simulated is None:
            return
        self._demo_index = getattr(self, "_demo_index", -1) + 1
        index = self._demo_index

        def tap() -> None:
            numbers = demo_card_numbers(terminal)
            if numbers:
                simulated.tap(*demo_tap(terminal, numbers[index % len(numbers)]))

        self.ctx.tasks.run(tap, None, self._show_error)

    def tap_damaged_demo_card(self) -> None:
        if self.ctx.simulated is not None:
            self.ctx.simulated.tap_garbage()
