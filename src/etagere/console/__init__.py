"""The web console: server-rendered pages over the same domain services as the API.

The console is a face above the HTTP API (it reuses its state, error bodies and streamed
uploads), so the API does not know it: ``with_console`` mounts it on a finished API app.
"""

from fastapi import FastAPI
from starlette.routing import Mount

from etagere.console.app import create_console
from etagere.runtime import Services

__all__ = ["create_console", "with_console"]


def with_console(app: FastAPI, services: Services) -> FastAPI:
    """``app`` with the console answering every path the API does not serve.

    Mounted after every API route (``/metrics`` included), so no API path can reach it.
    """
    app.router.routes.append(Mount("/", app=create_console(services)))
    return app
