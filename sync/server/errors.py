# SPDX-License-Identifier: GPL-3.0-or-later
"""Every error the server answers is JSON `{"detail": {"code", "message", …}}`, and bad input is a 4xx.

Codes the client acts on are listed in sync.protocol's docstring. Validation errors are 422
`invalid_request`, except a too-long batch (413 `batch_too_large`) and another protocol version (400
`unsupported_protocol`). Database errors caused by input that slipped past validation (a foreign key, a
NUL character PostgreSQL refuses, a number out of range) become 409 / 422, never a 500; a database that
cannot be reached is 503, which clients retry.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.domain.errors import ClubError

log = logging.getLogger("bashgah.server")


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")  # e.g. `available`, `received`, `contiguous_seq`, `errors`
    code: str
    message: str


class ErrorResponse(BaseModel):
    """The body of every 4xx and 5xx this server answers."""

    detail: ErrorDetail


# Documented on every operation (OpenAPI), in place of FastAPI's default 422 shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in {
        400: "unsupported protocol or malformed request",
        401: "unknown token",
        403: "device revoked, or not allowed",
        404: "not found",
        409: "conflict (e.g. push_first, insufficient_points)",
        413: "too large (batch_too_large)",
        415: "unsupported content encoding",
        422: "invalid request",
        429: "too many failed attempts from this address (too_many_attempts; see Retry-After)",
        503: "database unavailable; try again",
    }.items()
}
_LIST_FIELDS = {"entries", "items", "member_ids", "phones"}


class ApiError(Exception):
    """A refusal with an HTTP status, a stable code and extra fields for the client."""

    def __init__(self, status: int, code: str, message: str = "", **extra: Any) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message or code.replace("_", " ")
        self.extra = extra


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"detail": {"code": code, "message": message, **extra}}


def _response(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(code, message, **extra), status_code=status)


async def _api_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return _response(error.status, error.code, error.message, **error.extra)


_HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, "http_error")
    message = error.detail if isinstance(error.detail, str) else code
    return JSONResponse(error_body(code, message), status_code=error.status_code, headers=error.headers)


def _plain(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's errors without the offending input (it may be large, or not JSON at all)."""
    return [{"loc": list(e.get("loc", ())), "type": e.get("type"), "msg": e.get("msg")} for e in errors[:20]]


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = list(error.errors())
    for e in errors:
        loc = tuple(e.get("loc", ()))
        if loc and loc[-1] == "protocol":
            return _response(400, "unsupported_protocol", "this server speaks protocol 1")
        if e.get("type") == "too_long" and len(loc) == 2 and loc[0] == "body" and loc[1] in _LIST_FIELDS:
            return _response(413, "batch_too_large", f"too many {loc[1]} in one request")
    return _response(422, "invalid_request", "the request is not valid", errors=_plain(errors))


async def _club_error(_request: Request, error: Exception) -> JSONResponse:
    """A refusal of the shared domain rules (a bad name, phone, national id): the caller's input."""
    assert isinstance(error, ClubError)
    params = {k: v if isinstance(v, str | int | bool | None) else str(v) for k, v in error.params.items()}
    params.pop("code", None)
    params.pop("message", None)
    return _response(422, error.code, error.code.replace("_", " "), **params)


async def _integrity_error(_request: Request, error: Exception) -> JSONResponse:
    log.info("refused by a database constraint: %s", error)
    return _response(409, "constraint_violation", "the request conflicts with what the club already holds")


async def _data_error(_request: Request, error: Exception) -> JSONResponse:
    log.info("refused by the database: %s", error)
    return _response(422, "invalid_request", "the database cannot store this value")


# seconds a terminal is asked to wait before it asks again when the database is busy or away; it adds its
# own jittered wait on top (sync.client.Backoff), so that the terminals told this do not return in step
RETRY_AFTER_BUSY_S = 1


async def _unavailable(_request: Request, error: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", error)
    busy = _response(503, "storage_unavailable", "the database is busy or unreachable; try again")
    busy.headers["Retry-After"] = str(RETRY_AFTER_BUSY_S)
    return busy


async def _pool_exhausted(request: Request, error: Exception) -> JSONResponse:
    """Every connection of this worker's pool stayed busy for the pool's timeout (sync.server.db)."""
    return await _unavailable(request, error)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ClubError, _club_error)
    app.add_exception_handler(exc.IntegrityError, _integrity_error)
    app.add_exception_handler(exc.DataError, _data_error)
    app.add_exception_handler(exc.OperationalError, _unavailable)
    app.add_exception_handler(exc.InterfaceError, _unavailable)
    app.add_exception_handler(exc.TimeoutError, _pool_exhausted)
