# SPDX-License-Identifier: GPL-3.0-or-later
"""The .deb as dpkg sees it (`dpkg-deb --info` / `--contents` and its files): what it depends on, where it
puts the bundle, the desktop entry and icons, the udev rule for nfcpy's USB readers, the blacklist of the
kernel's NFC drivers, and maintainer scripts that reload udev only where udev runs.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from nfc.clf.device import usb_device_map

from tests.package.conftest import VERSION

ICON_SIZES = ("48x48", "64x64", "128x128", "256x256")


def _dpkg_deb(*args: str) -> str:
    return subprocess.run(["dpkg-deb", *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def unpacked(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's files (`dpkg-deb --extract`) and its control files (`--control`, in DEBIAN/)."""
    root = tmp_path_factory.mktemp("deb")
    subprocess.run(["dpkg-deb", "--extract", str(deb), str(root)], check=True)
    subprocess.run(["dpkg-deb", "--control", str(deb), str(root / "DEBIAN")], check=True)
    return root


@pytest.fixture(scope="module")
def control(deb: Path) -> dict[str, str]:
    fields = {}
    for line in _dpkg_deb("--field", str(deb)).splitlines():
        if line and not line.startswith(" "):
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


@pytest.fixture(scope="module")
def contents(deb: Path) -> dict[str, str]:
    """path -> the listing's line (mode, owner, size, time, path[ -> target])."""
    listing = {}
    for line in _dpkg_deb("--contents", str(deb)).splitlines():
        path = line.split()[5]
        listing[path.removeprefix(".").rstrip("/") or "/"] = line
    return listing


def test_control_fields_and_dependencies(control: dict[str, str]) -> None:
    assert control["Package"] == "bashgah" and control["Version"] == VERSION
    assert control["Architecture"] == "amd64"
    depends = [d.strip() for d in control["Depends"].split(",")]
    for needed in ("pcscd", "libccid", "libpcsclite1", "libusb-1.0-0", "libegl1", "libfontconfig1"):
        assert needed in depends, control["Depends"]
    assert any(re.fullmatch(r"libc6 \(>= 2\.\d+\)", d) for d in depends), control["Depends"]
    assert int(control["Installed-Size"]) > 50_000  # KiB: the bundle is in it


def test_the_bundle_under_opt_with_bashgah_on_the_path(contents: dict[str, str], tarball: Path) -> None:
    assert contents["/opt/bashgah/bashgah"].startswith("-rwxr-xr-x root/root")
    assert contents["/usr/bin/bashgah"].startswith("lrwxrwxrwx root/root")
    assert contents["/usr/bin/bashgah"].endswith("-> /opt/bashgah/bashgah")
    assert all(" root/root " in line for line in contents.values())
    with tarfile.open(tarball) as archive:
        in_tarball = {"/opt/" + name for name in archive.getnames()}
    assert {path for path in contents if path.startswith("/opt/bashgah")} == in_tarball  # the same bundle


def test_desktop_entry_and_icons(unpacked: Path, contents: dict[str, str]) -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    desktop_file = unpacked / "usr/share/applications/bashgah.desktop"
    entry.read_string(desktop_file.read_text())
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Exec"] == "bashgah" and desktop["Icon"] == "bashgah"
    assert desktop["Name[fa]"] == "باشگاه" and desktop["Terminal"] == "false"
    for size in ICON_SIZES:
        assert f"/usr/share/icons/hicolor/{size}/apps/bashgah.png" in contents
    assert "/usr/share/icons/hicolor/scalable/apps/bashgah.svg" in contents
    if shutil.which("desktop-file-validate"):
        checked = subprocess.run(
            ["desktop-file-validate", str(desktop_file)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_udev_rule_gives_the_seat_every_reader_nfcpy_drives(unpacked: Path) -> None:
    rule = (unpacked / "usr/lib/udev/rules.d/60-bashgah-nfc.rules").read_text()
    assert usb_device_map, "nfcpy's list of USB readers"
    for vendor, product in usb_device_map:
        line = f'ATTR{{idVendor}}=="{vendor:04x}", ATTR{{idProduct}}=="{product:04x}", TAG+="uaccess"'
        assert line in rule, f"{vendor:04x}:{product:04x} ({usb_device_map[vendor, product]})"
    assert 'MODE="0666"' not in rule  # the logged-in user, not everyone
    if shutil.which("udevadm") and _udevadm_can_verify():  # systemd 253 or newer
        checked = subprocess.run(
            ["udevadm", "verify", str(unpacked / "usr/lib/udev/rules.d/60-bashgah-nfc.rules")],
            capture_output=True, text=True, check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def _udevadm_can_verify() -> bool:
    return subprocess.run(["udevadm", "verify", "--help"], capture_output=True, check=False).returncode == 0


def test_kernel_nfc_drivers_blacklisted_as_a_conffile(unpacked: Path) -> None:
    blacklist = (unpacked / "etc/modprobe.d/bashgah-nfc-blacklist.conf").read_text()
    listed = {line.split()[1] for line in blacklist.splitlines() if line.startswith("blacklist ")}
    assert listed == {"pn533_usb", "pn533", "nfc"}
    conffiles = (unpacked / "DEBIAN" / "conffiles").read_text().split()
    assert conffiles == ["/etc/modprobe.d/bashgah-nfc-blacklist.conf"]


@pytest.mark.parametrize(("script", "argument"), [("postinst", "configure"), ("postrm", "remove")])
def test_maintainer_scripts_reload_udev_only_where_it_runs(
    unpacked: Path, tmp_path: Path, script: str, argument: str
) -> None:
    path = unpacked / "DEBIAN" / script
    assert os.access(path, os.X_OK)
    subprocess.run(["sh", "-n", str(path)], check=True)

    fake = tmp_path / "bin"  # a udevadm that only writes down how it was called
    fake.mkdir()
    calls = tmp_path / "calls"
    (fake / "udevadm").write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    (fake / "udevadm").chmod(0o755)
    subprocess.run(["/bin/sh", str(path), argument], env={"PATH": str(fake)}, check=True)
    made = calls.read_text().splitlines() if calls.exists() else []
    if Path("/run/udev").is_dir():
        assert made == ["control --reload-rules", "trigger --subsystem-match=usb --action=change"]
    else:  # a container or chroot: no udev to tell
        assert made == []

    empty = tmp_path / "empty"  # no udevadm at all (a minimal container): still succeeds
    empty.mkdir()
    subprocess.run(["/bin/sh", str(path), argument], env={"PATH": str(empty)}, check=True)
