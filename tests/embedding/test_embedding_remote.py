"""Remote embedders over a real loopback HTTP server backed by the local model."""

from __future__ import annotations

import numpy as np
import pytest

from etagere.search.embedding import (
    EmbeddingError,
    LocalOnnxEmbedder,
    MistralEmbedder,
    OpenAICompatibleEmbedder,
    create_embedder,
)
from etagere.search.embedding._openai import embeddings_url
from etagere.search.embedding._remote import request_batches
from tests.embedding.loopback_server import API_KEY, ServerState

TEXTS = [f"passage {i}: the {'cat' if i % 2 else 'market'} story" for i in range(10)]


def test_openai_compatible_returns_the_model_vectors(
    embeddings_server: tuple[str, ServerState], local_embedder: LocalOnnxEmbedder
) -> None:
    url, state = embeddings_server
    embedder = OpenAICompatibleEmbedder(
        base_url=f"{url}/v1", model="m", api_key=API_KEY, batch_size=4
    )
    assert embedder.dimension == 384  # learnt with a probe request
    matrix = embedder.embed_documents(TEXTS)
    np.testing.assert_allclose(matrix, local_embedder.embed_documents(TEXTS), atol=1e-5)
    assert state.batch_sizes[-3:] == [4, 4, 2]
    query = embedder.embed_query("a cat")
    assert query.shape == (384,)
    embedder.close()


def test_openai_compatible_restores_input_order(embeddings_server: tuple[str, ServerState]) -> None:
    url, state = embeddings_server
    state.reverse_order = True
    embedder = OpenAICompatibleEmbedder(base_url=url, model="m", api_key=API_KEY)
    matrix = embedder.embed_documents(["a cat sits on the mat", "stock market crash"])
    assert float(matrix[0] @ embedder.embed_query("kitten on a rug")) > float(
        matrix[1] @ embedder.embed_query("kitten on a rug")
    )


def test_openai_compatible_errors_are_translated(
    embeddings_server: tuple[str, ServerState],
) -> None:
    url, state = embeddings_server
    with pytest.raises(EmbeddingError, match="401"):
        OpenAICompatibleEmbedder(base_url=url, model="m", api_key="wrong").embed_query("x")
    state.fail_with = 500
    with pytest.raises(EmbeddingError, match="500"):
        OpenAICompatibleEmbedder(base_url=url, model="m", api_key=API_KEY).embed_query("x")


def test_openai_compatible_unreachable_server() -> None:
    embedder = OpenAICompatibleEmbedder(base_url="http://127.0.0.1:9", model="m", timeout=2)
    with pytest.raises(EmbeddingError, match="failed"):
        embedder.embed_query("x")


def test_openai_compatible_rejects_a_changed_dimension(
    embeddings_server: tuple[str, ServerState],
) -> None:
    url, _ = embeddings_server
    embedder = OpenAICompatibleEmbedder(base_url=url, model="m", api_key=API_KEY, dimension=768)
    with pytest.raises(EmbeddingError, match="dimension 768"):
        embedder.embed_query("x")


def test_mistral_sdk_against_loopback(
    embeddings_server: tuple[str, ServerState], local_embedder: LocalOnnxEmbedder
) -> None:
    url, state = embeddings_server
    embedder = create_embedder(
        "mistral", api_key=API_KEY, server_url=url, model="loopback-embed", batch_size=3
    )
    assert isinstance(embedder, MistralEmbedder)
    matrix = embedder.embed_documents(TEXTS)
    np.testing.assert_allclose(matrix, local_embedder.embed_documents(TEXTS), atol=1e-5)
    assert state.batch_sizes[-4:] == [3, 3, 3, 1]
    assert embedder.dimension == 384


def test_mistral_errors_are_translated(embeddings_server: tuple[str, ServerState]) -> None:
    url, _ = embeddings_server
    with pytest.raises(EmbeddingError, match="mistral"):
        MistralEmbedder(api_key="wrong", server_url=url).embed_query("x")
    with pytest.raises(EmbeddingError, match="mistral"):
        MistralEmbedder(api_key=API_KEY, server_url="http://127.0.0.1:9").embed_query("x")


def test_mistral_knows_its_dimension_and_limit() -> None:
    assert MistralEmbedder(api_key="k").dimension == 1024
    with pytest.raises(ValueError, match="batch_size"):
        MistralEmbedder(api_key="k", batch_size=129)


def test_request_batches_respect_items_and_characters() -> None:
    texts = ["a" * 10] * 7 + ["b" * 100] + ["c"] * 3
    batches = list(request_batches(texts, max_items=4, max_chars=50))
    assert [len(batch) for batch in batches] == [4, 3, 1, 3]
    assert [text for batch in batches for text in batch] == texts


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://h:11434/v1", "http://h:11434/v1/embeddings"),
        ("http://h:11434/v1/", "http://h:11434/v1/embeddings"),
        ("http://h:8080", "http://h:8080/v1/embeddings"),
        ("http://h/api/embeddings", "http://h/api/embeddings"),
    ],
)
def test_embeddings_url(base: str, expected: str) -> None:
    assert embeddings_url(base) == expected
