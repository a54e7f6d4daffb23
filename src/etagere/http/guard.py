"""What every request must pass before a route reads a byte of its body.

FastAPI reads and parses a JSON body before it resolves dependencies, so the key check of a
route ran only after the whole body was in memory: a 100 MB body sent with no key cost seconds
of CPU and hundreds of MB. This pure ASGI middleware runs first, in this order:

1. the route's key (routes that depend on ``current_caller``): 401 before the body is read;
   the caller it finds rides on the request's state, so the route does not look it up again;
2. the key's rate limit, when one is set: 429 with ``Retry-After``;
3. the body's size: ``Content-Length`` over ``max_body_kb`` is a 413 at once, and a body
   without one is counted while it streams (413 as soon as it crosses the cap). Uploads are
   left to their route, which enforces the upload limit as the file streams to its blob;
4. a JSON body's content (``etagere.http.json_input``): 422 before any route parses it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from etagere.core.errors import DomainError, PayloadTooLarge
from etagere.core.model import Caller
from etagere.http.auth import CALLER_STATE_KEY, bearer_secret, current_caller
from etagere.http.errors import error_response, json_error, validation_response
from etagere.http.json_input import JsonRejected, parse_strict_json, rejection_errors
from etagere.http.rate_limit import RateLimiter, retry_after_header
from etagere.runtime import Services

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RoutePolicy:
    """What the guard checks for one route."""

    needs_key: bool
    streams_upload: bool


def route_table(routes: Sequence[BaseRoute]) -> list[RouteContext]:
    """Every route of an app as served, included routers flattened (full paths, matching)."""
    return list(iter_route_contexts(routes))


def route_policy(route: RouteContext, keyed_paths: Sequence[str]) -> RoutePolicy:
    """The policy of a route: keyed if it depends on ``current_caller`` (or is listed)."""
    original = route.original_route
    if isinstance(original, APIRoute):
        keyed = _depends_on(original.dependant, current_caller)
        return RoutePolicy(keyed, _streams_upload(original))
    return RoutePolicy(route.path in keyed_paths, False)


def _depends_on(dependant: Any, target: Callable[..., Any]) -> bool:
    return any(d.call is target or _depends_on(d, target) for d in dependant.dependencies)


def _streams_upload(route: APIRoute) -> bool:
    """A route whose documented body is a multipart form: it reads its body itself, streaming."""
    body = (route.openapi_extra or {}).get("requestBody", {})
    return "multipart/form-data" in body.get("content", {})


class RequestGuard:
    """Pure ASGI middleware enforcing key, rate limit, body size and JSON rules (see module)."""

    def __init__(
        self,
        app: ASGIApp,
        services: Services,
        routes: Sequence[BaseRoute],
        keyed_paths: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.services = services
        self.routes = [(route, route_policy(route, keyed_paths)) for route in route_table(routes)]
        settings = services.settings
        self.json_cap = settings.max_body_kb * 1024
        self.limiter = (
            RateLimiter(settings.rate_limit_per_minute) if settings.rate_limit_per_minute else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self._policy(scope)
        if policy is None:
            capped = _CappedBody(scope, receive, send, self.json_cap)
            await self.app(scope, capped.receive, capped.send)
            return
        headers = Headers(scope=scope)
        try:
            if policy.needs_key:
                await self._authenticate(scope, headers)
            if not policy.streams_upload:  # an upload enforces its own limit as it streams
                _check_declared_length(headers, self.json_cap)
                if scope["method"] in BODY_METHODS and _is_json(headers):
                    receive = await self._checked_json(receive, self.json_cap)
                else:
                    capped = _CappedBody(scope, receive, send, self.json_cap)
                    receive, send = capped.receive, capped.send
        except DomainError as exc:
            await _answer(error_response(exc), scope, receive, send)
            return
        except JsonRejected as exc:  # the body was read whole: the connection stays usable
            await validation_response(rejection_errors(exc))(scope, receive, send)
            return
        except _RateLimited as exc:
            response = json_error(
                429,
                "Too many requests for this API key; retry after the delay in Retry-After.",
                "rate_limited",
                {"Retry-After": retry_after_header(exc.wait)},
            )
            await _answer(response, scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _policy(self, scope: Scope) -> RoutePolicy | None:
        for route, policy in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                # Where routing would put it: a request answered here is measured under its
                # route's template too (routing replaces it with the same route if it goes on).
                scope.setdefault("route", route)
                return policy
        return None

    async def _authenticate(self, scope: Scope, headers: Headers) -> None:
        secret = bearer_secret(headers.get("authorization"))
        caller: Caller = await anyio.to_thread.run_sync(self.services.identity.authenticate, secret)
        scope.setdefault("state", {})[CALLER_STATE_KEY] = caller
        if self.limiter is not None:
            wait = self.limiter.acquire(str(caller.key_id or caller.user_id))
            if wait > 0:
                raise _RateLimited(wait)

    async def _checked_json(self, receive: Receive, cap: int) -> Receive:
        """Read the whole (capped) body, check it, and hand the route a replay of it."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return _replay([message], receive)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                raise too_large_body(cap)
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body.strip():
            parse_strict_json(body)
        return _replay([{"type": "http.request", "body": body, "more_body": False}], receive)


class _CappedBody:
    """A request's ``receive`` and ``send`` with its body counted against ``cap``.

    Past the cap the client gets a 413 at once and the route sees a disconnect (so its cleanup
    is the one it has for a client going away); whatever the route answers after that is
    dropped, since the client already has its answer.
    """

    def __init__(self, scope: Scope, receive: Receive, send: Send, cap: int) -> None:
        self.scope, self._receive, self._send, self.cap = scope, receive, send, cap
        self.size = 0
        self.answered = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.size += len(message.get("body", b""))
            if self.size > self.cap and not self.answered:
                self.answered = True
                response = error_response(too_large_body(self.cap))
                await _answer(response, self.scope, self._receive, self._send, force_close=True)
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if not self.answered:
            await self._send(message)


class _RateLimited(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"retry in {wait:.1f}s")
        self.wait = wait


def too_large_body(cap: int) -> PayloadTooLarge:
    """The 413 of a (non-upload) request body over its cap."""
    return PayloadTooLarge(
        f"The request body is larger than the limit of {cap // 1024} KiB (ETAGERE_MAX_BODY_KB)."
    )


def _check_declared_length(headers: Headers, cap: int) -> None:
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise too_large_body(cap)


def _is_json(headers: Headers) -> bool:
    # FastAPI parses a body as JSON when it has no Content-Type or an application/*json one.
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return not content_type or (
        content_type.startswith("application/") and content_type.endswith("json")
    )


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _answer(
    response: Response, scope: Scope, receive: Receive, send: Send, *, force_close: bool = False
) -> None:
    """Send ``response`` before the body was read; close the connection if a body may still be
    on its way, so the server does not read (and the client send) what nobody wants."""
    if force_close or _body_may_follow(Headers(scope=scope)):
        response.headers["Connection"] = "close"
    await response(scope, receive, send)


def _body_may_follow(headers: Headers) -> bool:
    return "transfer-encoding" in headers or headers.get("content-length", "0") not in ("", "0")
