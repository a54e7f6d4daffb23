"""The bundled model, run for real: semantics, batching, normalisation, errors."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from etagere.search.embedding import Embedder, EmbeddingError, LocalOnnxEmbedder, create_embedder
from etagere.search.embedding._local import MAX_TOKENS, load_tokenizer


def test_satisfies_protocol(local_embedder: LocalOnnxEmbedder) -> None:
    assert isinstance(local_embedder, Embedder)
    assert local_embedder.dimension == 384
    assert local_embedder.model_name == "all-MiniLM-L6-v2-int8"


def test_semantic_neighbours(local_embedder: LocalOnnxEmbedder) -> None:
    cat, kitten, market = local_embedder.embed_documents(
        ["a cat sits on the mat", "a kitten on a rug", "stock market crash"]
    )
    assert float(cat @ kitten) > float(cat @ market) + 0.3


def test_query_finds_relevant_passage(local_embedder: LocalOnnxEmbedder) -> None:
    passages = [
        "The mitochondrion is the powerhouse of the cell, producing ATP.",
        "Interest rates were raised by the central bank to curb inflation.",
        "The striker scored twice in the second half of the final.",
    ]
    matrix = local_embedder.embed_documents(passages)
    query = local_embedder.embed_query("how do cells make energy")
    assert int(np.argmax(matrix @ query)) == 0


def test_shape_dtype_and_unit_norm(local_embedder: LocalOnnxEmbedder) -> None:
    texts = ["one", "two words", "", "   ", "ünïcödé and emoji 🙂", "x " * 1000]
    matrix = local_embedder.embed_documents(texts)
    assert matrix.shape == (len(texts), 384)
    assert matrix.dtype == np.float32
    assert np.all(np.isfinite(matrix))
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)


def test_empty_input_gives_empty_matrix(local_embedder: LocalOnnxEmbedder) -> None:
    assert local_embedder.embed_documents([]).shape == (0, 384)


def test_batch_equals_single(local_embedder: LocalOnnxEmbedder) -> None:
    # Nine texts of very different lengths over batches of 8: padding and batch
    # composition must not change any vector.
    texts = [("word " * n).strip() + f" number {n}" for n in (1, 3, 9, 27, 81, 2, 5, 400, 0)]
    together = local_embedder.embed_documents(texts)
    alone = np.stack([local_embedder.embed_query(text) for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert float(np.min(np.sum(together * alone, axis=1))) > 0.99999


def test_batch_size_does_not_change_vectors(local_embedder: LocalOnnxEmbedder) -> None:
    texts = [f"sentence {i} about topic {i % 3}" for i in range(20)]
    small = LocalOnnxEmbedder(batch_size=3, intra_op_threads=1).embed_documents(texts)
    np.testing.assert_allclose(small, local_embedder.embed_documents(texts), atol=1e-5)


def test_truncates_at_256_tokens(local_embedder: LocalOnnxEmbedder) -> None:
    head = "alpha beta gamma delta " * 100  # far beyond 256 word pieces
    assert len(load_tokenizer(max_tokens=None).encode(head).ids) > MAX_TOKENS
    a, b = local_embedder.embed_documents([head, head + " completely different tail"])
    assert float(a @ b) > 0.99999


def test_concurrent_first_use_loads_once() -> None:
    embedder = LocalOnnxEmbedder()
    results: list[np.ndarray] = []
    lock = threading.Lock()

    def work() -> None:
        vector = embedder.embed_query("thread safety")
        with lock:
            results.append(vector)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    for vector in results[1:]:
        np.testing.assert_allclose(vector, results[0], atol=1e-6)


def test_bad_model_file_raises_embedding_error(tmp_path: Path) -> None:
    bogus = tmp_path / "model.onnx"
    bogus.write_bytes(b"not a model")
    with pytest.raises(EmbeddingError, match="cannot load ONNX model"):
        LocalOnnxEmbedder(model_path=bogus).embed_query("x")


def test_missing_tokenizer_raises_embedding_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError, match="cannot read"):
        LocalOnnxEmbedder(tokenizer_path=tmp_path / "nope.json").embed_query("x")


def test_malformed_tokenizer_raises_embedding_error(tmp_path: Path) -> None:
    broken = tmp_path / "tokenizer.json"
    broken.write_text("{not json")
    with pytest.raises(EmbeddingError, match="invalid tokenizer"):
        LocalOnnxEmbedder(tokenizer_path=broken).embed_query("x")


def test_factory_builds_local() -> None:
    embedder = create_embedder("local", batch_size=4, intra_op_threads=1)
    assert isinstance(embedder, LocalOnnxEmbedder)
    with pytest.raises(ValueError, match="unknown embedder kind"):
        create_embedder("nope")  # type: ignore[arg-type]
