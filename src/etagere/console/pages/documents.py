"""A library's documents (table, live status, upload) and one document's page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse

from etagere.console.forms import (
    ATTRIBUTE_TYPES,
    attribute_kind,
    attribute_text,
    parse_attribute_filter,
    parse_expiry,
    typed_attribute,
)
from etagere.console.render import page
from etagere.console.session import CSRF_HEADER, SessionDep, check_csrf, checked_form
from etagere.core.errors import DomainError
from etagere.core.model import Document, ProcessStatus, Role
from etagere.domain.documents import AttributeValue, DocumentChanges
from etagere.http.errors import status_for
from etagere.http.state import services
from etagere.http.upload import receive_upload

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
PAGES_SHOWN = 20  # pages of extracted text shown at once on a document's page
PENDING = (ProcessStatus.TODO, ProcessStatus.IN_PROGRESS)
SortBy = Literal["created_at", "name", "size", "last_processed_at"]
CHUNK = 1024 * 1024


Search = Annotated[str, Query(max_length=500)]
Where = Annotated[str, Query(max_length=5000)]
PageNumber = Annotated[int, Query(ge=0, alias="page")]


@dataclass(frozen=True)
class TableQuery:
    """The documents table's query string: name search, attribute filter, sort and page."""

    q: Search = ""
    where: Where = ""
    sort: SortBy = "created_at"
    order: Literal["asc", "desc"] = "desc"
    page_number: PageNumber = 0


TableDep = Annotated[TableQuery, Depends()]


def _documents(
    request: Request, session: SessionDep, library_id: UUID, table: TableQuery
) -> dict[str, Any]:
    """What the documents table shows, shared by the page and its live refresh."""
    listing = services(request).documents.list(
        session.caller,
        library_id,
        search=table.q,
        where=parse_attribute_filter(table.where, ("query", "where")),
        sort_by=table.sort,
        descending=table.order == "desc",
        page=table.page_number,
        page_size=PAGE_SIZE,
    )
    pages = max(1, -(-listing.total // PAGE_SIZE))
    return {
        "documents": listing.items,
        "total": listing.total,
        "q": table.q,
        "where": table.where,
        "sort": table.sort,
        "order": table.order,
        "page_number": table.page_number,
        "pages": pages,
        "pending": any(d.process_status in PENDING for d in listing.items),
    }


@router.get("/libraries/{library_id}")
def library(
    request: Request,
    session: SessionDep,
    library_id: UUID,
    table: TableDep,
) -> Response:
    view = services(request).libraries.get(session.caller, library_id)
    rows = _documents(request, session, library_id, table)
    return page(request, "library.html", view=view, Role=Role, **rows)


@router.get("/libraries/{library_id}/rows")
def library_rows(
    request: Request,
    session: SessionDep,
    library_id: UUID,
    table: TableDep,
) -> Response:
    """The documents section alone (count, table, pager), polled while work is pending."""
    view = services(request).libraries.get(session.caller, library_id)
    rows = _documents(request, session, library_id, table)
    return page(request, "_documents.html", view=view, **rows)


@router.post("/libraries/{library_id}/upload")
async def upload(request: Request, session: SessionDep, library_id: UUID) -> JSONResponse:
    """One file per request (the page sends each with its own progress bar).

    Answers JSON: ``created`` (201), ``existing`` (200, the same bytes were already here) or a
    refusal with its status (413 too large, 415 unsupported type) and reason.
    """
    check_csrf(session.csrf_token, request.headers.get(CSRF_HEADER, ""))
    svc = services(request)
    try:
        svc.documents.check_upload(session.caller, library_id)
        received = await receive_upload(request, svc.blobs, max_bytes=svc.max_upload_bytes)
        document, created = svc.documents.register_upload(
            session.caller, library_id, received.blob, received.filename
        )
    except DomainError as exc:
        status = status_for(exc)
        headers = {"Connection": "close"} if status == 413 else None
        return JSONResponse(
            {"outcome": "refused", "detail": exc.message, "code": exc.code},
            status_code=status,
            headers=headers,
        )
    return JSONResponse(
        {
            "outcome": "created" if created else "existing",
            "name": document.name,
            "url": f"/libraries/{library_id}/documents/{document.id}",
        },
        status_code=201 if created else 200,
    )


@router.get("/libraries/{library_id}/documents/{document_id}")
def document_page(
    request: Request,
    session: SessionDep,
    library_id: UUID,
    document_id: UUID,
    page_number: Annotated[int, Query(ge=1, alias="page")] = 1,
) -> Response:
    svc = services(request)
    view = svc.libraries.get(session.caller, library_id)
    document = svc.documents.get(session.caller, library_id, document_id)
    text = svc.documents.pages(session.caller, library_id, document_id)
    shown: list[tuple[int, str]] = []
    total_pages = 0
    if text is not None:
        total_pages = len(text.pages)
        first = max(1, min(page_number, total_pages) - 2) if total_pages else 1
        for span in text.pages:
            if first <= span.number < first + PAGES_SHOWN:
                shown.append((span.number, text.text[span.start : span.end]))
        if not text.pages and text.text:
            shown.append((1, text.text))
    return page(
        request,
        "document.html",
        view=view,
        document=document,
        attributes=_attribute_rows(document),
        attribute_types=ATTRIBUTE_TYPES,
        shown=shown,
        total_pages=total_pages,
        target_page=page_number,
        page_window=PAGES_SHOWN,
        pending=document.process_status in PENDING,
        Role=Role,
    )


@router.post("/libraries/{library_id}/documents/{document_id}/attributes")
async def save_attributes(
    request: Request, session: SessionDep, library_id: UUID, document_id: UUID
) -> Response:
    form = await checked_form(request, session)
    names = form.getlist("attr_name")
    kinds = form.getlist("attr_type")
    values = form.getlist("attr_value")
    attributes: dict[str, AttributeValue] = {}
    for name, kind, value in zip(names, kinds, values, strict=True):
        name = str(name).strip()
        if name:
            attributes[name] = typed_attribute(name, str(kind), str(value))
    changes = DocumentChanges(
        attributes=attributes or None,
        attributes_set=True,
        expires_at=parse_expiry(str(form.get("expires_at", ""))),
        expires_at_set=True,
    )
    services(request).documents.update(session.caller, library_id, document_id, changes)
    return RedirectResponse(_document_url(library_id, document_id, "saved"), status_code=303)


@router.post("/libraries/{library_id}/documents/{document_id}/reprocess")
async def reprocess(
    request: Request, session: SessionDep, library_id: UUID, document_id: UUID
) -> Response:
    await checked_form(request, session)
    services(request).documents.reprocess(session.caller, library_id, document_id)
    return RedirectResponse(_document_url(library_id, document_id, "reprocessing"), 303)


@router.post("/libraries/{library_id}/documents/{document_id}/delete")
async def delete_document(
    request: Request, session: SessionDep, library_id: UUID, document_id: UUID
) -> Response:
    await checked_form(request, session)
    services(request).documents.delete(session.caller, library_id, document_id)
    return RedirectResponse(f"/libraries/{library_id}?notice=document_deleted", 303)


@router.get("/libraries/{library_id}/documents/{document_id}/download")
def download(
    request: Request, session: SessionDep, library_id: UUID, document_id: UUID
) -> StreamingResponse:
    """The original file, always as an attachment: an uploaded HTML page never runs here."""
    svc = services(request)
    document = svc.documents.get(session.caller, library_id, document_id)
    handle = svc.blobs.open(document.blob_key)

    def chunks() -> Iterator[bytes]:
        with handle:
            while block := handle.read(CHUNK):
                yield block

    return StreamingResponse(
        chunks(),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.name, safe='')}",
            "Content-Length": str(document.size),
            "Content-Security-Policy": "sandbox",
        },
    )


def _attribute_rows(document: Document) -> list[tuple[str, str, str]]:
    return [
        (name, attribute_kind(value), attribute_text(value))
        for name, value in sorted((document.attributes or {}).items())
    ]


def _document_url(library_id: UUID, document_id: UUID, notice: str) -> str:
    return f"/libraries/{library_id}/documents/{document_id}?notice={notice}"
