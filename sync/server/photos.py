# SPDX-License-Identifier: GPL-3.0-or-later
"""Member photos: a resumable upload by SHA-256 (Content-Range chunks) and a download.

`status` says how many bytes the server holds, and changes nothing; `put_chunk` appends the next bytes;
`attach` makes a photo the server already holds whole a member's (POST, never a GET). A chunk that starts
before the end of what is held is accepted when its overlap is byte-for-byte what is held (a retried
chunk whose answer was lost); one that starts beyond it is refused with what is held, so the client
resumes from there. When every byte is in, the SHA-256 must match the name (else the upload starts
over) and the bytes must be a JPEG; then the photo becomes the member's and a `member_photo` change is
published.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import Connection, select, update

from sync.protocol import MAX_PHOTO_BYTES, UploadStatus
from sync.server import members
from sync.server.alerts import audit, raise_alert
from sync.server.db import dialect_insert
from sync.server.errors import ApiError
from sync.server.models import PHOTO
from sync.server.sequence import Publisher
from sync.server.vetting import items

_RANGE = re.compile(r"^bytes (\d{1,9})-(\d{1,9})/(\d{1,9})$")
JPEG_MAGIC = b"\xff\xd8\xff"


def parse_content_range(header: str | None, body_length: int) -> tuple[int, int]:
    """(start, total) from `Content-Range: bytes START-END/TOTAL`, checked against the body."""
    match = _RANGE.match((header or "").strip())
    if match is None:
        raise ApiError(400, "invalid_content_range", "Content-Range: bytes START-END/TOTAL is required")
    start, end, total = (int(g) for g in match.groups())
    if total > MAX_PHOTO_BYTES:
        raise ApiError(413, "photo_too_large", f"a photo is at most {MAX_PHOTO_BYTES} bytes")
    if not start <= end < total or end - start + 1 != body_length:
        raise ApiError(400, "invalid_content_range", "the range does not match the body or the total")
    return start, total


@dataclass(frozen=True, slots=True)
class Uploader:
    """The terminal sending the photo: it may set the photos of some members only."""

    device_id: str
    device_code: str
    branch_id: str


def _require_member(conn: Connection, member_id: str, uploader: Uploader) -> None:
    if not members.existing_ids(conn, {member_id}):
        raise ApiError(404, "unknown_member", "push the member before its photo")
    refusal = items.photo_refusal(conn, uploader.device_id, uploader.branch_id, member_id)
    if refusal is not None:
        why = (
            "the member was erased: the club keeps no photo of them"
            if items.is_erased(conn, member_id)
            else "this terminal may not change that member's photo: another branch's member, with a photo"
        )
        raise ApiError(409, refusal, why)


def status(conn: Connection, sha256: str) -> UploadStatus:
    """How much of the photo the server holds. A question: it changes nothing (`attach` does)."""
    row = conn.execute(select(PHOTO.c.received, PHOTO.c.complete).where(PHOTO.c.sha256 == sha256)).first()
    if row is None:
        return UploadStatus(sha256=sha256, received=0, complete=False)
    return UploadStatus(sha256=sha256, received=row.received, complete=row.complete)


def attach(conn: Connection, pub: Publisher, sha256: str, member_id: str, uploader: Uploader) -> UploadStatus:
    """Make a photo the server already holds whole this member's (another till uploaded the same bytes)."""
    _require_member(conn, member_id, uploader)
    row = conn.execute(select(PHOTO.c.received).where(PHOTO.c.sha256 == sha256, PHOTO.c.complete)).first()
    if row is None:
        raise ApiError(404, "unknown_photo", "the server holds no complete photo with this hash; upload it")
    _set(conn, pub, member_id, sha256, size=row.received, uploader=uploader)
    return UploadStatus(sha256=sha256, received=row.received, complete=True)


def _set(
    conn: Connection, pub: Publisher, member_id: str, sha256: str, *, size: int, uploader: Uploader
) -> None:
    if members.set_photo(conn, pub, member_id, sha256, size):
        actor = f"device:{uploader.device_code} ({uploader.device_id})"
        audit(conn, pub.at_us, actor, "photo_set_by_terminal", member_id, sha256=sha256)


def put_chunk(
    conn: Connection,
    pub: Publisher,
    sha256: str,
    member_id: str,
    *,
    chunk: bytes,
    content_range: str | None,
    uploader: Uploader,
) -> tuple[UploadStatus, str | None]:
    """The upload's status after this chunk, and why the finished photo was refused (None: it was not).

    A refused photo is not an exception: its reset and alert must commit.
    """
    _require_member(conn, member_id, uploader)
    start, total = parse_content_range(content_range, len(chunk))
    held = _held(conn, pub, sha256, member_id, total)
    if held.complete:
        _set(conn, pub, member_id, sha256, size=len(held.data), uploader=uploader)
        return UploadStatus(sha256=sha256, received=len(held.data), complete=True), None
    if start > len(held.data):
        raise ApiError(
            409, "upload_offset_mismatch", "resume from what the server holds", received=len(held.data)
        )
    overlap = held.data[start:]
    if chunk[: len(overlap)] != overlap:
        raise ApiError(
            409, "upload_offset_mismatch", "these bytes differ from what is held", received=len(held.data)
        )
    data = held.data + chunk[len(overlap) :]
    if len(data) < total:
        conn.execute(update(PHOTO).where(PHOTO.c.sha256 == sha256).values(data=data, received=len(data)))
        return UploadStatus(sha256=sha256, received=len(data), complete=False), None
    return _finish(conn, pub, sha256, member_id, data=data, uploader=uploader)


class _Held:
    def __init__(self, data: bytes, complete: bool) -> None:
        self.data = data
        self.complete = complete


def _held(conn: Connection, pub: Publisher, sha256: str, member_id: str, total: int) -> _Held:
    """The upload's row (created on the first chunk, locked for the rest of this transaction)."""
    conn.execute(
        dialect_insert(conn, PHOTO)
        .values(sha256=sha256, member_id=member_id, size=total, received=0, data=b"", created_at_us=pub.at_us)
        .on_conflict_do_nothing()
    )
    # lock the row: two clients sending the same photo at once must not both append
    conn.execute(update(PHOTO).where(PHOTO.c.sha256 == sha256).values(sha256=PHOTO.c.sha256))
    row = conn.execute(
        select(PHOTO.c.data, PHOTO.c.size, PHOTO.c.complete).where(PHOTO.c.sha256 == sha256)
    ).one()
    if not row.complete and row.size != total:
        raise ApiError(
            409, "upload_size_mismatch", "the total differs from the upload's", received=len(row.data)
        )
    return _Held(bytes(row.data), bool(row.complete))


def _finish(
    conn: Connection, pub: Publisher, sha256: str, member_id: str, *, data: bytes, uploader: Uploader
) -> tuple[UploadStatus, str | None]:
    refusal = None
    if hashlib.sha256(data).hexdigest() != sha256:
        refusal = "hash_mismatch"
    elif not data.startswith(JPEG_MAGIC):
        refusal = "not_a_jpeg"
    if refusal is not None:
        # start over: resuming on top of wrong bytes could never succeed
        conn.execute(update(PHOTO).where(PHOTO.c.sha256 == sha256).values(data=b"", received=0))
        raise_alert(conn, pub.at_us, "photo_rejected", member_id=member_id, subject=sha256, reason=refusal)
        return UploadStatus(sha256=sha256, received=0, complete=False), refusal
    conn.execute(
        update(PHOTO).where(PHOTO.c.sha256 == sha256).values(data=data, received=len(data), complete=True)
    )
    _set(conn, pub, member_id, sha256, size=len(data), uploader=uploader)
    return UploadStatus(sha256=sha256, received=len(data), complete=True), None


def jpeg(conn: Connection, sha256: str) -> bytes | None:
    row = conn.execute(select(PHOTO.c.data).where(PHOTO.c.sha256 == sha256, PHOTO.c.complete)).first()
    return None if row is None else bytes(row.data)
