"""The ASGI application: routers, error table, request guard and boundary, CORS, metrics."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

import etagere
from etagere.agents.http import MCP_PATH, McpEndpoint
from etagere.http.boundary import RequestBoundary
from etagere.http.docs import install_docs
from etagere.http.errors import install_error_handlers
from etagere.http.guard import RequestGuard
from etagere.http.metrics import install_metrics
from etagere.http.openapi import document_errors
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
from etagere.runtime import Services
from etagere.settings import Settings


def create_app(services: Services) -> FastAPI:
    """An app serving the given services (the caller owns their lifecycle)."""
    mcp = McpEndpoint(services)
    app = FastAPI(
        title="etagere",
        version=etagere.__version__,
        summary="Self-hosted document libraries for AI agents, Mistral Libraries API compatible.",
        lifespan=mcp.lifespan,
        docs_url=None,  # served from packaged assets by install_docs, not from a CDN
        redoc_url=None,
    )
    app.state.services = services
    install_error_handlers(app)
    install_docs(app)
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
    document_errors(app)
    # Middleware added last runs first: metrics, then the request boundary (id, log, last-resort
    # 500), CORS (so that refusals carry its headers too), and the guard nearest the routes.
    app.add_middleware(
        RequestGuard, services=services, routes=list(app.router.routes), keyed_paths=[MCP_PATH]
    )
    origins = cors_origins(services.settings)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
            expose_headers=["X-Request-Id", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestBoundary)
    if services.settings.metrics:
        install_metrics(app, services.metrics)  # last: outermost, it times the logging too
    return app


def cors_origins(settings: Settings) -> list[str]:
    """The origins of ``ETAGERE_CORS_ORIGINS`` (none by default: no CORS headers at all)."""
    return [
        origin.strip().rstrip("/") for origin in settings.cors_origins.split(",") if origin.strip()
    ]
