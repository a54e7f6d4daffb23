"""Any OpenAI-style ``/v1/embeddings`` server (Ollama, vLLM, TEI, LM Studio) over httpx."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

import httpx

from etagere.search.embedding._protocol import EmbeddingError, FloatMatrix
from etagere.search.embedding._remote import RemoteEmbedder, check_rows
from etagere.search.embedding._vectors import to_matrix

BACKEND = "openai-compatible"


def embeddings_url(base_url: str) -> str:
    """The embeddings endpoint for a base URL given the way OpenAI clients take it.

    ``http://h:11434/v1`` and ``http://h:11434`` both mean ``http://h:11434/v1/embeddings``;
    a URL already ending in ``/embeddings`` is used as it is.
    """
    url = base_url.rstrip("/")
    if url.endswith("/embeddings"):
        return url
    if url.endswith("/v1"):
        return f"{url}/embeddings"
    return f"{url}/v1/embeddings"


def parse_embeddings(payload: Any) -> list[list[float]]:
    """The vectors of an embeddings response, in input order (servers may reorder)."""
    try:
        items = sorted(payload["data"], key=lambda item: int(item.get("index", 0)))
        return [list(item["embedding"]) for item in items]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise EmbeddingError(f"unexpected response shape: {exc!r}", backend=BACKEND) from exc


class OpenAICompatibleEmbedder(RemoteEmbedder):
    """Embeds through a remote ``/v1/embeddings`` endpoint.

    The dimension is learnt from the first response (or given up front); asking
    for it before any call sends one short probe request.
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        dimension: int | None = None,
        batch_size: int = 64,
        max_batch_chars: int = 64_000,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._url = embeddings_url(base_url)
        self._model = model
        self._dimension = dimension
        self._batch_size = batch_size
        self._max_chars = max_batch_chars
        self._client = httpx.Client(
            headers=headers,
            timeout=timeout,
            transport=transport or httpx.HTTPTransport(retries=2),
        )
        self._lock = threading.Lock()

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._client.close()

    def _send(self, batch: Sequence[str]) -> FloatMatrix:
        body = {"model": self._model, "input": list(batch), "encoding_format": "float"}
        try:
            response = self._client.post(self._url, json=body)
        except httpx.HTTPError as exc:
            raise EmbeddingError(f"request to {self._url} failed: {exc}", backend=BACKEND) from exc
        if response.status_code != httpx.codes.OK:
            detail = response.text[:300]
            raise EmbeddingError(
                f"{self._url} answered {response.status_code}: {detail}", backend=BACKEND
            )
        try:
            payload = response.json()
        except json.JSONDecodeError as exc:
            raise EmbeddingError(f"{self._url} did not answer JSON", backend=BACKEND) from exc
        matrix = to_matrix(parse_embeddings(payload), backend=BACKEND)
        self._learn_dimension(len(batch), matrix)
        return matrix

    def _learn_dimension(self, count: int, matrix: FloatMatrix) -> None:
        with self._lock:
            problem = check_rows(count, matrix, self._dimension)
            if problem is not None:
                raise EmbeddingError(problem, backend=BACKEND)
            self._dimension = int(matrix.shape[1])
