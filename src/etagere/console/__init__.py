"""The web console: server-rendered pages over the same domain services as the API.

The console is a face above the HTTP API (it reuses its state, error bodies and streamed
uploads), so the API does not know it: ``with_console`` puts it beside a finished API app.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from etagere.console.app import API_PREFIXES, create_console
from etagere.runtime import Services

__all__ = ["create_console", "with_console"]


def with_console(api: ASGIApp, services: Services) -> ASGIApp:
    """One ASGI app: the API answers its own paths, the console every other one.

    Dispatching by path prefix (not a catch-all mount after the API's routes) keeps the API's
    own answers on its paths: a wrong method is its 405 and an unknown ``/v1/...`` route its
    JSON 404 with a hint, never a console page.
    """
    return _Dispatcher(api, create_console(services))


class _Dispatcher:
    def __init__(self, api: ASGIApp, console: ASGIApp) -> None:
        self.api = api
        self.console = console

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "lifespan" or path == "/v1" or path.startswith(API_PREFIXES):
            await self.api(scope, receive, send)
        else:
            await self.console(scope, receive, send)
