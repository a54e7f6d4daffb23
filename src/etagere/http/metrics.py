"""Prometheus over HTTP: a middleware that counts and times every request, and ``GET /metrics``.

``/metrics`` needs no API key, like ``/healthz``: it reveals counts, never content (library ids
are the only identifiers in it). Turn it off with ``ETAGERE_METRICS=false``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import APIRoute
from prometheus_client.exposition import choose_encoder
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from etagere.http.state import services
from etagere.observability import Metrics

UNMATCHED = "unmatched"

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
def serve_metrics(request: Request) -> Response:
    """This process's metrics, in the format the scraper asked for (Prometheus text by default).

    A plain ``def``: the store gauges query the database, so this runs in the thread pool.
    """
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    body = encoder(services(request).metrics.registry)
    return Response(body, headers={"Content-Type": content_type})


class RequestMetrics:
    """Pure ASGI middleware recording each HTTP request's route, status and duration.

    Not ``BaseHTTPMiddleware``: bodies pass through untouched, so uploads keep streaming. The
    route label is the matched route's template (``/v1/libraries/{library_id}``), never the raw
    path, so the number of series stays bounded; a request no route matched is ``unmatched``.
    FastAPI records its own routes in ``scope["route"]``; ``plain_routes`` are the others (the
    ``/mcp`` ASGI app), matched here.
    """

    def __init__(
        self, app: ASGIApp, metrics: Metrics, plain_routes: Sequence[Route | Mount] = ()
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.plain_routes = plain_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # Matched before the call: routing rewrites parts of the scope (a mount's root path).
        plain = _plain_route(self.plain_routes, scope)
        # An exception before the response started becomes a 500 further out.
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            route = route_template(scope) or plain or UNMATCHED
            self.metrics.http_request(scope["method"], route, status, time.perf_counter() - started)


def route_template(scope: Scope) -> str | None:
    """The path template of the route FastAPI chose for this request (kept in ``scope``)."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else None


def _plain_route(routes: Sequence[Route | Mount], scope: Scope) -> str | None:
    for route in routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            return route.path
    return None


def install_metrics(app: FastAPI, metrics: Metrics) -> None:
    """Serve ``/metrics`` and measure every request (call after adding other middleware, so
    that this one is outermost and times them too)."""
    app.include_router(router)
    plain = [
        r for r in app.router.routes if isinstance(r, Route | Mount) and not isinstance(r, APIRoute)
    ]
    app.add_middleware(RequestMetrics, metrics=metrics, plain_routes=plain)
