"""The in-process indexes and their catch-up from the database (embedded mode, real SQLite)."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pytest

from etagere.core.chunks import EmbeddedChunk, IndexedChunk, Scope
from etagere.search.index.embedded import EmbeddedSearchBackend
from etagere.search.index.memory import (
    MemoryIndex,
    keyword_search,
    new_vector_index,
    stored_vectors,
    vector_search,
)
from etagere.storage.metadata import Database
from etagere.storage.metadata.schema import documents, libraries, organizations, users
from etagere.storage.metadata.types import utcnow

DIM = 16
RNG = np.random.default_rng(7)


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def test_keyword_ranks_by_bm25_and_respects_scope() -> None:
    index = MemoryIndex()
    lib_a, lib_b, doc_a, doc_b = (uuid.uuid4() for _ in range(4))
    vec = unit(RNG.normal(size=DIM))
    index.replace_document(
        lib_a,
        doc_a,
        [
            IndexedChunk(1, "Ducks are waterfowl with webbed feet", vec),
            IndexedChunk(2, "The duck duck goose game", vec),
            IndexedChunk(3, "Typewriters were patented in 1868", vec),
        ],
    )
    index.replace_document(lib_b, doc_b, [IndexedChunk(4, "duck soup recipe", vec)])
    index.commit()
    hits = index.keyword(Scope((lib_a,)), "ducks", 10)
    assert [h.seq for h in hits] == [2, 1], "stemmed, BM25 favours the repeated term"
    assert {h.seq for h in index.keyword(Scope((lib_a, lib_b)), "duck", 10)} == {1, 2, 4}
    assert index.keyword(Scope((lib_a,), frozenset()), "duck", 10) == []
    assert [h.seq for h in index.keyword(Scope((lib_a,)), "duck goose", 10, conjunction=True)] == [
        2
    ]
    assert index.keyword(Scope((lib_a,)), "the and of", 10) == [], "stop words alone match nothing"


def test_nearest_is_exact_for_small_libraries_and_filters_documents() -> None:
    index = MemoryIndex()
    library = uuid.uuid4()
    docs = [uuid.uuid4() for _ in range(5)]
    vectors = {seq: unit(RNG.normal(size=DIM)) for seq in range(1, 51)}
    for i, doc in enumerate(docs):
        seqs = range(i * 10 + 1, i * 10 + 11)
        index.replace_document(library, doc, [IndexedChunk(s, f"c{s}", vectors[s]) for s in seqs])
    index.commit()
    query = unit(RNG.normal(size=DIM))
    exact = sorted(vectors, key=lambda s: -float(vectors[s] @ query))
    assert [h.seq for h in index.nearest(Scope((library,)), query, 5)] == exact[:5]
    allowed = frozenset(docs[:2])
    in_scope = [s for s in exact if s <= 20]
    assert [h.seq for h in index.nearest(Scope((library,), allowed), query, 3)] == in_scope[:3]
    index.replace_document(library, docs[0], [])
    assert all(h.seq > 10 for h in index.nearest(Scope((library,)), query, 50))


def test_filtered_vector_search_reads_the_stored_half_floats_exactly() -> None:
    """The filtered path takes usearch's block of stored vectors whole and searches it
    exactly: the same vectors as stacking them one by one, the same ranking as brute force
    over them, and keys the index does not hold are left out rather than misaligned."""
    index = new_vector_index(DIM)
    keys = np.arange(1, 2001, dtype=np.uint64)
    matrix = np.stack([unit(RNG.normal(size=DIM)) for _ in keys]).astype(np.float32)
    index.add(keys, matrix)
    allowed = keys[::7]
    kept, block = stored_vectors(index, allowed)
    stacked = np.vstack(index.get(allowed))
    assert np.array_equal(kept, allowed) and np.array_equal(block, stacked)
    assert block.dtype == np.float16
    assert block.base is not None, "usearch's block was not taken whole (the slow path ran)"
    query = unit(RNG.normal(size=DIM))
    stored = stacked.astype(np.float32)
    brute = allowed[np.argsort(-(stored @ query), kind="stable")][:10]
    found = vector_search(index, query, 10, allowed)
    assert [h.seq for h in found] == [int(k) for k in brute]
    assert all(
        abs(h.score - float(stored[list(allowed).index(h.seq)] @ query)) < 1e-2 for h in found
    )
    with_unknown = np.concatenate([allowed[:5], np.array([99_999], dtype=np.uint64)])
    kept, block = stored_vectors(index, with_unknown)
    assert np.array_equal(kept, allowed[:5]) and len(block) == 5


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'etagere.db'}")
    db.migrate()
    return db


def add_document(db: Database, library_id: uuid.UUID | None = None) -> tuple[uuid.UUID, uuid.UUID]:
    now = utcnow()
    with db.write() as conn:
        if library_id is None:
            org, user, library_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            conn.execute(organizations.insert().values(id=org, name=org.hex, created_at=now))
            conn.execute(users.insert().values(id=user, org_id=org, email="a@b", created_at=now))
            conn.execute(
                libraries.insert().values(
                    id=library_id,
                    org_id=org,
                    name="l",
                    owner_type="User",
                    owner_id=user,
                    created_by=user,
                    created_at=now,
                    updated_at=now,
                )
            )
        doc = uuid.uuid4()
        conn.execute(
            documents.insert().values(
                id=doc,
                library_id=library_id,
                name="d",
                size=1,
                hash=doc.hex,
                blob_key="k",
                process_status="done",
                processing_status="Completed",
                uploaded_by_type="User",
                created_at=now,
                updated_at=now,
            )
        )
    return library_id, doc


def chunk(ordinal: int, text: str) -> EmbeddedChunk:
    return EmbeddedChunk(
        uuid.uuid4(), ordinal, text, 0, len(text), (1,), (), "h" + text, unit(RNG.normal(size=DIM))
    )


def test_catch_up_follows_every_committed_change(sqlite_db: Database) -> None:
    writer = EmbeddedSearchBackend(sqlite_db)  # e.g. a worker process
    reader = EmbeddedSearchBackend(sqlite_db)  # an API process with its own indexes
    library, doc = add_document(sqlite_db)
    with sqlite_db.write() as conn:
        writer.store_chunks(conn, library, doc, "m", [chunk(0, "alpha beta"), chunk(1, "gamma")])
    with sqlite_db.read() as conn:
        assert len(reader.keyword(conn, Scope((library,)), "alpha", 5)) == 1
        _, other = add_document(sqlite_db, library)
    with sqlite_db.write() as conn:
        writer.store_chunks(conn, library, doc, "m", [chunk(0, "delta")])
        writer.store_chunks(conn, library, other, "m", [chunk(0, "alpha again")])
    with sqlite_db.read() as conn:
        found = reader.keyword(conn, Scope((library,)), "alpha delta", 5)
    assert len(found) == 2, "the replaced document's old chunks are gone, the new ones found"
    with sqlite_db.write() as conn:
        conn.execute(documents.delete().where(documents.c.id == other))
        writer.forget_document(conn, library, other)
    with sqlite_db.read() as conn:
        assert [h.seq for h in reader.keyword(conn, Scope((library,)), "alpha", 5)] == []
    fresh = EmbeddedSearchBackend(sqlite_db)  # a restart rebuilds from the database
    with sqlite_db.read() as conn:
        assert len(fresh.keyword(conn, Scope((library,)), "delta", 5)) == 1
        assert len(fresh.nearest(conn, Scope((library,)), unit(RNG.normal(size=DIM)), 5)) == 1


def test_bm25_without_a_library_filter_ranks_as_with_one() -> None:
    """A scope covering every library drops the filter (tantivy's top-k fast path); the
    ranking must be the one the filtered query gives."""
    index = MemoryIndex()
    libraries = [uuid.uuid4(), uuid.uuid4()]
    words = ["duck", "goose", "swan", "heron", "crane", "stork"]
    for n in range(60):
        text = " ".join(words[(n * 7 + i) % len(words)] for i in range(1 + n % 5))
        seq = n + 1
        index.replace_document(
            libraries[n % 2], uuid.uuid4(), [IndexedChunk(seq, text, unit(RNG.normal(size=DIM)))]
        )
    index.commit()
    scope = Scope(tuple(libraries))
    for query in ("duck", "goose swan", "heron crane stork"):
        fast = index.keyword(scope, query, 10)
        words = index.languages.query(index._text.schema, query, conjunction=False)
        filtered = keyword_search(index._text, scope.library_ids, words, 10, present=None)
        assert len(fast) == 10
        assert [(h.seq, round(h.score, 5)) for h in fast] == [
            (h.seq, round(h.score, 5)) for h in filtered
        ]
        only_first = index.keyword(Scope((libraries[0],)), query, 50)
        assert only_first and all(h.seq % 2 == 1 for h in only_first), "filtered when needed"
