"""People for access-control tests, and a server shared by one test module.

The admin CLI is the contract (its own tests drive it as a subprocess); here identities are
created in-process through the same ``IdentityService`` on the server's own store, because
the permission tests need a dozen of them and a CLI run costs about two seconds.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from mistralai.client import Mistral, errors

from etagere.domain.identity import IdentityService
from etagere.storage.metadata import Database
from tests.support import postgres
from tests.support.servers import EtagereServer, StoreLocation


@dataclass(frozen=True)
class Person:
    """A user with one API key acting in one workspace."""

    user_id: str
    org_id: str
    workspace_id: str
    email: str
    key: str
    key_id: str


class Directory:
    """Creates organizations, workspaces, users and keys directly in a server's store."""

    def __init__(self, store: StoreLocation) -> None:
        url = store.database_url or f"sqlite:///{store.data_dir / 'etagere.db'}"
        self.db = Database(url)
        self.identity = IdentityService(self.db)

    def org(self) -> str:
        return self.identity.create_organization("org-" + secrets.token_hex(4)).name

    def workspace(self, org: str = "default") -> str:
        """A fresh workspace's id."""
        return str(self.identity.create_workspace(org, "ws-" + secrets.token_hex(4)).id)

    def person(self, org: str = "default", workspace: str | None = None) -> Person:
        """A fresh user (in a fresh workspace unless one is named) with a fresh key."""
        workspace = workspace or self.workspace(org)
        email = f"user-{secrets.token_hex(4)}@example.com"
        user = self.identity.create_user(org, email, workspace)
        issued = self.identity.create_key(str(user.id), workspace)
        return Person(
            user_id=str(user.id),
            org_id=str(user.org_id),
            workspace_id=str(issued.key.workspace_id),
            email=email,
            key=issued.secret,
            key_id=str(issued.key.id),
        )

    def close(self) -> None:
        self.db.close()


@dataclass
class StatusRecorder:
    """An httpx response hook remembering the status of every response an SDK client got."""

    statuses: list[int] = field(default_factory=list)

    def __call__(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)


@dataclass
class RecordingClient:
    """The official SDK with the HTTP status of its last call at hand."""

    sdk: Mistral
    recorder: StatusRecorder
    http: httpx.Client

    def status_of(self, call: Callable[[Mistral], object]) -> int:
        """Run ``call(sdk)`` and answer the status of the last response (errors included)."""
        self.recorder.statuses.clear()
        with contextlib.suppress(errors.SDKError, errors.HTTPValidationError):
            call(self.sdk)  # an error response is fine: its status is what is checked
        assert self.recorder.statuses, "the call sent no request"
        return self.recorder.statuses[-1]

    def close(self) -> None:
        self.http.close()


def recording_client(server: EtagereServer, key: str | None) -> RecordingClient:
    """An SDK client for ``key`` (none at all when ``None``) recording response statuses."""
    recorder = StatusRecorder()
    http = httpx.Client(follow_redirects=True, event_hooks={"response": [recorder]})
    sdk = Mistral(api_key=key, server_url=server.url, client=http)
    return RecordingClient(sdk=sdk, recorder=recorder, http=http)


@contextmanager
def module_store(backend: str, base: Path, postgres_server: str | None) -> Iterator[StoreLocation]:
    """A fresh store on ``backend`` for one test module (``postgres_server`` for PostgreSQL)."""
    if backend == "sqlite":
        yield StoreLocation(data_dir=base / "data")
        return
    assert postgres_server is not None
    database_url = postgres.create_database(postgres_server)
    try:
        yield StoreLocation(data_dir=base / "data", database_url=database_url)
    finally:
        postgres.drop_database(postgres_server, database_url)
