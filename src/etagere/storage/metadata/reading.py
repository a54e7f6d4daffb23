"""Chunks of one document in reading order: spans, neighbours and single chunks by id.

These back the context-search ``read``/``navigate``/``grep``/``get_chunk`` routes and the agent
tools. Every query is scoped to a library, so a chunk id or document id from another library
is simply not found.
"""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etagere.storage.metadata.chunks import ChunkHit, select_hits, to_hit
from etagere.storage.metadata.schema import chunks

# A document of the largest accepted size (2,000 pages) has a few thousand chunks; a grep reads
# them all, so this bounds what one call may load.
MAX_DOCUMENT_CHUNKS = 50_000


def _of_document(library_id: UUID, document_id: UUID) -> sa.ColumnElement[bool]:
    return sa.and_(chunks.c.library_id == library_id, chunks.c.document_id == document_id)


def chunk_by_id(conn: Connection, library_id: UUID, chunk_id: UUID) -> ChunkHit | None:
    """The chunk with this id, if it belongs to the library."""
    query = select_hits().where(chunks.c.id == chunk_id, chunks.c.library_id == library_id)
    row = conn.execute(query).first()
    return to_hit(row) if row is not None else None


def has_chunks(conn: Connection, library_id: UUID, document_id: UUID) -> bool:
    """Whether the document is in the library and has at least one chunk."""
    query = sa.select(chunks.c.seq).where(_of_document(library_id, document_id)).limit(1)
    return conn.execute(query).first() is not None


def chunks_within(
    conn: Connection,
    library_id: UUID,
    document_id: UUID,
    start: int | None,
    end: int | None,
    limit: int,
) -> list[ChunkHit]:
    """Chunks whose span lies inside ``[start, end)`` (an omitted bound is open), in order."""
    query = select_hits().where(_of_document(library_id, document_id))
    if start is not None:
        query = query.where(chunks.c.start_offset >= start)
    if end is not None:
        query = query.where(chunks.c.end_offset <= end)
    query = query.order_by(chunks.c.start_offset, chunks.c.ordinal).limit(limit)
    return [to_hit(r) for r in conn.execute(query)]


def chunks_after(
    conn: Connection, library_id: UUID, document_id: UUID, start: int, end: int, limit: int
) -> list[ChunkHit]:
    """The ``limit`` chunks that follow the span ``[start, end)``, in reading order.

    Chunks overlap (the chunker carries text over), so "after" means starting after ``start``
    and ending after ``end``; for chunks that do not overlap this is "at or after ``end``".
    """
    query = (
        select_hits()
        .where(
            _of_document(library_id, document_id),
            chunks.c.start_offset > start,
            chunks.c.end_offset > end,
        )
        .order_by(chunks.c.start_offset, chunks.c.ordinal)
        .limit(limit)
    )
    return [to_hit(r) for r in conn.execute(query)]


def chunks_before(
    conn: Connection, library_id: UUID, document_id: UUID, start: int, end: int, limit: int
) -> list[ChunkHit]:
    """The ``limit`` chunks that precede the span ``[start, end)``, in reading order."""
    query = (
        select_hits()
        .where(
            _of_document(library_id, document_id),
            chunks.c.start_offset < start,
            chunks.c.end_offset < end,
        )
        .order_by(chunks.c.start_offset.desc(), chunks.c.ordinal.desc())
        .limit(limit)
    )
    return [to_hit(r) for r in reversed(list(conn.execute(query)))]


def document_chunks(conn: Connection, library_id: UUID, document_id: UUID) -> list[ChunkHit]:
    """All chunks of the document in reading order (bounded by ``MAX_DOCUMENT_CHUNKS``)."""
    query = (
        select_hits()
        .where(_of_document(library_id, document_id))
        .order_by(chunks.c.start_offset, chunks.c.ordinal)
        .limit(MAX_DOCUMENT_CHUNKS)
    )
    return [to_hit(r) for r in conn.execute(query)]
