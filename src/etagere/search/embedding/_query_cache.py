"""A least-recently-used cache of query vectors in front of any embedder.

People repeat queries (the same question from a UI, an agent retrying, a dashboard); embedding
one costs milliseconds of CPU on the bundled model and a network round trip on a remote one.
Keys are the model name and the exact text, so vectors of two models never mix. Documents pass
straight through: the ingestion side has its own, persistent, cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from etagere.search.embedding._protocol import Embedder, FloatMatrix, FloatVector


class QueryCachingEmbedder:
    """An ``Embedder`` that remembers the vectors of the last ``size`` distinct queries."""

    def __init__(self, inner: Embedder, size: int = 1024) -> None:
        if size < 1:
            raise ValueError("size must be >= 1")
        self.inner = inner
        self.size = size
        self.hits = 0
        self.misses = 0
        self._vectors: OrderedDict[tuple[str, str], FloatVector] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> FloatMatrix:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> FloatVector:
        """The cached vector for ``text`` (read-only), or the inner embedder's, remembered."""
        key = (self.inner.model_name, text)
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
                self.hits += 1
                return vector
            self.misses += 1
        # Embedded outside the lock: two threads may embed the same new query once each.
        vector = self.inner.embed_query(text)
        vector.setflags(write=False)
        with self._lock:
            self._vectors[key] = vector
            self._vectors.move_to_end(key)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return vector
