"""Search over libraries: access, filters, retrievers (keyword, vectors, fusion), citations.

A query names libraries (or means every library the caller can read), an optional filter over
document fields and attributes, and a retriever tree in the vocabulary of Mistral's context
search: ``keyword``, ``nearest_neighbour`` and ``rrf`` over those two. Hits come back from
the database in the same read as the ranking's validation, so a document deleted a moment ago
is never returned even if an in-process index has not caught up yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

import numpy as np

from etagere.core.chunks import FloatVector, Scope, Scored
from etagere.core.errors import Conflict, InvalidInput
from etagere.core.filters import And, Filter
from etagere.core.model import Caller, Role
from etagere.core.passages import Passage
from etagere.domain.access import require_library
from etagere.domain.passages import cite
from etagere.search.embedding import Embedder
from etagere.search.fusion import (
    DEFAULT_RANK_CONSTANT,
    convex_fusion,
    reciprocal_rank_fusion,
)
from etagere.search.index.backend import SearchBackend
from etagere.storage.metadata import Connection, Database
from etagere.storage.metadata import chunks as chunk_store
from etagere.storage.metadata import documents as document_store
from etagere.storage.metadata import libraries as library_store

MAX_TOP_K = 100
MAX_LIBRARIES = 1000
# Hybrid search asks each retriever for this many candidates per requested hit (at least 50).
HYBRID_DEPTH = 5


@dataclass(frozen=True)
class KeywordQuery:
    query: str
    top_k: int = 20
    conjunction: bool = False
    filter: Filter | None = None


@dataclass(frozen=True)
class VectorQuery:
    query: str | None = None
    embedding: Sequence[float] | None = None
    top_k: int = 20
    filter: Filter | None = None


@dataclass(frozen=True)
class FusionQuery:
    retrievers: Sequence[KeywordQuery | VectorQuery]
    top_k: int = 20
    weights: Sequence[float] | None = None
    rank_constant: int = DEFAULT_RANK_CONSTANT
    filter: Filter | None = None
    # "rrf" (the SDK's retriever, by rank) or "convex" (by normalised score: the default hybrid)
    method: Literal["rrf", "convex"] = "rrf"


Retrieval = KeywordQuery | VectorQuery | FusionQuery


def hybrid(query: str, top_k: int, filter_: Filter | None) -> FusionQuery:
    """The default search: BM25 and vector candidates fused by normalised score."""
    depth = max(50, top_k * HYBRID_DEPTH)
    return FusionQuery(
        retrievers=[KeywordQuery(query, depth), VectorQuery(query=query, top_k=depth)],
        top_k=top_k,
        filter=filter_,
        method="convex",
    )


class SearchService:
    """Runs retrieval for callers, through the same access check as every other route."""

    def __init__(self, db: Database, backend: SearchBackend, embedder: Embedder) -> None:
        self.db = db
        self.backend = backend
        self.embedder = embedder

    def search(
        self, caller: Caller, library_ids: Sequence[UUID] | None, retrieval: Retrieval
    ) -> list[Passage]:
        with self.db.read() as conn:
            readable = self._libraries(conn, caller, library_ids)
            if not readable:
                return []
            if _uses_vectors(retrieval):
                self._check_models(conn, readable)
            run = _Run(self, conn, tuple(readable))
            ranked = run.execute(retrieval, None)[: retrieval.top_k]
            found = chunk_store.hits(conn, [s.seq for s in ranked])
        return [cite(found[s.seq], s.score) for s in ranked if s.seq in found]

    def _libraries(
        self, conn: Connection, caller: Caller, library_ids: Sequence[UUID] | None
    ) -> list[UUID]:
        if library_ids is not None:
            ids = list(dict.fromkeys(library_ids))
            return [require_library(conn, caller, i, Role.VIEWER).library.id for i in ids]
        listing = library_store.ListingQuery(limit=MAX_LIBRARIES)
        return [view.library.id for view in library_store.list_visible(conn, caller, listing)]

    def _check_models(self, conn: Connection, library_ids: Sequence[UUID]) -> None:
        model = self.embedder.model_name
        models = chunk_store.library_models(conn, library_ids)
        for library_id in library_ids:
            recorded = models.get(library_id)
            if recorded is not None and recorded[0] != model:
                stale = chunk_store.chunks_of_other_models(conn, library_id, model)
                raise Conflict(
                    f"Library {library_id} was embedded with {recorded[0]!r}, but this server "
                    f"embeds with {model!r}: reprocess its {stale} document(s) to search it "
                    "semantically (keyword search still works)"
                )


class _Run:
    """One query's execution: shared query embedding and filter resolution."""

    def __init__(self, service: SearchService, conn: Connection, libraries: tuple[UUID, ...]):
        self.service = service
        self.conn = conn
        self.libraries = libraries
        self._embeddings: dict[str, FloatVector] = {}

    def execute(self, retrieval: Retrieval, inherited: Filter | None) -> list[Scored]:
        combined = _and(inherited, retrieval.filter)
        if isinstance(retrieval, FusionQuery):
            rankings = self._rank_children(retrieval.retrievers, combined)
            if retrieval.method == "convex":
                return convex_fusion(rankings)
            return reciprocal_rank_fusion(
                rankings, weights=retrieval.weights, rank_constant=retrieval.rank_constant
            )
        scope = self._scope(combined)
        if scope.empty:
            return []
        backend = self.service.backend
        if isinstance(retrieval, KeywordQuery):
            return backend.keyword(
                self.conn,
                scope,
                retrieval.query,
                retrieval.top_k,
                conjunction=retrieval.conjunction,
            )
        return backend.nearest(self.conn, scope, self._vector(retrieval), retrieval.top_k)

    def _rank_children(
        self, children: Sequence[KeywordQuery | VectorQuery], where: Filter | None
    ) -> list[list[Scored]]:
        """Each child's ranking. A keyword and a vector retriever over the same scope (the
        default hybrid search) are asked of the backend at once."""
        pair = _keyword_and_vector(children)
        if pair is None:
            return [self.execute(child, where) for child in children]
        keyword, vector = pair
        scope = self._scope(where)
        if scope.empty:
            return [[], []]
        found = self.service.backend.keyword_and_nearest(
            self.conn,
            scope,
            keyword.query,
            keyword.top_k,
            self._vector(vector),
            vector.top_k,
            conjunction=keyword.conjunction,
        )
        return list(found) if children[0] is keyword else list(reversed(found))

    def _scope(self, where: Filter | None) -> Scope:
        if where is None:
            return Scope(self.libraries)
        matching = document_store.matching_ids(self.conn, self.libraries, where)
        return Scope(self.libraries, frozenset(matching))

    def _vector(self, retrieval: VectorQuery) -> FloatVector:
        embedder = self.service.embedder
        if retrieval.embedding is not None:
            vector = np.asarray(retrieval.embedding, dtype=np.float32)
            if vector.shape != (embedder.dimension,):
                raise InvalidInput(
                    f"query_embedding has {vector.shape[0]} dimensions; "
                    f"the index uses {embedder.dimension}",
                    ("body", "retriever", "query_embedding"),
                )
            norm = float(np.linalg.norm(vector))
            return vector / norm if norm else vector
        text = retrieval.query or ""
        if text not in self._embeddings:
            self._embeddings[text] = embedder.embed_query(text)
        return self._embeddings[text]


def _keyword_and_vector(
    children: Sequence[KeywordQuery | VectorQuery],
) -> tuple[KeywordQuery, VectorQuery] | None:
    """The two children of a hybrid search, when they share their parent's scope."""
    if len(children) != 2 or any(child.filter is not None for child in children):
        return None
    first, second = children
    if isinstance(first, KeywordQuery) and isinstance(second, VectorQuery):
        return first, second
    if isinstance(first, VectorQuery) and isinstance(second, KeywordQuery):
        return second, first
    return None


def _uses_vectors(retrieval: Retrieval) -> bool:
    if isinstance(retrieval, FusionQuery):
        return any(_uses_vectors(child) for child in retrieval.retrievers)
    return isinstance(retrieval, VectorQuery) and retrieval.embedding is None


def _and(first: Filter | None, second: Filter | None) -> Filter | None:
    if first is None or second is None:
        return first or second
    return And(matches=[first, second])
