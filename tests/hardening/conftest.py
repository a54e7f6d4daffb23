"""One embedded-mode server per module: these tests probe the HTTP edge, not the stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mistralai.client import Mistral

from tests.support.servers import EtagereServer, StoreLocation


@pytest.fixture(scope="module")
def edge_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtagereServer]:
    """``etagere serve`` on SQLite with default settings, shared by a module's tests."""
    data_dir: Path = tmp_path_factory.mktemp("edge") / "data"
    server = EtagereServer(store=StoreLocation(data_dir=data_dir)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def edge_sdk(edge_server: EtagereServer) -> Mistral:
    return Mistral(api_key=edge_server.api_key, server_url=edge_server.url)
