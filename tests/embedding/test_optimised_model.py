"""The bundled model's optimised copy: same vectors, written once, shared, self-healing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from etagere.search.embedding import EmbeddingError, LocalOnnxEmbedder
from etagere.search.embedding._onnx import OPTIMISED_MODEL, OPTIMISED_WEIGHTS, QUANTISED_SUFFIX

TEXTS = [
    "Vitamin D deficiency is associated with fractures in older adults.",
    "The central bank raised interest rates to curb inflation.",
    "a",
]


def _copies(cache: Path) -> list[Path]:
    return sorted(entry for entry in cache.iterdir() if not entry.name.startswith("."))


def test_same_vectors_as_the_original(local_embedder: LocalOnnxEmbedder, tmp_path: Path) -> None:
    cached = LocalOnnxEmbedder(cache_dir=tmp_path)
    np.testing.assert_allclose(
        cached.embed_documents(TEXTS), local_embedder.embed_documents(TEXTS), atol=1e-5
    )
    np.testing.assert_allclose(
        cached.embed_query(TEXTS[0]), local_embedder.embed_query(TEXTS[0]), atol=1e-5
    )
    (copy,) = _copies(tmp_path)
    assert copy.name.endswith(f"-ort{onnxruntime.__version__}")
    assert (copy / OPTIMISED_MODEL).is_file()
    # The folded float weights live beside the graph, where they can be memory-mapped.
    assert (copy / OPTIMISED_WEIGHTS).stat().st_size > 50_000_000


def test_written_once_then_reused(tmp_path: Path) -> None:
    LocalOnnxEmbedder(cache_dir=tmp_path).embed_query("first")
    (copy,) = _copies(tmp_path)
    written = (copy / OPTIMISED_WEIGHTS).stat().st_mtime_ns
    LocalOnnxEmbedder(cache_dir=tmp_path).embed_query("second")
    assert _copies(tmp_path) == [copy]
    assert (copy / OPTIMISED_WEIGHTS).stat().st_mtime_ns == written


def test_damaged_copy_falls_back_and_is_rebuilt(
    local_embedder: LocalOnnxEmbedder, tmp_path: Path
) -> None:
    LocalOnnxEmbedder(cache_dir=tmp_path).embed_query("warm")
    (copy,) = _copies(tmp_path)
    with open(copy / OPTIMISED_WEIGHTS, "r+b") as weights:
        weights.truncate(1000)
    expected = local_embedder.embed_query(TEXTS[0])
    np.testing.assert_allclose(
        LocalOnnxEmbedder(cache_dir=tmp_path).embed_query(TEXTS[0]), expected, atol=1e-5
    )
    assert not copy.exists()  # removed, so the next process writes it again
    np.testing.assert_allclose(
        LocalOnnxEmbedder(cache_dir=tmp_path).embed_query(TEXTS[0]), expected, atol=1e-5
    )
    assert (copy / OPTIMISED_WEIGHTS).stat().st_size > 50_000_000


def test_unwritable_cache_loads_the_original(
    local_embedder: LocalOnnxEmbedder, tmp_path: Path
) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    vector = LocalOnnxEmbedder(cache_dir=blocked).embed_query(TEXTS[1])
    np.testing.assert_allclose(vector, local_embedder.embed_query(TEXTS[1]), atol=1e-5)


def test_stale_copies_and_dead_writers_are_removed(tmp_path: Path) -> None:
    LocalOnnxEmbedder(cache_dir=tmp_path).embed_query("warm")
    (copy,) = _copies(tmp_path)
    digest = copy.name.split("-ort")[0]
    older_version = tmp_path / f"{digest}-ort1.0.0"
    dead_writer = tmp_path / ".writing-dead"
    live_writer = tmp_path / ".writing-live"
    other_model = tmp_path / "0123456789abcdef-ort1.0.0"
    for folder in (older_version, dead_writer, live_writer, other_model):
        folder.mkdir()
    an_hour_ago = time.time() - 3700
    os.utime(dead_writer, (an_hour_ago, an_hour_ago))
    for entry in copy.iterdir():
        entry.unlink()
    copy.rmdir()
    LocalOnnxEmbedder(cache_dir=tmp_path).embed_query("rewrite")
    names = {entry.name for entry in tmp_path.iterdir()}
    assert names == {copy.name, live_writer.name, other_model.name}


def test_weights_are_mapped_from_the_shared_file(tmp_path: Path) -> None:
    """The point of the copy: the folded float weights are pages of one file that every
    process maps (shared page cache), not memory each process fills for itself."""
    embedder = LocalOnnxEmbedder(cache_dir=tmp_path)
    embedder.embed_query("vitamin D and fractures")  # the session lives as long as embedder
    (copy,) = _copies(tmp_path)
    mapped = Path("/proc/self/maps").read_text()
    assert str(copy / OPTIMISED_WEIGHTS) in mapped


def test_quantised_copy_is_close_deterministic_and_another_model(
    local_embedder: LocalOnnxEmbedder, tmp_path: Path
) -> None:
    quantised = LocalOnnxEmbedder(cache_dir=tmp_path, quantised=True)
    assert quantised.model_name != local_embedder.model_name  # libraries record which
    vectors = quantised.embed_documents(TEXTS)
    reference = local_embedder.embed_documents(TEXTS)
    cosines = (vectors * reference).sum(axis=1)
    assert np.all(cosines > 0.98) and not np.allclose(vectors, reference, atol=1e-4)
    # Each text is embedded alone: its vector does not depend on what comes with it.
    again = np.stack([quantised.embed_query(text) for text in reversed(TEXTS)])[::-1]
    np.testing.assert_allclose(vectors, again, atol=1e-6)
    names = sorted(entry.name for entry in _copies(tmp_path))
    assert len(names) == 2 and names[1] == names[0] + QUANTISED_SUFFIX
    # The graph holds int8 products: its file is a quarter of the float copy's weights.
    quantised_size = (tmp_path / names[1] / OPTIMISED_MODEL).stat().st_size
    assert quantised_size < (tmp_path / names[0] / OPTIMISED_WEIGHTS).stat().st_size / 3


def test_quantised_finds_the_relevant_passage(tmp_path: Path) -> None:
    quantised = LocalOnnxEmbedder(cache_dir=tmp_path, quantised=True)
    passages = [
        "The mitochondrion is the powerhouse of the cell, producing ATP.",
        "Interest rates were raised by the central bank to curb inflation.",
        "The striker scored twice in the second half of the final.",
    ]
    query = quantised.embed_query("how do cells make energy")
    assert int(np.argmax(quantised.embed_documents(passages) @ query)) == 0


def test_quantised_copy_written_once_beside_the_float_one(tmp_path: Path) -> None:
    """Float and int8 copies of one model live side by side; neither counts as stale."""
    LocalOnnxEmbedder(cache_dir=tmp_path).embed_query("float")
    LocalOnnxEmbedder(cache_dir=tmp_path, quantised=True).embed_query("int8")
    before = {entry.name: entry.stat().st_mtime_ns for entry in _copies(tmp_path)}
    LocalOnnxEmbedder(cache_dir=tmp_path).embed_query("float again")
    LocalOnnxEmbedder(cache_dir=tmp_path, quantised=True).embed_query("int8 again")
    after = {entry.name: entry.stat().st_mtime_ns for entry in _copies(tmp_path)}
    assert before == after and len(after) == 2


def test_quantised_without_a_writable_cache_fails_clearly(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    with pytest.raises(EmbeddingError, match="cannot write the quantised model"):
        LocalOnnxEmbedder(cache_dir=blocked, quantised=True).embed_query("x")
