"""Vectors of two embedding models never mix: a library records its model, search checks it."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from etagere.core.errors import Conflict
from etagere.core.model import Caller
from etagere.domain.libraries import LibraryService
from etagere.domain.search import KeywordQuery, SearchService, VectorQuery
from etagere.search.embedding import LocalOnnxEmbedder
from etagere.search.index.backend import SearchBackend
from etagere.storage.metadata import Database
from etagere.storage.metadata import chunks as chunk_store


def test_search_refuses_vectors_of_another_model(
    db: Database,
    caller: Caller,
    library_service: LibraryService,
    search_backend: SearchBackend,
) -> None:
    embedder = LocalOnnxEmbedder()
    library = library_service.create(caller, "old vectors").library
    with db.write() as conn:
        chunk_store.set_library_model(conn, library.id, "some-other-model", 1024)
    search = SearchService(db, search_backend, embedder)
    with pytest.raises(Conflict, match=r"some-other-model.*reprocess"):
        search.search(caller, [library.id], VectorQuery(query="anything"))
    assert search.search(caller, [library.id], KeywordQuery("anything")) == []
    with db.write() as conn:
        chunk_store.set_library_model(conn, library.id, embedder.model_name, embedder.dimension)
    assert search.search(caller, [library.id], VectorQuery(query="anything")) == []


def test_a_search_over_every_library_checks_their_models_in_one_query(
    db: Database,
    caller: Caller,
    library_service: LibraryService,
    search_backend: SearchBackend,
) -> None:
    embedder = LocalOnnxEmbedder()
    search = SearchService(db, search_backend, embedder)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def statements_of_a_search() -> int:
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            search.search(caller, None, VectorQuery(query="anything"))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    for n in range(3):
        library = library_service.create(caller, f"library {n}").library
        with db.write() as conn:
            chunk_store.set_library_model(conn, library.id, embedder.model_name, 384)
    statements_of_a_search()  # the first also loads what later searches reuse
    few = statements_of_a_search()
    for n in range(3, 15):
        library_service.create(caller, f"library {n}")
    assert statements_of_a_search() == few, statements
    with db.write() as conn:
        chunk_store.set_library_model(conn, library.id, "some-other-model", 1024)
    with pytest.raises(Conflict, match=str(library.id)):
        search.search(caller, None, VectorQuery(query="anything"))
