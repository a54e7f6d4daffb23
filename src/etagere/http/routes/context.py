"""The read side of the SDK's ``beta.context.search_indexes`` over libraries.

A readable library is a ``ready`` index whose ``index_name`` is the library id; a "source" is
one of its documents. ``search``, ``read``, ``navigate``, ``grep``, ``get_chunk``, ``list`` and
``get`` work as the SDK expects; the write side (create, update, delete, ingest, summaries) is
answered with 405: libraries are created and filled through ``/v1/libraries``.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from etagere.core.errors import NotFound
from etagere.domain.libraries import MAX_PAGE_SIZE
from etagere.http.auth import CallerDep
from etagere.http.state import services
from etagere.http.wire.context import (
    GrepIn,
    IndexOut,
    ListIndexesOut,
    NavigateIn,
    NavigationOut,
    ReadIn,
)
from etagere.http.wire.search import SearchIn, SearchOut

router = APIRouter(prefix="/v1/context/search-indexes", tags=["context search"])

INDEX = "/{index_name}"
UNSUPPORTED = (
    "etagere serves its libraries as read-only search indexes: {what} is not supported. "
    "Create libraries and upload documents with /v1/libraries (client.beta.libraries)."
)


@router.get("", response_model=ListIndexesOut, response_model_exclude_none=False)
def list_indexes(
    request: Request,
    caller: CallerDep,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    page_token: Annotated[str | None, Query(max_length=1000)] = None,
    name: Annotated[str | None, Query(max_length=500)] = None,
    status: Annotated[str | None, Query(max_length=50)] = None,
    creator_id: Annotated[str | None, Query(max_length=100)] = None,
) -> ListIndexesOut:
    """Every library the caller can read, as a ``ready`` index (``name`` matches library names)."""
    svc = services(request)
    if status not in (None, "ready"):
        return ListIndexesOut(data=[], next_page_token=None)
    page = svc.libraries.list(caller, page_size=page_size, page_token=page_token, search=name)
    views = [v for v in page.items if creator_id is None or str(v.library.created_by) == creator_id]
    data = [IndexOut.from_info(svc.reading.index(caller, v.library.id)) for v in views]
    return ListIndexesOut(data=data, next_page_token=page.next_page_token)


@router.get(INDEX, response_model=IndexOut)
def get_index(request: Request, caller: CallerDep, index_name: str) -> IndexOut:
    """The library ``index_name`` as an index."""
    return IndexOut.from_info(services(request).reading.index(caller, _library(index_name)))


@router.post(INDEX + "/search", response_model=SearchOut)
def search_index(request: Request, caller: CallerDep, index_name: str, body: SearchIn) -> SearchOut:
    """The SDK's ``SearchRequest`` (a ``retriever``), or the ``{"query"}`` hybrid shorthand."""
    library_id = _library(index_name)
    hits = services(request).search.search(caller, [library_id], body.to_domain())
    return SearchOut.of(hits)


@router.post(INDEX + "/navigate", response_model=NavigationOut)
def navigate(
    request: Request, caller: CallerDep, index_name: str, body: NavigateIn
) -> NavigationOut:
    """Chunks after (``next``) or before (``previous``) a span of a source, in reading order."""
    passages = services(request).reading.navigate(
        caller,
        _library(index_name),
        _source(body.source_id),
        (body.start_offset, body.end_offset),
        body.direction,
        body.top_k,
    )
    return NavigationOut.of(passages)


@router.post(INDEX + "/read", response_model=NavigationOut)
def read(request: Request, caller: CallerDep, index_name: str, body: ReadIn) -> NavigationOut:
    """Chunks of a source lying within ``[start_offset, end_offset)`` (either bound open)."""
    passages = services(request).reading.read_chunks(
        caller,
        _library(index_name),
        _source(body.source_id),
        body.start_offset,
        body.end_offset,
        body.top_k,
    )
    return NavigationOut.of(passages)


@router.post(INDEX + "/grep", response_model=NavigationOut)
def grep(request: Request, caller: CallerDep, index_name: str, body: GrepIn) -> NavigationOut:
    """Chunks of a source containing the phrase (default) or every term, case-insensitive."""
    passages = services(request).reading.grep_chunks(
        caller,
        _library(index_name),
        _source(body.source_id),
        body.pattern,
        body.mode or "phrase",
        body.top_k,
    )
    return NavigationOut.of(passages)


@router.get(INDEX + "/chunks/{chunk_id}", response_model=NavigationOut)
def get_chunk(request: Request, caller: CallerDep, index_name: str, chunk_id: str) -> NavigationOut:
    """One chunk by id (as a one-element ``chunks`` list, as the SDK expects)."""
    try:
        chunk = UUID(chunk_id)
    except ValueError:
        raise NotFound(f"Chunk {chunk_id} not found in index {index_name}") from None
    return NavigationOut.of([services(request).reading.chunk(caller, _library(index_name), chunk)])


@router.post("", status_code=405, response_model=None)
def create_index(caller: CallerDep) -> JSONResponse:
    """Not supported: create a library with ``POST /v1/libraries``."""
    return _unsupported("creating an index", "GET")


@router.put(INDEX, status_code=405, response_model=None)
def update_index(caller: CallerDep, index_name: str) -> JSONResponse:
    """Not supported: an index's schema follows its documents."""
    return _unsupported("changing an index schema", "GET")


@router.delete(INDEX, status_code=405, response_model=None)
def delete_index(caller: CallerDep, index_name: str) -> JSONResponse:
    """Not supported: delete the library with ``DELETE /v1/libraries/{id}``."""
    return _unsupported("deleting an index", "GET")


@router.post(INDEX + "/documents", status_code=405, response_model=None)
def ingest_documents(caller: CallerDep, index_name: str) -> JSONResponse:
    """Not supported: upload files with ``POST /v1/libraries/{id}/documents``."""
    return _unsupported("ingesting JSON documents", "")


@router.delete(INDEX + "/documents", status_code=405, response_model=None)
def delete_documents(caller: CallerDep, index_name: str) -> JSONResponse:
    """Not supported: delete documents through ``/v1/libraries/{id}/documents/{doc}``."""
    return _unsupported("deleting documents by query", "")


SUMMARY = INDEX + "/summary_field/{language}"


@router.get(SUMMARY, status_code=405, response_model=None)
def get_summary(caller: CallerDep, index_name: str, language: str) -> JSONResponse:
    """Not supported: each document carries its own ``summary``."""
    return _unsupported("index summaries", "")


@router.put(SUMMARY, status_code=405, response_model=None)
def set_summary(caller: CallerDep, index_name: str, language: str) -> JSONResponse:
    """Not supported: each document carries its own ``summary``."""
    return _unsupported("index summaries", "")


@router.post(SUMMARY, status_code=405, response_model=None)
def generate_summary(caller: CallerDep, index_name: str, language: str) -> JSONResponse:
    """Not supported: each document carries its own ``summary``."""
    return _unsupported("index summaries", "")


def _library(index_name: str) -> UUID:
    try:
        return UUID(index_name)
    except ValueError:
        raise NotFound(f"Index {index_name} not found (index names are library ids)") from None


def _source(source_id: str) -> UUID:
    try:
        return UUID(source_id)
    except ValueError:
        raise NotFound(f"Source {source_id} not found (source ids are document ids)") from None


def _unsupported(what: str, allow: str) -> JSONResponse:
    body = {"detail": UNSUPPORTED.format(what=what), "code": "unsupported"}
    return JSONResponse(body, status_code=405, headers={"Allow": allow})
