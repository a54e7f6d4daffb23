"""The OpenAPI document tells the truth about errors: every status a route can answer.

FastAPI documents a route's success and, when it has parameters, 422. The guard and the error
table answer more (401, 403, 404, 409, 413, 415, 429, 503), and generated clients and fuzzers
only know what the schema says; so each operation gets the statuses its shape allows, with
the error body's schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext

from etagere.http.guard import route_policy, route_table

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "detail": {"type": "string", "title": "Detail"},
        "code": {"type": "string", "title": "Code"},
    },
    "required": ["detail", "code"],
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
}
DESCRIPTIONS = {
    401: "No API key, or one that is unknown or revoked",
    403: "The caller's role is too low, or the URL signature is invalid or expired",
    404: "Unknown, or not visible to the caller",
    405: "Not supported by etagere",
    409: "Clashes with the current state",
    413: "Request body over the limit",
    415: "A file type etagere cannot extract text from",
    429: "Too many requests for this API key",
    503: "A dependency (database, file store, embedder) is unavailable; retry",
}


def error_statuses(context: RouteContext) -> set[int]:
    """The error statuses a route can answer, from what it takes and what guards it."""
    policy = route_policy(context, ())
    route = context.original_route
    assert isinstance(route, APIRoute)
    statuses = {503}
    if policy.needs_key:
        statuses |= {401, 403, 404, 409, 429}
    if route.dependant.path_params:
        statuses |= {403, 404}
    if route.body_field is not None or policy.streams_upload:
        statuses.add(413)
    if policy.streams_upload:
        statuses.add(415)
    return statuses


def document_errors(app: FastAPI) -> None:
    """Make ``app.openapi()`` list every route's error statuses with the ``Error`` schema."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
            for context in route_table(app.router.routes):
                route = context.original_route
                if isinstance(route, APIRoute) and route.include_in_schema:
                    _add_errors(schema, context)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_errors(schema: dict[str, Any], context: RouteContext) -> None:
    operations = schema["paths"].get(context.path_format, {})
    for method in context.methods or ():
        operation = operations.get(method.lower())
        if operation is None:
            continue
        responses = operation.setdefault("responses", {})
        for status in sorted(error_statuses(context)):
            response: dict[str, Any] = {
                "description": DESCRIPTIONS[status],
                "content": {"application/json": {"schema": _ERROR_REF}},
            }
            if status in (429, 503):
                response["headers"] = _RETRY_AFTER
            responses.setdefault(str(status), response)
