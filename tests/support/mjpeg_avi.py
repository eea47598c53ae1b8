# SPDX-License-Identifier: GPL-3.0-or-later
"""A tiny motion-JPEG AVI written with the standard library and Pillow: frames for the camera's tests.

No camera exists on the test machines, and Qt cannot encode video without QMediaRecorder, so the tests
play one of these through QMediaPlayer into the same frame handler a camera feeds. Each frame is a
JPEG; the AVI around them is the classic RIFF layout (avih, one video stream, movi, idx1) that every
demuxer reads, FFmpeg's included.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable
from pathlib import Path

from PIL import Image


def _chunk(tag: bytes, data: bytes) -> bytes:
    pad = b"\0" if len(data) % 2 else b""
    return tag + struct.pack("<I", len(data)) + data + pad


def _list(kind: bytes, *parts: bytes) -> bytes:
    return _chunk(b"LIST", kind + b"".join(parts))


def jpeg_frames(images: Iterable[Image.Image], quality: int = 80) -> list[bytes]:
    out = []
    for image in images:
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "JPEG", quality=quality)
        out.append(buffer.getvalue())
    return out


def write_mjpeg_avi(path: Path, frames: list[bytes], size: tuple[int, int], fps: int = 10) -> Path:
    """Write `frames` (JPEG bytes, all of `size`) as an AVI of `fps` frames a second."""
    width, height = size
    count = len(frames)
    biggest = max(len(frame) for frame in frames)
    avih = struct.pack(
        "<IIIIIIIIII16x", 1_000_000 // fps, biggest * fps, 0, 0x10, count, 0, 1, biggest, width, height
    )
    strh = b"vidsMJPG" + struct.pack(
        "<IHHIIIIIIIIhhhh", 0, 0, 0, 0, 1, fps, 0, count, biggest, 0xFFFFFFFF, 0, 0, 0, width, height
    )
    strf = struct.pack("<IiiHH4sIiiII", 40, width, height, 1, 24, b"MJPG", width * height * 3, 0, 0, 0, 0)
    stream = _list(b"strl", _chunk(b"strh", strh), _chunk(b"strf", strf))
    header = _list(b"hdrl", _chunk(b"avih", avih), stream)
    movi_parts, index, offset = [], [], 4  # idx1 offsets count from the 'movi' tag
    for frame in frames:
        chunk = _chunk(b"00dc", frame)
        index.append(b"00dc" + struct.pack("<III", 0x10, offset, len(frame)))
        movi_parts.append(chunk)
        offset += len(chunk)
    body = b"AVI " + header + _list(b"movi", *movi_parts) + _chunk(b"idx1", b"".join(index))
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path
