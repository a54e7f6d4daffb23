"""The ASGI application: routers, error table, request logging."""

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
from etagere.http.routes import (
    context,
    documents,
    health,
    libraries,
    search,
    sharing,
    signed,
    tools,
)
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
    # MCP over streamable HTTP: an ASGI app (not a request handler), authenticated on its own.
    app.router.routes.append(Route(MCP_PATH, endpoint=mcp, include_in_schema=False))
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
