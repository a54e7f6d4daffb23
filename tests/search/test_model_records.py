"""Vectors of two embedding models never mix: a library records its model, search checks it."""

from __future__ import annotations

import pytest

from etagere.core.errors import Conflict
from etagere.domain.identity import IdentityService
from etagere.domain.libraries import LibraryService
from etagere.domain.search import KeywordQuery, SearchService, VectorQuery
from etagere.search.embedding import LocalOnnxEmbedder
from etagere.search.index.backend import SearchBackend
from etagere.storage.metadata import Database
from etagere.storage.metadata import chunks as chunk_store


def test_search_refuses_vectors_of_another_model(
    db: Database, library_service: LibraryService, search_backend: SearchBackend
) -> None:
    embedder = LocalOnnxEmbedder()
    identity = IdentityService(db)
    assert identity.bootstrap("etg_models") is not None
    caller = identity.authenticate("etg_models")
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
