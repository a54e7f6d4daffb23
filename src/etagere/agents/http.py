"""``/mcp``: the MCP server over streamable HTTP, behind the same API keys as the REST API.

The endpoint is an ASGI app in front of the SDK's streamable HTTP app. It turns the bearer key
into a ``Caller`` with ``IdentityService.authenticate`` before any MCP message is read: no key
or a bad key is a 401 with the API's error body. The caller rides on the request's state, where
the tools find it (``caller_from_request``).

The MCP app runs **stateless** with JSON responses: each POST carries one complete exchange and
no session lives in memory, so any number of ``serve`` processes behind a load balancer can
answer (server mode), and a revoked key stops working at the next request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from etagere.agents.mcp_server import EtagereMCP, build_mcp_server
from etagere.core.errors import Unauthenticated
from etagere.core.model import Caller
from etagere.runtime import Services

MCP_PATH = "/mcp"
_STATE_KEY = "etagere_caller"


class McpEndpoint:
    """The ASGI app mounted at ``/mcp``, and the lifespan its session manager needs."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.server: EtagereMCP = build_mcp_server(services, caller_from_request)
        self.app: ASGIApp = self.server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            stateless_http=True,
            json_response=True,
            # DNS-rebinding protection guards unauthenticated local servers from web pages;
            # every request here needs an API key a web page cannot supply, and checking the
            # Host header would break etagere behind a proxy or on a public name.
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )

    @asynccontextmanager
    async def lifespan(self, _app: Any) -> AsyncIterator[None]:
        """Run the MCP session manager for as long as the web app runs."""
        async with self.server.session_manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secret = _bearer(Request(scope).headers.get("authorization"))
        try:
            caller = await anyio.to_thread.run_sync(self.services.identity.authenticate, secret)
        except Unauthenticated as exc:
            response = JSONResponse(
                {"detail": exc.message, "code": exc.code},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})[_STATE_KEY] = caller
        await self.app(scope, receive, send)


def caller_from_request(request: object | None) -> Caller:
    """The caller ``McpEndpoint`` authenticated for this HTTP request."""
    state = getattr(request, "scope", {}).get("state", {}) if request is not None else {}
    caller = state.get(_STATE_KEY)
    if not isinstance(caller, Caller):
        raise Unauthenticated("No API key was given for this MCP request")
    return caller


def _bearer(header: str | None) -> str | None:
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None
