"""Server mode: chunks, pgvector HNSW and full-text search all inside PostgreSQL.

Every process queries the same database, so there is nothing to keep in step between
processes and a committed change is visible to the next query everywhere. Keyword ranking is
PostgreSQL's ``ts_rank_cd`` over a ``tsvector`` built with each chunk's own language
configuration (not BM25: the embedded mode uses real BM25), the query being analysed in every
supported language (``keyword_tsquery``); vectors use an HNSW index per embedding
dimension, with pgvector 0.8's iterative scans so that filtered queries still fill ``k``.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etagere.core.chunks import EmbeddedChunk, FloatVector, Scope, Scored
from etagere.search.language import REGCONFIG
from etagere.storage.metadata import Database
from etagere.storage.metadata import chunks as chunk_store

# Candidates examined per HNSW search (pgvector's default is 40): measured for recall >= 0.97.
EF_SEARCH = 100
_INDEX_LOCK = 0x6574_6168


def vector_literal(vector: FloatVector) -> str:
    return "[" + ",".join(f"{float(x):.7g}" for x in vector) + "]"


class PostgresSearchBackend:
    """``SearchBackend`` on PostgreSQL with the ``vector`` extension."""

    def __init__(self, db: Database, dimension: int) -> None:
        self.db = db
        self.dimension = dimension
        self.ensure_vector_index(dimension)

    def ensure_vector_index(self, dimension: int) -> None:
        """The HNSW index for vectors of ``dimension`` (one per dimension: pgvector needs it)."""
        with self.db.engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_INDEX_LOCK})")
            try:
                conn.exec_driver_sql(
                    f"CREATE INDEX IF NOT EXISTS ix_chunks_embedding_{int(dimension)} ON chunks "
                    f"USING hnsw ((embedding::vector({int(dimension)})) vector_cosine_ops) "
                    f"WHERE vector_dims(embedding) = {int(dimension)}"
                )
                conn.commit()
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_INDEX_LOCK})")
                conn.commit()

    def store_chunks(
        self,
        conn: Connection,
        library_id: UUID,
        document_id: UUID,
        model: str,
        chunks: Sequence[EmbeddedChunk],
    ) -> None:
        chunk_store.delete_document_chunks(conn, document_id)
        if not chunks:
            return
        rows = [chunk_store.chunk_values(library_id, document_id, model, c) for c in chunks]
        inserted = (
            conn.execute(
                chunk_store.chunks.insert().returning(chunk_store.chunks.c.seq),
                rows,
            )
            .scalars()
            .all()
        )
        conn.execute(
            sa.text("UPDATE chunks SET embedding = CAST(:vector AS vector) WHERE seq = :seq"),
            [
                {"seq": seq, "vector": vector_literal(chunk.vector)}
                for seq, chunk in zip(inserted, chunks, strict=True)
            ],
        )

    def forget_document(self, conn: Connection, library_id: UUID, document_id: UUID) -> None:
        """Nothing to do: the chunks cascade away with the document."""

    def forget_library(self, conn: Connection, library_id: UUID) -> None:
        """Nothing to do: the chunks cascade away with the library."""

    def ready(self) -> bool:
        """Always: the indexes live in PostgreSQL."""
        return True

    def keyword(
        self, conn: Connection, scope: Scope, query: str, k: int, *, conjunction: bool = False
    ) -> list[Scored]:
        sql = f"""
            WITH q AS (SELECT {keyword_tsquery(conjunction)} AS query)
            SELECT seq, ts_rank_cd(tsv, q.query) AS score FROM chunks, q
            WHERE tsv @@ q.query AND library_id = ANY(:libraries) {_documents_clause(scope)}
            ORDER BY score DESC, seq LIMIT :k
        """
        rows = conn.execute(sa.text(sql), _params(scope, query=query, k=k))
        return [Scored(int(r.seq), float(r.score)) for r in rows]

    def nearest(self, conn: Connection, scope: Scope, vector: FloatVector, k: int) -> list[Scored]:
        dim = int(vector.shape[0])
        conn.exec_driver_sql(f"SET LOCAL hnsw.ef_search = {max(EF_SEARCH, k)}")
        conn.exec_driver_sql("SET LOCAL hnsw.iterative_scan = relaxed_order")
        distance = f"(embedding::vector({dim})) <=> CAST(:vector AS vector({dim}))"
        sql = f"""
            SELECT seq, 1 - ({distance}) AS score FROM chunks
            WHERE vector_dims(embedding) = {dim} AND library_id = ANY(:libraries)
                {_documents_clause(scope)}
            ORDER BY {distance} LIMIT :k
        """
        rows = conn.execute(sa.text(sql), _params(scope, vector=vector_literal(vector), k=k))
        return sorted(
            (Scored(int(r.seq), float(r.score)) for r in rows), key=lambda s: s.score, reverse=True
        )


def keyword_tsquery(conjunction: bool) -> str:
    """SQL for the ``:query`` parameter as a tsquery in every language, OR-ed together.

    A chunk's ``tsvector`` holds the stems of its own language, so the query is stemmed by each
    configuration and a chunk matches through the one of its language. Within one language the
    words are OR-ed (any word scores) or AND-ed (``conjunction``).
    """
    operator = "&" if conjunction else "|"
    per_language = [
        f"replace(plainto_tsquery('{config}', :query)::text, ' & ', ' {operator} ')::tsquery"
        for config in REGCONFIG.values()
    ]
    return "(" + " || ".join(per_language) + ")"


def _documents_clause(scope: Scope) -> str:
    return "AND document_id = ANY(:documents)" if scope.document_ids is not None else ""


def _params(scope: Scope, **values: object) -> dict[str, object]:
    params: dict[str, object] = {"libraries": list(scope.library_ids), **values}
    if scope.document_ids is not None:
        params["documents"] = list(scope.document_ids)
    return params
