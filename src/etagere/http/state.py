"""The domain services an app instance serves, reachable from any request."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from etagere.domain.identity import IdentityService
from etagere.domain.libraries import LibraryService
from etagere.storage.metadata import Database


@dataclass(frozen=True)
class Services:
    """Everything a route needs; built once per process by ``etagere.http.app.create_app``."""

    db: Database
    identity: IdentityService
    libraries: LibraryService

    @classmethod
    def build(cls, db: Database) -> Services:
        return cls(db=db, identity=IdentityService(db), libraries=LibraryService(db))


def services(request: Request) -> Services:
    result: Services = request.app.state.services
    return result
