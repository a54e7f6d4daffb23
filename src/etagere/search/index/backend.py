"""The search backend interface: store a document's chunks, then query them two ways, or both.

Two implementations: ``EmbeddedSearchBackend`` (SQLite: chunks in the database, indexes in
process memory caught up from it) and ``PostgresSearchBackend`` (pgvector HNSW and full-text
search inside PostgreSQL). Storing happens inside the caller's transaction, so a document's
chunks change in the same commit as its status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from etagere.core.chunks import EmbeddedChunk, FloatVector, Scope, Scored
from etagere.storage.metadata import Connection


class SearchBackend(Protocol):
    def store_chunks(
        self,
        conn: Connection,
        library_id: UUID,
        document_id: UUID,
        model: str,
        chunks: Sequence[EmbeddedChunk],
    ) -> None:
        """Replace the document's chunks with ``chunks`` (none: it is no longer searchable)."""
        ...

    def forget_document(self, conn: Connection, library_id: UUID, document_id: UUID) -> None:
        """The document is being deleted (its rows cascade away in the same transaction)."""
        ...

    def forget_library(self, conn: Connection, library_id: UUID) -> None:
        """The library is being deleted."""
        ...

    def ready(self) -> bool:
        """Whether searches can be answered now (false while indexes load)."""
        ...

    def keyword(
        self, conn: Connection, scope: Scope, query: str, k: int, *, conjunction: bool = False
    ) -> list[Scored]:
        """Best ``k`` chunks for the query's terms (BM25 or the backend's closest ranking)."""
        ...

    def nearest(self, conn: Connection, scope: Scope, vector: FloatVector, k: int) -> list[Scored]:
        """Best ``k`` chunks by cosine similarity to ``vector``."""
        ...

    def keyword_and_nearest(
        self,
        conn: Connection,
        scope: Scope,
        query: str,
        keyword_k: int,
        vector: FloatVector,
        vector_k: int,
        *,
        conjunction: bool = False,
    ) -> tuple[list[Scored], list[Scored]]:
        """``keyword`` and ``nearest`` over one scope, as a hybrid search asks for both: a
        backend that talks to a server answers them in fewer round trips."""
        ...
