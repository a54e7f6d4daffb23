"""Authentication: ``Authorization: Bearer <key>`` turned into a ``Caller``.

``RequestGuard`` authenticates before the body is read and leaves the caller on the request's
state; ``current_caller`` takes it from there (or authenticates itself, for an app mounted
without the guard).
"""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from etagere.core.model import Caller
from etagere.http.state import services

CALLER_STATE_KEY = "etagere_caller"

_bearer = HTTPBearer(auto_error=False, description="An etagere API key")


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The authenticated caller; raises ``Unauthenticated`` (401) otherwise.

    Async so that taking the guard's caller costs no hop to a worker thread (FastAPI runs a
    sync dependency in one); only the fallback reads the database, in a thread.
    """
    known = request.scope.get("state", {}).get(CALLER_STATE_KEY)
    if isinstance(known, Caller):
        return known
    secret = credentials.credentials if credentials is not None else None
    caller: Caller = await anyio.to_thread.run_sync(services(request).identity.authenticate, secret)
    return caller


def bearer_secret(header: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header (None for any other header)."""
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


CallerDep = Annotated[Caller, Depends(current_caller)]
