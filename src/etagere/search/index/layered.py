"""A persisted snapshot with this process's newer changes on top, searched as one index.

The snapshot (``etagere.search.index.snapshot``) is read-only and shared by every process on
the data directory; each process replays the log entries after the snapshot's watermark into a
small ``MemoryIndex`` of its own and hides the snapshot's version of every document it
replaced. A search asks both and merges: the snapshot never answers for a changed document.

BM25 statistics (document frequencies, average length) are per index, so the scores of the
few chunks in the overlay are computed over the overlay alone; a new generation is written
often enough (``EmbeddedSearchBackend``) that the overlay stays small.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from etagere.core.chunks import FloatVector, IndexedChunk, Scope, Scored
from etagere.search.index.memory import (
    MemoryIndex,
    exact_search_among,
    graph_search,
    keyword_search,
)
from etagere.search.index.snapshot import Snapshot


class LayeredIndex:
    """``MemoryIndex``'s interface over ``base`` (may be None) plus an in-memory overlay."""

    def __init__(self, base: Snapshot | None) -> None:
        self.base = base
        self.overlay = MemoryIndex()
        # Documents and libraries whose base chunks are hidden. Replaced, never mutated, so
        # that a search running in another thread iterates a stable set.
        self.replaced: frozenset[UUID] = frozenset()
        self.dropped: frozenset[UUID] = frozenset()

    @property
    def changes(self) -> int:
        """How many documents and libraries differ from the base."""
        return len(self.replaced) + len(self.dropped)

    def replace_document(
        self, library_id: UUID, document_id: UUID, chunks: Sequence[IndexedChunk]
    ) -> None:
        if self.base is not None:
            self.replaced = self.replaced | {document_id}
        self.overlay.replace_document(library_id, document_id, chunks)

    def drop_library(self, library_id: UUID) -> None:
        if self.base is not None:
            self.dropped = self.dropped | {library_id}
        self.overlay.drop_library(library_id)

    def commit(self) -> None:
        self.overlay.commit()

    def keyword(
        self, scope: Scope, query: str, k: int, *, conjunction: bool = False
    ) -> list[Scored]:
        found = self.overlay.keyword(scope, query, k, conjunction=conjunction)
        base = self.base
        if base is not None:
            kept = tuple(lib for lib in scope.library_ids if lib not in self.dropped)
            words = self.overlay.languages.query(
                base.text.schema, query, conjunction, also_present=base.languages
            )
            documents = None
            if scope.document_ids is not None:
                documents = base.keys.terms(scope.document_ids)
            found += keyword_search(
                base.text,
                kept,
                words,
                k,
                documents=documents,
                excluded=base.keys.terms(self.replaced),
                present=base.vectors,
            )
        return _best(found, k)

    def nearest(self, scope: Scope, vector: FloatVector, k: int) -> list[Scored]:
        found = self.overlay.nearest(scope, vector, k)
        base, replaced = self.base, self.replaced
        if base is not None:
            for library_id in scope.library_ids:
                graph = base.vectors.get(library_id)
                if library_id in self.dropped or graph is None or graph.ndim != vector.shape[0]:
                    continue
                if scope.document_ids is None:
                    hidden = base.keys.keys(replaced, library_id)
                    found += graph_search(graph, vector, k, hidden if len(hidden) else None)
                else:
                    visible = scope.document_ids - replaced if replaced else scope.document_ids
                    found += exact_search_among(*base.stored(library_id, visible), vector, k)
        return _best(found, k)


def _best(found: list[Scored], k: int) -> list[Scored]:
    found.sort(key=lambda s: s.score, reverse=True)
    return found[:k]
