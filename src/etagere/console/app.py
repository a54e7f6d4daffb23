"""The console as an ASGI app mounted at ``/`` behind the API's routes.

It has its own error pages (HTML, or a redirect to sign-in) and sends a strict
``Content-Security-Policy`` with every response: scripts, styles and images come only from this
server, and no inline script or style runs, so text from a document can never become code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from etagere.console.assets import IMMUTABLE, load_assets
from etagere.console.pages import auth, documents, keys, libraries, search, sharing
from etagere.console.render import build_environment, page
from etagere.core.errors import DomainError, Unauthenticated
from etagere.http.errors import routing_error, status_for
from etagere.runtime import Services

CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Paths the API owns: an unknown one answers the API's JSON 404, not a console page.
API_PREFIXES = (
    "/v1/",
    "/mcp",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/healthz",
    "/readyz",
    "/metrics",
)


def create_console(services: Services) -> FastAPI:
    """The console app; ``with_console`` serves it beside the API, on every non-API path."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    assets = load_assets()
    app.state.services = services
    app.state.assets = assets
    app.state.templates = build_environment(assets)

    @app.get("/static/{version}/{name}", include_in_schema=False)
    def static(version: str, name: str) -> Response:
        asset = assets.get(name)
        if asset is None or asset.version != version:
            return Response("Not Found", status_code=404, media_type="text/plain")
        headers = {"Cache-Control": IMMUTABLE}
        return Response(asset.body, media_type=asset.media_type, headers=headers)

    for module in (auth, libraries, documents, search, sharing, keys):
        app.include_router(module.router)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.middleware("http")(_security_headers)
    return app


def wants_json(request: Request) -> bool:
    """Scripted calls (upload, status polling) get JSON errors; page loads get pages."""
    return "application/json" in request.headers.get("accept", "")


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status = status_for(exc)
    if wants_json(request):
        return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=status)
    if isinstance(exc, Unauthenticated):
        return RedirectResponse("/sign-in", status_code=303)
    return page(request, "error.html", status_code=status, message=exc.message, status=status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if wants_json(request) or "text/html" not in request.headers.get("accept", ""):
        # A script, not a browser: the API's JSON answer, naming the likely mistake.
        return routing_error(request, exc)
    message = "No such page." if exc.status_code == 404 else str(exc.detail)
    return page(request, "error.html", exc.status_code, message=message, status=exc.status_code)


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response
