"""Fixtures: the real local model and a loopback embeddings server backed by it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from etagere.search.embedding import LocalOnnxEmbedder
from tests.embedding.loopback_server import ServerState, serve_embeddings


@pytest.fixture(scope="session")
def local_embedder() -> LocalOnnxEmbedder:
    """One loaded model for the whole run (loading costs about half a second)."""
    return LocalOnnxEmbedder(batch_size=8)


@pytest.fixture
def embeddings_server(local_embedder: LocalOnnxEmbedder) -> Iterator[tuple[str, ServerState]]:
    """A loopback ``/v1/embeddings`` server backed by the local model."""
    state = ServerState(local_embedder)
    with serve_embeddings(state) as url:
        yield url, state
