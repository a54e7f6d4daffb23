"""Authentication: ``Authorization: Bearer <key>`` turned into a ``Caller``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from etagere.core.model import Caller
from etagere.http.state import services

_bearer = HTTPBearer(auto_error=False, description="An etagere API key")


def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The authenticated caller; raises ``Unauthenticated`` (401) otherwise."""
    secret = credentials.credentials if credentials is not None else None
    return services(request).identity.authenticate(secret)


CallerDep = Annotated[Caller, Depends(current_caller)]
