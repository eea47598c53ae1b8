# SPDX-License-Identifier: GPL-3.0-or-later
"""The terminal's card-issuing key: a file only its owner may read, its public half in the club's keys.

Each issuing station has a key of its own (its own key id): a stolen terminal is dealt with by retiring
its key, and cards it issued before stay verifiable by their key id until then.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from app.cards.payload import IssuingKey, generate_issuing_key, private_key_from_pem, private_key_pem
from app.domain.errors import ClubError
from app.services.terminal import Terminal
from app.store import cards

KEYS_DIR = "keys"
_KEY_FILE = re.compile(r"issuing-(\d{1,5})\.pem")


def key_path(data_dir: Path, key_id: int) -> Path:
    return data_dir / KEYS_DIR / f"issuing-{key_id}.pem"


def create_issuing_key(terminal: Terminal, key_id: int) -> IssuingKey:
    """Make a key pair, keep the private half in a 0600 file and register the public half."""
    key = generate_issuing_key(key_id)
    save_private_key(terminal.data_dir, key)
    with terminal.db.write() as conn:
        cards.put_key(conn, key_id, key.public, terminal.clock.now_us())
    return key


def save_private_key(data_dir: Path, key: IssuingKey) -> None:
    """The private half in `keys/issuing-<id>.pem`, mode 0600 from the moment it exists."""
    path = key_path(data_dir, key.key_id)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # O_EXCL: never overwrite a key that signed cards already in people's pockets
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(private_key_pem(key))
        file.flush()
        os.fsync(file.fileno())


def load_issuing_key(terminal: Terminal) -> IssuingKey:
    """The newest issuing key this terminal holds, or a refusal saying it cannot issue cards."""
    directory = terminal.data_dir / KEYS_DIR
    found = sorted(
        (int(m.group(1)), path)
        for path in (directory.iterdir() if directory.is_dir() else [])
        if (m := _KEY_FILE.fullmatch(path.name))
    )
    if not found:
        raise ClubError("no_issuing_key")
    key_id, path = found[-1]
    try:
        return private_key_from_pem(key_id, path.read_bytes())
    except (OSError, ValueError) as error:
        raise ClubError("no_issuing_key", detail=str(error)) from error
