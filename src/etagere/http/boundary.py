"""The outer edge of every HTTP request: its id, its log line, and the last-resort 500.

A pure ASGI middleware rather than ``BaseHTTPMiddleware``: bodies pass through untouched
(uploads keep streaming), and an exception no handler knows ends here as a JSON 500 carrying
the request id, with the traceback in the log only. Letting it reach the server instead would
answer plain text and drop the keep-alive connection, failing the client's next request too.
"""

from __future__ import annotations

import logging
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from etagere.http.errors import json_error
from etagere.logs import current_request_id

log = logging.getLogger("etagere.http")


class RequestBoundary:
    """Gives each request an id, logs it once it is answered, and answers what escaped."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = MutableHeaders(scope=scope)
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        # Every line logged while serving the request carries the id (not reset afterwards:
        # each request runs in a task of its own).
        current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message)["x-request-id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error while serving the request")
            if not response_started:
                response = json_error(
                    500,
                    f"Internal error; the server log has the details under request id "
                    f"{request_id}.",
                    "internal",
                )
                await response(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
