# SPDX-License-Identifier: GPL-3.0-or-later
"""Photos: a resumable upload in Content-Range chunks, verified by SHA-256, then published."""

from __future__ import annotations

import hashlib
import os

from sync.protocol import MAX_PHOTO_BYTES, UploadStatus
from tests.server.club import member, member_item, new_id, pull_all, push

JPEG = b"\xff\xd8\xff\xe0" + os.urandom(150_000)
SHA = hashlib.sha256(JPEG).hexdigest()


def status(client, terminal, member_id, sha=SHA) -> UploadStatus:
    response = client.get(f"/v1/photos/{sha}/upload?member_id={member_id}", headers=terminal.auth)
    assert response.status_code == 200, response.text
    return UploadStatus.model_validate(response.json())


def put(client, terminal, member_id, start, end, *, data=JPEG, sha=SHA, total=None):
    headers = terminal.auth | {
        "Content-Range": f"bytes {start}-{end - 1}/{total or len(data)}",
        "Content-Type": "application/octet-stream",
    }
    return client.put(f"/v1/photos/{sha}?member_id={member_id}", content=data[start:end], headers=headers)


def pushed_member(client, terminal):
    m = member()
    push(client, terminal, [], [member_item(m)])
    return m


def test_an_upload_resumes_where_the_server_stopped(client, club_db, terminal):
    m = pushed_member(client, terminal)
    assert status(client, terminal, m.id) == UploadStatus(sha256=SHA, received=0, complete=False)
    assert put(client, terminal, m.id, 0, 65_536).json()["received"] == 65_536
    # the answer was lost; the client asks, then sends the rest
    held = status(client, terminal, m.id).received
    assert held == 65_536
    # a chunk sent again (its answer lost too) overlapping what is held is fine
    assert put(client, terminal, m.id, 0, 100_000).json()["received"] == 100_000
    done = put(client, terminal, m.id, 100_000, len(JPEG))
    assert done.json() == {"sha256": SHA, "received": len(JPEG), "complete": True}
    assert status(client, terminal, m.id).complete
    photo = client.get(f"/v1/photos/{SHA}", headers=terminal.auth)
    assert photo.content == JPEG and photo.headers["content-type"] == "image/jpeg"
    changes = [c for c in pull_all(client, terminal) if c["kind"] == "member_photo"]
    assert changes == [
        {
            "kind": "member_photo",
            "seq": changes[0]["seq"],
            "member_id": m.id,
            "sha256": SHA,
            "size": len(JPEG),
        }
    ]
    # sending it again changes nothing and publishes nothing
    assert put(client, terminal, m.id, 0, 65_536).json()["complete"]
    assert len([c for c in pull_all(client, terminal) if c["kind"] == "member_photo"]) == 1


def test_gaps_and_wrong_bytes_are_refused_with_what_the_server_holds(client, club_db, terminal):
    m = pushed_member(client, terminal)
    put(client, terminal, m.id, 0, 1_000)
    gap = put(client, terminal, m.id, 2_000, 3_000)
    assert gap.status_code == 409 and gap.json()["detail"]["received"] == 1_000
    other = bytearray(JPEG)
    other[600] ^= 0xFF
    clash = put(client, terminal, m.id, 500, 1_500, data=bytes(other))
    assert clash.status_code == 409 and clash.json()["detail"]["code"] == "upload_offset_mismatch"
    resized = put(client, terminal, m.id, 1_000, 2_000, total=len(JPEG) + 1)
    assert resized.status_code in (400, 409)


def test_a_photo_whose_hash_does_not_hold_starts_over(client, club_db, terminal):
    m = pushed_member(client, terminal)
    liar = hashlib.sha256(b"something else").hexdigest()
    refused = put(client, terminal, m.id, 0, 2_000, data=JPEG[:2_000], sha=liar)
    assert refused.status_code == 422 and refused.json()["detail"]["code"] == "hash_mismatch"
    assert status(client, terminal, m.id, sha=liar).received == 0
    not_jpeg = b"GIF89a" + b"x" * 100
    sha = hashlib.sha256(not_jpeg).hexdigest()
    assert (
        put(client, terminal, m.id, 0, len(not_jpeg), data=not_jpeg, sha=sha).json()["detail"]["code"]
        == "not_a_jpeg"
    )
    assert client.get(f"/v1/photos/{liar}", headers=terminal.auth).status_code == 404


def test_bad_uploads_are_4xx(client, club_db, terminal):
    m = pushed_member(client, terminal)
    unknown = client.put(f"/v1/photos/{SHA}?member_id={new_id()}", content=b"abc",
                         headers=terminal.auth | {"Content-Range": "bytes 0-2/3"})  # fmt: skip
    assert unknown.status_code == 404 and unknown.json()["detail"]["code"] == "unknown_member"
    attach = client.post(f"/v1/photos/{SHA}/member?member_id={new_id()}", headers=terminal.auth)
    assert attach.status_code == 404
    assert client.get(f"/v1/photos/nothex/upload?member_id={m.id}", headers=terminal.auth).status_code == 422
    assert client.get(f"/v1/photos/{SHA}/upload?member_id={m.id}").status_code == 401
    no_range = client.put(f"/v1/photos/{SHA}?member_id={m.id}", content=b"abc", headers=terminal.auth)
    assert no_range.status_code == 400
    for header in ("bytes 0-9/5", "bytes 5-1/10", "items 0-2/3", f"bytes 0-2/{MAX_PHOTO_BYTES + 1}"):
        response = client.put(
            f"/v1/photos/{SHA}?member_id={m.id}",
            content=b"abc",
            headers=terminal.auth | {"Content-Range": header},
        )
        assert response.status_code in (400, 413), (header, response.status_code)
