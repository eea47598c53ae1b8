# SPDX-License-Identifier: GPL-3.0-or-later
"""The frozen terminal, run from the extracted tarball with a clean environment (conftest.py): what a
branch does with it on the first day — version, demo club, ledger check, the window's self-test offscreen
and on a real X server, the PC/SC readers and a card tap through pcscd, a receipt on the printer — and
that it carries nothing a terminal never loads.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from app.receipts.escpos import can_shape_persian
from app.services.enroll import EnrollRequest, enroll_member
from app.services.issuing_key import create_issuing_key
from tests.package.conftest import VERSION, run, start
from tests.support.club import CASHIER, CASHIER_PIN, MANAGER, MANAGER_PIN, make_club
from tests.support.pcscd import pcscd_fixture, wait_until_readers_empty  # noqa: F401  (the fixture)
from tests.support.type4_emulator import VPCD_PORT, CardEmulator, Type4Card

PHONE = "09121112233"
BLANK_UID = bytes.fromhex("04C0FFEE445566")
CUT = b"\x1dV\x00"  # ESC/POS GS V 0: a full cut, the receipt's last command
RASTER = b"\x1dv0"  # GS v 0: a raster image (a Persian line, drawn)


def test_version(bundle: Path, home: Path) -> None:
    result = run(bundle, home, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"bashgah {VERSION}\n"


def test_demo_seed_then_the_ledger_verifies(bundle: Path, home: Path) -> None:
    data = home / "data"
    seeded = run(bundle, home, "--data-dir", str(data), "demo", "seed", "--members", "40")
    assert seeded.returncode == 0, seeded.stderr
    assert "Demo club ready" in seeded.stdout and "40 members" in seeded.stdout
    verified = run(bundle, home, "--data-dir", str(data), "ledger", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("Ledger OK")


def test_self_test_offscreen(bundle: Path, home: Path) -> None:
    env = {"QT_QPA_PLATFORM": "offscreen"}
    result = run(bundle, home, "--data-dir", str(home / "data"), "--self-test", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test ok" in result.stdout
    assert "camera backend present, " in result.stdout  # Qt Multimedia and its FFmpeg plugin came along


# Under an X server without a window manager, as a kiosk runs it: nothing has the focus until the
# self-test activates the window (it used to abort in qtestkeyboard.h).
def test_self_test_on_a_real_x_server(bundle: Path, home: Path, xvfb_display: str) -> None:
    env = {"QT_QPA_PLATFORM": "xcb", "DISPLAY": xvfb_display}
    result = run(bundle, home, "--data-dir", str(home / "data"), "--self-test", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test ok" in result.stdout


@pytest.fixture
def club_dir(home: Path) -> Path:
    """The test club (made by the source tree's code: the same commit's schema) with a member."""
    directory = home / "club"
    terminal = make_club(directory)
    create_issuing_key(terminal, 1)
    enroll_member(terminal, EnrollRequest(name="Sara Rahimi", phone=PHONE))
    terminal.db.close()
    return directory


def _json(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_readers_lists_the_pcsc_readers(bundle: Path, home: Path, club_dir: Path, pcscd) -> None:
    listed = _json(run(bundle, home, "--data-dir", str(club_dir), "readers", "--reader", "pcsc", "--json"))
    assert {"Virtual PCD 00 00", "Virtual PCD 00 01"} <= {r["name"] for r in listed["readers"]}


def _on_reader(card: Type4Card, bundle: Path, home: Path, *args: str) -> tuple[int, dict, str]:
    """Run the bundle with the card lying on reader 00 00 (played by the Type 4 emulator through vpcd)."""
    wait_until_readers_empty(("Virtual PCD 00 00",))
    emulator = CardEmulator(card, port=VPCD_PORT)
    emulator.insert()
    try:
        process = start(bundle, home, *args, "--json")
        out, err = process.communicate(timeout=60)
    finally:
        emulator.remove()
    return process.returncode, json.loads(out) if out.strip() else {}, err


def test_a_card_issued_then_read_through_pcscd(bundle: Path, home: Path, club_dir: Path, pcscd) -> None:
    data = ("--data-dir", str(club_dir))
    blank = Type4Card(BLANK_UID, b"", file_size=2048)
    manager = ("--staff", MANAGER.name, "--pin", MANAGER_PIN)
    issue = (*data, "card", "issue", PHONE, *manager, "--timeout", "20")
    code, issued, err = _on_reader(blank, bundle, home, *issue)
    assert code == 0, err
    assert issued["uid"] == BLANK_UID.hex() and len(blank.ndef) == issued["bytes"]

    read_args = (*data, "card", "read", "--reader", "pcsc", "--timeout", "20")
    code, read, err = _on_reader(Type4Card(BLANK_UID, blank.ndef), bundle, home, *read_args)
    assert code == 0, err
    assert read["verdict"] == "valid" and read["card_number"] == issued["card_number"]
    assert read["reader"] == "Virtual PCD 00 00"


def test_a_sale_then_the_day_report_on_a_file_printer(bundle: Path, home: Path, club_dir: Path) -> None:
    data = ("--data-dir", str(club_dir))
    cashier = ("--staff", CASHIER.name, "--pin", CASHIER_PIN)
    manager = ("--staff", MANAGER.name, "--pin", MANAGER_PIN)
    sale = _json(run(bundle, home, *data, "sale", PHONE, "--amount", "950000", *cashier, "--json"))
    assert sale["points_earned"] == 9 and sale["amount_rials"] == 950_000
    printer = home / "lp0"  # what "file:/dev/usb/lp0" is on a till: a device file the bytes are written to
    set_printer = run(bundle, home, *data, "printer", "set", f"file:{printer}", *manager, "--json")
    assert _json(set_printer)["device"] == str(printer)
    assert _json(run(bundle, home, *data, "printer", "show", "--json"))["setting"] == f"file:{printer}"

    copy = _json(run(bundle, home, *data, "receipt", "print", sale["invoice_ref"], *cashier, "--json"))
    assert copy["copy"] is True
    sent = printer.read_bytes()
    assert b"COPY - not an original receipt" in sent and sale["invoice_ref"].encode() in sent
    assert b"\x1d(k" in sent and sent.endswith(CUT)  # the sale's QR, the printer's own; the cut

    printed = run(bundle, home, *data, "report", "day", "--print")
    assert printed.returncode == 0, printed.stderr
    sent = printer.read_bytes()
    assert re.search(rb"Net sales +95,000 Toman\n", sent) and CASHIER.name.encode() in sent
    assert sent.endswith(CUT)
    if can_shape_persian():  # FriBiDi on this machine: Persian is drawn with the bundle's font and Pillow
        persian = run(bundle, home, *data, "report", "day", "--print", env={"BASHGAH_LANG": "fa"})
        assert persian.returncode == 0, persian.stderr
        assert printer.read_bytes().count(RASTER) >= 14 and printer.read_bytes().endswith(CUT)


def test_the_printer_test_page(bundle: Path, home: Path, club_dir: Path) -> None:
    data = ("--data-dir", str(club_dir))
    printer = home / "lp0"
    tested = run(bundle, home, *data, "printer", "test", f"file:{printer}", "--json")
    assert _json(tested)["printed"] is True
    sent = printer.read_bytes()
    assert b"Printer test page" in sent and f"file:{printer}".encode() in sent and sent.endswith(CUT)
    if can_shape_persian():  # the Persian rows (names, title, Jalali date, sample line) drawn by the bundle
        assert sent.count(RASTER) >= 4
    refused = run(bundle, home, *data, "printer", "test", env={"BASHGAH_LANG": "fa"})
    assert refused.returncode == 2 and "چاپگر رسید ندارد" in refused.stderr


def test_doctor_on_a_demo_club(bundle: Path, home: Path) -> None:
    data = ("--data-dir", str(home / "demo"))
    assert run(bundle, home, *data, "demo", "seed", "--members", "20").returncode == 0
    result = run(bundle, home, *data, "doctor", "--json", "--timeout", "3")
    report = json.loads(result.stdout)
    assert result.returncode == 0, result.stdout
    names = [check["name"] for check in report["checks"]]
    expected = ["version", "data_dir", "database", "ledger", "pcsc", "nfc", "readers", "printer", "server"]
    assert names[: len(expected)] == expected and {"revocations", "logs"} <= set(names)
    assert report["ok"] is True and all(check["status"] != "problem" for check in report["checks"])


# ------------------------------------------------------------------ lean


def _frozen_modules(bundle: Path) -> set[str]:
    """The Python modules inside the executable's archive (PyInstaller's PYZ)."""
    from PyInstaller.archive.readers import CArchiveReader

    executable = CArchiveReader(str(bundle / "bashgah"))
    return set(executable.open_embedded_archive("PYZ.pyz").toc)


def test_it_carries_no_server_web_stack_or_test_tools(bundle: Path) -> None:
    modules = _frozen_modules(bundle)
    assert {"app.cli", "app.ui.main_window", "app.cards.pcsc", "app.cards.nfc", "sync.client"} <= modules
    assert {"smartcard.scard", "nfc.clf.acr122", "nfc.clf.rcs380", "usb1", "escpos.printer"} <= modules
    tops = {name.split(".")[0] for name in modules}
    unwanted = {
        "fastapi", "starlette", "uvicorn", "psycopg", "jinja2", "openpyxl", "fpdf", "uharfbuzz", "httpx",
        "pytest", "_pytest", "hypothesis", "playwright", "schemathesis", "PyInstaller", "rich",
    }
    assert not tops & unwanted
    assert not {name for name in modules if name.startswith("sync.server")}
    internal = bundle / "_internal"
    for absent in (*sorted(unwanted), "psycopg_binary", "sync/server"):  # nor their data or libraries
        assert not (internal / absent).exists(), absent
    assert (internal / "app" / "store" / "migrations" / "env.py").is_file()  # alembic loads it by path
    # no build machine's paths (direct_url.json: where the project was installed from)
    assert not list(internal.glob("*.dist-info/direct_url.json"))


def test_only_the_qt_plugins_and_translations_a_terminal_uses(bundle: Path) -> None:
    qt = bundle / "_internal" / "PySide6" / "Qt"
    plugins = {p.relative_to(qt / "plugins").parts[0] for p in (qt / "plugins").rglob("*.so")}
    kept = {"platforms", "imageformats", "iconengines", "platforminputcontexts", "xcbglintegrations"}
    kept.add("multimedia")
    assert plugins <= kept
    # the enrolment's camera: Qt Multimedia's FFmpeg backend, and of the Addons wheel nothing else
    assert {p.name for p in (qt / "plugins" / "multimedia").iterdir()} == {"libffmpegmediaplugin.so"}
    assert {p.name for p in (qt / "plugins" / "platforms").iterdir()} == {
        "libqxcb.so", "libqoffscreen.so", "libqminimal.so"
    }
    # Qt's own Persian: the window loads it from here (PySide6/Qt/translations)
    assert {p.name for p in (qt / "translations").iterdir()} == {
        "qt_fa.qm", "qt_en.qm", "qtbase_fa.qm", "qtbase_en.qm"
    }
    libraries = {p.name for p in (qt / "lib").iterdir()}
    assert not {name for name in libraries if "Wayland" in name}
    # Qt Quick and QML only as the FFmpeg plugin links them: no QML module, no Quick or multimedia widgets
    quick = {name for name in libraries if "Quick" in name or "Qml" in name}
    assert quick <= {f"libQt6{n}.so.6" for n in ("Quick", "Qml", "QmlModels", "QmlMeta", "QmlWorkerScript")}
    assert not (qt / "qml").exists()
    assert not {p.name for p in (bundle / "_internal" / "PySide6").glob("Qt*.so")} - {
        "QtCore.abi3.so", "QtGui.abi3.so", "QtWidgets.abi3.so", "QtSvg.abi3.so", "QtTest.abi3.so",
        "QtMultimedia.abi3.so", "QtNetwork.abi3.so",
    }
    dangling = [p for p in (bundle / "_internal").iterdir() if p.is_symlink() and not p.exists()]
    assert not dangling


def test_the_icons_ship_for_the_window(bundle: Path) -> None:
    icons = bundle / "_internal" / "app" / "resources" / "icons"
    assert {"bashgah.svg", "bashgah-256.png"} <= {p.name for p in icons.iterdir()}
