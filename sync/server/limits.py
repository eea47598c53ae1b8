# SPDX-License-Identifier: GPL-3.0-or-later
"""Request bodies: a size limit, and gzip-compressed bodies (`Content-Encoding: gzip`) unpacked.

Terminals gzip their pushes. The body is read whole (bodies here are at most a few megabytes) and
decompressed with a ceiling, so a small "zip bomb" cannot make the server inflate gigabytes; the route
then sees a plain body. Too large: 413 `batch_too_large`. Broken gzip: 400 `invalid_encoding`. Another
encoding: 415 `unsupported_encoding`.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.server.errors import error_body

MAX_BODY_BYTES = 16 * 1024 * 1024
_METHODS_WITH_BODY = {"POST", "PUT", "PATCH"}


class BodyLimitError(Exception):
    pass


class RequestBodies:
    """ASGI middleware: limits every request body and unpacks gzip ones."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS_WITH_BODY:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip"):
            await _refuse(send, 415, "unsupported_encoding", "send the body plain or gzip-compressed")
            return
        try:
            body = await self._read(receive)
            if encoding == "gzip":
                body = self._gunzip(body)
        except BodyLimitError:
            await _refuse(
                send, 413, "batch_too_large", f"a request body is at most {self.max_body_bytes} bytes"
            )
            return
        except (zlib.error, EOFError):
            await _refuse(send, 400, "invalid_encoding", "the body is not valid gzip")
            return
        await self.app(_plain_scope(scope, len(body)), _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise BodyLimitError
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _gunzip(self, data: bytes) -> bytes:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        body = inflater.decompress(data, self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes or inflater.unconsumed_tail:
            raise BodyLimitError
        if not inflater.eof:
            raise EOFError("truncated gzip stream")
        return body


def _plain_scope(scope: Scope, length: int) -> Scope:
    """The scope without Content-Encoding, with the plain body's length."""
    drop = {b"content-encoding", b"content-length"}
    headers = [(k, v) for k, v in scope["headers"] if k.lower() not in drop]
    headers.append((b"content-length", str(length).encode()))
    return dict(scope) | {"headers": headers}


def _replay(body: bytes, original: Receive) -> Receive:
    """The body once, then the real channel (which reports the client's disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await original()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    payload: Any = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
