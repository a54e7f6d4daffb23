"""Batching and response handling shared by the embedders that call a server."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from etagere.search.embedding._protocol import FloatMatrix, FloatVector
from etagere.search.embedding._vectors import empty_matrix, l2_normalise

#: Sends one batch and returns its vectors in input order.
SendBatch = Callable[[Sequence[str]], FloatMatrix]


def request_batches(
    texts: Sequence[str], *, max_items: int, max_chars: int
) -> Iterator[Sequence[str]]:
    """Split texts into requests of at most ``max_items`` texts and about ``max_chars``.

    APIs cap both the number of inputs and the tokens of one request; a
    character budget keeps long chunks from hitting the token cap. A single
    text longer than the budget still goes alone (the server truncates or errs).
    """
    start = 0
    while start < len(texts):
        end, used = start, 0
        while end < len(texts) and end - start < max_items:
            size = len(texts[end])
            if end > start and used + size > max_chars:
                break
            used += size
            end += 1
        yield texts[start:end]
        start = end


def embed_in_batches(
    texts: Sequence[str],
    send: SendBatch,
    *,
    dimension: int | None,
    max_items: int,
    max_chars: int,
) -> FloatMatrix:
    """Embed all texts batch by batch and return one normalised matrix.

    Remote servers do not all normalise (Ollama, some TEI models), so we always do.
    """
    parts = [
        send(batch) for batch in request_batches(texts, max_items=max_items, max_chars=max_chars)
    ]
    if not parts:
        return empty_matrix(dimension or 0)
    return l2_normalise(np.concatenate(parts, axis=0))


def check_rows(count: int, matrix: FloatMatrix, expected_dimension: int | None) -> str | None:
    """Why a server's answer is unusable, or None when it has one right-sized row per input."""
    if matrix.shape[0] != count:
        return f"expected {count} embeddings, got {matrix.shape[0]}"
    if expected_dimension is not None and matrix.shape[1] != expected_dimension:
        return f"expected dimension {expected_dimension}, got {matrix.shape[1]}"
    return None


class RemoteEmbedder:
    """What the server-backed embedders share: batching, normalising, a dimension probe.

    Subclasses set ``_model``, ``_dimension`` (None until known), ``_batch_size`` and
    ``_max_chars`` and implement ``_send`` for one request.
    """

    _model: str
    _dimension: int | None
    _batch_size: int
    _max_chars: int

    @property
    def model_name(self) -> str:
        return self._model

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self.embed_query("dimension probe")
        assert self._dimension is not None
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed texts in requests of at most ``_batch_size`` inputs and about ``_max_chars``."""
        return embed_in_batches(
            texts,
            self._send,
            dimension=self._dimension,
            max_items=self._batch_size,
            max_chars=self._max_chars,
        )

    def embed_query(self, text: str) -> FloatVector:
        """Embed one query as is (no instruction prefix; add one to the text if needed)."""
        vector: FloatVector = self.embed_documents([text])[0]
        return vector

    def _send(self, batch: Sequence[str]) -> FloatMatrix:
        raise NotImplementedError
