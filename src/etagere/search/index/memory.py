"""In-process keyword (tantivy, BM25) and vector (usearch, HNSW) indexes.

Derived data only: the database holds every chunk and its embedding, and this index is rebuilt
or caught up from it (``etagere.search.index.embedded``). One tantivy index serves every
library, so BM25 statistics, and with them scores, are comparable across the libraries of one
query; vectors live in one HNSW graph per library (cosine similarity is comparable anyway).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

import numpy as np
import numpy.typing as npt

# onnxruntime must be loaded before usearch: the other order crashes the interpreter on import
# (conflicting native runtime libraries; seen with onnxruntime 1.32 and usearch 2.26).
import onnxruntime  # type: ignore[import-untyped]  # noqa: F401  # isort: skip
import tantivy
from usearch.compiled import MetricKind
from usearch.index import Index as VectorIndex
from usearch.index import search as exact_search

from etagere.core.chunks import FloatVector, IndexedChunk, Scope, Scored
from etagere.search.index.analysis import LanguageFields

# Part of a persisted snapshot's identity (``etagere.search.index.snapshot``): change it whenever
# the schema or the analysis changes, so that snapshots written before are rebuilt, not misread.
TEXT_FORMAT = "etagere_languages/2"
# HNSW parameters: measured in bench/search to give recall@10 >= 0.97 against exact search.
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 128
# Larger graphs need a wider search for the same recall (bench/search --sweep, M=16): at 100k
# vectors ef 128 gives recall@10 0.996; at 1M it gives 0.92, ef 256 0.96 and ef 512 0.98
# (1.9 ms). So the search widens with the library: (vectors up to, expansion_search).
EXPANSION_BY_SIZE = ((250_000, EXPANSION_SEARCH), (500_000, 256))
EXPANSION_LARGEST = 512
# Below this many vectors, exact search costs at most ~0.6 ms and is always right; above it the
# graph is faster (bench/search --sweep: exact 1.3 ms vs HNSW 0.4 ms at 10k, recall@10 0.998).
EXACT_BELOW = 5_000
WRITER_HEAP = 64 * 1024 * 1024
# Vectors are kept as half floats: half the memory, and half the snapshot file to map
# (recall@10 against exact float search: bench/search).
VECTOR_DTYPE = "f16"


def text_schema() -> tantivy.Schema:
    """Chunk text (one analysed field per language), its key, its library and document."""
    builder = tantivy.SchemaBuilder()
    LanguageFields().add_to_schema(builder)
    # A fast field: hits' keys are read from its column, not from the compressed doc store.
    builder.add_unsigned_field("seq", stored=False, indexed=True, fast=True)
    builder.add_text_field("library", stored=False, tokenizer_name="raw")
    builder.add_text_field("document", stored=False, tokenizer_name="raw")
    return builder.build()


def open_text_index(path: str | None) -> tantivy.Index:
    """The tantivy index in ``path`` (created if missing), or in memory; analyzers registered."""
    index = tantivy.Index(text_schema(), path=path, reuse=True)
    LanguageFields().register(index)  # tantivy does not save tokenizers with the index
    if path is not None:
        # A generation never changes once written: no watcher thread polling its meta.json.
        index.config_reader(reload_policy="Manual")
    return index


def text_entry(
    library_id: UUID, document: str, chunk: IndexedChunk, fields: LanguageFields
) -> tantivy.Document:
    """A chunk as a tantivy document, its text in the field of its language.

    ``document``: the term that names the chunk's document in this index, for filters and
    deletions (its id in memory; a short number in a persisted generation, see
    ``etagere.search.index.snapshot``).
    """
    entry = tantivy.Document()
    fields.add_text(entry, chunk.text, chunk.language)
    entry.add_unsigned("seq", chunk.seq)
    entry.add_text("library", str(library_id))
    entry.add_text("document", document)
    return entry


def new_vector_index(dimension: int) -> VectorIndex:
    return VectorIndex(
        ndim=dimension,
        metric="cos",
        dtype=VECTOR_DTYPE,
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )


def keyword_search(
    text: tantivy.Index,
    libraries: Sequence[UUID],
    words: tantivy.Query | None,
    k: int,
    *,
    documents: Sequence[str] | None = None,
    excluded: Sequence[str] = (),
    present: Iterable[UUID] | None = None,
) -> list[Scored]:
    """BM25 top ``k`` of the analysed query ``words`` in ``libraries``.

    ``words`` comes from ``LanguageFields.query`` (the query's terms in every language the
    index holds, OR or AND). ``documents`` and ``excluded`` are terms of the ``document``
    field (``text_entry``): only chunks of the first (None: any), never of the second.

    ``present``: the libraries the index holds, if known. When ``libraries`` covers them all,
    the query is a bare disjunction of terms, which tantivy answers with block-max WAND
    (skipping blocks that cannot reach the top k) instead of scoring every match of an
    intersection with a library filter.
    """
    if words is None or not libraries or k <= 0 or (documents is not None and not documents):
        return []
    schema = text.schema
    clauses = [(tantivy.Occur.Must, words)]
    if present is None or not set(present) <= set(libraries):
        clauses.append((tantivy.Occur.Must, _restrict(schema, "library", map(str, libraries))))
    if documents is not None:
        clauses.append((tantivy.Occur.Must, _restrict(schema, "document", documents)))
    if excluded:
        match = tantivy.Query.term_set_query(schema, "document", list(excluded))
        clauses.append((tantivy.Occur.MustNot, match))
    query = words if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)
    searcher = text.searcher()
    hits = searcher.search(query, limit=k, count=False).hits
    keys = searcher.fast_field_values("seq", [address for _, address in hits])
    return [
        Scored(int(key), float(score))
        for (score, _), key in zip(hits, keys, strict=True)
        if key is not None  # every segment has the column: the schema never lacked it
    ]


class MemoryIndex:
    """Keyword and vector indexes over every library this process serves; thread-safe."""

    def __init__(self) -> None:
        self._schema = text_schema()
        self._text = open_text_index(None)
        self.languages = LanguageFields()  # one analysed text field per language
        self._writer = self._text.writer(heap_size=WRITER_HEAP, num_threads=1)
        self._vectors: dict[UUID, VectorIndex] = {}
        self._documents: dict[UUID, tuple[UUID, list[int]]] = {}
        self._lock = threading.RLock()
        self._dirty = False

    def replace_document(
        self, library_id: UUID, document_id: UUID, chunks: Sequence[IndexedChunk]
    ) -> None:
        """Make the index hold exactly ``chunks`` for this document (none: remove it)."""
        with self._lock:
            self._remove_document(document_id)
            if not chunks:
                return
            for chunk in chunks:
                self._writer.add_document(
                    text_entry(library_id, str(document_id), chunk, self.languages)
                )
            keys = np.array([c.seq for c in chunks], dtype=np.uint64)
            matrix = np.stack([c.vector for c in chunks]).astype(np.float32)
            self._vector_index(library_id, matrix.shape[1]).add(keys, matrix)
            self._documents[document_id] = (library_id, [c.seq for c in chunks])
            self._dirty = True

    def drop_library(self, library_id: UUID) -> None:
        with self._lock:
            for document_id in [d for d, (lib, _) in self._documents.items() if lib == library_id]:
                self._remove_document(document_id)
            self._vectors.pop(library_id, None)

    def commit(self) -> None:
        """Make every change so far visible to searches (tantivy commits in batches)."""
        with self._lock:
            if self._dirty:
                self._writer.commit()
                self._text.reload()
                self._dirty = False

    def keyword(
        self, scope: Scope, query: str, k: int, *, conjunction: bool = False
    ) -> list[Scored]:
        """BM25 over the analysed query terms (OR, or AND when ``conjunction``)."""
        with self._lock:
            present = list(self._vectors)
        if not present:  # nothing indexed here (a layered index's overlay, most of the time)
            return []
        words = self.languages.query(self._schema, query, conjunction)
        documents = None if scope.document_ids is None else [str(d) for d in scope.document_ids]
        return keyword_search(
            self._text, scope.library_ids, words, k, documents=documents, present=present
        )

    def documents(self) -> set[UUID]:
        """The documents this index holds chunks of."""
        with self._lock:
            return set(self._documents)

    def nearest(self, scope: Scope, vector: FloatVector, k: int) -> list[Scored]:
        """Chunks by cosine similarity to ``vector``, best first."""
        found: list[Scored] = []
        with self._lock:
            for library_id in scope.library_ids:
                index = self._vectors.get(library_id)
                if index is None or len(index) == 0 or index.ndim != vector.shape[0]:
                    continue
                allowed = self._allowed_keys(library_id, scope.document_ids)
                found += vector_search(index, vector, k, allowed)
        found.sort(key=lambda s: s.score, reverse=True)
        return found[:k]

    def size(self, library_id: UUID) -> int:
        index = self._vectors.get(library_id)
        return len(index) if index is not None else 0

    def _remove_document(self, document_id: UUID) -> None:
        known = self._documents.pop(document_id, None)
        if known is None:
            return
        library_id, keys = known
        self._writer.delete_documents_by_term("document", str(document_id))
        index = self._vectors.get(library_id)
        if index is not None:
            index.remove(np.array(keys, dtype=np.uint64))
        self._dirty = True

    def _vector_index(self, library_id: UUID, dimension: int) -> VectorIndex:
        index = self._vectors.get(library_id)
        if index is None or index.ndim != dimension:
            index = new_vector_index(dimension)
            self._vectors[library_id] = index
        return index

    def _allowed_keys(
        self, library_id: UUID, document_ids: frozenset[UUID] | None
    ) -> np.ndarray | None:
        if document_ids is None:
            return None
        keys = [
            key
            for document_id in document_ids
            if (known := self._documents.get(document_id)) and known[0] == library_id
            for key in known[1]
        ]
        return np.array(keys, dtype=np.uint64)


def stored_vectors(index: VectorIndex, keys: np.ndarray) -> tuple[np.ndarray, npt.NDArray[Any]]:
    """The keys present and their stored vectors, one matrix of the index's scalar type (half
    floats) in the order of the keys.

    usearch answers one row view per key, all cut from one ``(len(keys), ndim)`` block: the
    block is taken whole when it is there, from the compiled lookup (``Index.get`` wraps each
    row in Python, 1 ms per 1,000 keys). Stacking the rows instead costs about 1.2 ms per
    1,000 keys, more than the exact search over them that follows (a filter that keeps 1% of
    100k chunks made hybrid search 3x slower than unfiltered); both stay as fallbacks should a
    usearch release answer otherwise (``test_filtered_vector_search_reads_...`` checks which
    path runs).
    """
    compiled = getattr(index, "_compiled", None)
    if compiled is not None and hasattr(compiled, "get_many"):
        found = compiled.get_many(np.ascontiguousarray(keys, dtype=np.uint64), index.dtype)
        first = found[0] if len(found) else None
        block = first.base if first is not None else None
        if (
            first is not None
            and isinstance(block, np.ndarray)
            and block.shape == (len(keys), index.ndim)
            and all(row is not None for row in found)
        ):
            return keys, block.view(_SCALARS.get(str(index.dtype), block.dtype))
    rows = list(index.get(keys) or ())
    present = [i for i, row in enumerate(rows) if row is not None]
    if not present:
        return keys[:0], np.empty((0, index.ndim), dtype=np.float32)
    return keys[present], np.vstack([row for row in rows if row is not None])


# usearch's scalar kinds as numpy types (its compiled lookup answers raw bits: f16 as uint16).
_SCALARS: dict[str, Any] = {
    "ScalarKind.F16": np.float16,
    "ScalarKind.F32": np.float32,
    "ScalarKind.F64": np.float64,
}


def _restrict(schema: tantivy.Schema, field: str, values: Iterable[str]) -> tantivy.Query:
    """A filter that does not score: a constant-score term (set) query, cheapest form first.

    Measured in bench/search at 100k chunks: BM25 top-50 takes 2.1 ms with a scoring term
    set, 0.85 ms with a constant-score single term.
    """
    terms = list(values)
    if len(terms) == 1:
        match = tantivy.Query.term_query(schema, field, terms[0])
    else:
        match = tantivy.Query.term_set_query(schema, field, terms)
    return tantivy.Query.const_score_query(match, 0.0)


def expansion_for(size: int) -> int:
    """The HNSW ``expansion_search`` (ef) that keeps recall@10 near 0.97+ at this many vectors."""
    for up_to, expansion in EXPANSION_BY_SIZE:
        if size <= up_to:
            return expansion
    return EXPANSION_LARGEST


def vector_search(
    index: VectorIndex, vector: FloatVector, k: int, allowed: np.ndarray | None
) -> list[Scored]:
    """HNSW search, or exact search over the ``allowed`` keys when the scope is a subset."""
    if allowed is None:
        return graph_search(index, vector, k)
    if len(allowed) == 0:
        return []
    return exact_search_among(*stored_vectors(index, allowed), vector, k)


def graph_search(
    index: VectorIndex, vector: FloatVector, k: int, excluded: np.ndarray | None = None
) -> list[Scored]:
    """The graph's approximate top ``k``, never any of the ``excluded`` keys (a snapshot's
    documents that changed since it was written): the graph is asked for that many more
    candidates and they are dropped."""
    skip = 0 if excluded is None else len(excluded)
    wanted = min(k + skip, len(index))
    if wanted <= 0:
        return []
    exact = len(index) < EXACT_BELOW
    # Set per search from the size alone, so concurrent searches agree on the value.
    index.expansion_search = expansion_for(len(index))  # type: ignore[misc]
    matches = index.search(vector, wanted, exact=exact)
    keys = np.asarray(matches.keys, dtype=np.uint64)
    scores = 1.0 - np.asarray(matches.distances, dtype=np.float32)
    if excluded is not None and skip:
        keep = ~np.isin(keys, excluded)
        keys, scores = keys[keep], scores[keep]
    return [Scored(int(key), float(s)) for key, s in zip(keys[:k], scores[:k], strict=True)]


def exact_search_among(
    keys: np.ndarray, block: npt.NDArray[Any], vector: FloatVector, k: int
) -> list[Scored]:
    """Exact top ``k`` of the vectors ``block`` (one row per key, as stored: half floats)."""
    if len(keys) == 0:
        return []
    # usearch's exact kernel reads the half floats as stored (converting them to float32 for
    # numpy cost 1 ms per 1,000 vectors, five times the search itself).
    matches = exact_search(
        block,
        vector.astype(block.dtype),
        min(k, len(keys)),
        MetricKind.Cos,
        exact=True,
        threads=1,
    )
    rows = np.asarray(matches.keys, dtype=np.int64)
    scores = 1.0 - np.asarray(matches.distances, dtype=np.float32)
    return [Scored(int(keys[r]), float(s)) for r, s in zip(rows, scores, strict=True)]
