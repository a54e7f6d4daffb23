"""Helpers shared by the document tests of this folder: a per-module server, batch waiting.

``module_server`` runs one ``etagere serve`` (two processing workers) per backend for a whole
test module, so that tests needing only default settings do not pay a server start each; it
mirrors the ``store`` fixture of ``tests/conftest.py`` (same backends, same PostgreSQL).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

import pytest
from mistralai.client import Mistral, models

from tests.conftest import BACKENDS
from tests.support import postgres
from tests.support.documents import SETTLED
from tests.support.servers import EtagereServer, StoreLocation


@pytest.fixture(scope="module", params=BACKENDS)
def module_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EtagereServer]:
    """``etagere serve --workers 2`` over a fresh store, shared by one module's tests."""
    data_dir = tmp_path_factory.mktemp(f"module-{request.param}") / "data"
    server_url: str | None = None
    database_url: str | None = None
    if request.param == "postgres":
        server_url = request.getfixturevalue("postgres_url")
        database_url = postgres.create_database(server_url)
    server = EtagereServer(store=StoreLocation(data_dir=data_dir, database_url=database_url))
    try:
        yield server.start(extra_env={"ETAGERE_WORKERS": "2"})
    finally:
        server.stop()
        if server_url and database_url:
            postgres.drop_database(server_url, database_url)


def new_library(client: Mistral, name: str = "documents under test") -> str:
    """A fresh library's id."""
    return client.beta.libraries.create(name=name).id


def wait_all_settled(
    client: Mistral, library_id: str, document_ids: Iterable[str], timeout: float = 600
) -> dict[str, models.Document]:
    """Poll the library listing (one call per round) until every document has settled."""
    wanted = set(document_ids)
    deadline = time.monotonic() + timeout
    pending: set[str] = wanted
    while time.monotonic() < deadline:
        listed = list_all(client, library_id)
        pending = {i for i in wanted if i not in listed or listed[i].process_status not in SETTLED}
        if not pending:
            return {i: listed[i] for i in wanted}
        time.sleep(0.5)
    raise AssertionError(f"{len(pending)} documents still unsettled after {timeout}s: {pending}")


def list_all(client: Mistral, library_id: str) -> dict[str, models.Document]:
    """Every document of the library, by id."""
    found: dict[str, models.Document] = {}
    page = 0
    while True:
        listing = client.beta.libraries.documents.list(
            library_id=library_id, page=page, page_size=100
        )
        found.update((d.id, d) for d in listing.data)
        if not listing.pagination.has_more:
            return found
        page += 1


def flat(text: str) -> str:
    """Whitespace runs collapsed, so phrases match across line breaks."""
    return " ".join(text.split())
