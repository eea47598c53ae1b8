# SPDX-License-Identifier: GPL-3.0-or-later
"""Protocol v1's device endpoints (sync.protocol's docstring lists them); thin: parse, authorise, call.

Handlers are plain functions, which FastAPI runs on its thread pool: the database driver blocks. The
photo upload reads its raw body, so it is async and hands the database work to the pool itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy import Connection, literal, select

from sync.protocol import (
    DEFAULT_PULL_LIMIT,
    HASH_PATTERN,
    MAX_PHOTO_BYTES,
    MAX_PULL_LIMIT,
    PROTOCOL_VERSION,
    UUID_PATTERN,
    ChipKeysResponse,
    EnrollPreviewRequest,
    EnrollPreviewResponse,
    EnrollRequest,
    EnrollResponse,
    Grant,
    GrantsRequest,
    GrantsResponse,
    PullResponse,
    PushRequest,
    PushResponse,
    SpendRequest,
    UploadStatus,
)
from sync.server import chip_keys, enrolment, grants, observability, photos, pull, push
from sync.server.auth import Device, current_device
from sync.server.db import Database
from sync.server.errors import ApiError
from sync.server.models import DEVICE
from sync.server.sequence import Publisher

T = TypeVar("T")
router = APIRouter(prefix="/v1")
CurrentDevice = Annotated[Device, Depends(current_device)]
Sha256 = Annotated[str, Path(pattern=HASH_PATTERN, description="the photo's SHA-256, lowercase hex")]
MemberId = Annotated[str, Query(pattern=UUID_PATTERN)]


class Health(BaseModel):
    status: str
    protocol: int
    server_time_us: int


def _db(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


def _now(request: Request) -> int:
    return int(request.app.state.clock.now_us())


def _publishing(db: Database, now_us: int, work: Callable[[Connection, Publisher], T]) -> T:
    """Run work in a write transaction with a Publisher, numbering what it published just before commit."""

    def run(conn: Connection) -> T:
        pub = Publisher(now_us)
        result = work(conn, pub)
        pub.flush(conn)
        return result

    return db.write(run)


@router.get("/health", response_model=Health, tags=["device"])
def health(request: Request) -> Health:
    """The server and its database answer (503 `storage_unavailable` if not); its clock. No authentication."""
    with _db(request).read() as conn:
        conn.execute(select(literal(1)))
    return Health(status="ok", protocol=PROTOCOL_VERSION, server_time_us=_now(request))


@router.post("/enroll", response_model=EnrollResponse, tags=["device"])
def enroll(body: EnrollRequest, request: Request) -> EnrollResponse:
    """Turn a one-time enrolment code into a device, its token and its card series."""
    now = _now(request)
    return _db(request).write(lambda conn: enrolment.enroll(conn, body, now))


@router.post("/enroll/preview", response_model=EnrollPreviewResponse, tags=["device"])
def enroll_preview(body: EnrollPreviewRequest, request: Request) -> EnrollPreviewResponse:
    """Whose one-time code this is (club, branch, expiry), without spending it; 401 says whether it is
    unknown (`invalid_enrollment_code`), used or expired."""
    now = _now(request)
    with _db(request).read() as conn:
        return enrolment.preview(conn, body, now)


@router.post("/sync/push", response_model=PushResponse, tags=["device"])
def push_batch(body: PushRequest, device: CurrentDevice, request: Request) -> Response:
    """Items (members, cards, revocations) then ledger entries; an answer for each."""
    now = _now(request)
    answer = _db(request).write(lambda conn: push.push(conn, device.id, body, now))
    observability.count_push(answer)  # entries by outcome, for /metrics
    # serialised here, once: FastAPI would dump the answer, validate it again and encode it (a thousand
    # results a batch); the schema is still the response_model's
    return Response(answer.model_dump_json(), media_type="application/json")


@router.get("/sync/pull", response_model=PullResponse, tags=["device"])
def pull_page(
    device: CurrentDevice,
    request: Request,
    *,
    since: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
    protocol: Annotated[int, Query(ge=0, le=1000)] = PROTOCOL_VERSION,
    set_aside: bool = False,
    set_aside_resolved: bool = False,
    unlocks: bool = False,
) -> Response:
    """Changes after the cursor `since`, in server order, and the next cursor. `set_aside=true`: with the
    entries the server set aside (`entry_set_aside`), which terminals older than those changes skip; and
    `set_aside_resolved=true` as well: with the club's review confirming a refusal (`set_aside_resolved`).
    `unlocks=true`: staff changes carry `unlocked_at_us` (head office lifting a PIN lockout), which older
    terminals would refuse, so they get them without it."""
    if protocol != PROTOCOL_VERSION:
        raise ApiError(400, "unsupported_protocol", "this server speaks protocol 1")
    # from the read replica when there is one and it holds what this terminal has seen (sync.server.pull)
    body, read_from = pull.replica_page_json(
        _db(request),
        device.id,
        since,
        limit,
        _now(request),
        set_aside=set_aside,
        resolved=set_aside_resolved,
        unlocks=unlocks,
    )
    return Response(body, media_type="application/json", headers={pull.READ_FROM_HEADER: read_from})


@router.get("/chip-keys", response_model=ChipKeysResponse, tags=["device"])
def chip_keys_for_device(device: CurrentDevice, request: Request) -> ChipKeysResponse:
    """The branch's NTAG 424 DNA keys this terminal may hold, each wrapped for its wrap key: "read" for
    every generation still in use, "write" too for an issuing terminal; the whole set, newest last. 409
    `no_wrap_key` for a terminal enrolled without a wrap key."""
    now = _now(request)
    return _db(request).write(lambda conn: chip_keys.for_device(conn, device.id, now))


def _device_key(conn: Connection, device: Device) -> grants.DeviceKey:
    """Read in the grant's own transaction: `push_first` must see the pushes committed before it."""
    row = conn.execute(
        select(DEVICE.c.contiguous_seq, DEVICE.c.grant_key).where(DEVICE.c.id == device.id)
    ).one()
    if row.grant_key is None:
        raise ApiError(403, "device_revoked", "this device has no grant key; enrol it again")
    return grants.DeviceKey(device.id, int(row.contiguous_seq), bytes.fromhex(row.grant_key))


@router.post("/grants", response_model=GrantsResponse, tags=["device"])
def offline_grants(body: GrantsRequest, device: CurrentDevice, request: Request) -> GrantsResponse:
    """Allowances for spending offline, one per member asked for."""
    now = _now(request)
    issued = _db(request).write(lambda conn: grants.grants(conn, _device_key(conn, device), body, now))
    return GrantsResponse(grants=issued, server_time_us=now)


@router.post("/spend", response_model=Grant, tags=["device"])
def online_spend(body: SpendRequest, device: CurrentDevice, request: Request) -> Grant:
    """Authorise a redeem entry now (409 `insufficient_points` with `available` when it cannot be)."""
    now = _now(request)
    return _db(request).write(lambda conn: grants.spend(conn, _device_key(conn, device), body, now))


def _uploader(device: Device) -> photos.Uploader:
    return photos.Uploader(device.id, device.code, device.branch_id)


@router.get("/photos/{sha256}/upload", response_model=UploadStatus, tags=["photos"])
def upload_status(
    sha256: Sha256, device: CurrentDevice, request: Request, member_id: MemberId | None = None
) -> UploadStatus:
    """How many bytes of the photo the server holds. Changes nothing (`member_id` is accepted from older
    terminals and ignored): a photo already held becomes a member's by POST …/member."""
    with _db(request).read() as conn:
        return photos.status(conn, sha256)


@router.post("/photos/{sha256}/member", response_model=UploadStatus, tags=["photos"])
def attach_photo(
    sha256: Sha256, member_id: MemberId, device: CurrentDevice, request: Request
) -> UploadStatus:
    """Make a photo the server holds whole the member's photo (409 `photo_not_permitted` for a member of
    another branch who has one)."""

    def work(conn: Connection, pub: Publisher) -> UploadStatus:
        return photos.attach(conn, pub, sha256, member_id, _uploader(device))

    return _publishing(_db(request), _now(request), work)


_OCTETS = {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}


@router.put(
    "/photos/{sha256}",
    response_model=UploadStatus,
    tags=["photos"],
    openapi_extra={"requestBody": _OCTETS | {"required": True}},
)
async def upload_chunk(
    sha256: Sha256,
    member_id: MemberId,
    device: CurrentDevice,
    request: Request,
    content_range: Annotated[str | None, Header(max_length=64, description="bytes START-END/TOTAL")] = None,
) -> UploadStatus:
    """The next bytes of a photo; complete once every byte is in and the SHA-256 holds."""
    chunk = await request.body()
    if len(chunk) > MAX_PHOTO_BYTES:
        raise ApiError(413, "photo_too_large", f"a photo is at most {MAX_PHOTO_BYTES} bytes")
    now = _now(request)

    def work(conn: Connection, pub: Publisher) -> tuple[UploadStatus, str | None]:
        return photos.put_chunk(
            conn, pub, sha256, member_id, chunk=chunk, content_range=content_range, uploader=_uploader(device)
        )

    status, refusal = await run_in_threadpool(_publishing, _db(request), now, work)
    if refusal is not None:
        raise ApiError(422, refusal, "the photo was refused; upload it again from the start", received=0)
    return status


@router.get(
    "/photos/{sha256}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
    tags=["photos"],
)
def download_photo(sha256: Sha256, device: CurrentDevice, request: Request) -> Response:
    with _db(request).read() as conn:
        data = photos.jpeg(conn, sha256)
    if data is None:
        raise ApiError(404, "unknown_photo", "the server holds no complete photo with this hash")
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "max-age=31536000, immutable"})
