# SPDX-License-Identifier: GPL-3.0-or-later
"""The first run at a branch, in the window, against a real club server process: every step, each of its
failures said in words (unreachable server, unknown, used or expired code, a clock far off, a dropped pull,
no reader, a printer that cannot be reached), each retried; and the whole way to the cashier's login.

The server is the sync tests' (tests.integration.sync.conftest: a `bashgah-server` process with the
branches THR and ISF and an admin token); readers are simulated, and real through pcscd with vpcd and the
Type 4 card emulator (the machine-wide `pcscd` fixture); printers are a file and an address where
nothing listens. A clock far off is the terminal's (the server's clock is the real one).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import update

from app.cards.base import CardEventKind, ReaderBackend
from app.cards.simulated import SimulatedReader
from app.domain.digits import to_persian_digits
from app.services import first_run
from app.services.first_run import Stage
from app.store.device_token import has_token
from app.store.pending_enrolment import pending_path
from sync.client import Retries
from sync.protocol import enrolment_qr_text
from sync.server.db import Database as ServerDatabase
from sync.server.enrolment import code_hash
from sync.server.models import ENROLLMENT_CODE
from tests.integration.sync import conftest as sync_fixtures
from tests.support.fault_proxy import FaultProxy, Record
from tests.support.pcscd import (  # noqa: F401  (the machine-wide `pcscd` fixture)
    VIRTUAL_READERS,
    Pcscd,
    pcscd_fixture,
    unavailable,
    wait_until_readers_empty,
)
from tests.support.reader_contract import NDEF, UID
from tests.support.server_process import free_port
from tests.support.type4_emulator import VPCD_PORT, CardEmulator, Type4Card, kill_stale_emulators

server_template = sync_fixtures.server_template
club_server = sync_fixtures.club_server
ClubServer = sync_fixtures.ClubServer
WAIT_MS = 20_000  # an enrolment's pull from a local server takes a second; this is only the give-up time
MINUTE_US = 60 * 1_000_000
READER_0 = VIRTUAL_READERS[0]
VPCD_PORTS = (VPCD_PORT, VPCD_PORT + 1)  # vpcd's two readers, in VIRTUAL_READERS' order


class ShiftedClock:
    """The terminal's clock, `shift_us` away from the real one (the server's)."""

    def __init__(self, shift_us: int = 0) -> None:
        self.shift_us = shift_us

    def now_us(self) -> int:
        return time.time_ns() // 1000 + self.shift_us


def type_text(widget: QWidget, text: str, *, enter: bool = False) -> None:
    """Type like a keyboard (or a keyboard-wedge scanner) does, any script."""
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char)
            )
    if enter:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier))


class Setup:
    """A started setup on a fresh data folder, with the handles a test drives it by."""

    def __init__(self, qtbot, running, reader: Any, window_readers: list[SimulatedReader]) -> None:
        self.qtbot = qtbot
        self.running = running
        self.wizard = running.wizard
        self.reader = reader
        self.window_readers = window_readers

    def to_server_step(self, lang: str | None = None) -> None:
        if lang == "en":
            self.wizard.english_button.click()
        elif lang == "fa":
            self.wizard.persian_button.click()
        self.wizard.language_next.click()
        assert self.wizard.current_step() == "server"

    def check(self, url: str, code: str, *, ok: bool = True) -> tuple:
        wizard = self.wizard
        wizard.server_field.setText(url)
        wizard.code_field.setText(code)
        signal = wizard.preview_loaded if ok else wizard.failed
        with self.qtbot.waitSignal(signal, timeout=WAIT_MS) as blocker:
            wizard.check_button.click()
        return tuple(blocker.args)

    def enrol(self, *, ok: bool = True) -> tuple:
        signal = self.wizard.enrolled if ok else self.wizard.failed
        with self.qtbot.waitSignal(signal, timeout=WAIT_MS) as blocker:
            self.wizard.enrol_button.click()
        return tuple(blocker.args)


@pytest.fixture
def start_setup(qapp, qtbot, tmp_path: Path) -> Iterator[Callable[..., Setup]]:
    """start_setup(lang="fa", clock=None, plugged=True, data_dir=…, backend=None) → a Setup; closed
    afterwards. `backend` replaces the setup's simulated reader (a PcscBackend on pcscd)."""
    from app.ui.app import start_window
    from app.ui.first_run import start_first_run
    from sync.client import SyncClient

    started: list[Setup] = []

    def start(
        lang: str = "fa",
        clock: ShiftedClock | None = None,
        plugged: bool = True,
        data_dir: Path | None = None,
        backend: ReaderBackend | None = None,
    ) -> Setup:
        reader = backend or SimulatedReader("Setup reader", plugged=plugged)
        window_readers: list[SimulatedReader] = []

        def open_window(terminal, chosen):
            window_readers.append(SimulatedReader("Window reader"))
            client = SyncClient(terminal.db, clock=terminal.clock)
            return start_window(terminal, window_readers, chosen, sync_client=client)

        running = start_first_run(
            data_dir or tmp_path / "till", lambda: [reader], lang, open_window=open_window, clock=clock
        )
        setup = Setup(qtbot, running, reader, window_readers)
        started.append(setup)
        return setup

    yield start
    for setup in started:
        setup.running.close()
        window = setup.running.window
        if window is not None:
            assert window.sync is not None and not window.sync.is_running()


def expire(server: ClubServer, code: str) -> None:
    """The code's expiry moved into the past, in the server's own database (a process of its own)."""
    db = ServerDatabase(server.process.db_url)
    try:
        db.write(
            lambda conn: conn.execute(
                update(ENROLLMENT_CODE)
                .where(ENROLLMENT_CODE.c.code_hash == code_hash(code))
                .values(expires_at_us=time.time_ns() // 1000 - MINUTE_US)
            )
        )
    finally:
        db.dispose()


# ---- language ---------------------------------------------------------------------------------------


def test_the_setup_speaks_persian_first_and_english_at_a_click(start_setup):
    setup = start_setup()
    wizard = setup.wizard
    assert wizard.persian_button.isChecked() and wizard.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert "باشگاه" in wizard.title_label.text()
    setup.to_server_step("en")
    assert wizard.layoutDirection() == Qt.LayoutDirection.LeftToRight
    assert wizard.title_label.text() == "Connect to the club server"
    wizard.server_back.click()
    wizard.persian_button.click()
    assert wizard.language_next.text() == "بعدی"


# ---- server and code --------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_an_unreachable_server_is_said_and_retried(start_setup, club_server, lang):
    setup = start_setup(lang)
    setup.to_server_step()
    code = club_server.code()
    step, error = setup.check(f"http://127.0.0.1:{free_port()}", code, ok=False)
    assert (step, error) == ("server", "setup_server_unreachable")
    text = setup.wizard.message_text("server")
    assert ("در دسترس نیست" if lang == "fa" else "cannot be reached") in text
    assert setup.wizard.current_step() == "server" and setup.wizard.check_button.isEnabled()
    (preview,) = setup.check(club_server.url, code)  # the address put right: the same code still works
    assert preview.branch_code == "THR"


def test_a_wrong_address_is_refused_before_anything_is_sent(start_setup):
    setup = start_setup("en")
    setup.to_server_step()
    assert setup.check("club.example", "K7QM-2XPD-9TAR", ok=False) == ("server", "invalid_server_url")
    assert setup.check("http://127.0.0.1:1", "", ok=False) == ("server", "enrollment_code_missing")
    assert "scan its QR code" in setup.wizard.message_text("server")


def test_unknown_used_and_expired_codes_are_told_apart(start_setup, club_server, tmp_path):
    used, expired = club_server.code(), club_server.code()
    _enrol_elsewhere(club_server, used, tmp_path)
    expire(club_server, expired)
    setup = start_setup("en")
    setup.to_server_step()
    assert setup.check(club_server.url, "NOSU-CHCO-DE22", ok=False)[1] == "enrollment_code_unknown"
    assert "does not know this code" in setup.wizard.message_text("server")
    assert setup.check(club_server.url, used, ok=False)[1] == "enrollment_code_used"
    assert "already enrolled a terminal" in setup.wizard.message_text("server")
    assert setup.check(club_server.url, expired, ok=False)[1] == "enrollment_code_expired"
    assert "has expired" in setup.wizard.message_text("server")
    setup.wizard.persian_button.click()  # the message follows the language
    assert "مهلت این کد تمام شده است" in setup.wizard.message_text("server")


def _enrol_elsewhere(server: ClubServer, code: str, tmp_path: Path) -> None:
    from app.services.device_enrollment import enroll_device
    from sync.client import HttpEnrollment, SyncClient

    enroll_device(
        tmp_path / "other till", server_url=server.url, code=code, server=HttpEnrollment(),
        catch_up=lambda db: SyncClient(db).pull(),
    )  # fmt: skip


@pytest.mark.parametrize(("shift_min", "error", "words"), [
    (12, "clock_off", "12 minutes ahead"), (-30, "clock_off_behind", "30 minutes behind"),
])  # fmt: skip
def test_a_clock_far_from_the_servers_is_refused_until_set(start_setup, club_server, shift_min, error, words):
    clock = ShiftedClock(shift_min * MINUTE_US)
    setup = start_setup("en", clock=clock)
    setup.to_server_step()
    code = club_server.code()
    assert setup.check(club_server.url, code, ok=False) == ("server", error)
    assert words in setup.wizard.message_text("server") and "set the date, time" in setup.wizard.message_text(
        "server"
    )
    clock.shift_us = 2 * MINUTE_US  # set right (within the 5 minutes sync allows)
    (preview,) = setup.check(club_server.url, code)
    assert abs(preview.clock_offset_us - 2 * MINUTE_US) < MINUTE_US


def test_a_scanned_qr_fills_the_address_and_the_code_in_persian_digits(start_setup, club_server):
    """The back office's QR is digits only: a scanner on a Persian layout types Persian digits."""
    setup = start_setup("fa")
    setup.to_server_step()
    code = club_server.code()
    scanned = to_persian_digits(enrolment_qr_text(club_server.url, code))
    with setup.qtbot.waitSignal(setup.wizard.preview_loaded, timeout=WAIT_MS, raising=False) as blocker:
        type_text(setup.wizard.code_field, scanned, enter=True)  # the scanner's Enter checks at once
    assert blocker.signal_triggered, (setup.wizard.message_text("server"), setup.wizard.code_field.text())
    assert setup.wizard.server_field.text() == club_server.url
    assert setup.wizard.code_field.text() == code
    assert setup.wizard.current_step() == "confirm"


def persian_layout(code: str) -> str:
    """`code` as typed with the Persian keyboard layout active (letters unshifted, digits Persian)."""
    keys = dict(zip("qwertyuiopasdfghjklzxcvbnm", "ضصثقفغعهخحشسیبلاتنمظطزرذدپ", strict=True))
    return to_persian_digits("".join(keys.get(c.lower(), c) for c in code))


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_a_code_typed_on_the_persian_layout_is_shown_in_english_letters_and_checked(
    start_setup, club_server, lang
):
    """QTest's keyClicks types ASCII only (it aborts on other text): the keys are sent as the Persian layout
    delivers them, each a key event carrying its Persian letter."""
    setup = start_setup(lang)
    setup.to_server_step()
    wizard, code = setup.wizard, club_server.code("ISF")
    typed = persian_layout(code)
    wizard.server_field.setText(club_server.url)
    type_text(wizard.code_field, typed[:6])
    assert wizard.code_field.text() == code[:6]  # converted as it is typed
    assert wizard.message_text("server") == ""
    with setup.qtbot.waitSignal(wizard.preview_loaded, timeout=WAIT_MS) as blocker:
        type_text(wizard.code_field, typed[6:], enter=True)
    (preview,) = blocker.args
    assert wizard.code_field.text() == code
    assert (preview.code, preview.branch_code) == (code, "ISF") and wizard.current_step() == "confirm"


def test_persian_letters_no_code_key_types_ask_for_the_english_keyboard(start_setup):
    setup = start_setup("en")
    setup.to_server_step()
    type_text(setup.wizard.code_field, "قثگ")  # گ is the ' key: never in a code
    assert setup.wizard.code_field.text() == "REگ"
    assert "Switch the keyboard to English" in setup.wizard.message_text("server")
    setup.wizard.code_field.backspace()
    setup.qtbot.waitUntil(lambda: setup.wizard.message_text("server") == "", timeout=WAIT_MS)


# ---- confirm and enrol ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_branch_is_shown_before_the_code_is_spent(start_setup, club_server, lang):
    setup = start_setup(lang)
    setup.to_server_step()
    code = club_server.code("ISF")
    setup.check(club_server.url, code)
    wizard = setup.wizard
    assert wizard.current_step() == "confirm"
    assert "ISF" in wizard.branch_label.text() and wizard.club_label.text()
    assert club_server.admin("GET", "/devices") == []  # nothing spent yet
    wizard.confirm_back.click()
    assert wizard.current_step() == "server"


def test_a_dropped_pull_leaves_an_enrolment_that_retry_finishes(start_setup, club_server, tmp_path):
    data_dir = tmp_path / "till"
    setup = start_setup("en", data_dir=data_dir)
    setup.to_server_step()
    with FaultProxy(upstream=("127.0.0.1", club_server.process.port)) as proxy:
        # every try of the one request (sync.client.Retries sends a lost one again)
        proxy.script(["drop_response"] * Retries().attempts, path_prefix="/v1/sync/pull")
        setup.check(proxy.url, club_server.code())
        assert setup.enrol(ok=False) == ("confirm", "setup_pull_failed")
        assert Record("GET", "/v1/sync/pull", "drop_response") in [
            Record(r.method, r.path.split("?")[0], r.fault) for r in proxy.records
        ]
        assert first_run.stage(data_dir) is Stage.INCOMPLETE and has_token(data_dir)
        assert "the enrolment is kept" in setup.wizard.message_text("confirm")
        assert setup.wizard.enrol_button.text() == "Finish the enrolment"
        assert not setup.wizard.confirm_back.isVisible()  # the code is spent: finish, not change it
        (terminal,) = setup.enrol()
    assert first_run.stage(data_dir) is Stage.READY and not pending_path(data_dir).exists()
    devices = club_server.admin("GET", "/devices")
    assert [d["id"] for d in devices] == [terminal.device_id]  # one device: the retry finished it
    assert setup.wizard.current_step() == "reader"


def test_a_lost_enrolment_answer_is_asked_for_again(start_setup, club_server, tmp_path):
    data_dir = tmp_path / "till"
    setup = start_setup("en", data_dir=data_dir)
    setup.to_server_step()
    with FaultProxy(upstream=("127.0.0.1", club_server.process.port)) as proxy:
        proxy.script(["pass", "drop_response"], path_prefix="/v1/enroll")  # the preview, then the enrolment
        setup.check(proxy.url, club_server.code())
        assert setup.enrol(ok=False) == ("confirm", "setup_server_unreachable")
        assert pending_path(data_dir).exists() and first_run.stage(data_dir) is Stage.FRESH
        (terminal,) = setup.enrol()
    assert [d["id"] for d in club_server.admin("GET", "/devices")] == [terminal.device_id]


def test_a_setup_closed_half_way_opens_where_it_stopped(start_setup, club_server, tmp_path):
    """The window closed after the server answered but before the club arrived: the next start finishes."""
    data_dir = tmp_path / "till"
    with FaultProxy(upstream=("127.0.0.1", club_server.process.port)) as proxy:
        first = start_setup("en", data_dir=data_dir)
        first.to_server_step()
        proxy.script(["drop_response"] * Retries().attempts, path_prefix="/v1/sync/pull")
        first.check(proxy.url, club_server.code())
        first.enrol(ok=False)
        first.running.close()
        again = start_setup("en", data_dir=data_dir)
        assert again.wizard.current_step() == "confirm"
        assert proxy.url in again.wizard.confirm_intro.text()
        again.enrol()
    assert first_run.stage(data_dir) is Stage.READY


# ---- reader -----------------------------------------------------------------------------------------


def enrolled(setup: Setup, server: ClubServer) -> None:
    setup.to_server_step()
    setup.check(server.url, server.code())
    setup.enrol()
    assert setup.wizard.current_step() == "reader"


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_reader_step_reads_any_card(start_setup, club_server, lang):
    setup = start_setup(lang)
    enrolled(setup, club_server)
    wizard = setup.wizard
    setup.qtbot.waitUntil(lambda: wizard.reader_list.count() == 1, timeout=WAIT_MS)
    assert "Setup reader" in wizard.reader_list.item(0).text() and not wizard.reader_next.isEnabled()
    with setup.qtbot.waitSignal(wizard.card_read, timeout=WAIT_MS):
        setup.reader.tap(bytes.fromhex("04a1b2c3d4e5f6"), b"")
    assert "04 A1 B2 C3 D4 E5 F6" in wizard.tap_label.text()
    assert wizard.reader_next.isEnabled()
    wizard.reader_next.click()
    assert wizard.current_step() == "printer"


def test_no_reader_found_says_what_to_check_and_finds_it_once_plugged(start_setup, club_server):
    setup = start_setup("en", plugged=False)
    enrolled(setup, club_server)
    wizard = setup.wizard
    assert "No card reader found" in wizard.message_text("reader")
    assert "USB" in wizard.message_text("reader") and "pcscd" in wizard.message_text("reader")
    setup.reader.plug()
    setup.qtbot.waitUntil(
        lambda: "ready" in (wizard.reader_list.item(0).text() if wizard.reader_list.count() else ""),
        timeout=WAIT_MS,
    )
    wizard.reader_retry.click()
    assert wizard.message_text("reader") == "" and "Waiting for a card" in wizard.tap_label.text()


def test_the_reader_step_can_be_skipped(start_setup, club_server):
    setup = start_setup("fa", plugged=False)
    enrolled(setup, club_server)
    assert "کارت‌خوان" in setup.wizard.message_text("reader")
    setup.wizard.reader_skip.click()
    assert setup.wizard.current_step() == "printer"


# ---- reader, through a real pcscd ------------------------------------------------------------------------
# pcscd with vpcd's virtual readers and the Type 4 card emulator (HARNESS.md): the reader list the manager
# sees and a tap come through pyscard → libpcsclite → pcscd → vpcd, as with a USB reader.


@pytest.fixture
def pcsc_reader(pcscd: Pcscd) -> Iterator[Callable[[], ReaderBackend]]:
    """pcsc_reader() → the setup's PC/SC backend on vpcd's readers (another reader on the machine is not
    listed); no emulated card is left in a reader before or after."""
    from app.cards.pcsc import PcscBackend

    for port in VPCD_PORTS:
        kill_stale_emulators(port)
    wait_until_readers_empty()
    yield lambda: PcscBackend(retry_s=0.25, reader_filter=lambda name: name in VIRTUAL_READERS)
    wait_until_readers_empty()


@pytest.fixture
def emulated_card() -> Iterator[Callable[[bytes], CardEmulator]]:
    """emulated_card(uid) → a Type 4 card put on vpcd's first reader; taken off afterwards."""
    put: list[CardEmulator] = []

    def card(uid: bytes) -> CardEmulator:
        emulator = CardEmulator(Type4Card(uid, NDEF), port=VPCD_PORTS[0])
        put.append(emulator)
        emulator.insert()
        return emulator

    yield card
    for emulator in put:
        emulator.remove()


def reader_items(wizard) -> list[str]:
    return [wizard.reader_list.item(i).text() for i in range(wizard.reader_list.count())]


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_reader_step_lists_the_pcsc_reader_and_reads_a_card_tapped_on_it(
    start_setup, club_server, pcsc_reader, emulated_card, lang
):
    setup = start_setup(lang, backend=pcsc_reader())
    enrolled(setup, club_server)
    wizard = setup.wizard
    ready = "آماده" if lang == "fa" else "ready"
    setup.qtbot.waitUntil(
        lambda: any(READER_0 in item and ready in item for item in reader_items(wizard)), timeout=WAIT_MS
    )
    assert wizard.message_text("reader") == "" and not wizard.reader_next.isEnabled()
    with setup.qtbot.waitSignal(wizard.card_read, timeout=WAIT_MS) as blocker:
        emulated_card(UID)
    (event,) = blocker.args
    assert (event.kind, event.uid, event.reader) == (CardEventKind.TAPPED, UID, READER_0)
    text = wizard.tap_label.text()
    assert "04 A1 B2 C3 D4 E5 F6" in text and READER_0 in text
    assert ("کارت‌خوان کار می‌کند" if lang == "fa" else "The reader works") in text
    wizard.reader_next.click()
    assert wizard.current_step() == "printer"


def test_with_pcscd_stopped_the_reader_step_says_what_to_check_then_finds_the_reader_again(
    start_setup, club_server, pcsc_reader, pcscd, emulated_card
):
    """The setup looks for readers again every READER_REFRESH_MS while it waits for a tap, so pcscd
    coming back shows by itself; "Look again" then says the same at once."""
    if not pcscd.started_here:
        unavailable("the running pcscd was not started by these tests, so they may not stop it")
    setup = start_setup("en", backend=pcsc_reader())
    enrolled(setup, club_server)
    wizard = setup.wizard
    setup.qtbot.waitUntil(lambda: any(READER_0 in item for item in reader_items(wizard)), timeout=WAIT_MS)
    pcscd.stop()
    try:
        said = "No card reader found"
        setup.qtbot.waitUntil(lambda: said in wizard.message_text("reader"), timeout=WAIT_MS)
        text = wizard.message_text("reader")
        assert "USB" in text and "pcscd" in text and "Look again" in text
        assert all("not available" in item for item in reader_items(wizard))  # listed, but down
        assert wizard.tap_label.text() == "" and not wizard.reader_next.isEnabled()
        wizard.reader_retry.click()  # pressed while pcscd is still down: the same answer
        assert said in wizard.message_text("reader")
    finally:
        pcscd.ensure_running()
    setup.qtbot.waitUntil(
        lambda: any(READER_0 in item and "ready" in item for item in reader_items(wizard)), timeout=WAIT_MS
    )
    setup.qtbot.waitUntil(lambda: wizard.message_text("reader") == "", timeout=WAIT_MS)
    wizard.reader_retry.click()
    assert wizard.message_text("reader") == "" and "Waiting for a card" in wizard.tap_label.text()
    with setup.qtbot.waitSignal(wizard.card_read, timeout=WAIT_MS):
        emulated_card(UID)
    assert "04 A1 B2 C3 D4 E5 F6" in wizard.tap_label.text() and wizard.reader_next.isEnabled()


# ---- printer ----------------------------------------------------------------------------------------


def test_a_test_print_reaches_a_file_printer_and_a_bad_address_is_explained(
    start_setup, club_server, tmp_path
):
    setup = start_setup("en")
    enrolled(setup, club_server)
    setup.wizard.reader_skip.click()
    wizard = setup.wizard
    wizard.network_choice.setChecked(True)
    wizard.printer_field.setText(f"127.0.0.1:{free_port()}")  # nothing listens there
    with setup.qtbot.waitSignal(wizard.failed, timeout=WAIT_MS) as blocker:
        wizard.test_print_button.click()
    assert blocker.args == ["printer", "printer_unreachable"]
    assert "could not be reached" in wizard.message_text("printer")
    wizard.printer_field.setText("nohost:notaport")
    with setup.qtbot.waitSignal(wizard.failed, timeout=WAIT_MS) as blocker:
        wizard.test_print_button.click()
    assert blocker.args == ["printer", "printer_setting_invalid"]
    device = tmp_path / "lp0"
    wizard.usb_choice.setChecked(True)
    wizard.printer_field.setText(str(device))
    with setup.qtbot.waitSignal(wizard.printer_tested, timeout=WAIT_MS):
        wizard.test_print_button.click()
    assert b"Bashgah - test print" in device.read_bytes()
    assert "Did it print?" in wizard.message_text("printer")


def test_no_printer_is_a_choice(start_setup, club_server):
    setup = start_setup("en")
    enrolled(setup, club_server)
    setup.wizard.reader_skip.click()
    setup.wizard.no_printer_choice.setChecked(True)
    assert not setup.wizard.test_print_button.isEnabled()
    with setup.qtbot.waitSignal(setup.wizard.step_changed, timeout=WAIT_MS):
        setup.wizard.printer_next.click()
    assert setup.wizard.current_step() == "done"
    assert first_run_printer_setting(setup) == "none"


def first_run_printer_setting(setup: Setup) -> str:
    from app.ui.first_run_printer import current_printer

    assert setup.wizard.terminal is not None
    return current_printer(setup.wizard.terminal)


# ---- the whole way ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_the_whole_setup_ends_at_the_cashiers_login(start_setup, club_server, tmp_path, lang):
    data_dir = tmp_path / "till"
    setup = start_setup(data_dir=data_dir)
    wizard, qtbot = setup.wizard, setup.qtbot
    setup.to_server_step(lang)
    setup.check(club_server.url, club_server.code())
    setup.enrol()
    with qtbot.waitSignal(wizard.card_read, timeout=WAIT_MS):
        qtbot.waitUntil(lambda: setup.reader.tap(b"\x04\x11\x22\x33", b""), timeout=WAIT_MS)
    wizard.reader_next.click()
    device = tmp_path / "printer"
    wizard.printer_field.setText(str(device))
    with qtbot.waitSignal(wizard.printer_tested, timeout=WAIT_MS):
        wizard.test_print_button.click()
    with qtbot.waitSignal(wizard.step_changed, timeout=WAIT_MS):
        wizard.printer_next.click()
    assert wizard.current_step() == "done" and "THR" in wizard.done_label.text()
    wizard.start_button.click()
    running = setup.running.window
    assert running is not None and running.window.isVisible()
    assert running.window.stack.currentWidget() is running.window.login
    assert running.ctx.session.lang == lang
    qtbot.waitUntil(lambda: running.window.login.staff_list.count() >= 1, timeout=WAIT_MS)  # the club's staff
    assert running.sync is not None
    qtbot.waitUntil(running.sync.is_running, timeout=WAIT_MS)  # once the till's views are built
    assert first_run.stage(data_dir) is Stage.READY
    assert first_run_printer_setting_of(data_dir) == f"file:{device}"


def first_run_printer_setting_of(data_dir: Path) -> str:
    from app.services.terminal import open_terminal
    from app.ui.first_run_printer import current_printer

    return current_printer(open_terminal(data_dir))


# ---- the decision -----------------------------------------------------------------------------------


def test_bashgah_opens_the_setup_on_an_empty_folder_and_the_window_on_the_demo(qapp, tmp_path):
    from PySide6.QtCore import QTimer

    from app.__main__ import run_terminal
    from app.services.demo import seed_demo
    from app.ui.first_run import FirstRunWizard
    from app.ui.main_window import MainWindow

    shown: list[str] = []

    def look_then_quit() -> None:  # runs once the event loop is up, with whatever start-up showed
        shown.extend(type(w).__name__ for w in QApplication.topLevelWidgets() if w.isVisible())
        QApplication.quit()

    # A real run ends with its process. Here the windows are closed after the loop has returned, and
    # closing the last one would post a quit that ends every later test's event loop at once.
    qapp.setQuitOnLastWindowClosed(False)
    try:
        QTimer.singleShot(0, look_then_quit)
        assert run_terminal(tmp_path / "new till", "fa", "simulated") == 0
        assert FirstRunWizard.__name__ in shown and MainWindow.__name__ not in shown
        seed_demo(tmp_path / "demo", members=5, seed=1)
        shown.clear()
        QTimer.singleShot(0, look_then_quit)
        assert run_terminal(tmp_path / "demo", "en", "simulated") == 0
    finally:
        gc.unfreeze()  # run_window froze the heap for a real run; this process goes on with more tests
        qapp.setQuitOnLastWindowClosed(True)
    assert MainWindow.__name__ in shown and FirstRunWizard.__name__ not in shown
