"""Store-wide counts for monitoring: a few grouped queries, cheap enough for every scrape."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etagere.storage.metadata import jobs as job_store
from etagere.storage.metadata.schema import chunks, documents, libraries


@dataclass(frozen=True)
class StoreStats:
    """Jobs by state; documents (by process status) and chunks of every library."""

    jobs: dict[str, int]
    documents: dict[UUID, dict[str, int]]
    chunks: dict[UUID, int]


def store_stats(conn: Connection) -> StoreStats:
    """The counts, read in one transaction (three aggregate queries)."""
    return StoreStats(
        jobs=job_store.counts(conn),
        documents=documents_by_library(conn),
        chunks=chunks_by_library(conn),
    )


def documents_by_library(conn: Connection) -> dict[UUID, dict[str, int]]:
    """Every library's documents by process status (``{}`` for an empty library)."""
    query = (
        sa.select(libraries.c.id, documents.c.process_status, sa.func.count(documents.c.id))
        .select_from(libraries.outerjoin(documents, documents.c.library_id == libraries.c.id))
        .group_by(libraries.c.id, documents.c.process_status)
    )
    found: dict[UUID, dict[str, int]] = {}
    for library_id, status, count in conn.execute(query):
        by_status = found.setdefault(library_id, {})
        if status is not None:
            by_status[status] = int(count)
    return found


def chunks_by_library(conn: Connection) -> dict[UUID, int]:
    """Searchable chunks per library (libraries without chunks are absent)."""
    query = sa.select(chunks.c.library_id, sa.func.count()).group_by(chunks.c.library_id)
    return {library_id: int(count) for library_id, count in conn.execute(query)}
