# SPDX-License-Identifier: GPL-3.0-or-later
"""The device token the club server gave this terminal at enrolment: a file only its owner may read.

Kept apart from the SQLite file so that a copy of the data file (a support request, a backup) does not
carry the credential. The server keeps only its hash and can revoke it.
"""

from __future__ import annotations

import os
from pathlib import Path

TOKEN_FILE = "device-token"


def token_path(data_dir: Path) -> Path:
    return Path(data_dir) / TOKEN_FILE


def write_token(data_dir: Path, token: str) -> None:
    """Create the token file with mode 0600 from the start (never world-readable, not even briefly)."""
    path = token_path(data_dir)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(token)
        file.flush()
        os.fsync(file.fileno())


def read_token(data_dir: Path) -> str | None:
    try:
        return token_path(data_dir).read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None


def has_token(data_dir: Path) -> bool:
    return token_path(data_dir).exists()
