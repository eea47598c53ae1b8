# SPDX-License-Identifier: GPL-3.0-or-later
"""`bashgah printer show|set|test` and `bashgah receipt print` through the real command on a real data dir,
with a file printer and a network printer (a real TCP listener here that collects what is sent)."""

from __future__ import annotations

import errno
import socket
import threading
from pathlib import Path

import pytest

from app.receipts.content import pair_line
from app.receipts.escpos import can_shape_persian
from app.receipts.test_page import build_test_page, printer_problem
from app.services.enroll import EnrollRequest, enroll_member
from tests.integration.test_cli import bashgah, ok_json, refused
from tests.support.club import CASHIER, CASHIER_PIN, MANAGER, MANAGER_PIN, make_club
from tests.support.components import missing_component

PHONE = "09121112233"
CUT = b"\x1dV\x00"  # GS V 0: full cut
RASTER = b"\x1dv0"  # GS v 0: a raster image
QR = b"\x1d(k"  # GS ( k: the printer's own QR code
KIAN = ("--staff", CASHIER.name, "--pin", CASHIER_PIN)
MINA = ("--staff", MANAGER.name, "--pin", MANAGER_PIN)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    terminal = make_club(data_dir)
    enroll_member(terminal, EnrollRequest(name="مریم احمدی", phone=PHONE))
    terminal.db.close()
    return data_dir


def persian_drawn() -> None:
    if not can_shape_persian():
        missing_component("raqm", "Pillow cannot shape Persian here (libraqm missing)")


class Listener:
    """A network printer: accepts connections on a free port and keeps every byte sent."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received = bytearray()
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            while chunk := conn.recv(65536):
                self.received += chunk
        self.closed.set()

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def listener():
    made = Listener()
    yield made
    made.close()


# ---- show and set -----------------------------------------------------------------------------------


def test_no_printer_at_first_then_a_manager_sets_one(data_dir, tmp_path):
    assert ok_json(data_dir, "printer", "show") == {"kind": "none", "setting": "none"}
    device = tmp_path / "lp0"
    shown = ok_json(data_dir, "printer", "set", f"file:{device}?width=576", *MINA)
    assert shown == {
        "setting": f"file:{device}?width=576",
        "kind": "file",
        "device": str(device),
        "width_dots": 576,
    }
    assert ok_json(data_dir, "printer", "show") == shown
    text = bashgah(data_dir, "printer", "show")
    assert text.returncode == 0 and "A USB printer or file" in text.stdout and "576" in text.stdout
    persian = bashgah(data_dir, "printer", "show", env={"BASHGAH_LANG": "fa"})
    assert "چاپگر USB یا فایل" in persian.stdout and "۵۷۶" in persian.stdout
    network = ok_json(data_dir, "printer", "set", "network:10.0.0.7", *MINA)
    assert network["host"] == "10.0.0.7" and network["port"] == 9100
    assert ok_json(data_dir, "printer", "set", "none", *MINA) == {"kind": "none", "setting": "none"}
    assert ok_json(data_dir, "printer", "show")["kind"] == "none"


def test_a_setting_that_names_no_printer_is_refused_and_nothing_saved(data_dir):
    for bad in ("usb", "network:", "network:host:notaport", "file:/dev/usb/lp0?width=9", "lpt1"):
        said = refused(data_dir, "printer", "set", bad, *MINA)
        assert "names no printer" in said, bad
    said = refused(data_dir, "printer", "set", "network:host:99999", *MINA, env={"BASHGAH_LANG": "fa"})
    assert "چاپگری را که این پایانه بشناسد نام نمی‌برد" in said
    assert ok_json(data_dir, "printer", "show")["kind"] == "none"


def test_setting_the_printer_needs_a_manager_and_the_right_pin(data_dir, tmp_path):
    setting = f"file:{tmp_path / 'lp0'}"
    assert "may not change the receipt printer" in refused(data_dir, "printer", "set", setting, *KIAN)
    persian = refused(data_dir, "printer", "set", setting, *KIAN, env={"BASHGAH_LANG": "fa"})
    assert "اجازهٔ تغییر چاپگر رسید را ندارد" in persian
    assert "Wrong PIN" in refused(
        data_dir, "printer", "set", setting, "--staff", MANAGER.name, "--pin", "0000"
    )
    assert refused(data_dir, "printer", "set", setting)  # no one named
    assert ok_json(data_dir, "printer", "show")["kind"] == "none"


# ---- the test page ----------------------------------------------------------------------------------


def test_the_test_page_on_a_file_printer_in_persian_and_english(data_dir, tmp_path):
    persian_drawn()
    device = tmp_path / "lp0"
    ok_json(data_dir, "printer", "set", f"file:{device}", *MINA)
    result = ok_json(data_dir, "printer", "test")
    assert result["printed"] is True
    sent = device.read_bytes()
    assert b"Printer test page" in sent and b"Club" in sent and b"Date" in sent
    assert f"file:{device}".encode() in sent  # the setting, as the printer's own text
    assert sent.count(RASTER) >= 4  # the club's Persian name, the title, the Jalali date, the Persian line
    assert QR in sent and sent.endswith(CUT)
    text = bashgah(data_dir, "printer", "test", env={"BASHGAH_LANG": "fa"})
    assert text.returncode == 0 and "صفحهٔ آزمایش" in text.stdout


def test_the_test_page_says_the_jalali_date_in_persian_digits():
    page = build_test_page("file:/dev/usb/lp0")
    dates = {line.label: line.value for line in page.lines}
    assert dates["تاریخ"][:4] in {"۱۴۰۴", "۱۴۰۵", "۱۴۰۶", "۱۴۰۷"}
    assert dates["Date"][:2] == "20" and dates["Printer"] == "file:/dev/usb/lp0"
    assert page.qr_data.endswith("file:/dev/usb/lp0")


def test_the_test_page_on_a_network_printer(data_dir, listener):
    persian_drawn()
    ok_json(data_dir, "printer", "set", f"network:127.0.0.1:{listener.port}", *MINA)
    ok_json(data_dir, "printer", "test")
    assert listener.closed.wait(10)
    sent = bytes(listener.received)
    assert sent.endswith(CUT) and sent.count(RASTER) >= 4 and QR in sent
    assert b"Printer test page" in sent


def test_a_setting_can_be_tried_before_it_is_saved(data_dir, tmp_path):
    device = tmp_path / "trial"
    ok_json(data_dir, "printer", "test", f"file:{device}")
    assert device.read_bytes().endswith(CUT)
    assert ok_json(data_dir, "printer", "show")["kind"] == "none"


def test_printer_problems_in_plain_words(data_dir, tmp_path):
    said = refused(data_dir, "printer", "test")
    assert "no receipt printer" in said
    assert "این پایانه چاپگر رسید ندارد" in refused(data_dir, "printer", "test", env={"BASHGAH_LANG": "fa"})
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    said = refused(data_dir, "printer", "test", f"network:127.0.0.1:{port}")  # nothing listens there
    assert "could not be reached" in said
    missing = tmp_path / "no-such-dir" / "lp0"
    assert "There is no printer at" in refused(data_dir, "printer", "test", f"file:{missing}")
    persian = refused(data_dir, "printer", "test", f"file:{missing}", env={"BASHGAH_LANG": "fa"})
    assert "چاپگری در" in persian and "وصل و روشن" in persian


@pytest.mark.parametrize(
    ("number", "setting", "code"),
    [
        (errno.ENOSPC, "file:/dev/usb/lp0", "printer_no_paper"),
        (errno.EACCES, "file:/dev/usb/lp0", "printer_permission_denied"),
        (errno.ENODEV, "file:/dev/usb/lp0", "printer_not_connected"),
        (errno.ECONNREFUSED, "network:10.0.0.7", "printer_unreachable"),
        (errno.ETIMEDOUT, "network:10.0.0.7", "printer_no_answer"),
    ],
)
def test_each_os_error_is_a_plain_reason(number, setting, code):
    from escpos.exceptions import DeviceNotFoundError

    try:
        try:
            raise OSError(number, "system words")
        except OSError:
            raise DeviceNotFoundError("could not open") from None
    except DeviceNotFoundError as wrapped:
        wrapped.__context__ = OSError(number, "system words")  # what escpos's open leaves behind
        assert printer_problem(wrapped, setting).code == code


def test_a_device_file_this_user_may_not_write_is_explained(data_dir, tmp_path):
    import os
    import subprocess
    import sys

    device = tmp_path / "lp0"
    device.write_bytes(b"")
    device.chmod(0o444)
    command = [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir)]
    command += ["printer", "test", f"file:{device}"]
    if os.geteuid() == 0:  # root writes any file: without the capability that allows it, it gets EACCES
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--", *command]
    result = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=60,
        env={**os.environ, "BASHGAH_LANG": "en"},
    )  # fmt: skip
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "may not write to the printer's device file" in result.stderr and "lp" in result.stderr
    assert device.read_bytes() == b""


# ---- reprinting a receipt ---------------------------------------------------------------------------


def test_a_cashier_reprints_a_sale_marked_as_a_copy(data_dir, tmp_path):
    device = tmp_path / "lp0"
    ok_json(data_dir, "printer", "set", f"file:{device}", *MINA)
    ok_json(data_dir, "sale", PHONE, "--amount", "2,500,000", "--invoice", "F-1", *KIAN)  # 25 points
    ok_json(data_dir, "sale", PHONE, "--amount", "1,000,000", "--invoice", "F-2", *KIAN)  # later: 35
    done = ok_json(data_dir, "receipt", "print", "F-1", *KIAN)
    assert done["copy"] is True and done["printer"] == f"file:{device}"
    sent = device.read_bytes()
    assert b"COPY - not an original receipt" in sent
    assert b"F-1" in sent and b"25 points" in sent and b"Cashier Kian" in sent
    assert pair_line("New balance", "25 points", 32).encode() in sent  # as it stood after F-1, not today's 35
    assert QR in sent and sent.endswith(CUT)
    text = bashgah(data_dir, "receipt", "print", "F-1", *KIAN)
    assert "COPY" in text.stdout and "Copy printed on" in text.stdout


def test_a_reprint_in_persian_is_drawn_and_says_copy(data_dir, tmp_path):
    persian_drawn()
    out = tmp_path / "copy.bin"
    ok_json(data_dir, "sale", PHONE, "--amount", "2,500,000", "--invoice", "F-1", *KIAN)
    result = bashgah(
        data_dir, "receipt", "print", "F-1", "--out", str(out), *KIAN, env={"BASHGAH_LANG": "fa"}
    )
    assert result.returncode == 0, result.stderr
    assert "رونوشت / COPY" in result.stdout and "رونوشت روی" in result.stdout
    sent = out.read_bytes()
    assert sent.count(RASTER) >= 8 and sent.endswith(CUT)


def test_a_returned_sale_reprints_with_what_was_returned(data_dir, tmp_path):
    out = tmp_path / "copy.bin"
    ok_json(data_dir, "sale", PHONE, "--amount", "2,500,000", "--invoice", "F-1", *KIAN)
    ok_json(data_dir, "return", "F-1", "--amount", "1000000", *KIAN)
    ok_json(data_dir, "receipt", "print", "F-1", "--out", str(out), *KIAN)
    assert pair_line("Returned", "100,000 Toman", 32).encode() in out.read_bytes()


def test_reprint_refusals(data_dir, tmp_path):
    assert "no receipt printer" in refused(data_dir, "receipt", "print", "F-1", *KIAN)
    ok_json(data_dir, "printer", "set", f"file:{tmp_path / 'lp0'}", *MINA)
    assert "No sale with invoice" in refused(data_dir, "receipt", "print", "F-404", *KIAN)
    persian = refused(data_dir, "receipt", "print", "F-404", *KIAN, env={"BASHGAH_LANG": "fa"})
    assert "خریدی با فاکتور" in persian
    ok_json(data_dir, "sale", PHONE, "--amount", "2,500,000", "--invoice", "F-1", *KIAN)
    assert "Wrong PIN" in refused(data_dir, "receipt", "print", "F-1", "--staff", CASHIER.name, "--pin", "0")
    assert refused(data_dir, "receipt", "print", "F-1")  # no one named
