"""The query-vector cache: repeated queries skip the model, and the cache stays bounded."""

from __future__ import annotations

import numpy as np
import pytest

from etagere.search.embedding import LocalOnnxEmbedder, QueryCachingEmbedder


@pytest.fixture(scope="module")
def model() -> LocalOnnxEmbedder:
    return LocalOnnxEmbedder()


def test_repeated_query_is_answered_from_the_cache(model: LocalOnnxEmbedder) -> None:
    cached = QueryCachingEmbedder(model, size=8)
    first = cached.embed_query("where do herons nest")
    again = cached.embed_query("where do herons nest")
    assert again is first
    assert (cached.hits, cached.misses) == (1, 1)
    np.testing.assert_allclose(first, model.embed_query("where do herons nest"), atol=1e-6)


def test_cached_vectors_cannot_be_modified_by_a_caller(model: LocalOnnxEmbedder) -> None:
    vector = QueryCachingEmbedder(model).embed_query("read only")
    with pytest.raises(ValueError):
        vector[0] = 1.0


def test_least_recently_used_query_is_evicted(model: LocalOnnxEmbedder) -> None:
    cached = QueryCachingEmbedder(model, size=2)
    cached.embed_query("alpha")
    cached.embed_query("beta")
    cached.embed_query("alpha")  # alpha is now the most recent
    cached.embed_query("gamma")  # evicts beta
    cached.embed_query("alpha")
    assert cached.hits == 2
    cached.embed_query("beta")
    assert cached.misses == 4


def test_documents_pass_through(model: LocalOnnxEmbedder) -> None:
    cached = QueryCachingEmbedder(model, size=2)
    vectors = cached.embed_documents(["one passage", "another"])
    assert vectors.shape == (2, model.dimension)
    assert (cached.hits, cached.misses) == (0, 0)
    assert cached.model_name == model.model_name and cached.dimension == model.dimension
