"""The ASGI application: routers, error table, request logging."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

import etagere
from etagere.http.errors import install_error_handlers
from etagere.http.routes import health, libraries
from etagere.http.state import Services

log = logging.getLogger("etagere.http")


def create_app(services: Services) -> FastAPI:
    """An app serving the given services (the caller owns their lifecycle)."""
    app = FastAPI(
        title="etagere",
        version=etagere.__version__,
        summary="Self-hosted document libraries for AI agents, Mistral Libraries API compatible.",
    )
    app.state.services = services
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(libraries.router)
    app.middleware("http")(_log_requests)
    return app


async def _log_requests(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    started = time.perf_counter()
    response = await call_next(request)
    response.headers["x-request-id"] = request_id
    log.info(
        "request",
        extra={
            "request_id": request_id,
            "method": request.method,
            "path": request.url.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )
    return response
