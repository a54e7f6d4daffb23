"""Embedded mode: chunks and embeddings in SQLite, searched through in-process indexes.

The database is the source of truth. Every change to a document's chunks appends to
``index_log`` in the same transaction; before answering, a process replays the log entries it
has not seen into its ``MemoryIndex``. SQLite serialises writers, so log order is commit order
and a replay never skips a change. A process starts by loading every stored chunk (see
``warm``), so the indexes survive restarts without files of their own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from uuid import UUID

import numpy as np

from etagere.core.chunks import EmbeddedChunk, FloatVector, Scope, Scored
from etagere.search.index.memory import MemoryIndex
from etagere.storage.metadata import Connection, Database
from etagere.storage.metadata import chunks as chunk_store

log = logging.getLogger("etagere.search")

# Documents loaded per query while warming up (bounds memory and transaction length).
LOAD_BATCH = 200


class EmbeddedSearchBackend:
    """``SearchBackend`` for SQLite, with tantivy and usearch indexes in this process."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.memory = MemoryIndex()
        self._position = 0
        self._loaded = False
        self._sync_lock = threading.Lock()

    def store_chunks(
        self,
        conn: Connection,
        library_id: UUID,
        document_id: UUID,
        model: str,
        chunks: Sequence[EmbeddedChunk],
    ) -> None:
        chunk_store.delete_document_chunks(conn, document_id)
        if chunks:
            rows = [
                {
                    **chunk_store.chunk_values(library_id, document_id, model, chunk),
                    "vector": np.asarray(chunk.vector, dtype=np.float32).tobytes(),
                }
                for chunk in chunks
            ]
            conn.execute(chunk_store.chunks.insert(), rows)
        chunk_store.log_change(conn, library_id, document_id)

    def forget_document(self, conn: Connection, library_id: UUID, document_id: UUID) -> None:
        chunk_store.log_change(conn, library_id, document_id)

    def forget_library(self, conn: Connection, library_id: UUID) -> None:
        chunk_store.log_change(conn, library_id, None)

    def keyword(
        self, conn: Connection, scope: Scope, query: str, k: int, *, conjunction: bool = False
    ) -> list[Scored]:
        self.sync()
        return self.memory.keyword(scope, query, k, conjunction=conjunction)

    def nearest(self, conn: Connection, scope: Scope, vector: FloatVector, k: int) -> list[Scored]:
        self.sync()
        return self.memory.nearest(scope, vector, k)

    def warm(self) -> None:
        """Load every stored chunk (at start, so that the first query is not the slow one)."""
        self.sync()

    def sync(self) -> None:
        """Bring the in-process indexes up to the database's latest committed state."""
        with self._sync_lock:
            if not self._loaded:
                self._load_everything()
                self._loaded = True
                return
            with self.db.read() as conn:
                changes = chunk_store.changes_since(conn, self._position)
                if not changes:
                    return
                self._replay(conn, changes)

    def _load_everything(self) -> None:
        started = time.perf_counter()
        with self.db.read() as conn:
            position = chunk_store.log_position(conn)
            present = chunk_store.documents_with_chunks(conn)
            for start in range(0, len(present), LOAD_BATCH):
                batch = present[start : start + LOAD_BATCH]
                loaded = chunk_store.indexed_chunks(conn, [d for _, d in batch])
                for library_id, document_id in batch:
                    self.memory.replace_document(library_id, document_id, loaded[document_id])
        self.memory.commit()
        self._position = position
        log.info(
            "search indexes loaded",
            extra={"documents": len(present), "seconds": round(time.perf_counter() - started, 2)},
        )

    def _replay(self, conn: Connection, changes: list[tuple[int, UUID, UUID | None]]) -> None:
        # Only the last entry per document matters: it is replaced by its current chunks.
        last_for: dict[UUID | None, int] = {}
        for position, _, document_id in changes:
            last_for[document_id] = position
        documents = [d for d in last_for if d is not None]
        current = chunk_store.indexed_chunks(conn, documents) if documents else {}
        for position, library_id, document_id in changes:
            if document_id is None:
                self.memory.drop_library(library_id)
            elif last_for[document_id] == position:
                self.memory.replace_document(library_id, document_id, current[document_id])
        self.memory.commit()
        self._position = changes[-1][0]
