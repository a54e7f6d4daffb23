"""Small pure helpers shared by every embedder: batching and normalisation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

import numpy as np

from etagere.search.embedding._protocol import EmbeddingError, FloatMatrix

T = TypeVar("T")


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of at most ``size`` items."""
    if size < 1:
        raise ValueError(f"batch size must be >= 1, got {size}")
    for start in range(0, len(items), size):
        yield items[start : start + size]


def l2_normalise(matrix: FloatMatrix) -> FloatMatrix:
    """Scale each row to unit length so a dot product is a cosine.

    An all-zero row (possible from a remote server for empty input) stays zero
    rather than becoming NaN.
    """
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    normalised: FloatMatrix = (matrix / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
    return normalised


def to_matrix(rows: Sequence[Sequence[float]], *, backend: str) -> FloatMatrix:
    """Turn vectors received from a server into a checked float32 matrix."""
    if not rows:
        raise EmbeddingError("the server returned no embeddings", backend=backend)
    dimension = len(rows[0])
    if dimension == 0 or any(len(row) != dimension for row in rows):
        raise EmbeddingError("the server returned vectors of unequal length", backend=backend)
    matrix = np.asarray(rows, dtype=np.float32)
    if not np.all(np.isfinite(matrix)):
        raise EmbeddingError("the server returned non-finite values", backend=backend)
    return matrix


def empty_matrix(dimension: int) -> FloatMatrix:
    """The result of embedding no texts: shape (0, dimension)."""
    return np.zeros((0, dimension), dtype=np.float32)
