# SPDX-License-Identifier: GPL-3.0-or-later
"""Enrolling this terminal with the club server (`bashgah enroll --server URL --code CODE`).

Only an empty data folder can be enrolled: a terminal that already holds a club (the demo, or another
club's) would mix its members and ledger into this one. The terminal makes its card-issuing key pair first
and sends the public half; the server answers with the device's id, its secret token (kept in a 0600 file,
DATA_DIR/device-token), the key id it gave the key and the device's own card-number series. Then the whole
club is pulled (the caller's `catch_up`, e.g. the sync client), which brings this terminal's own device
row; `open_terminal` works from then on.

A lost answer: the token and the key pair are made here and kept (app.store.pending_enrolment) before
the request leaves, and reused by the next attempt in the same folder, so the same command run again
after a timeout gets the same device from the server (it answers the same code, token and key alike).

The chip-key wrap key (X25519, issue 19) is made before the request too, but kept at once where it stays
(app.store.wrap_key: the OS keyring, else a 0600 file), not in the pending file: a retry reuses it from
there, and its private half is never in one more file than it must be. The server seals the branch's
NTAG 424 DNA keys for its public half (GET /v1/chip-keys, fetched by sync).

Crash windows: the pending token and key first, then (after the answer) the token file, the key file, the
settings, and the pending file is removed. A terminal that stops after the server answered but before
the pull finished is enrolled: `bashgah sync` completes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select

from app.cards.payload import IssuingKey, generate_issuing_key, issuing_key_from_private
from app.domain.errors import ClubError
from app.domain.keyboard_layout import latin_keys
from app.domain.ports import Clock
from app.services.chip_keys import ensure_wrap_key
from app.services.enroll import CARD_PREFIX_SETTING, CARD_SERIAL_SETTING
from app.services.issuing_key import save_private_key
from app.services.terminal import SystemClock, Terminal, open_terminal
from app.store import cards, club, pending_enrolment, sync_state
from app.store.database import Database
from app.store.device_token import has_token, write_token
from app.store.schema import MemberRow, TierRow
from sync.protocol import EnrollRequest, EnrollResponse, b64encode, parse_enrolment_qr

_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


class EnrollmentServer(Protocol):
    """The club server's enrolment endpoint (sync.client.HttpEnrollment implements it)."""

    def enroll(self, server_url: str, request: EnrollRequest) -> EnrollResponse: ...


@dataclass(frozen=True, slots=True)
class DeviceEnrollment:
    device_id: str
    device_code: str
    branch_id: str
    key_id: int | None
    card_prefix: str
    server_url: str


def clean_server_url(raw: str) -> str:
    url = (raw or "").strip().rstrip("/")
    if not _URL.match(url):
        raise ClubError("invalid_server_url", url=raw)
    return url


def enroll_device(
    data_dir: Path,
    *,
    server_url: str,
    code: str,
    server: EnrollmentServer,
    catch_up: Callable[[Database], object],
    device_name: str = "",
    clock: Clock | None = None,
) -> tuple[DeviceEnrollment, Terminal]:
    """Enrol the empty data folder with the server, then pull the club: the terminal, ready to open."""
    url = clean_server_url(server_url)
    scanned = parse_enrolment_qr(code)
    if scanned is not None:  # the back office's QR, scanned where the code goes: its code part
        code = scanned[1]
    code = latin_keys(code)  # typed on the Persian layout: the keys pressed (the server ignores case)
    db = Database.open(data_dir)
    require_empty(db, data_dir)
    token, key = _pending(data_dir)
    wrap_public = ensure_wrap_key(data_dir)
    request = EnrollRequest(
        code=code,
        device_name=device_name,
        issuing_public_key=b64encode(key.public),
        token=token,
        wrap_public_key=b64encode(wrap_public),
    )
    response = server.enroll(url, request)
    enrollment = _keep(db, data_dir, url, response, key=key, clock=clock or SystemClock())
    pending_enrolment.discard(data_dir)
    try:
        catch_up(db)
    except ClubError as error:
        raise ClubError("enrollment_incomplete", detail=error.code) from error
    return enrollment, finish_enrollment(db, data_dir, clock)


def _pending(data_dir: Path) -> tuple[str, IssuingKey]:
    """The token and key pair of this folder's enrolment: the ones an earlier attempt kept, else new
    ones, kept before they are sent. The server chooses the key id; the pair does not depend on it."""
    pending = pending_enrolment.load(data_dir)
    if pending is None:
        pending = pending_enrolment.PendingEnrolment(
            pending_enrolment.new_token(), generate_issuing_key(0).private
        )
        pending_enrolment.keep(data_dir, pending)
    return pending.token, issuing_key_from_private(0, pending.private_key)


def require_empty(db: Database, data_dir: Path) -> None:
    """Refuse a data folder that already holds a club, or an enrolment."""
    with db.read() as conn:
        taken = (
            club.self_device(conn) is not None
            or sync_state.is_enrolled(conn)
            or conn.execute(select(func.count()).select_from(MemberRow)).scalar_one() > 0
            or conn.execute(select(func.count()).select_from(TierRow)).scalar_one() > 0
        )
    if taken or has_token(data_dir):
        raise ClubError("already_enrolled", data_dir=str(data_dir))


def _keep(
    db: Database, data_dir: Path, url: str, response: EnrollResponse, *, key: IssuingKey, clock: Clock
) -> DeviceEnrollment:
    """Keep what the server said: the token first (it is what cannot be asked for again)."""
    write_token(data_dir, response.token)
    now = clock.now_us()
    if response.key_id is not None:
        save_private_key(data_dir, IssuingKey(response.key_id, key.private, key.public))
    with db.write() as conn:
        sync_state.put(conn, sync_state.SERVER_URL, url)
        sync_state.put(conn, sync_state.DEVICE_ID, response.device_id)
        sync_state.put(conn, sync_state.DEVICE_CODE, response.device_code)
        sync_state.put(conn, sync_state.BRANCH_ID, response.branch_id)
        sync_state.put(conn, CARD_PREFIX_SETTING, response.card_prefix)
        sync_state.put(conn, CARD_SERIAL_SETTING, 0)
        sync_state.note_contact(conn, response.server_time_us, now)
        if response.key_id is not None:
            cards.put_key(conn, response.key_id, key.public, now)
    return DeviceEnrollment(
        response.device_id,
        response.device_code,
        response.branch_id,
        response.key_id,
        response.card_prefix,
        url,
    )


def finish_enrollment(db: Database, data_dir: Path, clock: Clock | None = None) -> Terminal:
    """The terminal, once the pull brought its own device row (made here if the server sent none)."""
    pending_enrolment.discard(data_dir)  # kept by an enrolment that stopped after the answer: spent now
    with db.write() as conn:
        if club.self_device(conn) is None:
            device_id = sync_state.get(conn, sync_state.DEVICE_ID)
            code = sync_state.get(conn, sync_state.DEVICE_CODE)
            branch_id = sync_state.get(conn, sync_state.BRANCH_ID)
            if device_id is None or code is None or branch_id is None:
                raise ClubError("club_not_set_up", data_dir=str(data_dir))
            if not any(b.id == branch_id for b in club.branches(conn)):
                raise ClubError("enrollment_incomplete", detail="the club's branches have not arrived")
            club.put_device(conn, club.Device(device_id, code, branch_id, is_self=True))
    return open_terminal(data_dir, clock=clock, db=db)
