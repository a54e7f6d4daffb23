"""Build an embedder from configuration (the settings object names the kind)."""

from __future__ import annotations

from typing import Any, Literal

from etagere.search.embedding._local import LocalOnnxEmbedder
from etagere.search.embedding._mistral import MistralEmbedder
from etagere.search.embedding._openai import OpenAICompatibleEmbedder
from etagere.search.embedding._protocol import Embedder
from etagere.search.embedding._universal import MultilingualEmbedder

EmbedderKind = Literal["local", "multilingual", "mistral", "openai-compatible"]


def create_embedder(kind: EmbedderKind, **options: Any) -> Embedder:
    """Return the embedder of ``kind`` built with ``options`` (its constructor's keywords).

    Constructors are cheap and lazy, so an unreachable API or a missing model
    shows up at the first embed call, as an ``EmbeddingError``.
    """
    if kind == "local":
        return LocalOnnxEmbedder(**options)
    if kind == "multilingual":
        return MultilingualEmbedder(**options)
    if kind == "mistral":
        return MistralEmbedder(**options)
    if kind == "openai-compatible":
        return OpenAICompatibleEmbedder(**options)
    raise ValueError(
        f"unknown embedder kind {kind!r}; "
        "expected local, multilingual, mistral or openai-compatible"
    )
