"""Wire models of the search routes: the SDK's ``SearchRequest`` retrievers and ``SearchResponse``.

A body is either the shorthand ``{"query", "top_k", "filter"}`` (hybrid search) or
``{"retriever": {"type": "keyword" | "nearest_neighbour" | "rrf", ...}}`` as in the SDK.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from etagere.core.filters import Filter, parse_filter
from etagere.core.passages import Passage
from etagere.domain.search import (
    MAX_TOP_K,
    FusionQuery,
    KeywordQuery,
    Retrieval,
    VectorQuery,
    hybrid,
)

TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class KeywordRetrieverIn(_Strict):
    type: Literal["keyword"] = "keyword"
    query: str = Field(min_length=1, max_length=10_000)
    top_k: TopK = 20
    operator: Literal["or", "and"] = "or"
    filter: dict[str, Any] | None = None
    field: Literal["content"] | None = None

    def to_domain(self) -> KeywordQuery:
        return KeywordQuery(
            self.query, self.top_k, self.operator == "and", _filter(self.filter, "retriever")
        )


class NearestNeighbourRetrieverIn(_Strict):
    type: Literal["nearest_neighbour"] = "nearest_neighbour"
    query: str | None = Field(default=None, min_length=1, max_length=10_000)
    query_embedding: list[float] | None = Field(default=None, min_length=1, max_length=8192)
    top_k: TopK = 20
    filter: dict[str, Any] | None = None
    field: Literal["content", "embedding"] | None = None
    max_candidates: int | None = Field(default=None, ge=1, le=10_000)

    @model_validator(mode="after")
    def _one_query(self) -> Self:
        if (self.query is None) == (self.query_embedding is None):
            raise ValueError("give exactly one of query or query_embedding")
        return self

    def to_domain(self) -> VectorQuery:
        return VectorQuery(
            self.query, self.query_embedding, self.top_k, _filter(self.filter, "retriever")
        )


ChildRetriever = Annotated[
    KeywordRetrieverIn | NearestNeighbourRetrieverIn, Field(discriminator="type")
]


class RRFRetrieverIn(_Strict):
    type: Literal["rrf"] = "rrf"
    retrievers: list[ChildRetriever] = Field(min_length=1, max_length=10)
    top_k: TopK = 20
    weights: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = None
    rank_constant: int = Field(default=60, ge=1, le=10_000)
    filter: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _weights_match(self) -> Self:
        if self.weights is not None and len(self.weights) != len(self.retrievers):
            raise ValueError("weights needs one value per retriever")
        return self

    def to_domain(self) -> FusionQuery:
        return FusionQuery(
            [r.to_domain() for r in self.retrievers],
            self.top_k,
            self.weights,
            self.rank_constant,
            _filter(self.filter, "retriever"),
        )


Retriever = Annotated[
    KeywordRetrieverIn | NearestNeighbourRetrieverIn | RRFRetrieverIn,
    Field(discriminator="type"),
]


class SearchIn(_Strict):
    """``{"query", "top_k", "filter"}`` (hybrid) or ``{"retriever": ...}``."""

    query: str | None = Field(default=None, min_length=1, max_length=10_000)
    top_k: TopK = 10
    filter: dict[str, Any] | None = None
    retriever: Retriever | None = None

    @model_validator(mode="after")
    def _query_or_retriever(self) -> Self:
        if (self.query is None) == (self.retriever is None):
            raise ValueError("give either query (hybrid search) or retriever, not both")
        return self

    def to_domain(self) -> Retrieval:
        if self.retriever is not None:
            retrieval = self.retriever.to_domain()
            top = _filter(self.filter, "filter")
            if top is None:
                return retrieval
            return (
                FusionQuery([retrieval], retrieval.top_k, filter=top)
                if not isinstance(retrieval, FusionQuery)
                else FusionQuery(
                    retrieval.retrievers,
                    retrieval.top_k,
                    retrieval.weights,
                    retrieval.rank_constant,
                    _and_filters(top, retrieval.filter),
                )
            )
        assert self.query is not None
        return hybrid(self.query, self.top_k, _filter(self.filter, "filter"))


class SearchAllIn(SearchIn):
    """``POST /v1/search``: the same body plus the libraries to search (default: all readable)."""

    library_ids: list[UUID] | None = Field(default=None, min_length=1, max_length=1000)


class ChunkOut(BaseModel):
    """A passage as the SDK's ``SearchChunk`` / ``NavigationChunkResponse`` (same fields)."""

    id: str
    source_id: str
    locator: str
    start_offset: int | None
    end_offset: int | None
    chunk_type: str
    content: str
    metadata: dict[str, Any]

    @classmethod
    def of(cls, passage: Passage) -> ChunkOut:
        return cls(
            id=str(passage.chunk_id),
            source_id=str(passage.document_id),
            locator=passage.locator,
            start_offset=passage.start_offset,
            end_offset=passage.end_offset,
            chunk_type="text",
            content=passage.content,
            metadata=passage.metadata,
        )


class SearchHitOut(BaseModel):
    chunk: ChunkOut
    score: float
    index_name: str

    @classmethod
    def of(cls, passage: Passage) -> SearchHitOut:
        return cls(
            chunk=ChunkOut.of(passage),
            score=passage.score or 0.0,
            index_name=str(passage.library_id),
        )


class SearchOut(BaseModel):
    hits: list[SearchHitOut]

    @classmethod
    def of(cls, passages: list[Passage]) -> SearchOut:
        return cls(hits=[SearchHitOut.of(p) for p in passages])


def _filter(raw: dict[str, Any] | None, *location: str) -> Filter | None:
    return parse_filter(raw, ("body", *location)) if raw is not None else None


def _and_filters(first: Filter, second: Filter | None) -> Filter:
    return (
        first
        if second is None
        else parse_filter(
            {"type": "and", "matches": [first.model_dump(), second.model_dump()]}, ("body",)
        )
    )
