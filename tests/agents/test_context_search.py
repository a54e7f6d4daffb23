"""The SDK's ``beta.context.search_indexes`` methods, unchanged, on libraries of a real server."""

from __future__ import annotations

import pytest
from mistralai.client import errors, models

from tests.agents.conftest import NOTES_NAME, AgentWorld
from tests.conftest import client_for

PDF = "word_processors.pdf"


def test_search_finds_and_cites_a_passage(agents: AgentWorld) -> None:
    indexes = agents.sdk.beta.context.search_indexes
    found = indexes.search(
        index_name=agents.library_id,
        retriever={"type": "keyword", "query": "typewriter patented", "top_k": 3},
    )
    assert isinstance(found, models.SearchResponse) and found.hits
    top = found.hits[0]
    assert top.index_name == agents.library_id
    assert top.chunk.source_id == agents.documents[PDF]
    assert top.chunk.locator.startswith("p")
    text = agents.text(PDF)
    assert text[top.chunk.start_offset : top.chunk.end_offset] == top.chunk.content
    fused = indexes.search(
        index_name=agents.library_id,
        retriever={
            "type": "rrf",
            "top_k": 2,
            "retrievers": [
                {"type": "keyword", "query": "heron"},
                {"type": "nearest_neighbour", "query": "a bird catching fish"},
            ],
        },
    )
    assert fused.hits[0].chunk.source_id == agents.documents[NOTES_NAME]


def test_get_chunk_navigate_and_read_follow_reading_order(agents: AgentWorld) -> None:
    indexes = agents.sdk.beta.context.search_indexes
    source = agents.documents[PDF]
    chunks = indexes.read(index_name=agents.library_id, source_id=source, top_k=100).chunks
    assert len(chunks) >= 3, "the PDF has several chunks"
    starts = [c.start_offset or 0 for c in chunks]
    assert starts == sorted(starts)
    text = agents.text(PDF)
    for chunk in chunks:
        assert text[chunk.start_offset : chunk.end_offset] == chunk.content
        assert chunk.source_id == source and chunk.metadata["document_name"] == PDF

    middle = chunks[1]
    one = indexes.get_chunk(index_name=agents.library_id, chunk_id=middle.id)
    assert [c.id for c in one.chunks] == [middle.id]
    assert one.chunks[0].content == middle.content

    span = {"start_offset": middle.start_offset, "end_offset": middle.end_offset}
    after = indexes.navigate(
        index_name=agents.library_id, source_id=source, direction="next", top_k=2, **span
    )
    assert [c.id for c in after.chunks] == [c.id for c in chunks[2:4]]
    before = indexes.navigate(
        index_name=agents.library_id, source_id=source, direction="previous", **span
    )
    assert [c.id for c in before.chunks] == [chunks[0].id]
    first = chunks[0]
    nothing = indexes.navigate(
        index_name=agents.library_id,
        source_id=source,
        direction="previous",
        start_offset=first.start_offset or 0,
        end_offset=first.end_offset or 0,
    )
    assert nothing.chunks == [], "200 with an empty list before the first chunk"

    window = indexes.read(
        index_name=agents.library_id,
        source_id=source,
        start_offset=chunks[1].start_offset,
        end_offset=chunks[2].end_offset,
    )
    assert [c.id for c in window.chunks] == [chunks[1].id, chunks[2].id]
    assert (
        indexes.read(
            index_name=agents.library_id, source_id=source, start_offset=len(text) + 10
        ).chunks
        == []
    )


def test_grep_phrase_and_terms(agents: AgentWorld) -> None:
    indexes = agents.sdk.beta.context.search_indexes
    notes = agents.documents[NOTES_NAME]
    phrase = indexes.grep(index_name=agents.library_id, source_id=notes, pattern="THE HERON")
    assert phrase.chunks and all("the heron" in c.content.lower() for c in phrase.chunks)
    terms = indexes.grep(
        index_name=agents.library_id, source_id=notes, pattern="fish heron", mode="term"
    )
    assert terms.chunks
    assert (
        indexes.grep(
            index_name=agents.library_id, source_id=notes, pattern="fish heron", mode="phrase"
        ).chunks
        == []
    ), "phrase mode keeps word order: 200 with an empty list"


def test_indexes_list_and_get_describe_libraries(agents: AgentWorld) -> None:
    indexes = agents.sdk.beta.context.search_indexes
    index = indexes.get(index_name=agents.library_id)
    assert index.id == index.name == agents.library_id and index.status == "ready"
    assert index.config.embedding.dimensions == 384
    listed = indexes.list(page_size=100)
    assert listed is not None
    assert agents.library_id in {i.name for i in listed.result.data}
    by_name = indexes.list(name="agent shelf")
    assert by_name is not None and [i.id for i in by_name.result.data] == [agents.library_id]
    stranger = client_for(agents.server, agents.stranger.key).beta.context.search_indexes
    others = stranger.list()
    assert others is not None and agents.library_id not in {i.id for i in others.result.data}


def test_not_found_cases_are_404(agents: AgentWorld) -> None:
    indexes = agents.sdk.beta.context.search_indexes
    unknown = "00000000-0000-4000-8000-000000000000"
    calls = [
        lambda: indexes.get(index_name="not-a-library"),
        lambda: indexes.get(index_name=unknown),
        lambda: indexes.read(index_name=agents.library_id, source_id=unknown),
        lambda: indexes.grep(index_name=agents.library_id, source_id="nope", pattern="x"),
        lambda: indexes.get_chunk(index_name=agents.library_id, chunk_id=unknown),
        lambda: indexes.navigate(
            index_name=agents.library_id,
            source_id=unknown,
            start_offset=0,
            end_offset=1,
            direction="next",
        ),
    ]
    for call in calls:
        with pytest.raises(errors.SDKError) as raised:
            call()
        assert raised.value.status_code == 404
    stranger = client_for(agents.server, agents.stranger.key).beta.context.search_indexes
    with pytest.raises(errors.SDKError) as hidden:
        stranger.search(index_name=agents.library_id, retriever={"type": "keyword", "query": "x"})
    assert hidden.value.status_code == 404


def test_unsupported_routes_are_a_clear_405(agents: AgentWorld) -> None:
    indexes = agents.sdk.beta.context.search_indexes
    calls = [
        lambda: indexes.create(
            name="x", config={"embedding": {"type": "custom", "name": "m", "dimensions": 3}}
        ),
        lambda: indexes.update(index_name=agents.library_id, schema={}),
        lambda: indexes.delete(index_name=agents.library_id),
        lambda: indexes.ingest_documents(index_name=agents.library_id, documents=[{"id": "1"}]),
        lambda: indexes.delete_documents(index_name=agents.library_id, document_ids=["1"]),
        lambda: indexes.get_index_summary(index_name=agents.library_id, language="en"),
    ]
    for call in calls:
        with pytest.raises(errors.SDKError) as raised:
            call()
        assert raised.value.status_code == 405
        assert "read-only search indexes" in raised.value.body
    assert agents.sdk.beta.libraries.get(library_id=agents.library_id).id == agents.library_id


def test_invalid_bodies_are_422(agents: AgentWorld) -> None:
    indexes = agents.sdk.beta.context.search_indexes
    with pytest.raises(errors.HTTPValidationError):
        indexes.read(index_name=agents.library_id, source_id=agents.documents[PDF], top_k=0)
    with pytest.raises(errors.HTTPValidationError):
        indexes.grep(
            index_name=agents.library_id, source_id=agents.documents[PDF], pattern="x", top_k=101
        )
