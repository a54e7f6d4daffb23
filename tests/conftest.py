"""Fixtures: real stores (SQLite files, PostgreSQL databases) and real server processes.

Every test that takes ``store`` or ``server`` runs twice: on the embedded default (SQLite in a
fresh data directory) and on a fresh database of a real PostgreSQL server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from mistralai.client import Mistral

from etagere.storage.metadata import Database
from tests.support import postgres
from tests.support.servers import EtagereServer, StoreLocation

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    """The shared evaluation data (documents and SciFact), read-only."""
    default = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
    path = Path(os.environ.get("ETAGERE_EVAL_DIR", default))
    assert path.is_dir(), f"evaluation data not found at {path} (set ETAGERE_EVAL_DIR)"
    return path


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with postgres.postgres_server(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreLocation]:
    """A fresh, empty metadata store location on each backend."""
    if request.param == "sqlite":
        yield StoreLocation(data_dir=tmp_path / "data")
        return
    server_url: str = request.getfixturevalue("postgres_url")
    database_url = postgres.create_database(server_url)
    try:
        yield StoreLocation(data_dir=tmp_path / "data", database_url=database_url)
    finally:
        postgres.drop_database(server_url, database_url)


@pytest.fixture
def db(store: StoreLocation) -> Iterator[Database]:
    """A migrated metadata store, used in-process by unit tests."""
    url = store.database_url or f"sqlite:///{store.data_dir / 'etagere.db'}"
    database = Database(url)
    database.migrate()
    yield database
    database.close()


@pytest.fixture
def server(store: StoreLocation) -> Iterator[EtagereServer]:
    """``etagere serve`` running on a loopback port over a fresh store."""
    running = EtagereServer(store=store).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def sdk(server: EtagereServer) -> Mistral:
    """The official mistralai client, pointed at the server with the bootstrap key."""
    return client_for(server, server.api_key)


def client_for(server: EtagereServer, key: str) -> Mistral:
    return Mistral(api_key=key, server_url=server.url)
