"""Search over HTTP on a real server (SQLite and PostgreSQL): retrievers, filters, citations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from mistralai.client import Mistral, models

from etagere.search.embedding import LocalOnnxEmbedder
from tests.conftest import BACKENDS, client_for
from tests.support.documents import upload, upload_bytes, wait_settled
from tests.support.people import module_store
from tests.support.servers import EtagereServer

DOCS = ("word_processors.pdf", "ducks.html", "crazy_ones.pdf")


@dataclass
class World:
    server: EtagereServer
    sdk: Mistral
    library_id: str
    documents: dict[str, str]  # file name -> document id

    def search(self, body: dict[str, Any], library_id: str | None = None) -> httpx.Response:
        path = f"/v1/libraries/{library_id or self.library_id}/search"
        with self.server.http() as http:
            return http.post(path, json=body)

    def hits(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.search(body)
        assert response.status_code == 200, response.text
        models.SearchResponse.model_validate(response.json())
        return response.json()["hits"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    backend: str = request.param
    pg = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    samples: Path = request.getfixturevalue("samples")
    with module_store(backend, tmp_path_factory.mktemp(f"search-{backend}"), pg) as store:
        server = EtagereServer(store=store).start(extra_env={"ETAGERE_WORKERS": "2"})
        try:
            sdk = client_for(server, server.api_key)
            library = sdk.beta.libraries.create(name="search under test")
            documents = {name: upload(sdk, library.id, samples / name).id for name in DOCS}
            for document_id in documents.values():
                assert wait_settled(sdk, library.id, document_id).process_status == "done"
            sdk.beta.libraries.documents.update(
                library_id=library.id,
                document_id=documents["ducks.html"],
                attributes={"topic": "birds", "year": 2020, "tags": ["nature", "wiki"]},
            )
            yield World(server, sdk, library.id, documents)
        finally:
            server.stop()


def test_hybrid_search_cites_the_page(world: World) -> None:
    hits = world.hits({"query": "When was the typewriter patented?", "top_k": 5})
    assert hits, "hybrid search found nothing"
    top = hits[0]
    chunk = top["chunk"]
    assert chunk["source_id"] == world.documents["word_processors.pdf"]
    assert "1868" in chunk["content"] or "typewriter" in chunk["content"].lower()
    assert chunk["locator"].startswith("p. ") or chunk["locator"].startswith("pp. ")
    assert top["index_name"] == world.library_id
    meta = chunk["metadata"]
    assert meta["document_name"] == "word_processors.pdf"
    assert meta["library_id"] == world.library_id and meta["pages"]
    text = world.sdk.beta.libraries.documents.text_content(
        library_id=world.library_id, document_id=chunk["source_id"]
    ).text
    assert text[chunk["start_offset"] : chunk["end_offset"]] == chunk["content"], "exact offsets"
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_each_retriever_form(world: World) -> None:
    keyword = world.hits({"retriever": {"type": "keyword", "query": "duck plumage", "top_k": 3}})
    assert keyword and all(
        h["chunk"]["source_id"] == world.documents["ducks.html"] for h in keyword
    )
    semantic = world.hits(
        {"retriever": {"type": "nearest_neighbour", "query": "birds that swim", "top_k": 3}}
    )
    assert semantic[0]["chunk"]["source_id"] == world.documents["ducks.html"]
    assert -1.0 <= semantic[0]["score"] <= 1.0
    vector = LocalOnnxEmbedder().embed_query("birds that swim").tolist()
    by_vector = world.hits(
        {"retriever": {"type": "nearest_neighbour", "query_embedding": vector, "top_k": 3}}
    )
    assert [h["chunk"]["id"] for h in by_vector] == [h["chunk"]["id"] for h in semantic]
    fused = world.hits(
        {
            "retriever": {
                "type": "rrf",
                "rank_constant": 10,
                "weights": [2.0, 1.0],
                "top_k": 4,
                "retrievers": [
                    {"type": "keyword", "query": "crazy ones misfits"},
                    {"type": "nearest_neighbour", "query": "people who think differently"},
                ],
            }
        }
    )
    assert fused[0]["chunk"]["source_id"] == world.documents["crazy_ones.pdf"]
    assert fused[0]["score"] <= 3 / 11 + 1e-9


def test_filters_on_attributes_and_fields(world: World) -> None:
    duck = world.documents["ducks.html"]
    for where in (
        {"type": "equal", "field": "topic", "value": "birds"},
        {"type": "in", "field": "tags", "values": ["wiki"]},
        {"type": "range", "field": "year", "gte": 2019, "lt": 2021},
        {"type": "equal", "field": "name", "value": "ducks.html"},
        {"type": "in", "field": "document_id", "values": [duck]},
    ):
        hits = world.hits({"query": "history of the typewriter", "top_k": 5, "filter": where})
        assert hits and {h["chunk"]["source_id"] for h in hits} == {duck}, where
        assert hits[0]["chunk"]["metadata"]["attributes"]["topic"] == "birds"
    none = world.hits(
        {"query": "duck", "filter": {"type": "equal", "field": "topic", "value": "x"}}
    )
    assert none == []
    negated = world.hits(
        {
            "retriever": {"type": "keyword", "query": "duck typewriter crazy"},
            "filter": {
                "type": "not",
                "match": {"type": "equal", "field": "topic", "value": "birds"},
            },
        }
    )
    assert negated and duck not in {h["chunk"]["source_id"] for h in negated}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"query": ""},
        {"query": "x", "top_k": 0},
        {"query": "x", "top_k": 101},
        {"query": "x", "retriever": {"type": "keyword", "query": "x"}},
        {"retriever": {"type": "nearest_neighbour"}},
        {"retriever": {"type": "nearest_neighbour", "query_embedding": [0.1, 0.2]}},
        {
            "retriever": {
                "type": "rrf",
                "retrievers": [{"type": "keyword", "query": "x"}],
                "weights": [1, 2],
            }
        },
        {"retriever": {"type": "semantic", "query": "x"}},
        {"query": "x", "filter": {"type": "equal", "field": "topic"}},
    ],
)
def test_invalid_requests_are_422(world: World, body: dict[str, Any]) -> None:
    response = world.search(body)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], list)


def test_search_everywhere_only_reaches_readable_libraries(world: World) -> None:
    stranger = world.server.new_identity()
    stranger_sdk = client_for(world.server, stranger.key)
    theirs = stranger_sdk.beta.libraries.create(name="stranger's")
    upload_bytes(stranger_sdk, theirs.id, "duck.txt", b"A duck of the stranger.")
    with world.server.http() as http:
        everywhere = http.post("/v1/search", json={"query": "duck", "top_k": 20}).json()
        named = http.post("/v1/search", json={"query": "duck", "library_ids": [theirs.id]})
    assert {h["index_name"] for h in everywhere["hits"]} == {world.library_id}
    assert named.status_code == 404
    with world.server.http(stranger.key) as http:
        blocked = http.post(f"/v1/libraries/{world.library_id}/search", json={"query": "duck"})
    assert blocked.status_code == 404


def test_deleted_documents_vanish_from_results_at_once(world: World) -> None:
    doc = upload_bytes(
        world.sdk, world.library_id, "zebra.txt", b"Zebras are striped equids of Africa."
    )
    wait_settled(world.sdk, world.library_id, doc.id)
    query = {"retriever": {"type": "keyword", "query": "striped equids"}}
    assert [h["chunk"]["source_id"] for h in world.hits(query)] == [doc.id]
    world.sdk.beta.libraries.documents.delete(library_id=world.library_id, document_id=doc.id)
    assert world.hits(query) == []
    assert world.hits({"query": "striped equids zebra", "top_k": 50}) == [] or doc.id not in {
        h["chunk"]["source_id"] for h in world.hits({"query": "striped equids zebra"})
    }


def test_reprocess_replaces_chunks(world: World) -> None:
    doc = world.documents["crazy_ones.pdf"]
    query = {"retriever": {"type": "keyword", "query": "misfits rebels troublemakers"}}
    before = {h["chunk"]["id"] for h in world.hits(query)}
    world.sdk.beta.libraries.documents.reprocess(library_id=world.library_id, document_id=doc)
    wait_settled(world.sdk, world.library_id, doc)
    after = world.hits(query)
    assert after and after[0]["chunk"]["source_id"] == doc
    assert before.isdisjoint({h["chunk"]["id"] for h in after}), "old chunks are gone"
