"""The bundled model's optimised copy: same vectors, written once, shared, self-healing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import onnxruntime

from etagere.search.embedding import LocalOnnxEmbedder
from etagere.search.embedding._onnx import OPTIMISED_MODEL, OPTIMISED_WEIGHTS

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
