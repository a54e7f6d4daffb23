"""Server mode as ``bench/search_postgres.py`` measures it: a PostgreSQL database filled with
the benchmark corpus, searched through ``PostgresSearchBackend`` as the server searches it.

The database is filled with what the server stores: the first document goes through the
backend's own ``store_chunks``, the rest through ``COPY`` with the same column values
(``chunk_values``, the server's vector literal, language ``en``: SciFact is English), with the
full-text GIN index and the HNSW index dropped during the load and then created again from the
same definitions (the migration's and ``ensure_vector_index``'s): a bulk build is what an index
created on a filled table gets, and inserting 1M vectors one by one into HNSW would take hours
here. Then ``VACUUM ANALYZE``, as autovacuum would do after such a load.

CPU per query counts both sides: this process's CPU time and the database's, read from
``/proc/<pid>/schedstat`` (nanoseconds on CPU) of the server process serving the connection.
When the server is the benchmark's own, every other process of the server is counted too
(parallel workers, background writers): their total over a row's queries, averaged per query.
A database on another machine reports this process's CPU only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import numpy as np
import psutil
import sqlalchemy as sa
from search_data import Corpus
from search_systems import CHUNKS_PER_DOCUMENT, DEPTH, LIBRARY, TOP_K

from etagere.core.chunks import EmbeddedChunk, Scope, Scored
from etagere.search.fusion import reciprocal_rank_fusion
from etagere.search.index.postgres import PostgresSearchBackend, vector_literal
from etagere.storage.metadata import Database
from etagere.storage.metadata.chunks import chunk_values
from etagere.storage.metadata.schema import libraries, organizations, users

MODEL = "bench"
# The full-text index as migration 0007 creates it.
GIN_INDEX = "CREATE INDEX ix_chunks_tsv ON chunks USING gin (tsv)"
DOCUMENT_COLUMNS = (
    "id, library_id, name, size, hash, blob_key, process_status, processing_status, "
    "uploaded_by_type, created_at, updated_at"
)
CHUNK_COLUMNS = (
    "seq",
    "id",
    "document_id",
    "library_id",
    "ordinal",
    "text",
    "start_offset",
    "end_offset",
    "pages",
    "headings",
    "content_hash",
    "embedding_model",
    "language",
    "embedding",
)
TICK_NS = 1e9 / os.sysconf("SC_CLK_TCK")
SearchFn = Callable[[sa.Connection, PostgresSearchBackend], list[Scored]]


def cpu_ns(pid: int) -> int | None:
    """Nanoseconds on CPU of process ``pid`` (its first schedstat field), if it is local."""
    try:
        with open(f"/proc/{pid}/schedstat", encoding="ascii") as stat:
            return int(stat.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def server_cpu_ns(postmaster: int) -> float:
    """CPU of a whole PostgreSQL server: the postmaster, its live children and the exited ones
    it reaped (parallel workers: clock ticks, so only meaningful summed over many queries)."""
    process = psutil.Process(postmaster)
    live = sum(cpu_ns(child.pid) or 0 for child in process.children())
    reaped = process.cpu_times().children_user + process.cpu_times().children_system
    return float(live + (cpu_ns(postmaster) or 0)) + reaped * 1e9


class Postgres:
    """A database holding the corpus, and the server-mode retrievers over it."""

    name = "PostgreSQL"

    def __init__(self, url: str, *, own_server: bool, keyword_budget: int | None) -> None:
        self.db = Database(url)
        self.db.migrate()
        self.library = LIBRARY
        self.scope = Scope((self.library,))
        self.own_server = own_server
        self.keyword_budget = keyword_budget
        self.backend: PostgresSearchBackend | None = None
        self.every: PostgresSearchBackend | None = None  # ranks every match (before tiers)
        self.pid = 0  # the backend process serving every query
        self.postmaster: int | None = None  # set when the whole server's CPU can be counted

    # --- filling ---------------------------------------------------------------------------

    def build(self, corpus: Corpus) -> dict[str, float]:
        """Fill the database with ``corpus``; seconds per step."""
        dimension = int(corpus.vectors.shape[1])
        seconds: dict[str, float] = {}
        started = time.perf_counter()
        backend = PostgresSearchBackend(self.db, dimension, keyword_budget=self.keyword_budget)
        self.backend = backend
        documents = self._identity_and_documents(corpus)
        self._first_document(corpus, documents[0])
        with self.db.engine.begin() as conn:
            conn.exec_driver_sql("DROP INDEX ix_chunks_tsv")
            conn.exec_driver_sql(f"DROP INDEX ix_chunks_embedding_{dimension}")
        self._copy_chunks(corpus, documents)
        seconds["copy"] = time.perf_counter() - started
        self._with_build_memory()
        started = time.perf_counter()
        with self.db.engine.begin() as conn:
            conn.exec_driver_sql(GIN_INDEX)
        seconds["gin"] = time.perf_counter() - started
        started = time.perf_counter()
        backend.ensure_vector_index(dimension)
        seconds["hnsw"] = time.perf_counter() - started
        started = time.perf_counter()
        with self.db.engine.connect() as conn:
            autocommit = conn.execution_options(isolation_level="AUTOCOMMIT")
            autocommit.exec_driver_sql("VACUUM ANALYZE")  # leaves autovacuum nothing to do
            # The load's dirty pages are written now, not by the checkpointer during the timed
            # queries (whose CPU would count it with the private server's other processes).
            with suppress(sa.exc.SQLAlchemyError):  # needs the pg_checkpoint role
                autocommit.exec_driver_sql("CHECKPOINT")
        seconds["vacuum analyze"] = time.perf_counter() - started
        started = time.perf_counter()
        if self._prewarm():
            seconds["prewarm"] = time.perf_counter() - started
        self.every = PostgresSearchBackend(self.db, dimension, keyword_budget=None)
        self._pin_connection()
        return seconds

    def _prewarm(self) -> bool:
        """The table and its indexes read into shared buffers (``pg_prewarm``, if the server
        has it), as a server that has been answering for a while holds what fits of them: the
        embedded engine's files are in the page cache too, having just been written."""
        with self.db.engine.connect() as conn:
            autocommit = conn.execution_options(isolation_level="AUTOCOMMIT")
            try:
                autocommit.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            except sa.exc.SQLAlchemyError:
                return False
            autocommit.exec_driver_sql(
                "SELECT pg_prewarm(c.oid) FROM pg_class c WHERE c.oid = 'chunks'::regclass"
                " OR c.oid = (SELECT reltoastrelid FROM pg_class WHERE oid = 'chunks'::regclass)"
                " OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'chunks'::regclass)"
            )
        return True

    def size_mb(self) -> float:
        with self.db.read() as conn:
            size = conn.exec_driver_sql("SELECT pg_total_relation_size('chunks')").scalar_one()
        return float(size) / 2**20

    def _identity_and_documents(self, corpus: Corpus) -> list[UUID]:
        now = datetime.now(UTC)
        org, user = uuid4(), uuid4()
        documents = [uuid4() for _ in range(-(-corpus.size // CHUNKS_PER_DOCUMENT))]
        with self.db.write() as conn:
            conn.execute(organizations.insert().values(id=org, name=org.hex, created_at=now))
            conn.execute(users.insert().values(id=user, org_id=org, email="b@e", created_at=now))
            conn.execute(
                libraries.insert().values(
                    id=self.library,
                    org_id=org,
                    name="bench",
                    owner_type="User",
                    owner_id=user,
                    created_by=user,
                    created_at=now,
                    updated_at=now,
                )
            )
        fixed = ("k", "done", "Completed", "User", now, now)
        with self._raw() as raw, raw.cursor() as cursor:
            with cursor.copy(f"COPY documents ({DOCUMENT_COLUMNS}) FROM STDIN") as copy:
                for n, document in enumerate(documents):
                    copy.write_row((document, self.library, f"d{n}.txt", 1, document.hex, *fixed))
            raw.commit()
        return documents

    def _first_document(self, corpus: Corpus, document: UUID) -> None:
        """The first document through the server's own path (``store_chunks``)."""
        assert self.backend is not None
        chunks = [_chunk(corpus, i) for i in range(min(CHUNKS_PER_DOCUMENT, corpus.size))]
        with self.db.write() as conn:
            self.backend.store_chunks(conn, self.library, document, MODEL, chunks)
            stored = conn.exec_driver_sql("SELECT seq FROM chunks ORDER BY ordinal").scalars()
            # Chunk i is stored as seq i + 1 (a fresh sequence), as the COPY below writes them.
            assert list(stored) == [i + 1 for i in range(len(chunks))], "not a fresh database"

    def _copy_chunks(self, corpus: Corpus, documents: list[UUID]) -> None:
        columns = ", ".join(CHUNK_COLUMNS)
        with self._raw() as raw, raw.cursor() as cursor:
            with cursor.copy(f"COPY chunks ({columns}) FROM STDIN") as copy:
                for i in range(CHUNKS_PER_DOCUMENT, corpus.size):
                    document = documents[i // CHUNKS_PER_DOCUMENT]
                    values = chunk_values(self.library, document, MODEL, _chunk(corpus, i))
                    values |= {"pages": "[]", "headings": "[]"}  # JSON, as the server writes
                    stored = [values[c] for c in CHUNK_COLUMNS[1:-1]]
                    copy.write_row([i + 1, *stored, vector_literal(corpus.vectors[i])])
            cursor.execute("SELECT setval('chunks_seq_seq', %s)", (corpus.size,))
            raw.commit()

    def _with_build_memory(self) -> None:
        """Room for index builds in memory (pgvector's HNSW build slows down past it)."""
        name = sa.engine.make_url(self.db.url).database
        with self.db.engine.begin() as conn:
            conn.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET maintenance_work_mem = '4GB'")
        self.db.engine.dispose()  # new sessions take the setting

    def _pin_connection(self) -> None:
        """One pooled connection, so that every query runs on the same backend process."""
        self.db.engine.dispose()
        with self.db.read() as conn:
            self.pid = int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        local = cpu_ns(self.pid) is not None
        self.postmaster = psutil.Process(self.pid).ppid() if local and self.own_server else None

    def same_backend(self) -> bool:
        with self.db.read() as conn:
            return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()) == self.pid

    @contextmanager
    def _raw(self) -> Iterator[Any]:
        raw = self.db.engine.raw_connection()
        try:
            yield raw.driver_connection
        finally:
            raw.close()

    # --- querying --------------------------------------------------------------------------

    def backend_cpu_ns(self) -> int | None:
        return cpu_ns(self.pid)

    def server_cpu_ns(self) -> float | None:
        return server_cpu_ns(self.postmaster) if self.postmaster is not None else None

    def keyword(self, text: str, vector: np.ndarray, k: int = TOP_K) -> list[int]:
        return self._search(lambda conn, b: b.keyword(conn, self.scope, text, k))

    def every_match(self, text: str, vector: np.ndarray, k: int = TOP_K) -> list[int]:
        """Keyword search ranking every match, as before tiers (one statement per query)."""
        assert self.every is not None
        every = self.every
        return self._search(lambda conn, _: every.keyword(conn, self.scope, text, k))

    def with_budget(self, budget: int) -> Callable[[str, np.ndarray, int], list[int]]:
        """Keyword search with another tier budget (for a sweep)."""
        assert self.backend is not None
        other = PostgresSearchBackend(
            self.db, self.backend.dimension, keyword_budget=budget, keyword_share=None
        )

        def keyword(text: str, vector: np.ndarray, k: int = TOP_K) -> list[int]:
            return self._search(lambda conn, _: other.keyword(conn, self.scope, text, k))

        return keyword

    def vector(self, text: str, vector: np.ndarray) -> list[int]:
        return self._search(lambda conn, b: b.nearest(conn, self.scope, vector, TOP_K))

    def hybrid(self, text: str, vector: np.ndarray) -> list[int]:
        """What the default search does after embedding: both retrievers, then RRF."""
        assert self.backend is not None
        backend = self.backend
        with self.db.read() as conn:
            rankings = backend.keyword_and_nearest(conn, self.scope, text, DEPTH, vector, DEPTH)
        return [s.seq - 1 for s in reciprocal_rank_fusion(list(rankings))[:TOP_K]]

    def hybrid_exact(self, text: str, exact_ids: list[int]) -> list[int]:
        """The reference for hybrid recall: the same fusion over exact vector candidates."""
        assert self.backend is not None
        with self.db.read() as conn:
            keyword = self.backend.keyword(conn, self.scope, text, DEPTH)
        exact = [Scored(i + 1, 0.0) for i in exact_ids[:DEPTH]]  # RRF reads ranks only
        return [s.seq - 1 for s in reciprocal_rank_fusion([keyword, exact])[:TOP_K]]

    def pgvector_alone(self, text: str, vector: np.ndarray) -> list[int]:
        """The peer: a plain pgvector query at its default search width (ef_search 40)."""
        dim = int(vector.shape[0])
        sql = (
            f"SELECT seq FROM chunks WHERE vector_dims(embedding) = {dim} "
            f"ORDER BY (embedding::vector({dim})) <=> CAST(:v AS vector({dim})) LIMIT {TOP_K}"
        )
        with self.db.read() as conn:
            rows = conn.execute(sa.text(sql), {"v": vector_literal(vector)}).scalars()
            return [int(seq) - 1 for seq in rows]

    def _search(self, query: SearchFn) -> list[int]:
        assert self.backend is not None
        with self.db.read() as conn:
            return [s.seq - 1 for s in query(conn, self.backend)]

    def close(self) -> None:
        self.db.close()


def _chunk(corpus: Corpus, i: int) -> EmbeddedChunk:
    text = corpus.text(i)
    return EmbeddedChunk(uuid4(), i, text, 0, len(text), (), (), f"h{i}", corpus.vectors[i], "en")
