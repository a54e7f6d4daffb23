"""The ASGI application: routers, error table, request logging and metrics."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from starlette.routing import Route

import etagere
from etagere.agents.http import MCP_PATH, McpEndpoint
from etagere.http.errors import install_error_handlers
from etagere.http.metrics import install_metrics
from etagere.http.routes import (
    agents,
    context,
    conversations,
    documents,
    health,
    libraries,
    search,
    sharing,
    signed,
    tools,
)
from etagere.logs import current_request_id
from etagere.runtime import Services

log = logging.getLogger("etagere.http")


def create_app(services: Services) -> FastAPI:
    """An app serving the given services (the caller owns their lifecycle)."""
    mcp = McpEndpoint(services)
    app = FastAPI(
        title="etagere",
        version=etagere.__version__,
        summary="Self-hosted document libraries for AI agents, Mistral Libraries API compatible.",
        lifespan=mcp.lifespan,
    )
    app.state.services = services
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(libraries.router)
    app.include_router(documents.router)
    app.include_router(signed.router)
    app.include_router(search.router)
    app.include_router(sharing.router)
    app.include_router(context.router)
    app.include_router(tools.router)
    app.include_router(agents.router)
    app.include_router(conversations.router)
    # MCP over streamable HTTP: an ASGI app (not a request handler), authenticated on its own.
    app.router.routes.append(Route(MCP_PATH, endpoint=mcp, include_in_schema=False))
    app.middleware("http")(_log_requests)
    if services.settings.metrics:
        install_metrics(app, services.metrics)  # last: outermost, it times the logging too
    return app


async def _log_requests(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    # Every line logged while serving the request carries the id. Not reset afterwards: uvicorn
    # serves each request in a task of its own, and its report of an unhandled error (logged
    # after this returns) should carry the id too.
    current_request_id.set(request_id)
    started = time.perf_counter()
    try:
        response = await call_next(request)
    except Exception:
        _log_request(request, request_id, 500, started)
        raise
    response.headers["x-request-id"] = request_id
    _log_request(request, request_id, response.status_code, started)
    return response


def _log_request(request: Request, request_id: str, status: int, started: float) -> None:
    log.info(
        "request",
        extra={
            "request_id": request_id,
            "method": request.method,
            "path": request.url.path,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )
