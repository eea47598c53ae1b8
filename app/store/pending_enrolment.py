# SPDX-License-Identifier: GPL-3.0-or-later
"""What a terminal keeps while it asks to be enrolled: the device token it made and its issuing key.

Written before the request leaves, in one file only its owner may read (DATA_DIR/enrolment-pending), so
that an answer lost on the way can be asked for again with the same token and key: the club server then
answers with the same device (sync.server.enrolment). Removed once the answer is kept. A file that cannot
be read is as good as none: a new token and key are made, and the spent code is then refused, which says
to ask for a new code; nothing else is lost.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PENDING_FILE = "enrolment-pending"


@dataclass(frozen=True, slots=True)
class PendingEnrolment:
    token: str
    private_key: bytes = field(repr=False)  # Ed25519 seed, 32 bytes; never printed


def pending_path(data_dir: Path) -> Path:
    return Path(data_dir) / PENDING_FILE


def new_token() -> str:
    """256 random bits, URL-safe: what sync.protocol.EnrollRequest.token accepts."""
    return secrets.token_urlsafe(32)


def load(data_dir: Path) -> PendingEnrolment | None:
    try:
        fields = json.loads(pending_path(data_dir).read_text(encoding="ascii"))
        pending = PendingEnrolment(
            str(fields["token"]), base64.b64decode(fields["private_key"], validate=True)
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pending if len(pending.private_key) == 32 else None


def keep(data_dir: Path, pending: PendingEnrolment) -> None:
    """Durably, mode 0600 from the moment the file exists; a half-written file never takes the name."""
    path = pending_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"token": pending.token, "private_key": base64.b64encode(pending.private_key).decode()})
    draft = path.with_name(f".{PENDING_FILE}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(body)
        file.flush()
        os.fsync(file.fileno())
    os.replace(draft, path)
    _sync_dir(path.parent)


def discard(data_dir: Path) -> None:
    pending_path(data_dir).unlink(missing_ok=True)


def _sync_dir(directory: Path) -> None:
    """The rename itself survives a power cut (POSIX; Windows has no directory handles to sync)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
