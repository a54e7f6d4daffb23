"""The embedder interface and its single error type.

One narrow protocol lets the pipeline and the search layer treat the bundled
model and remote APIs alike; one error type means callers never need to know
which third-party library failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float32]
FloatVector = npt.NDArray[np.float32]


class EmbeddingError(Exception):
    """Any failure of an embedding backend, with a message fit for an operator."""

    def __init__(self, message: str, *, backend: str) -> None:
        super().__init__(f"{backend}: {message}")
        self.message = message
        self.backend = backend


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def model_name(self) -> str:
        """The model id recorded per library (vectors of different models never mix)."""
        ...

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed passages; returns shape (len(texts), dimension), rows L2-normalised."""
        ...

    def embed_query(self, text: str) -> FloatVector:
        """Embed one search query; returns shape (dimension,), L2-normalised."""
        ...
