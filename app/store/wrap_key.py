# SPDX-License-Identifier: GPL-3.0-or-later
"""Where this terminal keeps the private half of its chip-key wrap key (X25519, 32 bytes), at rest.

The club server seals the branch's NTAG 424 DNA keys for this key (app.cards.ntag424.keys), so whoever
holds it and a copy of the SQLite file holds the branch's read key. It is never in the SQLite file:

- in the OS keyring where the `keyring` library finds a real one (Windows' Credential Locker, macOS'
  Keychain, a desktop Linux's Secret Service: encrypted with the user's login). DATA_DIR/chip-wrap-key
  then only says which keyring entry holds it (a random name, so that two data folders on one machine
  keep two keys);
- otherwise (a headless Linux till has no Secret Service: the library finds only its "fail" backend) in
  DATA_DIR/chip-wrap-key itself, mode 0600 from the moment it exists, beside the device token and the
  issuing key (app.store.device_token, app.services.issuing_key). The data folder and not the platform's
  config folder: the key belongs to the enrolment, which is the data folder's (the token the server
  knows the terminal by is there, and a wrap key without it is worth nothing to the server); two data
  folders on one machine (a demo and a branch, the tests) must not share it; and a copy of the SQLite
  file alone (a support request) still carries neither.
A key file that others than its owner can read is refused (WrapKeyError), as ssh refuses such a key: the
terminal then reads chip cards by their signature only, and `bashgah doctor` says why and what to do.

BASHGAH_WRAP_KEY_STORE=file keeps the key in the file even where a keyring exists (a keyring that asks
a person to unlock it would stop a till that nobody is logged in to).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

WRAP_KEY_FILE = "chip-wrap-key"
KEYRING_SERVICE = "bashgah chip wrap key"
KEY_LENGTH = 32
STORE_ENV = "BASHGAH_WRAP_KEY_STORE"
AUTO: Any = object()  # save/load's default keyring: the OS's (system_keyring)
_EXPOSED = stat.S_IRWXG | stat.S_IRWXO


class WrapKeyError(Exception):
    """The wrap key cannot be used: its file is readable by others, garbled, or its keyring is not there.
    The message says which and where; it never holds the key."""


@dataclass(frozen=True, slots=True)
class Place:
    """Where the wrap key is (for `bashgah doctor`): never the key itself."""

    store: Literal["keyring", "file", "none"]
    path: Path  # the key's file, or the file naming its keyring entry
    mode: int | None  # the file's permission bits (POSIX), None when there is no file or no such bits
    backend: str | None = None  # the keyring's backend, e.g. "keyring.backends.Windows.WinVaultKeyring"

    @property
    def exposed(self) -> bool:
        """Readable or writable by others than the terminal's OS user."""
        return self.mode is not None and bool(self.mode & _EXPOSED)


def key_path(data_dir: Path) -> Path:
    return Path(data_dir) / WRAP_KEY_FILE


def backend_name(backend: Any) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def system_keyring() -> Any | None:
    """The OS's keyring when the `keyring` library finds a real one, else None: the library missing,
    only its "fail" backend (a headless Linux), or a backend of priority below 1 (keyrings.alt's plain-text
    file is 0.5: no better than our own 0600 file). Of several (the library's chainer), the first: the one
    the chainer would write to, used alone so that the key is read back from where it was written."""
    if os.environ.get(STORE_ENV, "").strip().lower() == "file":
        return None
    try:
        import keyring
        from keyring.backends import chainer, fail
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
        if isinstance(backend, chainer.ChainerBackend):  # several found: the one it would write to, alone
            found = backend.backends
            backend = found[0] if found else None
        if backend is None or isinstance(backend, fail.Keyring) or float(backend.priority) < 1:
            return None
    except Exception:  # a backend that breaks while asked about itself is no keyring to trust a key to
        return None
    return backend


def _mode(path: Path) -> int | None:
    if os.name != "posix":
        return None  # Windows: the file's ACL is the user profile's, not mode bits
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


def place(data_dir: Path) -> Place:
    """Where this data folder's wrap key is kept, read from its file (no keyring is asked)."""
    path = key_path(data_dir)
    try:
        fields = json.loads(path.read_text(encoding="ascii"))
    except FileNotFoundError:
        return Place("none", path, None)
    except (OSError, ValueError):
        return Place("file", path, _mode(path))  # garbled: load says so
    if isinstance(fields, dict) and fields.get("store") == "keyring":
        return Place("keyring", path, _mode(path), str(fields.get("backend") or ""))
    return Place("file", path, _mode(path))


def save(data_dir: Path, private: bytes, *, keyring: Any = AUTO) -> Place:
    """Keep `private` (32 bytes): in `keyring` (default: the OS's, if any), else in the 0600 file.
    Never over a key already kept: the server may have sealed keys for it."""
    if len(private) != KEY_LENGTH:
        raise WrapKeyError("a wrap key is 32 bytes")
    path = key_path(data_dir)
    if path.exists():
        raise WrapKeyError(f"a wrap key is kept already ({path})")
    backend = system_keyring() if keyring is AUTO else keyring
    encoded = base64.b64encode(private).decode()
    if backend is not None:
        name = str(uuid.uuid4())
        backend.set_password(KEYRING_SERVICE, name, encoded)
        fields = {"version": 1, "store": "keyring", "backend": backend_name(backend), "name": name}
    else:
        fields = {"version": 1, "store": "file", "private_key": encoded}
    _write_private(path, json.dumps(fields))
    return place(data_dir)


def load(data_dir: Path, *, keyring: Any = AUTO) -> bytes | None:
    """The kept key; None when none was ever kept here (a terminal enrolled before chip keys).
    WrapKeyError when one is kept but cannot be used."""
    path = key_path(data_dir)
    where = place(data_dir)
    if where.store == "none":
        return None
    if where.exposed:
        raise WrapKeyError(f"{path} can be read by other users (mode {where.mode:o}): refused")
    try:
        fields = json.loads(path.read_text(encoding="ascii"))
        keyring_held = fields["store"] == "keyring"
        encoded = _from_keyring(fields, keyring) if keyring_held else fields["private_key"]
        private = base64.b64decode(encoded, validate=True)
    except (OSError, ValueError, KeyError, TypeError):
        raise WrapKeyError(f"{path} is garbled or its key is missing") from None
    if len(private) != KEY_LENGTH:
        raise WrapKeyError(f"{path} is garbled or its key is missing")
    return private


def _from_keyring(fields: dict[str, Any], keyring: Any) -> str:
    backend = system_keyring() if keyring is AUTO else keyring
    if backend is None:
        raise WrapKeyError(f"the keyring that holds the wrap key ({fields.get('backend')}) is not there")
    try:
        encoded = backend.get_password(KEYRING_SERVICE, str(fields["name"]))
    except Exception as error:  # the keyring's own errors (locked, D-Bus gone): their type only
        raise WrapKeyError(f"the keyring could not be read ({type(error).__name__})") from None
    if not isinstance(encoded, str):
        raise WrapKeyError(f"the keyring ({fields.get('backend')}) holds no wrap key for this terminal")
    return encoded


def _write_private(path: Path, body: str) -> None:
    """Durably, mode 0600 from the moment the file exists; a half-written file never takes the name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{WRAP_KEY_FILE}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(body)
        file.flush()
        os.fsync(file.fileno())
    try:  # a link, not a rename: it fails rather than replace a key another process kept meanwhile
        os.link(draft, path)
    except FileExistsError:
        raise WrapKeyError(f"a wrap key is kept already ({path})") from None
    finally:
        draft.unlink()
    if os.name == "posix":
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
