"""Server mode: chunks, pgvector HNSW and full-text search all inside PostgreSQL.

Every process queries the same database, so there is nothing to keep in step between
processes and a committed change is visible to the next query everywhere. Keyword ranking is
PostgreSQL's ``ts_rank`` (term frequencies, divided by 1 + the log of the chunk's length) over a
``tsvector`` built with each chunk's own language configuration (not BM25: the embedded mode
uses real BM25). The query is analysed once per
supported language, in one statement; a chunk matches any of those stems and is ranked with the
stems of its own language. Matches are ranked in tiers of the query's terms, rarest first
(``keyword_tiers``), so a common word does not make PostgreSQL rank most of the table. Vectors
use an HNSW index per embedding dimension, searched as wide as the embedded engine searches a
graph of that size (``expansion_for``), with pgvector 0.8's iterative scans so that filtered
queries still fill ``k``. Sizes and term frequencies come from PostgreSQL's own statistics
(``pg_class``, ``pg_stats``), read at most once per ``STATISTICS_SECONDS``.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from etagere.core.chunks import EmbeddedChunk, FloatVector, Scope, Scored
from etagere.search.index.keyword_tiers import (
    BUDGET_SHARE,
    TermStatistics,
    term_tiers,
    tier_budget,
    tsquery_text,
)
from etagere.search.index.memory import CONNECTIVITY, EXPANSION_ADD, expansion_for
from etagere.search.language import DEFAULT_LANGUAGE, REGCONFIG
from etagere.storage.metadata import Database
from etagere.storage.metadata import chunks as chunk_store

log = logging.getLogger("etagere.search")

# Chunks the first tier of a keyword query may be expected to match, at most; a smaller table
# gets a share of its rows (keyword_tiers.tier_budget; bench/search_postgres).
KEYWORD_BUDGET = 1_000
# ts_rank's normalization 1: divided by 1 + log(length). On SciFact's 300 test claims at 100k
# chunks (bench/search_postgres, with tiers) nDCG@10 was 0.62 against 0.61 without it and 0.56
# with ts_rank_cd (cover density), which also costs 1.6x more per ranked row.
RANK_NORMALIZATION = 1
# How long table sizes and term frequencies are reused before they are read again: they move
# with ANALYZE (autovacuum), not with every insert, and a step of the search width is 2x.
STATISTICS_SECONDS = 60.0
# pgvector's upper limit for hnsw.ef_search.
MAX_EF_SEARCH = 1_000
_HNSW_OPTIONS = (f"m={CONNECTIVITY}", f"ef_construction={EXPANSION_ADD}")
_HNSW_WITH = ", ".join(_HNSW_OPTIONS)  # as CREATE INDEX ... WITH (...) and ALTER INDEX take them
_INDEX_OPTIONS = sa.text("SELECT reloptions FROM pg_class WHERE relname = :name")
_INDEX_LOCK = 0x6574_6168
# What searches read (the HNSW index, the chunks table with its TOAST) and the server's buffers.
_MEMORY = sa.text(
    "SELECT pg_relation_size(to_regclass(:index)), pg_table_size('chunks'),"
    " pg_size_bytes(current_setting('shared_buffers'))"
)

# The statements run for every search are psycopg's (``_rows``), with its placeholders.
# The query's stems in every supported language: (language, lexeme) rows.
_ANALYSE = (
    "SELECT l.language, array_agg(w.lexeme) AS lexemes FROM (VALUES "
    + ", ".join(f"('{code}', '{config}')" for code, config in REGCONFIG.items())
    + ") AS l(language, config), "
    "unnest(tsvector_to_array(to_tsvector(l.config::regconfig, %(query)s))) AS w(lexeme) "
    "GROUP BY l.language"
)
# pgvector's search width and iterative scans, for this transaction (as SET LOCAL).
_SETTINGS = (
    "set_config('hnsw.ef_search', %(width)s, true),"
    " set_config('hnsw.iterative_scan', 'relaxed_order', true)"
)
_SEARCH_WIDTH = f"SELECT {_SETTINGS}"
# Both at once, for a hybrid search: the settings come back as one more row, of no language.
_ANALYSE_AND_WIDTH = f"{_ANALYSE} UNION ALL SELECT NULL, ARRAY[{_SETTINGS}]"
# A chunk is ranked with the stems of its language (NULL or unknown: English, as its tsvector).
_RANK_QUERY = (
    "CASE language "
    + " ".join(
        f"WHEN '{code}' THEN CAST(%(rank_{code})s AS tsquery)"
        for code in REGCONFIG
        if code != DEFAULT_LANGUAGE
    )
    + f" ELSE CAST(%(rank_{DEFAULT_LANGUAGE})s AS tsquery) END"
)
_DOCUMENTS = "AND document_id = ANY(%(documents)s)"
# Hits come back as two arrays in one row: reading k rows one by one cost more client CPU.
_AS_ARRAYS = "array_agg(seq ORDER BY {order}), array_agg(score ORDER BY {order})"
# Estimated rows of a relation now: its density at the last VACUUM/ANALYZE times its size now,
# as the planner estimates it; -1 if it was never measured.
_ROWS = sa.text(
    "SELECT CASE WHEN c.reltuples < 0 THEN -1 WHEN c.relpages > 0 THEN c.reltuples / c.relpages"
    " * (pg_relation_size(c.oid) / current_setting('block_size')::float8) ELSE c.reltuples END"
    " FROM pg_class c WHERE c.oid = to_regclass(:relation)"
)
_TERM_FREQUENCIES = sa.text(
    "SELECT s.most_common_elems::text::text[] AS lexemes, s.most_common_elem_freqs AS shares"
    " FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename"
    " JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname"
    " WHERE c.oid = 'chunks'::regclass AND s.attname = 'tsv'"
)


def vector_literal(vector: FloatVector) -> str:
    """``vector`` as pgvector's text input (7 significant digits: float32's precision)."""
    return _vector_format(len(vector)) % tuple(vector.tolist())


@functools.cache
def _vector_format(dimension: int) -> str:
    # One %-format per dimension: a third faster than formatting each number apart.
    return "[" + ",".join(["%.7g"] * dimension) + "]"


@dataclass(frozen=True)
class _Cached:
    value: object
    until: float


class _Statistics:
    """PostgreSQL's estimates (rows, lexeme frequencies), each reused for a short while."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def terms(self, conn: Connection) -> TermStatistics:
        cached = self._get("terms")
        if isinstance(cached, TermStatistics):
            return cached
        rows = _estimated_rows(conn, "chunks")
        found = conn.execute(_TERM_FREQUENCIES).first()
        frequencies: dict[str, float] = {}
        if found is not None and found.lexemes is not None:
            frequencies = dict(zip(found.lexemes, found.shares, strict=False))
        statistics = TermStatistics(max(rows, 0.0), frequencies)
        self._put("terms", statistics)
        return statistics

    def vectors(self, conn: Connection, dimension: int) -> float:
        """Vectors of ``dimension`` (the HNSW index's rows; the table's until it was measured)."""
        key = f"vectors/{dimension}"
        cached = self._get(key)
        if isinstance(cached, float):
            return cached
        count = _estimated_rows(conn, _vector_index(dimension))
        if count <= 0:
            count = max(_estimated_rows(conn, "chunks"), 0.0)
        self._put(key, count)
        return count

    def _get(self, key: str) -> object:
        with self._lock:
            entry = self._entries.get(key)
        return entry.value if entry is not None and entry.until > time.monotonic() else None

    def _put(self, key: str, value: object) -> None:
        with self._lock:
            self._entries[key] = _Cached(value, time.monotonic() + self.seconds)


class PostgresSearchBackend:
    """``SearchBackend`` on PostgreSQL with the ``vector`` extension.

    ``keyword_budget``: chunks a keyword query's first tier of terms may be expected to match,
    at most; ``keyword_share`` of the table below that (``tier_budget``). For comparisons:
    ``keyword_share`` None keeps the budget whatever the table's size, and ``keyword_budget``
    None ranks every match, as before tiers existed.
    """

    def __init__(
        self,
        db: Database,
        dimension: int,
        *,
        keyword_budget: int | None = KEYWORD_BUDGET,
        keyword_share: float | None = BUDGET_SHARE,
        statistics_seconds: float = STATISTICS_SECONDS,
    ) -> None:
        self.db = db
        self.dimension = dimension
        self.keyword_budget = keyword_budget
        self.keyword_share = keyword_share
        self.statistics = _Statistics(statistics_seconds)
        self.ensure_vector_index(dimension)

    def ensure_vector_index(self, dimension: int) -> None:
        """The HNSW index for vectors of ``dimension`` (one per dimension: pgvector needs it),
        built as the embedded engine builds its graphs (pgvector's default ef_construction, 64,
        gave recall@10 0.915 at 1M chunks where the embedded graph gives 0.98)."""
        name = _vector_index(dimension)
        with self.db.engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_INDEX_LOCK})")
            try:
                conn.exec_driver_sql(
                    f"CREATE INDEX IF NOT EXISTS {name} ON chunks "
                    f"USING hnsw ((embedding::vector({int(dimension)})) vector_cosine_ops) "
                    f"WITH ({_HNSW_WITH}) "
                    f"WHERE vector_dims(embedding) = {int(dimension)}"
                )
                options = conn.execute(_INDEX_OPTIONS, {"name": name}).scalar()
                sizes = conn.execute(_MEMORY, {"index": name}).one()
                conn.commit()
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_INDEX_LOCK})")
                conn.commit()
        if sorted(options or ()) != sorted(_HNSW_OPTIONS):
            # Rebuilding takes minutes per million chunks: the administrator's call, not a
            # start-up's.
            log.warning(
                "the vector index was built with other parameters: recall is lower until "
                "it is rebuilt",
                extra={
                    "index": name,
                    "options": options,
                    "rebuild": f"ALTER INDEX {name} SET ({_HNSW_WITH}); "
                    f"REINDEX INDEX CONCURRENTLY {name};",
                },
            )
        advice = buffers_advice(*sizes)
        if advice is not None:
            log.warning(advice, extra={"index": name, "shared_buffers_mb": sizes[2] >> 20})

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
        """Top ``k`` by ``ts_rank``, ranking the matches of the query's rarer terms first."""
        stems = _analyse(conn, query)
        if not stems or k <= 0:
            return []
        tiers = self._tiers(conn, stems, conjunction)
        return _ranked(conn, scope, tiers, _ranking_params(stems), k)

    def nearest(self, conn: Connection, scope: Scope, vector: FloatVector, k: int) -> list[Scored]:
        _rows(conn, _SEARCH_WIDTH, {"width": self._width(conn, vector, k)})
        return _nearest(conn, scope, vector, k)

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
        """``keyword`` and ``nearest`` in two statements instead of four: the query's stems
        with the search width, then the first keyword tier with the vector search."""
        settings = {"width": self._width(conn, vector, vector_k)}
        stems = _analyse(conn, query, settings)
        if not stems or keyword_k <= 0:
            return [], _nearest(conn, scope, vector, vector_k)
        tiers = self._tiers(conn, stems, conjunction)
        ranking = _ranking_params(stems)
        dim = int(vector.shape[0])
        statement = _tier_and_nearest_statement(dim, scope.document_ids is not None)
        params = _params(
            scope,
            candidates=tiers[0],
            k=keyword_k,
            vector=vector_literal(vector),
            vector_k=vector_k,
            **ranking,
        )
        row = _rows(conn, statement, params)[0]
        first, nearest = _scored(row[:2]), _scored(row[2:])
        return _ranked(conn, scope, tiers, ranking, keyword_k, first), nearest

    def _tiers(self, conn: Connection, stems: dict[str, list[str]], conjunction: bool) -> list[str]:
        """The tsqueries of the tiers a keyword query's matches are ranked in."""
        if conjunction:
            # Each language's stems AND-ed: selective already, one tier.
            return [" | ".join(f"({tsquery_text(t, '&')})" for t in stems.values())]
        every = [t for terms in stems.values() for t in terms]
        groups = [every]
        if self.keyword_budget is not None:
            statistics = self.statistics.terms(conn)
            budget = self.keyword_budget
            if self.keyword_share is not None:
                budget = tier_budget(statistics.rows, budget, self.keyword_share)
            groups = term_tiers(every, statistics, budget)
        return [tsquery_text(group) for group in groups]

    def _width(self, conn: Connection, vector: FloatVector, k: int) -> str:
        """pgvector's ``hnsw.ef_search`` for this search, as ``set_config`` takes it."""
        vectors = self.statistics.vectors(conn, int(vector.shape[0]))
        return str(min(max(expansion_for(int(vectors)), k), MAX_EF_SEARCH))


def _ranked(
    conn: Connection,
    scope: Scope,
    tiers: list[str],
    ranking: dict[str, str],
    k: int,
    first: list[Scored] | None = None,
) -> list[Scored]:
    """Best ``k`` matches, tier after tier until ``k`` are found (``first``: the first tier's
    hits, when they were ranked already)."""
    found: list[Scored] = []
    for n, tier in enumerate(tiers):
        if n == 0 and first is not None:
            ranked = first
        else:
            ranked = _rank_tier(
                conn, scope, tier, " | ".join(tiers[:n]) or None, ranking, k - len(found)
            )
        found += _below(found, ranked)
        if len(found) >= k:
            break
    return found


def _nearest(conn: Connection, scope: Scope, vector: FloatVector, k: int) -> list[Scored]:
    """The vector search, its width set already in this transaction."""
    statement = _nearest_statement(int(vector.shape[0]), scope.document_ids is not None)
    params = _params(scope, vector=vector_literal(vector), vector_k=k)
    return _scored(_rows(conn, statement, params)[0])


@functools.cache
def _nearest_statement(dim: int, documents: bool) -> str:
    """Nearest chunks by cosine distance (built once: parsing a statement costs per query)."""
    distance = f"(embedding::vector({dim})) <=> CAST(%(vector)s AS vector({dim}))"
    # Iterative scans may return a few neighbours out of order: the arrays are sorted.
    return f"""
        SELECT {_AS_ARRAYS.format(order="score DESC, seq")} FROM (
            SELECT seq, 1 - ({distance}) AS score FROM chunks
            WHERE vector_dims(embedding) = {dim} AND library_id = ANY(%(libraries)s)
                {_DOCUMENTS if documents else ""}
            ORDER BY {distance} LIMIT %(vector_k)s
        ) AS nearest
    """


@functools.cache
def _tier_and_nearest_statement(dim: int, documents: bool) -> str:
    """A keyword tier and the vector search side by side: one row of four arrays (each side
    an aggregate of one row, so the join runs each once)."""
    tier = tier_statement(documents, excluding=False)
    return f"SELECT * FROM ({tier}) AS tier, ({_nearest_statement(dim, documents)}) AS nearest"


def buffers_advice(index_bytes: int, table_bytes: int, buffers_bytes: int) -> str | None:
    """What to tell an administrator whose ``shared_buffers`` cannot hold the vector index.

    Searches read the HNSW graph and the rows they rank through PostgreSQL's buffers; what does
    not fit is read again from the operating system, search after search. At 1M chunks
    (bench/search_postgres) a hybrid search cost 17 to 21 ms of CPU with PostgreSQL's default
    128 MB, and 12 to 13 ms with buffers holding the index and the table.
    """
    if index_bytes <= buffers_bytes:
        return None
    mb = 2**20
    return (
        f"shared_buffers ({buffers_bytes // mb:,} MB) is smaller than the vector index "
        f"({index_bytes // mb:,} MB): searches read pages again and again; set "
        f"shared_buffers to at least {(index_bytes + table_bytes) // mb:,} MB (the index and "
        "the chunks table) if this machine has the memory, then restart PostgreSQL"
    )


def _vector_index(dimension: int) -> str:
    return f"ix_chunks_embedding_{int(dimension)}"


def _estimated_rows(conn: Connection, relation: str) -> float:
    value = conn.execute(_ROWS, {"relation": relation}).scalar()
    return float(value) if value is not None else -1.0


def _analyse(
    conn: Connection, query: str, settings: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """The query's distinct stems per language (languages where all are stop words left out);
    with ``settings``, pgvector's search width is set in the same statement."""
    if settings is None:
        rows = _rows(conn, _ANALYSE, {"query": query})
    else:
        rows = _rows(conn, _ANALYSE_AND_WIDTH, {"query": query, **settings})
    return {str(lang): [str(t) for t in lexemes] for lang, lexemes in rows if lang is not None}


def _ranking_params(stems: dict[str, list[str]]) -> dict[str, str]:
    """Each language's stems OR-ed, as ``_RANK_QUERY`` reads them.

    A language whose stems are all stop words ranks with every language's stems: its chunks can
    still match through another language's stems, and rank by them as they always did.
    """
    every = tsquery_text(list(dict.fromkeys(t for terms in stems.values() for t in terms)))
    return {
        f"rank_{code}": tsquery_text(stems[code]) if code in stems else every for code in REGCONFIG
    }


def _rank_tier(
    conn: Connection,
    scope: Scope,
    candidates: str,
    excluded: str | None,
    ranking: dict[str, str],
    k: int,
) -> list[Scored]:
    """Best ``k`` chunks matching ``candidates`` but not ``excluded``, ranked by their language."""
    params = _params(scope, candidates=candidates, k=k, **ranking)
    if excluded is not None:
        params["excluded"] = excluded
    statement = tier_statement(scope.document_ids is not None, excluded is not None)
    return _scored(_rows(conn, statement, params)[0])


@functools.cache
def tier_statement(documents: bool, excluding: bool) -> str:
    """The statement ranking one tier (its parameters: ``_rank_tier``)."""
    skip = "AND NOT tsv @@ CAST(%(excluded)s AS tsquery)" if excluding else ""
    return f"""
        SELECT {_AS_ARRAYS.format(order="score DESC, seq")} FROM (
            SELECT seq, ts_rank(tsv, {_RANK_QUERY}, {RANK_NORMALIZATION}) AS score FROM chunks
            WHERE tsv @@ CAST(%(candidates)s AS tsquery) {skip}
                AND library_id = ANY(%(libraries)s) {_DOCUMENTS if documents else ""}
            ORDER BY score DESC, seq LIMIT %(k)s
        ) AS ranked
    """


def _rows(conn: Connection, statement: str, params: Mapping[str, object]) -> list[tuple[Any, ...]]:
    """The rows of ``statement``, run by psycopg itself as a prepared statement.

    A search runs three or four of these. SQLAlchemy's execution path (an execution context,
    result metadata built again for each textual statement) cost about 60 µs of client CPU per
    statement on top of psycopg's, a quarter of the client's share of a hybrid search at 100k
    chunks (bench/search_postgres). This runs in the connection's transaction like any other
    statement, and its errors are raised as SQLAlchemy's, as ``conn.execute`` raises them.
    """
    driver = conn.connection.driver_connection
    assert driver is not None, "a connection in a transaction has its driver's"
    try:
        return list(driver.execute(statement, params, prepare=True).fetchall())
    except conn.dialect.loaded_dbapi.Error as exc:
        if conn.dialect.is_disconnect(exc, driver, None):
            conn.invalidate(exc)
        raise sa.exc.DBAPIError.instance(
            statement, params, exc, conn.dialect.loaded_dbapi.Error
        ) from exc


def _scored(row: tuple[Any, ...]) -> list[Scored]:
    """Hits from a row of two arrays (``_AS_ARRAYS``; NULLs when nothing matched)."""
    seqs, scores = row  # bigint[] and float[]: psycopg gives ints and floats
    return [Scored(seq, score) for seq, score in zip(seqs or (), scores or (), strict=True)]


def _below(above: list[Scored], ranked: list[Scored]) -> list[Scored]:
    """A later tier's hits, scaled to score below every hit of the tiers before.

    A chunk matching only more common terms ranks below one matching a rarer term whatever
    their ``ts_rank`` (which has no notion of term rarity), so results for a small ``k`` are
    the first hits of a larger one; scaling keeps scores in that order for score fusion.
    """
    if not above or not ranked or ranked[0].score < above[-1].score:
        return ranked
    scale = above[-1].score / ranked[0].score * 0.99 if ranked[0].score > 0 else 0.0
    return [Scored(s.seq, s.score * scale) for s in ranked]


def _params(scope: Scope, **values: object) -> dict[str, object]:
    params: dict[str, object] = {"libraries": list(scope.library_ids), **values}
    if scope.document_ids is not None:
        params["documents"] = list(scope.document_ids)
    return params
