"""Wire models of the context-search routes, field for field as the SDK's models.

Requests: ``NavigateRequest``, ``ReadRequest``, ``GrepRequest`` (``SearchRequest`` is the
search routes' ``SearchIn``). Responses: ``NavigationResponse`` (chunks in reading order),
``ManagedIndexResponse`` and ``ListManagedIndexesResponse`` (a library described as an index).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from etagere.core.passages import Passage
from etagere.domain.reading import MAX_CHUNKS, MAX_PATTERN_CHARS, IndexInfo
from etagere.http.wire.search import ChunkOut

TopK = Annotated[int, Field(ge=1, le=MAX_CHUNKS)]
Offset = Annotated[int, Field(ge=0)]
# The only content etagere indexes is the chunk text; the SDK sends "content" by default.
ContentType = Literal["content"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NavigateIn(_Strict):
    source_id: str
    start_offset: Offset
    end_offset: Offset
    direction: Literal["next", "previous"]
    top_k: TopK = 1
    content_type: ContentType = "content"


class ReadIn(_Strict):
    source_id: str
    start_offset: Offset | None = None
    end_offset: Offset | None = None
    top_k: TopK = 20
    content_type: ContentType = "content"


class GrepIn(_Strict):
    source_id: str
    pattern: str = Field(min_length=1, max_length=MAX_PATTERN_CHARS)
    mode: Literal["phrase", "term"] | None = None
    top_k: TopK = 5
    content_type: ContentType = "content"


class NavigationOut(BaseModel):
    """Unranked chunks in reading order (ascending ``start_offset``)."""

    chunks: list[ChunkOut]

    @classmethod
    def of(cls, passages: list[Passage]) -> NavigationOut:
        return cls(chunks=[ChunkOut.of(p) for p in passages])


class FieldOut(BaseModel):
    type: str
    indexed: bool = True
    required: bool = False
    system: bool = True


class IndexSchemaOut(BaseModel):
    document_fields: dict[str, FieldOut]
    chunk_fields: dict[str, FieldOut]


class EmbeddingOut(BaseModel):
    type: Literal["custom"] = "custom"
    name: str
    dimensions: int
    dtype: Literal["float32"] = "float32"
    distance_metric: Literal["cosine"] = "cosine"


class IndexConfigOut(BaseModel):
    embedding: EmbeddingOut


def _fields(**types: str) -> dict[str, FieldOut]:
    return {name: FieldOut(type=kind) for name, kind in types.items()}


# What a hit's filter and metadata can refer to; document attributes come on top, by name.
DOCUMENT_FIELDS = _fields(
    document_id="keyword",
    name="text",
    mime_type="keyword",
    extension="keyword",
    size="long",
    created_at="timestamp",
)
CHUNK_FIELDS = _fields(content="text", embedding="dense_vector", pages="int[]", headings="text[]")


class IndexOut(BaseModel):
    """The SDK's ``ManagedIndexResponse``; ``id`` and ``name`` are the library id."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    name: str
    creator_id: str
    status: Literal["ready"] = "ready"
    index_schema: IndexSchemaOut = Field(alias="schema")
    config: IndexConfigOut
    status_message: str | None = None
    created_at: datetime
    modified_at: datetime

    @classmethod
    def from_info(cls, info: IndexInfo) -> IndexOut:
        library = info.view.library
        return cls(
            id=str(library.id),
            name=str(library.id),
            creator_id=str(library.created_by),
            schema=IndexSchemaOut(document_fields=DOCUMENT_FIELDS, chunk_fields=CHUNK_FIELDS),
            config=IndexConfigOut(
                embedding=EmbeddingOut(name=info.embedding_model, dimensions=info.dimension)
            ),
            status_message=f"Library {library.name!r}",
            created_at=library.created_at,
            modified_at=library.updated_at,
        )


class ListIndexesOut(BaseModel):
    data: list[IndexOut]
    next_page_token: str | None
