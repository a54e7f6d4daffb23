"""Search indexes persisted in the data directory: generations, catch-up, refusal of bad ones.

Real SQLite, real tantivy and usearch files; several backends on one directory stand for
several processes (each opens its own files and takes the writer lock on its own).
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import numpy as np
import pytest

from etagere.core.chunks import Scope
from etagere.search.index.embedded import EmbeddedSearchBackend
from etagere.search.index.snapshot import MANIFEST, DocumentKeys, current_name, document_term
from etagere.storage.metadata import Database
from etagere.storage.metadata.schema import documents
from tests.search.test_embedded_index import DIM, RNG, add_document, chunk, unit


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'etagere.db'}")
    db.migrate()
    return db


def backend(db: Database, root: Path, model: str = "m") -> EmbeddedSearchBackend:
    opened = EmbeddedSearchBackend(db, root, model=model)
    opened.warm()
    return opened


def store(db: Database, library: uuid.UUID, doc: uuid.UUID, *texts: str) -> None:
    with db.write() as conn:
        EmbeddedSearchBackend(db).store_chunks(
            conn, library, doc, "m", [chunk(i, t) for i, t in enumerate(texts)]
        )


def delete(db: Database, library: uuid.UUID, doc: uuid.UUID) -> None:
    with db.write() as conn:
        conn.execute(documents.delete().where(documents.c.id == doc))
        EmbeddedSearchBackend(db).forget_document(conn, library, doc)


def found(db: Database, search: EmbeddedSearchBackend, library: uuid.UUID, query: str) -> set[int]:
    with db.read() as conn:
        return {h.seq for h in search.keyword(conn, Scope((library,)), query, 50)}


def nearest(db: Database, search: EmbeddedSearchBackend, library: uuid.UUID) -> list[int]:
    with db.read() as conn:
        query = unit(np.ones(DIM, dtype=np.float32))
        return [h.seq for h in search.nearest(conn, Scope((library,)), query, 50)]


def test_a_generation_is_opened_and_caught_up_by_another_process(
    sqlite_db: Database, tmp_path: Path
) -> None:
    root = tmp_path / "search-index"
    library, first = add_document(sqlite_db)
    _, second = add_document(sqlite_db, library)
    store(sqlite_db, library, first, "alpha one", "beta one")
    store(sqlite_db, library, second, "alpha two")
    writer = backend(sqlite_db, root)
    assert current_name(root) is not None, "the first process builds the first generation"
    assert len(found(sqlite_db, writer, library, "alpha")) == 2

    store(sqlite_db, library, first, "gamma replaced")  # after the generation's watermark
    delete(sqlite_db, library, second)
    reader = backend(sqlite_db, root)  # opens the old generation, replays the rest
    for search in (writer, reader):
        assert found(sqlite_db, search, library, "alpha") == set(), "old chunks are hidden"
        assert len(found(sqlite_db, search, library, "gamma")) == 1
        assert len(nearest(sqlite_db, search, library)) == 1

    before = current_name(root)
    assert writer.checkpoint(), "the log moved on: a new generation"
    assert current_name(root) != before
    assert not writer.checkpoint(), "nothing new to write"
    _, third = add_document(sqlite_db, library)
    store(sqlite_db, library, third, "gamma three")
    for search in (writer, reader):  # both follow the new generation, then the log after it
        assert len(found(sqlite_db, search, library, "gamma")) == 2
        assert sorted(nearest(sqlite_db, search, library)) == sorted(
            found(sqlite_db, search, library, "gamma")
        )
    assert reader.index.base is not None and reader.index.base.name == current_name(root)


def test_a_deleted_library_disappears_from_the_generation(
    sqlite_db: Database, tmp_path: Path
) -> None:
    root = tmp_path / "search-index"
    library, doc = add_document(sqlite_db)
    store(sqlite_db, library, doc, "kept words")
    search = backend(sqlite_db, root)
    with sqlite_db.write() as conn:
        EmbeddedSearchBackend(sqlite_db).forget_library(conn, library)
    assert found(sqlite_db, search, library, "kept") == set()
    assert search.checkpoint()
    assert found(sqlite_db, backend(sqlite_db, root), library, "kept") == set()


def refused_and_rebuilt(db: Database, root: Path, library: uuid.UUID, model: str = "m") -> None:
    bad = current_name(root)
    search = backend(db, root, model)
    assert current_name(root) != bad, "a new generation replaces the refused one"
    assert len(found(db, search, library, "alpha")) == 1
    assert len(nearest(db, search, library)) == 1


@pytest.mark.parametrize(
    "damage", ["older format", "other model", "truncated file", "no manifest", "other database"]
)
def test_a_generation_that_cannot_be_trusted_is_rebuilt(
    sqlite_db: Database, tmp_path: Path, damage: str
) -> None:
    root = tmp_path / "search-index"
    library, doc = add_document(sqlite_db)
    store(sqlite_db, library, doc, "alpha")
    writer = backend(sqlite_db, root)
    generation = root / str(current_name(root))
    manifest = json.loads((generation / MANIFEST).read_text())
    writer.index = writer.index.__class__(None)  # let go of the files
    model = "m"
    if damage == "older format":
        manifest["identity"]["format"] = 0
        (generation / MANIFEST).write_text(json.dumps(manifest))
    elif damage == "other model":
        model = "another-model"
    elif damage == "truncated file":
        victim = next(p for p in sorted((generation / "vectors").iterdir()))
        victim.write_bytes(victim.read_bytes()[:10])
    elif damage == "no manifest":
        (generation / MANIFEST).unlink()
    else:  # the database was restored from elsewhere: the watermark names another entry
        manifest["watermark"]["fingerprint"] = f"{uuid.uuid4()}:{uuid.uuid4()}"
        (generation / MANIFEST).write_text(json.dumps(manifest))
    # A new process (the old one's writer lock is released with it).
    assert writer._writer_lock is not None
    os.close(writer._writer_lock)
    refused_and_rebuilt(sqlite_db, root, library, model)


def test_vectors_of_a_generation_match_the_database(sqlite_db: Database, tmp_path: Path) -> None:
    root = tmp_path / "search-index"
    library, doc = add_document(sqlite_db)
    store(sqlite_db, library, doc, *(f"text {i}" for i in range(40)))
    persisted = backend(sqlite_db, root)
    in_memory = EmbeddedSearchBackend(sqlite_db)
    query = unit(RNG.normal(size=DIM))
    with sqlite_db.read() as conn:
        a = persisted.nearest(conn, Scope((library,)), query, 10)
        b = in_memory.nearest(conn, Scope((library,)), query, 10)
    assert [h.seq for h in a] == [h.seq for h in b]


def test_document_keys_find_each_documents_chunks_in_the_order_asked(tmp_path: Path) -> None:
    """The key table's lookup against a plain reading of it, on documents present, absent,
    asked twice and in any order."""
    rng = np.random.default_rng(3)
    documents = [uuid.uuid4() for _ in range(40)]
    libraries = [uuid.uuid4(), uuid.uuid4()]
    rows = [
        (document, libraries[n % 2], seq)
        for n, document in enumerate(documents)
        for seq in range(n * 100, n * 100 + int(rng.integers(1, 6)))
    ]
    table = DocumentKeys.concat(
        [
            DocumentKeys.of_document(lib, d, np.array([seq], np.uint64), documents.index(d))
            for d, lib, seq in rows
        ]
    )
    table.save(tmp_path)  # sorted by document, as a generation holds it
    table = DocumentKeys.load(tmp_path)
    absent = [uuid.uuid4() for _ in range(5)]
    for _ in range(20):
        asked = list(rng.choice(np.array(documents + absent, dtype=object), size=12))
        for library in libraries:
            expected = [
                seq for wanted in asked for d, lib, seq in rows if d == wanted and lib == library
            ]
            assert table.keys(asked, library).tolist() == expected
        held = [documents.index(d) for d in asked if d in documents]
        assert table.terms(asked) == [document_term(n) for n in held]
        as_set = frozenset(asked)  # looked up once, then answered from the last lookups
        for library in [*libraries, *libraries]:
            expected = [seq for d, lib, seq in rows if d in as_set and lib == library]
            assert sorted(table.keys(as_set, library).tolist()) == sorted(expected)
        assert sorted(table.terms(as_set)) == sorted({document_term(n) for n in held})
    assert table.keys([], libraries[0]).tolist() == []
    assert table.keys(absent, libraries[0]).tolist() == []
    assert table.holds(documents[0]) and not table.holds(absent[0])


def filtered_results(
    db: Database, search: EmbeddedSearchBackend, scope: Scope, query: np.ndarray
) -> tuple[list[int], set[int]]:
    with db.read() as conn:
        near = [h.seq for h in search.nearest(conn, scope, query, 5)]
        words = {h.seq for h in search.keyword(conn, scope, "shared", 200)}
    return near, words


@pytest.mark.parametrize("slots", ["recorded", "disagreeing"])
def test_filtered_searches_of_a_generation_match_the_database(
    sqlite_db: Database, tmp_path: Path, slots: str
) -> None:
    """A document filter over a generation (documents named by number in the text index,
    vectors gathered by slot from the mapped file) finds what an index loaded from the
    database finds, also after a second generation reused freed slots; slots that do not
    match the file are noticed and the vectors read through usearch instead."""
    root = tmp_path / "search-index"
    library, first = add_document(sqlite_db)
    docs = [first] + [add_document(sqlite_db, library)[1] for _ in range(11)]
    for i, doc in enumerate(docs):
        store(sqlite_db, library, doc, *(f"shared text {i} part {j}" for j in range(8)))
    writer = backend(sqlite_db, root)
    for doc in docs[:3]:  # replaced and deleted after the first generation
        store(sqlite_db, library, doc, *(f"shared again {j}" for j in range(5)))
    delete(sqlite_db, library, docs[3])
    assert writer.checkpoint()
    if slots == "disagreeing":
        generation = root / str(current_name(root))
        table = np.load(generation / "slots.npy")
        np.save(generation / "slots.npy", table[::-1].copy())  # same size: the manifest agrees
    reopened = backend(sqlite_db, root)
    in_memory = EmbeddedSearchBackend(sqlite_db)
    for chosen in (docs[::2], docs[1:5], [docs[3]], docs):
        scope = Scope((library,), frozenset(chosen))
        query = unit(RNG.normal(size=DIM))
        expected = filtered_results(sqlite_db, in_memory, scope, query)
        assert filtered_results(sqlite_db, reopened, scope, query) == expected
        assert bool(expected[1]) == (chosen != [docs[3]]), "only the deleted one has none"
    base = reopened.index.base
    assert base is not None and library in base._matrices
    assert (base._matrices[library] is not None) == (slots == "recorded")
