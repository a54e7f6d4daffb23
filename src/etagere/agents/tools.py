"""What agents can do, as plain functions of (services, caller, arguments) -> typed results.

The MCP server and the function-calling route both call these. They only use the domain
services, each of which obtains libraries through ``require_library``; nothing here touches
SQL. Results are small pydantic models: they become MCP structured output and JSON text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import PurePath
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel

from etagere.core.errors import InvalidInput, NotFound
from etagere.core.filters import Filter, parse_filter
from etagere.core.model import Caller, Document, LibraryView
from etagere.core.passages import Passage
from etagere.domain.documents import DocumentChanges
from etagere.domain.reading import MAX_GREP_MATCHES, MAX_READ_CHARS, TextGrepMode
from etagere.domain.search import hybrid
from etagere.runtime import Services

SUMMARY_CHARS = 400
MAX_SEARCH_RESULTS = 50
MAX_TEXT_UPLOAD_CHARS = 5_000_000


class LibraryInfo(BaseModel):
    id: str
    name: str
    description: str | None
    documents: int
    your_role: str
    owner_type: str
    created_at: datetime


class LibraryList(BaseModel):
    libraries: list[LibraryInfo]
    next_page_token: str | None


class DocumentInfo(BaseModel):
    id: str
    library_id: str
    name: str
    mime_type: str | None
    pages: int | None
    size_bytes: int
    status: str
    summary: str | None
    attributes: dict[str, Any] | None
    created_at: datetime


class DocumentList(BaseModel):
    library_id: str
    total: int
    page: int
    documents: list[DocumentInfo]


class CitedPassage(BaseModel):
    """One numbered search result as agents see it, in MCP results and function-tool citations.

    ``start_offset``/``end_offset`` index the document's extracted text; ``url`` (when given)
    is a signed link to that text.
    """

    rank: int
    document_name: str
    document_id: str
    library_id: str
    chunk_id: str
    citation: str
    pages: list[int]
    start_offset: int
    end_offset: int
    score: float
    text: str
    url: str | None = None


def cited(
    passages: Sequence[Passage], url_of: Callable[[Passage], str] | None = None
) -> list[CitedPassage]:
    """The passages numbered from 1, as agents cite them ([1], [2], ...)."""
    return [
        CitedPassage(
            rank=rank,
            document_name=p.document_name,
            document_id=str(p.document_id),
            library_id=str(p.library_id),
            chunk_id=str(p.chunk_id),
            citation=p.locator,
            pages=list(p.pages),
            start_offset=p.start_offset,
            end_offset=p.end_offset,
            score=round(p.score or 0.0, 6),
            text=p.content,
            url=url_of(p) if url_of else None,
        )
        for rank, p in enumerate(passages, start=1)
    ]


class SearchResults(BaseModel):
    query: str
    results: list[CitedPassage]


class TextRead(BaseModel):
    document_id: str
    document_name: str
    start_offset: int
    end_offset: int
    total_chars: int
    pages: list[int]
    next_offset: int | None
    text: str


class GrepMatch(BaseModel):
    line: int
    column: int
    start_offset: int
    end_offset: int
    page: int | None
    text: str


class GrepResults(BaseModel):
    document_id: str
    document_name: str
    total_matches: int
    matches: list[GrepMatch]


class Uploaded(BaseModel):
    document_id: str
    library_id: str
    name: str
    status: str
    created: bool


def list_libraries(
    services: Services, caller: Caller, search: str | None, page_token: str | None, limit: int
) -> LibraryList:
    page = services.libraries.list(
        caller, page_size=_clip(limit, 1, 100), page_token=page_token, search=search
    )
    return LibraryList(
        libraries=[library_info(v) for v in page.items], next_page_token=page.next_page_token
    )


def library_info(view: LibraryView) -> LibraryInfo:
    library = view.library
    return LibraryInfo(
        id=str(library.id),
        name=library.name,
        description=library.description,
        documents=library.nb_documents,
        your_role=view.role.name.title(),
        owner_type=str(library.owner_type),
        created_at=library.created_at,
    )


def list_documents(
    services: Services,
    caller: Caller,
    library_id: str,
    *,
    search: str | None = None,
    where: dict[str, Any] | None = None,
    page: int = 0,
    page_size: int = 50,
) -> DocumentList:
    library = uuid_of(library_id, "Library")
    found = services.documents.list(
        caller,
        library,
        search=search,
        where=_filter(where),
        sort_by="created_at",
        descending=True,
        page=max(page, 0),
        page_size=_clip(page_size, 1, 100),
    )
    return DocumentList(
        library_id=str(library),
        total=found.total,
        page=max(page, 0),
        documents=[document_info(d) for d in found.items],
    )


def document_info(document: Document) -> DocumentInfo:
    summary = document.summary
    if summary and len(summary) > SUMMARY_CHARS:
        summary = summary[:SUMMARY_CHARS].rstrip() + "…"
    return DocumentInfo(
        id=str(document.id),
        library_id=str(document.library_id),
        name=document.name,
        mime_type=document.mime_type,
        pages=document.number_of_pages,
        size_bytes=document.size,
        status=str(document.process_status),
        summary=summary,
        attributes=document.attributes,
        created_at=document.created_at,
    )


def search(
    services: Services,
    caller: Caller,
    query: str,
    library_ids: Sequence[str] | None = None,
    top_k: int = 8,
    where: dict[str, Any] | None = None,
) -> list[Passage]:
    """Hybrid search (BM25 + vectors, fused) in the given or every readable library."""
    if not query.strip():
        raise InvalidInput("query must not be empty", ("query",))
    libraries = [uuid_of(i, "Library") for i in library_ids] if library_ids else None
    retrieval = hybrid(query, _clip(top_k, 1, MAX_SEARCH_RESULTS), _filter(where))
    return services.search.search(caller, libraries, retrieval)


def search_results(query: str, passages: Sequence[Passage]) -> SearchResults:
    return SearchResults(query=query, results=cited(passages))


def read(
    services: Services,
    caller: Caller,
    library_id: str,
    document_id: str,
    *,
    pages: tuple[int | None, int | None] = (None, None),
    chars: tuple[int | None, int | None] = (None, None),
    max_chars: int = MAX_READ_CHARS,
) -> TextRead:
    window = services.reading.read_text(
        caller,
        uuid_of(library_id, "Library"),
        uuid_of(document_id, "Document"),
        pages=pages,
        chars=chars,
        max_chars=max_chars,
    )
    return TextRead(
        document_id=str(window.document.id),
        document_name=window.document.name,
        start_offset=window.start_offset,
        end_offset=window.end_offset,
        total_chars=window.total_chars,
        pages=list(window.pages),
        next_offset=window.next_offset,
        text=window.text,
    )


def grep(
    services: Services,
    caller: Caller,
    library_id: str,
    document_id: str,
    pattern: str,
    mode: TextGrepMode = "phrase",
    max_matches: int = MAX_GREP_MATCHES,
) -> GrepResults:
    found = services.reading.grep_text(
        caller,
        uuid_of(library_id, "Library"),
        uuid_of(document_id, "Document"),
        pattern,
        mode,
        max_matches,
    )
    return GrepResults(
        document_id=str(found.document.id),
        document_name=found.document.name,
        total_matches=found.total_matches,
        matches=[GrepMatch(**vars(m)) for m in found.matches],
    )


def upload_text(
    services: Services,
    caller: Caller,
    library_id: str,
    name: str,
    text: str,
    attributes: dict[str, Any] | None = None,
) -> Uploaded:
    """A new document made of ``text`` (Editor rights); processed like any upload."""
    library = uuid_of(library_id, "Library")
    services.documents.check_upload(caller, library)
    if not text.strip():
        raise InvalidInput("text must not be empty", ("text",))
    if len(text) > MAX_TEXT_UPLOAD_CHARS:
        raise InvalidInput(f"text is limited to {MAX_TEXT_UPLOAD_CHARS} characters", ("text",))
    with services.blobs.writer(services.max_upload_bytes) as writer:
        writer.write(text.encode("utf-8"))
        blob = writer.commit()
    document, created = services.documents.register_upload(
        caller, library, blob, _text_file_name(name)
    )
    if attributes and created:
        changes = DocumentChanges(attributes=attributes, attributes_set=True)
        document = services.documents.update(caller, library, document.id, changes)
    return Uploaded(
        document_id=str(document.id),
        library_id=str(library),
        name=document.name,
        status=str(document.process_status),
        created=created,
    )


def uuid_of(value: str, what: Literal["Library", "Document"]) -> UUID:
    """An id given by a model; a malformed one is simply not found."""
    try:
        return UUID(str(value).strip())
    except ValueError:
        raise NotFound(f"{what} {value} not found (ids are UUIDs)") from None


def _filter(raw: dict[str, Any] | None) -> Filter | None:
    return parse_filter(raw, ("filter",)) if raw else None


def _clip(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def _text_file_name(name: str) -> str:
    # Keep the last path part only; with no extension, ".md" tells extraction it is Markdown.
    clean = PurePath(name.replace("\\", "/").strip()).name.strip()[:200] or "note"
    return clean if PurePath(clean).suffix else clean + ".md"
