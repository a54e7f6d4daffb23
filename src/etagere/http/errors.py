"""The error table: every failure a request can meet mapped to one status and one JSON body.

Bodies are ``{"detail": message, "code": code}``; validation failures (``InvalidInput`` and
FastAPI's own) answer 422 with FastAPI's validation body so that the official SDK raises
``HTTPValidationError`` for them. Rows, in order of precedence:

- domain errors, by class (``STATUS_BY_ERROR``);
- a dependency that cannot answer now (database locked or down, blob store or embedder
  unreachable): 503 with ``Retry-After``, the message naming the dependency;
- routing misses (404, 405), with a pointer to ``/docs``;
- anything else: the last-resort 500 of ``etagere.http.boundary``, with the request id.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

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
from etagere.http.not_found import route_not_found_message
from etagere.search.embedding import EmbeddingError
from etagere.storage.blobs.store import BlobStoreUnavailable

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

# Third-party failures that mean "a dependency is down or busy", translated once, here (the
# metadata store's own are translated in storage, as ``StoreUnavailable``).
DEPENDENCY_FAILURES: dict[type[Exception], str] = {
    BlobStoreUnavailable: "The file store is unavailable",
    EmbeddingError: "The embedding service is unavailable",
}
RETRY_AFTER_SECONDS = 5
# How much of a rejected value a 422 repeats: enough to recognise it, never the whole input.
EXCERPT_CHARS = 100
# Every status a route may answer besides its success, with the error body's schema.
ERROR_STATUSES = (401, 403, 404, 409, 413, 415, 422, 429, 502, 503, 504)


def status_for(error: DomainError) -> int:
    """The status of the closest mapped class in the error's ancestry (500 if none)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def json_error(
    status: int, detail: str, code: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The ``{"detail", "code"}`` body every non-validation error has."""
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


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
    elif status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if isinstance(error, InvalidInput):
        return validation_response(
            [{"loc": list(error.location), "msg": error.message, "type": error.code}]
        )
    return json_error(status, error.message, error.code, headers)


def validation_response(errors: list[dict[str, Any]]) -> JSONResponse:
    """422 with FastAPI's body, each rejected ``input`` cut down to a short excerpt."""
    detail = [{**e, "input": excerpt(e["input"])} if "input" in e else e for e in errors]
    return JSONResponse({"detail": jsonable_encoder(detail)}, status_code=422)


def excerpt(value: Any) -> Any:
    """``value`` if short, else the start of its JSON text followed by an ellipsis."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        text = value
    elif value is None or isinstance(value, bool | int | float):
        return value
    else:
        text = json.dumps(jsonable_encoder(value), ensure_ascii=False, default=str)
        if len(text) <= EXCERPT_CHARS:
            return value
    if len(text) <= EXCERPT_CHARS:
        return text
    return text[:EXCERPT_CHARS] + "…"


def dependency_failure(exc: Exception) -> Unavailable | None:
    """The 503 error for a third-party failure of a dependency, or None for anything else."""
    for cls, message in DEPENDENCY_FAILURES.items():
        if isinstance(exc, cls):
            return Unavailable(f"{message}; retry shortly.")
    return None


def routing_error(request: Request, exc: HTTPException) -> JSONResponse:
    """A routing miss (404, 405) or another HTTP error, as JSON with a pointer to ``/docs``."""
    if exc.status_code == 404:
        detail = route_not_found_message(request.method, request.url.path)
        return json_error(404, detail, "not_found")
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}; see /docs."
        return json_error(405, detail, "method_not_allowed", dict(exc.headers or {}))
    return json_error(exc.status_code, str(exc.detail), "http_error", dict(exc.headers or {}))


def install_error_handlers(app: FastAPI) -> None:
    async def handle_domain_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return error_response(exc)

    async def handle_dependency_failure(_request: Request, exc: Exception) -> JSONResponse:
        error = dependency_failure(exc)
        assert error is not None
        return error_response(error)

    async def handle_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return validation_response(list(exc.errors()))

    async def handle_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return routing_error(request, exc)

    app.add_exception_handler(DomainError, handle_domain_error)
    for cls in DEPENDENCY_FAILURES:
        app.add_exception_handler(cls, handle_dependency_failure)
    app.add_exception_handler(RequestValidationError, handle_validation)
    app.add_exception_handler(HTTPException, handle_http)
