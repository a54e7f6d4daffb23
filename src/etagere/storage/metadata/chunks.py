"""Chunks of searchable documents, the embedding cache and the index change log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etagere.core.chunks import EmbeddedChunk, FloatVector, IndexedChunk
from etagere.storage.metadata.schema import (
    chunks,
    documents,
    embedding_cache,
    index_log,
    libraries,
    library_indexes,
)
from etagere.storage.metadata.types import utcnow

__all__ = ["ChunkHit", "chunks"]


@dataclass(frozen=True)
class ChunkHit:
    """A stored chunk with what a search hit shows of its document."""

    seq: int
    id: UUID
    document_id: UUID
    library_id: UUID
    text: str
    start_offset: int
    end_offset: int
    pages: tuple[int, ...]
    headings: tuple[str, ...]
    document_name: str
    mime_type: str | None
    attributes: dict[str, Any] | None


def chunk_values(
    library_id: UUID, document_id: UUID, model: str, chunk: EmbeddedChunk
) -> dict[str, Any]:
    """The row of one chunk, without its embedding (each backend stores that its own way)."""
    return {
        "embedding_model": model,
        "id": chunk.id,
        "document_id": document_id,
        "library_id": library_id,
        "ordinal": chunk.ordinal,
        "text": chunk.text,
        "start_offset": chunk.start,
        "end_offset": chunk.end,
        "pages": list(chunk.pages),
        "headings": list(chunk.headings),
        "content_hash": chunk.content_hash,
        "language": chunk.language,
    }


def delete_document_chunks(conn: Connection, document_id: UUID) -> None:
    conn.execute(chunks.delete().where(chunks.c.document_id == document_id))


def log_change(conn: Connection, library_id: UUID, document_id: UUID | None) -> None:
    """Record that a document's chunks (or, with None, the whole library) changed."""
    conn.execute(
        index_log.insert().values(
            library_id=library_id, document_id=document_id, created_at=utcnow()
        )
    )


def log_position(conn: Connection) -> int:
    return int(
        conn.execute(sa.select(sa.func.coalesce(sa.func.max(index_log.c.seq), 0))).scalar_one()
    )


def log_fingerprint(conn: Connection, position: int) -> str:
    """What the log entry at ``position`` changed ("" at 0 or when there is no such entry)."""
    query = sa.select(index_log.c.library_id, index_log.c.document_id).where(
        index_log.c.seq == position
    )
    row = conn.execute(query).first()
    return f"{row.library_id}:{row.document_id}" if row else ""


# The statements every search runs are built once (bind parameters, not literals): building
# and cache-keying a SQL expression per query cost more than executing it.
_CHANGES_SINCE = (
    sa.select(index_log.c.seq, index_log.c.library_id, index_log.c.document_id)
    .where(index_log.c.seq > sa.bindparam("position"))
    .order_by(index_log.c.seq)
)


def changes_since(conn: Connection, position: int) -> list[tuple[int, UUID, UUID | None]]:
    rows = conn.execute(_CHANGES_SINCE, {"position": position})
    return [(int(r.seq), r.library_id, r.document_id) for r in rows]


def indexed_chunks(
    conn: Connection, document_ids: Sequence[UUID]
) -> dict[UUID, list[IndexedChunk]]:
    """Keys, texts and embeddings of these documents' chunks, for in-process indexes."""
    query = (
        sa.select(
            chunks.c.document_id, chunks.c.seq, chunks.c.text, chunks.c.vector, chunks.c.language
        )
        .where(chunks.c.document_id.in_(document_ids), chunks.c.vector.is_not(None))
        .order_by(chunks.c.document_id, chunks.c.ordinal)
    )
    result: dict[UUID, list[IndexedChunk]] = {d: [] for d in document_ids}
    for row in conn.execute(query):
        vector = np.frombuffer(row.vector, dtype=np.float32)
        language = row.language or "en"  # rows stored before language detection
        result[row.document_id].append(IndexedChunk(int(row.seq), row.text, vector, language))
    return result


def documents_with_chunks(conn: Connection) -> list[tuple[UUID, UUID]]:
    """(library id, document id) of every document that has chunks."""
    query = sa.select(chunks.c.library_id, chunks.c.document_id).distinct()
    return [(r.library_id, r.document_id) for r in conn.execute(query)]


def select_hits() -> sa.Select[Any]:
    """Chunks joined with what a hit shows of their document (see ``to_hit``)."""
    return sa.select(
        chunks.c.seq,
        chunks.c.id,
        chunks.c.document_id,
        chunks.c.library_id,
        chunks.c.text,
        chunks.c.start_offset,
        chunks.c.end_offset,
        chunks.c.pages,
        chunks.c.headings,
        documents.c.name,
        documents.c.mime_type,
        documents.c.attributes,
    ).join(documents, documents.c.id == chunks.c.document_id)


def to_hit(row: Any) -> ChunkHit:
    """A row of ``select_hits`` as a ``ChunkHit``."""
    return ChunkHit(
        seq=int(row.seq),
        id=row.id,
        document_id=row.document_id,
        library_id=row.library_id,
        text=row.text,
        start_offset=row.start_offset,
        end_offset=row.end_offset,
        pages=tuple(row.pages),
        headings=tuple(row.headings),
        document_name=row.name,
        mime_type=row.mime_type,
        attributes=row.attributes,
    )


_HITS = select_hits().where(chunks.c.seq.in_(sa.bindparam("seqs", expanding=True)))


def hits(conn: Connection, seqs: Sequence[int]) -> dict[int, ChunkHit]:
    """The chunks still present among ``seqs`` (a deleted document's chunks are gone)."""
    if not seqs:
        return {}
    rows = conn.execute(_HITS, {"seqs": list(seqs)})
    return {int(row.seq): to_hit(row) for row in rows}


def cached_vectors(conn: Connection, model: str, hashes: Iterable[str]) -> dict[str, FloatVector]:
    wanted = list(set(hashes))
    if not wanted:
        return {}
    query = sa.select(embedding_cache.c.content_hash, embedding_cache.c.vector).where(
        embedding_cache.c.model == model, embedding_cache.c.content_hash.in_(wanted)
    )
    return {r.content_hash: np.frombuffer(r.vector, dtype=np.float32) for r in conn.execute(query)}


def cache_vectors(conn: Connection, model: str, vectors: dict[str, FloatVector]) -> None:
    """Remember embeddings; a hash another worker cached meanwhile is left as it is."""
    if not vectors:
        return
    known = set(cached_vectors(conn, model, vectors))
    rows = [
        {"model": model, "content_hash": h, "vector": v.astype(np.float32).tobytes()}
        for h, v in vectors.items()
        if h not in known
    ]
    if rows:
        conn.execute(embedding_cache.insert(), rows)


_LIBRARY_MODELS = sa.select(
    library_indexes.c.library_id, library_indexes.c.embedding_model, library_indexes.c.dimension
).where(
    library_indexes.c.library_id.in_(
        sa.bindparam("library_ids", expanding=True, type_=library_indexes.c.library_id.type)
    )
)


def library_models(conn: Connection, library_ids: Sequence[UUID]) -> dict[UUID, tuple[str, int]]:
    """The embedding model and dimension recorded for each library that has one, in one query
    (a search over every readable library checks them all)."""
    if not library_ids:
        return {}
    rows = conn.execute(_LIBRARY_MODELS, {"library_ids": list(library_ids)})
    return {row.library_id: (row.embedding_model, int(row.dimension)) for row in rows}


def library_model(conn: Connection, library_id: UUID) -> tuple[str, int] | None:
    return library_models(conn, [library_id]).get(library_id)


def set_library_model(conn: Connection, library_id: UUID, model: str, dimension: int) -> None:
    conn.execute(library_indexes.delete().where(library_indexes.c.library_id == library_id))
    conn.execute(
        library_indexes.insert().values(
            library_id=library_id,
            embedding_model=model,
            dimension=dimension,
            updated_at=utcnow(),
        )
    )


def chunks_of_other_models(conn: Connection, library_id: UUID, model: str) -> int:
    """How many documents of the library still carry embeddings of another model."""
    query = sa.select(sa.func.count(sa.distinct(chunks.c.document_id))).where(
        chunks.c.library_id == library_id, chunks.c.embedding_model != model
    )
    return int(conn.execute(query).scalar_one())


def library_chunk_size(conn: Connection, library_id: UUID) -> int | None:
    """The library's own ``chunk_size`` (None: the server default)."""
    query = sa.select(libraries.c.chunk_size).where(libraries.c.id == library_id)
    value = conn.execute(query).scalar()
    return int(value) if value is not None else None
