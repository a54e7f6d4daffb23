"""Embedders: the bundled local model and remote APIs behind one protocol."""

from etagere.search.embedding._factory import EmbedderKind, create_embedder
from etagere.search.embedding._hashing import content_hash
from etagere.search.embedding._local import LocalOnnxEmbedder, default_cache_dir, load_tokenizer
from etagere.search.embedding._mistral import MistralEmbedder
from etagere.search.embedding._openai import OpenAICompatibleEmbedder
from etagere.search.embedding._protocol import Embedder, EmbeddingError
from etagere.search.embedding._query_cache import QueryCachingEmbedder
from etagere.search.embedding._universal import MultilingualEmbedder

__all__ = [
    "Embedder",
    "EmbedderKind",
    "EmbeddingError",
    "LocalOnnxEmbedder",
    "MistralEmbedder",
    "MultilingualEmbedder",
    "OpenAICompatibleEmbedder",
    "QueryCachingEmbedder",
    "content_hash",
    "create_embedder",
    "default_cache_dir",
    "load_tokenizer",
]
