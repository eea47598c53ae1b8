# SPDX-License-Identifier: GPL-3.0-or-later
"""app.store.wrap_key: the chip-key wrap key at rest, in a 0600 file or in a real `keyring` backend.

The keyring path runs the real `keyring` library with keyrings.alt's file backend (a well-kept package of
the keyring project's own author) writing into the test's folder: the same calls a Windows till makes to
its Credential Locker. This headless Linux has no Secret Service, which `system_keyring` is checked to see.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring

from app.store import wrap_key

KEY = bytes(range(1, 33))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def file_keyring(folder: Path, priority: float | None = None) -> PlaintextKeyring:
    """keyrings.alt's file backend writing into `folder`; with a priority above 1 it is trusted as a system
    keyring would be (both are instance-level overrides the library provides for)."""
    store = PlaintextKeyring()
    store.file_path = str(folder / "keyring.cfg")
    if priority is not None:
        store.priority = priority
    return store


@pytest.fixture
def os_keyring():
    """Whatever keyring the test sets is put back."""
    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


def test_in_a_file_only_the_owner_can_read(tmp_path: Path) -> None:
    place = wrap_key.save(tmp_path, KEY, keyring=None)
    path = wrap_key.key_path(tmp_path)
    assert place.store == "file" and place.path == path and not place.exposed
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and place.mode == 0o600
    assert wrap_key.load(tmp_path, keyring=None) == KEY
    assert [p.name for p in tmp_path.iterdir()] == [wrap_key.WRAP_KEY_FILE]  # no draft left behind


def test_a_kept_key_is_never_replaced(tmp_path: Path) -> None:
    wrap_key.save(tmp_path, KEY, keyring=None)
    with pytest.raises(wrap_key.WrapKeyError, match="kept already"):
        wrap_key.save(tmp_path, bytes(32), keyring=None)
    assert wrap_key.load(tmp_path, keyring=None) == KEY


def test_none_kept_is_none_not_an_error(tmp_path: Path) -> None:
    assert wrap_key.load(tmp_path, keyring=None) is None
    assert wrap_key.place(tmp_path).store == "none"


@pytest.mark.skipif(os.name != "posix", reason="mode bits are POSIX's; Windows has the profile's ACL")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_file_others_can_read_is_refused_and_said_so(tmp_path: Path, mode: int) -> None:
    wrap_key.save(tmp_path, KEY, keyring=None)
    path = wrap_key.key_path(tmp_path)
    path.chmod(mode)
    assert wrap_key.place(tmp_path).exposed and wrap_key.place(tmp_path).mode == mode
    with pytest.raises(wrap_key.WrapKeyError, match="other users") as refused:
        wrap_key.load(tmp_path, keyring=None)
    message = str(refused.value)
    assert str(path) in message and f"{mode:o}" in message
    assert b64(KEY) not in message and KEY.hex() not in message
    path.chmod(0o600)
    assert wrap_key.load(tmp_path, keyring=None) == KEY


def test_a_garbled_file_is_said_so_without_its_content(tmp_path: Path) -> None:
    path = wrap_key.key_path(tmp_path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b'{"store": "file", "private_key": "' + b64(KEY[:20]).encode() + b'"}')
    os.close(fd)
    with pytest.raises(wrap_key.WrapKeyError, match="garbled") as refused:
        wrap_key.load(tmp_path, keyring=None)
    assert b64(KEY[:20]) not in str(refused.value)


def test_in_a_real_keyring_the_file_only_names_the_entry(tmp_path: Path) -> None:
    store = file_keyring(tmp_path)
    place = wrap_key.save(tmp_path / "data", KEY, keyring=store)
    assert place.store == "keyring" and place.backend == "keyrings.alt.file.PlaintextKeyring"
    locator = wrap_key.key_path(tmp_path / "data").read_text()
    assert b64(KEY) not in locator and KEY.hex() not in locator
    assert stat.S_IMODE(wrap_key.key_path(tmp_path / "data").stat().st_mode) == 0o600
    name = json.loads(locator)["name"]
    assert store.get_password(wrap_key.KEYRING_SERVICE, name) == b64(KEY)  # the backend holds it
    assert wrap_key.load(tmp_path / "data", keyring=store) == KEY
    # a second data folder on the same machine keeps a key of its own in the same keyring
    other = bytes(32 * [7])
    wrap_key.save(tmp_path / "demo", other, keyring=store)
    assert wrap_key.load(tmp_path / "demo", keyring=store) == other
    assert wrap_key.load(tmp_path / "data", keyring=store) == KEY


def test_a_keyring_that_is_gone_or_lost_the_entry_is_said_so(tmp_path: Path) -> None:
    store = file_keyring(tmp_path)
    wrap_key.save(tmp_path / "data", KEY, keyring=store)
    with pytest.raises(wrap_key.WrapKeyError, match="is not there"):
        wrap_key.load(tmp_path / "data", keyring=None)
    (tmp_path / "keyring.cfg").unlink()
    with pytest.raises(wrap_key.WrapKeyError, match="holds no wrap key"):
        wrap_key.load(tmp_path / "data", keyring=file_keyring(tmp_path))


def test_this_headless_machine_has_no_system_keyring(os_keyring: None) -> None:
    # what the library chose for this machine: its fail backend, or keyrings.alt's plain file (priority
    # 0.5) when that is installed; neither is trusted with the key, so the 0600 file is used
    chosen = keyring.get_keyring()
    assert isinstance(chosen, fail.Keyring | PlaintextKeyring), chosen
    assert wrap_key.system_keyring() is None
    keyring.set_keyring(file_keyring(Path("/nonexistent"), priority=0.5))
    assert wrap_key.system_keyring() is None


def test_a_system_keyring_is_used_by_default_unless_told_file(
    tmp_path: Path, os_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = file_keyring(tmp_path, priority=5)
    keyring.set_keyring(store)
    assert wrap_key.system_keyring() is store
    place = wrap_key.save(tmp_path / "data", KEY)
    assert place.store == "keyring" and place.backend == "keyrings.alt.file.PlaintextKeyring"
    assert wrap_key.load(tmp_path / "data") == KEY
    monkeypatch.setenv(wrap_key.STORE_ENV, "file")
    assert wrap_key.system_keyring() is None
    assert wrap_key.save(tmp_path / "till", KEY).store == "file"
