"""mistral-embed (or another Mistral embedding model) through the official SDK."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from etagere.search.embedding._protocol import EmbeddingError, FloatMatrix
from etagere.search.embedding._remote import RemoteEmbedder, check_rows
from etagere.search.embedding._vectors import to_matrix

if TYPE_CHECKING:
    from mistralai.client import Mistral

BACKEND = "mistral"
#: The API accepts at most this many inputs per request.
MAX_INPUTS = 128
KNOWN_DIMENSIONS = {"mistral-embed": 1024}


class MistralEmbedder(RemoteEmbedder):
    """Embeds with the Mistral API; ``server_url`` points it at any compatible host."""

    def __init__(
        self,
        *,
        api_key: str,
        model: str = "mistral-embed",
        server_url: str | None = None,
        batch_size: int = MAX_INPUTS,
        max_batch_chars: int = 48_000,
        timeout_ms: int = 60_000,
    ) -> None:
        if not 1 <= batch_size <= MAX_INPUTS:
            raise ValueError(f"batch_size must be in 1..{MAX_INPUTS}")
        self._api_key = api_key
        self._server_url = server_url
        self._timeout_ms = timeout_ms
        self._model = model
        self._dimension = KNOWN_DIMENSIONS.get(model)
        self._batch_size = batch_size
        self._max_chars = max_batch_chars
        self._client: Mistral | None = None
        self._lock = threading.Lock()

    def _sdk(self) -> Mistral:
        with self._lock:
            if self._client is None:
                from mistralai.client import Mistral

                self._client = Mistral(
                    api_key=self._api_key, server_url=self._server_url, timeout_ms=self._timeout_ms
                )
            return self._client

    def _send(self, batch: Sequence[str]) -> FloatMatrix:
        import httpx2
        from mistralai.client.errors import MistralError, NoResponseError

        try:
            response = self._sdk().embeddings.create(model=self._model, inputs=list(batch))
        except (MistralError, NoResponseError, httpx2.HTTPError) as exc:
            raise EmbeddingError(f"embeddings request failed: {exc}", backend=BACKEND) from exc
        items = sorted(response.data, key=lambda item: item.index or 0)
        if any(item.embedding is None for item in items):
            raise EmbeddingError("the response lacks an embedding", backend=BACKEND)
        matrix = to_matrix([item.embedding or [] for item in items], backend=BACKEND)
        with self._lock:
            problem = check_rows(len(batch), matrix, self._dimension)
            if problem is not None:
                raise EmbeddingError(problem, backend=BACKEND)
            self._dimension = int(matrix.shape[1])
        return matrix
