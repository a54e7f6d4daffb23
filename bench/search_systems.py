"""The systems ``bench/search.py`` measures, each built from the same corpus and queried alike.

Every system exposes ``build(corpus)`` and named query functions ``(text, vector) -> ids``
returning the top 10 chunk numbers, so the runner times them all the same way. Peers are
optional: ``pip install lancedb chromadb`` (benchmark only, not project dependencies).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import numpy as np
from search_data import Corpus, Matrix

from etagere.core.chunks import IndexedChunk, Scope, Scored
from etagere.domain.search import hybrid as hybrid_query
from etagere.search.fusion import convex_fusion
from etagere.search.index import memory
from etagere.search.index.layered import LayeredIndex
from etagere.search.index.snapshot import Changes, Watermark, open_current, write_generation

TOP_K = 10
# Candidates per retriever, exactly as the engine's default hybrid search asks for them.
DEPTH = hybrid_query("q", TOP_K, None).retrievers[0].top_k
LIBRARY = UUID("00000000-0000-4000-8000-000000000016")
CHUNKS_PER_DOCUMENT = 10
# The filtered rows keep one document in FILTER_EVERY: 1% of the chunks, as an attribute
# filter that keeps 1% of the documents does once the store has resolved it to document ids.
FILTER_EVERY = 100
QueryFn = Callable[[str, np.ndarray], list[int]]


class Etagere:
    """The embedded engine as a server runs it: a generation written to a data directory
    (tantivy + usearch files), then opened memory-mapped (``LayeredIndex``)."""

    name = "etagere"
    MODEL = "bench"

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or Path(tempfile.mkdtemp(prefix="etagere-bench-index-"))
        self.library = LIBRARY
        self.scope = Scope((self.library,))
        self.filtered = Scope((self.library,), frozenset())
        self.index = LayeredIndex(None)

    def build(self, corpus: Corpus) -> None:
        """Write the first generation from documents of 10 chunks, as a first start does."""
        documents = [uuid4() for _ in corpus.batches(CHUNKS_PER_DOCUMENT)]
        fresh = (
            [
                (
                    self.library,
                    document,
                    [IndexedChunk(i, corpus.text(i), corpus.vectors[i]) for i in chunks],
                )
            ]
            for document, chunks in zip(documents, corpus.batches(CHUNKS_PER_DOCUMENT), strict=True)
        )
        self.filtered = Scope((self.library,), frozenset(documents[::FILTER_EVERY]))
        changes = Changes(set(), set(), fresh)
        write_generation(self.directory, None, changes, Watermark(1, "bench"), self.MODEL)
        self.index = LayeredIndex(open_current(self.directory, self.MODEL))

    @classmethod
    def reopen(cls, directory: Path) -> Etagere:
        """What a restarted process does: open the newest generation."""
        system = cls(directory)
        system.index = LayeredIndex(open_current(directory, cls.MODEL))
        return system

    def keyword(self, text: str, vector: np.ndarray) -> list[int]:
        return [s.seq for s in self.index.keyword(self.scope, text, TOP_K)]

    def vector(self, text: str, vector: np.ndarray) -> list[int]:
        return [s.seq for s in self.index.nearest(self.scope, vector, TOP_K)]

    def hybrid(self, text: str, vector: np.ndarray, scope: Scope | None = None) -> list[int]:
        """What the default search does after embedding: BM25 and HNSW candidates, fused."""
        within = scope or self.scope
        rankings = [
            self.index.keyword(within, text, DEPTH),
            self.index.nearest(within, vector, DEPTH),
        ]
        return [s.seq for s in convex_fusion(rankings)[:TOP_K]]

    def hybrid_filtered(self, text: str, vector: np.ndarray) -> list[int]:
        """The default search under a filter that keeps 1% of the documents (resolved anew,
        as each request resolves its filter: nothing cached from the previous query)."""
        resolved = frozenset(list(self.filtered.document_ids or ()))
        return self.hybrid(text, vector, Scope(self.filtered.library_ids, resolved))

    def filtered_keys(self) -> np.ndarray:
        """The chunk numbers the filtered scope keeps (for its exact reference)."""
        base = self.index.base
        assert base is not None
        return np.asarray(base.keys.keys(list(self.filtered.document_ids or ()), self.library))

    def hybrid_exact(
        self,
        text: str,
        exact_ids: list[int],
        vectors: Matrix,
        vector: np.ndarray,
        scope: Scope | None = None,
    ) -> list[int]:
        """The reference for hybrid recall: the same fusion over exact vector candidates."""
        exact = [Scored(i, float(vectors[i] @ vector)) for i in exact_ids[:DEPTH]]
        rankings = [self.index.keyword(scope or self.scope, text, DEPTH), exact]
        return [s.seq for s in convex_fusion(rankings)[:TOP_K]]

    def close(self) -> None:
        self.index = LayeredIndex(None)
        shutil.rmtree(self.directory, ignore_errors=True)

    @staticmethod
    def describe() -> str:
        return (
            f"etagere persisted generation (mmap): tantivy {_version('tantivy')}, "
            f"usearch {_version('usearch')} "
            f"(connectivity {memory.CONNECTIVITY}, expansion_add {memory.EXPANSION_ADD}, "
            f"expansion_search {_expansions()}, exact below {memory.EXACT_BELOW:,}); "
            f"hybrid = min-max score fusion (the default search's) of BM25 top {DEPTH} and "
            f"vector top {DEPTH}, top {TOP_K}; filtered = the same under a filter keeping "
            f"1 document in {FILTER_EVERY}"
        )


class LanceDB:
    """LanceDB (embedded, on local disk): native BM25 FTS index, vector index from 100k rows."""

    name = "LanceDB"
    # Below this a flat scan is LanceDB's own advice; above, IVF_HNSW_SQ (its best-recall index).
    INDEX_FROM = 100_000
    BATCH = 50_000

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="etagere-bench-lancedb-"))
        self.table: Any = None  # lancedb.table.Table once built

    @classmethod
    def reopen(cls, directory: Path) -> LanceDB:
        os.environ.setdefault("LANCEDB_LOG", "error")
        import lancedb

        system = cls.__new__(cls)
        system.directory = directory
        system.table = lancedb.connect(str(directory)).open_table("chunks")
        return system

    def build(self, corpus: Corpus) -> None:
        os.environ.setdefault("LANCEDB_LOG", "error")  # else a deprecation warning per query
        import lancedb
        import pyarrow as pa
        from lancedb.index import FTS, IvfHnswSq

        db = lancedb.connect(str(self.directory))
        for rows in corpus.batches(self.BATCH):
            flat = pa.array(corpus.vectors[rows.start : rows.stop].ravel())
            batch = pa.table(
                {
                    "id": pa.array(rows, pa.int64()),
                    "text": [corpus.text(i) for i in rows],
                    "vector": pa.FixedSizeListArray.from_arrays(flat, corpus.vectors.shape[1]),
                }
            )
            if self.table is None:
                self.table = db.create_table("chunks", batch)
            else:
                self.table.add(batch)
        # Same analysis as ours: lower case, English stop words, English stemming.
        self.table.create_index("text", config=FTS(stem=True, remove_stop_words=True))
        if corpus.size >= self.INDEX_FROM:
            self.table.create_index("vector", config=IvfHnswSq(distance_type="cosine"))

    def vector(self, text: str, vector: np.ndarray) -> list[int]:
        query = self.table.search(vector).distance_type("cosine").select(["id"]).limit(TOP_K)
        return [int(i) for i in query.to_arrow()["id"].to_pylist()]

    def hybrid(self, text: str, vector: np.ndarray, *, exact: bool = False) -> list[int]:
        """Default hybrid (RRF reranker), ``DEPTH`` candidates per side like ours, top 10."""
        query = (
            self.table.search(query_type="hybrid")
            .vector(vector)
            .text(text)
            .distance_type("cosine")
            .select(["id"])
            .limit(DEPTH)
        )
        if exact:
            query = query.bypass_vector_index()
        return [int(i) for i in query.to_arrow()["id"].to_pylist()[:TOP_K]]

    def hybrid_exact(self, text: str, vector: np.ndarray) -> list[int]:
        return self.hybrid(text, vector, exact=True)

    def close(self) -> None:
        self.table = None
        shutil.rmtree(self.directory, ignore_errors=True)

    @staticmethod
    def describe() -> str:
        return (
            f"LanceDB {_version('lancedb')}: native FTS (English "
            f"stemming, stop words), flat vector scan below {LanceDB.INDEX_FROM:,} rows, "
            "IVF_HNSW_SQ (cosine, defaults) from there; hybrid = its default RRF reranker over "
            f"{DEPTH} FTS + {DEPTH} vector candidates, top {TOP_K}"
        )


class Chroma:
    """Chroma (embedded PersistentClient), vector search only, HNSW built like ours.

    Its search width stays our base ``EXPANSION_SEARCH``; ours widens above 250k vectors.
    """

    name = "Chroma"

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="etagere-bench-chroma-"))
        self.client: Any = None
        self.collection: Any = None

    @classmethod
    def reopen(cls, directory: Path) -> Chroma:
        import chromadb
        from chromadb.config import Settings

        system = cls.__new__(cls)
        system.directory = directory
        system.client = chromadb.PersistentClient(
            path=str(directory), settings=Settings(anonymized_telemetry=False)
        )
        system.collection = system.client.get_collection("chunks", embedding_function=None)
        return system

    def build(self, corpus: Corpus) -> None:
        import chromadb
        from chromadb.config import Settings

        self.client = chromadb.PersistentClient(
            path=str(self.directory), settings=Settings(anonymized_telemetry=False)
        )
        hnsw: Any = {
            "space": "cosine",
            "max_neighbors": memory.CONNECTIVITY,
            "ef_construction": memory.EXPANSION_ADD,
            "ef_search": memory.EXPANSION_SEARCH,
        }
        # embedding_function=None: vectors are given; Chroma's default would download a model.
        self.collection = self.client.create_collection(
            "chunks", embedding_function=None, configuration={"hnsw": hnsw}
        )
        for rows in corpus.batches(self.client.get_max_batch_size()):
            self.collection.add(
                ids=[str(i) for i in rows], embeddings=corpus.vectors[rows.start : rows.stop]
            )

    def vector(self, text: str, vector: np.ndarray) -> list[int]:
        found = self.collection.query(query_embeddings=[vector], n_results=TOP_K, include=[])
        return [int(i) for i in found["ids"][0]]

    def close(self) -> None:
        self.collection = None
        if self.client is not None:
            self.client.clear_system_cache()
        shutil.rmtree(self.directory, ignore_errors=True)

    @staticmethod
    def describe() -> str:
        return (
            f"Chroma {_version('chromadb')}: PersistentClient, HNSW cosine with our parameters "
            f"(max_neighbors {memory.CONNECTIVITY}, ef_construction {memory.EXPANSION_ADD}, "
            f"ef_search {memory.EXPANSION_SEARCH}); vector only (no BM25 in Chroma's local mode)"
        )


PEERS: dict[str, tuple[type[LanceDB] | type[Chroma], str]] = {
    "lancedb": (LanceDB, "lancedb"),
    "chroma": (Chroma, "chromadb"),
}


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _expansions() -> str:
    """The size-dependent HNSW search width, as "128 up to 250,000, ..., 512 beyond"."""
    steps = [f"{ef} up to {size:,}" for size, ef in memory.EXPANSION_BY_SIZE]
    return ", ".join([*steps, f"{memory.EXPANSION_LARGEST} beyond"])


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"
