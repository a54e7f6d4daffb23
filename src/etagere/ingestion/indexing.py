"""The indexing steps after extraction: chunk the text, then embed the chunks (with a cache).

Embedding is the slow part of the pipeline, so vectors are cached by a hash of the chunk's
text and the model: reprocessing a document whose text did not change embeds nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from etagere.core.chunks import EmbeddedChunk, FloatVector
from etagere.core.model import DocumentText
from etagere.ingestion.chunking import Chunk, chunk_markdown
from etagere.search.embedding import Embedder, content_hash
from etagere.search.language import chunk_languages

CacheLookup = Callable[[Sequence[str]], dict[str, FloatVector]]
CacheStore = Callable[[dict[str, FloatVector]], None]

#: Vectors are computed (and handed to ``keep``) this many chunks at a time, so a long document
#: killed midway resumes from the cache instead of embedding everything again.
EMBED_SLICE = 128


@dataclass(frozen=True)
class ChunkingConfig:
    """Chunk size in characters (a library's ``chunk_size`` overrides it) and overlap."""

    chunk_size: int = 1000
    overlap: int = 150


@dataclass(frozen=True)
class Embedded:
    """A document's chunks with their vectors, and the vectors that were newly computed."""

    chunks: list[EmbeddedChunk]
    new_vectors: dict[str, FloatVector]


def chunk_text(text: DocumentText, config: ChunkingConfig, chunk_size: int | None) -> list[Chunk]:
    """Structure-aware chunks of a document's Markdown, with exact offsets and pages."""
    size = chunk_size or config.chunk_size
    return chunk_markdown(
        text.text, text.pages, chunk_size=size, overlap=min(config.overlap, size // 4)
    )


def embed_chunks(
    chunks: Sequence[Chunk],
    embedder: Embedder,
    cached: CacheLookup,
    keep: CacheStore | None = None,
) -> Embedded:
    """Vectors for every chunk: from the cache when known, from the embedder otherwise.

    ``keep`` receives each slice of new vectors as soon as it is computed (to cache it).
    """
    model = embedder.model_name
    hashes = [content_hash(chunk.text, model) for chunk in chunks]
    known = cached(hashes)
    missing = list(dict.fromkeys(h for h in hashes if h not in known))
    texts = {h: chunk.text for h, chunk in zip(hashes, chunks, strict=True)}
    new_vectors: dict[str, FloatVector] = {}
    for start in range(0, len(missing), EMBED_SLICE):
        wanted = missing[start : start + EMBED_SLICE]
        computed = embedder.embed_documents([texts[h] for h in wanted])
        fresh = {h: np.asarray(v, dtype=np.float32) for h, v in zip(wanted, computed, strict=True)}
        if keep is not None:
            keep(fresh)
        new_vectors.update(fresh)
    vectors = {**known, **new_vectors}
    languages = chunk_languages([chunk.text for chunk in chunks])
    embedded = [
        EmbeddedChunk(
            id=uuid.uuid4(),
            ordinal=chunk.ordinal,
            text=chunk.text,
            start=chunk.start,
            end=chunk.end,
            pages=chunk.pages,
            headings=chunk.headings,
            content_hash=h,
            vector=vectors[h],
            language=language,
        )
        for chunk, h, language in zip(chunks, hashes, languages, strict=True)
    ]
    return Embedded(chunks=embedded, new_vectors=new_vectors)
