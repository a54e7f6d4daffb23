"""The error table: every domain error class mapped to one HTTP status, in one place.

Bodies are ``{"detail": message, "code": code}``; ``InvalidInput`` answers 422 with FastAPI's
validation body so that the official SDK raises ``HTTPValidationError`` for it too.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from etagere.conversations.errors import UpstreamFailed, UpstreamNotConfigured, UpstreamTimeout
from etagere.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
)

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    InvalidInput: 422,
    UpstreamFailed: 502,
    UpstreamNotConfigured: 503,
    UpstreamTimeout: 504,
    Unavailable: 503,
}


def status_for(error: DomainError) -> int:
    """The status of the closest mapped class in the error's ancestry (500 if none)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def error_response(error: DomainError) -> JSONResponse:
    status = status_for(error)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 413:
        # Stop reading the oversized body: the connection ends with this response.
        headers["Connection"] = "close"
    if isinstance(error, Unavailable):
        headers["Retry-After"] = str(error.retry_after_seconds)
    if isinstance(error, InvalidInput):
        body: dict[str, object] = {
            "detail": [{"loc": list(error.location), "msg": error.message, "type": error.code}]
        }
    else:
        body = {"detail": error.message, "code": error.code}
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    async def handle_domain_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return error_response(exc)

    app.add_exception_handler(DomainError, handle_domain_error)
