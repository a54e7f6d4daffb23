"""Fixtures: real stores (SQLite files, PostgreSQL databases) and real server processes.

Every test that takes ``store`` or ``server`` runs twice: on the embedded default (SQLite in a
fresh data directory) and on a fresh database of a real PostgreSQL server.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mistralai.client import Mistral

from etagere.core.model import Caller
from etagere.domain.identity import IdentityService
from etagere.domain.libraries import LibraryService
from etagere.runtime import build_search_backend
from etagere.search.embedding import LocalOnnxEmbedder
from etagere.search.index.backend import SearchBackend
from etagere.settings import Settings
from etagere.storage.blobs import LocalBlobStore
from etagere.storage.metadata import Database
from tests.support import postgres, seaweedfs
from tests.support.samples import build_samples
from tests.support.seaweedfs import S3Endpoint
from tests.support.servers import EtagereServer, StoreLocation

BACKENDS = ["sqlite", "postgres"]


EVAL_DIR_VARIABLE = "ETAGERE_EVAL_DIR"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"eval: reads the evaluation corpus named by {EVAL_DIR_VARIABLE} (set by CI)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test over the evaluation corpus ``eval``; skip them when it is not named.

    The default suite builds its own documents (``samples``), so a fresh clone passes alone;
    the suites over the shared corpus run in addition where ``ETAGERE_EVAL_DIR`` names it.
    """
    named = bool(os.environ.get(EVAL_DIR_VARIABLE))
    skip = pytest.mark.skip(reason=f"evaluation corpus suite: set {EVAL_DIR_VARIABLE} to run it")
    for item in items:
        if "eval_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.eval)
            if not named:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    """The shared evaluation data (documents and SciFact), read-only."""
    path = Path(os.environ[EVAL_DIR_VARIABLE])
    assert path.is_dir(), f"evaluation data not found at {path} ({EVAL_DIR_VARIABLE})"
    return path


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of documents built by the test suite: every format, scans, encrypted, broken."""
    return build_samples(tmp_path_factory.mktemp("samples"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    # Not under pytest's basetemp: pytest prunes old basetemps, which would pull the data
    # directory from under a server still used by a concurrent test session.
    workdir = Path(tempfile.mkdtemp(prefix="etagere-test-pg-"))
    try:
        with postgres.postgres_server(workdir) as url:
            yield url
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[S3Endpoint]:
    """A real S3-compatible server: the one CI started (``ETAGERE_TEST_S3_*``), or SeaweedFS."""
    from_env = seaweedfs.endpoint_from_env()
    if from_env is not None:
        yield from_env
        return
    # Not under pytest's basetemp, for the same reason as the PostgreSQL data directory.
    workdir = Path(tempfile.mkdtemp(prefix="etagere-test-s3-"))
    try:
        with seaweedfs.seaweedfs_server(workdir) as endpoint:
            yield endpoint
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def s3_bucket(s3_endpoint: S3Endpoint) -> Iterator[str]:
    """A fresh, empty bucket on the S3 server, removed with its contents afterwards."""
    client = s3_endpoint.client()
    bucket = seaweedfs.create_bucket(client)
    yield bucket
    seaweedfs.delete_bucket(client, bucket)


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


ServerFactory = Callable[..., EtagereServer]


@pytest.fixture
def start_server(store: StoreLocation) -> Iterator[ServerFactory]:
    """Start ``etagere serve`` processes over the test's store with extra ``ETAGERE_*`` settings.

    ``start_server(workers=2, max_upload_mb=5)`` sets ``ETAGERE_WORKERS`` and so on.
    """
    started: list[EtagereServer] = []

    def start(**settings: object) -> EtagereServer:
        env = {f"ETAGERE_{k.upper()}": str(v) for k, v in settings.items()}
        running = EtagereServer(store=store).start(extra_env=env)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def search_backend(db: Database, tmp_path: Path) -> SearchBackend:
    """The search backend the server would use on this store (in-process or PostgreSQL)."""
    return build_search_backend(db, LocalOnnxEmbedder(), Settings(data_dir=tmp_path))


@pytest.fixture
def caller(db: Database) -> Caller:
    """The store's bootstrap administrator, authenticated as a request would be."""
    identity = IdentityService(db)
    assert identity.bootstrap("etg_caller") is not None
    return identity.authenticate("etg_caller")


@pytest.fixture
def library_service(db: Database, tmp_path: Path, search_backend: SearchBackend) -> LibraryService:
    return LibraryService(db, LocalBlobStore(tmp_path / "blobs"), search_backend)


@pytest.fixture
def server(start_server: ServerFactory) -> EtagereServer:
    """``etagere serve`` running on a loopback port over a fresh store."""
    return start_server()


@pytest.fixture
def sdk(server: EtagereServer) -> Mistral:
    """The official mistralai client, pointed at the server with the bootstrap key."""
    return client_for(server, server.api_key)


def client_for(server: EtagereServer, key: str) -> Mistral:
    return Mistral(api_key=key, server_url=server.url)
